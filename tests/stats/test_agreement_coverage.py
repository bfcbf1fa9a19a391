"""Simulated judges with a known agreement: the 95% intervals of the majority agreement and of kappa
cover the true value about 95% of the time, and judges that ignore content get kappa near 0."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from judgeaudit.schema import Annotation
from judgeaudit.stats.agreement import gold_agreement, majority, match_rate, shown_tables
from judgeaudit.stats.alt_test import votes
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.kappa import kappa_estimate
from judgeaudit.stats.records import Estimate, Rate

LABELS = np.array(["chosen", "rejected", "tie"])
TRUTH = (0.75, 0.2, 0.05)
"""How often the better response is the data's chosen one, its rejected one, or neither."""
ANNOTATORS, ANNOTATOR_ACCURACY = 3, 0.8
N_INSTANCES, REPLICATIONS = 150, 800


def _simulate(rng: np.random.Generator, n: int, judge_accuracy: float) -> tuple[np.ndarray, np.ndarray]:
    """Label indices (chosen 0, rejected 1, tie 2): annotators (n, ANNOTATORS) and the judge's verdict per
    order (n, 2). Each reports the truth with its accuracy, else one of the two other labels at random."""

    def report(truth: np.ndarray, accuracy: float) -> np.ndarray:
        wrong = (truth + rng.integers(1, 3, truth.shape)) % 3
        return np.where(rng.random(truth.shape) < accuracy, truth, wrong)

    truth = rng.choice(3, size=n, p=TRUTH)
    return report(np.repeat(truth[:, None], ANNOTATORS, axis=1), ANNOTATOR_ACCURACY), report(np.repeat(truth[:, None], 2, axis=1), judge_accuracy)


def _majorities(annotations: np.ndarray) -> np.ndarray:
    """The label with the most votes, -1 where two labels share first place."""
    counts = np.stack([(annotations == label).sum(axis=1) for label in range(3)], axis=1)
    top = counts.max(axis=1)
    return np.where((counts == top[:, None]).sum(axis=1) == 1, counts.argmax(axis=1), -1)


def _true_values(judge_accuracy: float) -> tuple[float, float]:
    """The majority agreement and kappa as shown, pooled over a very large sample (independent of the code under test)."""
    annotations, verdicts = _simulate(np.random.default_rng(12345), 2_000_000, judge_accuracy)
    majority = _majorities(annotations)
    keep = majority >= 0
    rate = float((verdicts[keep] == majority[keep, None]).mean())
    shown = np.array([[0, 1, 2], [1, 0, 2]])  # per order: data-frame label -> A, B, tie as shown
    table = np.zeros((3, 3))
    for order in (0, 1):
        np.add.at(table, (shown[order][majority[keep]], shown[order][verdicts[keep, order]]), 1)
    return rate, float(cohens_kappa(table).kappa)


def _instances(annotations: np.ndarray, verdicts: np.ndarray) -> list[JudgedInstance]:
    return [
        JudgedInstance(
            f"i{k:04d}", "c", None, "chosen/rejected", tuple(Annotation(f"h{a}", LABELS[label]) for a, label in enumerate(row)),
            (LABELS[v[0]], LABELS[v[1]]), (None, None), None,
        )
        for k, (row, v) in enumerate(zip(annotations, verdicts, strict=True))
    ]


def _against_majority(judged: list[JudgedInstance], seed: int) -> tuple[Rate, Estimate]:
    """``HumanAgreement.majority`` and ``.kappa`` alone (the other human figures cost three more bootstraps)."""
    pairs = [(instance, label) for instance in judged if (label := majority([label for _, label in votes(instance)])) is not None]
    return match_rate(pairs), kappa_estimate(shown_tables(pairs), seed)


def _covers(interval: tuple, value: float) -> bool:
    low, high = interval
    return low is not None and low <= value <= high


@pytest.mark.parametrize("judge_accuracy", [0.75, pytest.param(0.5, marks=pytest.mark.slow), pytest.param(0.9, marks=pytest.mark.slow)])
def test_majority_rate_and_kappa_intervals_cover_the_truth(judge_accuracy: float) -> None:
    true_rate, true_kappa = _true_values(judge_accuracy)
    rng = np.random.default_rng(7)
    rate_hits = kappa_hits = 0
    for replication in range(REPLICATIONS):
        rate, kappa = _against_majority(_instances(*_simulate(rng, N_INSTANCES, judge_accuracy)), seed=replication)
        rate_hits += _covers(rate.ci, true_rate)
        kappa_hits += _covers(kappa.ci, true_kappa)
    coverage = {"majority": rate_hits / REPLICATIONS, "kappa": kappa_hits / REPLICATIONS}
    print(f"true rate {true_rate:.4f}, true kappa {true_kappa:.4f}, coverage {coverage}")
    assert all(0.93 <= share <= 0.97 for share in coverage.values()), coverage


def _gold_instances(rng: np.random.Generator, verdict_of, n: int = N_INSTANCES) -> list[JudgedInstance]:
    """Gold chosen (nine in ten) or tie, verdicts from ``verdict_of(order)`` in the data's frame."""
    gold = rng.choice(["chosen", "tie"], size=n, p=[0.9, 0.1])
    return [JudgedInstance(f"i{k:04d}", "c", g, "labels", (), (verdict_of(0), verdict_of(1)), (None, None), None) for k, g in enumerate(gold)]


def test_judges_that_ignore_content_get_kappa_near_zero() -> None:
    rng = np.random.default_rng(11)
    always_first = {0: "chosen", 1: "rejected"}  # A in both orders, in the data's frame
    for name, verdict_of in {"tie": lambda order: "tie", "first shown": always_first.__getitem__}.items():
        gold = gold_agreement(_gold_instances(rng, verdict_of), seed=0)
        assert gold is not None and gold.kappa.value is not None, name
        assert abs(gold.kappa.value) < 1e-12 and _covers(gold.kappa.ci, 0.0), name
        assert gold.accuracy.rate is not None and gold.accuracy.rate <= 0.5, name


def test_a_noisy_position_follower_gets_kappa_intervals_around_zero() -> None:
    # Says A nine times in ten whatever the content (else any label): its true kappa is 0.
    rng = np.random.default_rng(13)
    first = ("chosen", "rejected")

    def verdict_of(order: int) -> str:
        return first[order] if rng.random() < 0.9 else str(rng.choice(LABELS))

    results = [gold_agreement(_gold_instances(rng, verdict_of), seed=seed) for seed in range(100)]
    covered = np.mean([_covers(gold.kappa.ci, 0.0) for gold in results if gold is not None])
    accuracy = np.mean([gold.accuracy.rate for gold in results if gold is not None])
    assert covered >= 0.9 and accuracy <= 0.5, (covered, accuracy)
