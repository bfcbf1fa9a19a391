"""Retries with exponential backoff and full jitter on 429, 5xx, timeouts and dropped connections; which
failures got no answer from the server at all."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, TypeVar
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential

T = TypeVar("T")

_RETRYABLE_STATUS = {408, 409, 425, 429}
_RETRYABLE_NAMES = {
    "APITimeoutError",
    "APIConnectionError",
    "Timeout",
    "TimeoutError",
    "ConnectionError",
    "ServiceUnavailableError",
    "InternalServerError",
    "RateLimitError",
}


def is_retryable(exc: BaseException) -> bool:
    """True for transient failures: rate limits, server errors, timeouts, connection drops."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in _RETRYABLE_STATUS or status >= 500
    return any(cls.__name__ in _RETRYABLE_NAMES for cls in type(exc).__mro__)


# Failures of a request that never got an answer from the server: SDK wrappers and the socket errors below.
_UNANSWERED_NAMES = {"APIConnectionError", "ClientConnectionError", "TransportError", "OSError"}
_UNANSWERED_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (socket.gaierror, "name resolution failed"),
    (ConnectionResetError, "connection reset"),
    (TimeoutError, "timed out"),
)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the errors it wraps (``__cause__``, else ``__context__``), outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def unanswered_reason(exc: BaseException) -> str | None:
    """Why a call got no answer at all ("connection refused", "timed out", ...); None if the server answered.

    SDKs wrap the socket error, so the whole chain of wrapped errors is read, innermost reason first.
    """
    chain = _chain(exc)
    if not any(cls.__name__ in _UNANSWERED_NAMES for error in chain for cls in type(error).__mro__):
        return None
    for error in reversed(chain):
        for kind, reason in _UNANSWERED_REASONS:
            if isinstance(error, kind):
                return reason
    return str(chain[-1]) or type(chain[-1]).__name__


def _retry_after_s(exc: BaseException | None) -> float:
    """The server's Retry-After header in seconds, when it sent one."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return 0.0
    try:
        return max(0.0, float(headers.get("retry-after", 0) or 0))
    except (TypeError, ValueError):
        return 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """How failed calls are retried. Not part of any cache key: it never changes an answer."""

    max_retries: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    async def call(
        self,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        on_retry: Callable[[], Any] | None = None,
        on_failure: Callable[[BaseException], Any] | None = None,
    ) -> T:
        """Await ``fn(*args)`` until it succeeds, a non-retryable error occurs, or retries run out.

        ``on_failure`` hears of every failed attempt, retried or not; to abort, it raises a non-retryable
        error, which propagates at once.
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
            return min(self.max_delay_s, max(jitter(state), _retry_after_s(exc)))

        def before_sleep(_: RetryCallState) -> None:
            if on_retry is not None:
                on_retry()

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=wait,
            retry=retry_if_exception(is_retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        return await retrying(attempt, *args)
