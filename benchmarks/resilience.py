"""The engine under faults and kills: nothing lost, nothing duplicated, nothing paid twice.

(b) ``faults``: a mock judge answers a share of first asks with 429 (with Retry-After), 500, or a
    hang past the client's timeout; every judgment must end answered or recorded as failed, none lost
    or duplicated; reports the wall time against the same run without faults.
(c) ``kill``: ``judgeaudit run`` is killed with SIGKILL at random moments and rerun until it finishes;
    reports the calls asked again (at most the concurrency per kill) and checks that the summary's
    results equal an uninterrupted run's.

    python -m benchmarks.resilience faults --limit 30 --share 0.2
    python -m benchmarks.resilience kill --limit 30 --kills 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from judgeaudit.datasets import sample_path
from judgeaudit.engine import Journal
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer, chosen_texts_of

ROOT = Path(__file__).resolve().parent.parent


def behaviour(latency_s: float) -> JudgeBehaviour:
    path = str(sample_path())
    return JudgeBehaviour(chosen_texts=chosen_texts_of(path), rejected_texts=chosen_texts_of(path, "rejected"), latency_s=latency_s)


def run_command(url: str, out: Path, limit: int, concurrency: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "judgeaudit.cli", "run", "--judge", "openai/mock-judge", "--api-base", url,
        "--mode", "pairwise", "--limit", str(limit), "--concurrency", str(concurrency), "--out", str(out),
        "--no-cache", "--exclude", "self_enhancement", *extra,
    ]


def results(run_dir: Path) -> dict:
    """What a run found: every bias's result (timings and this invocation's counts left out)."""
    summary = json.loads((run_dir / "summary.json").read_text())
    return {"biases": summary["biases"], "position": summary.get("position"), "calls": summary.get("calls")}


def only_run(out: Path) -> Path:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def timed_run(url: str, out: Path, args: argparse.Namespace, *extra: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(run_command(url, out, args.limit, args.concurrency, *extra), cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - started, done


def faults(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with MockJudgeServer(behaviour(args.latency)) as server:
            clean_s, done = timed_run(server.url, Path(tmp) / "clean", args)
            assert done.returncode == 0, done.stderr
            clean = results(only_run(Path(tmp) / "clean"))
        share = args.share / 3  # a third each: 429 with Retry-After, 500, a hang past the timeout
        faulty = behaviour(args.latency)
        faulty.rate_limit_share, faulty.retry_after = share, args.retry_after
        faulty.fail_share, faulty.fail_status = share, 500
        faulty.slow_share, faulty.slow_s = share, args.timeout * 2
        with MockJudgeServer(faulty) as server:
            fault_s, done = timed_run(server.url, Path(tmp) / "faults", args, "--timeout", str(args.timeout))
            run_dir = only_run(Path(tmp) / "faults")
            summary = json.loads((run_dir / "summary.json").read_text())
            planned = json.loads((run_dir / "manifest.json").read_text())["n_requests"]
            lines = [json.loads(line)["key"] for line in (run_dir / "journal.jsonl").read_text().splitlines()]
            answered = Journal(run_dir / "journal.jsonl").load()
            counts = summary["this_invocation"]
        print(f"faults: {server.failures} failed asks of {server.requests} requests to the server "
              f"({args.share:.0%} of questions planted: 429 + Retry-After {args.retry_after} s, 500, a hang past a {args.timeout:g} s timeout)")
        print(f"  exit {done.returncode}; requests planned {planned}; in the journal {len(set(lines))} "
              f"(answered {len(answered)}, failed {len(set(lines)) - len(answered)}); duplicated lines {len(lines) - len(set(lines))}; "
              f"retries {counts['retries']}")
        statuses = Counter(status for _, status in server.faults)
        print(f"  planted faults answered, by HTTP status: {dict(sorted(statuses.items()))}")
        print(f"  results equal to the clean run's: {results(run_dir) == clean}")
        print(f"  wall time {fault_s:.1f} s with faults, {clean_s:.1f} s without")
        assert len(set(lines)) == planned and len(lines) == planned


def kill(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        with MockJudgeServer(behaviour(args.latency)) as server:
            clean_s, done = timed_run(server.url, Path(tmp) / "clean", args)
            assert done.returncode == 0, done.stderr
            clean = results(only_run(Path(tmp) / "clean"))
            clean_asks = Counter(server.bodies)
            total = server.answered
        with MockJudgeServer(behaviour(args.latency)) as server:
            out = Path(tmp) / "killed"
            kills = []
            for _ in range(args.kills):
                proc = subprocess.Popen(run_command(server.url, out, args.limit, args.concurrency), cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                # A random moment while it asks: after a random number of answers, up to a share of the run.
                target = server.answered + rng.randint(1, max(1, total // (args.kills + 1)))
                started = time.perf_counter()
                while server.answered < target and proc.poll() is None:
                    time.sleep(0.001)
                moment = time.perf_counter() - started
                if proc.poll() is not None:
                    break
                before = server.answered
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                time.sleep(args.latency + 0.2)  # the server finishes what was in flight at the kill
                journaled = len(Journal(only_run(out) / "journal.jsonl").load())
                kills.append((round(moment, 1), before, journaled))
            started = time.perf_counter()
            done = subprocess.run(run_command(server.url, out, args.limit, args.concurrency), cwd=ROOT, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            asks = Counter(server.bodies)
        repeated = sum((asks - clean_asks).values())
        same = results(only_run(out)) == clean
        print(f"kill -9: {len(kills)} kills, at {[k[0] for k in kills]} s after start; "
              f"{total} calls in an uninterrupted run; concurrency {args.concurrency}")
        print(f"  calls asked again across all kills: {repeated} (at most {args.concurrency} per kill: "
              f"{args.concurrency * len(kills)}); per kill, answered by the server vs journaled: {[k[1:] for k in kills]}")
        print(f"  summary results identical to an uninterrupted run: {same}")
        print(f"  uninterrupted run {clean_s:.1f} s; final resume {time.perf_counter() - started:.1f} s")
        assert same and repeated <= args.concurrency * max(1, len(kills))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("faults", "kill"))
    parser.add_argument("--limit", type=int, default=30, help="instances of the bundled sample")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--share", type=float, default=0.2, help="faults: share of questions whose first ask fails")
    parser.add_argument("--timeout", type=float, default=2.0, help="faults: the client's per-request timeout")
    parser.add_argument("--retry-after", default="1", help="faults: the 429s' Retry-After, in seconds (it pauses every call to the judge)")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("JUDGEAUDIT_CACHE", str(Path(tempfile.gettempdir()) / "resilience-unused.sqlite"))
    {"faults": faults, "kill": kill}[args.what](args)


if __name__ == "__main__":
    main()
