"""Bootstrap intervals over instances (scipy), for statistics with no honest closed form (kappa, alpha,
calibration error, rank correlations).

The instance is the unit: a resample draws instances with replacement and keeps everything of each one
(both orders, every annotation, both responses) together.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy import stats

from judgeaudit.stats.inference import BOOTSTRAP_RESAMPLES, CHUNK_CELLS, CONFIDENCE
from judgeaudit.stats.records import NO_INTERVAL, Estimate

IndexStatistic = Callable[[np.ndarray], np.ndarray]
"""Takes an integer array of instance positions with the instances on the last axis (any leading axes
are resamples) and returns the statistic for each resample (NaN where it is undefined)."""


BCA_UP_TO = 2000
"""BCa's jackknife evaluates the statistic once per instance left out (n^2 work); above this many
instances the percentile interval is used, which BCa's corrections approach as n grows."""


def instance_counts(positions: np.ndarray, n: int) -> np.ndarray:
    """How often each of ``n`` instances is drawn in each resample: ``(..., n)`` from positions ``(..., k)``,
    so that a statistic over resamples is these counts times a per-instance table."""
    flat = positions.reshape(-1, positions.shape[-1])
    offsets = np.arange(len(flat))[:, None] * n
    counts = np.bincount((flat + offsets).ravel(), minlength=len(flat) * n)
    return counts.reshape(*positions.shape[:-1], n).astype(float)


def instance_bootstrap(statistic: IndexStatistic, n: int, seed: int, confidence: float = CONFIDENCE) -> Estimate:
    """The statistic on all ``n`` instances with its BCa bootstrap interval over instances (percentile
    above ``BCA_UP_TO`` instances); resamples are evaluated in blocks of bounded memory.

    Falls back to the percentile interval where BCa is undefined (every jackknife value alike), and to no
    interval where the statistic itself is undefined or there are fewer than two instances.
    """
    if n == 0:
        return Estimate(None, NO_INTERVAL, 0)
    everyone = np.arange(n)
    value = float(statistic(everyone))
    if not np.isfinite(value):
        return Estimate(None, NO_INTERVAL, n)
    if n < 2:
        return Estimate(value, NO_INTERVAL, n)
    for method in ("BCa", "percentile") if n <= BCA_UP_TO else ("percentile",):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                (everyone,), _nan_safe(statistic), vectorized=True, n_resamples=BOOTSTRAP_RESAMPLES,
                confidence_level=confidence, method=method, rng=np.random.default_rng(seed), batch=max(1, CHUNK_CELLS // n),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if np.isfinite(low) and np.isfinite(high):
            return Estimate(value, (low, high), n)
    return Estimate(value, NO_INTERVAL, n)


def _nan_safe(statistic: IndexStatistic) -> Callable[..., np.ndarray]:
    """scipy's calling convention (``axis``), with indices cast back to integers."""

    def call(positions: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(statistic(np.moveaxis(positions, axis, -1).astype(int)), dtype=float)

    return call
