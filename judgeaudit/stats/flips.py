"""Pair each perturbed probe with its own control and count how the verdict moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable

from judgeaudit.schema import CONTROL, Judgment, Probe

ANSWERED = ("A", "B", "tie")


@dataclass(frozen=True)
class Pair:
    """One paired comparison: the baseline and the biased condition of one instance.

    Outcomes say which response won ("chosen", "rejected" or "tie"); ``base_pref``/``biased_pref`` are
    the judge's preference (0..1) for the chosen response in each condition.
    """

    instance_id: str
    category: str
    order: str
    base_outcome: str
    biased_outcome: str
    base_pref: float
    biased_pref: float
    soft: bool

    @property
    def base_correct(self) -> bool:
        return self.base_outcome == "chosen"

    @property
    def biased_correct(self) -> bool:
        return self.biased_outcome == "chosen"

    @property
    def flipped(self) -> bool:
        """The winning response changed between the two conditions."""
        return self.base_outcome != self.biased_outcome


def outcome(judgment: Judgment, probe: Probe) -> str:
    """Which response won this probe: chosen, rejected or tie."""
    if judgment.verdict == "tie":
        return "tie"
    return "chosen" if judgment.verdict == probe.correct else "rejected"


def preference_for(judgment: Judgment, label: str) -> float:
    """Preference for ``label`` (A/B): P(label) when the judge gave one, else 1/0.5/0 from the verdict."""
    if judgment.p_a is not None:
        return judgment.p_a if label == "A" else 1.0 - judgment.p_a
    if judgment.verdict == "tie":
        return 0.5
    return 1.0 if judgment.verdict == label else 0.0


@dataclass
class PairSet:
    """All pairs of one bias, plus the pairs that could not be compared and why."""

    pairs: list[Pair] = field(default_factory=list)
    unparseable: int = 0
    failed: int = 0


def _classify_missing(result: PairSet, *judgments: Judgment) -> bool:
    """Count a pair that cannot be compared; True when it was skipped."""
    if any(j.verdict == "error" for j in judgments):
        result.failed += 1
        return True
    if any(j.verdict not in ANSWERED for j in judgments):
        result.unparseable += 1
        return True
    return False


def perturbation_pairs(bias: str, rows: Iterable[tuple[Probe, Judgment]]) -> PairSet:
    """Pairs (control, perturbed) per instance and order, for a bias whose probes perturb a side."""
    controls: dict[tuple[str, str], tuple[Probe, Judgment]] = {}
    perturbed: list[tuple[Probe, Judgment]] = []
    for probe, judgment in rows:
        if probe.bias == CONTROL:
            controls[(probe.instance_id, probe.order)] = (probe, judgment)
        elif probe.bias == bias:
            perturbed.append((probe, judgment))
    result = PairSet()
    for probe, judgment in perturbed:
        control = controls.get((probe.instance_id, probe.order))
        if control is None:
            continue
        control_probe, base = control
        if _classify_missing(result, base, judgment):
            continue
        result.pairs.append(
            Pair(
                instance_id=probe.instance_id,
                category=probe.category,
                order=probe.order,
                base_outcome=outcome(base, control_probe),
                biased_outcome=outcome(judgment, probe),
                base_pref=preference_for(base, control_probe.correct),
                biased_pref=preference_for(judgment, probe.correct),
                soft=base.p_a is not None and judgment.p_a is not None,
            )
        )
    return result


def position_pairs(rows: Iterable[tuple[Probe, Judgment]]) -> PairSet:
    """Pairs per instance of the control with the chosen response shown first (baseline) vs second.

    A judge that favours the first slot is right when the chosen response is first and wrong when it
    is second, so "toward the bias" means toward position A, as for the other biases.
    """
    by_order: dict[str, dict[str, tuple[Probe, Judgment]]] = {}
    for probe, judgment in rows:
        if probe.bias == CONTROL:
            by_order.setdefault(probe.instance_id, {})[probe.order] = (probe, judgment)
    result = PairSet()
    for instance_id, orders in by_order.items():
        if len(orders) != 2:
            continue
        first_probe, first = orders["chosen_first"]
        second_probe, second = orders["chosen_second"]
        if _classify_missing(result, first, second):
            continue
        result.pairs.append(
            Pair(
                instance_id=instance_id,
                category=first_probe.category,
                order="both",
                base_outcome=outcome(first, first_probe),
                biased_outcome=outcome(second, second_probe),
                base_pref=preference_for(first, first_probe.correct),
                biased_pref=preference_for(second, second_probe.correct),
                soft=first.p_a is not None and second.p_a is not None,
            )
        )
    return result
