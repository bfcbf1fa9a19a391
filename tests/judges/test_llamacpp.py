"""The llama.cpp judge on the real embedded model: exact KV-prefix reuse, weight identity, caches."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.judges import gguf, llamacpp
from judgeaudit.judges.cpu_share import FreeCores
from judgeaudit.judges.llamacpp import SMOLLM2_FORMAT, LlamaCppJudge, smollm2_path
from judgeaudit.judges.registry import resolve_judge
from judgeaudit.prompts.templates import PAIRWISE_LOGIT
from judgeaudit.schema import JudgeRequest

QUESTIONS = {
    "What is 17 multiplied by 24?": (
        "17 multiplied by 24 is 408, since 17 × 20 = 340 and 17 × 4 = 68, and 340 + 68 = 408.",
        "17 multiplied by 24 is 418, since 17 × 20 = 340 and 17 × 4 = 78, and 340 + 78 = 418.",
    ),
    "Which planet in our solar system has the most moons, and roughly how many are known?": (
        "Saturn has the most known moons: well over 140 confirmed, more than Jupiter's roughly 95.",
        "Jupiter has the most moons, about 80, far more than any other planet in the solar system.",
    ),
    "Explain in one or two sentences why the sky is blue.": (
        "Air molecules scatter short blue wavelengths of sunlight much more than red ones (Rayleigh "
        "scattering), so blue light reaches our eyes from every direction of the sky.",
        "The sky is blue because it reflects the colour of the oceans, which cover most of the Earth.",
    ),
}
NOTE = "Most people who read both answers preferred Response B."


def judge_messages() -> list[tuple[dict[str, str], ...]]:
    """12 judge prompts in run order: per question the pair, the same pair again (a repeat), the pair
    with a note after the responses, and the pair in the other order.

    Neighbours share the system prompt and question, often both responses too, so the shared prefix
    ends at different offsets, mid-chunk included, down to a one-token suffix for the repeat.
    """
    prompts = []
    for question, (better, worse) in QUESTIONS.items():
        for first, second, note in ((better, worse, ""), (better, worse, ""), (better, worse, NOTE), (worse, better, "")):
            body = (
                f"[User Question]\n{question}\n\n[The Start of Response A]\n{first}\n[The End of Response A]\n\n"
                f"[The Start of Response B]\n{second}\n[The End of Response B]\n{note}\n"
                "Which response is better? Answer with a single letter, A or B."
            )
            prompts.append(({"role": "system", "content": PAIRWISE_LOGIT.system}, {"role": "user", "content": body}))
    return prompts


def request(judge: LlamaCppJudge, messages: tuple[dict[str, str], ...]) -> JudgeRequest:
    return JudgeRequest(judge.backend, judge.model, messages, dict(judge.params), judge.template.hash)


def last_logits(judge: LlamaCppJudge, messages: tuple[dict[str, str], ...]) -> np.ndarray:
    """The judge's evaluation of one prompt (its KV-reusing path, on its thread): the last logits."""

    def evaluate() -> np.ndarray:
        if judge._llm is None:
            judge._load()
        return judge._evaluate(judge._prompt_tokens(list(messages)))

    return llamacpp._COMPUTE.submit(evaluate).result()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private user cache folder for this module (hashes and the converted embedded model)."""
    folder = tmp_path_factory.mktemp("judgeaudit-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUDGEAUDIT_CACHE", str(folder / "responses.sqlite"))
        yield folder
    for converted in folder.glob("*.gguf"):  # 540 MB: not for pytest's kept temporary folders
        converted.unlink()


@pytest.fixture(scope="module")
def embedded(cache_dir: Path) -> Path:
    """The embedded judge's converted weights, made once for the module."""
    return gguf.convert(smollm2_path(), SMOLLM2_FORMAT)


def shared_prefix(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


@pytest.mark.slow
def test_prefix_reuse_gives_bit_identical_logits(embedded: Path) -> None:
    prompts = judge_messages()
    reusing = LlamaCppJudge(embedded)
    in_sequence = [last_logits(reusing, m) for m in prompts]
    tokens = [reusing._prompt_tokens(list(m)) for m in prompts]
    shared = [shared_prefix(a, b) for a, b in zip(tokens, tokens[1:], strict=False)]
    assert min(shared) >= reusing.chunk and any(s % reusing.chunk for s in shared)  # reuse happens, mid-chunk too
    # A one-token suffix (the repeat) is where unaligned reuse is not exact: a batch of one token
    # takes another matmul kernel than the same token evaluated inside its chunk.
    assert tokens[0] == tokens[1]
    alone_p_a = []
    for messages, logits in zip(prompts, in_sequence, strict=True):
        alone = LlamaCppJudge(embedded)
        assert np.array_equal(last_logits(alone, messages), logits)
        alone_p_a.append(asyncio.run(alone.judge(request(alone, messages))).p_a)
        asyncio.run(alone.aclose())
    # P(A) through the public path, backwards after the forward pass: bit for bit what a judge that
    # saw only that prompt answers.
    backwards = [asyncio.run(reusing.judge(request(reusing, m))).p_a for m in reversed(prompts)]
    assert backwards[::-1] == alone_p_a
    asyncio.run(reusing.aclose())


@pytest.mark.slow
def test_same_request_twice_gives_identical_answers(embedded: Path) -> None:
    judge = LlamaCppJudge(embedded)
    asked = request(judge, judge_messages()[0])
    first, second = (asyncio.run(judge.judge(asked)) for _ in range(2))
    assert (first.p_a, first.raw, first.verdict) == (second.p_a, second.raw, second.verdict)
    assert 0.0 < first.p_a < 1.0
    asyncio.run(judge.aclose())


@pytest.mark.slow
def test_params_identify_the_weights_without_loading(embedded: Path, tmp_path: Path) -> None:
    original, converted = tmp_path / "a" / "model.gguf", tmp_path / "b" / "model.gguf"
    for link, target in ((original, smollm2_path()), (converted, embedded)):
        link.parent.mkdir()
        link.symlink_to(target)
    first, second = LlamaCppJudge(original), LlamaCppJudge(converted)
    assert first.model == second.model == "model.gguf"
    assert first.params["weights_sha256"] == gguf.file_sha256(smollm2_path())
    assert second.params["weights_sha256"] == gguf.file_sha256(embedded) != first.params["weights_sha256"]
    assert request(first, judge_messages()[0]).key != request(second, judge_messages()[0]).key
    assert first.params["chat_template_sha256"] == second.params["chat_template_sha256"]
    assert {"n_ctx", "chunk", "readout", "labels"} <= set(first.params)
    assert first._llm is None and second._llm is None  # identity never loads the model
    described = first.describe()
    assert described["model_sha256"] == first.params["weights_sha256"] and described["params"] == first.params
    assert "converted" not in described  # a user's file is evaluated as deployed


@pytest.mark.slow
def test_embedded_judge_records_its_conversion(embedded: Path) -> None:
    judge = resolve_judge("smollm2")
    assert judge.model_path == embedded and embedded.parent == gguf.cache_folder()
    described = judge.describe()
    assert described["model_sha256"] == gguf.file_sha256(embedded)
    assert described["converted"]["format"] == SMOLLM2_FORMAT
    assert described["converted"]["source_sha256"] == gguf.file_sha256(smollm2_path())
    user = resolve_judge(f"llamacpp:{smollm2_path()}")
    assert user.model_path == smollm2_path() and user.params != judge.params


def test_hashes_are_cached_by_path_size_and_mtime(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"first weights")
    first = hashlib.sha256(b"first weights").hexdigest()
    assert gguf.file_sha256(weights) == first
    assert (cache_dir / gguf.HASHES_FILE).is_file()
    with monkeypatch.context() as patch:
        patch.setattr(gguf.hashlib, "sha256", lambda: pytest.fail("hashed again"))
        assert gguf.file_sha256(weights) == first
    weights.write_bytes(b"other weights")  # same size: only the mtime tells them apart
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert gguf.file_sha256(weights) == hashlib.sha256(b"other weights").hexdigest()


@pytest.mark.slow
def test_conversion_is_reused_while_its_hash_matches(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp

    with monkeypatch.context() as patch:
        patch.setattr(llama_cpp, "llama_model_quantize", lambda *_: pytest.fail("converted again"))
        assert gguf.convert(smollm2_path(), SMOLLM2_FORMAT) == embedded
    recorded = gguf.file_sha256(embedded)
    with embedded.open("r+b") as handle:  # damage the copy: it is converted again, atomically
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last[0] ^ 0xFF]))
    assert gguf.convert(smollm2_path(), SMOLLM2_FORMAT) == embedded
    assert gguf.file_sha256(embedded) == recorded
    assert not [p for p in embedded.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_answers_do_not_depend_on_the_thread_count(embedded: Path) -> None:
    """The embedded judge changes its thread count with the machine's load (``FreeCores``); a fixed
    count of 1 or 2, or a change between requests, gives bit-identical answers."""
    prompts = judge_messages()[::3]
    answers = {}
    for threads in (1, 2):
        judge = LlamaCppJudge(embedded, n_threads=threads)
        answers[threads] = [asyncio.run(judge.judge(request(judge, m))).p_a for m in prompts]
        asyncio.run(judge.aclose())
    changing = LlamaCppJudge(embedded)
    machine = {"now": 0.0, "busy": 0.0}  # a 2-core machine where another process comes and goes
    changing._threads = FreeCores(2, busy=lambda: machine["busy"], own=lambda: 0.0, clock=lambda: machine["now"])
    switched, used = [], []
    for index, messages in enumerate(prompts):
        machine["now"] += 1.0
        machine["busy"] += 1.0 if index % 2 == 0 else 0.0  # busy one second in two
        switched.append(asyncio.run(changing.judge(request(changing, messages))).p_a)
        used.append(changing._running_threads)
    asyncio.run(changing.aclose())
    assert used == [1, 2, 1, 2] and answers[1] == answers[2] == switched and len(set(switched)) > 1
