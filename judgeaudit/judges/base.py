"""The protocol every judge backend implements."""

from __future__ import annotations

from typing import Any, Protocol

from judgeaudit.prompts.templates import PromptTemplate
from judgeaudit.schema import Judgment, JudgeRequest


class Judge(Protocol):
    """A judge backend: turns chat messages into a Judgment.

    ``backend``, ``model``, ``template`` and ``params`` enter every request's cache key, so they must
    hold everything that changes the answer. ``max_concurrency`` caps the engine's concurrency (1 for
    in-process models).
    """

    backend: str
    model: str
    template: PromptTemplate
    params: dict[str, Any]
    max_concurrency: int | None
    readout: str
    """How answers are read: ``text`` (parsed from what the model writes), ``logits`` (label or digit
    probabilities: continuous), ``score`` (a reward model's or a function's number)."""
    tasks: frozenset[str]
    """The request tasks it answers (verdict, score, reward, text)."""

    async def judge(self, request: JudgeRequest) -> Judgment:
        """Answer a request of one of ``tasks``; raise on transport errors so the engine can retry."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this judge (never secrets)."""
        ...

    async def aclose(self) -> None:
        """Release clients and models."""
        ...
