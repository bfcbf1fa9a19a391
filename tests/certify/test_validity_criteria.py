"""Certificate criteria for "is the judge right": kappa against gold and humans, the gap to the human
ceiling, the Alt-Test and calibration, decided from per-instance evidence built here."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.certification import Policy, decide, load_policy
from judgeaudit.certification.policy import ValidityLimits, policy_from_record
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import Annotation
from judgeaudit.stats.agreement import agreement
from judgeaudit.stats.judged import JudgedInstance
from judgeaudit.stats.kappa import cohens_kappa

N = 200
CRITERIA = ("kappa", "human_kappa", "ceiling_gap", "alt_test", "calibration")
NO_LIMITS = ValidityLimits(None, None, None, None)
SOUND = {name: {"rate": 0.9 if name != "tie_rate" else 0.0, "n_instances": N, "n_effective": N} for name in ("accuracy", "tie_rate", "position_consistency")}
CLEAN_BIAS = {
    "name": "verbosity", "dimension": "presentation", "status": "NOT_DETECTED", "reason": "", "expected": "toward",
    "effect": 0.0, "effect_ci": [None, None], "q_value": None, "n_instances": N, "instance_effects": {f"i{n:03d}": 0.0 for n in range(N)},
    "answers": {"control": {"probes": 4 * N, "scored": 4 * N, "unparseable": 0, "failed": 0, "truncated": 0}},
    "n_unparseable": 0, "n_failed": 0, "n_truncated": 0,
}


def _policy(**limits: float) -> Policy:
    return Policy(name="test", validity=replace(NO_LIMITS, **limits))


def _tables(judge: str, rng: np.random.Generator, n: int = N, copies: float = 0.6) -> list[list[int]]:
    """Per instance, its two control probes (both orders) as a 3 x 3 table as shown: gold A or B (a gold
    label in the data's frame is A in one order and B in the other), the judge's verdict A, B or tie."""
    tables = []
    for _ in range(n):
        table = np.zeros(9, dtype=int)
        chosen_first = rng.integers(2)
        for order in (0, 1):
            gold = 0 if order == chosen_first else 1
            verdict = {
                "always A": 0, "always tie": 2, "random": rng.integers(3),
                "good": gold if rng.random() < copies else rng.integers(2),
            }[judge]
            table[3 * gold + verdict] += 1
        tables.append(table.tolist())
    return tables


def _kappa(tables: list[list[int]]) -> float:
    return float(cohens_kappa(np.asarray(tables).sum(axis=0)))


def _agreement(gold: list[list[int]] | None = None, majority: list[list[int]] | None = None, gap: list[float] | None = None,
               alt: dict[str, list[int]] | None = None, calibration: list[list[float]] | None = None, decided_on: str = "ece") -> dict:
    """The agreement part of a summary.json with the figures certification reads and the evidence behind them."""
    humans = None if majority is None and gap is None and alt is None else {
        "n_instances": N, "kappa": {"value": _kappa(majority) if majority else None}, "gap": {"value": float(np.mean(gap))} if gap else None,
    }
    calibrated = None if calibration is None else {
        "decided_on": decided_on, "n_instances": len({int(p[0]) for p in calibration}), "ece": {"value": 0.0}, "recalibrated_ece": {"value": 0.0},
    }
    return {
        "gold": None if gold is None else {"kappa": {"value": _kappa(gold)}},
        "humans": humans, "scores": None, "calibration": calibrated, "not_assessable": {},
        "evidence": {"gold_confusions": gold or [], "majority_confusions": majority or [], "gap": gap or [],
                     "calibration": calibration or [], "alt_test": alt or {}},
    }


def _decide(agreement: dict | None, policy: Policy):
    summary = {"biases": {"verbosity": CLEAN_BIAS}, "validity": SOUND, "agreement": agreement}
    return decide(summary, policy, {}, seed=0)


def test_the_new_keys_load_unset_by_default_and_are_checked_like_the_others(tmp_path: Path) -> None:
    assert load_policy().validity.min_kappa is None and ValidityLimits().max_ece is None
    path = tmp_path / "policy.yaml"
    path.write_text("name: x\nvalidity:\n  min_kappa: -0.2\n  min_human_kappa: 0.3\n  max_ceiling_gap: 0.1\n  alt_test_epsilon: 0.15\n  max_ece: 0.08\n")
    limits = load_policy(path).validity
    assert (limits.min_kappa, limits.min_human_kappa, limits.max_ceiling_gap, limits.alt_test_epsilon, limits.max_ece) == (-0.2, 0.3, 0.1, 0.15, 0.08)
    assert limits.min_accuracy == 0.60  # the others keep their defaults
    assert policy_from_record(load_policy(path).record()).validity == limits
    for text, line, words in [
        ("name: x\nvalidity:\n  min_kappa: 1.5\n", 3, "validity.min_kappa: must be a kappa between -1 and 1"),
        ("name: x\nvalidity:\n  max_tie_rate: 0.5\n  min_human_kappa: yes\n", 4, "validity.min_human_kappa: must be a kappa"),
        ("name: x\nvalidity:\n  max_ceiling_gap: 0\n", 3, "validity.max_ceiling_gap: must be a number strictly between 0 and 1"),
        ("name: x\nvalidity:\n  alt_test_epsilon: 1\n", 3, "validity.alt_test_epsilon: must be a number strictly between 0 and 1"),
        ("name: x\nvalidity:\n  max_ece: 1.2\n", 3, "validity.max_ece: must be a number between 0 and 1"),
        ("name: x\nvalidity:\n  min_kapa: 0.2\n", 3, "validity.min_kapa: unknown key"),
    ]:
        path.write_text(text)
        with pytest.raises(JudgeAuditError) as error:
            load_policy(path)
        assert str(error.value).startswith(f"{path}:{line}:") and words in str(error.value), str(error.value)


@pytest.mark.parametrize("judge", ["always A", "always tie", "random"])
def test_a_content_blind_judge_never_passes_min_kappa(judge: str) -> None:
    """200 instances, min_kappa 0.2: always "A" and always "tie" have a kappa of exactly 0 in every
    resample (FAIL); a random judge fails or stays undecided in each of 20 simulated runs."""
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(1 if judge != "random" else 20):
        decisions = _decide(_agreement(gold=_tables(judge, rng)), _policy(min_kappa=0.2))
        seen.add(decisions.validity["kappa"].decision)
        assert decisions.overall != "PASS"
    assert seen == {"FAIL"} if judge != "random" else seen <= {"FAIL", "INCONCLUSIVE"}


def test_a_good_judge_passes_min_kappa_with_its_bounds_as_evidence() -> None:
    tables = _tables("good", np.random.default_rng(5))
    decision = _decide(_agreement(gold=tables), _policy(min_kappa=0.2)).validity["kappa"]
    evidence = decision.evidence
    assert 0.5 < evidence["value"] < 0.7 and evidence["lower"] > 0.4 and evidence["n_instances"] == N and evidence["confidence"] == 0.95
    assert decision.decision == "PASS" and decision.limits == {"min_kappa": 0.2}
    assert "kappa against gold" in decision.reasons[0] and "reaches +0.2" in decision.reasons[0]
    assert _decide(_agreement(gold=tables), _policy(min_kappa=0.9)).validity["kappa"].decision == "FAIL"  # its upper bound is short of 0.9
    few = _decide(_agreement(gold=tables[:15]), _policy(min_kappa=0.5)).validity["kappa"]
    assert few.decision == "INCONCLUSIVE" and "more instances would decide" in few.reasons[0]


def test_kappa_against_the_human_majority() -> None:
    rng = np.random.default_rng(6)
    policy = _policy(min_human_kappa=0.3)
    assert _decide(_agreement(majority=_tables("good", rng)), policy).validity["human_kappa"].decision == "PASS"
    assert _decide(_agreement(majority=_tables("always A", rng)), policy).validity["human_kappa"].decision == "FAIL"
    reason = _decide(_agreement(gold=_tables("good", rng)), policy).validity["human_kappa"].reasons[0]
    assert reason.startswith("not assessable: no human annotations")


def test_the_gap_to_the_human_ceiling() -> None:
    """Per instance: agreement with a random annotator minus the annotators' with each other, in [-1, 1]."""
    rng = np.random.default_rng(7)
    policy = _policy(max_ceiling_gap=0.1)
    as_good = np.clip(rng.normal(0.0, 0.3, N), -1, 1).tolist()
    worse = np.clip(rng.normal(-0.3, 0.3, N), -1, 1).tolist()
    beats_chance = _tables("good", rng)
    passed = _decide(_agreement(gap=as_good, majority=beats_chance), policy).validity["ceiling_gap"]
    assert passed.decision == "PASS" and "the judge beats chance" in passed.reasons[-1] and passed.evidence["majority_kappa_lower"] > 0
    failed = _decide(_agreement(gap=worse), policy).validity["ceiling_gap"]
    assert failed.decision == "FAIL" and failed.evidence["upper"] < -0.1 and "shown below -0.1" in failed.reasons[0]
    close = np.clip(rng.normal(-0.1, 0.3, 40), -1, 1).tolist()
    assert _decide(_agreement(gap=close), policy).validity["ceiling_gap"].decision == "INCONCLUSIVE"
    single = _decide(_agreement(majority=_tables("good", rng)), policy).validity["ceiling_gap"]
    assert single.reasons[0].startswith("not assessable: no instance with two or more annotations")


def _differences(rng: np.random.Generator, judge_better: float, human_better: float, n: int = 60, annotators: int = 3) -> dict[str, list[int]]:
    """W_h - W_f per instance: -1 where only the judge matches the others at least as well, +1 where only the annotator does."""
    draws = rng.choice([-1, 1, 0], size=(annotators, n), p=[judge_better, human_better, 1 - judge_better - human_better])
    return {f"h{k}": row.tolist() for k, row in enumerate(draws)}


def test_the_alt_test_at_the_policys_epsilon() -> None:
    rng = np.random.default_rng(8)
    policy = _policy(alt_test_epsilon=0.2)
    beats_chance = _tables("good", rng)
    passed = _decide(_agreement(alt=_differences(rng, 0.3, 0.1), majority=beats_chance), policy).validity["alt_test"]
    assert passed.decision == "PASS" and passed.evidence["won"] == 3 and passed.evidence["q"] == pytest.approx(0.05)
    failed = _decide(_agreement(alt=_differences(rng, 0.05, 0.7)), policy).validity["alt_test"]
    assert failed.decision == "FAIL" and failed.evidence["shown_worse"] >= 2
    undecided = _decide(_agreement(alt=_differences(rng, 0.2, 0.3, n=20)), policy).validity["alt_test"]
    assert undecided.decision == "INCONCLUSIVE" and "more instances would decide" in undecided.reasons[0]
    one = _decide(_agreement(alt={"h0": [0] * 50}), policy).validity["alt_test"]
    assert one.decision == "INCONCLUSIVE" and one.reasons[0].startswith("not assessable: fewer than 2 annotators")
    # Recomputed at the policy's ε: the same evidence passes at a looser margin.
    marginal = _differences(np.random.default_rng(9), 0.2, 0.3)
    assert _decide(_agreement(alt=marginal), _policy(alt_test_epsilon=0.1)).validity["alt_test"].decision != "PASS"
    assert _decide(_agreement(alt=marginal, majority=beats_chance), _policy(alt_test_epsilon=0.4)).validity["alt_test"].decision == "PASS"


def _points(rng: np.random.Generator, overconfident: bool, n: int = N) -> list[list[float]]:
    """[instance position, P(A), recalibrated P(A), y] per probe, two probes per instance: y follows P(A),
    or (over-confident) P(A) is pushed to the ends and y follows the recalibrated, honest one."""
    points = []
    for instance in range(n):
        for _ in range(2):
            honest = rng.uniform(0.05, 0.95)
            stated = (0.02 if honest < 0.5 else 0.98) if overconfident else honest
            points.append([instance, stated, honest, float(rng.random() < honest)])
    return points


def test_calibration_error_reads_the_figure_the_run_decides_on() -> None:
    rng = np.random.default_rng(10)
    policy = _policy(max_ece=0.15)
    honest = _decide(_agreement(calibration=_points(rng, False)), policy).validity["calibration"]
    assert honest.decision == "PASS" and honest.evidence["upper"] <= 0.15 and honest.evidence["n_instances"] == N
    overconfident = _points(rng, True)
    raw = _decide(_agreement(calibration=overconfident), policy).validity["calibration"]
    assert raw.decision == "FAIL" and raw.evidence["lower"] > 0.15 and "shown above 0.15" in raw.reasons[0]
    recalibrated = _decide(_agreement(calibration=overconfident, decided_on="recalibrated_ece"), policy).validity["calibration"]
    assert recalibrated.decision == "PASS" and "after recalibration" in recalibrated.reasons[0]
    none = _decide(_agreement(gold=_tables("good", rng)), policy).validity["calibration"]
    assert none.reasons[0].startswith("not assessable: no probabilities")


def test_a_run_without_what_a_criterion_needs_never_passes_it() -> None:
    every = _policy(min_kappa=0.2, min_human_kappa=0.2, max_ceiling_gap=0.1, alt_test_epsilon=0.2, max_ece=0.1)
    old = _decide(None, every)
    assert old.overall == "INCONCLUSIVE" and set(old.validity) == set(CRITERIA)
    for name in CRITERIA:
        reason = old.validity[name].reasons[0]
        assert old.validity[name].decision == "INCONCLUSIVE" and reason.startswith("not assessable:") and "rebuild it with `judgeaudit report RUN`" in reason
    bare = _agreement() | {"not_assessable": {"gold agreement": "no instance has a gold label", "human agreement": "the data carries no human annotations"}}
    decided = _decide(bare, every)
    assert decided.overall == "INCONCLUSIVE" and {d.decision for d in decided.validity.values()} == {"INCONCLUSIVE"}
    assert decided.validity["kappa"].reasons == ["not assessable: no gold labels to compare the judge with (no instance has a gold label)"]
    assert decided.validity["alt_test"].reasons == ["not assessable: no human annotations (the data carries no human annotations)"]
    assert all(decided.validity[name].reasons[0].startswith("not assessable:") for name in CRITERIA)
    # A policy that sets none of them decides as before, whatever the summary holds.
    assert set(_decide(None, _policy()).validity) == set() and _decide(None, _policy()).overall == "PASS"
    assert set(_decide(None, Policy(name="default")).validity) == {"accuracy", "ties", "position_consistency", "noise_floor"}


def _panel_run(judge: str, rng: np.random.Generator, n: int = N, annotators: int = 3, accuracy: float = 0.7) -> dict:
    """The agreement part of a summary, computed by ``stats.agreement`` from a simulated run: each of
    ``annotators`` prefers the truly better response with probability ``accuracy`` (pairwise agreement
    0.58 at 0.7, MT-Bench's humans agree 0.63), the data's ``chosen`` is their majority; the judge says
    "A" in both orders (perfect position bias), flips a coin, or is right with probability 0.8."""
    judged = []
    for key in range(n):
        labels = ["chosen" if rng.random() < accuracy else "rejected" for _ in range(annotators)]
        verdicts = [{"always A": ("chosen", "rejected")[order], "random": str(rng.choice(["chosen", "rejected"])),
                     "good": "chosen" if rng.random() < 0.8 else "rejected"}[judge] for order in (0, 1)]
        if labels.count("chosen") < labels.count("rejected"):  # the loader puts the majority's response first
            swap = {"chosen": "rejected", "rejected": "chosen"}
            labels, verdicts = [swap[label] for label in labels], [swap[verdict] for verdict in reversed(verdicts)]
        annotations = tuple(Annotation(f"h{k}", label) for k, label in enumerate(labels))  # type: ignore[arg-type]
        judged.append(JudgedInstance(f"i{key:04d}", "c", "chosen", "human majority", annotations, tuple(verdicts), (None, None), None))  # type: ignore[arg-type]
    return json.loads(json.dumps(asdict(agreement(judged, seed=0))))


@pytest.mark.parametrize("judge", ["always A", "random"])
def test_a_content_blind_judge_never_passes_the_ceiling_gap_or_the_alt_test(judge: str) -> None:
    """Against noisy annotators a judge that ignores content agrees with a random one half the time, 0.08
    short of their ceiling, and wins the Alt-Test at ε 0.2; both criteria also need kappa against the
    majority shown above 0. Always "A" (kappa 0 in every resample) FAILs the gap in each of 10 runs of
    200 instances (it PASSed in all 10) and never passes the Alt-Test; a coin passes neither in 10 runs
    (a PASS has probability at most 1 - confidence)."""
    rng = np.random.default_rng(12)
    policy = _policy(max_ceiling_gap=0.2, alt_test_epsilon=0.2)
    for run in range(10):
        decided = _decide(_panel_run(judge, rng), policy).validity
        assert decided["ceiling_gap"].decision != "PASS" and decided["alt_test"].decision != "PASS", run
        if judge == "always A":
            gap = decided["ceiling_gap"]
            assert gap.decision == "FAIL" and "shown no better than chance" in gap.reasons[-1] and gap.evidence["majority_kappa_upper"] <= 0


def test_a_judge_that_beats_chance_still_passes_the_ceiling_gap_and_the_alt_test() -> None:
    decided = _decide(_panel_run("good", np.random.default_rng(13)), _policy(max_ceiling_gap=0.1, alt_test_epsilon=0.15)).validity
    assert decided["ceiling_gap"].decision == "PASS" and decided["alt_test"].decision == "PASS"


def test_without_a_majority_to_show_chance_the_ceiling_gap_is_not_assessable() -> None:
    decision = _decide(_agreement(gap=[0.0] * N), _policy(max_ceiling_gap=0.1)).validity["ceiling_gap"]
    assert decision.decision == "INCONCLUSIVE" and decision.reasons[0].startswith("not assessable: no kappa against the annotators' majority")


def test_a_limit_at_or_below_zero_does_not_pass_a_content_blind_judges_kappa() -> None:
    """A policy may set min_kappa at or below 0; always "A" (kappa exactly 0) still does not pass."""
    tables = _tables("always A", np.random.default_rng(14))
    for limit in (0.0, -0.2):
        decision = _decide(_agreement(gold=tables, majority=tables), _policy(min_kappa=limit, min_human_kappa=limit)).validity
        assert decision["kappa"].decision == "INCONCLUSIVE" and "not shown above 0" in decision["kappa"].reasons[-1]
        assert decision["human_kappa"].decision == "INCONCLUSIVE"
    good = _decide(_agreement(gold=_tables("good", np.random.default_rng(15))), _policy(min_kappa=-0.2)).validity["kappa"]
    assert good.decision == "PASS"
