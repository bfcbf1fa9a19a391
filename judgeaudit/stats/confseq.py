"""Anytime-valid bounds on the mean of bounded i.i.d. values, by betting.

The hedged-capital confidence sequence of Waudby-Smith & Ramdas, "Estimating means of bounded random
variables by betting", JRSS-B 86(1), 2024 (online 2023; arXiv:2010.09686), with the predictable
plug-in bet (PrPl). Values in [low, high] are rescaled to x in [0, 1]. For a candidate mean m,

    K+_t(m) = prod_{i<=t} (1 + min(lam_i, c/m) (x_i - m))        bets that the mean is above m
    K-_t(m) = prod_{i<=t} (1 - min(lam_i, c/(1-m)) (x_i - m))    bets that the mean is below m

are nonnegative martingales when m is the true mean, so by Ville's inequality each reaches 1/alpha
at some time with probability at most alpha. A candidate is excluded from below once K+ has reached
1/alpha and from above once K- has (the running intersection). Each one-sided bound is valid at level
alpha uniformly over time, whatever the distribution on [low, high]; the interval [lower, upper] is
valid at level 1 - 2*alpha (it is the paper's hedged set with theta = 1/2 at level 2*alpha).

K+ falls and K- rises as m grows, so the excluded candidates form [0, a) from below and (b, 1] from
above. Candidates are checked on a grid of ``grid`` evenly spaced points; the reported lower bound is
the largest grid point excluded from below (low if none), the upper bound the smallest grid point
excluded from above (high if none). Rounding outward this way keeps the guarantee exact: the true
mean lies below ``lower`` only if it was excluded. Were lower ever above upper (an empty set, not
seen in simulation), one of the bounds would already have failed. Time and memory are O(n * grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

TRUNCATION = 0.5  # c: a bet never risks more than this fraction of the capital
TOLERANCE = 1e-9  # how far outside [low, high] a value may lie (rounding), before clipping

Side = Literal["lower", "upper"]
"""Which bound of a confidence sequence crosses a threshold."""


@dataclass(frozen=True)
class MeanBounds:
    """One-sided anytime-valid bounds on the mean after n values."""

    lower: float
    """P(the true mean < lower at ANY n) <= alpha."""
    upper: float
    """P(the true mean > upper at ANY n) <= alpha."""
    n: int


def running_bounds(values: ArrayLike, low: float, high: float, alpha: float, grid: int = 1001) -> list[MeanBounds]:
    """Bounds after each prefix 1..n of ``values`` (in the given order), each one-sided at level alpha,
    as the running intersection: lower never decreases, upper never increases."""
    x = _unit_values(values, low, high, alpha, grid)
    if x.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if x.size == 0:
        return []
    points = np.linspace(low, high, grid)
    candidates = np.linspace(0.0, 1.0, grid)
    x = x[:, None]
    bets = _plug_in_bets(x, alpha)
    threshold = np.log(1 / alpha)
    excluded_below = np.logical_or.accumulate(_log_capital(x, bets, candidates, 1) >= threshold, axis=0)
    excluded_above = np.logical_or.accumulate(_log_capital(x, bets, candidates, -1) >= threshold, axis=0)
    lower = np.maximum(excluded_below.sum(axis=1) - 1, 0)
    upper = np.minimum(grid - excluded_above.sum(axis=1), grid - 1)
    return [MeanBounds(float(points[i]), float(points[j]), t + 1) for t, (i, j) in enumerate(zip(lower, upper, strict=True))]


def mean_bounds(values: ArrayLike, low: float, high: float, alpha: float, grid: int = 1001) -> MeanBounds:
    """The bounds after all values: the last of ``running_bounds`` (lower=low, upper=high for no values)."""
    bounds = running_bounds(values, low, high, alpha, grid)
    return bounds[-1] if bounds else MeanBounds(float(low), float(high), 0)


def crossing_times(
    samples: ArrayLike,
    low: float,
    high: float,
    alpha: float,
    threshold: float,
    side: Side,
    grid: int = 1001,
) -> NDArray[np.int64]:
    """Per row of ``samples`` (simulations x n): the first n (1-based) at which ``running_bounds`` of that
    row has lower > threshold (side="lower") or upper < threshold (side="upper"); 0 if never.

    The bounds are grid points, so this is the first n at which the first grid point beyond the
    threshold is excluded; only that one candidate's capital is computed."""
    x = _unit_values(samples, low, high, alpha, grid)
    if x.ndim != 2:
        raise ValueError("samples must be two-dimensional (simulations x n)")
    if not low <= threshold <= high:
        raise ValueError(f"threshold must lie in [{low}, {high}], got {threshold}")
    points = np.linspace(low, high, grid)
    if side == "lower":
        index, direction = int(np.searchsorted(points, threshold, side="right")), 1
    elif side == "upper":
        index, direction = int(np.searchsorted(points, threshold, side="left")) - 1, -1
    else:
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    times = np.zeros(x.shape[0], dtype=np.int64)
    if not 0 <= index < grid or x.shape[1] == 0:
        return times
    x = np.ascontiguousarray(x.T)
    candidate = np.linspace(0.0, 1.0, grid)[index]
    hit = _log_capital(x, _plug_in_bets(x, alpha), candidate, direction) >= np.log(1 / alpha)
    crossed = hit.any(axis=0)
    times[crossed] = hit.argmax(axis=0)[crossed] + 1
    return times


def _unit_values(values: ArrayLike, low: float, high: float, alpha: float, grid: int) -> NDArray[np.float64]:
    """Check the arguments; the values rescaled from [low, high] to [0, 1]."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not low < high:
        raise ValueError(f"need low < high, got [{low}, {high}]")
    if grid < 2:
        raise ValueError(f"grid must have at least 2 points, got {grid}")
    x = np.asarray(values, dtype=float)
    if not np.all((x >= low - TOLERANCE) & (x <= high + TOLERANCE)):
        raise ValueError(f"values must lie in [{low}, {high}]")
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def _plug_in_bets(x: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """The PrPl bets lam_t = sqrt(2 log(1/alpha) / (sigma2_{t-1} t log(1 + t))) along axis 0 (time),
    with sigma2_t = (1/4 + sum_{i<=t} (x_i - mu_i)^2) / (t + 1), mu_t = (1/2 + sum_{i<=t} x_i) / (t + 1):
    lam_t depends on x_1..x_{t-1} only."""
    t = np.arange(1.0, x.shape[0] + 1)[:, None]
    mean = (0.5 + np.cumsum(x, axis=0)) / (t + 1)
    variance = (0.25 + np.cumsum((x - mean) ** 2, axis=0)) / (t + 1)
    previous = np.vstack([np.full((1, x.shape[1]), 0.25), variance[:-1]])
    return np.sqrt(2 * np.log(1 / alpha) / (previous * t * np.log1p(t)))


def _log_capital(
    x: NDArray[np.float64], bets: NDArray[np.float64], candidates: NDArray[np.float64] | float, direction: int
) -> NDArray[np.float64]:
    """log K+_t (direction 1) or log K-_t (direction -1) over time (axis 0), broadcast over candidates."""
    room = candidates if direction == 1 else 1.0 - candidates
    with np.errstate(divide="ignore"):
        bets = np.minimum(bets, TRUNCATION / room)
    return np.cumsum(np.log1p(direction * bets * (x - candidates)), axis=0)
