"""`judgeaudit run` under a budget, end to end against the mock judge (the limiter's timing is tested
against a fake clock in test_limiter.py)."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path

from judgeaudit.pricing import prices_for
from tests.cli import error_lines, finish, judgeaudit, only_run_dir
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

ARGS = ("--judge", "openai/gpt-4o", "--limit", "4", "--bias", "verbosity,authority", "--mode", "pairwise", "--no-logprobs", "--max-tokens", "64")


def test_max_cost_stops_cleanly_and_a_larger_budget_continues_without_paying_twice(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    with MockJudgeServer(behaviour) as server:
        common = (*ARGS, "--api-base", server.url, "--out", str(tmp_path / "runs"), "--no-cache")
        code, _, err = finish(judgeaudit("run", *common, "--max-cost", "0.005"))
        assert code == 4, err
        (line,) = error_lines(err)
        assert "cost cap reached" in line and "rerun with a larger --max-cost to continue" in line
        run_dir = only_run_dir(tmp_path / "runs")
        journal = [json.loads(entry) for entry in (run_dir / "journal.jsonl").read_text().splitlines()]
        spent = sum(entry["judgment"]["cost_usd"] for entry in journal)
        assert 0 < spent <= 0.005 and len(journal) == server.answered
        assert not (run_dir / "summary.json").exists()

        code, _, err = finish(judgeaudit("run", *common, "--max-cost", "5"))
        assert code == 0, err
        summary = json.loads((run_dir / "summary.json").read_text())
        planned = json.loads((run_dir / "manifest.json").read_text())["n_requests"]
        assert server.answered == planned  # every question paid once over both invocations
        assert max(Counter(server.bodies).values()) <= 2  # (a repeat probe asks its question twice on purpose)
        invocation = summary["this_invocation"]
        assert invocation["judge_calls"] == planned - len(journal) and invocation["resumed_from_journal"] == len(journal)
        prices = prices_for("openai", "gpt-4o")
        assert invocation["cost_usd"] == round(
            invocation["prompt_tokens"] * prices.prompt + invocation["completion_tokens"] * prices.completion, 6
        )
        assert abs(summary["cost_usd"] - (spent + invocation["cost_usd"])) < 1e-6
        spend = summary["spend"]  # per bias: the requests only its probes ask; the control and repeat are shared
        assert set(spend) == {"verbosity", "authority", "shared", "total"}
        assert spend["total"]["requests"] == planned and abs(spend["total"]["cost_usd"] - summary["cost_usd"]) < 1e-5
        for field in ("requests", "prompt_tokens", "completion_tokens"):
            assert sum(spend[name][field] for name in ("verbosity", "authority", "shared")) == spend["total"][field]
        per_request = {name: spend[name]["prompt_tokens"] / spend[name]["requests"] for name in ("verbosity", "authority")}
        assert per_request["verbosity"] > per_request["authority"]  # the padded answers are longer
        # verbosity's placebo is the shared size-free edit; authority asks its own placebo on each response
        assert spend["authority"]["requests"] == 2 * spend["verbosity"]["requests"]


def test_a_cap_on_a_judge_without_known_prices_is_refused_before_any_call(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(judgeaudit(
            "run", "--judge", "openai/mock-judge", "--api-base", server.url, "--limit", "2", "--bias", "verbosity",
            "--max-cost", "1", "--out", str(tmp_path / "runs"), "--no-cache",
        ))
        assert code == 2 and server.requests == 0
        (line,) = error_lines(err)
        assert "--max-cost needs the judge's token prices" in line


def test_run_batch_submits_once_resumes_polling_after_a_kill_and_prices_at_the_batch_rate(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    from tests.mock_batch_server import BatchBehaviour, MockBatchServer

    with MockBatchServer(behaviour, BatchBehaviour(polls_in_progress=10**6)) as server:
        common = (*ARGS, "--api-base", server.url, "--out", str(tmp_path / "runs"), "--no-cache", "--batch", "--poll-interval", "0.05")
        proc = judgeaudit("run", *common)
        deadline = time.monotonic() + 60
        while server.polls < 3 and time.monotonic() < deadline:  # submitted and being polled: kill it
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        run_dir = only_run_dir(tmp_path / "runs")
        state = json.loads((run_dir / "batches.json").read_text())
        assert server.batches_created == 1 and len(state["batches"]) == 1
        server.behaviour.polls_in_progress = 0  # the provider finishes the batch while nobody polls
        code, _, err = finish(judgeaudit("run", *common))
        assert code == 0, err
    assert server.batches_created == 1 and not (run_dir / "batches.json").exists()  # polled, never resubmitted
    planned = json.loads((run_dir / "manifest.json").read_text())["n_requests"]
    assert sum(server.lines_answered.values()) == planned
    summary = json.loads((run_dir / "summary.json").read_text())
    invocation = summary["this_invocation"]
    assert invocation["judge_calls"] == planned and invocation["failed"] == 0
    half = prices_for("openai", "gpt-4o", batch=True)
    assert half.prompt == prices_for("openai", "gpt-4o").prompt / 2
    assert invocation["cost_usd"] == round(invocation["prompt_tokens"] * half.prompt + invocation["completion_tokens"] * half.completion, 6)
