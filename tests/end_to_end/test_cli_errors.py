"""Bad input: one clear error line naming the file/line or the valid choices, exit code != 0, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "judgeaudit.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    return tmp_path


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


GOOD = {"prompt": "p", "chosen": "c", "rejected": "r"}


def test_missing_dataset_file(data: Path) -> None:
    assert_one_line_error(run_cli("run", "--dataset", "nope.jsonl", cwd=data), "nope.jsonl", "not found")


def test_malformed_jsonl_line(data: Path) -> None:
    _jsonl(data / "d.jsonl", [GOOD, GOOD | {"chosen": "x"}, "{oops"])
    assert_one_line_error(run_cli("run", "--dataset", "d.jsonl", cwd=data), "d.jsonl:3", "malformed JSON")


def test_missing_field(data: Path) -> None:
    _jsonl(data / "d.jsonl", [{"prompt": "p", "chosen": "c"}])
    assert_one_line_error(run_cli("run", "--dataset", "d.jsonl", cwd=data), "d.jsonl:1", "missing field 'rejected'")


def test_empty_response(data: Path) -> None:
    _jsonl(data / "d.jsonl", [GOOD, {"prompt": "p", "chosen": "c", "rejected": ""}])
    assert_one_line_error(run_cli("run", "--dataset", "d.jsonl", cwd=data), "d.jsonl:2", "'rejected' is empty")


def test_unknown_bias(data: Path) -> None:
    assert_one_line_error(run_cli("run", "--bias", "vibes", cwd=data), "unknown bias 'vibes'", "position", "verbosity")


def test_unknown_judge(data: Path) -> None:
    assert_one_line_error(run_cli("run", "--judge", "gpt4", cwd=data), "unknown judge 'gpt4'", "openai/<model>")


def test_unknown_litellm_provider(data: Path) -> None:
    assert_one_line_error(
        run_cli("run", "--judge", "nosuchprovider/model-x", cwd=data), "litellm knows no provider 'nosuchprovider'"
    )


def test_report_on_a_folder_that_is_not_a_run(data: Path) -> None:
    assert_one_line_error(run_cli("report", str(data), cwd=data), "manifest.json", "is this a judgeaudit run folder")


def test_openai_judge_without_key(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert_one_line_error(run_cli("run", "--judge", "openai/gpt-4o-mini", cwd=data), "set OPENAI_API_KEY")
