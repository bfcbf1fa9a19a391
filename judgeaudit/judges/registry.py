"""Resolve a ``--judge`` string to a backend; backends (and their heavy imports) load lazily."""

from __future__ import annotations

from pathlib import Path

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.prompts.templates import TEMPLATES, PromptTemplate

DEFAULT_JUDGE = "smollm2"
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


def _unknown(spec: str, why: str = "") -> JudgeAuditError:
    reason = f" ({why})" if why else ""
    return JudgeAuditError(f"unknown judge {spec!r}{reason}; valid forms: " + "; ".join(JUDGE_FORMS))


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
    ``kind`` (pairwise or pointwise) in the form its backend reads (text, or logits). ``structured``
    asks an OpenAI-compatible server for the verdict as JSON by schema (with the pairwise_json prompt).
    ``context_tokens`` sets the context a local GGUF model is run with (default 4096)."""
    spec = spec.strip()
    prompt = kind if kind in ("pairwise", "pointwise") else "pairwise"
    if spec in (DEFAULT_JUDGE, "embedded"):
        from judgeaudit.judges.llamacpp import SMOLLM2_FORMAT, LlamaCppJudge, smollm2_path

        return LlamaCppJudge(
            smollm2_path(), model="SmolLM2-135M-Instruct-Q4_1", convert_to=SMOLLM2_FORMAT,
            template=template or TEMPLATES[prompt, "logits"], **({"n_ctx": context_tokens} if context_tokens else {}),
        )
    if spec.startswith(("hf:", "hf-rm:")):
        from judgeaudit.judges.hf import HFJudge

        reward = spec.startswith("hf-rm:")
        return HFJudge(spec.split(":", 1)[1], reward=reward, template=template or TEMPLATES[prompt, "logits"])
    if spec.startswith("replay:"):
        from judgeaudit.judges.replay import ReplayJudge

        return ReplayJudge(Path(spec.removeprefix("replay:")).expanduser())
    if spec.startswith("python:"):
        from judgeaudit.judges.python_callable import PythonCallableJudge

        return PythonCallableJudge(spec.removeprefix("python:"), template=template or TEMPLATES[prompt, "text"])
    if spec.startswith("llamacpp:"):
        from judgeaudit.judges.llamacpp import LlamaCppJudge

        return LlamaCppJudge(
            Path(spec.removeprefix("llamacpp:")).expanduser(), template=template or TEMPLATES[prompt, "logits"],
            **({"n_ctx": context_tokens} if context_tokens else {}),
        )
    provider, sep, model = spec.partition("/")
    if not sep or not provider or not model:
        raise _unknown(spec)
    if provider == "openai":
        from judgeaudit.judges.openai_compat import OpenAICompatJudge

        return OpenAICompatJudge(
            model, api_base=api_base, temperature=temperature, max_tokens=max_tokens, timeout_s=timeout_s,
            template=template or TEMPLATES[prompt, "text"], structured=structured, logprobs=logprobs,
        )
    if provider == "anthropic":
        from judgeaudit.judges.anthropic_judge import AnthropicJudge

        return AnthropicJudge(
            model, api_base=api_base, temperature=temperature, max_tokens=max_tokens, timeout_s=timeout_s,
            template=template or TEMPLATES[prompt, "text"],
        )
    from judgeaudit.judges.litellm_judge import LiteLLMJudge, litellm_providers

    if provider not in litellm_providers():
        raise _unknown(spec, f"litellm knows no provider {provider!r}")
    return LiteLLMJudge(
        spec, api_base=api_base, temperature=temperature, max_tokens=max_tokens, timeout_s=timeout_s,
        template=template or TEMPLATES[prompt, "text"],
    )
