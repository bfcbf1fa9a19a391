"""Turn a chat model's text answer into a Judgment: generated text, or a verdict or score read from it."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from judgeaudit.judges.base import Judge
from judgeaudit.prompts.parse import parse_score, parse_verdict
from judgeaudit.schema import JudgeRequest, Judgment


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


TokenChoices = tuple[str, list[tuple[str, float]]]
"""A generated token and the (token, log-probability) alternatives the server reported for its place."""


def label_probability(tokens: list[TokenChoices], verdict: str) -> float | None:
    """P(A) at the place the final verdict's label was written: P(A) / (P(A) + P(B)) among the
    alternatives there; None when the verdict is not a label or the other label is not among them."""
    if verdict not in ("A", "B"):
        return None
    places = [i for i, (token, _) in enumerate(tokens) if token.strip() == verdict]
    bracketed = [i for i in places if i and tokens[i - 1][0].rstrip().endswith("[")]  # "[[A]]": the verdict itself
    if not places:
        return None
    alternatives = tokens[(bracketed or places)[-1]][1]
    mass = {label: sum(math.exp(lp) for text, lp in alternatives if text.strip() == label) for label in ("A", "B")}
    return mass["A"] / (mass["A"] + mass["B"]) if mass["A"] > 0 and mass["B"] > 0 else None


class ChatTextJudge(Judge):
    """What the judges that answer in text share (OpenAI-compatible, Anthropic, litellm): verdicts and
    scores read from the text they write; a subclass sets ``backend``, ``model``, ``template``,
    ``params`` and ``api_base`` and implements ``generate``."""

    readout = "text"
    tasks = frozenset({"verdict", "score", "text"})

    @property
    def can_write(self) -> bool:
        return True

    async def judge(self, request: JudgeRequest) -> Judgment:
        return read_answer(await self.generate(request), request.task)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "api_base": self.api_base, "params": self.params}
