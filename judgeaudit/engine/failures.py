"""What a failed judge call means: its kind, whether to retry it, whether it ends the run.

``classify(exc)`` reads the openai and anthropic SDKs' errors (``status_code``, ``body``,
``response.headers``), litellm's (which subclass openai's, plus their class names), and bare
asyncio/aiohttp/socket timeouts and connection errors. The kinds:

============== ========= ===== ==========================================================================
kind           retryable fatal what
============== ========= ===== ==========================================================================
rate_limit     yes       no    HTTP 429 (a congestion signal: the engine halves its concurrency)
overloaded     yes       no    Anthropic 529 / ``overloaded_error`` (congestion, as a 429)
server_error   yes       no    other 5xx
timeout        yes       no    no answer in time (SDK, asyncio or aiohttp timeout, HTTP 408)
connection     yes       no    connection refused, reset, unresolved
auth           no        yes   401 / 403: the key is wrong or lacks access
quota          no        yes   the account is out of credit: OpenAI 429 ``insufficient_quota``, 402,
                               or a billing message
not_found      no        yes   404: no such model (or endpoint)
context_length no        no    the prompt is longer than the model takes (recorded for that request)
bad_request    no        no    400 / 413 / 422: the server refused this request (recorded for it)
conflict       yes       no    409 / 425: try again
other          no        no    anything else (an unexpected error: recorded, with its type)
============== ========= ===== ==========================================================================

A recorded failure becomes ``Judgment(verdict="error", error=failure.error)``, ``"<kind>: <message>"``.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

Kind = Literal[
    "rate_limit", "overloaded", "server_error", "timeout", "connection", "conflict",
    "auth", "quota", "not_found", "context_length", "bad_request", "other",
]
CONGESTION: frozenset[Kind] = frozenset({"rate_limit", "overloaded"})
"""Kinds that tell the engine to slow down."""
PER_REQUEST: frozenset[Kind] = frozenset({"bad_request", "context_length"})
"""Kinds that concern one request, not the judge: recorded, and no sign that the judge is unreachable."""

_RULES: dict[Kind, tuple[bool, bool]] = {  # kind: (retryable, fatal)
    "rate_limit": (True, False),
    "overloaded": (True, False),
    "server_error": (True, False),
    "timeout": (True, False),
    "connection": (True, False),
    "conflict": (True, False),
    "auth": (False, True),
    "quota": (False, True),
    "not_found": (False, True),
    "context_length": (False, False),
    "bad_request": (False, False),
    "other": (False, False),
}
_FATAL_HINTS = {
    "auth": "check the API key and its access to this model",
    "quota": "check the account's plan, credit and billing",
    "not_found": "check the model name and --api-base",
}
_STATUS_KINDS: dict[int, Kind] = {
    400: "bad_request", 401: "auth", 402: "quota", 403: "auth", 404: "not_found", 408: "timeout",
    409: "conflict", 413: "bad_request", 422: "bad_request", 425: "conflict", 429: "rate_limit", 529: "overloaded",
}
_CONTEXT_MARKS = ("context_length_exceeded", "maximum context length", "context length", "prompt is too long", "context window")
_QUOTA_MARKS = ("insufficient_quota", "exceeded your current quota", "billing", "credit balance")
_TIMEOUT_NAMES = {"APITimeoutError", "Timeout", "TimeoutException", "ServerTimeoutError"}
_CONNECTION_NAMES = {"APIConnectionError", "ClientConnectionError", "ConnectError", "TransportError"}
_NAMED_KINDS: dict[str, Kind] = {  # litellm's and the SDKs' class names, for errors that carry no status code
    "RateLimitError": "rate_limit",
    "OverloadedError": "overloaded",
    "InternalServerError": "server_error",
    "ServiceUnavailableError": "server_error",
}
_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Failure:
    """One failed call, classified."""

    kind: Kind
    retryable: bool
    fatal: bool
    retry_after_s: float | None = None
    """How long the server asked to wait (Retry-After, retry-after-ms), when it said so."""
    status: int | None = None
    message: str = ""

    @property
    def error(self) -> str:
        """The ``Judgment.error`` text: the kind first, so reports can count failures by reason."""
        return f"{self.kind}: {self.message}"

    def stop_message(self, judge: str) -> str:
        """The one line that ends a run on a fatal failure of ``judge`` ("backend:model")."""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        hint = f"; {_FATAL_HINTS[self.kind]}" if self.kind in _FATAL_HINTS else ""
        return (
            f"judge {judge} refused the request{status}: {self.error}{hint}. "
            "Answers so far are kept: rerun the same command to resume"
        )


def classify(exc: BaseException) -> Failure:
    """What ``exc``, raised by a judge call, means for the run."""
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    message = _message(exc)
    kind = _kind(exc, status, message)
    retryable, fatal = _RULES[kind]
    if kind == "other":
        message = f"{type(exc).__name__}: {message}"[:_MESSAGE_CHARS]
    return Failure(kind, retryable, fatal, _retry_after_s(exc) if retryable else None, status, message)


def _kind(exc: BaseException, status: int | None, message: str) -> Kind:
    names = {cls.__name__ for cls in type(exc).__mro__}
    marks = " ".join(str(part) for part in (_body_field(exc, "type"), _body_field(exc, "code"), message)).lower()
    if "ContextWindowExceededError" in names or (status in (400, 413, 422) and _has(marks, _CONTEXT_MARKS)):
        return "context_length"
    if status in (400, 402, 403, 429) and _has(marks, _QUOTA_MARKS):
        return "quota"
    if "overloaded" in marks and status is not None and (status >= 500 or status == 429):
        return "overloaded"
    if isinstance(exc, TimeoutError) or names & _TIMEOUT_NAMES:
        return "timeout"
    if isinstance(exc, (ConnectionError, socket.gaierror)) or names & _CONNECTION_NAMES:
        return "connection"
    if status is not None:
        return _STATUS_KINDS.get(status, "server_error" if status >= 500 else "other")
    return next((kind for name, kind in _NAMED_KINDS.items() if name in names), "other")


def is_retryable(exc: BaseException) -> bool:
    """True for transient failures: rate limits, overload, server errors, timeouts, connection drops."""
    return classify(exc).retryable


def _has(text: str, marks: tuple[str, ...]) -> bool:
    return any(mark in text for mark in marks)


def _body_field(exc: BaseException, name: str) -> Any:
    """``name`` from the error body: openai gives the inner ``error`` object, anthropic the whole body."""
    body = getattr(exc, "body", None)
    if not isinstance(body, dict):
        return None
    inner = body.get("error")
    if isinstance(inner, dict) and name in inner:
        return inner[name]
    return body.get(name)


def _message(exc: BaseException) -> str:
    """The server's own error message when the body has one, else the exception's text; one line."""
    text = _body_field(exc, "message")
    text = text if isinstance(text, str) and text else str(exc) or type(exc).__name__
    return " ".join(text.split())[:_MESSAGE_CHARS]


def _header(exc: BaseException, name: str) -> str | None:
    """A response header (case-insensitive), from ``exc.response.headers`` or litellm's ``exc.headers``."""
    for headers in (getattr(getattr(exc, "response", None), "headers", None), getattr(exc, "headers", None)):
        if not headers:
            continue
        value = headers.get(name)
        if value is None:
            value = next((v for k, v in headers.items() if str(k).lower() == name), None)
        if value is not None:
            return str(value)
    return None


def _retry_after_s(exc: BaseException) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP date).

    OpenAI's ``x-ratelimit-reset-*`` headers are not read: they give the time until the limit is whole
    again, not until the next request is allowed, so waiting for them would over-wait; backoff covers them.
    """
    millis = _header(exc, "retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = _header(exc, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


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
