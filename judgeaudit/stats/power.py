"""How many instances a bias needs: to certify it below δ, to fail it above δ, or to detect an effect.

Per-instance effects are drawn from a pilot run's effects of that bias (resampled with replacement)
or, without one, from an assumed two-point distribution with the given mean and standard deviation
(mean ± sd, clipped to the effect's range: [-1, 1] for position, [-2, 2] for a cue-specific pull). To certify (or fail): simulated sequences are run through the same
anytime-valid bounds the certificate uses (``confseq.crossing_times``); the instances needed at a power
are that quantile of the first sample size at which the bias is CERTIFIED_BELOW (or SHOWN_ABOVE). To detect: the
one-sample t-test's power from the noncentral t distribution (scipy), one-sided (two-sided for biases
tested either way) at ``alpha`` — an approximation of the sign-flip test the audit runs, before the
false-discovery control across biases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from judgeaudit.stats.confseq import Side, crossing_times
from judgeaudit.stats.equivalence import EFFECT_RANGE

SIMULATIONS = 400
MAX_INSTANCES = 4000


@dataclass(frozen=True)
class EffectModel:
    """Where simulated per-instance effects come from: a pilot's values, or an assumed mean and sd."""

    pilot: tuple[float, ...] = ()
    mean: float = 0.0
    sd: float = 0.3

    def describe(self) -> str:
        if self.pilot:
            values = np.asarray(self.pilot)
            return f"pilot: {len(values)} instances, mean {values.mean():+.3f}, sd {values.std(ddof=1) if len(values) > 1 else 0:.3f}"
        return f"assumed: mean {self.mean:+.3f}, sd {self.sd:.3f}"

    @property
    def spread(self) -> float:
        return float(np.std(self.pilot, ddof=1)) if len(self.pilot) > 1 else self.sd

    def draw(self, rng: np.random.Generator, shape: tuple[int, int], effect_range: tuple[float, float] = EFFECT_RANGE) -> np.ndarray:
        if self.pilot:
            return rng.choice(np.asarray(self.pilot, dtype=float), size=shape, replace=True)
        signs = rng.choice((-1.0, 1.0), size=shape)
        return np.clip(self.mean + self.sd * signs, *effect_range)


def instances_to_certify(
    model: EffectModel, expected: str, delta: float, confidence: float, power: float,
    family: int = 1, seed: int = 0, max_instances: int = MAX_INSTANCES, effect_range: tuple[float, float] = EFFECT_RANGE,
) -> int | None:
    """Instances at which the bias is CERTIFIED_BELOW δ with probability ``power`` (None: not within
    ``max_instances``, e.g. when the effect itself is near or above δ)."""
    samples = model.draw(np.random.default_rng(seed), (SIMULATIONS, max_instances), effect_range)
    alpha = 1.0 - confidence
    options: dict[str, Sequence[tuple[float, Side]]] = {
        "toward": ((delta, "upper"),), "away": ((-delta, "lower"),), "either": ((delta, "upper"), (-delta, "lower")),
    }
    sides = options[expected]
    times = np.max([_never_as_inf(crossing_times(samples, *effect_range, alpha, threshold, side)) for threshold, side in sides], axis=0)
    needed = float(np.quantile(times, power, method="higher"))
    return int(needed) if np.isfinite(needed) else None


def instances_to_fail(
    model: EffectModel, expected: str, delta: float, confidence: float, power: float,
    family: int = 1, seed: int = 0, max_instances: int = MAX_INSTANCES, effect_range: tuple[float, float] = EFFECT_RANGE,
) -> int | None:
    """Instances at which an effect beyond δ is SHOWN_ABOVE (a FAIL) with probability ``power``, at the
    stricter level the certificate uses for a FAIL (None: not within ``max_instances``)."""
    samples = model.draw(np.random.default_rng(seed), (SIMULATIONS, max_instances), effect_range)
    alpha = (1.0 - confidence) / (max(1, family) * (2 if expected == "either" else 1))
    options: dict[str, Sequence[tuple[float, Side]]] = {
        "toward": ((delta, "lower"),), "away": ((-delta, "upper"),), "either": ((delta, "lower"), (-delta, "upper")),
    }
    sides = options[expected]
    times = np.min([_never_as_inf(crossing_times(samples, *effect_range, alpha, threshold, side)) for threshold, side in sides], axis=0)
    needed = float(np.quantile(times, power, method="higher"))
    return int(needed) if np.isfinite(needed) else None


def _never_as_inf(times: np.ndarray) -> np.ndarray:
    return np.where(times == 0, np.inf, times.astype(float))


def instances_to_detect(sd: float, effect: float, alpha: float, power: float, two_sided: bool) -> int | None:
    """The smallest n at which a one-sample t-test detects a mean ``effect`` with per-instance ``sd``
    (with no spread at all: the n at which the sign-flip test can reach ``alpha``)."""
    level = alpha / 2 if two_sided else alpha
    if effect <= 0:
        return None
    if sd <= 0:
        return int(np.ceil(np.log(level) / np.log(0.5)))
    for n in range(3, MAX_INSTANCES + 1):
        critical = stats.t.ppf(1 - level, n - 1)
        if stats.nct.sf(critical, n - 1, effect / sd * np.sqrt(n)) >= power:
            return n
    return None
