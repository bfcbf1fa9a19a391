"""Batch execution through the OpenAI and Anthropic batch APIs, against the loopback mock batch server."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from judgeaudit.datasets.loader import load_instances
from judgeaudit.datasets.sample import sample_path
from judgeaudit.engine import EngineCounts, Journal, ResponseCache
from judgeaudit.engine.batch import (
    STATE_NAME,
    BatchCounts,
    SubmittedBatch,
    execute_batch,
    load_state,
    save_state,
    split,
)
from judgeaudit.errors import JudgeAuditError
from judgeaudit.formulations import Formulation
from judgeaudit.judges.anthropic_judge import AnthropicJudge
from judgeaudit.judges.base import Judge
from judgeaudit.judges.openai_compat import OpenAICompatJudge
from judgeaudit.schema import JudgeRequest, Judgment, Probe
from tests.mock_batch_server import BatchBehaviour, MockBatchServer
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

PROVIDERS = ("openai", "anthropic")
POLL_S = 0.01


class Interrupted(Exception):
    """Stands for a kill while the run waits on its batches."""


def _judge(provider: str, server: MockBatchServer) -> OpenAICompatJudge | AnthropicJudge:
    if provider == "openai":
        return OpenAICompatJudge("mock", api_base=server.url)
    return AnthropicJudge("claude-mock", api_base=server.root)


def _requests(judge: OpenAICompatJudge | AnthropicJudge, n: int = 6) -> dict[str, JudgeRequest]:
    """The control of the first ``n`` sample instances in both orders: 2n verdict requests."""
    requests = {}
    for instance in load_instances(sample_path())[:n]:
        for order, (a, b, correct) in {
            "chosen_first": (instance.chosen, instance.rejected, "A"),
            "chosen_second": (instance.rejected, instance.chosen, "B"),
        }.items():
            probe = Probe(instance.id, None, "control", "base", order, instance.prompt, a, b, correct)  # type: ignore[arg-type]
            for request in Formulation("pairwise").requests(judge, probe):
                requests[request.key] = request
    return requests


async def _batch(
    judge: Any, requests: dict[str, JudgeRequest], run_dir: Path, cache: ResponseCache | None = None, **options: Any
) -> tuple[dict[str, Judgment], BatchCounts]:
    return await execute_batch(requests, judge, Journal(run_dir / "journal.jsonl"), cache, run_dir, poll_interval_s=POLL_S, **options)


def _journal(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_batch_answers_as_the_direct_calls_do_and_a_rerun_is_free(provider: str, tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    async def audit(server: MockBatchServer) -> None:
        judge = _judge(provider, server)
        requests = _requests(judge)
        try:
            direct = dict(zip(requests, await asyncio.gather(*(judge.judge(r) for r in requests.values())), strict=True))
            cache = ResponseCache(tmp_path / "cache.sqlite")
            seen: list[Judgment] = []
            polls: list[tuple[str, str]] = []
            answers, counts = await _batch(judge, requests, tmp_path / "run", cache, on_answer=seen.append,
                                           on_poll=lambda *p: polls.append(p))
            assert {k: replace(j, latency_s=0.0) for k, j in direct.items()} == answers
            assert all(j.verdict in ("A", "B") and j.resolved_model and j.prompt_tokens for j in answers.values())
            if provider == "openai":  # P(A) read from the logprobs of the batch answers as of the direct ones
                assert all(j.p_a is not None for j in answers.values())
            assert len(seen) == len(requests) and counts.calls == len(requests) and counts.batches == 1
            assert counts.prompt_tokens == sum(j.prompt_tokens for j in answers.values()) > 0
            assert [status for _, status in polls] == ["in_progress", "in_progress", "completed" if provider == "openai" else "ended"]
            assert {e["key"] for e in _journal(tmp_path / "run")} == set(requests) and len(cache) == len(requests)
            assert not (tmp_path / "run" / STATE_NAME).exists()  # every batch read: nothing in flight

            before = (server.batches_created, server.polls)
            again, rerun = await _batch(judge, requests, tmp_path / "run", cache)
            assert again == answers and rerun.resumed == len(requests) and rerun.calls == rerun.polls == 0
            fresh, other = await _batch(judge, requests, tmp_path / "other", cache)
            assert other.cache_hits == len(requests) and other.calls == 0 and all(j.cached for j in fresh.values())
            assert (server.batches_created, server.polls) == before
        finally:
            await judge.aclose()

    with MockBatchServer(behaviour, BatchBehaviour(polls_in_progress=2)) as server:
        asyncio.run(audit(server))
        assert server.files_uploaded == (1 if provider == "openai" else 0) and server.batches_created == 1
        if provider == "anthropic":  # the shared instructions marked for prompt caching, in batches too
            assert all(s and s[0]["cache_control"] == {"type": "ephemeral"} for s in server.judge.systems)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_requests_are_split_into_batches_at_the_limits(provider: str, tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    async def audit(server: MockBatchServer) -> None:
        judge = _judge(provider, server)
        requests = _requests(judge)
        try:
            answers, counts = await _batch(judge, requests, tmp_path / "count", max_requests=5)
            assert counts.batches == 3 and all(j.ok for j in answers.values()) and len(answers) == 12
            provider_lines = [(k, judge.batch_provider().line(k, r)) for k, r in requests.items()]
            max_bytes = 2 * max(len(line) + 1 for _, line in provider_lines)  # two lines a batch at most
            answers, counts = await _batch(judge, requests, tmp_path / "bytes", max_bytes=max_bytes)
            assert counts.batches == len(split(provider_lines, 100, max_bytes)) >= 6
            assert all(j.ok for j in answers.values()) and len(answers) == 12
        finally:
            await judge.aclose()

    with MockBatchServer(behaviour, BatchBehaviour(polls_in_progress=0)) as server:
        asyncio.run(audit(server))
        assert [len(b.lines) for b in list(server.batches.values())[:3]] == [5, 5, 2]
        assert all(len(b.lines) <= 2 for b in list(server.batches.values())[3:])


def test_split_keeps_order_and_refuses_a_request_too_big_for_any_batch() -> None:
    lines = [(str(i), b"x" * 9) for i in range(7)]  # 10 bytes each with its newline
    assert [[k for k, _ in chunk] for chunk in split(lines, 3, 25)] == [["0", "1"], ["2", "3"], ["4", "5"], ["6"]]
    assert [len(chunk) for chunk in split(lines, 3, 1000)] == [3, 3, 1]
    with pytest.raises(JudgeAuditError, match="request 0 is 9 bytes: more than a batch may hold"):
        split(lines, 3, 9)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_errored_lines_are_recorded_and_only_they_are_asked_again(provider: str, tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    async def audit(server: MockBatchServer) -> None:
        judge = _judge(provider, server)
        # 24 requests: the planted errors hash the request keys, which hold the server's port, so with
        # 12 no line erred in 1.4% of runs; with 24 in 0.02%.
        requests = _requests(judge, n=12)
        cache = ResponseCache(tmp_path / "cache.sqlite")
        try:
            answers, counts = await _batch(judge, requests, tmp_path, cache)
            errored = {k for k, j in answers.items() if not j.ok}
            assert 0 < len(errored) < len(requests) and counts.failed == len(errored)
            expected = "batch errored: HTTP 500: " if provider == "openai" else "batch errored: api_error: "
            assert all(answers[k].error.startswith(expected + "mock: the line failed") for k in errored)
            assert len(cache) == len(requests) - len(errored)  # errors are never cached
            answers, counts = await _batch(judge, requests, tmp_path, cache)
            assert all(j.ok for j in answers.values()) and counts.resumed == len(requests) - len(errored)
            assert counts.calls == len(errored) and set(list(server.batches.values())[-1].custom_ids) == errored
        finally:
            await judge.aclose()

    with MockBatchServer(behaviour, BatchBehaviour(error_share=0.3)) as server:
        asyncio.run(audit(server))
        assert server.batches_created == 2 and set(server.lines_answered.values()) == {1}


@pytest.mark.parametrize(
    ("provider", "planted", "error"),
    [
        ("openai", {"fail_batches": 1}, "batch failed: invalid_request: mock: the batch failed"),
        ("openai", {"expire_batches": 1}, "batch expired: batch_expired: mock: not run before the window ended"),
        ("anthropic", {"expire_batches": 1}, "batch expired: not processed within the batch's 24 h"),
        ("anthropic", {"fail_batches": 1}, "batch errored: api_error: mock: the line failed"),
    ],
)
def test_a_batch_that_fails_as_a_whole_is_recorded_and_asked_again(
    provider: str, planted: dict[str, int], error: str, tmp_path: Path, behaviour: JudgeBehaviour
) -> None:
    async def audit(server: MockBatchServer) -> None:
        judge = _judge(provider, server)
        requests = _requests(judge, n=2)
        try:
            answers, counts = await _batch(judge, requests, tmp_path)
            assert {j.error for j in answers.values()} == {error} and counts.failed == len(requests)
            answers, counts = await _batch(judge, requests, tmp_path)
            assert all(j.ok for j in answers.values()) and counts.calls == len(requests) and counts.batches == 1
        finally:
            await judge.aclose()

    with MockBatchServer(behaviour, BatchBehaviour(**planted)) as server:
        asyncio.run(audit(server))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_interrupted_run_polls_its_batches_again_instead_of_submitting_them(provider: str, tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    def interrupt(batch_id: str, status: str) -> None:
        raise Interrupted(batch_id)

    async def audit(server: MockBatchServer) -> None:
        judge = _judge(provider, server)
        requests = _requests(judge)
        try:
            with pytest.raises(Interrupted):  # killed at the first poll
                await _batch(judge, requests, tmp_path, max_requests=8, on_poll=interrupt)
            state = json.loads((tmp_path / STATE_NAME).read_text())
            assert [b["id"] for b in state["batches"]] == list(server.batches)
            assert sorted(k for b in state["batches"] for k in b["keys"]) == sorted(requests)

            task = asyncio.create_task(_batch(judge, requests, tmp_path, max_requests=8))
            while server.polls < 4:  # killed again while it waits on them
                await asyncio.sleep(POLL_S / 4)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

            answers, counts = await _batch(judge, requests, tmp_path, max_requests=8)
            assert counts.batches == 0 and counts.resumed_batches == 2 and counts.calls == len(requests)
            assert all(j.ok for j in answers.values()) and len(answers) == len(requests)
        finally:
            await judge.aclose()

    with MockBatchServer(behaviour, BatchBehaviour(polls_in_progress=6)) as server:
        asyncio.run(audit(server))
        assert server.batches_created == 2 and all(server.polled[b] == 7 for b in server.batches)  # until it ended
        assert sorted(server.lines_answered) == sorted(k for b in server.batches.values() for k in b.custom_ids)
        assert set(server.lines_answered.values()) == {1}  # no request asked twice
    assert {e["key"] for e in _journal(tmp_path)} == set(server.lines_answered) and len(_journal(tmp_path)) == 12
    assert not (tmp_path / STATE_NAME).exists()


def test_a_server_that_refuses_logprobs_in_a_batch_is_asked_without_them(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    async def audit(server: MockBatchServer) -> None:
        judge = OpenAICompatJudge("mock", api_base=server.url)
        try:
            answers, counts = await _batch(judge, _requests(judge), tmp_path)
            assert all(j.ok and j.p_a is None for j in answers.values()) and counts.failed == 0
            assert counts.batches == 2 and judge.logprobs_refused
        finally:
            await judge.aclose()

    behaviour.reject_logprobs = True
    with MockBatchServer(behaviour) as server:
        asyncio.run(audit(server))
        first, second = server.batches.values()
        assert all(line["body"]["logprobs"] for line in first.lines) and not any("logprobs" in line["body"] for line in second.lines)


def test_failing_polls_are_borne_and_a_batch_that_is_gone_says_what_to_do(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    async def audit(server: MockBatchServer) -> None:
        judge = OpenAICompatJudge("mock", api_base=server.url)
        requests = _requests(judge, n=2)
        try:
            answers, counts = await _batch(judge, requests, tmp_path / "busy")
            assert all(j.ok for j in answers.values()) and server.failed_polls == 3 and counts.polls == 2
            gone = tmp_path / "gone"
            save_state(gone, judge, [SubmittedBatch("batch_deleted", tuple(requests), 0.0)])
            with pytest.raises(JudgeAuditError, match=r"polling batch batch_deleted failed \(HTTP 404\): .*delete .*batches\.json"):
                await _batch(judge, requests, gone)
            assert load_state(gone) == [SubmittedBatch("batch_deleted", tuple(requests), 0.0)]  # kept for the user
        finally:
            await judge.aclose()

    with MockBatchServer(behaviour, BatchBehaviour(failing_polls=3)) as server:
        asyncio.run(audit(server))


def test_a_server_without_the_batch_api_says_to_run_without_batch(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    async def audit(server: MockJudgeServer) -> None:
        judge = OpenAICompatJudge("mock", api_base=server.url)
        try:
            with pytest.raises(JudgeAuditError, match=r"submitting a batch failed \(HTTP 404\): .*run without --batch$"):
                await _batch(judge, _requests(judge, n=1), tmp_path)
        finally:
            await judge.aclose()

    with MockJudgeServer(behaviour) as server:
        asyncio.run(audit(server))
    assert not (tmp_path / STATE_NAME).exists()


def test_a_judge_without_a_batch_api_is_refused(tmp_path: Path) -> None:
    class LocalJudge(Judge):
        backend, model = "llamacpp", "local"

        async def judge(self, request):
            raise AssertionError("nothing is asked")

        def describe(self):
            return {}

    with pytest.raises(JudgeAuditError, match=r"^judge llamacpp:local has no batch API: --batch works with openai/<model>"):
        asyncio.run(_batch(LocalJudge(), {}, tmp_path))


def test_counts_add_field_by_field_and_keep_their_kind() -> None:
    engine = EngineCounts(calls=2, cost_usd=0.5) + EngineCounts(calls=3, retries=1, cost_usd=0.25)
    assert engine == EngineCounts(calls=5, retries=1, cost_usd=0.75)
    batches = BatchCounts(calls=1, batches=2, polls=5) + BatchCounts(calls=4, batches=1, resumed_batches=1)
    assert batches == BatchCounts(calls=5, batches=3, resumed_batches=1, polls=5)
    assert EngineCounts(calls=1) + batches == EngineCounts(calls=6)  # the batch-only counts are left out
