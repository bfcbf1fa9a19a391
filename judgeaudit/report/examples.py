"""Concrete flipped examples for the report: the baseline and the changed probe side by side."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import BiasResult

_TOKEN = re.compile(r"\s+|[^\s]+")
_TITLES = {
    "control": "unchanged pair",
    "cue_on_worse": "cue on the worse response",
    "cue_on_better": "cue on the better response",
    "placebo": "placebo on the worse response",
    "repeat": "asked again",
}
SHOWN_PER_BIAS = 6


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
    headers: dict[str, list[tuple[str, bool]]]
    """Per label, the attribution shown in the response's header (compassion fade), edits marked."""

    @property
    def picked(self) -> str:
        verdict = self.judgment.verdict
        if verdict not in ("A", "B"):
            return verdict
        return "better" if verdict == self.probe.correct else "worse"


def _shown(probe: Probe, judgment: Judgment, base: Probe | None) -> ShownProbe:
    def segs(original: str | None, text: str) -> list[tuple[str, bool]]:
        return mark_insertions(original, text) if original is not None else [(text, False)] if text else []

    same_order = base is not None and base.order == probe.order
    title = _TITLES.get(probe.condition, probe.condition)
    title += ", better shown " + ("first" if probe.order == "chosen_first" else "second")
    return ShownProbe(
        title=title,
        probe=probe,
        judgment=judgment,
        a_segments=segs(base.response_a if same_order else None, probe.response_a),
        b_segments=segs(base.response_b if same_order else None, probe.response_b),
        note_segments=segs(base.prompt_note if same_order else None, probe.prompt_note),
        headers={
            "A": segs(base.attribution_a if same_order else None, probe.attribution_a),
            "B": segs(base.attribution_b if same_order else None, probe.attribution_b),
        },
    )


def cue_example(result: BiasResult, rows: list[tuple[Probe, Judgment]]) -> list[tuple[ShownProbe, ShownProbe]]:
    """One probe with the cue on the worse response beside its control, for a bias nothing flipped:
    the reader still sees exactly what the judge was shown."""
    index = {(p.instance_id, p.bias, p.condition, p.order): (p, j) for p, j in rows}
    for probe, judgment in rows:
        if probe.bias == result.name and probe.condition == "cue_on_worse":
            base = index.get((probe.instance_id, None, "control", probe.order))
            if base:
                return [(_shown(*base, None), _shown(probe, judgment, base[0]))]
    return []


def flipped_examples(result: BiasResult, rows: list[tuple[Probe, Judgment]]) -> list[tuple[ShownProbe, ShownProbe]]:
    """Up to SHOWN_PER_BIAS flipped probes of a bias as (baseline, changed) views, edits marked."""
    index = {(p.instance_id, p.bias, p.condition, p.order): (p, j) for p, j in rows}
    bias = None if result.method == "swap" else result.name
    examples = []
    for flip in result.flipped_examples[:SHOWN_PER_BIAS]:
        base = index.get((flip.instance_id, None, flip.baseline_condition, flip.baseline_order))
        changed = index.get((flip.instance_id, None if flip.condition == "control" else bias, flip.condition, flip.order))
        if base and changed:
            examples.append((_shown(*base, None), _shown(*changed, base[0])))
    return examples
