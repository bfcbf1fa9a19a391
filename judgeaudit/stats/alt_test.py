"""The Alternative Annotator Test (Calderon, Reichart & Dror, ACL 2025): can the judge replace one of the
annotators?

Each annotator j is held out in turn. On each instance j annotated (with at least one other annotator),
S_h is the share of the other annotators that agree with j and S_f the share the judge agrees with;
W_f = 1[S_f >= S_h], W_h = 1[S_h >= S_f]. The test of j rejects "mean(W_h - W_f) >= epsilon" (the judge is
worse than j by at least the cost-benefit margin epsilon); the Benjamini-Yekutieli procedure at q controls
the false discoveries over the annotators, and the judge passes when it wins against at least half.
On grouped data (several instances per prompt, ``stats.units``) each annotator's test runs over its
prompt groups, on each group's mean W_h - W_f, and needs as many groups as the paper asks instances;
rho_f and rho_h stay shares of instances. Without groups it is the paper's procedure exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from judgeaudit.schema import Label
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.records import AltTest, AnnotatorTest
from judgeaudit.stats.units import Units

ALT_EPSILON = 0.2
"""The paper's margin for expert annotators (0.15 skilled, 0.1 crowd workers)."""
ALT_Q = 0.05
T_TEST_FROM = 30
"""Instances an annotator needs for the paper's t-test."""
WILCOXON_FROM = 10
"""Below T_TEST_FROM, the Wilcoxon signed-rank test (the paper's advice for fewer instances); below this, skipped."""
PASS_SHARE = 0.5
NOT_ENOUGH = f"fewer than 2 annotators share {WILCOXON_FROM} or more instances with another annotator"


def votes(instance: JudgedInstance) -> list[tuple[str, Label]]:
    """The instance's annotations that give a preference, as (annotator, label)."""
    return [(a.annotator, label) for a in instance.annotations if (label := a.preference) is not None]


def alt_test_differences(judged: Sequence[JudgedInstance]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Per annotator (every one with an annotation, in a reader's order), W_h - W_f on each of its
    instances that has another annotation and a scored verdict, in id order; and, where instances form
    prompt groups, per annotator the unit of each difference (numbered in order of appearance; empty
    without groups).

    The judge answers twice (one verdict per order), so S_f is the mean over its scored orders of the
    share of the other annotators its verdict matches; the comparison is made on integer counts, so
    equal shares compare equal.
    """
    differences: dict[str, list[int]] = {}
    keys: dict[str, list[str]] = {}
    units = Units.from_tags((instance.instance_id, instance.tags) for instance in judged)
    for instance in judged:
        labels = votes(instance)
        verdicts = [v for v in instance.verdicts if v is not None]
        for position, (annotator, label) in enumerate(labels):
            kept = differences.setdefault(annotator, [])
            others = [other for at, (_, other) in enumerate(labels) if at != position]
            if not others or not verdicts:
                continue
            human = others.count(label) * len(verdicts)
            judge = sum(others.count(verdict) for verdict in verdicts)
            kept.append(int(human >= judge) - int(judge >= human))
            keys.setdefault(annotator, []).append(units.key(instance.instance_id))
    ordered = dict(sorted(differences.items(), key=lambda item: _in_order(item[0])))
    unit_of = {name: units.codes(keys.get(name, []))[0].tolist() for name in ordered} if units.grouped else {}
    return ordered, unit_of


def tested_values(differences: Sequence[int], units: Sequence[int] | None) -> np.ndarray:
    """What an annotator's test runs over: its differences, or their means per unit (``units``)."""
    d = np.asarray(differences, dtype=float)
    if not units:
        return d
    codes = np.asarray(units)
    return np.bincount(codes, weights=d) / np.bincount(codes)


def one_sided_p(differences: Sequence[float], epsilon: float) -> tuple[str, float]:
    """The test of "mean >= epsilon" against "less" on one annotator's W_h - W_f, and its p-value.

    When every difference is the same value c the t-test is undefined; the p-value is then exact
    without a model: a difference is at most 1, so a mean of at least epsilon needs P(d <= c) <=
    (1 - epsilon) / (1 - c), and n draws all at c have at most that probability to the n (1 when c >= epsilon).
    """
    d = np.asarray(differences, dtype=float)
    test = "t-test" if len(d) >= T_TEST_FROM else "Wilcoxon signed-rank"
    if np.ptp(d) == 0:
        return test, 1.0 if d[0] >= epsilon else float(((1 - epsilon) / (1 - d[0])) ** len(d))
    if test == "t-test":
        return test, float(stats.ttest_1samp(d, epsilon, alternative="less").pvalue)
    return test, float(stats.wilcoxon(d - epsilon, alternative="less").pvalue)


def alt_test_from_differences(
    differences: Mapping[str, Sequence[int]], *, units: Mapping[str, Sequence[int]] | None = None, epsilon: float = ALT_EPSILON, q: float = ALT_Q
) -> AltTest:
    """The Alt-Test from each annotator's W_h - W_f (``AgreementEvidence.alt_test``), at any epsilon and q;
    with ``units`` (``AgreementEvidence.alt_test_units``) each test runs over the annotator's units.

    rho_f and rho_h follow from the differences (W_f = 1 exactly when d <= 0, W_h when d >= 0).
    Annotators with fewer than WILCOXON_FROM instances (units) are skipped; with fewer than two tested
    the test is not assessable (``passed`` None).
    """
    if not 0 <= epsilon < 1:
        raise ValueError(f"epsilon must lie in [0, 1), not {epsilon}")
    values = {name: tested_values(d, (units or {}).get(name)) for name, d in differences.items()}
    tested = {name: np.asarray(d) for name, d in differences.items() if len(values[name]) >= WILCOXON_FROM}
    skipped = {name: len(values[name]) for name in differences if name not in tested}
    tests = {name: one_sided_p(values[name].tolist(), epsilon) for name in tested}
    adjusted = stats.false_discovery_control([p for _, p in tests.values()], method="by") if tests else []
    annotators = [
        AnnotatorTest(name, len(d), float(np.mean(d <= 0)), float(np.mean(d >= 0)), tests[name][0], tests[name][1], bool(q_value <= q))
        for (name, d), q_value in zip(tested.items(), adjusted, strict=True)
    ]
    won = sum(a.won for a in annotators)
    winning_rate = won / len(annotators) if annotators else None
    advantage = float(np.mean([a.judge_advantage for a in annotators])) if annotators else None
    if len(annotators) < 2:
        return AltTest(epsilon, q, annotators, skipped, winning_rate, advantage, None, NOT_ENOUGH)
    passed = won / len(annotators) >= PASS_SHARE
    reason = f"the judge wins against {won} of {len(annotators)} annotators ({'at least' if passed else 'fewer than'} half)"
    return AltTest(epsilon, q, annotators, skipped, winning_rate, advantage, passed, reason)


def alt_test(judged: Sequence[JudgedInstance], epsilon: float = ALT_EPSILON, q: float = ALT_Q) -> AltTest:
    """The Alt-Test of the judge against the annotators of ``judged``."""
    differences, units = alt_test_differences(judged)
    return alt_test_from_differences(differences, units=units, epsilon=epsilon, q=q)


def _in_order(annotator: str) -> tuple[int, int, str]:
    """Annotators in a reader's order: numbered ones by number (2 before 10), then the others by name."""
    return (0, int(annotator), "") if annotator.isdigit() else (1, 0, annotator)
