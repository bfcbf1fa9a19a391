"""Intervals and tests with the instance as the unit (scipy).

Every function takes one value (or one count) per instance: the two orders of a pair, and the several
probes of an instance, are never counted as separate observations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special, stats

from judgeaudit.stats.records import NO_INTERVAL, Effect, Interval, Rate

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
PERMUTATION_RESAMPLES = 9999
EXACT_UP_TO = 13
CHUNK_CELLS = 1 << 20
"""Resampling works on blocks of about this many cells (resamples x instances), so memory stays bounded."""


def wilson_interval(successes: float, n: float, confidence: float = CONFIDENCE) -> Interval:
    """Wilson score interval for a proportion (``n`` may be an effective, fractional size)."""
    if n <= 0:
        return (0.0, 1.0)
    z = float(special.ndtri(0.5 + confidence / 2))
    p = float(successes) / float(n)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def clustered_rate(events: Sequence[float], trials: Sequence[float]) -> Rate:
    """A share pooled over instances, with a Wilson interval at the instances' effective sample size.

    ``events[i]`` of ``trials[i]`` probes of instance i had the property. The effective size is
    p(1-p) over the cluster-robust variance of the pooled share, kept between the number of instances
    (probes of an instance all alike) and the number of probes (independent); when the share is 0 or 1
    the variance says nothing and the number of instances is used.
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
    n_eff = float(n)
    if 0 < p < 1 and n > 1:
        variance = n / (n - 1) * float(((e - p * m) ** 2).sum()) / total**2
        n_eff = float(total) if variance == 0 else min(float(total), max(float(n), p * (1 - p) / variance))
    return Rate(float(p), wilson_interval(p * n_eff, n_eff), n)


def mean_ci(values: Sequence[float], bounds: tuple[float, float], seed: int) -> Effect:
    """The mean of per-instance values with a BCa bootstrap 95% interval over instances (as
    ``scipy.stats.bootstrap`` computes it, in bounded memory and with the jackknife in closed form).

    When every instance has the same value the bootstrap has nothing to resample; the interval then
    comes from the exact binomial bound on the share of instances that could differ, each by at most
    the distance to ``bounds``.
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
    rng = np.random.default_rng(seed)
    tail = (1 - CONFIDENCE) / 2
    with np.errstate(all="ignore"):
        resampled = _bootstrap_means(x, rng)
        levels = _bca_levels(x, resampled, tail)
    if not np.all(np.isfinite(levels)):  # BCa undefined: the percentile interval of a fresh bootstrap
        resampled, levels = _bootstrap_means(x, rng), np.array([tail, 1 - tail])
    low, high = (float(v) for v in _quantile(resampled, levels))
    return Effect(mean, (low, high), n)


def _bootstrap_means(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The means of BOOTSTRAP_RESAMPLES resamples of ``x`` with replacement, drawn in chunks.

    The draws are those of one ``rng.integers(0, n, (resamples, n))``, as ``scipy.stats.bootstrap``
    makes them (a generator's stream does not depend on how a draw is split), so the intervals are
    scipy's, in bounded memory.
    """
    n = len(x)
    rows = max(1, CHUNK_CELLS // n)
    sizes = [min(rows, BOOTSTRAP_RESAMPLES - start) for start in range(0, BOOTSTRAP_RESAMPLES, rows)]
    return np.concatenate([x[rng.integers(0, n, size=(size, n))].mean(axis=-1) for size in sizes])


def _quantile(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles interpolated linearly between order statistics (Hyndman & Fan's type 7), with the
    arithmetic of ``scipy.stats.quantile``, which ``scipy.stats.bootstrap`` uses."""
    ordered = np.sort(values)
    position = levels * len(ordered) + (1 - levels)  # 1-based
    below = np.clip(position // 1 - 1, 0, len(ordered) - 1).astype(np.int64)
    above = np.clip(position // 1, 0, len(ordered) - 1).astype(np.int64)
    weight = position % 1
    return (1 - weight) * ordered[below] + weight * ordered[above]


def _bca_levels(x: np.ndarray, resampled: np.ndarray, tail: float) -> np.ndarray:
    """The bias-corrected and accelerated quantile levels of the interval (scipy's BCa, Efron &
    Tibshirani 14.3), with the jackknife means of the mean in closed form: (sum - x_i) / (n - 1)."""
    n = len(x)
    theta = x.mean()
    z0 = special.ndtri((np.count_nonzero(resampled < theta) + np.count_nonzero(resampled <= theta)) / (2 * len(resampled)))
    jackknife = (x.sum() - x) / (n - 1)
    spread = (n - 1) * (jackknife.mean() - jackknife)
    acceleration = 1 / 6 * (np.sum(spread**3) / n**3) / (np.sum(spread**2) / n**2) ** (3 / 2)
    z = np.array([special.ndtri(tail), -special.ndtri(tail)])
    return special.ndtr(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))


def sign_flip_p(values: Sequence[float], alternative: str, seed: int) -> float | None:
    """p-value of a sign-flip permutation test that the per-instance values are centred at zero.

    ``alternative`` is ``greater``, ``less`` or ``two-sided``. Exact (every sign pattern) for up to
    ``EXACT_UP_TO`` instances, else from random sign flips, counting the observed pattern, so the
    p-value is never below 1/(resamples + 1). (Written on numpy: scipy's permutation_test is the same
    test but twenty times slower, and the simulations run it thousands of times.)
    """
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return None
    if not np.any(x):
        return 1.0
    if len(x) <= EXACT_UP_TO:
        patterns = np.array(np.meshgrid(*[[-1.0, 1.0]] * len(x))).reshape(len(x), -1).T
        null = np.einsum("ij,j->i", patterns, x)
        observed, extra = float(x.sum()), 0
    else:
        null = 2.0 * _kept_sums(x, seed) - x.sum()
        observed, extra = float(x.sum()), 1
    tolerance = 1e-9 * max(1.0, float(np.abs(x).sum()))
    greater = (np.count_nonzero(null >= observed - tolerance) + extra) / (len(null) + extra)
    less = (np.count_nonzero(null <= observed + tolerance) + extra) / (len(null) + extra)
    p = {"greater": greater, "less": less, "two-sided": 2 * min(greater, less)}[alternative]
    return float(min(1.0, p))


def _kept_sums(x: np.ndarray, seed: int) -> np.ndarray:
    """For each of PERMUTATION_RESAMPLES random sign patterns (one bit per value from the seeded
    generator's bytes), the sum of the values whose sign is kept; unpacked in chunks of bounded size."""
    width = -(-len(x) // 8) * 8
    bits = np.frombuffer(np.random.default_rng(seed).bytes(PERMUTATION_RESAMPLES * width // 8), dtype=np.uint8)
    bits = bits.reshape(PERMUTATION_RESAMPLES, width // 8)
    rows = max(1, CHUNK_CELLS // width)
    # einsum, not @: a BLAS call on this small product costs more in thread start-up than it saves.
    return np.concatenate(
        [np.einsum("ij,j->i", np.unpackbits(bits[start : start + rows], axis=1)[:, : len(x)], x) for start in range(0, len(bits), rows)]
    )


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` and ``c``."""
    if b + c == 0:
        return 1.0
    return float(stats.binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted q-values, in the input order."""
    if not p_values:
        return []
    return [float(q) for q in stats.false_discovery_control(list(p_values), method="bh")]
