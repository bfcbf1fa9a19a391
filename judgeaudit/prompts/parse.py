"""Strict verdict parsing: the judge's final explicit verdict, never the first letter seen."""

from __future__ import annotations

import json
import re

from judgeaudit.schema import Verdict

_TIE_WORDS = {"C", "TIE", "EQUAL", "DRAW", "BOTH"}

# [[A]], [[B]], [[C]] / [[tie]] (MT-Bench style)
_BRACKETED = re.compile(r"\[\[\s*(A|B|C|TIE)\s*\]\]", re.IGNORECASE)
# A JSON object anywhere in the text (flat, as judges emit them).
_JSON_OBJECT = re.compile(r"\{[^{}]*\}", re.DOTALL)
_JSON_KEYS = ("verdict", "winner", "better", "better_response", "choice", "answer", "preferred")
# "Final verdict: A", "Answer: **B**", "Verdict - Response A"
_LABELLED = re.compile(
    r"(?i:final\s+verdict|verdict|final\s+answer|answer|winner|better\s+response)\s*(?i:is)?\s*[:\-]?\s*"
    r"[*_\"'`(]*\s*(?i:response\s+)?(A|B|C|(?i:tie))\b"
)
# The whole answer, or its last line, is a bare label: "A", "B.", "**A**", "Response B"
_BARE = re.compile(r"^[*_\"'`(\[\s]*(?i:response\s+)?(A|B|C|(?i:tie))[*_\"'`)\].!\s]*$")


def _normalise(label: str) -> Verdict:
    label = label.strip().upper()
    if label in ("A", "B"):
        return label  # type: ignore[return-value]
    if label in _TIE_WORDS:
        return "tie"
    return "unparseable"


def _from_json(text: str) -> str | None:
    found: str | None = None
    for match in _JSON_OBJECT.finditer(text):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        lowered = {str(k).lower(): v for k, v in data.items()}
        for key in _JSON_KEYS:
            value = lowered.get(key)
            if isinstance(value, str) and _normalise(value.replace("Response", "").strip()) != "unparseable":
                found = value.replace("Response", "").strip()
                break
    return found


def parse_verdict(text: str) -> Verdict:
    """The final explicit verdict in ``text``: A, B, tie, or unparseable.

    Accepted forms, most explicit first: ``[[A]]`` (the last one wins), a JSON field such as
    ``{"verdict": "B"}``, a labelled statement ("Final verdict: A"), a bare final letter.
    """
    if not text or not text.strip():
        return "unparseable"
    bracketed = _BRACKETED.findall(text)
    if bracketed:
        return _normalise(bracketed[-1])
    from_json = _from_json(text)
    if from_json is not None:
        return _normalise(from_json)
    labelled = _LABELLED.findall(text)
    if labelled:
        return _normalise(labelled[-1])
    lines = [line for line in text.strip().splitlines() if line.strip()]
    bare = _BARE.match(lines[-1])
    if bare:
        return _normalise(bare.group(1))
    return "unparseable"
