"""Failure classes, read from errors built the way the openai, anthropic and litellm SDKs build them."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import aiohttp
import anthropic
import httpx
import httpx2
import openai
import pytest

from judgeaudit.engine.failures import classify

_OPENAI = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
_ANTHROPIC = anthropic.Anthropic(api_key="sk-test", base_url="http://127.0.0.1:9")
_OPENAI_URL = "http://127.0.0.1:9/v1/chat/completions"
_ANTHROPIC_URL = "http://127.0.0.1:9/v1/messages"


def openai_error(status: int, error: dict, headers: dict[str, str] | None = None) -> Exception:
    """What the openai SDK raises for an HTTP error answer with body ``{"error": error}``."""
    response = httpx.Response(status, json={"error": error}, headers=headers, request=httpx.Request("POST", _OPENAI_URL))
    return _OPENAI._make_status_error_from_response(response)


def anthropic_error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Exception:
    """What the anthropic SDK raises for an HTTP error answer."""
    body = {"type": "error", "error": {"type": kind, "message": message}}
    response = httpx2.Response(status, json=body, headers=headers, request=httpx2.Request("POST", _ANTHROPIC_URL))
    return _ANTHROPIC._make_status_error_from_response(response)


def caused(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


QUOTA = {"message": "You exceeded your current quota, please check your plan and billing details.",
         "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}
OPENAI_CONTEXT = {"message": "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
                  "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}
RATE = {"message": "Rate limit reached for gpt-x on requests per min", "type": "requests", "param": None, "code": "rate_limit_exceeded"}

CASES = [
    # (error, kind, retryable, fatal)
    (openai_error(429, RATE), "rate_limit", True, False),
    (openai_error(429, QUOTA), "quota", False, True),
    (openai_error(400, OPENAI_CONTEXT), "context_length", False, False),
    (openai_error(400, {"message": "Invalid value for 'temperature'", "type": "invalid_request_error", "code": None}), "bad_request", False, False),
    (openai_error(422, {"message": "unprocessable"}), "bad_request", False, False),
    (openai_error(401, {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}), "auth", False, True),
    (openai_error(403, {"message": "You are not allowed to sample from this model"}), "auth", False, True),
    (openai_error(404, {"message": "The model `gpt-x` does not exist", "type": "invalid_request_error", "code": "model_not_found"}), "not_found", False, True),
    (openai_error(500, {"message": "The server had an error"}), "server_error", True, False),
    (openai_error(503, {"message": "The engine is currently overloaded, please try again later"}), "overloaded", True, False),
    (openai_error(409, {"message": "conflict"}), "conflict", True, False),
    (openai.APITimeoutError(request=httpx.Request("POST", _OPENAI_URL)), "timeout", True, False),
    (caused(openai.APIConnectionError(request=httpx.Request("POST", _OPENAI_URL)), ConnectionRefusedError(111, "refused")), "connection", True, False),
    (anthropic_error(529, "overloaded_error", "Overloaded"), "overloaded", True, False),
    (anthropic_error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), "rate_limit", True, False),
    (anthropic_error(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"), "context_length", False, False),
    (anthropic_error(400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API."), "quota", False, True),
    (anthropic_error(401, "authentication_error", "invalid x-api-key"), "auth", False, True),
    (anthropic_error(404, "not_found_error", "model: claude-x"), "not_found", False, True),
    (anthropic_error(500, "api_error", "Internal server error"), "server_error", True, False),
    (anthropic.APITimeoutError(request=httpx2.Request("POST", _ANTHROPIC_URL)), "timeout", True, False),
    (anthropic.APIConnectionError(request=httpx2.Request("POST", _ANTHROPIC_URL)), "connection", True, False),
    (asyncio.TimeoutError(), "timeout", True, False),
    (aiohttp.ServerTimeoutError("read timed out"), "timeout", True, False),
    (aiohttp.ServerDisconnectedError(), "connection", True, False),
    (ConnectionResetError(104, "reset"), "connection", True, False),
    (ValueError("unexpected"), "other", False, False),
]


@pytest.mark.parametrize(("exc", "kind", "retryable", "fatal"), CASES, ids=[f"{type(c[0]).__name__}-{c[1]}" for c in CASES])
def test_classification(exc: Exception, kind: str, retryable: bool, fatal: bool) -> None:
    failure = classify(exc)
    assert (failure.kind, failure.retryable, failure.fatal) == (kind, retryable, fatal)
    assert failure.error.startswith(f"{kind}: ") and "\n" not in failure.error


def test_litellm_errors_by_class_and_status() -> None:
    litellm = pytest.importorskip("litellm")
    context = litellm.ContextWindowExceededError("too long for the model", model="gpt-x", llm_provider="openai")
    assert classify(context).kind == "context_length"
    quota = litellm.RateLimitError("OpenAIException - You exceeded your current quota", llm_provider="openai", model="gpt-x")
    assert classify(quota).kind == "quota"
    assert classify(litellm.RateLimitError("slow down", llm_provider="openai", model="gpt-x")).kind == "rate_limit"
    assert classify(litellm.Timeout("timed out", model="gpt-x", llm_provider="openai")).kind == "timeout"
    assert classify(litellm.APIConnectionError("refused", llm_provider="openai", model="gpt-x")).kind == "connection"


def test_message_is_the_servers_own() -> None:
    failure = classify(openai_error(400, OPENAI_CONTEXT))
    assert failure.error == f"context_length: {OPENAI_CONTEXT['message']}" and failure.status == 400


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"Retry-After": "in 30 s, as an HTTP date"}, 30.0),
        ({}, None),
    ],
)
def test_retry_after_seconds_ms_and_http_date(headers: dict[str, str], seconds: float | None) -> None:
    if "Retry-After" in headers:
        headers = {"Retry-After": formatdate(time.time() + 30, usegmt=True)}
    failure = classify(openai_error(429, RATE, headers))
    if seconds is None:
        assert failure.retry_after_s is None
    else:
        assert failure.retry_after_s == pytest.approx(seconds, abs=1.5)


def test_fatal_line_names_the_judge_and_reason() -> None:
    line = classify(openai_error(429, QUOTA)).stop_message("openai:gpt-x")
    assert line.startswith("judge openai:gpt-x refused the request (HTTP 429): quota: You exceeded your current quota")
    assert "\n" not in line
