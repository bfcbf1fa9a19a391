"""OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp server) via the openai SDK's async client."""

from __future__ import annotations

import os
import time
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.endpoint import redact_url
from judgeaudit.judges.text_verdict import ChatTextJudge, TokenChoices, label_probability, read_answer, text_answer
from judgeaudit.prompts.templates import PAIRWISE_JSON, PAIRWISE_VERDICT, VERDICT_SCHEMA, PromptTemplate
from judgeaudit.schema import Judgment, JudgeRequest


TOP_LOGPROBS = 5
"""Alternatives asked per generated token with --logprobs."""


class OpenAICompatJudge(ChatTextJudge):
    """A chat model behind the OpenAI Chat Completions API; verdicts parsed from its text."""

    backend = "openai"

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        temperature: float = 0.0,
        max_tokens: int = 4096,
        timeout_s: float = 60.0,
        template: PromptTemplate = PAIRWISE_VERDICT,
        structured: bool = False,
        logprobs: bool = True,
    ) -> None:
        from openai import AsyncOpenAI, DefaultAioHttpClient

        self.model = model
        self.template = template
        api_key = os.environ.get(api_key_env) or ("not-needed" if api_base else None)
        if api_key is None:
            raise JudgeAuditError(f"judge openai/{model} needs an API key: set {api_key_env} (or give --api-base)")
        # Retries are the engine's job (uniform backoff, counted); the SDK must not retry on its own.
        # aiohttp transport: far less CPU per request than httpx's pool at high concurrency.
        self._client = AsyncOpenAI(
            base_url=api_base,
            api_key=api_key,
            max_retries=0,
            timeout=timeout_s,
            http_client=DefaultAioHttpClient(),
        )
        # The endpoint the SDK settled on (--api-base, OPENAI_BASE_URL or its default) decides the answer
        # as much as the model name does; recorded without credentials and without the SDK's trailing "/".
        self.api_base = redact_url(str(self._client.base_url)).rstrip("/")
        self.params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens, "api_base": self.api_base}
        if logprobs:  # the verdict token's probabilities: a soft preference, where the server gives them
            self.params["top_logprobs"] = TOP_LOGPROBS
        self.logprobs_refused = False
        """Set when the server rejected logprobs once: the verdicts are then asked without them."""
        if structured:
            if template.name != PAIRWISE_JSON.name:
                raise JudgeAuditError("--structured asks for the verdict as JSON: use it with --prompt pairwise_json")
            self.params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True},
            }

    async def judge(self, request: JudgeRequest) -> Judgment:
        answer, tokens = await self._complete(request)
        judgment = read_answer(answer, request.task)
        if request.task == "verdict" and tokens:
            judgment.p_a = label_probability(tokens, judgment.verdict)
        return judgment

    def generation_params(self, max_tokens: int) -> dict[str, Any]:
        """What decides a generated text: the judge's settings with its own token limit."""
        return {k: v for k, v in self.params.items() if k != "top_logprobs"} | {"max_tokens": max_tokens}

    async def generate(self, request: JudgeRequest) -> Judgment:
        """The model's text answer to ``request`` (no verdict read)."""
        return (await self._complete(request))[0]

    async def _complete(self, request: JudgeRequest) -> tuple[Judgment, list[TokenChoices]]:
        """The text answer, and per generated token the alternatives the server reported (if asked)."""
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        if "response_format" in request.params:
            extra["response_format"] = request.params["response_format"]
        asks_logprobs = "top_logprobs" in request.params and not self.logprobs_refused
        if asks_logprobs:
            extra |= {"logprobs": True, "top_logprobs": request.params["top_logprobs"]}
        try:
            response = await self._create(request, extra)
        except Exception as exc:
            # A server that does not do logprobs (a reasoning model, an older server) says so with a 400:
            # the verdicts are asked without them from then on, and carry no soft preference.
            if not (asks_logprobs and getattr(exc, "status_code", None) == 400 and "logprob" in str(exc).lower()):
                raise
            self.logprobs_refused = True
            extra = {k: v for k, v in extra.items() if k not in ("logprobs", "top_logprobs")}
            response = await self._create(request, extra)
        choice = response.choices[0]
        usage = response.usage
        content = getattr(choice.logprobs, "content", None) or []
        tokens = [(t.token, [(top.token, top.logprob) for top in t.top_logprobs or []]) for t in content]
        return text_answer(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            latency_s=time.perf_counter() - started,
            resolved_model=response.model,
        ), tokens

    async def _create(self, request: JudgeRequest, extra: dict[str, Any]) -> Any:
        return await self._client.chat.completions.create(
            model=request.model,
            messages=list(request.messages),  # type: ignore[arg-type]
            temperature=request.params["temperature"],
            max_tokens=request.params["max_tokens"],
            **extra,
        )

    async def aclose(self) -> None:
        await self._client.close()
