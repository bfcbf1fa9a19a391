"""OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp server) via the openai SDK's async client."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.batching import BatchProvider
from judgeaudit.judges.endpoint import endpoint_identity
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.judges.text_verdict import ChatTextJudge, TokenChoices, label_probability, read_answer, text_answer
from judgeaudit.prompts.templates import PAIRWISE_JSON, PAIRWISE_VERDICT, VERDICT_SCHEMA, PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment

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
        # Public: the batch engine submits and reads batches through it.
        self._credential = api_key
        self.client = AsyncOpenAI(
            base_url=api_base,
            api_key=api_key,
            max_retries=0,
            timeout=timeout_s,
            http_client=DefaultAioHttpClient(),
        )
        # The endpoint the SDK settled on (--api-base, OPENAI_BASE_URL or its default) decides the answer
        # as much as the model name does; recorded without credentials and without the SDK's trailing "/".
        self.api_base = endpoint_identity(str(self.client.base_url))
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
        return await self._complete(request, request.task)

    def generation_params(self, max_tokens: int) -> dict[str, Any]:
        """What decides a generated text: the judge's settings with its own token limit."""
        return {k: v for k, v in self.params.items() if k != "top_logprobs"} | {"max_tokens": max_tokens}

    async def generate(self, request: JudgeRequest) -> Judgment:
        """The model's text answer to ``request`` (no verdict read)."""
        return await self._complete(request, "text")

    def batch_provider(self) -> BatchProvider:
        from judgeaudit.judges.openai_batches import OpenAIBatches

        return OpenAIBatches(self)

    def request_body(self, request: JudgeRequest) -> dict[str, Any]:
        """The Chat Completions body that asks ``request``: what a direct call posts and a batch line carries."""
        body: dict[str, Any] = {
            "model": request.model,
            "messages": list(request.messages),
            "temperature": request.params["temperature"],
            "max_tokens": request.params["max_tokens"],
        }
        if "response_format" in request.params:
            body["response_format"] = request.params["response_format"]
        if "top_logprobs" in request.params and not self.logprobs_refused:
            body |= {"logprobs": True, "top_logprobs": request.params["top_logprobs"]}
        return body

    def read_response(self, body: dict[str, Any], task: str, latency_s: float = 0.0) -> Judgment:
        """The Judgment in a Chat Completions response ``body`` (JSON): the text for a text task, else its
        verdict or score read, with P(A) from the logprobs the server gave for a verdict."""
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        answer = text_answer(
            text=(choice.get("message") or {}).get("content") or "",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens") or 0,
            completion_tokens=usage.get("completion_tokens") or 0,
            latency_s=latency_s,
            resolved_model=body.get("model"),
        )
        if task == "text":
            return answer
        judgment = read_answer(answer, task)
        content = (choice.get("logprobs") or {}).get("content") or []
        if task == "verdict" and content:
            tokens: list[TokenChoices] = [
                (t["token"], [(top["token"], top["logprob"]) for top in t.get("top_logprobs") or []]) for t in content
            ]
            judgment.p_a = label_probability(tokens, judgment.verdict)
        return judgment

    def refuses_logprobs(self, asked: bool, status_code: int | None, message: str) -> bool:
        """True when a request that ``asked`` for logprobs was refused for them (a 400 that says so, as from
        a reasoning model or an older server): from then on the verdicts are asked without them."""
        refused = asked and status_code == 400 and "logprob" in message.lower()
        if refused:
            self.logprobs_refused = True
        return refused

    async def _complete(self, request: JudgeRequest, task: str) -> Judgment:
        """Post the request body as it is (no SDK parameter transform) and read the JSON answer (no SDK
        model); the SDK's status errors still reach the engine's retries."""
        started = time.perf_counter()
        body = self.request_body(request)
        try:
            response = await self._post(body)
        except Exception as exc:
            if not self.refuses_logprobs("logprobs" in body, getattr(exc, "status_code", None), str(exc)):
                raise
            response = await self._post(self.request_body(request))
        return self.read_response(response, task, latency_s=time.perf_counter() - started)

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        answer: Any = await self.client.post("/chat/completions", body=body, cast_to=object)
        return json.loads(answer) if isinstance(answer, str) else answer  # JSON sent without a JSON content type

    async def aclose(self) -> None:
        await self.client.close()


def from_spec(model: str, options: JudgeOptions) -> OpenAICompatJudge:
    """``openai/<model>``, at ``--api-base`` for any OpenAI-compatible server."""
    return OpenAICompatJudge(
        model, api_base=options.api_base, temperature=options.temperature, max_tokens=options.max_tokens,
        timeout_s=options.timeout_s, template=options.prompt("text"), structured=options.structured, logprobs=options.logprobs,
    )
