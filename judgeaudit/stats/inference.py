"""Intervals and tests with the instance as the unit (scipy).

Every function takes one value (or one count) per instance: the two orders of a pair, and the several
probes of an instance, are never counted as separate observations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from judgeaudit.stats.records import NO_INTERVAL, Effect, Interval, Rate

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
PERMUTATION_RESAMPLES = 9999
EXACT_UP_TO = 13
CHUNK_CELLS = 1 << 20
"""Resampling works on blocks of about this many cells (resamples x instances), so memory stays bounded."""


def wilson_interval(successes: float, n: float, confidence: float = CONFIDENCE, df: float | None = None) -> Interval:
    """Wilson score interval for a proportion (``n`` may be an effective, fractional size), with the
    t quantile at ``df`` degrees of freedom in place of the normal one where the size is estimated from
    few clusters."""
    if n <= 0:
        return (0.0, 1.0)
    z = float(special.ndtri(0.5 + confidence / 2) if df is None else stats.t.ppf(0.5 + confidence / 2, df))
    p = float(successes) / float(n)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def clustered_rate(events: ArrayLike, trials: ArrayLike, small_sample: bool = False) -> Rate:
    """A share pooled over instances, with a Wilson interval at the instances' effective sample size.

    ``events[i]`` of ``trials[i]`` probes of instance (or unit) i had the property. The effective size
    is p(1-p) over the cluster-robust variance of the pooled share, kept between Kish's effective number
    of clusters, (sum of trials)^2 / sum of squared trials (every probe of an instance alike: the number
    of instances when all have as many probes, fewer when some have more), and the number of probes
    (independent); when the share is 0 or 1 the variance says nothing and that lower end is used.

    ``small_sample`` (prompt groups as units, of unequal sizes): the variance is CR2's, each unit's squared
    residual over one minus its share of the trials, and the interval takes the t quantile at Bell and
    McCaffrey's degrees of freedom (``_bell_mccaffrey_df``), so that a few large groups do not pass for
    many units. For units of equal size CR2 equals the variance above and the degrees of freedom are the
    number of units minus one.
    """
    e = np.asarray(events, dtype=float)
    m = np.asarray(trials, dtype=float)
    keep = m > 0
    e, m = e[keep], m[keep]
    n = len(m)
    if n == 0:
        return Rate(None, NO_INTERVAL, 0)
    total = m.sum()
    p = e.sum() / total
    alike = float(total**2 / (m**2).sum())
    n_eff = alike
    small = small_sample and n > 1
    if 0 < p < 1 and n > 1:
        squares = (e - p * m) ** 2
        variance = float((squares / (1 - m / total)).sum() if small else n / (n - 1) * squares.sum()) / total**2
        n_eff = float(total) if variance == 0 else min(float(total), max(alike, p * (1 - p) / variance))
    return Rate(float(p), wilson_interval(p * n_eff, n_eff, df=_bell_mccaffrey_df(m) if small else None), n, n_eff)


def _bell_mccaffrey_df(trials: np.ndarray) -> float:
    """Bell and McCaffrey's (2002) degrees of freedom for CR2 of a pooled share over clusters of
    ``trials`` probes, under working independence: (tr B)^2 / tr(B^2) for the CR2 weight matrix of the
    mean, which in closed form is M^2 / (sum m^2 + ((sum w)^2 - sum w^2) / M^2) with w = m^2 / (1 - m / M);
    the number of clusters minus one when they are all of one size."""
    total = trials.sum()
    w = trials**2 / (1 - trials / total)
    return float(total**2 / ((trials**2).sum() + (w.sum() ** 2 - (w**2).sum()) / total**2))


def mean_ci(values: ArrayLike, bounds: tuple[float, float], seed: int) -> Effect:
    """The mean of per-instance values with the 95% interval that inverts the two-sided sign-flip test
    (``sign_flip_p`` with the same seed): the values mu at which the test of "centred at mu" does not
    reject. The interval excludes 0 exactly when the test rejects at 5%.

    Inverting the test needs no search (Hartigan 1969): flipping the signs of a subset F of the
    centred values does not lower their sum exactly when mean(x_F) <= mu, so the bounds are order
    statistics of the subset means of the sign patterns. Exact under symmetry about mu (every pattern
    up to EXACT_UP_TO instances); for skewed values it is the test's large-sample approximation.

    When every instance has the same value there is nothing to flip; the interval then comes from the
    exact binomial bound on the share of instances that could differ, each by at most the distance to
    ``bounds``.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return Effect(None, NO_INTERVAL, 0)
    mean = float(x.mean())
    if n == 1 or np.ptp(x) == 0:
        share = 1.0 - ((1 - CONFIDENCE) / 2) ** (1 / n)
        low, high = bounds
        return Effect(mean, (mean - share * (mean - low), mean + share * (high - mean)), n)
    flips = _SubsetMeans(x, seed)
    tail = (1 - CONFIDENCE) / 2
    return Effect(mean, (max(bounds[0], flips.lower(tail)), min(bounds[1], flips.upper(tail))), n)


class _SubsetMeans:
    """The sign-flip test of per-instance values as subset means: for each sign pattern, the mean of
    the values it flips (``always`` counts the patterns that flip none: their sum never drops).

    Exact (every pattern) up to EXACT_UP_TO values, else PERMUTATION_RESAMPLES random patterns from
    the seeded generator plus the observed one, unpacked in chunks of bounded size.
    """

    def __init__(self, x: np.ndarray, seed: int) -> None:
        n = len(x)
        if n <= EXACT_UP_TO:
            kept = np.array(np.meshgrid(*[[0.0, 1.0]] * n)).reshape(n, -1).T
            kept_sums, kept_counts, extra = kept @ x, kept.sum(axis=1), 0
        else:
            kept_sums, kept_counts, extra = *_kept_sums(x, seed), 1
        counts = n - kept_counts
        flipped = counts > 0
        # Rounded, so that subset means equal to mu in exact arithmetic compare equal to it.
        self.means = np.sort(np.round((x.sum() - kept_sums[flipped]) / counts[flipped], 12))
        self.always = int(np.count_nonzero(~flipped)) + extra
        self.total = len(kept_sums) + extra

    def p_greater(self, mu: float = 0.0) -> float:
        """P-value of "centred at mu" against "greater"."""
        return (self.always + int(np.searchsorted(self.means, round(mu, 12), side="right"))) / self.total

    def p_less(self, mu: float = 0.0) -> float:
        """P-value of "centred at mu" against "less"."""
        return (self.always + len(self.means) - int(np.searchsorted(self.means, round(mu, 12), side="left"))) / self.total

    def _rank(self, tail: float) -> int:
        """How many subset means lie at or below the lower bound at one-sided level ``tail``."""
        return math.floor(tail * self.total - self.always) + 1

    def lower(self, tail: float) -> float:
        """The smallest mu that the test against "greater" at level ``tail`` does not reject."""
        rank = self._rank(tail)
        return -math.inf if rank <= 0 else float(self.means[min(rank, len(self.means)) - 1])

    def upper(self, tail: float) -> float:
        """The largest mu that the test against "less" at level ``tail`` does not reject."""
        rank = self._rank(tail)
        return math.inf if rank <= 0 else float(self.means[max(len(self.means) - rank, 0)])


def sign_flip_p(values: ArrayLike, alternative: str, seed: int) -> float | None:
    """p-value of a sign-flip permutation test that the per-instance values are centred at zero.

    ``alternative`` is ``greater``, ``less`` or ``two-sided``. What it rejects exactly: that each
    instance's value is symmetric about zero (in particular, that the cue moves no instance at all);
    for values with mean zero but a skewed distribution it is a large-sample test of the mean (+1 for a
    fifth of the instances, -0.25 for the rest, n = 20-60: 5.2-7.3% rejected at 5% one way, 0.8-2.6%
    the other). Studentizing would not change it: under sign flips the sum of squares is fixed, so the
    t statistic is a monotone function of the sum. Exact (every sign pattern) for up to ``EXACT_UP_TO`` instances,
    else from random sign flips, counting the observed pattern, so the p-value is never below
    1/(resamples + 1). (Written on numpy: scipy's permutation_test is the same test but twenty times
    slower, and the simulations run it thousands of times.)
    """
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return None
    if not np.any(x):
        return 1.0
    flips = _SubsetMeans(x, seed)
    greater, less = flips.p_greater(), flips.p_less()
    p = {"greater": greater, "less": less, "two-sided": 2 * min(greater, less)}[alternative]
    return float(min(1.0, p))


def _kept_sums(x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of PERMUTATION_RESAMPLES random sign patterns (one bit per value from the seeded
    generator's bytes), the sum of the values whose sign is kept and how many are kept; unpacked in
    chunks of bounded size."""
    width = -(-len(x) // 8) * 8
    bits = np.frombuffer(np.random.default_rng(seed).bytes(PERMUTATION_RESAMPLES * width // 8), dtype=np.uint8)
    bits = bits.reshape(PERMUTATION_RESAMPLES, width // 8)
    rows = max(1, CHUNK_CELLS // width)
    sums, counts = [], []
    for start in range(0, len(bits), rows):
        kept = np.unpackbits(bits[start : start + rows], axis=1)[:, : len(x)]
        # einsum, not @: a BLAS call on this small product costs more in thread start-up than it saves.
        sums.append(np.einsum("ij,j->i", kept, x))
        counts.append(kept.sum(axis=1))
    return np.concatenate(sums), np.concatenate(counts)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted q-values, in the input order."""
    if not p_values:
        return []
    return [float(q) for q in stats.false_discovery_control(list(p_values), method="bh")]
