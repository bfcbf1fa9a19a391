"""Rate limits and adaptive concurrency, on a fake clock: waits are exact and nothing really waits."""

from __future__ import annotations

import asyncio

import pytest

from judgeaudit.engine.limiter import (
    ANSWER_TOKENS,
    AdaptiveConcurrency,
    LimiterRegistry,
    RateLimiter,
    estimated_tokens,
)
from judgeaudit.judges.endpoint import scope_key
from judgeaudit.schema import JudgeRequest


class FakeClock:
    """Time that passes only when something sleeps; a sleeper wakes no earlier than it asked."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        target = self.t + seconds
        await asyncio.sleep(0)
        self.t = max(self.t, target)


def waited(limiter: RateLimiter, tokens: int = 0) -> float:
    """Seconds of fake time one acquire took."""
    started = limiter.clock.now()
    asyncio.run(limiter.acquire(tokens))
    return limiter.clock.now() - started


def test_rpm_61st_request_waits_one_second() -> None:
    limiter = RateLimiter(rpm=60, tpm=None, clock=FakeClock())
    assert [waited(limiter) for _ in range(60)] == [0.0] * 60
    assert waited(limiter) == pytest.approx(1.0)
    assert waited(limiter) == pytest.approx(1.0)  # then one per second


def test_rpm_refills_continuously() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=60, tpm=None, clock=clock)
    for _ in range(60):
        waited(limiter)
    clock.t += 30  # half a minute refills half the bucket
    assert [waited(limiter) for _ in range(30)] == [0.0] * 30
    assert waited(limiter) == pytest.approx(1.0)


def test_tpm_waits_for_the_tokens_missing() -> None:
    limiter = RateLimiter(rpm=None, tpm=1000, clock=FakeClock())
    assert waited(limiter, 600) == 0.0
    assert waited(limiter, 600) == pytest.approx(200 / (1000 / 60))  # 200 tokens short: 12 s


def test_usage_correction_refunds_and_charges() -> None:
    limiter = RateLimiter(rpm=None, tpm=1000, clock=FakeClock())
    charged = asyncio.run(limiter.acquire(1000))
    limiter.settle(charged, used=100)  # the answer used far less than estimated: 900 come back
    assert waited(limiter, 900) == 0.0
    limiter = RateLimiter(rpm=None, tpm=1000, clock=FakeClock())
    charged = asyncio.run(limiter.acquire(100))
    limiter.settle(charged, used=700)  # it used more: the next request pays the difference
    assert waited(limiter, 400) == pytest.approx(100 / (1000 / 60))


def test_oversize_request_goes_once_the_bucket_is_full() -> None:
    limiter = RateLimiter(rpm=None, tpm=1000, clock=FakeClock())
    assert waited(limiter, 5000) == 0.0  # full bucket: through at once, charged one bucket
    assert waited(limiter, 5000) == pytest.approx(60.0)  # waits for a full bucket again, never forever
    assert waited(limiter, 500) == pytest.approx(30.0)


def test_pause_holds_the_whole_scope() -> None:
    limiter = RateLimiter(rpm=600, tpm=None, clock=FakeClock())
    limiter.pause(7.5)
    assert waited(limiter) == pytest.approx(7.5)
    assert waited(limiter) == 0.0


def test_concurrent_waiters_are_spaced_by_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=60, tpm=None, clock=clock)
    released: list[float] = []

    async def go() -> None:
        await limiter.acquire()
        released.append(clock.now())

    async def many() -> None:
        await asyncio.gather(*(go() for _ in range(63)))

    asyncio.run(many())
    assert sorted(released)[-3:] == pytest.approx([1.0, 2.0, 3.0])


def test_registry_shares_one_bucket_per_scope_and_keeps_no_key() -> None:
    registry = LimiterRegistry(FakeClock())
    scope = scope_key("openai", "gpt-x", "https://api.example/v1", "sk-secret")
    assert "sk-secret" not in scope
    assert scope != scope_key("openai", "gpt-x", "https://api.example/v1", "sk-other")
    first, second = registry.get(scope, rpm=2), registry.get(scope, rpm=2)
    assert first is second
    other_model = registry.get(scope_key("openai", "gpt-y", "https://api.example/v1", "sk-secret"), rpm=2)
    assert waited(first) == 0.0 and waited(second) == 0.0
    assert waited(other_model) == 0.0  # another model: its own bucket
    assert waited(second) == pytest.approx(30.0)  # the two engines drained one bucket of 2 per minute


def test_estimate_is_prompt_plus_max_tokens() -> None:
    messages = ({"role": "user", "content": "x" * 400},)
    assert estimated_tokens(JudgeRequest("openai", "m", messages, {"max_tokens": 16}, "t")) == (100, 16)
    assert estimated_tokens(JudgeRequest("openai", "m", messages, {}, "t")) == (100, ANSWER_TOKENS)


def test_aimd_halves_once_per_window_grows_back_never_below_one() -> None:
    clock = FakeClock()
    changes: list[int] = []

    async def scenario() -> AdaptiveConcurrency:
        gate = AdaptiveConcurrency(16, clock, cooldown_s=5.0, grow_after=3, on_change=changes.append)
        for _ in range(10):  # one wave of 429s
            gate.congested()
        assert gate.limit == 8
        clock.t += 5
        gate.congested()
        assert gate.limit == 4
        for _ in range(5):
            clock.t += 5
            gate.congested()
        assert gate.limit == 1  # never below one
        for _ in range(3 * 20):
            gate.answered()
        assert gate.limit == 16  # grown back by one per 3 clean answers, up to the ceiling
        return gate

    asyncio.run(scenario())
    assert changes[:4] == [8, 4, 2, 1] and changes[4:] == list(range(2, 17))


def test_aimd_caps_the_calls_in_flight() -> None:
    clock = FakeClock()
    peak = 0

    async def scenario() -> None:
        gate = AdaptiveConcurrency(8, clock)
        gate.congested()

        async def call() -> None:
            nonlocal peak
            async with gate:
                peak = max(peak, gate.in_flight)
                await asyncio.sleep(0)

        await asyncio.gather(*(call() for _ in range(20)))

    asyncio.run(scenario())
    assert peak == 4
