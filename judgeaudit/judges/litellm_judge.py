"""Any provider litellm supports (Anthropic, Gemini, Bedrock, Ollama, ...); litellm is imported lazily."""

from __future__ import annotations

import os
import time
from typing import Any

from judgeaudit.judges.text_verdict import judgment_from_text
from judgeaudit.prompts.templates import PAIRWISE_VERDICT, PromptTemplate
from judgeaudit.schema import Judgment, JudgeRequest


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


class LiteLLMJudge:
    """A chat model addressed by a litellm model string such as ``anthropic/claude-3-5-haiku-latest``."""

    backend = "litellm"

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 512,
        timeout_s: float = 60.0,
        template: PromptTemplate = PAIRWISE_VERDICT,
    ) -> None:
        self._litellm = import_litellm()
        self.model = model
        self.api_base = api_base
        self.template = template
        self.timeout_s = timeout_s
        self.params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if api_base:
            self.params["api_base"] = api_base
        self.max_concurrency: int | None = None

    async def judge(self, request: JudgeRequest) -> Judgment:
        started = time.perf_counter()
        response = await self._litellm.acompletion(
            model=request.model,
            messages=list(request.messages),
            temperature=request.params["temperature"],
            max_tokens=request.params["max_tokens"],
            api_base=self.api_base,
            timeout=self.timeout_s,
            num_retries=0,
        )
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        try:
            cost = float(self._litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # litellm raises for models missing from its price map
            cost = 0.0
        return judgment_from_text(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            latency_s=time.perf_counter() - started,
            cost_usd=cost,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "api_base": self.api_base,
            "params": self.params,
        }

    async def aclose(self) -> None:
        return None

