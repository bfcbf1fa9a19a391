"""The rewrite stage of a run: ask the rewrites, check that they keep the meaning, tally the outcome.

Every call goes through the engine like a judge call: cached, journaled in the run folder
(``rewrites.jsonl``), resumed after an interruption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeaudit.biases.rewrite import (
    RewriteOutcome,
    RewriteTask,
    check_request,
    precheck,
    tally,
    verdict_of_check,
)
from judgeaudit.engine import EngineCounts, Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.judges.base import Judge
from judgeaudit.schema import JudgeRequest, Judgment

REWRITE_JOURNAL = "rewrites.jsonl"


class TextBackend(Judge):
    """A writer as the engine sees a judge: its answers are the texts it writes, not verdicts."""

    tasks = frozenset({"text"})

    def __init__(self, writer: Judge) -> None:
        self._writer = writer
        self.backend, self.model = writer.backend, writer.model
        self.max_concurrency, self.api_base = writer.max_concurrency, writer.api_base

    def rate_scope(self) -> str:
        return self._writer.rate_scope()

    async def judge(self, request: JudgeRequest) -> Judgment:
        return await self._writer.generate(request)

    def describe(self) -> dict[str, Any]:
        return self._writer.describe()


@dataclass
class RewriteStage:
    """What the rewrite stage needs from the run."""

    run_dir: Path
    cache: ResponseCache | None
    concurrency: int
    retry: RetryPolicy
    checks: tuple[str, ...]
    checker: Judge | None
    on_start: Callable[[str, int], None] | None = None
    on_answer: Callable[[Judgment], None] | None = None


async def _ask(stage: RewriteStage, requests: dict[str, tuple[JudgeRequest, Judge]], what: str) -> tuple[dict[str, Judgment], EngineCounts]:
    """Ask ``requests`` through the engine, one writer at a time."""
    answers: dict[str, Judgment] = {}
    total = EngineCounts()
    if stage.on_start is not None and requests:
        stage.on_start(what, len(requests))
    writers = {id(writer): writer for _, writer in requests.values()}
    for writer_id, writer in writers.items():
        mine = {key: request for key, (request, w) in requests.items() if id(w) == writer_id}
        got, counts = await execute(
            mine, TextBackend(writer), Journal(stage.run_dir / REWRITE_JOURNAL), stage.cache,
            concurrency=stage.concurrency, retry=stage.retry, on_answer=stage.on_answer,
        )
        answers |= got
        total += counts
    return answers, total


async def run_rewrites(tasks: list[RewriteTask], stage: RewriteStage) -> tuple[RewriteOutcome, dict[str, int]]:
    """Rewrite, pre-check, meaning-check; the accepted rewrites and the call counts of the stage."""
    rewrites, rewrite_counts = await _ask(
        stage, {t.request.key: (t.request, t.writer) for t in tasks}, f"rewriting {len(tasks)} responses"
    )
    refusals: dict[tuple[str, str, str], str | None] = {}
    texts: dict[tuple[str, str, str], str] = {}
    checks: dict[str, tuple[JudgeRequest, Judge]] = {}
    check_keys: dict[tuple[str, str, str], str] = {}
    for task in tasks:
        answer = rewrites[task.request.key]
        texts[task.slot] = answer.raw.strip()
        refusals[task.slot] = precheck(task, answer, stage.checks)
        if refusals[task.slot] is None and "llm" in stage.checks:
            checker = stage.checker or task.writer
            request = check_request(task, texts[task.slot], checker)
            checks[request.key] = (request, checker)
            check_keys[task.slot] = request.key
    verdicts, check_counts = await _ask(stage, checks, f"checking {len(checks)} rewrites keep their meaning")
    for slot, key in check_keys.items():
        refusals[slot] = verdict_of_check(verdicts.get(key))
    counts = {
        "rewrites": len({task.request.key for task in tasks}),  # identical rewrites are asked once
        "checks": len(checks),
        "calls": rewrite_counts.calls + check_counts.calls,
        "cache_hits": rewrite_counts.cache_hits + check_counts.cache_hits,
        "resumed": rewrite_counts.resumed + check_counts.resumed,
        "failed": rewrite_counts.failed + check_counts.failed,
        "prompt_tokens": sum(a.prompt_tokens for a in (*rewrites.values(), *verdicts.values())),
        "completion_tokens": sum(a.completion_tokens for a in (*rewrites.values(), *verdicts.values())),
    }
    return tally(tasks, refusals, texts), counts
