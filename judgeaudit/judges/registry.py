"""Resolve a ``--judge`` string to a backend through a registry of lazily imported factories.

A backend is one module with a factory ``(name, options) -> Judge`` and one line in ``BACKENDS``: a
prefix (``name:...``, ``provider/...``, or a whole word) and the factory as ``"module:function"``,
imported only when a judge of that form is asked for (so an SDK is loaded only where it is used).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.prompts.templates import PromptTemplate

DEFAULT_JUDGE = "smollm2"
BACKENDS: dict[str, str] = {
    "smollm2": "judgeaudit.judges.llamacpp:embedded",
    "embedded": "judgeaudit.judges.llamacpp:embedded",
    "llamacpp:": "judgeaudit.judges.llamacpp:from_spec",
    "hf:": "judgeaudit.judges.hf:causal_from_spec",
    "hf-rm:": "judgeaudit.judges.hf:reward_from_spec",
    "replay:": "judgeaudit.judges.replay:from_spec",
    "python:": "judgeaudit.judges.python_callable:from_spec",
    "openai/": "judgeaudit.judges.openai_compat:from_spec",
    "anthropic/": "judgeaudit.judges.anthropic_judge:from_spec",
}
"""Prefix -> factory. Any other ``provider/model`` goes to litellm (``LITELLM``), if it knows the provider."""
LITELLM = "judgeaudit.judges.litellm_judge:from_spec"
JUDGE_FORMS = (
    "smollm2 (embedded SmolLM2-135M-Instruct, offline)",
    "llamacpp:<path/to/model.gguf>",
    "openai/<model> [--api-base URL for any OpenAI-compatible server]",
    "anthropic/<model> (the Anthropic SDK; ANTHROPIC_API_KEY)",
    "<litellm provider>/<model>, e.g. gemini/gemini-1.5-pro, ollama/llama3, bedrock/...",
    "python:<package.module>:<function> (a custom judge or reward model written in Python)",
    "replay:<verdicts.jsonl|csv> (verdicts already recorded, with --dataset)",
    "hf:<model dir or hub id> (a transformers causal LM, read from its logits) / hf-rm:<...> (a reward model)",
)

Factory = Callable[[str, JudgeOptions], Judge]


def unknown_judge(spec: str, why: str = "") -> JudgeAuditError:
    """The error for a ``--judge`` string no backend takes, listing the forms that are valid."""
    reason = f" ({why})" if why else ""
    return JudgeAuditError(f"unknown judge {spec!r}{reason}; valid forms: " + "; ".join(JUDGE_FORMS))


def _factory(target: str) -> Factory:
    module, _, function = target.partition(":")
    factory: Factory = getattr(importlib.import_module(module), function)
    return factory


def _lookup(spec: str) -> tuple[str, str]:
    """The factory for ``spec`` and the name it is given (the part after the prefix)."""
    if spec in BACKENDS:
        return BACKENDS[spec], spec
    for prefix, target in BACKENDS.items():
        if prefix[-1] in ":/" and spec.startswith(prefix):
            return target, spec.removeprefix(prefix)
    provider, sep, model = spec.partition("/")
    if not sep or not provider or not model:
        raise unknown_judge(spec)
    return LITELLM, spec


def resolve_judge(
    spec: str,
    api_base: str | None = None,
    temperature: float = 0.0,
    max_tokens: int = 4096,
    timeout_s: float = 60.0,
    kind: str = "pairwise",
    template: PromptTemplate | None = None,
    structured: bool = False,
    logprobs: bool = True,
    context_tokens: int | None = None,
) -> Judge:
    """Build the judge named by ``spec`` (see JUDGE_FORMS) with ``template``, or the built-in prompt for
    ``kind`` (pairwise or pointwise) in the form its backend reads (text, or logits); the other options
    as ``JudgeOptions`` documents them."""
    options = JudgeOptions(api_base, temperature, max_tokens, timeout_s, kind, template, structured, logprobs, context_tokens)
    target, name = _lookup(spec.strip())
    return _factory(target)(name, options)
