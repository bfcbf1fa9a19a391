"""Retries of transient failures (``failures.classify``): a server's Retry-After in full, else exponential
backoff with full jitter, capped. ``is_retryable`` and ``unanswered_reason`` are re-exported from
``failures``, where they live."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential

from judgeaudit.engine.failures import classify, is_retryable, unanswered_reason

__all__ = ["RetryPolicy", "is_retryable", "unanswered_reason"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How failed calls are retried. Not part of any cache key: it never changes an answer."""

    max_retries: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    """The cap of the backoff; a server's Retry-After is waited in full, however long."""

    async def call(
        self,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        on_retry: Callable[[], Any] | None = None,
        on_failure: Callable[[BaseException], Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> T:
        """Await ``fn(*args)`` until it succeeds, a non-retryable error occurs, or retries run out.

        ``on_failure`` hears of every failed attempt, retried or not; to abort, it raises a non-retryable
        error, which propagates at once. ``sleep`` waits between attempts (a fake clock's in tests).
        """

        async def attempt(*call_args: Any) -> T:
            try:
                return await fn(*call_args)
            except Exception as exc:
                if on_failure is not None:
                    on_failure(exc)
                raise

        jitter = wait_random_exponential(multiplier=self.base_delay_s, max=self.max_delay_s)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = classify(exc).retry_after_s if exc is not None else None
            return asked if asked is not None else jitter(state)

        def before_sleep(_: RetryCallState) -> None:
            if on_retry is not None:
                on_retry()

        retrying = AsyncRetrying(
            sleep=sleep,
            stop=stop_after_attempt(self.max_retries + 1),
            wait=wait,
            retry=retry_if_exception(is_retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        return await retrying(attempt, *args)
