"""A judge's scores of each response against human scores of the same responses."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa

from judgeaudit.schema import Annotation
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.score_agreement import scale_use, score_agreement

ANNOTATORS = ("ann-a", "ann-b", "ann-c", "ann-d", "ann-e")


def _instance(key: int, scores: tuple[float, float] | None, annotations: tuple[Annotation, ...]) -> JudgedInstance:
    return JudgedInstance(f"i{key:04d}", "general", "chosen", "labels", annotations, ("chosen", "chosen"), (None, None), scores)


def _helpsteer(n: int, seed: int, judge_noise: float = 1.0) -> list[JudgedInstance]:
    """HelpSteer2-like: each response rated 0-4 by three of five annotators; the judge scores 1-10."""
    rng = np.random.default_rng(seed)
    judged = []
    for key in range(n):
        quality = rng.uniform(0, 4, 2)
        raters = rng.choice(ANNOTATORS, 3, replace=False)
        human = np.clip(np.rint(quality[:, None] + rng.normal(0, 0.7, (2, 3))), 0, 4)
        judge = np.clip(np.rint(1 + quality * 9 / 4 + rng.normal(0, judge_noise, 2)), 1, 10)
        annotations = tuple(Annotation(str(rater), chosen_score=float(human[0, k]), rejected_score=float(human[1, k])) for k, rater in enumerate(raters))
        judged.append(_instance(key, (float(judge[0]), float(judge[1])), annotations))
    return judged


def _flat(judged: list[JudgedInstance]) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
    """The judge's score and the (annotator, score) pairs of every response, as the test reads them."""
    judge, humans = [], []
    for instance in judged:
        assert instance.scores is not None
        for side, score in enumerate(instance.scores):
            given = [(a.annotator, a.chosen_score if side == 0 else a.rejected_score) for a in instance.annotations]
            given = [(name, value) for name, value in given if value is not None]
            if given:
                judge.append(score)
                humans.append(given)  # type: ignore[arg-type]
    return np.array(judge), humans  # type: ignore[return-value]


def test_figures_equal_scipy_and_statsmodels_on_helpsteer_like_data() -> None:
    judged = _helpsteer(150, 0)
    result = score_agreement(judged, seed=1)
    judge, humans = _flat(judged)
    human_mean = np.array([np.mean([v for _, v in given]) for given in humans])
    assert result is not None and result.n_instances == 150 and result.n_responses == 300
    assert result.spearman.value == pytest.approx(stats.spearmanr(judge, human_mean).statistic)
    assert result.kendall.value == pytest.approx(stats.kendalltau(judge, human_mean).statistic)
    every = [v for given in humans for _, v in given]
    low, high = min(every), max(every)
    mapped = np.rint(low + (judge - judge.min()) / (judge.max() - judge.min()) * (high - low))
    table = np.zeros((5, 5))
    pairs = np.zeros((5, 5))
    for point, given in zip(mapped, humans, strict=True):
        for _, value in given:
            table[int(point), int(value)] += 1
        for (_, a), (_, b) in combinations(given, 2):
            pairs[int(a), int(b)] += 0.5
            pairs[int(b), int(a)] += 0.5
    assert result.weighted_kappa.value == pytest.approx(cohens_kappa(table, wt="quadratic").kappa)
    assert result.human_weighted_kappa is not None
    assert result.human_weighted_kappa.value == pytest.approx(cohens_kappa(pairs, wt="quadratic").kappa)
    assert pairs.sum() == 300 * 3  # three unordered pairs of annotators per response
    for estimate in (result.spearman, result.kendall, result.weighted_kappa, result.human_weighted_kappa):
        assert estimate.ci[0] < estimate.value < estimate.ci[1] and estimate.n_instances == 150  # type: ignore[operator]
    assert (result.human_scale.low, result.human_scale.high, result.human_scale.points_used) == (0, 4, 5)
    assert result.judge_scale == scale_use(judge) and result.judge_scale.low >= 1 and result.judge_scale.high <= 10


def test_a_better_judge_agrees_more() -> None:
    sharp = score_agreement(_helpsteer(200, 2, judge_noise=0.3), seed=0)
    blunt = score_agreement(_helpsteer(200, 2, judge_noise=4.0), seed=0)
    assert sharp is not None and blunt is not None
    assert sharp.spearman.ci[0] > blunt.spearman.ci[1] and sharp.weighted_kappa.ci[0] > blunt.weighted_kappa.ci[1]  # type: ignore[operator]


def test_no_figure_depends_on_the_units_of_the_judges_score() -> None:
    judged = _helpsteer(80, 3)
    rescaled = [_instance(k, (s.scores[0] * 20 + 3, s.scores[1] * 20 + 3), s.annotations) for k, s in enumerate(judged)]  # type: ignore[index]
    plain, stretched = score_agreement(judged, seed=4), score_agreement(rescaled, seed=4)
    assert plain is not None and stretched is not None
    for name in ("spearman", "kendall", "weighted_kappa", "human_weighted_kappa"):
        assert getattr(stretched, name) == getattr(plain, name)
    judge_plain, judge_stretched = plain.judge_scale, stretched.judge_scale
    assert (judge_stretched.low, judge_stretched.high) == (judge_plain.low * 20 + 3, judge_plain.high * 20 + 3)
    assert judge_stretched.sd_share == pytest.approx(judge_plain.sd_share)
    assert (judge_stretched.points_used, judge_stretched.top_share) == (judge_plain.points_used, judge_plain.top_share)


def test_a_judge_with_one_score_has_no_agreement_beyond_chance() -> None:
    judged = [_instance(k, (7.0, 7.0), s.annotations) for k, s in enumerate(_helpsteer(60, 5))]
    result = score_agreement(judged, seed=0)
    assert result is not None
    assert result.weighted_kappa.value == pytest.approx(0.0, abs=1e-12)
    assert result.judge_scale.sd_share == 0 and result.judge_scale.points_used == 1 and result.judge_scale.top_share == 1
    assert result.spearman.value is None and result.kendall.value is None  # a constant has no rank


def test_only_responses_with_both_scores_count() -> None:
    judged = [
        _instance(0, (3.0, 1.0), (Annotation("a", chosen_score=4.0), Annotation("b", chosen_score=2.0, rejected_score=1.0))),
        _instance(1, (2.0, 2.5), (Annotation("a", verdict="chosen"),)),  # no human score
        _instance(2, None, (Annotation("a", chosen_score=3.0, rejected_score=1.0),)),  # no judge score
        _instance(3, (5.0, 0.5), (Annotation("a", rejected_score=0.0), Annotation("a", rejected_score=1.0))),
    ]
    result = score_agreement(judged, seed=0)
    assert result is not None and (result.n_instances, result.n_responses) == (2, 3)
    assert result.human_scale == scale_use(np.array([4.0, 2.0, 1.0, 0.0, 1.0]))
    # One pair of distinct annotators (a, b on instance 0's chosen response); the same annotator twice is not a pair.
    assert result.human_weighted_kappa is not None and result.human_weighted_kappa.n_instances == 2
    assert score_agreement(judged[1:3], seed=0) is None
    no_pairs = score_agreement([_instance(0, (3.0, 1.0), (Annotation("a", chosen_score=4.0, rejected_score=1.0),))] * 3, seed=0)
    assert no_pairs is not None and no_pairs.human_weighted_kappa is None


def test_the_mapped_judge_rounds_half_up() -> None:
    judged = [  # the judge's 1-9 map onto the humans' 0-4 as (score - 1) / 2: 2 lands on 0.5, which is 1
        _instance(0, (2.0, 1.0), (Annotation("a", chosen_score=1.0, rejected_score=0.0),)),
        _instance(1, (9.0, 1.0), (Annotation("a", chosen_score=4.0, rejected_score=0.0),)),
        _instance(2, (6.0, 4.0), (Annotation("a", chosen_score=3.0, rejected_score=2.0),)),
    ]
    result = score_agreement(judged, seed=0)
    assert result is not None and result.weighted_kappa.value == pytest.approx(1.0)


def test_scale_use() -> None:
    use = scale_use(np.array([1.0, 2.0, 2.0, 2.0, 5.0]))
    assert (use.low, use.high, use.points_used, use.top_share) == (1.0, 5.0, 3, 0.6)
    assert use.sd_share == pytest.approx(np.std([1, 2, 2, 2, 5]) / 4)
