"""A run planned while it asks: the same probes and requests as planning everything first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from judgeaudit.audit import PLAN_CHUNK, attach_probes, plan_run, planned_feed
from judgeaudit.config import RunConfig


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
    assert totals[-1] == len(eager.requests) and len(totals) == 2  # an estimate after the first chunk, then exact
    attach_probes(streamed, None)  # the eager path still fills the requests in
    assert streamed.requests == eager.requests
