"""Prompt-evaluation speed of the llama.cpp judge: judgeaudit's judge path against a bare loop.

Default: the embedded judge's requests for the sample set, in run order, answered (1) by a bare
llama-cpp-python loop (``Llama(...)`` with its defaults, ``reset()`` + ``eval()`` of each pre-tokenized
prompt, fresh each time) and (2) by judgeaudit's judge (chat templating, tokenization, chunked
evaluation with exact KV-prefix reuse, P(A) readout), on the same GGUF file.

``--formats``: the embedded Q4_1 file and its llama.cpp conversions (F16, BF16, Q8_0, F32, made in a
temporary folder): fresh-evaluation tokens/s, and max |ΔP(A)| against the Q4_1 file and against F32
(the exact dequantized weights) over 30 prompts.

Every measurement runs in a fresh process: ggml's OpenMP keeps a thread team per calling thread, and
a second team in a process (say, the bare loop's) slows the other one down.

    python -m benchmarks.llamacpp_speed [--requests 200] [--rounds 3] [--gguf FILE] [--formats]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.formulations import PAIRWISE
from judgeaudit.judges.gguf import convert
from judgeaudit.judges.llamacpp import CHUNK, SMOLLM2_FORMAT, LlamaCppJudge, smollm2_path
from judgeaudit.schema import JudgeRequest


def isolated(measure: Callable[..., Any], *args: Any) -> Any:
    """``measure(*args)`` in a fresh process."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, *args).result()


def run_requests(judge: LlamaCppJudge, count: int, stride: int = 1) -> list[JudgeRequest]:
    """The first ``count`` distinct requests of a run on the sample set (every ``stride``-th)."""
    probes = build_probes(load_instances(sample_path()), list(load_registry().values()), seed=0)
    requests: dict[str, JudgeRequest] = {}
    for probe in probes:
        request = PAIRWISE.requests(judge, probe)[0]
        requests.setdefault(request.key, request)
    return list(requests.values())[::stride][:count]


def prompt_tokens(path: Path, requests: list[JudgeRequest]) -> list[list[int]]:
    """The prompts exactly as the judge tokenizes them (templating and tokenization run no model)."""
    judge = LlamaCppJudge(path)
    judge._load()
    return [judge._prompt_tokens(list(r.messages)) for r in requests]


def bare_loop(path: Path, tokens: list[list[int]], n_batch: int = 512) -> float:
    """Prompt tokens/s of a bare ``Llama.eval`` loop, each prompt evaluated from scratch."""
    from llama_cpp import Llama

    llm = Llama(str(path), n_ctx=4096, n_batch=n_batch, n_ubatch=n_batch, n_threads=os.cpu_count(), verbose=False)
    started = time.perf_counter()
    for prompt in tokens:
        llm.reset()
        llm.eval(prompt)
    elapsed = time.perf_counter() - started
    llm.close()
    return sum(map(len, tokens)) / elapsed


def judge_path(path: Path, chunk: int, requests: list[JudgeRequest]) -> tuple[float, list[float]]:
    """Prompt tokens/s through ``judge.judge`` (from messages to P(A)), and the P(A) answers."""

    async def answer() -> tuple[float, list[float]]:
        judge = LlamaCppJudge(path, chunk=chunk)
        await judge.judge(requests[0])  # load the model outside the timing, as the bare loop does
        started = time.perf_counter()
        judgments = [await judge.judge(r) for r in requests]
        elapsed = time.perf_counter() - started
        await judge.aclose()
        return sum(j.prompt_tokens for j in judgments) / elapsed, [float(j.p_a or 0.0) for j in judgments]

    return asyncio.run(answer())


def evaluated_share(tokens: list[list[int]], chunk: int) -> float:
    """The share of prompt tokens the judge evaluates (the rest is reused whole-chunk prefix)."""
    evaluated, previous = 0, []
    for prompt in tokens:
        shared = 0
        for cached, new in zip(previous, prompt[:-1], strict=False):
            if cached != new:
                break
            shared += 1
        evaluated += len(prompt) - (shared - shared % chunk)
        previous = prompt
    return evaluated / sum(map(len, tokens))


def compare_paths(path: Path | None, count: int, rounds: int) -> None:
    judge = LlamaCppJudge(path) if path else LlamaCppJudge(smollm2_path(), convert_to=SMOLLM2_FORMAT)
    requests = run_requests(judge, count)
    tokens = prompt_tokens(judge.model_path, requests)
    print(f"file: {judge.model_path} ({judge.model_path.stat().st_size / 1e6:.0f} MB)")
    print(f"{len(requests)} requests in run order, {statistics.mean(map(len, tokens)):.0f} prompt tokens on average")
    print(f"judge evaluates {evaluated_share(tokens, judge.chunk):.0%} of the prompt tokens (chunk {judge.chunk})")
    bare, ours = [], []
    for _ in range(rounds):
        bare.append(isolated(bare_loop, judge.model_path, tokens))
        ours.append(isolated(judge_path, judge.model_path, judge.chunk, requests)[0])
    print(f"bare Llama.eval loop, fresh each prompt: {statistics.median(bare):.0f} prompt tokens/s  {_rounds(bare)}")
    print(f"judgeaudit judge path:                  {statistics.median(ours):.0f} prompt tokens/s  {_rounds(ours)}")
    print(f"judge path / bare loop: {statistics.median(ours) / statistics.median(bare):.2f}")


def compare_formats(count: int, rounds: int) -> None:
    source = smollm2_path()
    requests = run_requests(LlamaCppJudge(source), count, stride=7)
    tokens = prompt_tokens(source, requests)
    print(f"{len(requests)} requests spread over the run, {statistics.mean(map(len, tokens)):.0f} prompt tokens on average")
    measured = {}
    for ftype in ("Q4_1", "F16", "BF16", "Q8_0", "F32"):
        path = source if ftype == "Q4_1" else convert(source, ftype)
        speeds = [statistics.median(isolated(bare_loop, path, tokens, b) for _ in range(rounds)) for b in (512, CHUNK)]
        # Chunks of 512 hold a whole prompt: each P(A) is a fresh evaluation with llama.cpp's defaults.
        measured[ftype] = (path.stat().st_size, speeds, isolated(judge_path, path, 512, requests)[1])
    print(f"format    MB  tok/s n_batch=512  tok/s n_batch={CHUNK}  max|ΔP(A)| (mean) vs Q4_1  vs F32")
    for ftype, (size, speeds, p_a) in measured.items():
        versus = {ref: _deltas(p_a, measured[ref][2]) for ref in ("Q4_1", "F32")}
        print(
            f"{ftype:6} {size / 1e6:5.0f}  {speeds[0]:17.0f}  {speeds[1]:16.0f}"
            f"  {versus['Q4_1'][0]:10.4f} ({versus['Q4_1'][1]:.4f})  {versus['F32'][0]:.4f} ({versus['F32'][1]:.4f})"
        )
    shape = _deltas(isolated(judge_path, source, CHUNK, requests)[1], measured["Q4_1"][2])
    print(f"Q4_1 itself, n_batch {CHUNK} against 512: max|ΔP(A)| {shape[0]:.4f} (mean {shape[1]:.4f})")


def _deltas(values: list[float], reference: list[float]) -> tuple[float, float]:
    deltas = [abs(a - b) for a, b in zip(values, reference, strict=True)]
    return max(deltas), statistics.mean(deltas)


def _rounds(values: list[float]) -> str:
    return "(rounds: " + ", ".join(f"{v:.0f}" for v in values) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="prompts to evaluate")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per measurement (median reported)")
    parser.add_argument("--gguf", type=Path, help="a GGUF file instead of the embedded judge's")
    parser.add_argument("--formats", action="store_true", help="compare conversions of the embedded Q4_1 file")
    args = parser.parse_args()
    if args.formats:
        with tempfile.TemporaryDirectory() as folder:  # the conversions (~1.3 GB) stay out of the user cache
            os.environ["JUDGEAUDIT_CACHE"] = str(Path(folder) / "responses.sqlite")
            compare_formats(min(args.requests, 30), args.rounds)
    else:
        compare_paths(args.gguf, args.requests, args.rounds)


if __name__ == "__main__":
    main()
