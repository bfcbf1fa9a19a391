"""The engine: retry classification and backoff, fatal errors, unreachable judges."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from judgeaudit.engine import Journal, RetryPolicy, execute, is_retryable, unanswered_reason
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.judges.openai_compat import OpenAICompatJudge
from judgeaudit.prompts import PAIRWISE_VERDICT
from judgeaudit.schema import JudgeRequest, Judgment


class HTTPError(Exception):
    """Shaped like the SDKs' status errors: a status code and a response with headers."""

    def __init__(self, status_code: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.response = type("Response", (), {"headers": {"retry-after": retry_after} if retry_after else {}})()


class APIConnectionError(Exception):
    """Named like openai's connection error (no status code)."""


class ScriptedJudge(Judge):
    """Raises the scripted errors in turn (None answers), then ``always`` or answers "A"; records every call."""

    backend = "fake"
    model = "scripted"
    template = PAIRWISE_VERDICT
    params: dict[str, Any] = {}
    max_concurrency = None

    def __init__(self, errors: list[BaseException | None] | None = None, always: BaseException | None = None) -> None:
        self.errors = list(errors or [])
        self.always = always
        self.calls: list[str] = []

    async def judge(self, request: JudgeRequest) -> Judgment:
        self.calls.append(request.messages[0]["content"])
        error = self.errors.pop(0) if self.errors else self.always
        if error is not None:
            raise error
        return Judgment(verdict="A", raw="[[A]]")

    def describe(self) -> dict[str, Any]:
        return {}


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


def test_failing_judge_stops_after_consecutive_failures(tmp_path: Path) -> None:
    judge = ScriptedJudge(errors=[None], always=HTTPError(500))  # answers once, then fails for good
    with pytest.raises(JudgeAuditError, match="5 judge calls in a row failed"):
        run(judge, tmp_path, n=50, retry=RetryPolicy(max_retries=0), max_consecutive_failures=5)
    assert len(judge.calls) < 50


def sdk_error(*chain: BaseException) -> BaseException:
    """``chain[0]`` raised from ``chain[1]``, raised from ``chain[2]``...: how the SDKs wrap socket errors."""
    for outer, inner in zip(chain, chain[1:], strict=False):
        outer.__cause__ = inner
    return chain[0]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (sdk_error(APIConnectionError("Connection error."), ConnectionRefusedError(111, "refused")),
         "connection refused"),
        (sdk_error(APIConnectionError("Connection error."), OSError("x"), socket.gaierror(-2, "unknown name")),
         "name resolution failed"),
        (ConnectionResetError(104, "reset"), "connection reset"),
        (TimeoutError(), "timed out"),
        (APIConnectionError("Connection error."), "Connection error."),
        (HTTPError(500), None),
        (HTTPError(401), None),
        (ValueError("bad"), None),
    ],
)
def test_unanswered_reason_reads_the_wrapped_chain(exc: BaseException, expected: str | None) -> None:
    assert unanswered_reason(exc) == expected


def test_unreachable_judge_stops_within_seconds_with_production_backoff(tmp_path: Path) -> None:
    judge = ScriptedJudge(always=APIConnectionError("connection refused"))
    started = time.perf_counter()
    with pytest.raises(JudgeAuditError, match=r"cannot reach the judge fake:scripted .*\(3 attempts, no answer yet\)"):
        run(judge, tmp_path, n=1, retry=RetryPolicy())  # one worker: every attempt waits out its backoff
    assert time.perf_counter() - started < 2.0
    assert len(judge.calls) == 3


def test_closed_port_stops_within_seconds(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api_base = f"http://127.0.0.1:{port}/v1"

    async def audit() -> None:
        judge = OpenAICompatJudge("gpt-x", api_base=api_base)
        request = JudgeRequest("openai", "gpt-x", ({"role": "user", "content": "q"},), judge.params, "t")
        try:
            await execute({request.key: request}, judge, Journal(tmp_path / "j.jsonl"), None, 4, RetryPolicy())
        finally:
            await judge.aclose()

    started = time.perf_counter()
    with pytest.raises(JudgeAuditError) as caught:
        asyncio.run(audit())
    elapsed = time.perf_counter() - started
    message = str(caught.value)
    assert message.startswith(f"cannot reach the judge openai:gpt-x at {api_base}: connection refused (3 attempts")
    assert "\n" not in message and elapsed < 5.0, elapsed


def test_transient_connection_errors_after_an_answer_are_retried(tmp_path: Path) -> None:
    judge = ScriptedJudge(errors=[None] + [APIConnectionError("reset")] * 6)
    answers, counts = run(judge, tmp_path, n=5)
    assert counts.retries == 6 and counts.failed == 0
    assert {j.verdict for j in answers.values()} == {"A"} and len(answers) == 5


def test_timeouts_before_any_answer_stop_the_run(tmp_path: Path) -> None:
    judge = ScriptedJudge(always=TimeoutError())
    expected = "^cannot reach the judge fake:scripted at its default endpoint: timed out"
    with pytest.raises(JudgeAuditError, match=expected):
        run(judge, tmp_path, n=5)
    assert len(judge.calls) <= 4  # the first attempt of each worker, no retries
