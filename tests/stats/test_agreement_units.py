"""Agreement, calibration and score agreement take the unit (``stats.units``: the instance, or the prompt
group where one prompt gave several instances) as the observation: unchanged without groups, the
figures of a copied pair unchanged by its copies, intervals that cover under correlated pairs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

import numpy as np
import pytest
from scipy import special

from judgeaudit.schema import Annotation, Label
from judgeaudit.stats.agreement import agreement, kappa_bounds, match_rate, mean_bounds, shown_tables
from judgeaudit.stats.calibration import PROBABILITIES, calibration, ece_bounds
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.kappa import kappa_estimate
from judgeaudit.stats.records import Agreement, Estimate, Rate
from judgeaudit.stats.score_agreement import score_agreement

LABELS: tuple[Label, ...] = ("chosen", "rejected", "tie")
ANNOTATORS = ("h0", "h1", "h2", "h3", "h4")
BEFORE_UNITS = "68ab85e4add08373d5e3a1ad261f76831351f032a6b09cc6b550bcff8691301e"
"""The digest (``_digest``) of ``_audit(_instances(60, seed=1))`` computed once by the code before units
(commit fc4ca26, run from a worktree of it): without groups every figure must stay the same, byte for byte."""


def _instances(n: int, seed: int, **tags_of: str) -> list[JudgedInstance]:
    """A varied audit: gold chosen, tie or missing; zero to three annotators with verdicts and scores;
    verdicts, probabilities and scores from a judge right about three times in four, some orders unscored."""
    rng = np.random.default_rng(seed)
    judged = []
    for k in range(n):
        quality = rng.uniform(1, 5, 2)
        truth = LABELS[int(rng.choice(3, p=[0.7, 0.2, 0.1]))]
        annotations = tuple(
            Annotation(str(name), truth if rng.random() < 0.8 else LABELS[int(rng.integers(3))], *map(float, np.clip(np.rint(quality + rng.normal(0, 0.7, 2)), 1, 5)))
            for name in rng.choice(ANNOTATORS, int(rng.integers(0, 4)), replace=False)
        )
        gold = ("chosen", "tie", None)[int(rng.choice(3, p=[0.85, 0.1, 0.05]))]
        p_chosen = tuple(None if rng.random() < 0.08 else float(rng.beta(3, 1)) for _ in range(2))
        verdicts = tuple(None if p is None else "chosen" if p > 0.55 else "rejected" if p < 0.45 else "tie" for p in p_chosen)
        scores = (float(quality[0] + rng.normal(0, 0.8)), float(quality[1] + rng.normal(0, 0.8)))
        key = f"i{k:03d}"
        tags = {"group": tags_of[key]} if key in tags_of else {}
        judged.append(JudgedInstance(key, ("math", "chat")[k % 2], gold, "labels", annotations, verdicts, p_chosen, scores, tags))  # type: ignore[arg-type]
    return judged


def _audit(judged: list[JudgedInstance], seed: int = 5) -> Agreement | None:
    """Every agreement figure, as ``summary.agreement_of`` computes them for a pairwise judge."""
    calibrated, points = calibration(judged, PROBABILITIES, seed + 1)
    return agreement(judged, seed, calibration=calibrated, calibration_points=points, scores=score_agreement(judged, seed + 2))


def _digest(result: Agreement | None) -> str:
    """The record's digest, less the field added since (``alt_test_units``, empty without groups)."""
    record = asdict(result) if result is not None else None
    if record is not None:
        assert record["evidence"].pop("alt_test_units") == {}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def test_without_groups_every_figure_is_what_it_was() -> None:
    judged = _instances(60, seed=1)
    result = _audit(judged)
    assert _digest(result) == BEFORE_UNITS
    # A group of one instance is that instance: the grouped code path gives the same figures.
    alone = [replace(instance, tags={"group": instance.instance_id}) for instance in judged]
    assert _audit(alone) == result


def _copied(judged: list[JudgedInstance], copies: int, grouped: bool) -> list[JudgedInstance]:
    """Each instance ``copies`` times, the copies one prompt group (``grouped``) or independent instances."""
    return [
        replace(instance, instance_id=f"{instance.instance_id}-{c}", tags={"group": instance.instance_id} if grouped else {})
        for instance in judged for c in range(copies)
    ]


def _width(interval: tuple) -> float:
    low, high = interval
    return float(high - low)


def test_copies_of_a_pair_in_one_group_change_no_figure_and_no_interval() -> None:
    original = _instances(80, seed=2)
    judged = [replace(instance, scores=None) for instance in original]  # the score bootstraps cost seconds; they have their own test below
    alone, copied, naive = _audit(judged), _audit(_copied(judged, 3, grouped=True)), _audit(_copied(judged, 3, grouped=False))
    assert alone is not None and copied is not None and naive is not None
    assert alone.gold is not None and copied.gold is not None and naive.gold is not None
    assert copied.gold.n_instances == 3 * alone.gold.n_instances  # pairs, counted as pairs
    rates: list[tuple[Rate, Rate, Rate]] = [(alone.gold.accuracy, copied.gold.accuracy, naive.gold.accuracy),
                                            (alone.gold.agreement_with_ties, copied.gold.agreement_with_ties, naive.gold.agreement_with_ties)]
    assert alone.humans is not None and copied.humans is not None and naive.humans is not None
    rates += [(alone.humans.majority, copied.humans.majority, naive.humans.majority),
              (alone.humans.random_annotator, copied.humans.random_annotator, naive.humans.random_annotator)]
    for one, three, independent in rates:
        assert three.rate == pytest.approx(one.rate) and three.n_instances == one.n_instances and independent.n_instances == 3 * one.n_instances
        # the same interval but for the small-sample t quantile of prompt groups (t at n - 1 over z)
        assert three.ci[0] <= one.ci[0] + 1e-12 and one.ci[1] <= three.ci[1] + 1e-12 and _width(three.ci) <= 1.05 * _width(one.ci)
        assert _width(independent.ci) < 0.8 * _width(one.ci)  # as if three times the pairs
    estimates: list[tuple[Estimate | None, Estimate | None, Estimate | None]] = [(alone.gold.kappa, copied.gold.kappa, naive.gold.kappa), (alone.humans.kappa, copied.humans.kappa, naive.humans.kappa),
                 (alone.humans.gap, copied.humans.gap, naive.humans.gap)]
    assert alone.calibration is not None and copied.calibration is not None and naive.calibration is not None
    estimates += [(alone.calibration.ece, copied.calibration.ece, naive.calibration.ece), (alone.calibration.brier, copied.calibration.brier, naive.calibration.brier)]
    for single, tripled, separate in estimates:
        assert single is not None and tripled is not None and separate is not None
        assert tripled.value == pytest.approx(single.value, abs=1e-12) and tripled.n_instances == single.n_instances
        assert tripled.ci == pytest.approx(single.ci, abs=1e-9)  # the same resamples of units, each table three times over
        assert _width(separate.ci) < 0.8 * _width(single.ci)
    assert copied.calibration.n_instances == 3 * alone.calibration.n_instances and copied.calibration.folds == alone.calibration.folds
    assert copied.evidence.gold_confusions == [[3 * c for c in table] for table in alone.evidence.gold_confusions]
    assert copied.evidence.gap == pytest.approx(alone.evidence.gap, abs=1e-12)
    # The Alt-Test stays per instance, as published.
    assert copied.evidence.alt_test == naive.evidence.alt_test


def test_copied_scores_change_no_rank_correlation_or_weighted_kappa() -> None:
    judged = _instances(40, seed=3)
    alone, copied = score_agreement(judged, seed=0), score_agreement(_copied(judged, 2, grouped=True), seed=0)
    naive = score_agreement(_copied(judged, 2, grouped=False), seed=0)
    assert alone is not None and copied is not None and naive is not None
    assert copied.n_instances == 2 * alone.n_instances and copied.n_responses == 2 * alone.n_responses
    # Spearman of doubled data is Spearman of the data (ranks move affinely); kappa of doubled tables is unchanged.
    for one, two, independent in ((alone.spearman, copied.spearman, naive.spearman), (alone.weighted_kappa, copied.weighted_kappa, naive.weighted_kappa)):
        assert two.value == pytest.approx(one.value, abs=1e-12) and two.n_instances == one.n_instances == independent.n_instances // 2
        assert two.ci == pytest.approx(one.ci, abs=1e-9)
        assert _width(independent.ci) < 0.85 * _width(one.ci)


# Coverage under correlated pairs: 60 prompts of 4 pairs each; on a prompt the judge is right in each
# order of each pair with its own probability, drawn from Beta(3, 1) (mean 0.75, intra-prompt correlation 0.2).
PROMPTS, PAIRS, REPLICATIONS = 60, 4, 400
TRUE_ACCURACY = 0.75
TRUE_KAPPA = 0.5
"""As shown, gold is A in one order and B in the other, and the judge says A half the time: chance
agreement 1/2, observed 3/4, kappa (3/4 - 1/2) / (1/2)."""


def _prompts(rng: np.random.Generator, grouped: bool) -> list[JudgedInstance]:
    right = rng.random((PROMPTS, PAIRS, 2)) < rng.beta(3, 1, PROMPTS)[:, None, None]
    return [
        JudgedInstance(f"p{g:02d}-{k}", "c", "chosen", "labels", (), tuple("chosen" if r else "rejected" for r in right[g, k]),  # type: ignore[arg-type]
                       (None, None), None, {"group": f"p{g:02d}"} if grouped else {})
        for g in range(PROMPTS) for k in range(PAIRS)
    ]


def _covers(interval: tuple, value: float) -> bool:
    low, high = interval
    return low is not None and low <= value <= high


@pytest.mark.slow
def test_intervals_over_prompts_cover_the_truth_under_correlated_pairs() -> None:
    rng = np.random.default_rng(17)
    hits = {"accuracy": 0, "kappa": 0, "naive accuracy": 0, "naive kappa": 0}
    for replication in range(REPLICATIONS):
        grouped = _prompts(rng, grouped=True)
        naive = [replace(instance, tags={}) for instance in grouped]
        for prefix, judged in (("", grouped), ("naive ", naive)):
            pairs = [(instance, "chosen") for instance in judged]
            hits[prefix + "accuracy"] += _covers(match_rate(pairs).ci, TRUE_ACCURACY)  # type: ignore[arg-type]
            hits[prefix + "kappa"] += _covers(kappa_estimate(shown_tables(pairs), replication).ci, TRUE_KAPPA)  # type: ignore[arg-type]
    coverage = {name: hit / REPLICATIONS for name, hit in hits.items()}
    print(f"coverage over {REPLICATIONS} runs of {PROMPTS} prompts x {PAIRS} pairs: {coverage}")
    assert 0.93 <= coverage["accuracy"] <= 0.97 and 0.93 <= coverage["kappa"] <= 0.97, coverage
    assert coverage["naive accuracy"] < 0.88 and coverage["naive kappa"] < 0.88, coverage


def test_calibration_folds_hold_out_whole_prompts() -> None:
    """Every instance of a group states the same probability, so within a group the cross-fitted
    recalibrated P(A) is the same exactly when the group's instances share a fold."""
    rng = np.random.default_rng(4)
    judged = []
    for g in range(30):
        p = float(special.expit(rng.normal(1.0, 1.0)))
        judged += [JudgedInstance(f"g{g:02d}-{k}", "c", "chosen", "labels", (), ("chosen", "chosen"), (p, p), None, {"group": f"g{g:02d}"}) for k in range(3)]
    record, points = calibration(judged, PROBABILITIES, seed=0)
    assert record is not None and record.n_instances == 90 and record.ece.n_instances == 30 and record.folds == 5
    table = np.asarray(points)
    assert sorted(set(table[:, 0].astype(int))) == list(range(30))
    for unit in range(30):
        rows = table[table[:, 0] == unit]
        assert len(rows) == 6 and len({round(p, 12) for p in rows[rows[:, 3] == 1, 2]}) == 1  # one fold per unit
    # Without the groups the folds split them.
    _, independent = calibration([replace(instance, tags={}) for instance in judged], PROBABILITIES, seed=0)
    split = np.asarray(independent)
    groups = split[:, 0].astype(int) // 3
    assert any(len({round(p, 12) for p in split[(groups == g) & (split[:, 3] == 1), 2]}) > 1 for g in range(30))


def test_the_evidence_is_per_unit_and_bounds_what_the_summary_shows() -> None:
    groups = {f"i{k:03d}": f"q{k // 4}" for k in range(100)}  # 25 prompts of four pairs
    judged = _instances(100, seed=6, **groups)
    result = _audit(judged, seed=7)
    assert result is not None and result.gold is not None and result.humans is not None and result.calibration is not None
    units_with_gold = {groups[instance.instance_id] for instance in judged if instance.gold is not None and any(instance.verdicts)}
    assert len(result.evidence.gold_confusions) == len(units_with_gold) == result.gold.kappa.n_instances
    assert result.gold.n_instances == sum(instance.gold is not None for instance in judged)
    # The certificate's one-sided bounds at 97.5% are the summary's two-sided 95% interval.
    assert kappa_bounds(result.evidence.gold_confusions, 0.975, seed=7) == result.gold.kappa.ci
    assert kappa_bounds(result.evidence.majority_confusions, 0.975, seed=7) == result.humans.kappa.ci
    assert result.humans.gap is not None and len(result.evidence.gap) == result.humans.gap.n_instances <= 25
    assert mean_bounds(result.evidence.gap, 0.975, seed=7) == result.humans.gap.ci
    assert int(max(point[0] for point in result.evidence.calibration)) + 1 == result.calibration.ece.n_instances <= 25
    low, high = ece_bounds(result.evidence.calibration, 0.95, seed=7, recalibrated=False)
    assert low is not None and high is not None and low <= result.calibration.ece.value <= high  # type: ignore[operator]


def test_the_alt_test_runs_over_prompt_groups_and_so_does_the_certificate() -> None:
    """Each instance of a panel copied three times into one prompt group: every annotator's test, and
    the certificate's Alt-Test decision, are those of the original panel (rho are shares of instances,
    the same); counted as independent, the copies would make every p-value smaller."""
    from judgeaudit.certification.agreement_criteria import decide_agreement
    from judgeaudit.certification.policy import ValidityLimits
    from tests.stats.test_agreement import _panel

    panel = _panel("majority", n_instances=20, accuracy=0.75, seed=3)
    alone, grouped, naive = (agreement(judged, seed=0, alt_epsilon=0.2) for judged in (panel, _copied(panel, 3, True), _copied(panel, 3, False)))
    assert alone and grouped and naive and alone.humans and grouped.humans and naive.humans
    one, three, independent = (result.humans.alt_test for result in (alone, grouped, naive))
    assert one and three and independent and len(one.annotators) == 4
    assert all(len(units) == 60 and max(units) == 19 for units in grouped.evidence.alt_test_units.values())
    assert naive.evidence.alt_test_units == {} == alone.evidence.alt_test_units
    for a, b, c in zip(one.annotators, three.annotators, independent.annotators, strict=True):
        assert (b.n_instances, b.test) == (3 * a.n_instances, a.test) and b.p_value == pytest.approx(a.p_value)
        assert (b.judge_advantage, b.human_advantage) == pytest.approx((a.judge_advantage, a.human_advantage))
        assert c.p_value < a.p_value
    limits = ValidityLimits(min_accuracy=None, max_tie_rate=None, min_position_consistency=None, max_noise_floor=None, alt_test_epsilon=0.2)
    decided = [decide_agreement(asdict(result), limits, 0.95, seed=0)["alt_test"] for result in (alone, grouped)]
    assert decided[0].decision == decided[1].decision and decided[0].reasons == decided[1].reasons
