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

    before = base if base is not None and base.order == probe.order else None
    title = _TITLES.get(probe.condition, probe.condition)
    title += ", better shown " + ("first" if probe.order == "chosen_first" else "second")
    return ShownProbe(
        title=title,
        probe=probe,
        judgment=judgment,
        a_segments=segs(before.response_a if before else None, probe.response_a),
        b_segments=segs(before.response_b if before else None, probe.response_b),
        note_segments=segs(before.prompt_note if before else None, probe.prompt_note),
        headers={
            "A": segs(before.attribution_a if before else None, probe.attribution_a),
            "B": segs(before.attribution_b if before else None, probe.attribution_b),
        },
    )


Key = tuple[str, str | None, str, str]
"""Where a probe sits in a run: (instance id, bias or None for the shared conditions, condition, order)."""
Row = tuple[Probe, Judgment]
Shown = list[tuple[ShownProbe, ShownProbe]]


def _key(probe: Probe) -> Key:
    return (probe.instance_id, probe.bias, probe.condition, probe.order)


def _flip_keys(result: BiasResult) -> list[tuple[Key, Key]]:
    """(baseline, changed) of each flip the report shows for a bias: up to SHOWN_PER_BIAS."""
    bias = None if result.method == "swap" else result.name
    return [
        (
            (flip.instance_id, None, flip.baseline_condition, flip.baseline_order),
            (flip.instance_id, None if flip.condition == "control" else bias, flip.condition, flip.order),
        )
        for flip in result.flipped_examples[:SHOWN_PER_BIAS]
    ]


def report_examples(results: dict[str, BiasResult], rows: list[Row]) -> tuple[dict[str, Shown], dict[str, Shown]]:
    """What the report shows per bias, as (baseline, changed) views with the edits marked: its flipped
    probes, and for a bias nothing flipped one probe with the cue on the worse response beside its
    control (the reader still sees exactly what the judge was shown).

    One pass over the rows keeps only those shown and the unchanged pairs; a second, for the biases
    nothing flipped, stops at the first cue on the worse response of each whose control was answered.
    """
    flips = {name: _flip_keys(result) for name, result in results.items()}
    wanted = {key for pairs in flips.values() for pair in pairs for key in pair}
    found: dict[Key, Row] = {}
    for row in rows:
        key = _key(row[0])
        if key in wanted or (key[1] is None and key[2] == "control"):
            found[key] = row
    examples = {
        name: [(_shown(*found[base], None), _shown(*found[changed], found[base][0])) for base, changed in pairs if base in found and changed in found]
        for name, pairs in flips.items()
    }
    unflipped = {name for name, result in results.items() if not result.flipped_examples}
    cue_examples: dict[str, Shown] = {}
    for probe, judgment in rows if unflipped else ():
        base = found.get((probe.instance_id, None, "control", probe.order))
        if probe.bias in unflipped and probe.bias not in cue_examples and probe.condition == "cue_on_worse" and base:
            cue_examples[probe.bias] = [(_shown(*base, None), _shown(probe, judgment, base[0]))]
            if len(cue_examples) == len(unflipped):
                break
    return examples, cue_examples
