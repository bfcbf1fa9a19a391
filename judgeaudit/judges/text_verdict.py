"""Turn a chat model's text answer into a Judgment: generated text, or a verdict or score read from it."""

from __future__ import annotations

from dataclasses import replace

from judgeaudit.prompts.parse import parse_score, parse_verdict
from judgeaudit.schema import Judgment


def text_answer(
    text: str,
    finish_reason: str | None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    latency_s: float = 0.0,
    cost_usd: float = 0.0,
    resolved_model: str | None = None,
) -> Judgment:
    """A text answer; one cut off by the token limit is marked truncated (never cached)."""
    return Judgment(
        verdict="text",
        raw=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost_usd,
        latency_s=latency_s,
        truncated=finish_reason == "length",
        resolved_model=resolved_model,
    )


def read_answer(answer: Judgment, task: str) -> Judgment:
    """The answer to a verdict request with its verdict read, to a score request with its score read."""
    if task == "score":
        score = parse_score(answer.raw)
        return replace(answer, verdict="score" if score is not None else "unparseable", score=score)
    return replace(answer, verdict=parse_verdict(answer.raw))
