"""Execute a run's requests: journal (resume) -> cache -> judge, concurrently, rate-limited, with retries
and an optional cost cap.

``execute(requests, judge, journal, cache, concurrency, retry, on_answer=None,
max_consecutive_failures=20, max_unanswered_attempts=3, *, rpm=None, tpm=None, budget=None,
limiters=LIMITERS, on_concurrency=None)``; the keyword-only options default to today's behaviour:
- ``rpm`` / ``tpm``: requests and tokens per minute, shared by every engine on the same scope
  (backend, endpoint, API key, model; see ``limiter``). Each call is charged its estimated tokens
  before it goes and corrected with its real usage after.
- ``budget``: a ``Budget(max_usd, prices)``; fills ``cost_usd`` of answered calls from the prices, holds
  each call's estimated cost before launching it, and never launches one that would pass the cap. When
  the cap stops the run, the calls in flight finish and are journaled, then ``BudgetReached`` is raised.
- ``limiters``: the registry (and so the clock) of the rate limits; tests pass one on a fake clock.
- ``on_concurrency``: hears the cap on calls in flight at the start and whenever AIMD changes it.

Failures (``failures.classify``): fatal ones (auth, quota, not_found) stop the run with one line once
the calls in flight have finished and been journaled (as every stop does: unreachable judge, failures
in a row, the cost cap); the others end, after their retries, as ``Judgment(verdict="error", error="<kind>: <message>")``, journaled
and asked again on resume. A 429 or an overload halves the calls in flight; a Retry-After pauses the
whole scope.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping

from judgeaudit.engine.budget import Budget
from judgeaudit.engine.cache import ResponseCache
from judgeaudit.engine.collector import young_collections_only
from judgeaudit.engine.failures import CONGESTION, PER_REQUEST, classify, unanswered_reason
from judgeaudit.engine.journal import Journal
from judgeaudit.engine.limiter import LIMITERS, AdaptiveConcurrency, LimiterRegistry, estimated_tokens, judge_scope
from judgeaudit.engine.retry import RetryPolicy
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.schema import Judgment, JudgeRequest

# This many calls failing in a row (each after its retries) means the judge is unreachable: stop.
MAX_CONSECUTIVE_FAILURES = 20
# This many attempts (across workers, retries included) getting no answer, before any call succeeded: stop.
MAX_UNANSWERED_ATTEMPTS = 3


@dataclass
class EngineCounts:
    """What this invocation did: answers taken from the journal or cache, and calls made (with the
    tokens and dollars of those calls; cache hits and resumed answers cost nothing here)."""

    resumed: int = 0
    cache_hits: int = 0
    calls: int = 0
    retries: int = 0
    failed: int = 0
    failed_in_a_row: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class _ReachGuard:
    """Stops a run within seconds when the judge has not answered once and cannot be reached."""

    judge: Judge
    limit: int
    answered: bool = False
    unanswered: int = 0

    def attempt_failed(self, exc: BaseException) -> None:
        """Count an attempt that got no answer; raise once ``limit`` of them came before any success."""
        reason = unanswered_reason(exc)
        if self.answered or reason is None:
            return
        self.unanswered += 1
        if self.unanswered >= self.limit:
            where = getattr(self.judge, "api_base", None) or "its default endpoint"
            raise JudgeAuditError(
                f"cannot reach the judge {self.judge.backend}:{self.judge.model} at {where}: {reason} "
                f"({self.unanswered} attempts, no answer yet); nothing was asked — check --api-base / the server"
            )


RequestFeed = AsyncIterable[Mapping[str, JudgeRequest]]
"""Requests arriving in chunks while earlier ones are asked (a run plans instance by instance)."""
LOOKUP_CHUNK = 500
"""Requests looked up in the cache at once."""
QUEUED_PER_WORKER = 2
"""The feed is read on only while fewer than this many requests per worker wait to be asked, so that
planning is spread over the run in the gaps between answers instead of holding up its first calls."""


async def _chunks(requests: Mapping[str, JudgeRequest] | RequestFeed) -> AsyncIterator[Mapping[str, JudgeRequest]]:
    if not isinstance(requests, Mapping):
        async for chunk in requests:
            yield chunk
        return
    keys = list(requests)
    for start in range(0, len(keys), LOOKUP_CHUNK):
        yield {key: requests[key] for key in keys[start : start + LOOKUP_CHUNK]}


async def execute(
    requests: Mapping[str, JudgeRequest] | RequestFeed,
    judge: Judge,
    journal: Journal,
    cache: ResponseCache | None,
    concurrency: int,
    retry: RetryPolicy,
    on_answer: Callable[[Judgment], None] | None = None,
    max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
    max_unanswered_attempts: int = MAX_UNANSWERED_ATTEMPTS,
    *,
    rpm: float | None = None,
    tpm: float | None = None,
    budget: Budget | None = None,
    limiters: LimiterRegistry = LIMITERS,
    on_concurrency: Callable[[int], None] | None = None,
) -> tuple[dict[str, Judgment], EngineCounts]:
    """Answer every request once, recording each answer in the journal as it arrives.

    ``requests`` is a mapping by key, or a feed of such mappings (keys unique across the feed) that
    is consumed while the requests already fed are asked. Answers already in the journal are reused
    (resume); cache hits cost no call. Calls that still fail after retries come back as
    ``verdict="error"`` judgments and are asked again on the next resume; ``max_consecutive_failures``
    of them in a row stop the run instead of grinding through the rest. Before any call has
    succeeded, ``max_unanswered_attempts`` attempts that could not reach the judge (refused,
    unresolved, reset, timed out) stop it at once: the endpoint is most likely wrong or down.
    """
    counts = EngineCounts()
    answers: dict[str, Judgment] = {}
    recorded = journal.load()
    seen: list[str] = []
    queue: asyncio.Queue[tuple[str, JudgeRequest] | None] = asyncio.Queue()
    room = asyncio.Event()  # set when the queue has run low enough to read more of the feed
    workers = min(concurrency, judge.max_concurrency or concurrency)

    async def produce() -> None:
        """Sort the fed requests into answered (journal, cache) and to ask; then tell the workers it is over."""
        try:
            async for chunk in _chunks(requests):
                if halt is not None:
                    break
                hits = cache.get_many([key for key in chunk if key not in recorded]) if cache is not None else {}
                for key, request in chunk.items():
                    seen.append(key)
                    if key in recorded:
                        answers[key] = recorded[key]
                        counts.resumed += 1
                        if budget is not None and not recorded[key].cached:
                            budget.earlier += recorded[key].cost_usd
                    elif key in hits:
                        answers[key] = hits[key]
                        journal.append(key, hits[key])
                        counts.cache_hits += 1
                    else:
                        queue.put_nowait((key, request))
                        continue
                    if on_answer is not None:
                        on_answer(answers[key])
                while queue.qsize() >= QUEUED_PER_WORKER * workers and halt is None and not out_of_budget:
                    room.clear()
                    await room.wait()
        finally:
            for _ in range(workers):
                queue.put_nowait(None)

    clock = limiters.clock
    limiter = limiters.get(judge_scope(judge), rpm, tpm)
    gate = AdaptiveConcurrency(workers, clock, on_change=on_concurrency)
    guard = _ReachGuard(judge, max_unanswered_attempts)
    settled = asyncio.Condition()  # notified whenever a call's cost hold is released
    halt: JudgeAuditError | None = None  # what stops the run once the calls in flight are done
    out_of_budget = False
    if on_concurrency is not None:
        on_concurrency(gate.limit)

    def count_retry() -> None:
        counts.retries += 1

    def attempt_failed(exc: BaseException) -> None:
        if halt is not None:  # the run is stopping: no more retries
            raise halt
        guard.attempt_failed(exc)
        failure = classify(exc)
        if failure.fatal:
            raise JudgeAuditError(failure.stop_message(f"{judge.backend}:{judge.model}"))
        if failure.kind in CONGESTION:
            gate.congested()
        if failure.retry_after_s:
            limiter.pause(failure.retry_after_s)

    async def attempt(request: JudgeRequest, tokens: int) -> Judgment:
        async with gate:
            charged = await limiter.acquire(tokens)
            if halt is not None:  # the run is stopping: launch nothing more
                raise halt
            judgment = await judge.judge(request)
            if used := judgment.prompt_tokens + judgment.completion_tokens:
                limiter.settle(charged, used)
            gate.answered()
        return judgment

    async def ask(request: JudgeRequest, tokens: int) -> Judgment:
        try:
            judgment = await retry.call(
                attempt, request, tokens, on_retry=count_retry, on_failure=attempt_failed, sleep=clock.sleep
            )
        except JudgeAuditError:
            raise
        except Exception as exc:  # a transport or API failure is an outcome, not a crash
            failure = classify(exc)
            counts.failed += 1
            if failure.kind not in PER_REQUEST:
                counts.failed_in_a_row += 1
            return Judgment(verdict="error", error=failure.error)
        guard.answered = True
        counts.failed_in_a_row = 0
        return judgment

    async def hold(estimate: tuple[int, int]) -> float | None:
        """The call's cost hold; None when the cap leaves no room even once the calls in flight are done."""
        if budget is None:
            return 0.0
        while (held := budget.reserve(*estimate)) is None and budget.holds:
            async with settled:
                await settled.wait()
        return held

    def record(key: str, request: JudgeRequest, judgment: Judgment) -> None:
        counts.calls += 1
        counts.prompt_tokens += judgment.prompt_tokens
        counts.completion_tokens += judgment.completion_tokens
        counts.cost_usd += judgment.cost_usd
        answers[key] = judgment
        journal.append(key, judgment)
        if cache is not None:
            cache.put(key, request.backend, request.model, judgment)
        if on_answer is not None:
            on_answer(judgment)
        if counts.failed_in_a_row >= max_consecutive_failures:
            raise JudgeAuditError(
                f"{counts.failed_in_a_row} judge calls in a row failed after retries (last: {judgment.error}); "
                "stopping. Answers so far are kept: rerun the same command to resume"
            )

    async def call(key: str, request: JudgeRequest) -> None:
        """Hold the call's cost, ask, release the hold, record the answer."""
        nonlocal out_of_budget
        estimate = estimated_tokens(request)
        held = await hold(estimate)
        if held is None:
            out_of_budget = True
            return
        judgment: Judgment | None = None
        try:
            judgment = await ask(request, sum(estimate))
        finally:
            if budget is not None:
                budget.settle(held, judgment)
                async with settled:
                    settled.notify_all()
        record(key, request, judgment)

    async def worker() -> None:
        nonlocal halt
        try:
            while halt is None and not out_of_budget and (item := await queue.get()) is not None:
                if queue.qsize() < QUEUED_PER_WORKER * workers:
                    room.set()
                try:
                    await call(*item)
                except JudgeAuditError as error:
                    halt = halt or error
        finally:
            room.set()  # a worker that stops must not leave the feed waiting for room

    tasks = [asyncio.create_task(produce()), *(asyncio.create_task(worker()) for _ in range(workers))]
    try:
        with young_collections_only():
            await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        journal.close()
    if halt is not None:
        raise halt
    if out_of_budget and budget is not None:
        raise budget.reached(sum(1 for key in seen if key not in answers or not answers[key].ok))
    return answers, counts
