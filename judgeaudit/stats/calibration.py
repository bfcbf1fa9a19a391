"""Is the judge's probability right as often as it says? Calibration on the unchanged pairs, as shown.

Each scored control probe with a probability gives P(A) (the chosen response shown first: the judge's
probability for the chosen one; shown second: one minus it) and whether A is right by the gold label;
instances with a gold tie or no gold label are left out. The expected calibration error (ECE) is over
equal-width bins, the Brier score is the mean squared error. Both are given again after a logistic
recalibration y ~ a + b * logit(P(A)) cross-fitted over units: fitted on the other folds and applied to
the held-out one, so a judge is never credited with a fit to its own noise. A reward model's P(A) is
sigmoid(score difference), a convention that depends on the score's units; the recalibrated figures do
not, so they are the ones decided on.

The unit (``stats.units``: the instance, or the prompt group where one prompt gave several instances) is
the observation of every interval and of the folds: a unit's probes, both orders of each of its
instances, are held out and resampled together. The recalibration maps are fitted once; the bootstrap
resamples their held-out predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from judgeaudit.stats.inference import BOOTSTRAP_RESAMPLES, CHUNK_CELLS
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.records import NO_INTERVAL, Calibration, Estimate, Interval, ReliabilityBin
from judgeaudit.stats.resampling import IndexStatistic, instance_bootstrap, instance_counts
from judgeaudit.stats.units import Units

PROBABILITIES = "probabilities"
SCORE_DIFFERENCES = "score differences"
BINS = 10
FOLDS = 5
CLIP = 1e-6
"""Probabilities are kept this far from 0 and 1 before their logit is taken."""
PRIOR_SD = 10.0
"""The recalibration's weak normal prior on its intercept and on its slope per standard deviation of the
logits: the fit stays finite where the classes separate or only one is present."""


@dataclass(frozen=True)
class _Shown:
    """The scored control probes with a probability, as shown, in instance order."""

    unit: np.ndarray
    """Each probe's unit position among the used instances' units (in order of first appearance)."""
    p: np.ndarray
    """P(A)."""
    logit: np.ndarray
    """logit P(A); for reward scores the score difference itself, which no float saturates."""
    y: np.ndarray
    """1 where A is right, else 0."""
    n_units: int


def calibration(judged: Sequence[JudgedInstance], source: str, seed: int, bins: int = BINS, folds: int = FOLDS) -> tuple[Calibration | None, list[list[float]]]:
    """The judge's calibration against gold, and per probe the evidence a certificate bounds it from:
    ``[unit position, P(A), cross-fitted recalibrated P(A), y]``. None with fewer than two units."""
    probes, used = _as_shown(judged, source)
    if probes.n_units < 2:
        return None, []
    folds = min(folds, probes.n_units)
    recalibrated = _cross_fitted(probes, folds, seed)
    raw_ece, raw_brier = _errors(probes, probes.p, bins, seed)
    ece, brier = _errors(probes, recalibrated, bins, seed)
    record = Calibration(
        source=source,
        target="human majority" if all(instance.gold_source == "human majority" for instance in used) else "gold",
        n_instances=len(used),
        n_probes=len(probes.p),
        ece=raw_ece,
        brier=raw_brier,
        bins=reliability_bins(probes.p, probes.y, bins),
        recalibrated_ece=ece,
        recalibrated_brier=brier,
        recalibrated_bins=reliability_bins(recalibrated, probes.y, bins),
        folds=folds,
        decided_on="recalibrated_ece" if source == SCORE_DIFFERENCES else "ece",
    )
    evidence = np.column_stack([probes.unit, probes.p, recalibrated, probes.y]).tolist()
    return record, evidence


def ece_bounds(points: Sequence[Sequence[float]], confidence: float, seed: int, recalibrated: bool, bins: int = BINS) -> Interval:
    """The ECE bounded one-sided at ``confidence`` below and above, from the evidence ``calibration``
    returns, each bound by its own bootstrap over units (``BOOTSTRAP_RESAMPLES`` resamples).

    The binned ECE is biased upward (|.| of a bin's noise), and a bootstrap resample adds that noise
    again, so a bias-corrected interval (BCa, basic) moves its upper end down by more than the bias it
    corrects: BCa's one-sided 95% upper bound covered the true ECE of an over-confident judge in only
    0.84-0.89 of simulated runs of 200 instances. The upper bound here is the measured ECE plus z times
    the bootstrap standard deviation: its upward bias is kept, not subtracted (0.94-0.98 at 200-1,000
    instances). The lower bound, which only a FAIL reads, is the basic bootstrap's, 2 ECE - the
    ``confidence`` quantile of the resampled ECEs (at least 0): it removes the binning bias, so a
    judge calibrated within the limit is not shown above it by its binning noise.
    """
    if not points:
        return NO_INTERVAL
    table = np.asarray(points, dtype=float)
    unit = table[:, 0].astype(int)
    n = int(unit.max()) + 1
    statistic = _ece(_unit_sums(unit, table[:, 2 if recalibrated else 1], table[:, 3], n, bins), bins)
    value = float(statistic(np.arange(n)))
    if n < 2 or not np.isfinite(value):
        return NO_INTERVAL
    rng, block = np.random.default_rng(seed), max(1, CHUNK_CELLS // n)
    resampled = np.concatenate([
        statistic(rng.integers(0, n, size=(min(block, BOOTSTRAP_RESAMPLES - start), n))) for start in range(0, BOOTSTRAP_RESAMPLES, block)
    ])
    upper = value + float(stats.norm.ppf(confidence)) * float(np.std(resampled, ddof=1))
    lower = max(0.0, 2 * value - float(np.quantile(resampled, confidence)))
    return (min(lower, value), upper)


def fit_recalibration(logit: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) of P(y = 1) = sigmoid(a + b * logit), by maximum likelihood under a weak prior (``PRIOR_SD``)
    on the standardized logits, so the fit does not depend on the logits' units."""
    centre = float(np.mean(logit))
    scale = float(np.std(logit)) or 1.0
    x = (logit - centre) / scale

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = theta[0] + theta[1] * x
        residual = special.expit(eta) - y
        value = float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * theta @ theta / PRIOR_SD**2)
        return value, np.array([residual.sum(), residual @ x]) + theta / PRIOR_SD**2

    intercept, slope = optimize.minimize(objective, np.zeros(2), jac=True, method="BFGS").x
    return float(intercept - slope * centre / scale), float(slope / scale)


def reliability_bins(p: np.ndarray, y: np.ndarray, bins: int) -> list[ReliabilityBin]:
    """Stated probability against observed frequency in ``bins`` equal-width bins (empty bins: None)."""
    column = _bin_of(p, bins)
    result = []
    for b in range(bins):
        inside = column == b
        count = int(inside.sum())
        mean_p, frequency = (float(p[inside].mean()), float(y[inside].mean())) if count else (None, None)
        result.append(ReliabilityBin(b / bins, (b + 1) / bins, count, mean_p, frequency))
    return result


def _as_shown(judged: Sequence[JudgedInstance], source: str) -> tuple[_Shown, list[JudgedInstance]]:
    """The probes with a probability on instances whose gold label is the chosen response, and those instances."""
    units = Units.from_tags((instance.instance_id, instance.tags) for instance in judged)
    position: dict[str, int] = {}
    rows: list[tuple[int, float, float, float]] = []
    used: list[JudgedInstance] = []
    for instance in judged:
        shown = [(order, p) for order, p in enumerate(instance.p_chosen) if p is not None]
        if instance.gold != "chosen" or not shown:
            continue
        unit = position.setdefault(units.key(instance.instance_id), len(position))
        for order, p in shown:
            logit = _logit_chosen(instance, p, source)
            # Chosen shown first: A is the chosen response and right; shown second: A is wrong.
            rows.append((unit, p, logit, 1.0) if order == 0 else (unit, 1.0 - p, -logit, 0.0))
        used.append(instance)
    table = np.array(rows, dtype=float).reshape(-1, 4)
    return _Shown(table[:, 0].astype(int), table[:, 1], table[:, 2], table[:, 3], len(position)), used


def _logit_chosen(instance: JudgedInstance, p: float, source: str) -> float:
    if source == SCORE_DIFFERENCES and instance.scores is not None:
        return instance.scores[0] - instance.scores[1]
    return float(special.logit(np.clip(p, CLIP, 1 - CLIP)))


def _cross_fitted(probes: _Shown, folds: int, seed: int) -> np.ndarray:
    """Each probe's recalibrated P(A) from a fit on the folds its unit is not in."""
    fold_of = np.empty(probes.n_units, dtype=int)
    fold_of[np.random.default_rng(seed).permutation(probes.n_units)] = np.arange(probes.n_units) % folds
    fold = fold_of[probes.unit]
    recalibrated = np.empty_like(probes.p)
    for k in range(folds):
        held = fold == k
        intercept, slope = fit_recalibration(probes.logit[~held], probes.y[~held])
        recalibrated[held] = special.expit(intercept + slope * probes.logit[held])
    return recalibrated


def _errors(probes: _Shown, p: np.ndarray, bins: int, seed: int) -> tuple[Estimate, Estimate]:
    """ECE and Brier score of ``p`` with their intervals from a bootstrap over units."""
    sums = _unit_sums(probes.unit, p, probes.y, probes.n_units, bins)
    return instance_bootstrap(_ece(sums, bins), probes.n_units, seed), instance_bootstrap(_brier(sums, bins), probes.n_units, seed)


def _unit_sums(unit: np.ndarray, p: np.ndarray, y: np.ndarray, n: int, bins: int) -> np.ndarray:
    """Per unit: the sum of P(A) - y in each bin, then its probe count and its sum of squared errors.
    Both errors are ratios of these sums, so a resample's are its counts times this table."""
    sums = np.zeros((n, bins + 2))
    np.add.at(sums, (unit, _bin_of(p, bins)), p - y)
    sums[:, bins] = np.bincount(unit, minlength=n)
    sums[:, bins + 1] = np.bincount(unit, weights=(p - y) ** 2, minlength=n)
    return sums


def _ece(sums: np.ndarray, bins: int) -> IndexStatistic:
    def statistic(positions: np.ndarray) -> np.ndarray:
        drawn = instance_counts(positions, len(sums)) @ sums
        return np.abs(drawn[..., :bins]).sum(-1) / drawn[..., bins]

    return statistic


def _brier(sums: np.ndarray, bins: int) -> IndexStatistic:
    def statistic(positions: np.ndarray) -> np.ndarray:
        drawn = instance_counts(positions, len(sums)) @ sums
        return drawn[..., bins + 1] / drawn[..., bins]

    return statistic


def _bin_of(p: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((p * bins).astype(int), bins - 1)
