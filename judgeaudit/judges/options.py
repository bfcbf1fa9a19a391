"""The options a ``--judge`` string is resolved with: the settings every backend factory receives."""

from __future__ import annotations

from dataclasses import dataclass

from judgeaudit.prompts.templates import TEMPLATES, PromptTemplate


@dataclass(frozen=True)
class JudgeOptions:
    """How to build a judge; each backend reads the fields it has a use for."""

    api_base: str | None = None
    """The server to ask (OpenAI-compatible, Anthropic, litellm); None: the SDK's default."""
    temperature: float = 0.0
    max_tokens: int = 4096
    timeout_s: float = 60.0
    kind: str = "pairwise"
    """The built-in prompt asked when no ``template`` is given: pairwise or pointwise."""
    template: PromptTemplate | None = None
    structured: bool = False
    """Ask an OpenAI-compatible server for the verdict as JSON by schema (the pairwise_json prompt)."""
    logprobs: bool = True
    context_tokens: int | None = None
    """The context a local GGUF model is run with (None: its backend's default, 4096)."""

    def prompt(self, readout: str) -> PromptTemplate:
        """The template given, or the built-in prompt of ``kind`` in the form ``readout`` reads (text or logits)."""
        return self.template or TEMPLATES[self.kind if self.kind in ("pairwise", "pointwise") else "pairwise", readout]
