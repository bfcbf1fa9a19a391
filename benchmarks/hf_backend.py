"""The transformers backend against another backend of the same weights, and its speed by batch size.

Asks every control request of the sample set (both orders; pairwise and pointwise-reference by
default) of one judge, all at once so that the hf: judge batches them, and prints requests/s. With
``--save`` it writes every answer (P(A) or the expected rating, keyed by the messages asked); with ``--compare``
it sets them beside a saved file: the largest and mean difference, the correlation, and how many
verdicts agree. Used to check hf: on a GPU against the embedded llama.cpp judge (benchmarks/README.md).

    python -m benchmarks.hf_backend --judge smollm2 --save llamacpp.json
    python -m benchmarks.hf_backend --judge hf:/path/to/model --batch-sizes 8,32,64 --compare llamacpp.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import numpy as np

from judgeaudit.biases.probes import shared_probes
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.formulations import Formulation
from judgeaudit.judges import resolve_judge
from judgeaudit.schema import CONTROL, JudgeRequest, stable_hash


def _content_key(request: JudgeRequest) -> str:
    """What was asked, whoever was asked (a request's own key also names the backend)."""
    return stable_hash([list(request.messages), request.task])


async def answers(judge_spec: str, mode: str, batch_size: int | None) -> tuple[dict[str, float], float, int]:
    """Every distinct control request of ``mode``: its answer (P(A) or rating), the seconds, the prompt tokens."""
    formulation = Formulation(mode)
    judge = resolve_judge(judge_spec, kind=formulation.kind)
    if batch_size:
        judge.batch_size = judge.max_concurrency = batch_size
    probes = [p for i in load_instances(sample_path()) for p in shared_probes(i) if p.condition == CONTROL]
    requests = list({_content_key(r): r for p in probes for r in formulation.requests(judge, p)}.values())
    limit = asyncio.Semaphore(judge.max_concurrency or 1)

    async def ask(request):
        async with limit:
            return await judge.judge(request)

    started = time.perf_counter()
    judged = await asyncio.gather(*(ask(r) for r in requests))
    elapsed = time.perf_counter() - started
    await judge.aclose()
    values = {_content_key(r): (j.p_a if j.p_a is not None else j.score) for r, j in zip(requests, judged, strict=True)}
    return values, elapsed, sum(j.prompt_tokens or 0 for j in judged)


def comparison(mine: dict[str, float], theirs: dict[str, float], mode: str) -> str:
    keys = sorted(set(mine) & set(theirs))
    a, b = np.array([mine[k] for k in keys]), np.array([theirs[k] for k in keys])
    middle = 0.5 if "pairwise" in mode else None
    agree = f"{np.mean((a > middle) == (b > middle)):.3f}" if middle is not None else "–"
    return (
        f"| {mode} | {len(keys)} | {np.max(np.abs(a - b)):.4f} | {np.mean(np.abs(a - b)):.4f} | "
        f"{np.corrcoef(a, b)[0, 1]:.4f} | {agree} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", default="smollm2")
    parser.add_argument("--modes", default="pairwise,pointwise-reference")
    parser.add_argument("--batch-sizes", default="", help="comma-separated; hf: judges only")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    sizes = [int(s) for s in args.batch_sizes.split(",") if s] or [None]
    saved: dict[str, dict[str, float]] = {}
    print("| mode | batch size | requests | time | requests/s | prompt tokens/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode in args.modes.split(","):
        for size in sizes:
            values, elapsed, tokens = asyncio.run(answers(args.judge, mode, size))
            print(f"| {mode} | {size or 'default'} | {len(values)} | {elapsed:.1f} s | {len(values) / elapsed:.1f} | {tokens / elapsed:.0f} |", flush=True)
        saved[mode] = values
    if args.save:
        args.save.write_text(json.dumps(saved))
    if args.compare:
        theirs = json.loads(args.compare.read_text())
        print(f"\nagainst {args.compare.name}:\n")
        print("| mode | requests | max abs difference | mean abs difference | correlation | same verdict |")
        print("|---|---:|---:|---:|---:|---:|")
        for mode, values in saved.items():
            print(comparison(values, theirs[mode], mode))


if __name__ == "__main__":
    main()
