"""Concrete flipped examples for the report: the control and the biased probe side by side."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from judgeaudit.schema import CONTROL, Judgment, Probe

_TOKEN = re.compile(r"\s+|[^\s]+")


def mark_insertions(original: str, changed: str) -> list[tuple[str, bool]]:
    """``changed`` as (text, inserted) segments relative to ``original``, word by word."""
    before, after = _TOKEN.findall(original), _TOKEN.findall(changed)
    segments: list[tuple[str, bool]] = []
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if j1 == j2:
            continue
        text = "".join(after[j1:j2])
        inserted = tag != "equal"
        if segments and segments[-1][1] == inserted:
            segments[-1] = (segments[-1][0] + text, inserted)
        else:
            segments.append((text, inserted))
    return segments


@dataclass
class ShownProbe:
    """One side of an example: what the judge saw and what it said."""

    title: str
    probe: Probe
    judgment: Judgment
    a_segments: list[tuple[str, bool]]
    b_segments: list[tuple[str, bool]]
    note_segments: list[tuple[str, bool]]

    @property
    def picked(self) -> str:
        verdict = self.judgment.verdict
        if verdict not in ("A", "B"):
            return verdict
        return "chosen" if verdict == self.probe.correct else "rejected"


def _shown(title: str, probe: Probe, judgment: Judgment, base: Probe | None) -> ShownProbe:
    def segs(original: str | None, text: str) -> list[tuple[str, bool]]:
        return mark_insertions(original, text) if original is not None else [(text, False)] if text else []

    return ShownProbe(
        title=title,
        probe=probe,
        judgment=judgment,
        a_segments=segs(base.response_a if base else None, probe.response_a),
        b_segments=segs(base.response_b if base else None, probe.response_b),
        note_segments=segs(base.prompt_note if base else None, probe.prompt_note),
    )


def flipped_examples(
    bias: str, method: str, stats: dict[str, Any], rows: list[tuple[Probe, Judgment]], limit: int = 6
) -> list[tuple[ShownProbe, ShownProbe]]:
    """Up to ``limit`` flipped pairs of ``bias`` as (baseline, biased) views."""
    index = {(p.instance_id, p.bias, p.order): (p, j) for p, j in rows}
    examples = []
    for flip in stats.get("flipped_examples", [])[:limit]:
        iid = flip["instance_id"]
        if method == "swap":
            base = index.get((iid, CONTROL, "chosen_first"))
            biased = index.get((iid, CONTROL, "chosen_second"))
            if base and biased:
                examples.append(
                    (_shown("chosen shown first", *base, None), _shown("chosen shown second", *biased, None))
                )
        else:
            base = index.get((iid, CONTROL, flip["order"]))
            biased = index.get((iid, bias, flip["order"]))
            if base and biased:
                examples.append((_shown("control", *base, None), _shown(f"with {bias}", *biased, base[0])))
    return examples
