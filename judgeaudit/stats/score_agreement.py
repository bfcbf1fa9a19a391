"""A judge that scores each response alone, against human scores of the same responses.

A response counts where the judge scored it and at least one annotator gave it a score. Rank
correlations (Spearman, Kendall's tau-b) compare the judge's score with the mean human score of each
response. The quadratic-weighted kappa compares scores point by point: the judge's scores are mapped
linearly from their observed range onto the humans' observed range and rounded to the human scale's
integer points, so no figure depends on the units of the judge's score. Its ceiling is the same kappa
between two annotators of a response.

The unit (``stats.units``: the instance, or the prompt group where one prompt gave several instances) is
the observation of every interval: its instances' responses, and every annotation of them, are resampled
together, and the kappas sum each unit's tables.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import stats

from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.records import ScaleUse, ScoreAgreement
from judgeaudit.stats.resampling import IndexStatistic, instance_bootstrap, instance_counts
from judgeaudit.stats.units import Units

Correlation = Callable[[np.ndarray, np.ndarray], float]
HALF = 0.5 + 1e-9
"""Scores round half up to the nearest point, a half that floating point lands just below included."""


@dataclass(frozen=True)
class _Response:
    """One response with the judge's score and the humans' (annotator, score) pairs."""

    unit: int
    """Its unit's position among the units with a scored response (in order of first appearance)."""
    judge: float
    humans: tuple[tuple[str, float], ...]


def score_agreement(judged: Sequence[JudgedInstance], seed: int) -> ScoreAgreement | None:
    """The judge's scores against the humans'; None when no response has both."""
    responses, n_instances = _responses(judged)
    if not responses:
        return None
    unit = np.array([response.unit for response in responses])
    n = int(unit.max()) + 1
    judge = np.array([response.judge for response in responses])
    human_mean = np.array([np.mean([score for _, score in response.humans]) for response in responses])
    human_scores = np.array([score for response in responses for _, score in response.humans])
    judge_tables, human_tables = _kappa_tables(responses, n, _onto_human_scale(judge, human_scores))
    return ScoreAgreement(
        n_instances=n_instances,
        n_responses=len(responses),
        spearman=instance_bootstrap(_correlation(_spearman, unit, judge, human_mean), n, seed),
        kendall=instance_bootstrap(_correlation(_kendall, unit, judge, human_mean), n, seed),
        weighted_kappa=instance_bootstrap(_kappa(judge_tables), n, seed),
        human_weighted_kappa=instance_bootstrap(_kappa(human_tables), n, seed) if human_tables.any() else None,
        judge_scale=scale_use(judge),
        human_scale=scale_use(human_scores),
    )


def scale_use(scores: np.ndarray) -> ScaleUse:
    """How ``scores`` use their observed scale (a scale of one point has no spread: ``sd_share`` 0)."""
    low, high = float(scores.min()), float(scores.max())
    _, counts = np.unique(scores, return_counts=True)
    width = high - low
    return ScaleUse(low, high, len(counts), float(np.std(scores)) / width if width else 0.0, float(counts.max() / len(scores)))


def weighted_kappa(tables: np.ndarray) -> np.ndarray:
    """Quadratic-weighted Cohen's kappa of ``(..., K, K)`` tables of counts over K equally spaced points
    (NaN where the expected disagreement is 0)."""
    points = np.arange(tables.shape[-1])
    weight = (points[:, None] - points[None, :]) ** 2
    total = tables.sum((-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = tables.sum(-1)[..., :, None] * tables.sum(-2)[..., None, :] / total[..., None, None]
        return 1.0 - (weight * tables).sum((-2, -1)) / (weight * expected).sum((-2, -1))


def _responses(judged: Sequence[JudgedInstance]) -> tuple[list[_Response], int]:
    """The responses with both scores, and how many instances they come from."""
    units = Units.from_tags((instance.instance_id, instance.tags) for instance in judged)
    position: dict[str, int] = {}
    responses: list[_Response] = []
    n_instances = 0
    for instance in judged:
        if instance.scores is None:
            continue
        chosen = tuple((a.annotator, a.chosen_score) for a in instance.annotations if a.chosen_score is not None)
        rejected = tuple((a.annotator, a.rejected_score) for a in instance.annotations if a.rejected_score is not None)
        both = [(judge, humans) for judge, humans in zip(instance.scores, (chosen, rejected), strict=True) if humans]
        if both:
            unit = position.setdefault(units.key(instance.instance_id), len(position))
            responses.extend(_Response(unit, judge, humans) for judge, humans in both)
            n_instances += 1
    return responses, n_instances


def _onto_human_scale(judge: np.ndarray, human_scores: np.ndarray) -> np.ndarray:
    """The judge's scores mapped linearly from their observed ends onto the humans', rounded half up to the
    human scale's integer points (a judge with one score: the scale's middle)."""
    low, high = human_scores.min(), human_scores.max()
    spread = judge.max() - judge.min()
    mapped = low + (judge - judge.min()) / spread * (high - low) if spread else np.full(len(judge), (low + high) / 2)
    return _nearest_point(mapped)


def _kappa_tables(responses: list[_Response], n: int, judge_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, ``(n, K, K)`` counts on the human scale's K integer points: the judge against each human
    score, and each unordered pair of distinct annotators of a response, counted half in each orientation
    so that neither annotator is the row."""
    human_points = _nearest_point(np.array([score for response in responses for _, score in response.humans]))
    bottom = int(human_points.min())
    size = int(human_points.max()) - bottom + 1
    judge_tables = np.zeros((n, size, size))
    human_tables = np.zeros((n, size, size))
    for response, judge in zip(responses, judge_points, strict=True):
        for _, score in response.humans:
            judge_tables[response.unit, int(judge) - bottom, int(_nearest_point(score)) - bottom] += 1
        for (first, a), (second, b) in combinations(response.humans, 2):
            if first != second:
                row, column = int(_nearest_point(a)) - bottom, int(_nearest_point(b)) - bottom
                human_tables[response.unit, row, column] += 0.5
                human_tables[response.unit, column, row] += 0.5
    return judge_tables, human_tables


def _nearest_point(scores: np.ndarray | float) -> np.ndarray:
    return np.floor(np.asarray(scores) + HALF)


def _kappa(tables: np.ndarray) -> IndexStatistic:
    flat = tables.reshape(len(tables), -1)

    def statistic(positions: np.ndarray) -> np.ndarray:
        pooled = instance_counts(positions, len(tables)) @ flat
        return weighted_kappa(pooled.reshape(*pooled.shape[:-1], *tables.shape[1:]))

    return statistic


def _correlation(correlation: Correlation, unit: np.ndarray, judge: np.ndarray, human: np.ndarray) -> IndexStatistic:
    """The correlation over the responses of each resample (a response repeated as often as its unit is drawn)."""
    n = int(unit.max()) + 1

    def statistic(positions: np.ndarray) -> np.ndarray:
        counts = instance_counts(positions, n)
        drawn = counts.reshape(-1, n).astype(int)[:, unit]
        values = [correlation(np.repeat(judge, times), np.repeat(human, times)) for times in drawn]
        return np.array(values).reshape(counts.shape[:-1])

    return statistic


def _spearman(judge: np.ndarray, human: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN, the figure is then undefined
        return float(stats.spearmanr(judge, human).statistic)


def _kendall(judge: np.ndarray, human: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.kendalltau(judge, human).statistic)
