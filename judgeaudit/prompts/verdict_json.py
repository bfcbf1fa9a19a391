"""A verdict given as JSON: a verdict field ({"winner": "Response B"}), also in a code fence, as an
escaped string, or cut off; or the rank-1 model of an AlpacaEval ranking."""

from __future__ import annotations

import ast
import json
import re

from judgeaudit.prompts.verdict_labels import (
    EXPLICIT,
    FIRST,
    Statement,
    is_number,
    number_label,
    read_value,
    score_pair,
)
from judgeaudit.prompts.verdict_phrases import read_after_key

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.IGNORECASE | re.DOTALL)
_START = re.compile(r"\{|\[\s*\{")
MAX_JSON_STARTS = 200
"""JSON is tried at most at this many places (objects, or lists of objects) per output."""

# "verdict", "final_verdict", "winner", "better_response", "preferred_output", "overall_winner", ...
_KEY = re.compile(
    r"(?:final_|overall_|my_)?(?:verdict|winner|decision|choice|preferred|preference|selection|result|judg(?:e)?ment|"
    r"better|best|overall|label)(?:_(?:response|output|answer|model|assistant|one|verdict|choice|winner))?"
)
_NUMERIC_KEY = re.compile(r".*preference.*")
_STATED = re.compile(r"(.{1,30}?)\s+is\s+better\s+than\s+(.{1,30}?)\??", re.IGNORECASE)
_SCORE_KEY = re.compile(
    r"(?:score|rating)_?(?:of_)?(?:response|assistant|output|model)?_?\(?(?P<after>[ab12])\)?"
    r"|(?:response|assistant|output|model)?_?\(?(?P<before>[ab12])\)?_(?:score|rating)"
)
"""A per-response score field: "score_A", "rating_2", "assistant_1_score", "Output (b) score"."""
# A verdict field in JSON that does not decode (cut off, or with comments).
_FIELD = re.compile(r"""["'](?P<key>[\w ]{1,30})["']\s*:\s*["'](?P<value>[^"'\n]{1,80})["']""")
_KEY_TEXT = re.compile(r"""(?<=[{,])\s*["']([^"'\n]{1,200})["']\s*:""")


def key_spans(text: str) -> list[tuple[int, int]]:
    """Where JSON keys are ({"Output (a) is better than Output (b)": …}): a key is not a statement."""
    return [m.span(1) for m in _KEY_TEXT.finditer(text)]


def json_statements(text: str, numbers_are_labels: bool = False) -> list[Statement]:
    """The verdict fields of the JSON values in ``text``; a field that disagrees with another gives none."""
    bodies = [(m.start(1), m.group(1)) for m in _FENCE.finditer(text)] + [(0, text)]
    if '\\"' in text:  # JSON inside a JSON string: {\"winner\": \"B\"}
        bodies.append((0, text.replace('\\"', '"')))
    statements, decoded = [], False
    for offset, body in bodies:
        for m in list(_START.finditer(body))[:MAX_JSON_STARTS]:
            data = _decode(body[m.start() :])
            decoded = decoded or isinstance(data, (dict, list))
            verdict = _verdict(data, numbers_are_labels)
            if verdict is not None:
                statements.append(Statement(verdict, EXPLICIT, offset + m.start(), offset + m.start() + 1))
    if not decoded:
        read = {_fields_verdict({m.group("key"): m.group("value")}, numbers_are_labels) for m in _FIELD.finditer(text)}
        labels = {label for label in read if label is not None}
        if len(labels) == 1:
            statements.append(Statement(labels.pop(), EXPLICIT, 0, 0))
    return statements


def _decode(text: str) -> object:
    """The JSON value (or Python literal: single quotes) that ``text`` starts with; None if none."""
    try:
        return json.JSONDecoder().raw_decode(text)[0]
    except (ValueError, RecursionError):
        pass
    depth = 0
    for end, char in enumerate(text):
        depth += char in "{[" and 1 or char in "}]" and -1 or 0
        if depth == 0:
            try:
                return ast.literal_eval(text[: end + 1])
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
    return None


def _verdict(data: object, numbers_are_labels: bool) -> str | None:
    """The verdict field of a JSON answer, or the rank-1 model of an AlpacaEval ranking."""
    if isinstance(data, list) and data and all(isinstance(x, dict) and "rank" in x for x in data):
        best = [x for x in data if x.get("rank") in (1, "1")]
        if len(best) == 2 and len(data) == 2:
            return "tie"
        return read_value(str(best[0].get("model", ""))) if len(best) == 1 else None
    if isinstance(data, str) and data.lstrip().startswith("{"):
        return _verdict(_decode(data.lstrip()), numbers_are_labels)
    if not isinstance(data, dict):
        return None
    return _fields_verdict(data, numbers_are_labels)


def _fields_verdict(data: dict, numbers_are_labels: bool) -> str | None:
    """The one verdict the verdict fields agree on, else the higher of two per-response scores.

    A number under "preference" is a label only where the prompt made numbers labels; a key that
    states a comparison ("Output (a) is better than Output (b)": false) is read with its truth value.
    """
    found: set[str | None] = set()
    for key, value in data.items():
        key = str(key).strip().lower().replace(" ", "_")
        if (stated := _comparison(key, value)) is not None:
            found.add(stated)
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (numbers_are_labels or not _NUMERIC_KEY.fullmatch(key)):
            value = str(value)  # {"better_response": 2}
        if not _KEY.fullmatch(key) or not isinstance(value, str):
            continue
        if is_number(value):
            found.add(number_label(value) if numbers_are_labels else None if _NUMERIC_KEY.fullmatch(key) else read_value(value))
        else:
            found.add(read_value(value) or read_after_key(value)[0])
    labels = {label for label in found if label is not None}
    if labels:
        return labels.pop() if len(labels) == 1 else None
    return _scores_verdict(data)


def _comparison(key: str, value: object) -> str | None:
    """The verdict of a key that states "X is better than Y" with a true or false value (AlpacaFarm)."""
    stated = _STATED.fullmatch(key.replace("_", " "))
    if stated is None or not isinstance(value, bool):
        return None
    first, second = read_value(stated.group(1)), read_value(stated.group(2))
    if {first, second} != {"A", "B"}:
        return None
    return first if value else second


def _scores_verdict(data: dict) -> str | None:
    """{"score_A": 9, "score_B": 7} or {"scores": {"a": 6, "b": 8}}: the response with the higher score."""
    scores: dict[str, list[float]] = {}
    for key, value in data.items():
        key = str(key).strip().lower().replace(" ", "_")
        if key in ("scores", "ratings") and isinstance(value, dict):
            pairs = [(FIRST.get(str(k).strip().lower()), v) for k, v in value.items()]
        else:
            label = _SCORE_KEY.fullmatch(key)
            pairs = [(FIRST[label.group("before") or label.group("after")], value)] if label else []
        for response, score in pairs:
            if response and isinstance(score, (int, float)) and not isinstance(score, bool):
                scores.setdefault(response, []).append(float(score))
    if sorted(scores) != ["A", "B"] or len(scores["A"]) != 1 or len(scores["B"]) != 1:
        return None
    return score_pair(str(scores["A"][0]), str(scores["B"][0]))
