"""The response cache: keyed by what changes the answer, never storing errors or truncated answers."""

from pathlib import Path

from judgeaudit.engine import ResponseCache
from judgeaudit.schema import JudgeRequest, Judgment

MESSAGES = ({"role": "user", "content": "Which is better? A or B"},)


def _request(**changes) -> JudgeRequest:
    fields = dict(backend="openai", model="m", messages=MESSAGES, params={"temperature": 0.0}, template_hash="t")
    return JudgeRequest(**(fields | changes))


def test_key_covers_everything_that_changes_the_answer() -> None:
    base = _request().key
    assert _request().key == base
    assert _request(model="m2").key != base
    assert _request(params={"temperature": 0.7}).key != base
    assert _request(template_hash="t2").key != base
    assert _request(messages=({"role": "user", "content": "Which is better? B or A"},)).key != base
    assert _request(replicate=1).key != base


def test_round_trip_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    assert cache.put("k", "openai", "m", Judgment(verdict="A", p_a=0.7, raw="[[A]]"))
    cache.close()
    hit = ResponseCache(path).get("k")
    assert hit is not None and hit.verdict == "A" and hit.p_a == 0.7 and hit.cached


def test_errors_and_truncated_answers_are_never_cached(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert not cache.put("e", "openai", "m", Judgment(verdict="error", error="HTTP 500"))
    assert not cache.put("t", "openai", "m", Judgment(verdict="unparseable", raw="Let me think", truncated=True))
    assert cache.get("e") is None and cache.get("t") is None
    assert len(cache) == 0
