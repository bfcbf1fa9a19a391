"""Any provider litellm supports (Anthropic, Gemini, Bedrock, Ollama, ...); litellm is imported lazily."""

from __future__ import annotations

import os
import time
from typing import Any

from judgeaudit.judges.endpoint import endpoint_identity
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.judges.registry import unknown_judge
from judgeaudit.judges.text_verdict import ChatTextJudge, text_answer
from judgeaudit.prompts.templates import PAIRWISE_VERDICT, PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment


def import_litellm() -> Any:
    """Import litellm (multi-second) only when this backend is used, with its bundled price map.

    Without LITELLM_LOCAL_MODEL_COST_MAP, importing litellm fetches the map from the network (and
    retries for seconds when offline).
    """
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    return litellm


def litellm_providers() -> set[str]:
    """The provider prefixes litellm accepts in a model string."""
    return {str(getattr(p, "value", p)) for p in import_litellm().provider_list}


def litellm_endpoint(model: str, api_base: str | None) -> str | None:
    """The base URL litellm will call for ``model``, redacted; None where litellm leaves it to the provider's SDK.

    litellm's own resolution (``get_llm_provider``) covers ``api_base`` and the base-URL variables of
    OpenAI-compatible providers (``HOSTED_VLLM_API_BASE``, ``GROQ_API_BASE``, ...); the other providers
    read ``<PROVIDER>_API_BASE`` or ``<PROVIDER>_BASE_URL`` (e.g. ``ANTHROPIC_BASE_URL``) when they call.
    The dynamic key it also returns is never kept.
    """
    _, provider, _, resolved = import_litellm().get_llm_provider(model, api_base=api_base)
    prefix = provider.upper()
    resolved = resolved or os.environ.get(f"{prefix}_API_BASE") or os.environ.get(f"{prefix}_BASE_URL")
    return endpoint_identity(resolved) if resolved else None


class LiteLLMJudge(ChatTextJudge):
    """A chat model addressed by a litellm model string such as ``anthropic/claude-3-5-haiku-latest``."""

    backend = "litellm"

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 4096,
        timeout_s: float = 60.0,
        template: PromptTemplate = PAIRWISE_VERDICT,
    ) -> None:
        self._litellm = import_litellm()
        self.model = model
        self._api_base = api_base  # as given, credentials included: passed to litellm, never recorded
        self.api_base = litellm_endpoint(model, api_base)
        self.template = template
        self.timeout_s = timeout_s
        self.params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if self.api_base:
            # The endpoint is part of what determines the answer (another server, another model).
            self.params["api_base"] = self.api_base

    async def generate(self, request: JudgeRequest) -> Judgment:
        """The model's text answer to ``request`` (no verdict read)."""
        started = time.perf_counter()
        response = await self._litellm.acompletion(
            model=request.model,
            messages=list(request.messages),
            temperature=request.params["temperature"],
            max_tokens=request.params["max_tokens"],
            api_base=self._api_base,
            timeout=self.timeout_s,
            num_retries=0,
        )
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        try:
            cost = float(self._litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # litellm raises for models missing from its price map
            cost = 0.0
        return text_answer(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            latency_s=time.perf_counter() - started,
            cost_usd=cost,
            resolved_model=getattr(response, "model", None),
        )

    async def aclose(self) -> None:
        return None


def from_spec(model: str, options: JudgeOptions) -> LiteLLMJudge:
    """``<litellm provider>/<model>``, for any provider litellm knows."""
    provider = model.partition("/")[0]
    if provider not in litellm_providers():
        raise unknown_judge(model, f"litellm knows no provider {provider!r}")
    return LiteLLMJudge(
        model, api_base=options.api_base, temperature=options.temperature, max_tokens=options.max_tokens,
        timeout_s=options.timeout_s, template=options.prompt("text"),
    )
