"""Throughput of judgeaudit against bare client loops, on a loopback mock judge.

Every client sends the same number of distinct requests to the same server (its own process, fixed
latency), at the same concurrency. Two mocks:

- ``light``: the project's aiohttp mock judge (tests/mock_judge_server.py), cheap per request;
- ``threaded``: a standard-library ``ThreadingHTTPServer`` (a thread per connection, JSON parsed in
  Python), which itself uses CPU: every millisecond the client spends competes with the server, as
  on a shared machine.

Two judgeaudit measurements:

- ``engine``: the per-request path alone (journal, SQLite cache, limiter, retry, judge, verdict parsing);
- ``audit``: a whole ``judgeaudit run`` (planning, probes, engine, statistics, reports written) on a
  synthetic dataset sized to ask about ``--requests`` requests, timed from start to reports written.

Bare loops: ``AsyncOpenAI`` on its default httpx transport and on aiohttp, and optionally litellm's
``acompletion`` (``--litellm``). Each round asks every client in turn; medians are reported.

    python -m benchmarks.throughput --server threaded --requests 4000 --concurrency 64 --latency 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _ThreadedJudge(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint answering a verdict after a fixed sleep (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    latency_s = 0.2

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        content = body["messages"][-1]["content"]
        time.sleep(self.latency_s)
        label = "A" if hashlib.sha256(content.encode()).digest()[0] % 2 else "B"
        text = f"Response {label} is better.\n[[{label}]]"
        answer = json.dumps({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": body.get("model", "mock"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": len(content) // 4, "completion_tokens": 8, "total_tokens": len(content) // 4 + 8},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: 64 clients connecting at once are all accepted


def serve_threaded(latency_s: float) -> None:
    """Serve the threaded mock on a free loopback port; print its base URL; run until killed."""
    _ThreadedJudge.latency_s = latency_s
    server = _Server(("127.0.0.1", 0), _ThreadedJudge)
    print(f"http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    server.serve_forever()


def start_server(kind: str, latency_s: float) -> tuple[subprocess.Popen, str]:
    if kind == "threaded":
        command = [sys.executable, "-m", "benchmarks.throughput", "--serve", "--latency", str(latency_s)]
    else:
        command = [sys.executable, "-m", "tests.mock_judge_server", "--latency", str(latency_s)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return server, server.stdout.readline().strip()


def synthetic_dataset(path: Path, url: str, requests: int, salt: str) -> int:
    """Write a JSONL of sample instances, copied with salted prompts until the pairwise run of
    ``audit_config`` (every template bias) asks about ``requests`` requests; the number of instances written."""
    from judgeaudit.datasets import load_instances, sample_path

    instances = load_instances(sample_path())

    def write(count: int) -> None:
        with path.open("w", encoding="utf-8") as handle:
            for index in range(count):
                source = instances[index % len(instances)]
                record = {
                    "id": f"{salt}-{index}", "prompt": f"{source.prompt} [{salt}-{index}]", "chosen": source.chosen,
                    "rejected": source.rejected, "category": source.category,
                }
                handle.write(json.dumps(record) + "\n")

    write(len(instances))
    per_instance = _planned_requests(audit_config(url, path, 1)) / len(instances)
    count = max(1, round(requests / per_instance))
    write(count)
    return count


def audit_config(url: str, dataset: Path, concurrency: int):  # noqa: ANN201 - imported lazily
    from judgeaudit.config import RunConfig

    return RunConfig(
        judge="openai/mock-judge", api_base=url, mode="pairwise", logprobs=False, dataset=str(dataset),
        concurrency=concurrency, max_tokens=512, exclude=("self_enhancement",),  # no LLM rewrites first
    )


def _planned_requests(config) -> int:  # noqa: ANN001
    from judgeaudit.prepare import plan_run

    with tempfile.TemporaryDirectory() as tmp:
        plan = plan_run(config, Path(tmp))
        asyncio.run(plan.judge.aclose())
    return len(plan.requests)


def salted_requests(url: str, count: int, salt: str) -> dict:
    """``count`` distinct pairwise requests built from the sample probes, salted so no two runs share one."""
    from judgeaudit.biases import build_probes, load_registry
    from judgeaudit.datasets import load_instances, sample_path
    from judgeaudit.formulations import PAIRWISE
    from judgeaudit.judges.openai_compat import OpenAICompatJudge

    judge = OpenAICompatJudge("mock-judge", api_base=url, logprobs=False)
    probes = build_probes(load_instances(sample_path()), list(load_registry().values()), seed=0)
    requests = {}
    for index in range(count):
        probe = probes[index % len(probes)]
        request = PAIRWISE.requests(judge, replace(probe, prompt=f"{probe.prompt} [{salt}-{index}]"))[0]
        requests[request.key] = request
    asyncio.run(judge.aclose())
    return requests


async def bare_openai(url: str, requests: list, concurrency: int, transport: str) -> None:
    from openai import AsyncOpenAI, DefaultAioHttpClient

    http_client = DefaultAioHttpClient() if transport == "aiohttp" else None
    client = AsyncOpenAI(base_url=url, api_key="bench", max_retries=0, http_client=http_client)
    queue = iter(requests)

    async def worker() -> None:
        for request in queue:
            response = await client.chat.completions.create(
                model=request.model, messages=list(request.messages), temperature=0.0, max_tokens=512
            )
            assert response.choices[0].message.content

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await client.close()


async def bare_litellm(url: str, requests: list, concurrency: int) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    queue = iter(requests)

    async def worker() -> None:
        for request in queue:
            response = await litellm.acompletion(
                model=f"openai/{request.model}", messages=list(request.messages), api_base=url, api_key="bench",
                temperature=0.0, max_tokens=512,
            )
            assert response.choices[0].message.content

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def judgeaudit_engine(url: str, requests: dict, concurrency: int, folder: Path) -> None:
    from judgeaudit.engine import Journal, ResponseCache, RetryPolicy, execute
    from judgeaudit.judges.openai_compat import OpenAICompatJudge

    judge = OpenAICompatJudge("mock-judge", api_base=url, logprobs=False)  # as the bare loops ask: no logprobs
    cache = ResponseCache(folder / "cache.sqlite")
    _, counts = await execute(
        requests, judge, Journal(folder / "journal.jsonl"), cache, concurrency=concurrency, retry=RetryPolicy()
    )
    assert counts.calls == len(requests) and counts.failed == 0, counts
    cache.close()
    await judge.aclose()


def judgeaudit_audit(url: str, dataset: Path, concurrency: int, folder: Path) -> int:
    """A whole run, as ``judgeaudit run`` makes it (progress bar included); the calls it made."""
    from judgeaudit.auditing import run_audit
    from judgeaudit.report.progress import AuditProgress

    config = audit_config(url, dataset, concurrency)
    with AuditProgress() as progress:
        result = asyncio.run(run_audit(config, folder, folder / "cache.sqlite", on_start=progress.start, on_answer=progress.advance, on_total=progress.set_total))
    assert result.counts.failed == 0
    return result.counts.calls


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=("light", "threaded"), default="threaded")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--litellm", action="store_true", help="also time a bare litellm.acompletion loop")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_threaded(args.latency)
        return

    for module in ("judgeaudit.auditing", "judgeaudit.report.outputs", "judgeaudit.report.progress"):
        importlib.import_module(module)  # before any clock starts, as the bare loops' SDKs are

    server, url = start_server(args.server, args.latency)
    try:
        times: dict[str, list[float]] = {}
        asked: dict[str, int] = {}
        for round_no in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                dataset = folder / "data.jsonl"
                synthetic_dataset(dataset, url, args.requests, f"a{round_no}")
                elapsed, calls = timed(judgeaudit_audit, url, dataset, args.concurrency, folder / "out")
                times.setdefault("judgeaudit run (whole audit)", []).append(elapsed)
                asked["judgeaudit run (whole audit)"] = calls
                n = calls  # every other client asks as many requests as the audit did
                requests = salted_requests(url, n, f"e{round_no}")
                (folder / "engine").mkdir()
                elapsed, _ = timed(asyncio.run, judgeaudit_engine(url, requests, args.concurrency, folder / "engine"))
                times.setdefault("judgeaudit engine only", []).append(elapsed)
                asked["judgeaudit engine only"] = n
            clients = [("bare AsyncOpenAI (httpx)", "httpx"), ("bare AsyncOpenAI (aiohttp)", "aiohttp")]
            for name, transport in clients:
                requests = list(salted_requests(url, n, f"{transport}{round_no}").values())
                elapsed, _ = timed(asyncio.run, bare_openai(url, requests, args.concurrency, transport))
                times.setdefault(name, []).append(elapsed)
                asked[name] = n
            if args.litellm:
                requests = list(salted_requests(url, n, f"litellm{round_no}").values())
                elapsed, _ = timed(asyncio.run, bare_litellm(url, requests, args.concurrency))
                times.setdefault("bare litellm.acompletion", []).append(elapsed)
                asked["bare litellm.acompletion"] = n
            print(f"round {round_no + 1}: " + ", ".join(f"{k} {asked[k] / v[-1]:.1f} req/s" for k, v in times.items()), flush=True)
        rates = {name: asked[name] / statistics.median(values) for name, values in times.items()}
        ideal = args.concurrency / args.latency
        print(f"\n{args.server} mock, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, "
              f"{n} requests, {args.rounds} rounds (median); ideal N·latency/concurrency = {ideal:.1f} req/s")
        for name, rate in rates.items():
            print(f"{name:32s} {rate:7.1f} req/s  ({rate / ideal:.2f} of ideal)")
        best = max(rate for name, rate in rates.items() if name.startswith("bare AsyncOpenAI"))
        for name in ("judgeaudit run (whole audit)", "judgeaudit engine only"):
            print(f"{name} / best bare AsyncOpenAI loop: {rates[name] / best:.3f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
