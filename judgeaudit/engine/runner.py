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
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from judgeaudit.engine.answers import AnswerBook, EngineCounts
from judgeaudit.engine.budget import Budget
from judgeaudit.engine.cache import ResponseCache
from judgeaudit.engine.collector import young_collections_only
from judgeaudit.engine.failures import CONGESTION, PER_REQUEST, classify, unanswered_reason
from judgeaudit.engine.journal import Journal
from judgeaudit.engine.limiter import LIMITERS, AdaptiveConcurrency, LimiterRegistry, estimated_tokens
from judgeaudit.engine.retry import RetryPolicy
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.schema import JudgeRequest, Judgment

# This many calls failing in a row (each after its retries) means the judge is unreachable: stop.
MAX_CONSECUTIVE_FAILURES = 20
# This many attempts (across workers, retries included) getting no answer, before any call succeeded: stop.
MAX_UNANSWERED_ATTEMPTS = 3


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
            raise JudgeAuditError(
                f"cannot reach the judge {self.judge.identity} at {self.judge.where}: {reason} "
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
    book = AnswerBook(journal, cache, counts, on_answer, budget)
    stops = (max_consecutive_failures, max_unanswered_attempts)
    await _Execution(judge, book, concurrency, retry, stops, budget, limiters, (rpm, tpm), on_concurrency).run(requests)
    return book.answers, counts


class _Execution:
    """One engine invocation: a producer sorting the fed requests into answered and to ask, and workers
    asking the judge under the limiter, the adaptive cap on calls in flight and the cost cap."""

    def __init__(
        self, judge: Judge, book: AnswerBook, concurrency: int, retry: RetryPolicy, stops: tuple[int, int],
        budget: Budget | None, limiters: LimiterRegistry, rates: tuple[float | None, float | None],
        on_concurrency: Callable[[int], None] | None,
    ) -> None:
        """``stops``: failures in a row, and unanswered attempts before any answer, that stop the run;
        ``rates``: requests and tokens per minute."""
        self.judge, self.book, self.retry, self.budget = judge, book, retry, budget
        self.workers = min(concurrency, judge.max_concurrency or concurrency)
        self.clock = limiters.clock
        self.limiter = limiters.get(judge.rate_scope(), *rates)
        self.gate = AdaptiveConcurrency(self.workers, self.clock, on_change=on_concurrency)
        self.max_failed_in_a_row, unanswered = stops
        self.guard = _ReachGuard(judge, unanswered)
        self.failed_in_a_row = 0
        self.queue: asyncio.Queue[tuple[str, JudgeRequest] | None] = asyncio.Queue()
        self.room = asyncio.Event()  # set when the queue has run low enough to read more of the feed
        self.settled = asyncio.Condition()  # notified whenever a call's cost hold is released
        self.halt: JudgeAuditError | None = None  # what stops the run once the calls in flight are done
        self.out_of_budget = False
        self.seen: list[str] = []
        if on_concurrency is not None:
            on_concurrency(self.gate.limit)

    async def run(self, requests: Mapping[str, JudgeRequest] | RequestFeed) -> None:
        """Answer every request; raise what stopped the run, once the calls in flight are journaled."""
        tasks = [asyncio.create_task(self._produce(requests)), *(asyncio.create_task(self._work()) for _ in range(self.workers))]
        try:
            with young_collections_only():
                await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            self.book.close()
        if self.halt is not None:
            raise self.halt
        if self.out_of_budget and self.budget is not None:
            answers = self.book.answers
            raise self.budget.reached(sum(1 for key in self.seen if key not in answers or not answers[key].ok))

    def _stopping(self) -> bool:
        return self.halt is not None or self.out_of_budget

    async def _produce(self, requests: Mapping[str, JudgeRequest] | RequestFeed) -> None:
        """Sort the fed requests into answered (journal, cache) and to ask; then tell the workers it is over."""
        try:
            async for chunk in _chunks(requests):
                if self.halt is not None:
                    break
                self.seen.extend(chunk)
                for key in self.book.settle(chunk):
                    self.queue.put_nowait((key, chunk[key]))
                while self.queue.qsize() >= QUEUED_PER_WORKER * self.workers and not self._stopping():
                    self.room.clear()
                    await self.room.wait()
        finally:
            for _ in range(self.workers):
                self.queue.put_nowait(None)

    async def _work(self) -> None:
        """Take requests off the queue and ask them until the queue ends or the run stops."""
        try:
            while not self._stopping() and (item := await self.queue.get()) is not None:
                if self.queue.qsize() < QUEUED_PER_WORKER * self.workers:
                    self.room.set()
                try:
                    await self._call(*item)
                except JudgeAuditError as error:
                    self.halt = self.halt or error
        finally:
            self.room.set()  # a worker that stops must not leave the feed waiting for room

    async def _call(self, key: str, request: JudgeRequest) -> None:
        """Hold the call's cost, ask, release the hold, record the answer."""
        estimate = estimated_tokens(request)
        held = await self._hold(estimate)
        if held is None:
            self.out_of_budget = True
            return
        judgment: Judgment | None = None
        try:
            judgment = await self._ask(request, sum(estimate))
        finally:
            if self.budget is not None:
                self.budget.settle(held, judgment)
                async with self.settled:
                    self.settled.notify_all()
        self.book.record(key, request, judgment)
        if self.failed_in_a_row >= self.max_failed_in_a_row:
            raise JudgeAuditError(
                f"{self.failed_in_a_row} judge calls in a row failed after retries (last: {judgment.error}); "
                "stopping. Answers so far are kept: rerun the same command to resume"
            )

    async def _hold(self, estimate: tuple[int, int]) -> float | None:
        """The call's cost hold; None when the cap leaves no room even once the calls in flight are done."""
        if self.budget is None:
            return 0.0
        while (held := self.budget.reserve(*estimate)) is None and self.budget.holds:
            async with self.settled:
                await self.settled.wait()
        return held

    async def _ask(self, request: JudgeRequest, tokens: int) -> Judgment:
        """The judge's answer after retries; a failure that is an outcome (not a stop) as an error judgment."""
        try:
            judgment = await self.retry.call(
                self._attempt, request, tokens, on_retry=self._count_retry, on_failure=self._attempt_failed, sleep=self.clock.sleep
            )
        except JudgeAuditError:
            raise
        except Exception as exc:  # a transport or API failure is an outcome, not a crash
            failure = classify(exc)
            self.book.counts.failed += 1
            if failure.kind not in PER_REQUEST:
                self.failed_in_a_row += 1
            return Judgment(verdict="error", error=failure.error)
        self.guard.answered = True
        self.failed_in_a_row = 0
        return judgment

    async def _attempt(self, request: JudgeRequest, tokens: int) -> Judgment:
        async with self.gate:
            charged = await self.limiter.acquire(tokens)
            if self.halt is not None:  # the run is stopping: launch nothing more
                raise self.halt
            judgment = await self.judge.judge(request)
            if used := judgment.prompt_tokens + judgment.completion_tokens:
                self.limiter.settle(charged, used)
            self.gate.answered()
        return judgment

    def _count_retry(self) -> None:
        self.book.counts.retries += 1

    def _attempt_failed(self, exc: BaseException) -> None:
        if self.halt is not None:  # the run is stopping: no more retries
            raise self.halt
        self.guard.attempt_failed(exc)
        failure = classify(exc)
        if failure.fatal:
            raise JudgeAuditError(failure.stop_message(self.judge.identity))
        if failure.kind in CONGESTION:
            self.gate.congested()
        if failure.retry_after_s:
            self.limiter.pause(failure.retry_after_s)
