"""The betting confidence sequence (judgeaudit.stats.confseq), checked by simulation through the real code."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from judgeaudit.stats.confseq import MeanBounds, _plug_in_bets, crossing_times, mean_bounds, running_bounds

ALPHA = 0.05
SIMS, LENGTH = 500, 200

Sampler = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]

# name: (sampler on [-1, 1], true mean)
DISTRIBUTIONS: dict[str, tuple[Sampler, float]] = {
    "point mass with rare +-1": (lambda rng, size: rng.choice([0.0, 1.0, -1.0], p=[0.97, 0.01, 0.02], size=size), -0.01),
    "three-point": (lambda rng, size: rng.choice([-0.5, 0.0, 0.5], size=size), 0.0),
    "skewed beta": (lambda rng, size: -1 + 2 * rng.beta(0.5, 3.0, size=size), -1 + 2 * 0.5 / 3.5),
    "fair coin on +-1": (lambda rng, size: rng.choice([-1.0, 1.0], size=size), 0.0),
}


def allowance(p: float) -> float:
    """Three Monte-Carlo standard errors of a rate p estimated from SIMS sequences."""
    return 3 * math.sqrt(p * (1 - p) / SIMS)


def first_crossing(bounds: list[MeanBounds], threshold: float, side: str) -> int:
    """The first n at which the lower bound exceeds (upper bound falls below) threshold; 0 if never."""
    passed = (b.n for b in bounds if (b.lower > threshold if side == "lower" else b.upper < threshold))
    return next(passed, 0)


def beta_on_pm1(rng: np.random.Generator, mean: float, sd: float, size: tuple[int, ...]) -> np.ndarray:
    """Values on [-1, 1] with the given mean and SD: a rescaled Beta."""
    mu, var = (mean + 1) / 2, (sd / 2) ** 2
    total = mu * (1 - mu) / var - 1
    return -1 + 2 * rng.beta(mu * total, (1 - mu) * total, size=size)


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_anytime_coverage(name: str) -> None:
    sampler, mean = DISTRIBUTIONS[name]
    samples = sampler(np.random.default_rng(20240), (SIMS, LENGTH))
    # The true mean is ever below lower (above upper) exactly when the running bound crosses it.
    below = crossing_times(samples, -1, 1, ALPHA, mean, "lower") > 0
    above = crossing_times(samples, -1, 1, ALPHA, mean, "upper") > 0
    assert below.mean() <= ALPHA + allowance(ALPHA)
    assert above.mean() <= ALPHA + allowance(ALPHA)
    assert (below | above).mean() <= 2 * ALPHA + allowance(2 * ALPHA)
    for row, low_miss, high_miss in zip(samples[:20], below, above, strict=False):  # the same verdicts from the bounds
        final = mean_bounds(row, -1, 1, ALPHA)
        assert (final.lower > mean, final.upper < mean) == (low_miss, high_miss)


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_running_intersection(name: str) -> None:
    sampler, mean = DISTRIBUTIONS[name]
    rng = np.random.default_rng(7)
    rows = [*sampler(rng, (5, 300)), np.zeros(50), np.ones(50), -np.ones(50), np.array([1.0, -1.0] * 40)]
    for row in rows:
        bounds = running_bounds(row, -1, 1, ALPHA)
        lower = np.array([b.lower for b in bounds])
        upper = np.array([b.upper for b in bounds])
        assert [b.n for b in bounds] == list(range(1, len(row) + 1))
        assert np.all(np.diff(lower) >= 0) and np.all(np.diff(upper) <= 0)
        assert np.all(lower <= upper)
        assert np.all((-1 <= lower) & (upper <= 1))
        assert mean_bounds(row, -1, 1, ALPHA) == bounds[-1]
    assert mean_bounds([], -1, 1, ALPHA) == MeanBounds(-1.0, 1.0, 0)
    assert running_bounds([], -1, 1, ALPHA) == []


def test_lower_bound_passes_threshold_quickly_with_moderate_variance() -> None:
    samples = beta_on_pm1(np.random.default_rng(11), 0.5, 0.3, (SIMS, 100))
    times = crossing_times(samples, -1, 1, ALPHA, 0.1, "lower")
    assert np.mean(times > 0) >= 0.9
    assert np.median(times[times > 0]) <= 40  # about 19 observed


def test_all_zero_values_give_tight_bounds() -> None:
    bounds = running_bounds(np.zeros(200), -1, 1, ALPHA)
    assert first_crossing(bounds, 0.1, "upper") <= 60  # 57 observed
    assert first_crossing(bounds, -0.1, "lower") <= 60
    assert bounds[-1].upper <= 0.05 and bounds[-1].lower >= -0.05  # +-0.03 observed
    # A fair coin on the same range has far wider bounds: the width adapts to the variance.
    coin = mean_bounds(np.random.default_rng(3).choice([-1.0, 1.0], size=200), -1, 1, ALPHA)
    assert coin.upper - coin.lower > 5 * (bounds[-1].upper - bounds[-1].lower)


@pytest.mark.parametrize(("low", "high", "grid"), [(-1.0, 1.0, 1001), (0.0, 10.0, 101)])
def test_crossing_times_agree_with_running_bounds(low: float, high: float, grid: int) -> None:
    rng = np.random.default_rng(5)
    unit = np.clip(rng.normal(0.6, 0.2, size=(30, 150)), 0, 1)
    samples = low + (high - low) * unit
    bounds = [running_bounds(row, low, high, ALPHA, grid) for row in samples]
    grid_point = float(np.linspace(low, high, grid)[round(0.55 * (grid - 1))])  # exactly on the grid
    cases = {
        "lower": [low, low + (high - low) * 0.45, low + (high - low) * 0.5123, grid_point, high],
        "upper": [low, high - (high - low) * 0.3, high - (high - low) * 0.3321, grid_point, high],
    }
    crossed_somewhere = never_somewhere = False
    for side, thresholds in cases.items():
        for threshold in thresholds:
            expected = [first_crossing(b, threshold, side) for b in bounds]
            got = crossing_times(samples, low, high, ALPHA, threshold, side, grid)  # type: ignore[arg-type]
            assert got.tolist() == expected, (side, threshold)
            crossed_somewhere |= any(expected)
            never_somewhere |= not all(expected)
    assert crossed_somewhere and never_somewhere


def test_bets_are_predictable() -> None:
    x = np.random.default_rng(2).uniform(size=(50, 1))
    changed = x.copy()
    changed[20:] = 1 - changed[20:]
    assert np.array_equal(_plug_in_bets(x, ALPHA)[:21], _plug_in_bets(changed, ALPHA)[:21])
    assert not np.array_equal(_plug_in_bets(x, ALPHA)[21], _plug_in_bets(changed, ALPHA)[21])


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError):
        mean_bounds([0.0, 1.1], -1, 1, ALPHA)
    with pytest.raises(ValueError):
        mean_bounds([0.0, math.nan], -1, 1, ALPHA)
    for alpha in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            mean_bounds([0.0], -1, 1, alpha)
        with pytest.raises(ValueError):
            crossing_times(np.zeros((2, 3)), -1, 1, alpha, 0.0, "lower")
    with pytest.raises(ValueError):
        crossing_times(np.full((2, 3), -1.5), -1, 1, ALPHA, 0.0, "lower")
    with pytest.raises(ValueError):
        crossing_times(np.zeros((2, 3)), -1, 1, ALPHA, 1.5, "upper")
    with pytest.raises(ValueError):
        crossing_times(np.zeros((2, 3)), -1, 1, ALPHA, 0.0, "both")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        crossing_times(np.zeros(3), -1, 1, ALPHA, 0.0, "lower")
    with pytest.raises(ValueError):
        running_bounds(np.zeros((2, 3)), -1, 1, ALPHA)
    assert mean_bounds([1 + 1e-10, -1 - 1e-10], -1, 1, ALPHA).n == 2  # within the rounding tolerance
