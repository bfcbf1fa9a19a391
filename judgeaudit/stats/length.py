"""The judge's observational length bias: its preference regressed on the length difference.

AlpacaEval's length-controlled idea, on the unchanged pairs: per instance, y is the preference for
the better response (averaged over the two orders) and x = tanh(Δ / sd(Δ)), with Δ the better
response's length minus the worse one's, in words. The least-squares slope says how far a length
advantage moves the preference beyond what the pair's quality does; the intercept is the
length-controlled preference (the expected preference at equal length). Observational, not
injected: longer responses may also be better, which is why the injected verbosity test stands
beside it. Intervals are percentile bootstraps over instances (resampling the pairs), the slope's
p-value a permutation test of the pairing (scipy; its normal limit beyond PERMUTED_UP_TO instances).
Where one prompt gave several pairs (``stats.units``), the bootstrap draws prompt groups, keeping each
one's pairs together, and the slope's p-value flips the signs of whole groups' scores (the wild cluster
score bootstrap): reshuffling pairs across prompts would treat pairs that share a prompt as independent,
and a Wald test with clustered standard errors rejected 6-8% of true nulls at 5% with 10-40 groups of 3
pairs and 28% with 3 large groups among 10; this test 5.3-6.3% and 6.4% (2,000 simulated samples each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from judgeaudit.schema import CONTROL, Judgment, Probe
from judgeaudit.stats.inference import BOOTSTRAP_RESAMPLES, CHUNK_CELLS, CONFIDENCE, PERMUTATION_RESAMPLES, sign_flip_p
from judgeaudit.stats.records import Interval
from judgeaudit.stats.resampling import instance_counts
from judgeaudit.stats.units import EACH_INSTANCE, Units

PERMUTED_UP_TO = 2000
"""Up to this many instances the slope's p-value counts PERMUTATION_RESAMPLES reshuffles of the
pairing. Beyond, it is the reshuffling distribution's normal limit: under reshuffling, the correlation
has mean 0 and variance exactly 1 / (n - 1), and at that size the limit is nearer the exact p-value
than the reshuffles' Monte Carlo error, in no time (reshuffling 2,000 instances took 0.8 s here,
25,000 took 8.2 s)."""


@dataclass(frozen=True)
class LengthView:
    """How the preference follows the length difference on the unchanged pairs."""

    n_instances: int
    mean_length_difference_words: float
    sd_length_difference_words: float
    slope: float
    slope_ci: Interval
    slope_p: float
    raw_preference: float
    length_controlled_preference: float
    length_controlled_ci: Interval


def _fit(x: np.ndarray, y: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept along ``axis`` (vectorised for the resampling)."""
    mx, my = x.mean(axis=axis, keepdims=True), y.mean(axis=axis, keepdims=True)
    dx = x - mx
    slope = (dx * (y - my)).sum(axis=axis) / (dx**2).sum(axis=axis)
    return slope, my.squeeze(axis) - slope * mx.squeeze(axis)


def _bootstrap_fits(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, rows: int) -> np.ndarray:
    """(slope, intercept) of each bootstrap resample of the pairs, ``rows`` resamples at a time (the
    draws of one (resamples x instances) call: a generator's stream does not depend on the split)."""
    fits = []
    for start in range(0, BOOTSTRAP_RESAMPLES, rows):
        picks = rng.integers(0, len(x), size=(min(rows, BOOTSTRAP_RESAMPLES - start), len(x)))
        fits.append(np.stack(_fit(x[picks], y[picks]), axis=1))
    return np.concatenate(fits)


def _clustered_fits(x: np.ndarray, y: np.ndarray, unit: np.ndarray, rng: np.random.Generator, rows: int) -> np.ndarray:
    """(slope, intercept) of each bootstrap resample of the units (``unit``: each pair's unit position),
    each pair weighted by how often its unit is drawn, ``rows`` resamples at a time."""
    size = int(unit.max()) + 1
    fits = []
    for start in range(0, BOOTSTRAP_RESAMPLES, rows):
        picks = rng.integers(0, size, size=(min(rows, BOOTSTRAP_RESAMPLES - start), size))
        weights = instance_counts(picks, size)[:, unit]
        total = weights.sum(axis=1, keepdims=True)
        mx, my = (weights @ x)[:, None] / total, (weights @ y)[:, None] / total
        dx = x - mx
        slope = (weights * dx * (y - my)).sum(axis=1) / (weights * dx**2).sum(axis=1)
        fits.append(np.stack([slope, my[:, 0] - slope * mx[:, 0]], axis=1))
    return np.concatenate(fits)


def _clustered_slope_p(x: np.ndarray, y: np.ndarray, unit: np.ndarray, seed: int) -> float:
    """Two-sided p-value of the least-squares slope with the units as clusters: the wild cluster score
    bootstrap with the null imposed (Kline & Santos 2012, as ``stats.needle`` tests its regression).
    With no slope the fit is y's mean; each unit's score is the sum over its pairs of (x - mean x)(y -
    mean y), and flipping the signs of whole units gives the null distribution of their total
    (``sign_flip_p``: every pattern up to 13 units)."""
    scores = np.bincount(unit, weights=(x - x.mean()) * (y - y.mean()))
    return sign_flip_p(scores, "two-sided", seed) or 1.0


def slope_p(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, batch: int) -> float:
    """Two-sided p-value of the least-squares slope against independence of x and y (see PERMUTED_UP_TO)."""
    if len(x) <= PERMUTED_UP_TO:
        permuted = stats.permutation_test(
            (x, y), lambda a, b, axis=-1: _fit(a, b, axis)[0], permutation_type="pairings", vectorized=True,
            n_resamples=PERMUTATION_RESAMPLES, batch=batch, alternative="two-sided", random_state=rng,
        )
        return float(permuted.pvalue)
    if np.ptp(y) == 0:
        return 1.0  # every pairing has the same (zero) slope
    r = float(np.corrcoef(x, y)[0, 1])
    return float(min(1.0, 2 * special.ndtr(-abs(r) * math.sqrt(len(x) - 1))))


def length_view(
    rows: list[tuple[Probe, Judgment]], frame: pd.DataFrame, min_instances: int, seed: int, units: Units = EACH_INSTANCE
) -> LengthView | None:
    """The regression over the control pairs scored in both orders; None where lengths do not vary
    or fewer than ``min_instances`` units are scored."""
    words = {}
    for probe, _ in rows:
        if probe.condition == CONTROL and probe.bias is None and probe.instance_id not in words:
            better, worse = (probe.response_a, probe.response_b) if probe.correct == "A" else (probe.response_b, probe.response_a)
            words[probe.instance_id] = len(better.split()) - len(worse.split())
    control = frame[(frame["condition"] == CONTROL) & (frame["state"] == "scored") & (frame["bias"] == "*")]
    both = control.groupby("instance_id")["verdict"].agg(["mean", "size"])
    both = both[both["size"] == 2]
    delta = pd.Series(words).reindex(both.index).astype(float)
    unit, keys = units.codes(both.index)
    if len(keys) < min_instances or delta.std() == 0:
        return None
    x, y = np.tanh(delta / delta.std()).to_numpy(), both["mean"].astype(float).to_numpy()
    if np.ptp(x) == 0:
        return None
    slope, intercept = (float(v) for v in _fit(x, y))
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK_CELLS // len(x))
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample with one length has no slope
        resampled = _clustered_fits(x, y, unit, rng, per_chunk) if units.grouped else _bootstrap_fits(x, y, rng, per_chunk)
    resampled = resampled[np.isfinite(resampled).all(axis=1)]
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(resampled, tail, axis=0), np.percentile(resampled, 100 - tail, axis=0)
    return LengthView(
        n_instances=len(x),
        mean_length_difference_words=float(delta.mean()),
        sd_length_difference_words=float(delta.std()),
        slope=slope,
        slope_ci=(float(low[0]), float(high[0])),
        slope_p=_clustered_slope_p(x, y, unit, seed) if units.grouped else slope_p(x, y, rng, per_chunk),
        raw_preference=float(y.mean()),
        length_controlled_preference=intercept,
        length_controlled_ci=(float(low[1]), float(high[1])),
    )
