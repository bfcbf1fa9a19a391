"""Position in the literature's terms (PC, PF, RS) and the length-controlled view, on judges with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.schema import Instance, Judgment, Probe
from judgeaudit.stats.cells import cell_frame
from judgeaudit.stats.length import length_view
from judgeaudit.stats.position import position_metrics
from tests.simulation import probes_for


def _rows(probes: list[Probe], verdict) -> list[tuple[Probe, Judgment]]:
    return [(p, Judgment(verdict=verdict(p))) for p in probes]


@pytest.mark.parametrize(
    ("verdict", "consistency", "primacy", "recency", "fairness"),
    [
        (lambda p: "A", 0.0, 1.0, 0.0, -1.0),  # always the first slot
        (lambda p: "B", 0.0, 0.0, 1.0, 1.0),  # always the second
        (lambda p: p.correct, 1.0, 0.0, 0.0, 0.0),  # always right: consistent
        (lambda p: "tie", 1.0, 0.0, 0.0, 0.0),  # ties in both orders are consistent
        (lambda p: "A" if p.order == "chosen_first" else "tie", 0.0, 1.0, 0.0, -1.0),  # a slot win and a tie: primacy
    ],
)
def test_position_figures_on_judges_with_known_answers(verdict, consistency, primacy, recency, fairness) -> None:
    metrics = position_metrics(cell_frame(_rows(probes_for(20), verdict)), seed=0)
    assert metrics.n_pairs == 20
    assert (metrics.consistency.rate, metrics.primacy.rate, metrics.recency.rate) == (consistency, primacy, recency)
    assert metrics.preference_fairness.mean == fairness and metrics.repetition_stability.mean == 1.0


def test_repetition_stability_counts_the_modal_share_of_repeated_asks() -> None:
    probes = probes_for(20)
    flip = {f"sim-{i:03d}" for i in range(10)}  # half the instances answer their repeat the other way
    rows = _rows(probes, lambda p: ("B" if p.correct == "A" else "A") if p.replicate == 1 and p.instance_id in flip else p.correct)
    metrics = position_metrics(cell_frame(rows), seed=0)
    assert metrics.repetition_stability.mean == pytest.approx(0.75)  # half at 1, half at 0.5
    assert metrics.consistency.rate == 1.0


def _varied(n: int) -> list[Instance]:
    """Instances whose worse response is shorter or longer than the better one by a known number of words."""
    return [
        Instance(id=f"len-{i:03d}", prompt=f"Question {i}?", chosen=f"The answer is {i}. " + "Indeed so. " * (i % 7),
                 rejected=f"The answer is {i + 1}. " + "Indeed so. " * ((i * 3) % 7), category="x")
        for i in range(n)
    ]


def test_the_length_view_finds_a_judge_that_follows_length_and_not_one_that_does_not() -> None:
    spec = load_registry()["verbosity"]
    probes = build_probes(_varied(60), [spec], seed=0)

    def words(p: Probe, label: str) -> int:
        return len((p.response_a if label == "A" else p.response_b).split())

    def longer_wins(p: Probe) -> Judgment:
        diff = words(p, "A") - words(p, "B")
        return Judgment(verdict="A" if diff > 0 else "B" if diff < 0 else p.correct, p_a=float(1 / (1 + np.exp(-diff / 4))))

    rows = [(p, longer_wins(p)) for p in probes]
    view = length_view(rows, cell_frame(rows), min_instances=10, seed=0)
    assert view.slope > 0.3 and view.slope_ci[0] > 0 and view.slope_p < 0.01
    fair = [(p, Judgment(verdict=p.correct, p_a=0.8 if p.correct == "A" else 0.2)) for p in probes]
    view = length_view(fair, cell_frame(fair), min_instances=10, seed=0)
    # On verdicts (the scale every judge shares), whatever its probability: the better response always wins.
    assert view.slope == pytest.approx(0.0, abs=1e-9) and view.length_controlled_preference == pytest.approx(1.0)
    same_length = [(p, Judgment(verdict=p.correct)) for p in probes_for(20)]
    assert length_view(same_length, cell_frame(same_length), min_instances=10, seed=0) is None  # length-matched: nothing to regress on


@pytest.mark.parametrize("pull", [0.0, 0.04])
def test_slope_p_beyond_the_permuted_size_is_the_permutation_tests_normal_limit(pull: float) -> None:
    """Beyond PERMUTED_UP_TO instances the p-value is the reshuffling distribution's normal limit: within
    the Monte Carlo error of scipy's permutation test of the same pairs (9,999 reshuffles)."""
    from scipy import stats

    from judgeaudit.stats.inference import PERMUTATION_RESAMPLES
    from judgeaudit.stats.length import PERMUTED_UP_TO, _fit, slope_p

    rng = np.random.default_rng(5)
    n = PERMUTED_UP_TO + 500
    x = np.tanh(rng.normal(size=n))
    y = np.clip(0.6 + pull * x + rng.normal(scale=0.5, size=n), 0, 1)
    limit = slope_p(x, y, np.random.default_rng(0), batch=1000)
    exact = stats.permutation_test(
        (x, y), lambda a, b, axis=-1: _fit(a, b, axis)[0], permutation_type="pairings", vectorized=True,
        n_resamples=PERMUTATION_RESAMPLES, batch=1000, alternative="two-sided", random_state=np.random.default_rng(1),
    ).pvalue
    monte_carlo_se = np.sqrt(exact * (1 - exact) / PERMUTATION_RESAMPLES)
    assert abs(limit - exact) <= 4 * monte_carlo_se + 2 / PERMUTATION_RESAMPLES
    assert slope_p(x, np.full(n, 0.5), np.random.default_rng(0), batch=1000) == 1.0
