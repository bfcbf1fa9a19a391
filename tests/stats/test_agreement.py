"""Agreement with gold and human labels, checked against independent computations: statsmodels' Cohen's
kappa, the ``krippendorff`` package's alpha, hand counts, and the Alt-Test written out as a plain loop."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa

from judgeaudit.schema import Annotation, Label
from judgeaudit.stats.agreement import (
    DISAGREEMENTS_KEPT,
    agreement,
    alt_test_from_differences,
    gold_agreement,
    human_agreement,
    kappa_bounds,
    mean_bounds,
)
from judgeaudit.stats.alt_test import alt_test, alt_test_differences, one_sided_p
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.kappa import kappa_estimate

DATA = Path(__file__).resolve().parents[1] / "data" / "human_judgments"
EXPECTED = json.loads((DATA / "expected.json").read_text())
VALUE = {"chosen": 1.0, "tie": 0.5, "rejected": 0.0}
SHOWN = ({"chosen": "A", "rejected": "B", "tie": "tie"}, {"chosen": "B", "rejected": "A", "tie": "tie"})


def _judged(key, annotations, verdicts, gold="from annotators", category="c", source="human majority") -> JudgedInstance:
    if gold == "from annotators":
        ranked = Counter(a.verdict for a in annotations).most_common()
        gold = ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else None
    return JudgedInstance(key, category, gold, source, tuple(annotations), verdicts, (None, None), None)


def _with_fixed_judge(groups: list[list[Annotation]]) -> list[JudgedInstance]:
    """The judge copies the annotator with the smallest id when the chosen response is shown first, and
    says chosen when it is shown second."""
    return [_judged(f"i{k:02d}", votes, (min(votes, key=lambda a: a.annotator).verdict, "chosen")) for k, votes in enumerate(groups)]


def mt_bench() -> list[JudgedInstance]:
    """FastChat's keying: (question, sorted models, turn); model_a of the pair's first record is chosen."""
    pairs: dict[tuple, tuple[str, list[Annotation]]] = {}
    for line in (DATA / "mt_bench_human.jsonl").read_text().splitlines():
        record = json.loads(line)
        key = (record["question_id"], tuple(sorted((record["model_a"], record["model_b"]))), record["turn"])
        chosen, votes = pairs.setdefault(key, (record["model_a"], []))
        winner = record["winner"]
        votes.append(Annotation(record["judge"], "tie" if "tie" in winner else "chosen" if record[winner] == chosen else "rejected"))
    return _with_fixed_judge([votes for _, votes in pairs.values()])


def alpaca_farm() -> list[JudgedInstance]:
    """Groups of four annotators per (instruction, output_1, output_2); output_1 is chosen."""
    groups: dict[tuple, list[Annotation]] = {}
    for record in json.loads((DATA / "alpaca_farm_crossannotations.json").read_text()):
        key = (record["instruction"], record["output_1"], record["output_2"])
        groups.setdefault(key, []).append(Annotation(str(record["annotator_index"]), "chosen" if record["preference"] == 1 else "rejected"))
    return _with_fixed_judge(list(groups.values()))


FIXTURES = {"mt_bench_human": mt_bench, "alpaca_farm_crossannotations": alpaca_farm}


def _pooled_shown_table(pairs) -> np.ndarray:
    """Reference (rows) by verdict (columns), A / B / tie as shown, over every scored order."""
    classes = ["A", "B", "tie"]
    table = np.zeros((3, 3))
    for instance, reference in pairs:
        for order, verdict in enumerate(instance.verdicts):
            if verdict is not None:
                table[classes.index(SHOWN[order][reference]), classes.index(SHOWN[order][verdict])] += 1
    return table


def _averaged(instance: JudgedInstance) -> str | None:
    values = [VALUE[v] for v in instance.verdicts if v is not None]
    if not values:
        return None
    mean = np.mean(values)
    return "chosen" if mean > 0.5 else "rejected" if mean < 0.5 else "tie"


def _reliability(judged: list[JudgedInstance], with_judge: bool) -> np.ndarray:
    """Coders by units (instances with two or more annotations), NaN where a coder gave no value."""
    shared = [instance for instance in judged if len(instance.annotations) >= 2]
    coders = sorted({a.annotator for instance in shared for a in instance.annotations})
    code = {"chosen": 0, "rejected": 1, "tie": 2}
    data = np.full((len(coders) + with_judge, len(shared)), np.nan)
    for unit, instance in enumerate(shared):
        for a in instance.annotations:
            data[coders.index(a.annotator), unit] = code[str(a.verdict)]
        if with_judge and (verdict := _averaged(instance)) is not None:
            data[-1, unit] = code[verdict]
    return data


@pytest.mark.parametrize("name", FIXTURES)
def test_the_fixtures_parse_to_the_hand_counts(name: str) -> None:
    judged, expected = FIXTURES[name](), EXPECTED[name]
    humans = human_agreement(judged, seed=0)
    assert humans is not None
    assert humans.n_instances == expected["n_pairs"] == len(judged)
    assert humans.n_annotations == expected["n_records"]
    assert humans.n_annotators == expected.get("n_judges", expected.get("n_annotators"))
    histogram = Counter(len(instance.annotations) for instance in judged)
    assert {str(k): v for k, v in histogram.items()} == expected["annotations_per_pair_histogram"]
    unanimous = sum(len({a.verdict for a in instance.annotations}) == 1 for instance in judged)
    assert unanimous == expected.get("unanimous_pairs_strict", expected.get("unanimous_pairs"))


def test_alpaca_farm_majorities_match_the_hand_counts() -> None:
    humans = human_agreement(alpaca_farm(), seed=0)
    expected = EXPECTED["alpaca_farm_crossannotations"]
    assert humans is not None
    assert humans.no_majority == expected["tied_pairs_2_2"] == 6
    rows = [sum(row) + unscored for row, unscored in zip(humans.confusion.counts, humans.confusion.unscored, strict=True)]
    # Two probes per pair (both orders), by the majority's label.
    assert rows == [2 * expected["majority_preference_counts"]["1"], 2 * expected["majority_preference_counts"]["2"], 0]


@pytest.mark.parametrize("name", FIXTURES)
def test_rates_match_hand_counts(name: str) -> None:
    judged = FIXTURES[name]()
    gold, humans = gold_agreement(judged, seed=0), human_agreement(judged, seed=0)
    assert gold is not None and humans is not None
    labelled = [i for i in judged if i.gold is not None]
    untied = [i for i in labelled if i.gold != "tie"]  # a majority of the fixtures' annotators may prefer the "rejected" one
    scored = [v == i.gold for i in untied for v in i.verdicts if v is not None]
    assert gold.n_instances == len(labelled) and gold.n_tie_gold == sum(i.gold == "tie" for i in labelled)
    assert gold.accuracy.rate == pytest.approx(np.mean(scored)) and gold.accuracy.n_instances == len(untied)
    for order, name in enumerate(("chosen_first", "chosen_second")):
        assert gold.accuracy_by_order[name].rate == pytest.approx(np.mean([i.verdicts[order] == i.gold for i in untied]))
    assert gold.accuracy_averaged.rate == pytest.approx(np.mean([_averaged(i) == i.gold for i in labelled]))
    matches = [v == i.gold for i in labelled for v in i.verdicts]
    assert gold.agreement_with_ties.rate == pytest.approx(np.mean(matches))
    assert humans.no_majority == len(judged) - len(labelled)
    assert humans.majority.rate == gold.agreement_with_ties.rate  # gold is the majority here
    shares = [np.mean([np.mean([a.verdict == v for a in i.annotations]) for v in i.verdicts]) for i in judged]
    assert humans.random_annotator.rate == pytest.approx(np.mean(shares))
    ceilings = [
        np.mean([a.verdict == b.verdict for a in i.annotations for b in i.annotations if a is not b]) for i in judged if len(i.annotations) >= 2
    ]
    assert humans.ceiling is not None and humans.ceiling.rate == pytest.approx(np.mean(ceilings))
    assert humans.gap is not None and humans.gap.value == pytest.approx(np.mean(shares) - np.mean(ceilings))
    low, high = humans.gap.ci
    assert low is not None and high is not None and low <= np.mean(shares) - np.mean(ceilings) <= high


@pytest.mark.parametrize("name", FIXTURES)
def test_kappa_matches_statsmodels(name: str) -> None:
    judged = FIXTURES[name]()
    gold, humans = gold_agreement(judged, seed=0), human_agreement(judged, seed=0)
    assert gold is not None and humans is not None
    expected = cohens_kappa(_pooled_shown_table([(i, i.gold) for i in judged if i.gold is not None])).kappa
    assert gold.kappa.value == pytest.approx(expected, abs=1e-12)
    assert humans.kappa.value == pytest.approx(expected, abs=1e-12)
    low, high = gold.kappa.ci
    assert low is not None and high is not None and gold.kappa.value is not None and low < gold.kappa.value < high


@pytest.mark.parametrize("name", FIXTURES)
def test_alpha_matches_the_krippendorff_package(name: str) -> None:
    judged = FIXTURES[name]()
    humans = human_agreement(judged, seed=0)
    assert humans is not None and humans.alpha_humans is not None and humans.alpha_with_judge is not None
    for estimate, with_judge in ((humans.alpha_humans, False), (humans.alpha_with_judge, True)):
        expected = krippendorff.alpha(reliability_data=_reliability(judged, with_judge), level_of_measurement="nominal")
        assert estimate.value == pytest.approx(expected, abs=1e-12)
        low, high = estimate.ci
        assert low is not None and high is not None and estimate.value is not None and low < estimate.value < high


@pytest.mark.parametrize("name", FIXTURES)
def test_the_fixtures_disagreements_and_what_is_not_assessable(name: str) -> None:
    judged = FIXTURES[name]()
    result = agreement(judged, seed=0)
    assert result is not None
    unanimous = {i.instance_id: i.annotations[0].verdict for i in judged if len({a.verdict for a in i.annotations}) == 1}
    wrong = sorted(key for key, label in unanimous.items() if _averaged(next(i for i in judged if i.instance_id == key)) != label)
    assert [d.instance_id for d in result.disagreements] == wrong and result.n_disagreements == len(wrong)
    for found in result.disagreements:
        n = len(next(i for i in judged if i.instance_id == found.instance_id).annotations)
        assert found.reference_source == f"{n} of {n} annotators" and found.reference == unanimous[found.instance_id]
    # Two to five instances per annotator: nobody can be tested.
    assert result.humans is not None and result.humans.alt_test is not None and result.humans.alt_test.passed is None
    assert result.not_assessable["Alt-Test"] == "fewer than 2 annotators share 10 or more instances with another annotator"
    assert result.not_assessable["calibration"] == "the judge gives verdicts only, no probabilities"
    assert "human agreement" not in result.not_assessable and "gold agreement" not in result.not_assessable


def test_kappa_is_read_as_shown_and_accuracy_in_the_data_frame() -> None:
    # A judge that always says A: right in the first order, wrong in the second.
    judged = [_judged(f"i{k}", (), ("chosen", "rejected"), gold="chosen", source="labels") for k in range(20)]
    gold = gold_agreement(judged, seed=0)
    assert gold is not None
    assert gold.kappa.value == pytest.approx(0.0) and gold.accuracy.rate == 0.5 and gold.accuracy_averaged.rate == 0.0
    assert gold.accuracy_by_order["chosen_first"].rate == 1.0 and gold.accuracy_by_order["chosen_second"].rate == 0.0
    assert gold.confusion.counts == ((20, 20, 0), (0, 0, 0), (0, 0, 0))
    # A judge that is always right is perfectly in agreement as shown.
    right = [_judged(f"i{k}", (), ("chosen", "chosen"), gold="chosen", source="labels") for k in range(20)]
    assert gold_agreement(right, seed=0).kappa.value == pytest.approx(1.0)  # type: ignore[union-attr]


def test_ties_unscored_orders_and_mixed_sources() -> None:
    judged = [
        _judged("a", (), ("tie", "chosen"), gold="chosen", source="labels"),  # averaged 0.75: chosen
        _judged("b", (), ("tie", "rejected"), gold="tie", source="human majority"),  # averaged 0.25: rejected
        _judged("c", (), ("tie", None), gold="tie", source="human majority"),  # one order only
        _judged("d", (), (None, None), gold="chosen", source="human majority"),  # never scored
        _judged("e", (), ("chosen", "chosen"), gold=None),  # no gold: left out
    ]
    gold = gold_agreement(judged, seed=0)
    assert gold is not None
    assert gold.source == "human majority (3), labels (1)" and gold.n_instances == 4 and gold.n_tie_gold == 2
    assert gold.accuracy.rate == 0.5 and gold.accuracy.n_instances == 1  # a tie verdict is not a win; d is unscored
    assert gold.accuracy_averaged.rate == 0.5 and gold.accuracy_averaged.n_instances == 2  # a right, b wrong; c and d not in both orders
    assert gold.agreement_with_ties.rate == pytest.approx(3 / 5)  # a: 1 of 2, b: 1 of 2, c: 1 of 1
    assert gold.confusion.counts == ((1, 0, 1), (0, 0, 0), (0, 1, 2)) and gold.confusion.unscored == (2, 0, 1)
    assert gold_agreement([judged[-1]], seed=0) is None


def test_majority_ties_and_a_clear_reference() -> None:
    vote = lambda *labels: tuple(Annotation(f"h{k}", label) for k, label in enumerate(labels))  # noqa: E731
    judged = [
        _judged("a", vote("chosen", "rejected"), ("chosen", "chosen")),  # no majority
        _judged("b", vote("rejected", "rejected", "chosen"), ("rejected", "tie")),  # majority rejected
        _judged("c", vote("tie", "tie"), ("chosen", "chosen"), gold="chosen"),  # unanimous tie: the annotators are the reference
        _judged("d", (), ("rejected", "tie"), gold="chosen"),  # no annotations: gold is the reference
        _judged("e", (Annotation("h0", None, 2.0, 5.0),), ("rejected", "rejected")),  # a preference from scores alone
    ]
    humans = human_agreement(judged, seed=0)
    assert humans is not None
    assert humans.n_instances == 4 and humans.n_annotations == 8 and humans.no_majority == 1
    assert humans.majority.rate == pytest.approx(3 / 6)  # b: 1 of 2, c: 0 of 2, e: 2 of 2
    assert humans.confusion.counts == ((0, 0, 0), (0, 3, 1), (2, 0, 0))
    result = agreement(judged, seed=0)
    assert result is not None
    assert [(d.instance_id, d.reference, d.reference_source) for d in result.disagreements] == [("c", "tie", "2 of 2 annotators"), ("d", "chosen", "gold")]


def test_disagreements_keep_the_first_in_id_order_and_count_all() -> None:
    judged = [_judged(f"i{k:03d}", (), ("rejected", "rejected"), gold="chosen") for k in range(DISAGREEMENTS_KEPT + 7)]
    result = agreement(judged, seed=0)
    assert result is not None and result.n_disagreements == DISAGREEMENTS_KEPT + 7
    assert [d.instance_id for d in result.disagreements] == [f"i{k:03d}" for k in range(DISAGREEMENTS_KEPT)]


def test_what_is_not_assessable_and_when_there_is_nothing() -> None:
    assert agreement([], seed=0) is None
    judged = [_judged("a", (), ("chosen", "chosen"), gold=None)]
    result = agreement(judged, seed=0)
    assert result is not None and result.gold is None and result.humans is None
    assert result.not_assessable["gold agreement"] == "no instance has a gold label"
    assert result.not_assessable["human agreement"] == "the data carries no human annotations"
    single = agreement([_judged("a", (Annotation("h", "chosen"),), ("chosen", "chosen"))], seed=0)
    assert single is not None and single.humans is not None and single.humans.ceiling is None and single.humans.alpha_humans is None
    assert single.not_assessable["Alt-Test"] == "no instance has two or more annotations"


def test_by_category() -> None:
    vote = (Annotation("h0", "chosen"), Annotation("h1", "chosen"))
    judged = [_judged(f"m{k}", vote, ("chosen", "rejected"), category="math") for k in range(6)]
    judged += [_judged(f"w{k}", (), ("chosen", "chosen"), gold="chosen", category="writing") for k in range(4)]
    categories = agreement(judged, seed=0).by_category  # type: ignore[union-attr]
    assert list(categories) == ["math", "writing"]
    assert categories["math"].accuracy.rate == 0.5 and categories["math"].kappa.value == pytest.approx(0.0)
    assert categories["math"].majority is not None and categories["math"].majority.rate == 0.5
    assert categories["writing"].accuracy.rate == 1.0 and categories["writing"].majority is None


def test_bounds_are_one_sided_at_the_confidence_asked() -> None:
    rng = np.random.default_rng(3)
    judged = [_judged(f"i{k}", (), tuple(rng.choice(["chosen", "rejected", "tie"], 2, p=[0.7, 0.2, 0.1])), gold="chosen") for k in range(80)]
    evidence = agreement(judged, seed=4).evidence  # type: ignore[union-attr]
    assert len(evidence.gold_confusions) == 80 and all(sum(table) == 2 for table in evidence.gold_confusions)
    assert kappa_bounds(evidence.gold_confusions, 0.95, seed=4) == kappa_estimate(evidence.gold_confusions, 4, confidence=0.90).ci
    narrow, wide = kappa_bounds(evidence.gold_confusions, 0.8, seed=4), kappa_bounds(evidence.gold_confusions, 0.99, seed=4)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]  # type: ignore[operator]
    values = rng.uniform(-1, 1, 60)
    low, high = mean_bounds(values, 0.95, seed=4)
    assert low is not None and high is not None and low < values.mean() < high
    assert (high - low) == pytest.approx(2 * 1.645 * values.std(ddof=1) / np.sqrt(60), rel=0.15)


# The Alt-Test against the paper's procedure written as a plain loop.


def _paper_alt_test(judged: list[JudgedInstance], epsilon: float, q: float) -> tuple[float, float, list[float]]:
    """Calderon et al.'s procedure, judge verdict = its first-order verdict (the tests give the same in both)."""
    annotators = sorted({a.annotator for i in judged for a in i.annotations})
    p_values, advantages = [], []
    for held_out in annotators:
        w_f, w_h = [], []
        for instance in judged:
            mine = [a.verdict for a in instance.annotations if a.annotator == held_out]
            others = [a.verdict for a in instance.annotations if a.annotator != held_out]
            if not mine or not others:
                continue
            s_h = np.mean([mine[0] == other for other in others])
            s_f = np.mean([instance.verdicts[0] == other for other in others])
            w_f.append(1 if s_f >= s_h else 0)
            w_h.append(1 if s_h >= s_f else 0)
        d = np.array(w_h) - np.array(w_f)
        p_values.append(stats.ttest_1samp(d, epsilon, alternative="less").pvalue)
        advantages.append(np.mean(w_f))
    # Benjamini-Yekutieli step-up.
    m = len(p_values)
    order = np.argsort(p_values)
    harmonic = sum(1 / k for k in range(1, m + 1))
    passing = [rank for rank in range(m) if p_values[order[rank]] <= (rank + 1) / m * q / harmonic]
    rejected = 0 if not passing else max(passing) + 1
    return rejected / m, float(np.mean(advantages)), p_values


def _panel(judge: str, n_instances: int = 45, n_annotators: int = 4, accuracy: float = 0.8, seed: int = 0) -> list[JudgedInstance]:
    """Annotators who report the true label with probability ``accuracy``; the judge says ``chosen``
    always, copies the annotators' majority, or copies the truth."""
    rng = np.random.default_rng(seed)
    judged = []
    for k in range(n_instances):
        truth: Label = "chosen" if rng.random() < 0.5 else "rejected"
        other: Label = "rejected" if truth == "chosen" else "chosen"
        votes = [Annotation(f"h{a}", truth if rng.random() < accuracy else other) for a in range(n_annotators)]
        ranked = Counter(v.verdict for v in votes).most_common()
        verdict = {"chosen": "chosen", "majority": ranked[0][0], "truth": truth}[judge]
        judged.append(_judged(f"i{k:03d}", votes, (verdict, verdict)))
    return judged


@pytest.mark.parametrize(("judge", "passes"), [("chosen", False), ("majority", True), ("truth", True)])
def test_alt_test_matches_the_papers_procedure(judge: str, passes: bool) -> None:
    judged = _panel(judge)
    result = alt_test(judged, epsilon=0.2, q=0.05)
    winning_rate, advantage, p_values = _paper_alt_test(judged, 0.2, 0.05)
    assert [a.annotator for a in result.annotators] == ["h0", "h1", "h2", "h3"]
    assert all(a.test == "t-test" and a.n_instances == 45 for a in result.annotators)
    assert [a.p_value for a in result.annotators] == pytest.approx(p_values)
    assert result.winning_rate == pytest.approx(winning_rate) and result.advantage_probability == pytest.approx(advantage)
    assert result.passed is passes and (result.winning_rate >= 0.5) is passes  # type: ignore[operator]


def test_alt_test_with_fewer_instances_uses_wilcoxon_and_skips_the_smallest() -> None:
    judged = _panel("truth", n_instances=20, n_annotators=3, accuracy=0.6)
    judged += [_judged("x", (Annotation("h9", "chosen"), Annotation("h0", "chosen")), ("chosen", "chosen"))]
    result = alt_test(judged)
    assert [(a.annotator, a.n_instances, a.test) for a in result.annotators] == [("h0", 21, "Wilcoxon signed-rank"), ("h1", 20, "Wilcoxon signed-rank"), ("h2", 20, "Wilcoxon signed-rank")]
    assert result.skipped == {"h9": 1}
    d = np.array(alt_test_differences(judged)[0]["h1"])
    assert np.ptp(d) > 0
    assert result.annotators[1].p_value == pytest.approx(stats.wilcoxon(d - 0.2, alternative="less").pvalue)


def test_the_judges_share_is_its_mean_over_orders() -> None:
    # Two others say chosen; the held-out annotator says chosen (S_h = 1); the judge says chosen then tie (S_f = 0.5).
    votes = (Annotation("h0", "chosen"), Annotation("h1", "chosen"), Annotation("h2", "chosen"))
    assert alt_test_differences([_judged("a", votes, ("chosen", "tie"))])[0] == {"h0": [1], "h1": [1], "h2": [1]}
    assert alt_test_differences([_judged("a", votes, ("chosen", None))])[0] == {"h0": [0], "h1": [0], "h2": [0]}
    assert alt_test_differences([_judged("a", votes, (None, None))])[0] == {"h0": [], "h1": [], "h2": []}
    # One other says chosen, one rejected: h0 (chosen) scores 1/2, the judge scores (1/2 + 1/2) / 2.
    split = (Annotation("h0", "chosen"), Annotation("h1", "chosen"), Annotation("h2", "rejected"))
    assert alt_test_differences([_judged("a", split, ("chosen", "rejected"))])[0]["h0"] == [0]


def test_degenerate_differences_are_decided_exactly() -> None:
    # Why the case needs its own rule: scipy is certain after ten ties (and undefined at d = epsilon).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert stats.ttest_1samp([0] * 30, 0.2, alternative="less").pvalue == 0.0
        assert np.isnan(stats.ttest_1samp([0] * 30, 0.0, alternative="less").pvalue)
    assert stats.wilcoxon([-0.2] * 10, alternative="less").pvalue == pytest.approx(2**-10)
    assert one_sided_p([-1] * 30, 0.2) == ("t-test", pytest.approx(0.4**30))
    assert one_sided_p([0] * 30, 0.2) == ("t-test", pytest.approx(0.8**30))
    assert one_sided_p([0] * 10, 0.2) == ("Wilcoxon signed-rank", pytest.approx(0.8**10))
    assert one_sided_p([1] * 30, 0.2)[1] == 1.0 and one_sided_p([0] * 30, 0.0)[1] == 1.0
    # Every judge verdict ties every annotator's on 30 instances: it wins against all three...
    ties = alt_test_from_differences({"a": [0] * 30, "b": [0] * 30, "c": [0] * 30})
    assert ties.passed is True and ties.winning_rate == 1.0 and ties.advantage_probability == 1.0
    # ...but not on ten (0.8^10 = 0.11), nor when every annotator beats it.
    assert alt_test_from_differences({"a": [0] * 10, "b": [0] * 10}).passed is False
    assert alt_test_from_differences({"a": [1] * 30, "b": [1] * 30}).passed is False


def test_alt_test_recomputed_from_the_evidence() -> None:
    judged = _panel("majority", accuracy=0.75, seed=5)
    result = agreement(judged, seed=0, alt_epsilon=0.1)
    assert result is not None and result.humans is not None
    recorded = result.humans.alt_test
    recomputed = alt_test_from_differences(result.evidence.alt_test, epsilon=0.1, q=0.05)
    assert recomputed == recorded
    strict, lenient = (alt_test_from_differences(result.evidence.alt_test, epsilon=e) for e in (0.0, 0.3))
    assert sum(a.won for a in strict.annotators) <= sum(a.won for a in lenient.annotators)
    assert all(a.p_value >= b.p_value for a, b in zip(strict.annotators, lenient.annotators, strict=True))
    with pytest.raises(ValueError, match="epsilon"):
        alt_test_from_differences({"a": [0] * 10}, epsilon=1.0)


def test_alt_test_is_not_assessable_with_one_annotator_tested() -> None:
    result = alt_test_from_differences({"a": [0, -1] * 10, "b": [0] * 3})
    assert result.passed is None and len(result.annotators) == 1 and result.skipped == {"b": 3}
    assert result.winning_rate is not None and result.reason.startswith("fewer than 2 annotators")


def test_the_majority_figures_of_human_agreement_are_match_rate_and_kappa_of_the_majority() -> None:
    # The coverage simulation checks these two pieces alone; here they are what human_agreement reports.
    from tests.stats.test_agreement_coverage import _against_majority

    judged = alpaca_farm()
    humans = human_agreement(judged, seed=3)
    assert humans is not None and _against_majority(judged, seed=3) == (humans.majority, humans.kappa)


def test_annotators_are_listed_in_a_readers_order() -> None:
    """AlpacaFarm's annotators are numbers: 2 comes before 10, and named annotators after the numbered."""
    votes = [Annotation(name, "chosen") for name in ("10", "2", "expert_1", "1")]
    differences = alt_test_differences([_judged("i", votes, ("chosen", "chosen"))])[0]
    assert list(differences) == ["1", "2", "10", "expert_1"]
