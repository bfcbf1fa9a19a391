"""The run id: derived from everything that changes an answer, and from nothing else."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from judgeaudit.config import RunConfig
from judgeaudit.prepare import plan_run

ROW = {"prompt": "2+2?", "chosen": "4", "rejected": "5"}


@pytest.fixture()
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(ROW | {"id": str(i), "prompt": f"{i}+{i}?"}) for i in range(12)) + "\n")
    return path


def run_dir(**settings) -> str:
    base = {"judge": "openai/m", "api_base": "http://127.0.0.1:9/v1", "bias_dirs": (), "biases": ("authority",)}
    return plan_run(RunConfig(**(base | settings)), Path("out")).run_dir.name


def test_settings_that_change_no_answer_keep_the_run(data: Path) -> None:
    reference = run_dir(dataset=str(data))
    assert run_dir(dataset="d.jsonl", alpha=0.01, min_instances=30, concurrency=64, max_retries=0, timeout_s=3) == reference
    assert run_dir(dataset=f".{os.sep}d.jsonl", max_failed_rate=0.5) == reference


def test_settings_that_change_answers_change_the_run(data: Path, tmp_path: Path) -> None:
    reference = run_dir(dataset=str(data))
    assert run_dir(dataset=str(data), seed=1) != reference
    assert run_dir(dataset=str(data), temperature=0.7) != reference
    assert run_dir(dataset=str(data), api_base="http://127.0.0.1:10/v1") != reference
    assert run_dir(dataset=str(data), limit=5) != reference
    assert run_dir(dataset=str(data), biases=("authority", "verbosity")) != reference
    # The same bias name with different template text is a different run.
    override = tmp_path / "mine"
    override.mkdir()
    (override / "authority.yaml").write_text(
        "name: authority\ndimension: social\ndescription: a shorter citation\nmethod: template\n"
        "template: \"{{ response }} (Cited by an expert.)\"\n"
    )
    assert run_dir(dataset=str(data), bias_dirs=(str(override),)) != reference
    # Same rows, edited content: a different run.
    data.write_text(data.read_text().replace('"rejected": "5"', '"rejected": "6"'))
    assert run_dir(dataset=str(data)) != reference


def test_labels_change_no_answer_and_keep_the_run(data: Path, tmp_path: Path) -> None:
    """Gold labels and annotations are recorded, not keyed: adding them to a dataset keeps its run folder,
    and run folders made before labels existed keep their names (pinned from the code before them)."""
    reference = run_dir(dataset=str(data))
    assert reference == "openai-m__da81cd12a756"
    labelled = tmp_path / "labelled.jsonl"
    rows = [ROW | {"id": str(i), "prompt": f"{i}+{i}?", "label": "chosen", "annotations": ["chosen", "tie"]} for i in range(12)]
    labelled.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    assert run_dir(dataset=str(labelled), alt_epsilon=0.1) == reference
    assert plan_run(RunConfig(bias_dirs=()), Path("out")).run_dir.name == "smollm2__1aac17a0c1a7"
