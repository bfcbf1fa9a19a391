"""The judge's verdicts on each unchanged pair beside the instance's labels: what every agreement and
calibration figure reads.

Verdicts are in the data's frame (chosen / rejected / tie), one per presentation order: the chosen
response shown first, then second. Only the control condition's first replicate is read (the repeat
measures noise, not agreement).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from judgeaudit.schema import CONTROL, Annotation, Judgment, Label, Probe
from judgeaudit.stats.cells import SCORED, outcome, preference, state

ORDERS = ("chosen_first", "chosen_second")
FROM_OUTCOME: dict[str, Label] = {"better": "chosen", "worse": "rejected", "tie": "tie"}


@dataclass(frozen=True)
class InstanceLabels:
    """An instance's labels as the run folder keeps them (``labels.jsonl``)."""

    gold: Label | None
    gold_source: str
    """``labels``, ``human majority`` or ``chosen/rejected`` (no label: the data's split is the label)."""
    annotations: tuple[Annotation, ...] = ()
    tags: dict[str, Any] = field(default_factory=dict)
    """A benchmark's grouping of the instance (``runs.labels.TAG_KEYS``): what its own scores read."""


@dataclass(frozen=True)
class JudgedInstance:
    """One instance's labels beside the judge's answers on its unchanged pair."""

    instance_id: str
    category: str
    gold: Label | None
    """chosen or tie (None: no gold label for this instance)."""
    gold_source: str
    annotations: tuple[Annotation, ...]
    verdicts: tuple[Label | None, Label | None]
    """The judge's verdict with the chosen response shown first, then second; None: not scored."""
    p_chosen: tuple[float | None, float | None]
    """The judge's probability that the chosen response is better, per order (None: verdicts only)."""
    scores: tuple[float, float] | None
    """A judge that scores each response alone: its scores of the chosen and the rejected response."""
    tags: dict[str, Any] = field(default_factory=dict)


def judged_instances(rows: Iterable[tuple[Probe, Judgment]], labels: Mapping[str, InstanceLabels]) -> list[JudgedInstance]:
    """Every instance with a control probe, in id order; instances absent from ``labels`` have the
    chosen/rejected split as their gold label."""
    verdicts: dict[str, dict[str, Label | None]] = {}
    probabilities: dict[str, dict[str, float | None]] = {}
    scores: dict[str, tuple[float, float]] = {}
    categories: dict[str, str] = {}
    for probe, judgment in rows:
        if probe.condition != CONTROL or probe.bias is not None or probe.replicate != 0:
            continue
        key = probe.instance_id
        categories[key] = probe.category
        scored = state(judgment) == SCORED
        verdicts.setdefault(key, {})[probe.order] = FROM_OUTCOME[outcome(probe, judgment)] if scored else None
        probabilities.setdefault(key, {})[probe.order] = preference(probe, judgment) if scored and judgment.p_a is not None else None
        if judgment.scores is not None and key not in scores:
            first, second = judgment.scores
            scores[key] = (first, second) if probe.correct == "A" else (second, first)
    unlabelled = InstanceLabels("chosen", "chosen/rejected")
    judged = []
    for key in sorted(verdicts):
        label = labels.get(key, unlabelled)
        judged.append(
            JudgedInstance(
                instance_id=key,
                category=categories[key],
                gold=label.gold,
                gold_source=label.gold_source,
                annotations=label.annotations,
                verdicts=(verdicts[key].get(ORDERS[0]), verdicts[key].get(ORDERS[1])),
                p_chosen=(probabilities[key].get(ORDERS[0]), probabilities[key].get(ORDERS[1])),
                scores=scores.get(key),
                tags=label.tags,
            )
        )
    return judged
