"""Claude through the Anthropic SDK directly: text verdicts, with the shared judge instructions (the
system prompt) marked for prompt caching. ``--judge anthropic/<model>``; ``ANTHROPIC_API_KEY``."""

from __future__ import annotations

import inspect
import os
import time
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.endpoint import redact_url
from judgeaudit.judges.text_verdict import ChatTextJudge, text_answer
from judgeaudit.prompts.templates import PAIRWISE_VERDICT, PromptTemplate
from judgeaudit.schema import Judgment, JudgeRequest


class AnthropicJudge(ChatTextJudge):
    """A Claude model behind the Messages API; verdicts parsed from its text."""

    backend = "anthropic"

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 4096,
        timeout_s: float = 60.0,
        template: PromptTemplate = PAIRWISE_VERDICT,
    ) -> None:
        try:
            from anthropic import AsyncAnthropic
        except ImportError:
            raise JudgeAuditError("judge anthropic/... needs the anthropic package: pip install anthropic") from None
        api_key = os.environ.get("ANTHROPIC_API_KEY") or ("not-needed" if api_base else None)
        if api_key is None:
            raise JudgeAuditError(f"judge anthropic/{model} needs an API key: set ANTHROPIC_API_KEY (or give --api-base)")
        self.model = model
        self.template = template
        # Retries are the engine's job; the SDK must not retry on its own.
        self._client = AsyncAnthropic(api_key=api_key, base_url=api_base, max_retries=0, timeout=timeout_s)
        self.api_base = redact_url(str(self._client.base_url)).rstrip("/")
        self.params: dict[str, Any] = {"max_tokens": max_tokens, "api_base": self.api_base}
        # Recent SDKs take no sampling parameters (the API decides): a temperature is sent, and part of
        # the judge's identity, only where the installed SDK accepts one.
        if "temperature" in inspect.signature(self._client.messages.create).parameters:
            self.params["temperature"] = temperature

    async def generate(self, request: JudgeRequest) -> Judgment:
        """The model's text answer to ``request`` (no verdict read)."""
        started = time.perf_counter()
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        turns = [{"role": m["role"], "content": m["content"]} for m in request.messages if m["role"] != "system"]
        extra: dict[str, Any] = {}
        if system:  # the same for every probe of a run: cached by the API after the first call
            extra["system"] = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
        response = await self._client.messages.create(
            model=request.model,
            messages=turns,  # type: ignore[arg-type]
            max_tokens=request.params["max_tokens"],
            **({"temperature": request.params["temperature"]} if "temperature" in request.params else {}),
            **extra,
        )
        text = "".join(block.text for block in response.content if getattr(block, "type", "") == "text")
        usage = response.usage
        read = (getattr(usage, "cache_read_input_tokens", 0) or 0) + (getattr(usage, "cache_creation_input_tokens", 0) or 0)
        return text_answer(
            text=text,
            finish_reason="length" if response.stop_reason == "max_tokens" else "stop",
            prompt_tokens=(usage.input_tokens or 0) + read,
            completion_tokens=usage.output_tokens or 0,
            latency_s=time.perf_counter() - started,
            resolved_model=response.model,
        )

    async def aclose(self) -> None:
        await self._client.close()
