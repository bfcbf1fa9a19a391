"""Turn a generative judge's text answer into a Judgment."""

from __future__ import annotations

from judgeaudit.prompts.parse import parse_verdict
from judgeaudit.schema import Judgment


def judgment_from_text(
    text: str,
    finish_reason: str | None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    latency_s: float = 0.0,
    cost_usd: float = 0.0,
    resolved_model: str | None = None,
) -> Judgment:
    """Parse the final verdict; an answer cut off by the token limit is marked truncated (never cached)."""
    return Judgment(
        verdict=parse_verdict(text),
        raw=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost_usd,
        latency_s=latency_s,
        truncated=finish_reason == "length",
        resolved_model=resolved_model,
    )
