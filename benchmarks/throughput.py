"""Throughput of judgeaudit's engine against a bare AsyncOpenAI loop, on a loopback mock judge.

Both clients send the same requests to the same server (its own process, fixed latency), at the same
concurrency. judgeaudit's path is the full per-request path of a run: journal, SQLite cache lookup
and write, retry wrapper, the OpenAI-compatible judge and strict verdict parsing.

    python benchmarks/throughput.py --requests 2000 --concurrency 64 --latency 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from openai import AsyncOpenAI, DefaultAioHttpClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.engine import Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.formulations import PAIRWISE
from judgeaudit.judges.openai_compat import OpenAICompatJudge


def make_requests(judge: OpenAICompatJudge, count: int, salt: str) -> dict:
    """``count`` distinct requests built from the sample probes, salted so no two runs share one."""
    probes = build_probes(load_instances(sample_path()), list(load_registry().values()), seed=0)
    requests = {}
    for index in range(count):
        probe = probes[index % len(probes)]
        salted = replace(probe, prompt=f"{probe.prompt} [{salt}-{index}]")
        request = PAIRWISE.requests(judge, salted)[0]
        requests[request.key] = request
    return requests


async def bare_loop(url: str, requests: dict, concurrency: int, aiohttp: bool) -> float:
    http_client = DefaultAioHttpClient() if aiohttp else None
    client = AsyncOpenAI(base_url=url, api_key="bench", max_retries=0, http_client=http_client)
    queue = iter(list(requests.values()))

    async def worker() -> None:
        for request in queue:
            response = await client.chat.completions.create(
                model=request.model, messages=list(request.messages), temperature=0.0, max_tokens=512
            )
            assert response.choices[0].message.content

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def judgeaudit_engine(url: str, requests: dict, concurrency: int, folder: Path) -> float:
    judge = OpenAICompatJudge("mock-judge", api_base=url, logprobs=False)  # as the bare loops ask: no logprobs
    cache = ResponseCache(folder / "cache.sqlite")
    started = time.perf_counter()
    _, counts = await execute(
        requests, judge, Journal(folder / "journal.jsonl"), cache, concurrency=concurrency, retry=RetryPolicy()
    )
    elapsed = time.perf_counter() - started
    assert counts.calls == len(requests) and counts.failed == 0
    cache.close()
    await judge.aclose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.mock_judge_server", "--latency", str(args.latency)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        url = server.stdout.readline().strip()
        ideal = args.requests * args.latency / args.concurrency
        template_judge = OpenAICompatJudge("mock-judge", api_base=url, logprobs=False)
        times: dict[str, list[float]] = {"bare_httpx": [], "bare_aiohttp": [], "judgeaudit": []}
        n = args.requests
        for round_no in range(args.rounds):
            for aiohttp, name in ((False, "bare_httpx"), (True, "bare_aiohttp")):
                requests = make_requests(template_judge, n, f"{name}{round_no}")
                times[name].append(asyncio.run(bare_loop(url, requests, args.concurrency, aiohttp)))
            with tempfile.TemporaryDirectory() as tmp:
                requests = make_requests(template_judge, n, f"j{round_no}")
                times["judgeaudit"].append(asyncio.run(judgeaudit_engine(url, requests, args.concurrency, Path(tmp))))
            print(f"round {round_no + 1}: " + ", ".join(f"{k} {n / v[-1]:.1f} req/s" for k, v in times.items()))
        rates = {name: n / statistics.median(values) for name, values in times.items()}
        ideal_rate = n / ideal
        print(f"ideal (N·latency/concurrency):       {ideal_rate:.1f} req/s")
        for name, label in (
            ("bare_httpx", "bare AsyncOpenAI loop (httpx):"),
            ("bare_aiohttp", "bare AsyncOpenAI loop (aiohttp):"),
            ("judgeaudit", "judgeaudit engine:"),
        ):
            print(f"{label:37s}{rates[name]:.1f} req/s ({rates[name] / ideal_rate:.2f} of ideal)")
        best_bare = max(rates["bare_httpx"], rates["bare_aiohttp"])
        print(f"judgeaudit / best bare loop:         {rates['judgeaudit'] / best_bare:.3f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
