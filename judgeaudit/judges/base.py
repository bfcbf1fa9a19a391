"""The base every judge backend implements: how it answers, and what it can do.

The engine and the stages ask a backend about itself only through this base (its rate-limit scope, its
batch API, its context and tokenizer, whether it can write, what a recording covers); each capability
has a default that says "cannot", which a backend overrides where it can.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.endpoint import scope_key
from judgeaudit.prompts.templates import PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment, Probe

if TYPE_CHECKING:
    from judgeaudit.judges.batching import BatchProvider


class Judge(ABC):
    """A judge backend: turns chat messages into a Judgment.

    ``backend``, ``model``, ``template`` and ``params`` enter every request's cache key, so they must
    hold everything that changes the answer.
    """

    backend: str
    model: str
    template: PromptTemplate
    params: dict[str, Any]
    readout: str = "text"
    """How answers are read: ``text`` (parsed from what the model writes), ``logits`` (label or digit
    probabilities: continuous), ``score`` (a reward model's or a function's number)."""
    tasks: frozenset[str] = frozenset({"verdict"})
    """The request tasks it answers (verdict, score, reward, text)."""
    max_concurrency: int | None = None
    """A cap on the engine's calls in flight (1 for in-process models); None: the run's concurrency."""
    api_base: str | None = None
    """The endpoint it asks, as recorded (no credentials); None: in process, or the SDK's default."""
    _credential: str | None = None
    """The API key it asks with, never recorded: only its hash names the rate-limit scope."""
    counts_tokens: bool = False
    """Whether ``count_tokens`` and ``count_text_tokens`` use the model's own tokenizer."""
    recorded_only: bool = False
    """Whether it answers only what was recorded beforehand (``covers`` says which probes)."""

    @abstractmethod
    async def judge(self, request: JudgeRequest) -> Judgment:
        """Answer a request of one of ``tasks``; raise on transport errors so the engine can retry."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What the manifest records about this judge (never secrets)."""

    async def aclose(self) -> None:  # noqa: B027 - nothing to release by default
        """Release clients and models."""

    def rate_scope(self) -> str:
        """Who shares its rate limits: one backend, endpoint, API key and model."""
        return scope_key(self.backend, self.model, self.api_base, self._credential)

    def batch_provider(self) -> BatchProvider | None:
        """Its provider's batch API (about half the price, answers within 24 h); None: it has none."""
        return None

    @property
    def context_window(self) -> int | None:
        """Prompt and answer tokens the model is run with; None where unknown."""
        return None

    def count_tokens(self, messages: tuple[dict[str, str], ...]) -> int:
        """The prompt tokens of ``messages`` with the model's chat template (where ``counts_tokens``)."""
        raise JudgeAuditError(f"judge {self.backend}:{self.model} cannot count tokens")

    def count_text_tokens(self, text: str) -> int:
        """The tokens of a plain text (where ``counts_tokens``)."""
        raise JudgeAuditError(f"judge {self.backend}:{self.model} cannot count tokens")

    @property
    def can_write(self) -> bool:
        """Whether it can generate text (and so rewrite, or be audited for self-enhancement)."""
        return False

    async def generate(self, request: JudgeRequest) -> Judgment:
        """Its text answer to ``request`` (no verdict read), where ``can_write``."""
        raise JudgeAuditError(f"judge {self.backend}:{self.model} cannot write text")

    def generation_params(self, max_tokens: int) -> dict[str, Any]:
        """What decides a generated text: its settings with the text's own token limit."""
        return self.params | {"max_tokens": max_tokens}

    def covers(self, probe: Probe) -> bool:
        """Whether it can answer ``probe`` (a recording answers only what it recorded)."""
        return True

    @property
    def identity(self) -> str:
        """``backend:model``, as messages name it."""
        return f"{self.backend}:{self.model}"

    @property
    def where(self) -> str:
        """The endpoint, as messages name it."""
        return self.api_base or "its default endpoint"
