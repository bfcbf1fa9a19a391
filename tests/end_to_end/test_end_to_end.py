"""The CLI end to end against a loopback OpenAI-compatible judge server started by the test."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from judgeaudit.biases import build_probes, load_registry, select_biases
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.engine import Journal
from judgeaudit.prepare import take_across_categories
from judgeaudit.runs import read_judgments
from tests.cli import FIVE_BIASES, error_lines, finish, judgeaudit, only_run_dir
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer, _fraction


def expected_requests(limit: int) -> int:
    """Distinct requests of a FIVE_BIASES run on ``limit`` sample instances (shared placebos asked once)."""
    instances = take_across_categories(load_instances(sample_path()), limit)
    probes = build_probes(instances, select_biases(load_registry(), [FIVE_BIASES[1]]), seed=0)
    return len({(p.response_a, p.response_b, p.prompt_note, p.attribution_a, p.attribution_b, p.replicate) for p in probes})


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
    position = biases["position"]
    assert position["flagged"] and position["status"] == "BIASED" and position["q_value"] < 0.01
    planted = sum(_fraction(i.prompt) < 0.4 for i in load_instances(sample_path()))
    # control, repeat, the size-free edit on each response; verbosity's cue on each (its placebo is that
    # edit); and per other content bias: the cue and the placebo on each response
    pairs_per_instance = 2 + 2 + 2 + 3 * 4
    assert position["flips"] == planted * pairs_per_instance and planted > 10
    assert position["toward_bias"] == planted and position["direction"] == "first"
    assert position["position_consistency"]["rate"] == pytest.approx(1 - planted / summary["n_instances"])
    for name in ("verbosity", "authority", "markdown", "bandwagon"):
        assert biases[name]["status"] == "NOT_DETECTED" and not biases[name]["flagged"], name
        assert biases[name]["flip_rate"] == 0.0 and biases[name]["effect"] == 0.0
        assert biases[name]["n_instances"] == biases[name]["n"] == summary["n_instances"]
        assert biases[name]["noise_floor"]["placebo"]["rate"] == 0.0
    assert summary["noise_floor"]["repeat"]["rate"] == 0.0 and summary["schema_version"] == 8
    assert summary["calls"]["failed"] == 0 and summary["calls"]["unparseable"] == 0
    assert summary["n_instances"] >= 60
    for key in ("judge", "dataset", "n_instances", "calls", "cost_usd", "biases"):
        assert key in summary
    for name in biases:
        for key in ("dimension", "n", "flip_rate", "flip_ci", "p_value", "q_value", "flagged", "status", "effect",
                    "effect_ci", "n_instances", "noise_floor"):
            assert key in biases[name], (name, key)

    # The run folder contract, and no secret in any file the tool wrote.
    for name in ("manifest.json", "judgments.jsonl", "summary.json", "report.html", "report.md"):
        text = (run_dir / name).read_text()
        assert "sk-test-secret-123" not in text
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["judge"]["api_base"] == server.url and manifest["seed"] == 0
    lines = [asdict(p) | j.to_dict() for p, j in read_judgments(run_dir / "judgments.jsonl")[0]]
    assert len(lines) == manifest["n_probes"] == summary["calls"]["probes"]
    assert {line["resolved_model"] for line in lines} == {"mock-judge-2026-01-01"}
    assert {line["condition"] for line in lines} == {
        "control", "repeat", "edit_on_worse", "edit_on_better", "cue_on_worse", "cue_on_better", "placebo_on_worse", "placebo_on_better"
    }
    assert "BIASED" in out and "position" in out


def test_rerun_is_free_and_report_rebuilds_without_a_judge(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    args = ["--judge", "openai/mock-judge", "--limit", "5", "--out", str(tmp_path / "runs"), "--no-cache"]
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(judgeaudit("run", "--api-base", server.url, *args))
        assert code == 0, err
        first = server.requests
        assert first == expected_requests(5) > 5 * (4 + 4 * 4)
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
    total = expected_requests(12)
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
        # The repeat sends the control's messages again on purpose (its own key, same body): 12 x 2 such pairs.
        assert len(set(server.bodies)) == total - 12 * 2
        assert len(Journal(run_dir / "journal.jsonl").load()) == total
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
    assert code == 3 and error_lines(err) == ["error: nothing could be assessed: no bias has a scored answer for any instance"], err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["calls"]["unparseable"] == summary["calls"]["total"] == expected_requests(3)
    assert all(b["n"] == 0 and b["status"] == "INCONCLUSIVE" and not b["flagged"] for b in summary["biases"].values())
    assert summary["assessable"] is False


def test_unreachable_judge_stops_within_seconds(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    code, out, err = finish(
        judgeaudit("run", "--judge", "openai/mock", "--api-base", f"http://127.0.0.1:{port}/v1", "--limit", "3",
                   "--out", str(tmp_path / "runs"), "--no-cache"),
        timeout=60,
    )
    (line,) = error_lines(err)
    assert code == 2 and line.startswith("error: cannot reach the judge openai:mock at http://127.0.0.1:"), err
    assert time.monotonic() - started < 20


def test_too_many_failed_calls_exit_3_with_outputs_written(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.persistent_fail_share = 0.3
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--limit", "12", "--max-retries", "0",
                       "--bias", "authority", "--out", str(tmp_path / "runs"), "--no-cache")
        )
    assert code == 3 and "judge calls failed" in err and "rerun" in err, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["calls"]["failed"] > 0.05 * summary["calls"]["total"]
    assert (only_run_dir(tmp_path / "runs") / "report.html").exists()


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
        # per instance: control and repeat (4), the size-free edit (4), authority's cue and placebo (8)
        assert server.answered == 3 * (4 + 4 + 8)
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
        # two instances x (control, repeat, edit on each response) x two orders = 16 probes; 8 distinct
        # requests (the repeat's key differs)
        assert server.answered == 8
    run_dir = only_run_dir(tmp_path / "runs")
    assert len(read_judgments(run_dir / "judgments.jsonl")[0]) == 16
    assert json.loads((run_dir / "summary.json").read_text())["calls"]["total"] == 8


@pytest.mark.parametrize("mode", ["pairwise", "pointwise"])
def test_litellm_and_the_openai_sdk_give_identical_summaries(tmp_path: Path, behaviour: JudgeBehaviour, mode: str) -> None:
    """The same audit through litellm-to-mock and OpenAI-SDK-to-mock: the same figures, bias by bias
    (the SDK path without logprobs, which litellm does not read)."""
    behaviour.position_share = 0.3
    behaviour.follows = tuple(item.lower() for item in load_registry()["authority"].choices["citation"])
    summaries = {}
    with MockJudgeServer(behaviour) as server:
        for judge in ("openai/mock-judge", "hosted_vllm/mock-judge"):
            out = tmp_path / judge.split("/")[0]
            code, _, err = finish(
                judgeaudit("run", "--judge", judge, "--api-base", server.url, "--mode", mode, "--limit", "12",
                           "--bias", "position,authority,verbosity", "--out", str(out), "--no-cache", "--no-logprobs")
            )
            assert code == 0, err
            summaries[judge] = json.loads((only_run_dir(out) / "summary.json").read_text())
    first, second = summaries.values()
    assert first["biases"] == second["biases"] and first["control"] == second["control"]
    assert first["biases"]["authority"]["status"] == "BIASED"
