"""Intervals and tests (scipy): Wilson intervals, exact McNemar, Benjamini-Hochberg, mean CIs."""

from __future__ import annotations

import math
from typing import NamedTuple
from collections.abc import Sequence

from scipy import stats


class MeanEstimate(NamedTuple):
    """A mean with its confidence interval and the p-value of "the mean is 0"."""

    mean: float | None
    low: float | None
    high: float | None
    p_value: float | None


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


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> MeanEstimate:
    """Mean with a Student-t interval and the one-sample t-test p-value against 0.

    The interval and p are None below two values; a constant sample has a zero-width interval.
    """
    if not values:
        return MeanEstimate(None, None, None, None)
    mean = float(sum(values) / len(values))
    if len(values) < 2:
        return MeanEstimate(mean, None, None, None)
    if all(v == values[0] for v in values):
        return MeanEstimate(mean, mean, mean, 1.0 if mean == 0 else 0.0)
    result = stats.ttest_1samp(values, 0.0)
    ci = result.confidence_interval(confidence_level=confidence)
    return MeanEstimate(mean, _finite(ci.low), _finite(ci.high), _finite(result.pvalue))


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
