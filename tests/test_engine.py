"""The engine: retry classification and backoff, fatal errors, unreachable judges."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from judgeaudit.engine import Journal, RetryPolicy, execute, is_retryable
from judgeaudit.errors import JudgeAuditError
from judgeaudit.prompts import PAIRWISE_VERDICT
from judgeaudit.schema import Judgment, JudgeRequest


class HTTPError(Exception):
    """Shaped like the SDKs' status errors: a status code and a response with headers."""

    def __init__(self, status_code: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.response = type("Response", (), {"headers": {"retry-after": retry_after} if retry_after else {}})()


class APIConnectionError(Exception):
    """Named like openai's connection error (no status code)."""


class ScriptedJudge:
    """Raises the scripted errors in turn, then answers "A"; records every call."""

    backend = "fake"
    model = "scripted"
    template = PAIRWISE_VERDICT
    params: dict[str, Any] = {}
    max_concurrency = None

    def __init__(self, errors: list[BaseException] | None = None, always: BaseException | None = None) -> None:
        self.errors = list(errors or [])
        self.always = always
        self.calls: list[str] = []

    async def judge(self, request: JudgeRequest) -> Judgment:
        self.calls.append(request.messages[0]["content"])
        if self.always is not None:
            raise self.always
        if self.errors:
            raise self.errors.pop(0)
        return Judgment(verdict="A", raw="[[A]]")

    def describe(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        return None


def requests(n: int) -> dict[str, JudgeRequest]:
    built = [
        JudgeRequest("fake", "scripted", ({"role": "user", "content": f"q{i}"},), {}, "t") for i in range(n)
    ]
    return {r.key: r for r in built}


FAST = RetryPolicy(max_retries=3, base_delay_s=0.001, max_delay_s=0.01)


def run(judge: ScriptedJudge, tmp_path: Path, n: int = 3, retry: RetryPolicy = FAST, **kwargs: Any):
    return asyncio.run(execute(requests(n), judge, Journal(tmp_path / "j.jsonl"), None, 4, retry, **kwargs))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (HTTPError(429), True),
        (HTTPError(500), True),
        (HTTPError(503), True),
        (HTTPError(408), True),
        (HTTPError(400), False),
        (HTTPError(401), False),
        (APIConnectionError("reset"), True),
        (TimeoutError(), True),
        (ValueError("bad"), False),
    ],
)
def test_retryable_classification(exc: BaseException, expected: bool) -> None:
    assert is_retryable(exc) is expected


def test_transient_errors_are_retried_and_counted(tmp_path: Path) -> None:
    judge = ScriptedJudge(errors=[HTTPError(429), HTTPError(502), APIConnectionError("reset")])
    answers, counts = run(judge, tmp_path, n=1)
    assert counts.retries == 3 and counts.failed == 0
    assert [j.verdict for j in answers.values()] == ["A"]


def test_retries_run_out_into_a_counted_failure(tmp_path: Path) -> None:
    judge = ScriptedJudge(errors=[HTTPError(500)] * 4)
    answers, counts = run(judge, tmp_path, n=1)
    (judgment,) = answers.values()
    assert judgment.verdict == "error" and "HTTP 500" in judgment.error
    assert counts.failed == 1 and len(judge.calls) == 4
    assert Journal(tmp_path / "j.jsonl").load() == {}  # failures are asked again on resume


def test_retry_after_header_is_honoured(tmp_path: Path) -> None:
    judge = ScriptedJudge(errors=[HTTPError(429, retry_after="0.3")])
    started = time.perf_counter()
    run(judge, tmp_path, n=1, retry=RetryPolicy(max_retries=2, base_delay_s=0.001, max_delay_s=5))
    assert time.perf_counter() - started >= 0.3


def test_authentication_error_stops_the_run(tmp_path: Path) -> None:
    judge = ScriptedJudge(always=HTTPError(401))
    with pytest.raises(JudgeAuditError, match=r"refused the request \(HTTP 401\)"):
        run(judge, tmp_path, n=5)
    assert len(judge.calls) <= 4  # no retries, and the other workers stop


def test_unreachable_judge_stops_after_consecutive_failures(tmp_path: Path) -> None:
    judge = ScriptedJudge(always=APIConnectionError("connection refused"))
    with pytest.raises(JudgeAuditError, match="5 judge calls in a row failed"):
        run(judge, tmp_path, n=50, retry=RetryPolicy(max_retries=0), max_consecutive_failures=5)
    assert len(judge.calls) < 50

