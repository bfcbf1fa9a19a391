"""`judgeaudit plan` for the validity criteria: the planned instances reach the certificate's bound at
the planned power in simulated runs decided by the certificate itself."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.certification import Policy
from judgeaudit.certification.decide import decide_validity
from judgeaudit.certification.policy import ValidityLimits
from judgeaudit.planning import validity_plans
from judgeaudit.stats.kappa import cohens_kappa
from judgeaudit.stats.power import (
    ValidityAssumptions,
    instances_for_accuracy,
    instances_for_ece,
    instances_for_kappa,
    instances_for_mean,
    kappa_sd,
    kappa_table,
)
from tests.cli import finish, judgeaudit

NO_LIMITS = ValidityLimits(None, None, None, None)


def _passed(policy: Policy, agreement: dict | None = None, accuracy: dict | None = None, seed: int = 0) -> bool:
    """Whether the certificate passes the one criterion ``policy`` sets on these figures."""
    summary = {"validity": {"accuracy": accuracy, "tie_rate": None, "position_consistency": None}, "agreement": agreement, "mode": "pointwise"}
    (decision,) = decide_validity(summary, policy, seed).values()
    return decision.decision == "PASS"


def _policy(**limits: float) -> Policy:
    return Policy(name="plan", validity=replace(NO_LIMITS, **limits))


def _agreement(**evidence) -> dict:
    empty = {"gold_confusions": [], "majority_confusions": [], "gap": [], "calibration": [], "alt_test": {}}
    return {
        "gold": {"kappa": {"value": None}}, "humans": {"n_instances": 0, "gap": None}, "not_assessable": {},
        "calibration": {"decided_on": "ece", "ece": {"value": None}, "n_instances": 0}, "evidence": empty | evidence,
    }


@pytest.mark.parametrize(("limit", "accuracy"), [(0.60, 0.80), (0.70, 0.78)])
def test_the_planned_instances_pass_min_accuracy_at_the_power(limit: float, accuracy: float) -> None:
    """2,000 simulated runs of one right-or-wrong answer per instance, decided by the certificate's Wilson bound."""
    n = instances_for_accuracy(limit, accuracy, 0.95, 0.8)
    assert n is not None and instances_for_accuracy(limit, limit, 0.95, 0.8) is None
    rng, policy = np.random.default_rng(1), _policy(min_accuracy=limit)
    passed = [_passed(policy, accuracy={"rate": right / n, "n_instances": n}) for right in rng.binomial(n, accuracy, 2000)]
    assert 0.78 <= np.mean(passed) <= 0.90, (n, np.mean(passed))  # exact power >= 0.8; n steps in whole instances


def test_kappas_large_sample_deviation_matches_a_simulation() -> None:
    table = kappa_table(0.6, ties=0.1)
    kappa, sd = kappa_sd(table)
    assert kappa == pytest.approx(0.6)
    draws = cohens_kappa(np.random.default_rng(2).multinomial(300, table.ravel(), size=4000))
    assert np.std(draws) * np.sqrt(300) == pytest.approx(sd, rel=0.05)


def _kappa_tables(n: int, kappa: float, rng: np.random.Generator, orders_alike: bool) -> list[list[int]]:
    """Per instance, both orders: gold A in one and B in the other; the judge copies gold with probability
    ``kappa`` (once for both orders when ``orders_alike``), else answers A or B at random."""
    tables = []
    for _ in range(n):
        table, copies = np.zeros(9, dtype=int), rng.random() < kappa
        for gold in (0, 1):
            copies = copies if orders_alike else rng.random() < kappa
            table[3 * gold + (gold if copies else rng.integers(2))] += 1
        tables.append(table.tolist())
    return tables


def test_the_planned_instances_pass_min_kappa_at_the_power() -> None:
    """100 simulated runs through the certificate's bootstrap bound: about 80% pass when an instance's two
    orders are alike (what the plan assumes), more when they are independent (the plan is conservative)."""
    n = instances_for_kappa(0.4, kappa_table(0.6), 0.95, 0.8)
    assert n is not None
    rng, policy = np.random.default_rng(3), _policy(min_kappa=0.4)
    alike = [_passed(policy, _agreement(gold_confusions=_kappa_tables(n, 0.6, rng, True)), seed=k) for k in range(100)]
    independent = [_passed(policy, _agreement(gold_confusions=_kappa_tables(n, 0.6, rng, False)), seed=k) for k in range(100)]
    assert 0.68 <= np.mean(alike) <= 0.92 and np.mean(independent) >= 0.85, (n, np.mean(alike), np.mean(independent))


def test_the_planned_instances_pass_the_ceiling_gap_at_the_power() -> None:
    n = instances_for_mean(-0.1, 0.0, 0.35, 0.95, 0.8)
    assert n is not None and instances_for_mean(-0.1, -0.1, 0.35, 0.95, 0.8) is None
    rng, policy = np.random.default_rng(4), _policy(max_ceiling_gap=0.1)
    # The gap passes only for a judge shown better than chance against the majority: a judge far above it
    # (kappa 0.8 on the same instances), so that the gap alone decides, as the plan assumes.
    majority = _kappa_tables(n, 0.8, rng, True)
    passed = [_passed(policy, _agreement(gap=rng.choice([-0.5, 0.0, 0.5], size=n, p=[0.245, 0.51, 0.245]).tolist(), majority_confusions=majority), seed=k)
              for k in range(200)]
    assert 0.72 <= np.mean(passed) <= 0.90, (n, np.mean(passed))  # the gap's sd is 0.35 as planned


def _calibration_points(n: int, ece: float, rng: np.random.Generator) -> list[list[float]]:
    """Two probes per instance of the judge the plan assumes (``power.simulated_calibration``): P(A) uniform, over-confident by ``ece``."""
    p = rng.uniform(size=2 * n)
    y = rng.uniform(size=2 * n) < 0.5 + (1 - 4 * ece) * (p - 0.5)
    return [[k // 2, float(p[k]), float(p[k]), float(y[k])] for k in range(2 * n)]


def test_the_planned_instances_pass_max_ece_at_the_power() -> None:
    n = instances_for_ece(0.1, 0.03, 0.95, 0.8)
    assert n is not None and instances_for_ece(0.1, 0.1, 0.95, 0.8) is None
    rng, policy = np.random.default_rng(5), _policy(max_ece=0.1)
    passed = [_passed(policy, _agreement(calibration=_calibration_points(n, 0.03, rng)), seed=k) for k in range(100)]
    assert 0.70 <= np.mean(passed) <= 0.90, (n, np.mean(passed))  # the plan sizes the certificate's own bound for 0.80


def test_a_pilot_replaces_the_assumptions_and_says_so() -> None:
    limits = replace(NO_LIMITS, min_accuracy=0.6, min_kappa=0.3, min_human_kappa=0.3, max_ceiling_gap=0.1, alt_test_epsilon=0.2, max_ece=0.1)
    assumed = {plan.criterion: plan for plan in validity_plans(limits, 0.95, 0.8, ValidityAssumptions(), None)}
    assert list(assumed) == ["min_accuracy", "min_kappa", "min_human_kappa", "max_ceiling_gap", "max_ece", "alt_test_epsilon"]
    assert all(plan.assumed.startswith("assumed:") for name, plan in assumed.items() if name != "alt_test_epsilon")
    assert assumed["min_accuracy"].instances == instances_for_accuracy(0.6, 0.8, 0.95, 0.8)
    assert assumed["alt_test_epsilon"].instances == 50 and "at least 3 annotators" in assumed["alt_test_epsilon"].assumed
    assert "large-sample variance" in assumed["min_kappa"].method

    rng = np.random.default_rng(6)
    pilot = {
        "validity": {"accuracy": {"rate": 0.7, "n_instances": 65}},
        "agreement": _agreement(gold_confusions=_kappa_tables(65, 0.5, rng, True), gap=rng.normal(0.0, 0.2, 40).tolist(), alt_test={"h1": [0] * 12, "h2": [0] * 40})
        | {"calibration": {"decided_on": "recalibrated_ece", "ece": {"value": 0.3}, "recalibrated_ece": {"value": 0.05}}},
    }
    measured = {plan.criterion: plan for plan in validity_plans(limits, 0.95, 0.8, ValidityAssumptions(), pilot)}
    assert measured["min_accuracy"].assumed == "pilot: accuracy 0.700 over 65 instances"
    assert measured["min_accuracy"].instances == instances_for_accuracy(0.6, 0.7, 0.95, 0.8)
    assert measured["min_kappa"].assumed.startswith("pilot: kappa against gold") and "65 instances" in measured["min_kappa"].assumed
    assert measured["min_human_kappa"].assumed.startswith("assumed:")  # the pilot has no majority to measure it on
    assert measured["max_ceiling_gap"].assumed.startswith("pilot: gap mean") and measured["max_ece"].assumed.startswith("pilot: ECE 0.050")
    assert "pilot: 2 annotators, the fewest with 12 instances" in measured["alt_test_epsilon"].assumed


def test_plan_shows_the_validity_criteria_of_the_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: gate\nvalidity: {min_accuracy: 0.7, min_kappa: 0.4, max_ece: 0.1}\n")
    code, out, err = finish(judgeaudit("plan", "--judge", "python:tests.python_judges:fair_verdict", "--bias", "verbosity", "--policy", str(policy), "--out", str(tmp_path)))
    assert code == 0, err
    assert "is the judge right?" in out and "min_kappa" in out and "max_ece" in out and "assumed: kappa 0.60" in out
    expected = max(instances_for_accuracy(0.7, 0.8, 0.95, 0.8), instances_for_kappa(0.4, kappa_table(0.6), 0.95, 0.8), instances_for_ece(0.1, 0.03, 0.95, 0.8))
    assert f"pass every validity criterion: {expected:,} instances" in out
