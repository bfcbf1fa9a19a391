"""How fast calls go out: token buckets for requests and tokens per minute, shared per API scope, and
an adaptive (AIMD) cap on the calls in flight.

API
- ``RateLimiter(rpm, tpm, clock)``: ``await acquire(tokens) -> charged`` waits exactly until one request
  and ``tokens`` tokens are available; ``settle(charged, used)`` corrects the charge with the real usage
  (refund or extra charge); ``pause(seconds)`` stops the whole scope (a server's Retry-After).
- ``LIMITERS.get(scope, rpm, tpm)``: the process-wide limiter of a scope, so that engines calling the same
  model with the same key share one bucket; a judge names its scope (``Judge.rate_scope``:
  ``backend|endpoint|sha256(key)[:12]|model``, the key itself never kept).
- ``estimated_tokens(request)``: the (prompt, answer) tokens a request is charged before it is sent.
- ``AdaptiveConcurrency(ceiling, clock)``: ``async with`` it around a call; ``congested()`` on a 429 or
  an overload halves the cap (once per ``cooldown_s``), ``answered()`` grows it back by one after
  ``grow_after`` clean answers in a row, up to ``ceiling``; ``limit`` is the current cap.

Each bucket holds one minute's allowance and refills continuously (rpm / 60 per second), starting full.
A request is charged when it asks (the level may go below zero) and waits until the debt is repaid, so
waiters are served in order and nothing needs a lock. A request estimated at more tokens than the
whole per-minute allowance is charged one full bucket: it goes as soon as the bucket is full, never
deadlocks, and its correction is capped the same way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Protocol

from judgeaudit.pricing import prompt_tokens
from judgeaudit.schema import JudgeRequest

ANSWER_TOKENS = 1024
"""The answer tokens charged before a call when the request sets no ``max_tokens``."""
COOLDOWN_S = 5.0
"""AIMD: congestion signals within this many seconds of a cut count as the same wave."""
GROW_AFTER = 10
"""AIMD: clean answers in a row before the concurrency cap grows by one."""


class Clock(Protocol):
    """Time as the limiter sees it: injectable, so tests run on a fake clock without waiting."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The monotonic clock and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def estimated_tokens(request: JudgeRequest) -> tuple[int, int]:
    """The request's (prompt, answer) tokens before it is sent: ``pricing.prompt_tokens`` and its
    ``max_tokens`` (what OpenAI itself counts against the limit), else ``ANSWER_TOKENS``."""
    answer = request.params.get("max_tokens")
    return prompt_tokens(request), int(answer) if isinstance(answer, int) and answer > 0 else ANSWER_TOKENS


class _Bucket:
    """One minute's allowance, refilled continuously; the level goes negative while requests wait."""

    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def charge(self, amount: float, now: float) -> float:
        """Take ``amount`` (at most one full bucket); the seconds until it is covered."""
        self._refill(now)
        self.level -= min(amount, self.capacity)
        return max(0.0, -self.level / self.rate)

    def refund(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level = min(self.capacity, self.level + amount)


class RateLimiter:
    """Requests and tokens per minute for one scope (``None``: no limit), and a pause for the whole scope."""

    def __init__(self, rpm: float | None, tpm: float | None, clock: Clock) -> None:
        self.clock = clock
        self.paused_until = -math.inf
        self.rpm: float | None = None
        self.tpm: float | None = None
        self._requests: _Bucket | None = None
        self._tokens: _Bucket | None = None
        self.configure(rpm, tpm)

    def configure(self, rpm: float | None, tpm: float | None) -> None:
        """Set the limits (a bucket whose limit changes starts full)."""
        now = self.clock.now()
        if rpm != self.rpm:
            self.rpm, self._requests = rpm, _Bucket(rpm, now) if rpm else None
        if tpm != self.tpm:
            self.tpm, self._tokens = tpm, _Bucket(tpm, now) if tpm else None

    async def acquire(self, tokens: int = 0) -> int:
        """Wait until one request and ``tokens`` tokens may go (and no pause holds); the tokens charged."""
        now = self.clock.now()
        charged = int(min(tokens, self._tokens.capacity)) if self._tokens else 0
        waits = [0.0]
        if self._requests:
            waits.append(self._requests.charge(1, now))
        if self._tokens:
            waits.append(self._tokens.charge(charged, now))
        ready = now + max(waits)
        try:
            while (delay := max(ready, self.paused_until) - self.clock.now()) > 0:
                await self.clock.sleep(delay)
        except asyncio.CancelledError:
            self._refund(1, charged)
            raise
        return charged

    def settle(self, charged: int, used: int) -> None:
        """Correct a charge of ``charged`` tokens with the ``used`` tokens the answer reports."""
        if self._tokens is None:
            return
        difference = min(used, self._tokens.capacity) - charged
        if difference > 0:
            self._tokens.charge(difference, self.clock.now())
        elif difference < 0:
            self._tokens.refund(-difference, self.clock.now())

    def pause(self, seconds: float) -> None:
        """Let no request of the scope go for ``seconds`` (a server's Retry-After)."""
        self.paused_until = max(self.paused_until, self.clock.now() + seconds)

    def _refund(self, requests: int, tokens: int) -> None:
        now = self.clock.now()
        if self._requests:
            self._requests.refund(requests, now)
        if self._tokens:
            self._tokens.refund(tokens, now)


class LimiterRegistry:
    """One limiter per scope, on one clock. The limits of a scope are those its last ``get`` gave."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._limiters: dict[str, RateLimiter] = {}

    def get(self, scope: str, rpm: float | None = None, tpm: float | None = None) -> RateLimiter:
        limiter = self._limiters.get(scope)
        if limiter is None:
            limiter = self._limiters[scope] = RateLimiter(rpm, tpm, self.clock)
        else:
            limiter.configure(rpm, tpm)
        return limiter


LIMITERS = LimiterRegistry()
"""The process-wide registry the engine uses unless given another."""


class AdaptiveConcurrency:
    """A cap on the calls in flight: halved on congestion, grown back by one after clean answers (AIMD)."""

    def __init__(
        self,
        ceiling: int,
        clock: Clock,
        cooldown_s: float = COOLDOWN_S,
        grow_after: int = GROW_AFTER,
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        self.ceiling = self.limit = max(1, ceiling)
        self.in_flight = 0
        self._clock = clock
        self._cooldown_s = cooldown_s
        self._grow_after = grow_after
        self._on_change = on_change
        self._clean = 0
        self._last_cut = -math.inf
        self._slots = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._slots:
            await self._slots.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def __aexit__(self, *exc: object) -> None:
        async with self._slots:
            self.in_flight -= 1
            self._slots.notify_all()

    def congested(self) -> None:
        """A 429 or an overload: halve the cap (down to 1), unless it was cut within the cooldown."""
        self._clean = 0
        now = self._clock.now()
        if now - self._last_cut < self._cooldown_s or self.limit == 1:
            return
        self._last_cut = now
        self._set(max(1, self.limit // 2))

    def answered(self) -> None:
        """A clean answer: after ``grow_after`` in a row the cap grows by one, up to the ceiling."""
        self._clean += 1
        if self._clean >= self._grow_after and self.limit < self.ceiling:
            self._clean = 0
            self._set(self.limit + 1)

    def _set(self, limit: int) -> None:
        self.limit = limit
        if self._on_change is not None:
            self._on_change(limit)
