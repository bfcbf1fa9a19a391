"""Intervals and tests (scipy): Wilson intervals, exact McNemar, Benjamini-Hochberg, mean CIs."""

from __future__ import annotations

import math
from typing import Sequence

from scipy import stats


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when there is no data."""
    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


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


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) with a Student-t interval; the interval is None below two values."""
    if not values:
        return (None, None, None)
    mean = float(sum(values) / len(values))
    if len(values) < 2:
        return (mean, None, None)
    if all(v == values[0] for v in values):
        return (mean, mean, mean)
    ci = stats.ttest_1samp(values, 0.0).confidence_interval(confidence_level=confidence)
    low, high = float(ci.low), float(ci.high)
    return (mean, None if math.isnan(low) else low, None if math.isnan(high) else high)
