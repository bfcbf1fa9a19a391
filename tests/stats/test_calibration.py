"""Calibration of the judge's P(A) against gold, raw and cross-fitted recalibrated."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import special

from judgeaudit.stats.calibration import PROBABILITIES, SCORE_DIFFERENCES, calibration, ece_bounds, fit_recalibration
from judgeaudit.stats.judged import JudgedInstance


def _instance(key: int, p_chosen: tuple[float | None, float | None], gold: str | None = "chosen", scores: tuple[float, float] | None = None,
              gold_source: str = "labels") -> JudgedInstance:
    verdicts = tuple(None if p is None else ("chosen" if p >= 0.5 else "rejected") for p in p_chosen)
    return JudgedInstance(f"i{key:04d}", "general", gold, gold_source, (), verdicts, p_chosen, scores)  # type: ignore[arg-type]


def _judge(truth: np.ndarray, stretch: float = 1.0) -> list[JudgedInstance]:
    """A judge whose logit for the chosen response is ``stretch`` times the true one, per order.

    The true P(chosen) t of each order is drawn from Beta(2, 1) (density 2t). As shown, P(A) = t with A right
    (chosen first) or 1 - t with A wrong (chosen second): among the probes stating p, a share
    2p / (2p + 2(1 - p)) = p is right, so the judge with ``stretch`` 1 is calibrated."""
    return [_instance(key, tuple(float(special.expit(stretch * special.logit(t))) for t in pair)) for key, pair in enumerate(truth)]  # type: ignore[misc]


def _truth(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).beta(2, 1, (n, 2))


def _noise(n: int, seed: int) -> list[JudgedInstance]:
    """Probabilities that carry no information: P(A) uniform whatever the answer."""
    return [_instance(key, (float(a), float(b))) for key, (a, b) in enumerate(np.random.default_rng(seed).uniform(size=(n, 2)))]


def _reward(differences: np.ndarray, scale: float) -> list[JudgedInstance]:
    """A reward model: one score difference per instance, the same in both orders."""
    judged = []
    for key, difference in enumerate(differences * scale):
        p = float(special.expit(difference))
        judged.append(_instance(key, (p, p), scores=(float(difference), 0.0)))
    return judged


def test_ece_and_brier_equal_a_direct_computation() -> None:
    rng = np.random.default_rng(3)
    judged = []
    for key in range(80):
        p_chosen = tuple(None if rng.uniform() < 0.15 else float(rng.uniform()) for _ in range(2))
        gold = "chosen" if key % 9 else ("tie" if key % 2 else None)
        judged.append(_instance(key, p_chosen, gold))  # type: ignore[arg-type]
    record, evidence = calibration(judged, PROBABILITIES, seed=0, bins=8)
    p, y = [], []
    for instance in judged:
        if instance.gold != "chosen":
            continue
        first, second = instance.p_chosen
        if first is not None:
            p.append(first), y.append(1.0)
        if second is not None:
            p.append(1 - second), y.append(0.0)
    p_all, y_all = np.array(p), np.array(y)
    edges = np.linspace(0, 1, 9)
    which = np.clip(np.digitize(p_all, edges[1:-1]), 0, 7)
    ece = sum(np.mean(which == b) * abs(p_all[which == b].mean() - y_all[which == b].mean()) for b in range(8) if np.any(which == b))
    assert record is not None
    assert record.ece.value == pytest.approx(ece) and record.brier.value == pytest.approx(np.mean((p_all - y_all) ** 2))
    assert record.n_probes == len(p_all) == len(evidence) and record.n_instances == len({row[0] for row in evidence})
    assert [b.n for b in record.bins] == [int(np.sum(which == b)) for b in range(8)] and record.bins[0].low == 0 and record.bins[-1].high == 1
    assert all((b.mean_p is None) == (b.n == 0) for b in record.bins)
    assert record.ece.ci[0] <= record.ece.value <= record.ece.ci[1]  # type: ignore[operator]
    assert record.target == "gold" and record.decided_on == "ece" and record.folds == 5
    assert [row[1] for row in evidence] == pytest.approx(p) and [row[3] for row in evidence] == y


def test_a_calibrated_judge_has_ece_near_zero_and_recalibration_keeps_it() -> None:
    record, _ = calibration(_judge(_truth(4000, 0)), PROBABILITIES, seed=1)
    assert record is not None and record.ece.value is not None and record.recalibrated_ece.value is not None
    assert record.ece.value < 0.02 and record.ece.ci[0] < 0.015  # type: ignore[operator]  # binning noise only
    assert abs(record.recalibrated_ece.value - record.ece.value) < 0.01
    assert record.recalibrated_brier.value == pytest.approx(record.brier.value, abs=0.002)
    for shown in record.bins:
        if shown.n > 200:
            assert abs(shown.mean_p - shown.frequency) < 0.05  # type: ignore[operator]


def test_an_overconfident_judge_is_repaired_by_the_cross_fitted_recalibration() -> None:
    record, _ = calibration(_judge(_truth(600, 1), stretch=3.0), PROBABILITIES, seed=1)
    assert record is not None
    assert record.ece.value > 0.1 and record.recalibrated_ece.value < 0.05  # type: ignore[operator]
    assert record.ece.ci[0] > record.recalibrated_ece.ci[1]  # type: ignore[operator]
    assert record.recalibrated_brier.value < record.brier.value  # type: ignore[operator]


def test_probabilities_without_information_recalibrate_to_a_coin() -> None:
    record, _ = calibration(_noise(1000, 2), PROBABILITIES, seed=0)
    assert record is not None
    assert record.recalibrated_ece.value < 0.04 and record.recalibrated_brier.value == pytest.approx(0.25, abs=0.01)  # type: ignore[operator]
    assert record.brier.value == pytest.approx(1 / 3, abs=0.02)  # uniform P against a fair coin


def test_the_recalibration_is_held_out() -> None:
    held_out, in_sample = [], []
    for trial in range(40):
        judged = _noise(12, 100 + trial)
        record, evidence = calibration(judged, PROBABILITIES, seed=trial)
        assert record is not None
        points = np.array(evidence)
        logit, y = special.logit(points[:, 1]), points[:, 3]
        fit = sm.Logit(y, sm.add_constant(logit)).fit(disp=0)
        in_sample.append(np.mean((fit.predict(sm.add_constant(logit)) - y) ** 2))
        held_out.append(record.recalibrated_brier.value)
    assert np.mean(in_sample) < 0.25 < np.mean(held_out)  # a fit to noise looks better than a coin only in sample


def test_reward_scores_recalibrate_to_the_same_figures_whatever_their_units() -> None:
    differences = special.logit(np.random.default_rng(4).beta(2, 1, 400)) * 0.7
    plain, plain_evidence = calibration(_reward(differences, 1.0), SCORE_DIFFERENCES, seed=3)
    stretched, stretched_evidence = calibration(_reward(differences, 20.0), SCORE_DIFFERENCES, seed=3)
    assert plain is not None and stretched is not None and plain.decided_on == stretched.decided_on == "recalibrated_ece"
    assert stretched.recalibrated_ece.value == pytest.approx(plain.recalibrated_ece.value, abs=1e-6)
    assert stretched.recalibrated_brier.value == pytest.approx(plain.recalibrated_brier.value, abs=1e-6)
    assert stretched.recalibrated_ece.ci == pytest.approx(plain.recalibrated_ece.ci, abs=1e-6)
    assert [row[2] for row in stretched_evidence] == pytest.approx([row[2] for row in plain_evidence], abs=1e-6)
    assert stretched.ece.value > plain.ece.value + 0.1  # type: ignore[operator]  # the sigmoid's convention is not units-free


def test_the_recalibration_fit_is_logistic_regression() -> None:
    rng = np.random.default_rng(5)
    logit = rng.normal(0, 2, 500)
    y = (rng.uniform(size=500) < special.expit(0.3 + 0.5 * logit)).astype(float)
    reference = sm.Logit(y, sm.add_constant(logit)).fit(disp=0).params
    assert fit_recalibration(logit, y) == pytest.approx(tuple(reference), abs=0.01)
    intercept, slope = fit_recalibration(np.array([-1.0, 0.0, 2.0]), np.ones(3))  # one class: still finite, toward 1
    assert np.isfinite(intercept) and np.isfinite(slope) and special.expit(intercept) > 0.9
    intercept, slope = fit_recalibration(np.array([-2.0, -1.0, 1.0, 2.0]), np.array([0.0, 0.0, 1.0, 1.0]))  # separated
    assert np.isfinite(slope) and slope > 0


def test_one_order_only_leaves_one_class_per_fold_and_still_calibrates() -> None:
    judged = [_instance(key, (0.8, None)) for key in range(10)]
    record, evidence = calibration(judged, PROBABILITIES, seed=0, folds=20)
    assert record is not None and record.folds == 10  # no more folds than instances
    assert all(row[2] > 0.8 for row in evidence) and record.recalibrated_ece.value < record.ece.value  # type: ignore[operator]


def test_too_few_instances_target_and_bounds() -> None:
    assert calibration([_instance(0, (0.7, 0.6)), _instance(1, (0.7, None), gold="tie")], PROBABILITIES, seed=0) == (None, [])
    assert calibration([_instance(0, (None, None)), _instance(1, (0.7, 0.4))], PROBABILITIES, seed=0) == (None, [])
    judged = [_instance(key, (0.9, 0.3), gold_source="human majority") for key in range(30)]
    record, evidence = calibration(judged, PROBABILITIES, seed=2)
    assert record is not None and record.target == "human majority"
    mixed, _ = calibration([*judged, _instance(30, (0.6, 0.5))], PROBABILITIES, seed=2)
    assert mixed is not None and mixed.target == "gold"
    judged = _judge(_truth(300, 6), stretch=2.0)
    record, evidence = calibration(judged, PROBABILITIES, seed=7)
    assert record is not None
    low, high = ece_bounds(evidence, 0.975, seed=7, recalibrated=False)
    assert low < record.ece.value < high  # type: ignore[operator]
    assert high == pytest.approx(record.ece.ci[1], abs=0.02)  # type: ignore[index]  # the report's BCa interval, nearly
    recalibrated = ece_bounds(evidence, 0.975, seed=7, recalibrated=True)
    assert recalibrated[0] < record.recalibrated_ece.value < recalibrated[1]  # type: ignore[operator]
    narrower = ece_bounds(evidence, 0.8, seed=7, recalibrated=False)
    assert low < narrower[0] < narrower[1] < high
    assert ece_bounds([], 0.95, seed=0, recalibrated=False) == (None, None)


def _shown_points(truth: np.ndarray, stretch: float) -> np.ndarray:
    """``_judge``'s probes as the evidence rows ``calibration`` returns: [instance, P(A), P(A), A right]."""
    p = special.expit(stretch * special.logit(truth))
    shown = np.column_stack([p[:, 0], 1 - p[:, 1]]).ravel()
    return np.column_stack([np.repeat(np.arange(len(truth)), 2), shown, shown, np.tile([1.0, 0.0], len(truth))])


def _ece_of(points: np.ndarray, bins: int = 10) -> float:
    column = np.minimum((points[:, 1] * bins).astype(int), bins - 1)
    return float(np.abs(np.bincount(column, weights=points[:, 1] - points[:, 3], minlength=bins)).sum() / len(points))


def _overconfident(n: int, seed: int) -> np.ndarray:
    """Evidence rows of a judge whose logit for the first-listed response z ~ N(0, 1.5) is too large: that
    response is better with probability sigmoid(0.6 z) (it becomes ``chosen`` when it is); each order adds
    noise of sd 0.3 to the logit."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, n)
    first_better = rng.uniform(size=n) < special.expit(0.6 * z)
    p = special.expit(np.where(first_better, z, -z)[:, None] + rng.normal(0.0, 0.3, (n, 2)))
    shown = np.column_stack([p[:, 0], 1 - p[:, 1]]).ravel()
    return np.column_stack([np.repeat(np.arange(n), 2), shown, shown, np.tile([1.0, 0.0], n)])


def test_the_certificates_ece_bounds_cover_the_true_ece_one_sided() -> None:
    """An over-confident judge, 200 instances, 300 simulated runs: the one-sided 95% upper bound a
    certificate passes on covers the true ECE (0.080, of 2,000,000 instances) at least at about the nominal
    rate (0.99 here; BCa's upper end, which subtracts the binning bias twice, covered it in 0.84-0.89),
    and so does the lower bound a FAIL reads (0.95)."""
    truth = _ece_of(_overconfident(2_000_000, 1))
    bounds = np.array([ece_bounds(_overconfident(200, 100 + run).tolist(), 0.95, seed=run, recalibrated=False) for run in range(300)])
    assert 0.07 < truth < 0.09
    assert np.mean(bounds[:, 1] >= truth) >= 0.93, np.mean(bounds[:, 1] >= truth)
    assert np.mean(bounds[:, 0] <= truth) >= 0.9, np.mean(bounds[:, 0] <= truth)


def test_a_calibrated_judge_is_not_shown_above_a_limit_by_binning_noise() -> None:
    """A calibrated judge (true ECE 0.0004) at 100 instances measures an ECE of about 0.05 from binning
    noise alone; its lower bound stays at or below 0.035 in at least 90% of 200 runs (0.955; the BCa lower
    end was above 0.035 in about half)."""
    lows = np.array([ece_bounds(_shown_points(_truth(100, 500 + run), 1.0).tolist(), 0.95, seed=run, recalibrated=False)[0] for run in range(200)])
    assert np.mean(lows <= 0.035) >= 0.9, np.mean(lows <= 0.035)
