"""The CLI end to end against a loopback OpenAI-compatible judge server started by the test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from judgeaudit.engine import Journal
from judgeaudit.datasets import load_instances, sample_path
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer, _fraction, chosen_texts_of


def judgeaudit(*args: str, env_extra: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    env = os.environ | {"OPENAI_API_KEY": "sk-test-secret-123", "COLUMNS": "160"} | (env_extra or {})
    return subprocess.Popen(
        [sys.executable, "-m", "judgeaudit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def only_run_dir(out_dir: Path) -> Path:
    (run_dir,) = [p for p in out_dir.iterdir() if p.is_dir()]
    return run_dir


@pytest.fixture()
def behaviour() -> JudgeBehaviour:
    return JudgeBehaviour(chosen_texts=chosen_texts_of(str(sample_path())))


def test_planted_position_bias_is_detected_and_absent_biases_are_not(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.position_share = 0.4
    behaviour.fail_share = 0.05  # transient 500s on first attempts: retried, never lost
    with MockJudgeServer(behaviour) as server:
        code, out, err = finish(
            judgeaudit(
                "run", "--judge", "openai/mock-judge", "--api-base", server.url, "--concurrency", "16",
                "--out", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache.sqlite"),
            )
        )
        assert code == 0, err
        run_dir = only_run_dir(tmp_path / "runs")
        summary = json.loads((run_dir / "summary.json").read_text())
        assert server.failures > 0 and summary["this_invocation"]["retries"] == server.failures

    biases = summary["biases"]
    assert set(biases) == {"position", "verbosity", "authority", "markdown", "bandwagon"}
    assert biases["position"]["flagged"] and biases["position"]["q_value"] < 1e-6
    planted = sum(_fraction(i.prompt) < 0.4 for i in load_instances(sample_path()))
    assert biases["position"]["flips"] == planted > 10
    assert biases["position"]["toward_bias"] == biases["position"]["flips"]
    for name in ("verbosity", "authority", "markdown", "bandwagon"):
        assert not biases[name]["flagged"], name
        assert biases[name]["flip_rate"] == 0.0
    assert summary["calls"]["failed"] == 0 and summary["calls"]["unparseable"] == 0
    assert summary["n_instances"] >= 60
    for key in ("judge", "dataset", "n_instances", "calls", "cost_usd", "biases"):
        assert key in summary
    for key in ("dimension", "n", "flip_rate", "flip_ci", "p_value", "q_value", "flagged"):
        assert key in biases["position"]

    # The run folder contract, and no secret in any file the tool wrote.
    for name in ("manifest.json", "judgments.jsonl", "summary.json", "report.html", "report.md"):
        text = (run_dir / name).read_text()
        assert "sk-test-secret-123" not in text
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["judge"]["api_base"] == server.url and manifest["seed"] == 0
    lines = (run_dir / "judgments.jsonl").read_text().splitlines()
    assert len(lines) == manifest["n_probes"] == summary["calls"]["probes"]
    assert "BIASED" in out and "position" in out


def test_rerun_is_free_and_report_rebuilds_without_a_judge(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    args = ["--judge", "openai/mock-judge", "--limit", "5", "--out", str(tmp_path / "runs"), "--no-cache"]
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(judgeaudit("run", "--api-base", server.url, *args))
        assert code == 0, err
        first = server.requests
        assert first == 5 * 10
        code, _, err = finish(judgeaudit("run", "--api-base", server.url, *args))
        assert code == 0, err
        assert server.requests == first  # a finished run makes no judge calls
    run_dir = only_run_dir(tmp_path / "runs")
    (run_dir / "report.html").unlink()
    (run_dir / "summary.json").unlink()
    code, _, err = finish(judgeaudit("report", str(run_dir)))  # no server running now
    assert code == 0, err
    assert (run_dir / "report.html").exists() and json.loads((run_dir / "summary.json").read_text())["n_instances"] == 5


def test_killed_run_resumes_without_repeating_calls(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.latency_s = 0.03
    concurrency = 4
    args = ["--judge", "openai/mock-judge", "--limit", "12", "--concurrency", str(concurrency)]
    args += ["--out", str(tmp_path / "runs"), "--no-cache"]
    total = 12 * 10
    with MockJudgeServer(behaviour) as server:
        proc = judgeaudit("run", "--api-base", server.url, *args)
        deadline = time.time() + 60
        while server.answered < 40 and time.time() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.3)  # let the server finish the requests that were in flight at the kill
        first_run = list(server.bodies)
        assert 40 <= len(first_run) < total
        run_dir = only_run_dir(tmp_path / "runs")
        journaled = len(Journal(run_dir / "journal.jsonl").load())  # a line cut by the kill does not count
        assert journaled >= len(first_run) - concurrency

        code, _, err = finish(judgeaudit("run", "--api-base", server.url, *args))
        assert code == 0, err
        second_run = server.bodies[len(first_run):]
        # Every answer recorded before the kill is reused; at most the calls in flight are asked again.
        assert len(second_run) == total - journaled
        assert len(set(first_run) & set(second_run)) <= concurrency
        assert len(set(server.bodies)) == total
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["this_invocation"]["resumed_from_journal"] == journaled
    assert summary["calls"]["total"] == total


def test_unparseable_answers_are_counted(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.verdict_format = lambda label: "Both responses have merits; I cannot decide."
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--limit", "3",
                       "--out", str(tmp_path / "runs"), "--no-cache")
        )
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["calls"]["unparseable"] == summary["calls"]["total"] == 30
    assert all(b["n"] == 0 and not b["flagged"] for b in summary["biases"].values())


def test_hostile_text_is_escaped_in_the_report(tmp_path: Path) -> None:
    data = tmp_path / "hostile.jsonl"
    rows = [
        {"id": f"h{i}", "prompt": f"Q{i} <img src=x onerror=alert(1)>", "chosen": f"fine {i}",
         "rejected": f"<script>alert('{i}')</script> bad"}
        for i in range(4)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    behaviour = JudgeBehaviour(chosen_texts=set(), position_share=1.0)  # always "A": position flips
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--dataset", str(data),
                       "--out", str(tmp_path / "runs"), "--no-cache")
        )
    assert code == 0, err
    html = (only_run_dir(tmp_path / "runs") / "report.html").read_text()
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html


def test_litellm_backend_against_the_mock_server(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.position_share = 1.0
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "hosted_vllm/mock-judge", "--api-base", server.url, "--limit", "3",
                       "--bias", "position", "--bias", "authority", "--out", str(tmp_path / "runs"), "--no-cache")
        )
        assert code == 0, err
        assert server.answered == 3 * 4
    run_dir = only_run_dir(tmp_path / "runs")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert manifest["judge"]["backend"] == "litellm" and manifest["environment"]["packages"]["litellm"]
    assert summary["biases"]["position"]["flip_rate"] == 1.0 and summary["calls"]["unparseable"] == 0


def test_identical_probes_are_asked_once(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    data = tmp_path / "dupes.jsonl"
    row = {"prompt": "2+2?", "chosen": "4", "rejected": "5"}
    data.write_text(json.dumps(row | {"id": "a"}) + "\n" + json.dumps(row | {"id": "b"}) + "\n")
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--dataset", str(data),
                       "--bias", "position", "--out", str(tmp_path / "runs"), "--no-cache")
        )
        assert code == 0, err
        assert server.answered == 2  # two instances x two orders = 4 probes, 2 distinct requests
    run_dir = only_run_dir(tmp_path / "runs")
    assert len((run_dir / "judgments.jsonl").read_text().splitlines()) == 4
    assert json.loads((run_dir / "summary.json").read_text())["calls"]["total"] == 2
