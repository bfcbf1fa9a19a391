"""The embedded judge quiet and under load: requests per second on this machine alone, and with one other
process at normal priority keeping one core busy (a browser, an IDE indexing, a second job).

Two thread policies, measured in the same run on the same requests (the default run's, in order): the
judge's own (``FreeCores``: the cores the other processes leave free, re-measured as it runs) and the
one it had before (as many threads as cores, fixed), alternating over rounds (a fresh judge each time;
quiet rates varied by up to 15% from one load of the model to the next), medians reported. Goal: under load at
least 0.45 of the quiet rate (one core of two is the fair share), and the quiet rate no lower than the
fixed policy's.

    python -m benchmarks.embedded_load [--requests 120] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from judgeaudit.config import RunConfig
from judgeaudit.judges.cpu_share import usable_cores
from judgeaudit.judges.llamacpp import SMOLLM2_FORMAT, LlamaCppJudge, smollm2_path
from judgeaudit.prepare import plan_run
from judgeaudit.prompts.templates import TEMPLATES
from judgeaudit.schema import JudgeRequest

HOG = "while True: pass"


def default_requests(count: int) -> list[JudgeRequest]:
    """The first ``count`` requests of the default run (the embedded judge on the bundled sample)."""
    with tempfile.TemporaryDirectory() as folder:
        plan = plan_run(RunConfig(), Path(folder))
    return [request for request in plan.requests.values() if request is not None][:count]


def judge_with(threads: int | None) -> LlamaCppJudge:
    """The embedded judge as ``run`` builds it, with a fixed thread count (None: its own policy)."""
    template = TEMPLATES["pointwise", "logits"]
    return LlamaCppJudge(smollm2_path(), model="SmolLM2-135M-Instruct-Q4_1", convert_to=SMOLLM2_FORMAT, template=template, n_threads=threads)


async def rate(judge: LlamaCppJudge, requests: list[JudgeRequest]) -> float:
    """Requests per second, asked one after another as the engine asks an in-process judge."""
    started = time.perf_counter()
    for request in requests:
        await judge.judge(request)
    return len(requests) / (time.perf_counter() - started)


async def measure(judge: LlamaCppJudge, requests: list[JudgeRequest]) -> tuple[float, float]:
    """(quiet, loaded) requests per second; the model warmed up first."""
    await judge.judge(requests[0])
    quiet = await rate(judge, requests)
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        time.sleep(1.0)
        loaded = await rate(judge, requests)
    finally:
        hog.kill()
        hog.wait()
    return quiet, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    requests = default_requests(args.requests)
    cores = usable_cores()
    policies = {"as many as cores, fixed (before)": cores, "the cores left free (FreeCores)": None}
    rates: dict[str, list[tuple[float, float]]] = {label: [] for label in policies}
    for round_ in range(args.rounds):
        for label in sorted(policies, reverse=round_ % 2 == 1):  # alternate which goes first
            judge = judge_with(policies[label])
            rates[label].append(asyncio.run(measure(judge, requests)))
            asyncio.run(judge.aclose())
            print(f"round {round_ + 1}: {label}: quiet {rates[label][-1][0]:.2f}, loaded {rates[label][-1][1]:.2f}", flush=True)
    print(f"\n{len(requests)} requests of the default run, {cores} cores, one busy process at normal priority as the load; medians of {args.rounds} rounds\n")
    print("| threads | quiet, requests/s | loaded, requests/s | loaded / quiet |")
    print("|---|---:|---:|---:|")
    for label, measured in rates.items():
        quiet, loaded = (statistics.median(values) for values in zip(*measured, strict=True))
        print(f"| {label} | {quiet:.2f} | {loaded:.2f} | {loaded / quiet:.2f} |")


if __name__ == "__main__":
    main()
