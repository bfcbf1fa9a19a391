"""A run planned while it asks: the same probes and requests as planning everything first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from judgeaudit.config import RunConfig
from judgeaudit.engine import Journal, RetryPolicy, execute
from judgeaudit.engine.runner import QUEUED_PER_WORKER
from judgeaudit.prepare import PLAN_CHUNK, attach_probes, plan_run, planned_feed
from tests.engine.test_engine import ScriptedJudge, requests


def test_the_feed_plans_what_the_eager_plan_does_and_keeps_only_keys(tmp_path: Path) -> None:
    config = RunConfig(judge="python:tests.python_judges:fair_verdict", mode="pointwise", limit=11)
    eager = plan_run(config, tmp_path)
    streamed = plan_run(config, tmp_path, probes=False)
    assert not streamed.probes and not streamed.requests
    totals: list[int] = []

    async def consume() -> list[dict]:
        return [chunk async for chunk in planned_feed(streamed, totals.append)]

    chunks = asyncio.run(consume())
    assert len(chunks) == -(-11 // PLAN_CHUNK)
    fed = [key for chunk in chunks for key in chunk]
    assert len(fed) == len(set(fed))  # a request shared by probes (pointwise: one per response text) is fed once
    assert set(fed) == set(eager.requests) and streamed.probe_keys == eager.probe_keys and streamed.probes == eager.probes
    assert all(request is None for request in streamed.requests.values())  # prompts are let go once asked
    assert totals[-1] == len(eager.requests) and len(totals) == len(chunks) + 1  # an estimate after each chunk, then exact
    assert all(abs(total - len(eager.requests)) <= 0.2 * len(eager.requests) for total in totals)
    attach_probes(streamed, None)  # the eager path still fills the requests in
    assert streamed.requests == eager.requests


def test_the_engine_reads_the_feed_on_only_as_the_queue_runs_low(tmp_path: Path) -> None:
    """Planning is spread over the run: a chunk is pulled only once few requests wait to be asked."""
    judge, workers = ScriptedJudge(), 4
    every = list(requests(200).items())
    pulled_with_asked: list[tuple[int, int]] = []  # (requests fed before this chunk, calls made by then)

    async def feed():
        for start in range(0, len(every), 10):
            pulled_with_asked.append((start, len(judge.calls)))
            yield dict(every[start : start + 10])

    answers, counts = asyncio.run(execute(feed(), judge, Journal(tmp_path / "j.jsonl"), None, workers, RetryPolicy()))
    assert len(answers) == counts.calls == 200 and len(set(judge.calls)) == 200
    waiting_at_most = QUEUED_PER_WORKER * workers + 10  # the low-water mark, and one chunk over it
    assert all(fed - asked <= waiting_at_most + workers for fed, asked in pulled_with_asked)
    assert pulled_with_asked[-1][1] > 100  # the last chunk was pulled late, not all at the start
