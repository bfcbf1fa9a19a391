"""Replay of recorded verdicts: the figures a team's own judgments give, with no model called."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.prepare import take_across_categories
from tests.cli import finish, judgeaudit, only_run_dir

INSTANCES = take_across_categories(load_instances(sample_path()), 20)  # what --limit 20 audits
ALWAYS_A = {i.id for i in INSTANCES[:8]}  # these 8 are judged by position: "A" in both orders


def _control_records() -> list[dict]:
    records = []
    for instance in INSTANCES:
        for first in ("chosen", "rejected"):
            chosen_label = "A" if first == "chosen" else "B"
            verdict = "A" if instance.id in ALWAYS_A else chosen_label
            records.append({"instance_id": instance.id, "first": first, "verdict": f"Reasoning... [[{verdict}]]"})
    return records


def _verbosity_records() -> list[dict]:
    """A judge that picks the padded response whenever one is padded, else the better one."""
    records = []
    for instance in INSTANCES:
        # verbosity's placebo is the shared size-free edit (no bias), which leaves this judge's choice alone
        for condition, padded in (("cue_on_worse", "rejected"), ("cue_on_better", "chosen"), ("edit_on_worse", None), ("edit_on_better", None)):
            for order in ("chosen_first", "chosen_second"):
                winner = padded or "chosen"
                bias = None if condition.startswith("edit") else "verbosity"
                records.append({"id": instance.id, "bias": bias, "condition": condition, "order": order, "winner": winner})
    return records


def _run(tmp_path: Path, records: list[dict], suffix: str = ".jsonl", *extra: str) -> tuple[int, str, str]:
    path = tmp_path / f"verdicts{suffix}"
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=sorted({k for r in records for k in r}))
            writer.writeheader()
            writer.writerows(records)
    else:
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return finish(
        judgeaudit("run", "--judge", f"replay:{path}", "--dataset", str(sample_path()), "--limit", "20",
                   "--bias", "position,verbosity,authority", "--out", str(tmp_path / "runs"), "--no-cache", *extra)
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_replayed_control_verdicts_reproduce_the_position_figures_computed_by_hand(tmp_path: Path, suffix: str) -> None:
    code, out, err = _run(tmp_path, _control_records(), suffix)
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    position = summary["biases"]["position"]
    # By hand: 8 of 20 instances answered "A" in both orders (inconsistent), 12 judged on the merits.
    assert position["position_consistency"]["rate"] == pytest.approx(12 / 20)
    assert position["effect"] == pytest.approx(8 / 20) and position["status"] == "BIASED"
    assert position["flips"] == 8 and position["direction"] == "first"
    assert summary["control"]["accuracy"] == pytest.approx((8 * 0.5 + 12 * 1.0) / 20)
    assert summary["calls"]["total"] == 40 and summary["calls"]["unparseable"] == 0
    assert set(summary["skipped_biases"]) == {"verbosity", "authority"}
    assert "no verdicts were recorded" in summary["skipped_biases"]["verbosity"]


def test_a_bias_is_audited_when_its_probes_were_recorded(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, _control_records() + _verbosity_records())
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    verbosity = summary["biases"]["verbosity"]
    assert verbosity["status"] == "BIASED" and verbosity["effect"] == pytest.approx(1.0)  # the padded one always won
    assert verbosity["noise_floor"]["placebo"]["rate"] is not None
    assert list(summary["skipped_biases"]) == ["authority"]


def test_an_older_files_placebo_is_the_placebo_on_the_worse_response(tmp_path: Path) -> None:
    legacy = [{"id": INSTANCES[0].id, "bias": "authority", "condition": "placebo", "order": "chosen_first", "winner": "chosen"}]
    code, _, err = _run(tmp_path, _control_records() + _verbosity_records() + legacy)
    assert code == 0, err  # read as placebo_on_worse; authority, with no cue recorded, is left out


def test_malformed_records_name_the_file_and_line(tmp_path: Path) -> None:
    bad = _control_records()
    del bad[3]["first"]
    code, _, err = _run(tmp_path, bad)
    assert code == 2 and "verdicts.jsonl:4: which response was shown first is missing" in err
    twice = _control_records() + [_control_records()[0]]
    code, _, err = _run(tmp_path, twice)
    assert code == 2 and "verdicts.jsonl:41: a second verdict for the same probe (first on line 1)" in err
    code, _, err = _run(tmp_path, [{"id": "ar-01", "bias": "verbosity", "condition": "cue_on_worse", "order": "chosen_first", "winner": "both"}])
    assert code == 2 and "'winner' must be chosen, rejected or tie" in err
