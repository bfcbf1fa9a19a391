"""``run --sequential``: stopped biases cost no more calls, decisions match the fixed design, resume is free."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.certification import Limits, Policy
from tests.cli import finish, judgeaudit, only_run_dir
from tests.simulation import fixed_design, instances, sequential_design, soft

JUDGE = ("--judge", "python:tests.python_judges:authority_follower", "--bias", "verbosity,authority,position")


def test_sequential_run_stops_decided_biases_and_certifies_as_the_full_run(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    # verbosity at δ = 0.20: 65 instances bound a cue's own pull (in [-2, 2]) to ±0.176 at best.
    policy.write_text("name: gate\nmin_instances: 20\ndefaults: {max_effect: 0.10}\nbiases: {verbosity: {max_effect: 0.20}}\n")
    runs = {}
    for label, extra in (("fixed", ()), ("sequential", ("--sequential", "--policy", str(policy)))):
        code, _, err = finish(judgeaudit("run", *JUDGE, "--out", str(tmp_path / label), "--no-cache", *extra))
        assert code == 0, err
        runs[label] = only_run_dir(tmp_path / label)
    fixed, sequential = (json.loads((runs[k] / "summary.json").read_text()) for k in ("fixed", "sequential"))
    stops = sequential["sequential"]
    # The cue itself decides every authority verdict (+1 per instance, in [-2, 2]): shown above δ after 3 batches.
    assert stops["stopped"]["authority"] == {"state": "SHOWN_ABOVE", "n_instances": 30, "after_instances": 30}
    assert stops["stopped"]["verbosity"]["state"] == "CERTIFIED_BELOW"
    assert stops["requests_asked"] == sequential["calls"]["total"] < fixed["calls"]["total"] == stops["requests_fixed_design"]
    assert sequential["biases"]["authority"]["n_instances"] == 30 and sequential["biases"]["position"]["n_instances"] == 65

    decisions = {}
    for label, run in runs.items():
        code, _, err = finish(judgeaudit("certify", str(run), "--policy", str(policy)))
        certificate = json.loads((run / "certificate.json").read_text())
        decisions[label] = {name: entry["decision"] for name, entry in certificate["biases"].items()}
        interval = certificate["biases"]["verbosity"]["evidence"]["interval"]
        # After sequential stopping only the confidence sequence's bounds are valid; they are what it reports.
        assert ("anytime-valid" in interval["method"]) == (label == "sequential")
        assert (certificate["biases"]["verbosity"]["evidence"]["effect_ci_95"] is None) == (label == "sequential")
    assert decisions["sequential"] == decisions["fixed"] == {"verbosity": "PASS", "authority": "FAIL", "position": "INCONCLUSIVE"}

    code, out, err = finish(judgeaudit("run", *JUDGE, "--out", str(tmp_path / "sequential"), "--no-cache", "--sequential", "--policy", str(policy)))
    assert code == 0 and "this run: 0 judge calls" in out and "resumed" in out
    again = json.loads((runs["sequential"] / "summary.json").read_text())
    assert again["sequential"] == stops and again["biases"]["verbosity"]["instance_effects"] == sequential["biases"]["verbosity"]["instance_effects"]
    code, out, _ = finish(judgeaudit("report", str(runs["sequential"])))
    assert code == 0 and "sequential (policy gate, batches of 10)" in out


def test_sequential_batches_take_whole_prompt_groups_and_count_them_as_units(tmp_path: Path) -> None:
    """Pairs that share a prompt (a ``group`` field) enter the sequence together: a stopped bias has
    been asked on every pair of a group or on none, and its test counted groups."""
    sample = Path(__file__).resolve().parents[2] / "judgeaudit" / "datasets" / "data" / "sample.jsonl"
    records = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    data = tmp_path / "grouped.jsonl"
    data.write_text("".join(json.dumps(record | {"group": f"p{i // 2}"}) + "\n" for i, record in enumerate(records)), encoding="utf-8")
    group_of = {str(record["id"]): f"p{i // 2}" for i, record in enumerate(records)}
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: gate\nmin_instances: 20\ndefaults: {max_effect: 0.10}\n")
    code, _, err = finish(judgeaudit("run", *JUDGE, "--dataset", str(data), "--out", str(tmp_path / "runs"), "--no-cache",
                                     "--sequential", "--policy", str(policy)))
    assert code == 0, err
    run = only_run_dir(tmp_path / "runs")
    summary = json.loads((run / "summary.json").read_text())
    groups = len(set(group_of.values()))  # the last of the 65 instances is alone in its group: its own unit
    assert summary["grouping"] == {"n_groups": groups - 1, "n_grouped_instances": len(records) - 1, "n_units": groups, "largest": 2}
    authority = summary["biases"]["authority"]
    assert summary["sequential"]["stopped"]["authority"] == {"state": "SHOWN_ABOVE", "n_instances": 30, "after_instances": 30}
    assert authority["n_instances"] == 30 and all(key.startswith("group:p") or key == records[-1]["id"] for key in authority["instance_effects"])
    asked: dict[str, set[str]] = {}
    for line in (run / "judgments.jsonl").read_text(encoding="utf-8").splitlines():
        probe = json.loads(line)
        if probe.get("bias") == "authority" and "instance_id" in probe:
            asked.setdefault(group_of[probe["instance_id"]], set()).add(probe["instance_id"])
    members = {group: {i for i, g in group_of.items() if g == group} for group in asked}
    assert len(asked) == 30 and asked == members


@pytest.mark.slow
def test_sequential_decisions_match_the_fixed_design_on_simulated_judges() -> None:
    """One strong and four absent biases on a judge with probabilities: the same decisions, fewer calls."""
    registry = load_registry()
    specs = [registry[n] for n in ("verbosity", "authority", "markdown", "bandwagon", "gender")]
    probes = build_probes(instances(100), specs, seed=0)
    policy = Policy(name="test", min_instances=20, defaults=Limits(max_effect=0.10))
    rng, asked, full, same = np.random.default_rng(5), 0, 0, 0
    for replication in range(12):
        answers = soft({"authority": 0.25})(probes, rng)
        fixed = fixed_design(specs, probes, answers, policy, replication)
        stepwise = sequential_design(specs, probes, answers, policy, replication)
        same += stepwise.states == fixed.states
        asked, full = asked + stepwise.probes_asked, full + fixed.probes_asked
        assert stepwise.states["authority"] == "SHOWN_ABOVE" and "SHOWN_ABOVE" not in {stepwise.states[n] for n in stepwise.states if n != "authority"}
    # At 100 instances only authority is decided (the absent biases' own pulls, in [-2, 2], need more to be
    # certified within 0.10): it stops after a few batches, and the rest run to the end.
    assert same == 12 and asked < 0.9 * full
