"""Hugging Face transformers models, in-process, batched, on CPU or GPU.

- ``hf:<model dir or hub id>``: a causal LM judged by its next-token probabilities, read as the
  llama.cpp judge reads them (``labels.label_probability`` for A/B, ``labels.expected_digit`` for a
  rating), from the prompt formatted by the model's chat template;
- ``hf-rm:<model dir or hub id>``: a sequence-classification reward model; its score of the
  conversation (the prompt, then the response as the assistant's turn) per response.

Requests that arrive together are evaluated as one padded batch (up to ``batch_size``: 8 on CPU, 32
on a GPU); padding changes logits only in the last float digits, so a verdict can differ from an
unbatched one only at an exact tie. Batches run one at a time on one thread while the next gathers,
and a causal LM computes the vocabulary logits of the last position only. Needs
``pip install "judgeaudit[hf]"`` (torch and transformers).
"""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.judges.gguf import file_sha256
from judgeaudit.judges.labels import expected_digit, label_probability
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.prompts.templates import DIGITS, PAIRWISE_LOGIT, PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment, stable_hash

BATCH_SIZE = {"cpu": 8, "cuda": 32}


def _import() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise JudgeAuditError('the hf: and hf-rm: judges need torch and transformers: pip install "judgeaudit[hf]"') from None
    return torch, transformers


class HFJudge(Judge):
    """A transformers model as a judge (causal LM) or as a reward model (``reward=True``)."""

    counts_tokens = True

    def __init__(
        self, model: str, reward: bool = False, template: PromptTemplate = PAIRWISE_LOGIT,
        device: str | None = None, batch_size: int | None = None,
    ) -> None:
        torch, transformers = _import()
        self._torch = torch
        self.backend = "hf-rm" if reward else "hf"
        self.model = model
        self.reward = reward
        self.template = template
        self.readout = "score" if reward else "logits"
        self.tasks = frozenset({"reward"} if reward else {"verdict", "score"})
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size or BATCH_SIZE.get(self.device.split(":")[0], BATCH_SIZE["cpu"])
        self.max_concurrency = 2 * self.batch_size  # one batch evaluating, the next filling
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hf-judge")
        try:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(model)
            loader = transformers.AutoModelForSequenceClassification if reward else transformers.AutoModelForCausalLM
            self._model = loader.from_pretrained(model).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise JudgeAuditError(f"judge {self.backend}:{model}: cannot load the model ({' '.join(str(exc).split())[:300]})") from None
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._tokenizer.padding_side = "left"  # the last position is every prompt's own last token
        self._labels = {label: self._single_tokens(label) for label in ("A", "B")} if not reward else {}
        self._digits = {digit: self._single_tokens(digit) for digit in DIGITS} if not reward else {}
        self._pending: list[tuple[JudgeRequest, asyncio.Future[Judgment]]] = []
        self._flush: asyncio.Task[None] | None = None
        self.params = {
            "weights": _weights_identity(model, self._model),
            "chat_template_sha256": hashlib.sha256(str(self._tokenizer.chat_template or "").encode()).hexdigest(),
            "device": self.device,
            "dtype": str(next(self._model.parameters()).dtype),
            "readout": "reward_score" if reward else "next_token_logits",
        }

    def _single_tokens(self, label: str) -> np.ndarray:
        ids = {tuple(self._tokenizer(text, add_special_tokens=False)["input_ids"]) for text in (label, f" {label}")}
        tokens = np.array(sorted({t[0] for t in ids if len(t) == 1}), dtype=np.int64)
        if not tokens.size:
            raise JudgeAuditError(f"judge hf:{self.model}: label {label!r} is not a single token")
        return tokens

    def _text(self, messages: tuple[dict[str, str], ...]) -> str:
        if self._tokenizer.chat_template:
            return self._tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=not self.reward)
        return "\n\n".join(m["content"] for m in messages)

    @property
    def context_window(self) -> int | None:
        """The model's position limit, where its config gives one."""
        return getattr(self._model.config, "max_position_embeddings", None)

    def count_tokens(self, messages: tuple[dict[str, str], ...]) -> int:
        """The prompt tokens of ``messages`` as this judge formats them."""
        return len(self._tokenizer(self._text(messages), add_special_tokens=False)["input_ids"])

    def count_text_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    async def judge(self, request: JudgeRequest) -> Judgment:
        future: asyncio.Future[Judgment] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if len(self._pending) >= self.batch_size:
            self._start_batch()
        elif self._flush is None:
            self._flush = asyncio.create_task(self._flush_soon())
        return await future

    async def _flush_soon(self) -> None:
        await asyncio.sleep(0.005)  # let the other requests in flight join the batch
        self._flush = None
        if self._pending:
            self._start_batch()

    def _start_batch(self) -> None:
        batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
        task = asyncio.get_running_loop().run_in_executor(self._executor, self._evaluate, [r for r, _ in batch])

        def deliver(done: asyncio.Future[list[Judgment]]) -> None:
            for (_, future), result in zip(batch, _results(done, len(batch)), strict=True):
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

        task.add_done_callback(deliver)

    def _evaluate(self, requests: list[JudgeRequest]) -> list[Judgment]:
        torch = self._torch
        texts = [self._text(r.messages) for r in requests]
        inputs = self._tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        with torch.no_grad():
            if self.reward:
                logits = self._model(**inputs).logits.float().cpu().numpy()
            else:  # the vocabulary logits of the last position only: the rest is never read
                logits = self._model(**inputs, logits_to_keep=1).logits[:, -1].float().cpu().numpy()
        n_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        answers = []
        for request, row, count in zip(requests, logits, n_tokens, strict=True):
            if self.reward:
                answers.append(Judgment(verdict="score", score=float(row[0]), raw=f"reward={row[0]:.6f}", prompt_tokens=count))
            elif request.task == "score":
                value, mass = expected_digit(row, self._digits)
                answers.append(Judgment(verdict="score", score=value, raw=f"E[rating]={value:.4f} digit mass={mass:.4f}", prompt_tokens=count))
            else:
                p_a, mass = label_probability(row, self._labels)
                verdict = "A" if p_a > 0.5 else "B" if p_a < 0.5 else "tie"
                answers.append(Judgment(verdict=verdict, p_a=p_a, raw=f"P(A)={p_a:.4f} label mass={mass:.4f}", prompt_tokens=count))  # type: ignore[arg-type]
        return answers

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "params": self.params}

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False)


def _results(done: asyncio.Future[list[Judgment]], size: int) -> list[Any]:
    error = done.exception()
    return [error] * size if error is not None else done.result()


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def _weights_identity(name: str, model: Any) -> str:
    """What pins the weights: the content hashes of a local folder's weight files (cached by path,
    size and mtime, as for GGUF files), else the hub revision the files were downloaded at."""
    folder = Path(name).expanduser()
    if folder.is_dir():
        files = sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES)
        if files:
            return "sha256:" + stable_hash([(p.name, file_sha256(p)) for p in files])
    revision = getattr(model.config, "_commit_hash", None)
    if revision:
        return f"hub:{name}@{revision}"
    raise JudgeAuditError(f"judge hf:{name}: cannot pin its weights (no weight files in a folder, no hub revision)")


def causal_from_spec(model: str, options: JudgeOptions) -> HFJudge:
    """``hf:<model dir or hub id>``: a causal LM read from its logits."""
    return HFJudge(model, template=options.prompt("logits"))


def reward_from_spec(model: str, options: JudgeOptions) -> HFJudge:
    """``hf-rm:<model dir or hub id>``: a reward model."""
    return HFJudge(model, reward=True, template=options.prompt("logits"))
