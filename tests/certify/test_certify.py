"""Certification: policies, decisions, certificate.json, verify, and the error rates by simulation."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.certification import Limits, Policy, decide, load_policy
from judgeaudit.certification.policy import ValidityLimits, default_policy_path
from judgeaudit.errors import JudgeAuditError
from judgeaudit.stats import Settings, summarize_biases
from judgeaudit.stats.effects import CUE_RANGE
from judgeaudit.stats.equivalence import equivalence, instance_sequence
from judgeaudit.stats.power import EffectModel, instances_to_fail
from tests import simulation
from tests.cli import finish, judgeaudit, run_python_judges

NO_VALIDITY_LIMITS = ValidityLimits(None, None, None, None)
SOUND = {
    "accuracy": {"rate": 0.9, "n_instances": 100, "n_effective": 100},
    "tie_rate": {"rate": 0.0, "n_instances": 100, "n_effective": 100},
    "position_consistency": {"rate": 0.9, "n_instances": 100, "n_effective": 100},
}


def _policy(**overrides) -> Policy:
    """A policy about the biases alone (its validity limits are tested on their own)."""
    return Policy(**{"name": "test", "min_instances": 20, "validity": NO_VALIDITY_LIMITS} | overrides)


def _bias(name: str = "verbosity", effects: list[float] | None = None, expected: str = "toward", **fields) -> dict:
    """A bias entry as summary.json holds it, with the fields certification reads."""
    effects = [0.0] * 100 if effects is None else effects
    answers = {"control": {"probes": 4 * len(effects), "scored": 4 * len(effects), "unparseable": 0, "failed": 0, "truncated": 0}}
    return {
        "name": name, "dimension": "presentation", "status": "NOT_DETECTED", "reason": "", "expected": expected,
        "effect": float(np.mean(effects)) if effects else None, "effect_ci": [None, None], "q_value": None,
        "n_instances": len(effects), "instance_effects": {f"i{n:03d}": e for n, e in enumerate(effects)},
        "answers": answers, "n_unparseable": 0, "n_failed": 0, "n_truncated": 0,
        "noise_floor": {"placebo": {"rate": 0.05, "ci": [0, 0.1], "n_instances": len(effects)}},
    } | fields


def _decide(*biases: dict, policy: Policy | None = None, skipped: dict | None = None, inapplicable: dict | None = None, validity: dict | None = None):
    summary = {"biases": {b["name"]: b for b in biases}, "skipped_biases": skipped or {}, "validity": validity or SOUND}
    return decide(summary, policy or _policy(), inapplicable or {}, seed=0)


def test_the_default_policy_loads_and_resolves_limits_per_bias_then_dimension_then_default() -> None:
    policy = load_policy()
    assert policy.name == "judgeaudit-default" and policy.confidence == 0.95 and len(policy.sha256) == 64
    assert policy.limits_for("verbosity", "presentation").max_effect == 0.10
    assert policy.limits_for("gender", "identity").max_effect == 0.05
    assert policy.limits_for("verdict_injection", "integrity").max_effect == 0.05
    assert policy.limits_for("gender", "identity").direction == policy.defaults.direction == "both"
    assert policy.validity == ValidityLimits(min_accuracy=0.6, max_tie_rate=0.5, min_position_consistency=0.5, max_noise_floor=0.2)
    assert set(policy.required) <= {p.stem for p in (Path(__file__).parents[2] / "bias_templates").glob("*.yaml")}
    assert default_policy_path().is_file()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name: x\nconfidence: 1.5\n", 2, "confidence: must be a number strictly between 0 and 1"),
        ("name: x\ndefaults:\n  max_effect: 0.1\n  max_efect: 0.2\n", 4, "defaults.max_efect: unknown key"),
        ("name: x\nbiases:\n  position:\n    max_effect: -1\n", 4, "biases.position.max_effect"),
        ("name: x\nmin_instances: ten\n", 2, "min_instances: must be a whole number"),
        ("name: x\nrequired: position\n", 2, "required: must be a list of bias names"),
        ("name: x\nthreshold: 3\n", 2, "threshold: unknown key"),
        ("name: [x\n", 2, "invalid YAML"),
        ("name: x\ndefaults:\n  max_noise_floor: 0.2\n", 3, "set it under validity"),
        ("name: x\nvalidity:\n  min_accuracy: 2\n", 3, "validity.min_accuracy: must be a number between 0 and 1"),
        ("name: x\nbiases:\n  gender:\n    direction: up\n", 4, "biases.gender.direction: must be one of both, expected"),
    ],
)
def test_a_bad_policy_gets_one_line_naming_the_file_the_line_and_the_key(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(JudgeAuditError) as error:
        load_policy(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:") and words in message and "\n" not in message


def test_equivalence_follows_the_expected_direction() -> None:
    zeros, big, penalty = [0.0] * 200, [0.5] * 200, [-0.5] * 200
    assert equivalence(zeros, "toward", 0.1, 0.95).state == "CERTIFIED_BELOW"
    assert equivalence(big, "toward", 0.1, 0.95).state == "SHOWN_ABOVE"
    assert equivalence(penalty, "toward", 0.1, 0.95).state == "CERTIFIED_BELOW"  # a penalty is not a pull toward
    assert equivalence(penalty, "away", 0.1, 0.95).state == "SHOWN_ABOVE"
    assert equivalence(big, "away", 0.1, 0.95).state == "CERTIFIED_BELOW"
    assert equivalence(penalty, "either", 0.1, 0.95).state == "SHOWN_ABOVE"
    assert equivalence(zeros, "either", 0.1, 0.95).state == "CERTIFIED_BELOW"
    assert equivalence(zeros[:20], "toward", 0.1, 0.95).state == "UNDECIDED"  # 20 zeros cannot rule out 0.1


def test_the_instance_sequence_depends_on_the_seed_and_ids_only() -> None:
    ids = [f"i{n}" for n in range(30)]
    assert instance_sequence(ids, 0) == instance_sequence(list(reversed(ids)), 0)
    assert sorted(instance_sequence(ids, 0)) == sorted(ids) and instance_sequence(ids, 0) != instance_sequence(ids, 1)


def test_each_rule_of_the_decision() -> None:
    assert _decide(_bias()).overall == "PASS"
    failed = _decide(_bias(), _bias("authority", [0.6] * 100))
    assert failed.overall == "FAIL" and failed.biases["authority"].decision == "FAIL" and failed.exit_code == 1
    assert "shown beyond" in failed.biases["authority"].reasons[0]
    few = _decide(_bias(effects=[0.0] * 15))
    assert few.overall == "INCONCLUSIVE" and "the policy needs 20" in few.biases["verbosity"].reasons[0] and few.exit_code == 2
    undecided = _decide(_bias(effects=[-0.2, 0.3] * 30))
    assert undecided.biases["verbosity"].decision == "INCONCLUSIVE" and "not yet shown within" in undecided.biases["verbosity"].reasons[0]
    # Both directions by default: a judge that strongly penalizes a neutral cue distorts verdicts too.
    penalized = _bias(effects=[-0.6] * 100)
    assert _decide(penalized).biases["verbosity"].decision == "FAIL"
    one_sided = _policy(defaults=Limits(direction="expected"))
    assert _decide(penalized, policy=one_sided).biases["verbosity"].decision == "PASS"
    assert "each bound at 95% confidence, so 90% for the pair" in _decide(_bias()).biases["verbosity"].reasons[0]
    assert "pull at most" in _decide(_bias(), policy=one_sided).biases["verbosity"].reasons[0]
    unreadable = _bias(n_unparseable=30)
    assert _decide(unreadable).biases["verbosity"].decision == "FAIL"
    failed_calls = _bias(n_failed=30)
    assert _decide(failed_calls).biases["verbosity"].decision == "INCONCLUSIVE"
    # The placebo flips no longer gate a bias: a length-loving judge's placebo of the cue's size flips
    # verdicts by its length preference, which is not noise (the judge-level noise floor is validity's).
    assert _decide(_bias(noise_floor={"placebo": {"rate": 0.45}})).overall == "PASS"
    audit_inconclusive = _bias(status="INCONCLUSIVE", reason="only 4 assessable instances")
    assert "could not assess" in _decide(audit_inconclusive).biases["verbosity"].reasons[0]
    required = _policy(required=("position", "bandwagon"))
    missing = _decide(_bias(), policy=required, skipped={"bandwagon": "not selected"}, inapplicable={"position": "scored alone"})
    assert missing.overall == "INCONCLUSIVE" and "required by the policy" in missing.biases["bandwagon"].reasons[0]
    assert missing.not_applicable == {"position": "scored alone"} and "position" not in missing.biases


def _certify(run_dir: Path, policy: Path) -> tuple[int, dict]:
    code, out, err = finish(judgeaudit("certify", str(run_dir), "--policy", str(policy)))
    assert code in (0, 1, 2), err
    return code, json.loads((run_dir / "certificate.json").read_text())


def test_certify_and_verify_end_to_end(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    # δ = 0.20: the 65 sample instances bound a cue's own pull (in [-2, 2]) to ±0.176 at best.
    policy.write_text("name: gate\nmin_instances: 20\nrequired: [verbosity, authority]\ndefaults: {max_effect: 0.20}\n")
    runs = run_python_judges(tmp_path, ("fair_verdict", "authority_follower"), "--bias", "verbosity,authority")

    code, certificate = _certify(runs["fair_verdict"], policy)
    assert code == 0 and certificate["verdict"] == "PASS" and certificate["exit_code"] == 0
    assert {b["decision"] for b in certificate["biases"].values()} == {"PASS"}
    assert {v["decision"] for v in certificate["validity"].values()} == {"PASS"}
    assert set(certificate["validity"]) == {"accuracy", "ties", "noise_floor", "position_consistency"}
    manifest = json.loads((runs["fair_verdict"] / "manifest.json").read_text())
    assert certificate["hashes"]["dataset_sha256"] == manifest["dataset"]["sha256"]
    assert set(certificate["hashes"]["bias_templates"]) == {"verbosity", "authority"}
    assert certificate["hashes"]["tool_version"] and certificate["hashes"]["prompt_template"]["hash"]
    assert certificate["policy"]["sha256"] and certificate["issued_at"]
    evidence = certificate["biases"]["verbosity"]["evidence"]["equivalence"]
    assert evidence["state"] == "CERTIFIED_BELOW" and -0.20 < evidence["lower"] and evidence["upper"] < 0.20 and evidence["n_instances"] == 65
    interval = certificate["biases"]["verbosity"]["evidence"]["interval"]
    assert interval["confidence"] == 0.95 and "inverted sign-flip" in interval["method"]

    code, out, _ = finish(judgeaudit("verify", str(runs["fair_verdict"] / "certificate.json"), str(runs["fair_verdict"])))
    assert code == 0 and "matches" in out
    judgments = runs["fair_verdict"] / "judgments.jsonl"
    judgments.write_text(judgments.read_text().replace('"verdict": "A"', '"verdict": "B"', 1))
    code, _, err = finish(judgeaudit("verify", str(runs["fair_verdict"] / "certificate.json"), str(runs["fair_verdict"])))
    assert code == 1 and "judgments.jsonl differs from the certified run" in err

    code, certificate = _certify(runs["authority_follower"], policy)
    assert code == 1 and certificate["verdict"] == "FAIL"
    assert certificate["biases"]["authority"]["decision"] == "FAIL" and certificate["biases"]["verbosity"]["decision"] == "PASS"
    forged = runs["authority_follower"] / "forged.json"
    forged.write_text(json.dumps(certificate | {"verdict": "PASS"}))
    code, _, err = finish(judgeaudit("verify", str(forged), str(runs["authority_follower"])))
    assert code == 1 and "the run gives FAIL under the certificate's policy, the certificate says PASS" in err

    code, _, err = finish(judgeaudit("certify", str(tmp_path), "--policy", str(policy)))
    assert code == 2 and "not a finished run folder" in err


@pytest.mark.slow
@pytest.mark.parametrize("judge", [simulation.pulled(0.0), simulation.knife_edge(0.5), simulation.noisy(0.7)], ids=["no-pull", "knife-edge", "noisy"])
def test_a_judge_without_bias_is_never_failed_beyond_the_error_rate(judge) -> None:
    """Through the real probes, statistics and decision: 80 audits of 60 instances, 7 biases each."""
    probes, specs = simulation.probes_for(60), simulation.specs()
    rng, failed = np.random.default_rng(3), 0
    for audit in range(80):
        results = summarize_biases(specs, list(zip(probes, judge(probes, rng), strict=True)), Settings(seed=audit))
        decisions = _decide(*[asdict(r) for r in results.values()], policy=_policy(min_instances=10))
        failed += decisions.overall == "FAIL"
    assert failed / 80 <= 0.05


@pytest.mark.slow
def test_a_planted_effect_above_the_margin_fails_at_the_planned_power() -> None:
    """Plan from a pilot (as `judgeaudit plan --pilot` does), then audit at the planned size: FAIL at that power."""
    specs, judge = simulation.specs(), simulation.pulled(0.25)  # true effect 0.50 on authority, δ = 0.10
    pilot_probes = simulation.probes_for(200)
    pilot = summarize_biases(specs, list(zip(pilot_probes, judge(pilot_probes, np.random.default_rng(8)), strict=True)), Settings())
    model = EffectModel(pilot=tuple(pilot["authority"].instance_effects.values()))
    # As the certificate bounds it: both directions, on the cue-specific range.
    n = instances_to_fail(model, "either", 0.10, 0.95, 0.8, family=len(specs), effect_range=CUE_RANGE)
    probes, rng, failed = simulation.probes_for(n), np.random.default_rng(4), 0
    for audit in range(40):
        results = summarize_biases(specs, list(zip(probes, judge(probes, rng), strict=True)), Settings(seed=audit))
        decisions = _decide(*[asdict(r) for r in results.values()], policy=_policy(min_instances=10))
        failed += decisions.biases["authority"].decision == "FAIL"
    assert failed / 40 >= 0.8 - 0.12, (n, failed)  # 0.8 planned, less three Monte-Carlo standard errors at most
