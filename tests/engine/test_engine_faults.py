"""The engine against a loopback server that rate-limits, times out, refuses long prompts and runs out of
quota; and the cost cap. Backoff, Retry-After and rate waits run on a fake clock."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from judgeaudit.engine import Budget, BudgetReached, Journal, LimiterRegistry, ResponseCache, RetryPolicy, execute
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.openai_compat import OpenAICompatJudge
from judgeaudit.pricing import Prices
from judgeaudit.schema import JudgeRequest, Judgment
from tests.engine.test_limiter import FakeClock
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

PRICES = Prices(prompt=1e-6, completion=1e-5, known=True, source="test prices")
RETRY_AFTER_S = 7.0


def questions(n: int, judge: OpenAICompatJudge) -> dict[str, JudgeRequest]:
    built = [
        JudgeRequest("openai", judge.model, ({"role": "user", "content": f"question {i}: " + "words " * 60},), judge.params, "t")
        for i in range(n)
    ]
    return {r.key: r for r in built}


def digest(request: JudgeRequest) -> str:
    return hashlib.sha256(request.messages[-1]["content"].encode()).hexdigest()


def journal_keys(path: Path) -> list[str]:
    return [json.loads(line)["key"] for line in path.read_text().splitlines()]


def ask(server: MockJudgeServer, n: int, journal: Path, clock: FakeClock, concurrency: int = 8,
        timeout_s: float = 5.0, **options: Any) -> tuple[dict[str, JudgeRequest], tuple[dict[str, Judgment], Any]]:
    """Ask ``n`` questions of the mock through ``execute``; the requests and what ``execute`` returned."""

    async def run() -> tuple[dict[str, JudgeRequest], Any]:
        judge = OpenAICompatJudge("gpt-x", api_base=server.url, max_tokens=16, timeout_s=timeout_s, logprobs=False)
        requests = questions(n, judge)
        try:
            return requests, await execute(
                requests, judge, Journal(journal), options.pop("cache", None), concurrency,
                RetryPolicy(max_retries=4), limiters=LimiterRegistry(clock), **options,
            )
        finally:
            await judge.aclose()

    return asyncio.run(run())


def test_every_request_ends_answered_or_recorded_with_its_kind(tmp_path: Path) -> None:
    clock = FakeClock()
    behaviour = JudgeBehaviour(
        rate_limit_share=0.25, retry_after=f"{RETRY_AFTER_S:g}", context_share=0.15, fail_share=0.15,
        slow_share=0.1, slow_s=0.6, clock=clock.now,
    )
    limits: list[int] = []
    with MockJudgeServer(behaviour) as server:
        requests, (answers, counts) = ask(server, 40, tmp_path / "j.jsonl", clock, timeout_s=0.25, on_concurrency=limits.append)
    statuses = {status for _, status in server.faults}
    assert {429, 400, 500, 504} <= statuses  # every planted fault happened
    assert set(answers) == set(requests)
    keys = journal_keys(tmp_path / "j.jsonl")
    assert sorted(keys) == sorted(requests)  # each request journaled exactly once
    context = {d for d, status in server.faults if status == 400}
    for key, request in requests.items():
        if digest(request) in context:
            assert answers[key].verdict == "error"
            assert answers[key].error.startswith("context_length: This model's maximum context length is 8192 tokens")
            assert len(server.arrivals[digest(request)]) == 1  # recorded, never retried
        else:
            assert answers[key].ok, answers[key].error
    ok = [digest(r) for k, r in requests.items() if answers[k].ok]
    assert sorted(server.bodies) == sorted(ok)  # every answer the server gave was kept, once
    assert counts.calls == 40 and counts.failed == len(context)
    for question in {d for d, status in server.faults if status == 429}:
        first, retried = server.arrivals[question][:2]
        assert retried - first >= RETRY_AFTER_S  # Retry-After honoured in full
    assert limits[0] == 8 and min(limits) >= 1 and min(limits) < 8  # the 429s cut the calls in flight


def test_retry_after_pauses_the_whole_scope(tmp_path: Path) -> None:
    clock = FakeClock()
    behaviour = JudgeBehaviour(rate_limit_share=0.2, retry_after=f"{RETRY_AFTER_S:g}", clock=clock.now)
    with MockJudgeServer(behaviour) as server:
        _, (answers, _) = ask(server, 20, tmp_path / "j.jsonl", clock, concurrency=4)
    assert all(j.ok for j in answers.values())
    limited_at = {server.arrivals[d][0] for d, status in server.faults if status == 429}
    arrivals = [t for times in server.arrivals.values() for t in times]
    for t in limited_at:  # nothing of the scope went out while it was paused
        assert not [a for a in arrivals if t < a < t + RETRY_AFTER_S]


def test_quota_stops_the_run_with_one_line(tmp_path: Path) -> None:
    clock = FakeClock()
    with MockJudgeServer(JudgeBehaviour(quota_share=0.3, clock=clock.now)) as server:
        with pytest.raises(JudgeAuditError) as caught:
            ask(server, 20, tmp_path / "j.jsonl", clock, concurrency=2)
    message = str(caught.value)
    assert message.startswith("judge openai:gpt-x refused the request (HTTP 429): quota: You exceeded your current quota")
    assert "\n" not in message and not isinstance(caught.value, BudgetReached)
    quota = [d for d, status in server.faults if status == 429]
    assert len(quota) == 1 and len(server.arrivals[quota[0]]) == 1  # not retried, nothing after it launched
    assert len(journal_keys(tmp_path / "j.jsonl")) == server.answered  # what was answered is kept


def test_context_length_is_recorded_and_asked_again_on_resume(tmp_path: Path) -> None:
    clock = FakeClock()
    with MockJudgeServer(JudgeBehaviour(context_share=0.6, clock=clock.now)) as server:
        requests, (answers, counts) = ask(server, 30, tmp_path / "j.jsonl", clock, max_consecutive_failures=2)
        failed = {k for k, j in answers.items() if not j.ok}
        assert counts.failed == len(failed) > 2  # many failures in a row, yet the run went on
        assert all(answers[k].error.startswith("context_length: ") for k in failed)
        _, (again, counts) = ask(server, 30, tmp_path / "j.jsonl", clock, max_consecutive_failures=2)
    assert counts.resumed == 30 - len(failed) and counts.calls == len(failed)  # only the failures asked again
    assert {k for k, j in again.items() if not j.ok} == failed


def test_budget_stops_before_the_cap_and_a_rerun_continues(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = tmp_path / "j.jsonl"
    with MockJudgeServer(JudgeBehaviour(clock=clock.now)) as server:
        capped = Budget(max_usd=2e-3, prices=PRICES)
        with pytest.raises(BudgetReached) as caught:
            ask(server, 30, journal, clock, budget=capped)
        answered = len(journal_keys(journal))
        assert 0 < answered < 30 and server.answered == answered  # calls in flight finished and were journaled
        assert capped.spent <= capped.max_usd and capped.reserved == 0
        assert f"{30 - answered} calls left" in str(caught.value) and "larger --max-cost" in str(caught.value)
        costs = [Journal(journal).load()[k].cost_usd for k in journal_keys(journal)]
        assert all(c > 0 for c in costs) and sum(costs) == pytest.approx(capped.spent)

        larger = Budget(max_usd=1.0, prices=PRICES)
        _, (answers, counts) = ask(server, 30, journal, clock, budget=larger)
    assert len(answers) == 30 and all(j.ok for j in answers.values())
    assert server.answered == 30 and counts.resumed == answered and counts.calls == 30 - answered  # none repeated
    assert larger.earlier == pytest.approx(capped.spent)
    assert counts.cost_usd == pytest.approx(larger.spent) and counts.prompt_tokens > 0 and counts.completion_tokens > 0


def test_cache_hits_cost_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    cache = ResponseCache(tmp_path / "cache.sqlite")
    with MockJudgeServer(JudgeBehaviour(clock=clock.now)) as server:
        _, (_, first) = ask(server, 5, tmp_path / "a.jsonl", clock, cache=cache, budget=Budget(None, PRICES))
        _, (hits, second) = ask(server, 5, tmp_path / "b.jsonl", clock, cache=cache, budget=Budget(None, PRICES))
    cache.close()
    assert first.calls == 5 and first.cost_usd > 0
    assert second.cache_hits == 5 and second.calls == 0 and second.cost_usd == 0 and second.prompt_tokens == 0
    assert all(j.cached for j in hits.values())


def test_unknown_prices_with_a_cap_fail_before_any_call() -> None:
    with pytest.raises(JudgeAuditError, match="--max-cost needs the judge's token prices, but gpt-x is not in"):
        Budget(max_usd=1.0, prices=Prices(0.0, 0.0, False, "gpt-x is not in litellm's price table"))
    Budget(max_usd=None, prices=Prices(0.0, 0.0, False, "unknown"))  # no cap: prices are only recorded


def test_judges_on_one_key_and_model_share_a_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-one-secret")
    first, second, other_model = OpenAICompatJudge("gpt-x"), OpenAICompatJudge("gpt-x"), OpenAICompatJudge("gpt-y")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-two-secret")
    other_key = OpenAICompatJudge("gpt-x")
    scopes = [j.rate_scope() for j in (first, second, other_model, other_key)]
    assert scopes[0] == scopes[1] and len(set(scopes)) == 3
    assert not any("secret" in scope for scope in scopes)
    for judge in (first, second, other_model, other_key):
        asyncio.run(judge.aclose())
