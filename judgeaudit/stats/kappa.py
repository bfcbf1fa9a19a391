"""Chance-corrected agreement as vectorized bootstrap statistics: Cohen's kappa from per-instance
confusion tables and Krippendorff's alpha (nominal) from per-instance coincidence tables.

Both figures are functions of a sum of per-instance 3 x 3 tables (flattened row by row), so a bootstrap
resample, instance positions on the last axis and resamples on any leading axes, only sums the tables of
the instances it draws.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from judgeaudit.stats.inference import CONFIDENCE
from judgeaudit.stats.records import Estimate, Interval
from judgeaudit.stats.resampling import IndexStatistic, instance_bootstrap, instance_counts

CLASSES = 3


def summed(tables: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The per-instance tables (n, k) summed over the instances each resample draws: positions (..., m) -> (..., k)."""
    return instance_counts(positions, len(tables)) @ tables


def cohens_kappa(tables: np.ndarray) -> np.ndarray:
    """Cohen's kappa of 3 x 3 tables (..., 9): rows the reference, columns the rater. NaN where chance
    agreement is certain (both always give the same one class) or the table is empty."""
    t = tables.reshape(*tables.shape[:-1], CLASSES, CLASSES).astype(float)
    total = t.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.trace(t, axis1=-2, axis2=-1) / total
        chance = (t.sum(axis=-1) * t.sum(axis=-2)).sum(axis=-1) / total**2
        return np.where(chance < 1, (observed - chance) / (1 - chance), np.nan)


def coincidences(value_counts: ArrayLike) -> np.ndarray:
    """Per unit, Krippendorff's coincidence table (flattened 3 x 3) from how many coders gave each value:
    every ordered pair of values from two different coders, weighted 1 / (m - 1) for a unit with m values;
    a unit with fewer than two values adds nothing."""
    counts = np.asarray(value_counts, dtype=float).reshape(-1, CLASSES)
    m = counts.sum(axis=1)
    pairs = counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(CLASSES)
    weight = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1.0), 0.0)
    return (pairs * weight[:, None, None]).reshape(len(counts), CLASSES * CLASSES)


def krippendorff_alpha(coincidence: np.ndarray) -> np.ndarray:
    """Nominal alpha of summed coincidence tables (..., 9): one minus observed over expected disagreement,
    1 - (n - 1) * off-diagonal / (n^2 - sum of n_c^2). NaN where every value given is the same."""
    o = coincidence.reshape(*coincidence.shape[:-1], CLASSES, CLASSES)
    per_value = o.sum(axis=-1)
    n = per_value.sum(axis=-1)
    disagreeing = n - np.trace(o, axis1=-2, axis2=-1)
    expected = n**2 - (per_value**2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1.0 - (n - 1) * disagreeing / expected, np.nan)


def kappa_statistic(tables: ArrayLike) -> IndexStatistic:
    """Cohen's kappa of the drawn instances' confusion tables, for ``instance_bootstrap``."""
    t = np.asarray(tables, dtype=float).reshape(-1, CLASSES * CLASSES)
    return lambda positions: cohens_kappa(summed(t, positions))


def alpha_statistic(tables: ArrayLike) -> IndexStatistic:
    """Krippendorff's alpha of the drawn units' coincidence tables, for ``instance_bootstrap``."""
    t = np.asarray(tables, dtype=float).reshape(-1, CLASSES * CLASSES)
    return lambda positions: krippendorff_alpha(summed(t, positions))


def kappa_estimate(tables: ArrayLike, seed: int, confidence: float = CONFIDENCE) -> Estimate:
    """Cohen's kappa over per-instance confusion tables with its bootstrap interval over instances."""
    return instance_bootstrap(kappa_statistic(tables), len(np.asarray(tables).reshape(-1, CLASSES * CLASSES)), seed, confidence)


def alpha_estimate(tables: ArrayLike, seed: int, confidence: float = CONFIDENCE) -> Estimate:
    """Krippendorff's alpha over per-unit coincidence tables with its bootstrap interval over units."""
    return instance_bootstrap(alpha_statistic(tables), len(np.asarray(tables).reshape(-1, CLASSES * CLASSES)), seed, confidence)


def kappa_bounds(confusions: ArrayLike, confidence: float, seed: int) -> Interval:
    """One-sided bounds at ``confidence`` on kappa from per-instance tables (``AgreementEvidence``): the
    two-sided bootstrap interval at 2 * confidence - 1."""
    tables = np.asarray(confusions, dtype=float).reshape(-1, CLASSES * CLASSES)
    return instance_bootstrap(kappa_statistic(tables), len(tables), seed, 2 * confidence - 1).ci
