"""Execute a run's requests: journal (resume) -> cache -> judge, concurrently, with retries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from collections.abc import Callable, Mapping

from judgeaudit.engine.cache import ResponseCache
from judgeaudit.engine.journal import Journal
from judgeaudit.engine.retry import RetryPolicy, unanswered_reason
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.schema import Judgment, JudgeRequest

# Errors that no retry or other request will fix: stop the run (what is done stays in the journal).
_FATAL_STATUS = {401, 403, 404}
# This many calls failing in a row (each after its retries) means the judge is unreachable: stop.
MAX_CONSECUTIVE_FAILURES = 20
# This many attempts (across workers, retries included) getting no answer, before any call succeeded: stop.
MAX_UNANSWERED_ATTEMPTS = 3


@dataclass
class EngineCounts:
    """What this invocation did: answers taken from the journal or cache, and calls made."""

    resumed: int = 0
    cache_hits: int = 0
    calls: int = 0
    retries: int = 0
    failed: int = 0
    failed_in_a_row: int = 0


def _fatal(exc: BaseException, judge: Judge) -> JudgeAuditError | None:
    status = getattr(exc, "status_code", None)
    if status in _FATAL_STATUS:
        return JudgeAuditError(f"judge {judge.backend}:{judge.model} refused the request (HTTP {status}): {exc}")
    return None


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


async def execute(
    requests: Mapping[str, JudgeRequest],
    judge: Judge,
    journal: Journal,
    cache: ResponseCache | None,
    concurrency: int,
    retry: RetryPolicy,
    on_answer: Callable[[Judgment], None] | None = None,
    max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
    max_unanswered_attempts: int = MAX_UNANSWERED_ATTEMPTS,
) -> tuple[dict[str, Judgment], EngineCounts]:
    """Answer every request once, recording each answer in the journal as it arrives.

    Answers already in the journal are reused (resume); cache hits cost no call. Calls that still fail
    after retries come back as ``verdict="error"`` judgments and are asked again on the next resume;
    ``max_consecutive_failures`` of them in a row stop the run instead of grinding through the rest.
    Before any call has succeeded, ``max_unanswered_attempts`` attempts that could not reach the judge
    (refused, unresolved, reset, timed out) stop it at once: the endpoint is most likely wrong or down.
    """
    counts = EngineCounts()
    answers: dict[str, Judgment] = {}
    recorded = journal.load()
    pending: list[tuple[str, JudgeRequest]] = []
    for key, request in requests.items():
        if key in recorded:
            answers[key] = recorded[key]
            counts.resumed += 1
        elif cache is not None and (hit := cache.get(key)) is not None:
            answers[key] = hit
            journal.append(key, hit)
            counts.cache_hits += 1
        else:
            pending.append((key, request))
        if key in answers and on_answer is not None:
            on_answer(answers[key])

    queue = iter(pending)

    def count_retry() -> None:
        counts.retries += 1

    guard = _ReachGuard(judge, max_unanswered_attempts)

    async def worker() -> None:
        for key, request in queue:
            try:
                judgment = await retry.call(
                    judge.judge, request, on_retry=count_retry, on_failure=guard.attempt_failed
                )
            except JudgeAuditError:
                raise
            except Exception as exc:  # a transport or API failure is an outcome, not a crash
                fatal = _fatal(exc, judge)
                if fatal is not None:
                    raise fatal from None
                judgment = Judgment(verdict="error", error=f"{type(exc).__name__}: {exc}"[:500])
                counts.failed += 1
                counts.failed_in_a_row += 1
            else:
                guard.answered = True
                counts.failed_in_a_row = 0
            counts.calls += 1
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

    limit = min(concurrency, judge.max_concurrency or concurrency, max(1, len(pending)))
    tasks = [asyncio.create_task(worker()) for _ in range(limit)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        journal.close()
    return answers, counts
