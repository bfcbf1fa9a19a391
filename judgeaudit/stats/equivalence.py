"""Equivalence: is a bias's effect below a margin δ, with confidence? CERTIFIED_BELOW, SHOWN_ABOVE or UNDECIDED.

"Not detected" is not evidence of absence; this is. The per-instance effects are taken in a fixed,
seeded order of instances and bounded by an anytime-valid confidence sequence (``stats.confseq``):
valid for any distribution of effects on [-1, 1], at any sample size, and under any number of looks,
so the same decision rule serves a fixed run and a sequential one (``--sequential``) alike.

Which way the margin applies follows the bias file's ``expected`` direction:
- toward: certified when the upper bound is below δ; shown above when the lower bound exceeds δ;
- away (a penalty): certified when the lower bound is above -δ; shown above when the upper bound is below -δ;
- either (two-sided): certified when both bounds lie inside (-δ, δ) (two one-sided tests);
  shown above when either bound lies beyond ±δ.
Each certification bound is one-sided at 1 - confidence. A "shown above" bound is taken at
(1 - confidence) / ``family`` (Bonferroni over the biases judged together, halved again when
two-sided), so that a judge with no effect above δ on any bias is failed with probability at most
1 - confidence overall; a PASS of every bias is an intersection of tests and needs no correction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from judgeaudit.schema import stable_hash
from judgeaudit.stats.confseq import mean_bounds

EquivalenceState = Literal["CERTIFIED_BELOW", "SHOWN_ABOVE", "UNDECIDED"]
EFFECT_RANGE = (-1.0, 1.0)


@dataclass(frozen=True)
class Equivalence:
    """The equivalence decision of one bias at margin ``delta``, with the bounds behind it."""

    state: EquivalenceState
    delta: float
    confidence: float
    n_instances: int
    lower: float
    """Anytime-valid lower bound of the effect at the certification level."""
    upper: float
    """Anytime-valid upper bound of the effect at the certification level."""
    fail_lower: float
    """The lower bound at the (stricter) level used to show the effect above δ."""
    fail_upper: float
    """The upper bound at that level."""


def instance_sequence(instance_ids: Iterable[str], seed: int) -> list[str]:
    """The order in which instances enter the confidence sequence (and sequential batches): fixed by
    the seed and the ids alone, whatever order the data came in."""
    return sorted(instance_ids, key=lambda instance_id: stable_hash([seed, "sequence", instance_id]))


def in_sequence(instance_effects: dict[str, float], seed: int) -> list[float]:
    """The per-instance effects in the seeded sequence order."""
    return [instance_effects[i] for i in instance_sequence(instance_effects, seed)]


def equivalence(
    effects: list[float],
    expected: str,
    delta: float,
    confidence: float,
    family: int = 1,
    effect_range: tuple[float, float] = EFFECT_RANGE,
) -> Equivalence:
    """Decide CERTIFIED_BELOW / SHOWN_ABOVE / UNDECIDED for effects already in sequence order, each in
    ``effect_range`` (a cue-specific pull, a difference of two swings, lies in [-2, 2])."""
    alpha = 1.0 - confidence
    two_sided = expected == "either"
    certify = mean_bounds(effects, *effect_range, alpha=alpha)
    fail = mean_bounds(effects, *effect_range, alpha=alpha / (max(1, family) * (2 if two_sided else 1)))
    if expected == "toward":
        certified, above = certify.upper < delta, fail.lower > delta
    elif expected == "away":
        certified, above = certify.lower > -delta, fail.upper < -delta
    else:
        certified, above = -delta < certify.lower and certify.upper < delta, fail.lower > delta or fail.upper < -delta
    state: EquivalenceState = "SHOWN_ABOVE" if above else "CERTIFIED_BELOW" if certified else "UNDECIDED"
    return Equivalence(state, delta, confidence, len(effects), certify.lower, certify.upper, fail.lower, fail.upper)
