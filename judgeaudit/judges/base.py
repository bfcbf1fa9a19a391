"""The protocol every judge backend implements."""

from __future__ import annotations

from typing import Any, Protocol

from judgeaudit.prompts.templates import PromptTemplate
from judgeaudit.schema import Judgment, JudgeRequest, Probe


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

    async def judge(self, request: JudgeRequest) -> Judgment:
        """Ask the judge; raise on transport errors so the engine can retry."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this judge (never secrets)."""
        ...

    async def aclose(self) -> None:
        """Release clients and models."""
        ...


def build_requests(judge: Judge, probe: Probe) -> tuple[JudgeRequest, ...]:
    """The requests that show ``probe`` to ``judge`` (one for a pairwise formulation)."""
    return (build_request(judge, probe),)


def build_request(judge: Judge, probe: Probe) -> JudgeRequest:
    """The pairwise request that shows ``probe`` to ``judge``; repeats differ by their replicate."""
    return JudgeRequest(
        backend=judge.backend,
        model=judge.model,
        messages=judge.template.messages(probe),
        params=dict(judge.params),
        template_hash=judge.template.hash,
        replicate=probe.replicate,
    )
