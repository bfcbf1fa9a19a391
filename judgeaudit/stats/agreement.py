"""Is the judge right: its verdicts on the unchanged pairs against the gold label and the human annotators.

The unit (``stats.units``: the instance, or the prompt group where one prompt gave several instances) is
the observation of every interval; the two orders of a pair are never two. Rates are pooled over a
unit's scored orders with a unit-clustered interval; kappa and alpha sum each unit's tables and are
bootstrapped over units; the gap, the share of annotators the judge matches and the ceiling are means
over units of each unit's mean. Counts (``n_instances``, confusion matrices, disagreements) stay per
instance, and so does the Alt-Test, as published.

Verdicts are read in the data's frame (chosen / rejected / tie) for rates, and as shown (A / B / tie:
with the chosen response first chosen is A, second it is B) for kappa, so that a judge that follows
position rather than content gets a kappa near 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from judgeaudit.schema import Label
from judgeaudit.stats.alt_test import ALT_EPSILON, ALT_Q, alt_test, alt_test_differences, alt_test_from_differences, votes
from judgeaudit.stats.inference import CONFIDENCE, clustered_rate
from judgeaudit.stats.judged import ORDERS, JudgedInstance
from judgeaudit.stats.kappa import alpha_estimate, coincidences, kappa_bounds, kappa_estimate
from judgeaudit.stats.records import (
    Agreement,
    AgreementEvidence,
    Calibration,
    CategoryAgreement,
    Confusion,
    Disagreement,
    Estimate,
    GoldAgreement,
    HumanAgreement,
    Interval,
    Rate,
    ScoreAgreement,
)
from judgeaudit.stats.resampling import instance_bootstrap
from judgeaudit.stats.units import Units

__all__ = [
    "ALT_EPSILON",
    "DISAGREEMENTS_KEPT",
    "agreement",
    "alt_test_from_differences",
    "gold_agreement",
    "human_agreement",
    "kappa_bounds",
    "mean_bounds",
]

DISAGREEMENTS_KEPT = 50
LABELS: tuple[Label, ...] = ("chosen", "rejected", "tie")
AS_SHOWN: tuple[dict[Label, int], dict[Label, int]] = ({"chosen": 0, "rejected": 1, "tie": 2}, {"chosen": 1, "rejected": 0, "tie": 2})
"""Per order, a label's class as shown (A, B, tie): chosen is A when shown first and B when shown second."""
VALUE: dict[Label, float] = {"chosen": 1.0, "tie": 0.5, "rejected": 0.0}
Referenced = Sequence[tuple[JudgedInstance, Label]]
"""Instances, each beside the label its verdicts are compared with (gold, or the annotators' majority)."""


def scored(instance: JudgedInstance) -> list[tuple[int, Label]]:
    """The instance's verdicts with the order (0: chosen shown first) of each, unscored orders left out."""
    return [(order, verdict) for order, verdict in enumerate(instance.verdicts) if verdict is not None]


def averaged_verdict(instance: JudgedInstance) -> Label | None:
    """The mean of the scored orders' 1 / 0.5 / 0 for chosen: above a half chosen, below rejected, a half a tie."""
    values = [VALUE[verdict] for _, verdict in scored(instance)]
    if not values:
        return None
    mean = sum(values) / len(values)
    return "chosen" if mean > 0.5 else "rejected" if mean < 0.5 else "tie"


def majority(labels: Sequence[Label]) -> Label | None:
    """The label with the most annotations; None when two labels share first place."""
    ranked = Counter(labels).most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _labels(instance: JudgedInstance) -> list[Label]:
    return [label for _, label in votes(instance)]


def _ids(instances: Sequence[JudgedInstance]) -> list[str]:
    return [instance.instance_id for instance in instances]


def _units(instances: Sequence[JudgedInstance]) -> Units:
    """The units the instances form (``stats.units``)."""
    return Units.from_tags((instance.instance_id, instance.tags) for instance in instances)


def _unit_means(instances: Sequence[JudgedInstance], values: ArrayLike) -> np.ndarray:
    """Per unit of ``instances``, the mean of its instances' ``values`` (one value per instance)."""
    return _units(instances).means(_ids(instances), values)


def _unit_rate(instances: Sequence[JudgedInstance], events: ArrayLike, trials: ArrayLike) -> Rate:
    """A share pooled over the instances' events and trials, clustered by unit."""
    return _units(instances).rate(_ids(instances), events, trials)


def _unit_tables(instances: Sequence[JudgedInstance], tables: ArrayLike) -> np.ndarray:
    """Per unit, the sum of its instances' flattened 3 x 3 tables (one row per instance)."""
    rows = np.asarray(tables, dtype=float).reshape(len(instances), 9)
    return np.column_stack(_units(instances).sums(_ids(instances), *rows.T))


def match_rate(pairs: Referenced) -> Rate:
    """How often the verdict equals the reference, per unit over its instances' scored orders."""
    verdicts = [(scored(instance), reference) for instance, reference in pairs]
    events = [sum(v == reference for _, v in s) for s, reference in verdicts]
    return _unit_rate([instance for instance, _ in pairs], events, [len(s) for s, _ in verdicts])


def _order_rate(pairs: Referenced, order: int) -> Rate:
    """The same in one order alone."""
    verdicts = [(instance.verdicts[order], reference) for instance, reference in pairs]
    return _unit_rate([instance for instance, _ in pairs], [v == reference for v, reference in verdicts], [v is not None for v, _ in verdicts])


def _averaged_rate(pairs: Referenced) -> Rate:
    """The order-averaged verdict equals the reference (instances scored in both orders)."""
    both = [(instance, reference) for instance, reference in pairs if None not in instance.verdicts]
    return _unit_rate([instance for instance, _ in both], [averaged_verdict(instance) == reference for instance, reference in both], [1] * len(both))


def shown_tables(pairs: Referenced) -> list[list[int]]:
    """Per unit with a scored verdict, its 3 x 3 table as shown (its instances' summed), flattened:
    reference by verdict (A, B, tie)."""
    tables = []
    for instance, reference in pairs:
        table = [0] * 9
        for order, verdict in scored(instance):
            table[3 * AS_SHOWN[order][reference] + AS_SHOWN[order][verdict]] += 1
        tables.append(table)
    return [table for table in _unit_tables([instance for instance, _ in pairs], tables).astype(int).tolist() if any(table)]


def confusion(pairs: Referenced, reference: str) -> Confusion:
    """Control probes by the reference (rows) and the verdict (columns), in the data's frame."""
    counts = np.zeros((3, 3), dtype=int)
    unscored = [0, 0, 0]
    for instance, label in pairs:
        row = LABELS.index(label)
        for verdict in instance.verdicts:
            if verdict is None:
                unscored[row] += 1
            else:
                counts[row, LABELS.index(verdict)] += 1
    return Confusion(reference, LABELS, tuple(tuple(int(c) for c in row) for row in counts), tuple(unscored))


def _gold_pairs(judged: Sequence[JudgedInstance]) -> list[tuple[JudgedInstance, Label]]:
    return [(instance, instance.gold) for instance in judged if instance.gold is not None]


def _majority_pairs(judged: Sequence[JudgedInstance]) -> list[tuple[JudgedInstance, Label]]:
    return [(instance, label) for instance in judged if (label := majority(_labels(instance))) is not None]


def _source(pairs: Referenced) -> str:
    """The gold sources, with their counts when there are several."""
    counts = Counter(instance.gold_source for instance, _ in pairs).most_common()
    return counts[0][0] if len(counts) == 1 else ", ".join(f"{source} ({n})" for source, n in counts)


def gold_agreement(judged: Sequence[JudgedInstance], seed: int) -> GoldAgreement | None:
    """The judge against the gold label (None when no instance has one)."""
    pairs = _gold_pairs(judged)
    if not pairs:
        return None
    untied = [(instance, gold) for instance, gold in pairs if gold != "tie"]
    return GoldAgreement(
        source=_source(pairs),
        n_instances=len(pairs),
        n_tie_gold=len(pairs) - len(untied),
        accuracy=match_rate(untied),
        accuracy_by_order={name: _order_rate(untied, order) for order, name in enumerate(ORDERS)},
        accuracy_averaged=_averaged_rate(pairs),
        agreement_with_ties=match_rate(pairs),
        kappa=kappa_estimate(shown_tables(pairs), seed),
        confusion=confusion(pairs, "gold"),
    )


def _pair_agreement(labels: Sequence[Label]) -> float:
    """The share of ordered pairs of two different annotators that agree."""
    n = len(labels)
    return sum(k * (k - 1) for k in Counter(labels).values()) / (n * (n - 1))


def _judge_share(instance: JudgedInstance, labels: Sequence[Label]) -> float | None:
    """The mean over the scored orders of the share of annotators the verdict matches."""
    verdicts = scored(instance)
    return sum(labels.count(v) for _, v in verdicts) / (len(verdicts) * len(labels)) if verdicts else None


def gap_values(judged: Sequence[JudgedInstance]) -> list[float]:
    """Per unit with two or more annotations and a scored verdict on one of its instances: the mean over
    those instances of the judge's agreement with a random annotator minus an annotator's with another."""
    gaps, kept = [], []
    for instance in judged:
        labels = _labels(instance)
        share = _judge_share(instance, labels) if len(labels) >= 2 else None
        if share is not None:
            gaps.append(share - _pair_agreement(labels))
            kept.append(instance)
    return [float(gap) for gap in _unit_means(kept, gaps)]


def _value_counts(labels: Sequence[Label]) -> list[int]:
    return [labels.count(label) for label in LABELS]


def _alphas(judged: Sequence[JudgedInstance], seed: int) -> tuple[Estimate, Estimate]:
    """Krippendorff's alpha over the annotators (instances with two or more annotations), and with the
    judge's order-averaged verdict as one more coder."""
    shared = [(instance, labels) for instance in judged if len(labels := _labels(instance)) >= 2]
    humans = [_value_counts(labels) for _, labels in shared]
    judge = [[(averaged_verdict(instance) == label) for label in LABELS] for instance, _ in shared]
    with_judge = np.add(humans, np.asarray(judge, dtype=int).reshape(-1, 3))
    instances = [instance for instance, _ in shared]
    return (alpha_estimate(_unit_tables(instances, coincidences(humans)), seed),
            alpha_estimate(_unit_tables(instances, coincidences(with_judge)), seed))


def human_agreement(judged: Sequence[JudgedInstance], seed: int, epsilon: float = ALT_EPSILON, q: float = ALT_Q) -> HumanAgreement | None:
    """The judge against the human annotators, beside the annotators against each other (None without annotations)."""
    annotated = [(instance, labels) for instance in judged if (labels := _labels(instance))]
    if not annotated:
        return None
    majorities = _majority_pairs(judged)
    shared = [(instance, share) for instance, labels in annotated if (share := _judge_share(instance, labels)) is not None]
    shares = _unit_means([instance for instance, _ in shared], [share for _, share in shared])
    paired = [(instance, labels) for instance, labels in annotated if len(labels) >= 2]
    ceilings = _unit_means([instance for instance, _ in paired], [_pair_agreement(labels) for _, labels in paired])
    gaps = gap_values(judged)
    alpha_humans, alpha_with_judge = _alphas(judged, seed) if paired else (None, None)
    return HumanAgreement(
        n_instances=len(annotated),
        n_annotators=len({name for instance, _ in annotated for name, _ in votes(instance)}),
        n_annotations=sum(len(labels) for _, labels in annotated),
        no_majority=len(annotated) - len(majorities),
        majority=match_rate(majorities),
        random_annotator=clustered_rate(shares, [1] * len(shares), small_sample=_units([i for i, _ in shared]).grouped),
        ceiling=clustered_rate(ceilings, [1] * len(ceilings), small_sample=_units([i for i, _ in paired]).grouped) if paired else None,
        gap=mean_estimate(gaps, seed) if gaps else None,
        kappa=kappa_estimate(shown_tables(majorities), seed),
        alpha_humans=alpha_humans,
        alpha_with_judge=alpha_with_judge,
        alt_test=alt_test(judged, epsilon, q) if paired else None,
        confusion=confusion(majorities, "human majority"),
    )


def mean_estimate(values: ArrayLike, seed: int, confidence: float = CONFIDENCE) -> Estimate:
    """The mean of per-unit values (``gap_values``) with its bootstrap interval over units."""
    x = np.asarray(values, dtype=float)
    return instance_bootstrap(lambda positions: x[positions].mean(axis=-1), len(x), seed, confidence)


def mean_bounds(values: ArrayLike, confidence: float, seed: int) -> Interval:
    """One-sided bounds at ``confidence`` on the mean of per-unit values (e.g. the gap)."""
    return mean_estimate(values, seed, 2 * confidence - 1).ci


def reference(instance: JudgedInstance) -> tuple[Label, str] | None:
    """A clear reference: annotators who all agree (two or more), else, with no annotations, the gold label."""
    labels = _labels(instance)
    if len(labels) >= 2 and len(set(labels)) == 1:
        return labels[0], f"{len(labels)} of {len(labels)} annotators"
    if not labels and instance.gold is not None:
        return instance.gold, "gold"
    return None


def disagreements(judged: Sequence[JudgedInstance]) -> list[Disagreement]:
    """Every instance whose order-averaged verdict differs from a clear reference, in id order."""
    found = []
    for instance in judged:
        clear = reference(instance)
        verdict = averaged_verdict(instance)
        if clear is not None and verdict is not None and verdict != clear[0]:
            found.append(Disagreement(instance.instance_id, instance.category, clear[0], clear[1], instance.verdicts))
    return found


def by_category(judged: Sequence[JudgedInstance], seed: int) -> dict[str, CategoryAgreement]:
    """Accuracy and kappa against gold, and agreement with the majority, per category."""
    result = {}
    for category in sorted({instance.category for instance in judged}):
        members = [instance for instance in judged if instance.category == category]
        gold = _gold_pairs(members)
        majorities = _majority_pairs(members)
        result[category] = CategoryAgreement(
            accuracy=match_rate([(instance, label) for instance, label in gold if label != "tie"]),
            kappa=kappa_estimate(shown_tables(gold), seed),
            majority=match_rate(majorities) if any(_labels(instance) for instance in members) else None,
        )
    return result


def _not_assessable(
    judged: Sequence[JudgedInstance], gold: GoldAgreement | None, humans: HumanAgreement | None, calibration: Calibration | None, scores: ScoreAgreement | None
) -> dict[str, str]:
    """Each figure that could not be computed, with why."""
    reasons = {}
    if gold is None:
        reasons["gold agreement"] = "no instance has a gold label"
    elif gold.kappa.value is None:
        reasons["kappa against gold"] = "the gold labels and the verdicts, as shown, never differ in class or are all unscored"
    if humans is None:
        reasons["human agreement"] = "the data carries no human annotations"
    elif humans.alt_test is None:
        reasons["agreement between annotators"] = "no instance has two or more annotations"
        reasons["Alt-Test"] = "no instance has two or more annotations"
    elif humans.alt_test.passed is None:
        reasons["Alt-Test"] = humans.alt_test.reason
    if calibration is None:
        has_probabilities = any(p is not None for instance in judged for p in instance.p_chosen)
        reasons["calibration"] = (
            "fewer than 2 labelled instances (or prompt groups) carry the judge's probabilities" if has_probabilities
            else "the judge gives verdicts only, no probabilities"
        )
    if scores is None:
        has_scores = any(instance.scores is not None for instance in judged)
        human_scores = any(a.chosen_score is not None or a.rejected_score is not None for instance in judged for a in instance.annotations)
        reasons["score agreement"] = (
            "the judge does not score each response alone" if not has_scores
            else "the annotators gave no scores of the responses the judge scored" if human_scores
            else "the data carries no human scores of the responses"
        )
    return reasons


def agreement(
    judged: Sequence[JudgedInstance],
    seed: int,
    *,
    alt_epsilon: float = ALT_EPSILON,
    calibration: Calibration | None = None,
    calibration_points: Sequence[list[float]] = (),
    scores: ScoreAgreement | None = None,
) -> Agreement | None:
    """Every agreement figure of the judge (calibration and score agreement are computed elsewhere and
    passed in); None only when no instance was judged."""
    if not judged:
        return None
    gold = gold_agreement(judged, seed)
    humans = human_agreement(judged, seed, alt_epsilon)
    found = disagreements(judged)
    differences, units = alt_test_differences(judged)
    evidence = AgreementEvidence(
        gold_confusions=shown_tables(_gold_pairs(judged)),
        majority_confusions=shown_tables(_majority_pairs(judged)),
        gap=gap_values(judged),
        calibration=[list(point) for point in calibration_points],
        alt_test=differences,
        alt_test_units=units,
    )
    return Agreement(
        gold=gold,
        humans=humans,
        scores=scores,
        calibration=calibration,
        disagreements=found[:DISAGREEMENTS_KEPT],
        n_disagreements=len(found),
        by_category=by_category(judged, seed),
        not_assessable=_not_assessable(judged, gold, humans, calibration, scores),
        evidence=evidence,
    )
