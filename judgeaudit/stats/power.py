"""How many instances a bias needs: to certify it below δ, to fail it above δ, or to detect an effect.

Per-instance effects are drawn from a pilot run's effects of that bias (resampled with replacement)
or, without one, from an assumed two-point distribution with the given mean and standard deviation
(mean ± sd, clipped to the effect's range: [-1, 1] for position, [-2, 2] for a cue-specific pull). To certify (or fail): simulated sequences are run through the same
anytime-valid bounds the certificate uses (``confseq.crossing_times``); the instances needed at a power
are that quantile of the first sample size at which the bias is CERTIFIED_BELOW (or SHOWN_ABOVE). To detect: the
one-sample t-test's power from the noncentral t distribution (scipy), one-sided (two-sided for biases
tested either way) at ``alpha`` — an approximation of the sign-flip test the audit runs, before the
false-discovery control across biases.

For the validity criteria (``instances_for_accuracy``, ``instances_for_kappa``, ``instances_for_mean``,
``instances_for_ece``): the instances at which the certificate's one-sided bound clears the policy's
limit with the given power, for a judge as assumed (``ValidityAssumptions``) or as a pilot measured it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from judgeaudit.stats.calibration import ece_bounds
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


@dataclass(frozen=True)
class ValidityAssumptions:
    """Without a pilot: the judge the validity criteria are sized for (a pilot's measured values replace these)."""

    accuracy: float = 0.80
    """Its accuracy against gold on the unchanged pairs."""
    kappa: float = 0.60
    """Its Cohen's kappa against gold, and against the human majority."""
    gold_ties: float = 0.0
    """The share of gold (or majority) ties; A and B as shown are even, since each pair is asked in both orders."""
    gap_mean: float = 0.0
    """Its agreement with a random annotator minus the annotators' with each other, per instance: the mean..."""
    gap_sd: float = 0.35
    """... and the standard deviation."""
    ece: float = 0.03
    """Its true expected calibration error."""


def _z(level: float) -> float:
    return float(stats.norm.ppf(level))


def instances_for_accuracy(limit: float, accuracy: float, confidence: float, power: float, max_instances: int = MAX_INSTANCES) -> int | None:
    """The smallest n at which the one-sided Wilson lower bound (at ``confidence``) of X / n reaches
    ``limit`` with probability ``power``, X ~ Binomial(n, accuracy): one right-or-wrong answer per instance."""
    if accuracy <= limit:
        return None
    z = _z(confidence)
    for n in range(1, max_instances + 1):
        p = np.arange(n + 1) / n
        lower = (p + z * z / (2 * n) - z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
        reaching = np.flatnonzero(lower >= limit)
        if len(reaching) and stats.binom.sf(reaching[0] - 1, n, accuracy) >= power:
            return n
    return None


def kappa_table(kappa: float, ties: float = 0.0) -> np.ndarray:
    """A 3 x 3 table of probabilities (reference rows, judge columns: A, B, tie) with Cohen's kappa
    ``kappa``: the reference is A or B evenly (ties at ``ties``), the judge copies it with probability
    ``kappa`` and otherwise answers at random with the reference's shares."""
    shares = np.array([(1 - ties) / 2, (1 - ties) / 2, ties])
    return shares[:, None] * (kappa * np.eye(3) + (1 - kappa) * shares[None, :])


def kappa_sd(table: np.ndarray) -> tuple[float, float]:
    """Cohen's kappa of a table of counts or probabilities, and its large-sample standard deviation per
    rating (Fleiss, Cohen & Everitt 1969): the standard error over n ratings is this over sqrt(n)."""
    p = np.asarray(table, dtype=float).reshape(3, 3)
    p = p / p.sum()
    rows, columns = p.sum(axis=1), p.sum(axis=0)
    observed, chance = float(np.trace(p)), float(rows @ columns)
    kappa = (observed - chance) / (1 - chance)
    diagonal = float(np.sum(np.diag(p) * (1 - (rows + columns) * (1 - kappa)) ** 2))
    weights = (columns[:, None] + rows[None, :]) ** 2
    off = (1 - kappa) ** 2 * float(np.sum((p * weights)[~np.eye(3, dtype=bool)]))
    variance = (diagonal + off - (kappa - chance * (1 - kappa)) ** 2) / (1 - chance) ** 2
    return kappa, float(np.sqrt(max(variance, 0.0)))


def instances_for_mean(limit: float, mean: float, sd: float, confidence: float, power: float) -> int | None:
    """The n at which a normal-approximation lower bound (at ``confidence``) of a mean of per-instance
    values with this ``sd`` reaches ``limit`` with probability ``power``: ((z_c + z_power) sd / (mean - limit))^2."""
    if not mean > limit:  # a kappa undefined on the pilot (NaN) too
        return None
    needed = int(np.ceil(((_z(confidence) + _z(power)) * sd / (mean - limit)) ** 2))
    return max(2, needed) if needed <= MAX_INSTANCES else None


def instances_for_kappa(limit: float, table: np.ndarray, confidence: float, power: float) -> int | None:
    """The n at which kappa's lower bound reaches ``limit`` at the power, by kappa's large-sample
    variance (``kappa_sd``), counting one rating per instance (its two orders alike: the conservative end)."""
    kappa, sd = kappa_sd(table)
    return instances_for_mean(limit, kappa, sd, confidence, power)


ECE_SIMULATIONS = 100
"""Simulated runs per candidate size when sizing the ECE criterion (each bounded by the certificate's own bootstrap)."""


def simulated_calibration(ece: float, instances: int, rng: np.random.Generator) -> list[list[float]]:
    """One simulated run's calibration evidence (``stats.calibration``'s points: instance, P(A), P(A)
    again as its recalibration, y) for ``instances`` instances of two probes each, of a judge whose true
    ECE is ``ece``: P(A) uniform, the truth 0.5 + (1 - 4 ece)(P(A) - 0.5) (over-confident by exactly ``ece``)."""
    p = rng.uniform(size=2 * instances)
    y = rng.uniform(size=2 * instances) < 0.5 + (1 - 4 * ece) * (p - 0.5)
    return np.column_stack([np.arange(2 * instances) // 2, p, p, y]).tolist()


def _ece_passes(limit: float, ece: float, instances: int, confidence: float, seed: int) -> float:
    """The share of simulated runs whose certificate bound on ECE (``calibration.ece_bounds``) is within ``limit``."""
    rng = np.random.default_rng(seed)
    passed = [ece_bounds(simulated_calibration(ece, instances, rng), confidence, seed + run, False)[1] for run in range(ECE_SIMULATIONS)]
    return float(np.mean([upper is not None and upper <= limit for upper in passed]))


def instances_for_ece(limit: float, ece: float, confidence: float, power: float, seed: int = 0) -> int | None:
    """The smallest n at which the certificate's own upper bound on ECE (``calibration.ece_bounds``: the
    measured ECE plus z times its bootstrap sd) stays within ``limit`` in a share ``power`` of simulated
    runs: the sizes grow by half until one passes, then the last step is halved down to 5% (the binned
    ECE's upward bias at small n is simulated, not assumed away)."""
    if ece >= limit:
        return None
    low, high = 0, 10
    while _ece_passes(limit, ece, high, confidence, seed) < power:
        if high >= MAX_INSTANCES:
            return None
        low, high = high, min(MAX_INSTANCES, int(np.ceil(high * 1.5)))
    while high - low > max(1, high // 20):
        middle = (low + high) // 2
        low, high = (low, middle) if _ece_passes(limit, ece, middle, confidence, seed) >= power else (middle, high)
    return high


ALT_TEST_MINIMUM = 30
"""Instances per annotator the Alt-Test's t-test needs (Calderon, Reichart & Dror 2025); 50 to 100 recommended."""
ALT_TEST_RECOMMENDED = 50
ALT_TEST_ANNOTATORS = 3
