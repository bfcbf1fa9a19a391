"""Claude through the Anthropic SDK directly: text verdicts, with the shared judge instructions (the
system prompt) marked for prompt caching. ``--judge anthropic/<model>``; ``ANTHROPIC_API_KEY``."""

from __future__ import annotations

import inspect
import json
import os
import time
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.batching import BatchProvider
from judgeaudit.judges.endpoint import endpoint_identity
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.judges.text_verdict import ChatTextJudge, read_answer, text_answer
from judgeaudit.prompts.templates import PAIRWISE_VERDICT, PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment


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
        # Retries are the engine's job; the SDK must not retry on its own. Public: the batch engine uses it.
        self._credential = api_key
        self.client = AsyncAnthropic(api_key=api_key, base_url=api_base, max_retries=0, timeout=timeout_s)
        self.api_base = endpoint_identity(str(self.client.base_url))
        self.params: dict[str, Any] = {"max_tokens": max_tokens, "api_base": self.api_base}
        # Recent SDKs take no sampling parameters (the API decides): a temperature is sent, and part of
        # the judge's identity, only where the installed SDK accepts one.
        if "temperature" in inspect.signature(self.client.messages.create).parameters:
            self.params["temperature"] = temperature

    async def judge(self, request: JudgeRequest) -> Judgment:
        return await self._complete(request, request.task)

    async def generate(self, request: JudgeRequest) -> Judgment:
        """The model's text answer to ``request`` (no verdict read)."""
        return await self._complete(request, "text")

    def batch_provider(self) -> BatchProvider:
        from judgeaudit.judges.anthropic_batches import AnthropicBatches

        return AnthropicBatches(self)

    def request_body(self, request: JudgeRequest) -> dict[str, Any]:
        """The Messages API body that asks ``request``: what a direct call posts and a batch request carries.
        The system prompt, the same for every probe of a run, is marked for caching after the first call."""
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in request.messages if m["role"] != "system"],
            "max_tokens": request.params["max_tokens"],
        }
        if "temperature" in request.params:
            body["temperature"] = request.params["temperature"]
        if system:
            body["system"] = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
        return body

    def read_response(self, body: dict[str, Any], task: str, latency_s: float = 0.0) -> Judgment:
        """The Judgment in a Messages API response ``body`` (JSON): the text for a text task, else its
        verdict or score read. Cached prompt tokens count as prompt tokens."""
        text = "".join(block.get("text", "") for block in body.get("content") or [] if block.get("type") == "text")
        usage = body.get("usage") or {}
        cached = (usage.get("cache_read_input_tokens") or 0) + (usage.get("cache_creation_input_tokens") or 0)
        answer = text_answer(
            text=text,
            finish_reason="length" if body.get("stop_reason") == "max_tokens" else "stop",
            prompt_tokens=(usage.get("input_tokens") or 0) + cached,
            completion_tokens=usage.get("output_tokens") or 0,
            latency_s=latency_s,
            resolved_model=body.get("model"),
        )
        return answer if task == "text" else read_answer(answer, task)

    async def _complete(self, request: JudgeRequest, task: str) -> Judgment:
        """Post the request body as it is and read the JSON answer (no SDK model); the SDK's status errors
        still reach the engine's retries."""
        started = time.perf_counter()
        answer: Any = await self.client.post("/v1/messages", body=self.request_body(request), cast_to=object)
        response = json.loads(answer) if isinstance(answer, str) else answer  # JSON sent without a JSON content type
        return self.read_response(response, task, latency_s=time.perf_counter() - started)

    async def aclose(self) -> None:
        await self.client.close()


def from_spec(model: str, options: JudgeOptions) -> AnthropicJudge:
    """``anthropic/<model>``."""
    return AnthropicJudge(
        model, api_base=options.api_base, temperature=options.temperature, max_tokens=options.max_tokens,
        timeout_s=options.timeout_s, template=options.prompt("text"),
    )
