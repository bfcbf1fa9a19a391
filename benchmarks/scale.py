"""An audit of 100k judgments: judgments.jsonl size, write time, rebuild time and peak memory.

Builds a synthetic run folder as ``judgeaudit run`` writes it (manifest.json and judgments.jsonl,
through the real writer): the real probes of every template bias and position for synthetic
instances, answered by a fast deterministic fake judge with a planted pull toward three cues, a
position lean, ties, unparseable answers and failed calls. Then it times (a) writing
judgments.jsonl and (b) ``judgeaudit report RUN`` (``judgeaudit.auditing.rebuild``: read, statistics
with their bootstraps and permutation tests, summary.json, report.html and report.md) in a fresh
process, whose peak RSS it reports.

With ``--run``, it times instead a whole ``judgeaudit run`` of about that many requests (pairwise,
every template bias, concurrency 64, no cache) on synthetic instances, answered by a Python judge
(``scale_verdict``): planning, engine, judgments.jsonl, statistics and reports, with the run's peak RSS.

    python -m benchmarks.scale [--judgments 100000] [--biases all|N] [--keep DIR] [--run]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.config import RunConfig
from judgeaudit.runs import JUDGMENTS, LABELS, MANIFEST, spec_record, write_json, write_judgments, write_labels
from judgeaudit.schema import CUE_ON_BETTER, CUE_ON_WORSE, Instance, Judgment, Probe
from judgeaudit.stats.judged import InstanceLabels

ROOT = Path(__file__).resolve().parent.parent

PULLED = {"verbosity": 0.15, "authority": 0.10, "bandwagon": 0.05}
"""The fake judge's true pull toward these cues (on the probability that the better response wins)."""
WORDS = (
    "the answer depends on how the values are measured and which units the question assumes so we first "
    "convert every quantity then compare results carefully because small rounding errors can change a "
    "conclusion in practice most cases follow the simple rule while edge cases need a closer look"
).split()
RAW = {
    "A": "Both responses address the question. Response A is more accurate and complete.\n\n[[A]]",
    "B": "Both responses address the question. Response B is more accurate and complete.\n\n[[B]]",
    "tie": "The two responses are equally good.\n\n[[C]]",
    "unparseable": "I cannot decide between these two responses without more context.",
}


def _sentences(rng: random.Random, count: int) -> str:
    return " ".join(" ".join(rng.choices(WORDS, k=rng.randint(8, 16))).capitalize() + "." for _ in range(count))


def synthetic_instances(n: int) -> list[Instance]:
    """Distinct instances with multi-sentence responses of realistic length (60 to 200 words)."""
    made = []
    for i in range(n):
        rng = random.Random(i)
        made.append(
            Instance(
                id=f"scale-{i:06d}",
                prompt=f"Question {i}: {_sentences(rng, 2)}",
                chosen=_sentences(rng, rng.randint(5, 12)),
                rejected=_sentences(rng, rng.randint(4, 12)),
                category=("math", "coding", "writing", "reasoning", "facts")[i % 5],
                reference=_sentences(rng, 2),
            )
        )
    return made


def _unit(*parts: object) -> float:
    return zlib.crc32("|".join(map(str, parts)).encode()) / 2**32


def fake_judgment(probe: Probe) -> Judgment:
    """A deterministic verdict: mostly right, pulled toward some cues, leaning to the first slot."""
    draw = _unit(probe.instance_id, probe.bias, probe.condition, probe.order, probe.replicate)
    if draw < 0.002:
        return Judgment("error", error="HTTP 503: the server is overloaded, retry later", latency_s=30.0)
    if draw > 0.99:
        return Judgment("unparseable", raw=RAW["unparseable"], prompt_tokens=400, completion_tokens=14)
    sign = {CUE_ON_BETTER: 1, CUE_ON_WORSE: -1}.get(probe.condition, 0)
    p_better = 0.7 + sign * PULLED.get(probe.bias or "", 0.0) + (0.05 if probe.order == "chosen_first" else -0.05)
    p_better += 0.2 * (_unit(probe.instance_id) - 0.5)
    if abs(draw / 0.99 - p_better) < 0.02:
        verdict = "tie"
    else:
        worse = "B" if probe.correct == "A" else "A"
        verdict = probe.correct if draw / 0.99 < p_better else worse
    return Judgment(verdict, raw=RAW[verdict], prompt_tokens=400, completion_tokens=20, cost_usd=0.0002, latency_s=0.8)


def request_key(probe: Probe) -> str:
    """A stand-in for the request's hash: what the judge is shown (identical probes share it)."""
    shown = "\x00".join((probe.prompt, probe.response_a, probe.response_b, probe.prompt_note, probe.attribution_a, probe.attribution_b, str(probe.replicate)))
    return hashlib.sha256(shown.encode()).hexdigest()


def benchmark_specs(biases: str) -> list[BiasSpec]:
    """Position and the template biases (all, or the first N by name); ``self`` needs a generating judge."""
    registry = load_registry()
    templates = [spec for spec in registry.values() if spec.method == "template"]
    return [registry["position"], *(templates if biases == "all" else templates[: int(biases)])]


def manifest(run_id: str, specs: list[BiasSpec], n_instances: int, n_probes: int) -> dict:
    config = RunConfig(judge="fake/scale", dataset="scale.jsonl").to_dict()
    return {
        "run_id": run_id,
        "tool": {"name": "judgeaudit", "version": "benchmark", "design": 2},
        "config": config,
        "judge": {"backend": "fake", "model": "scale"},
        "mode": "pairwise",
        "prompt_template": {"name": "pairwise", "hash": "0" * 16},
        "dataset": {"name": "scale.jsonl", "path": "scale.jsonl", "sha256": "0" * 64, "n_instances": n_instances},
        "biases": [spec_record(spec) for spec in specs],
        "seed": 0,
        "skipped_biases": {},
        "rewriter": None,
        "n_probes": n_probes,
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:00:00+00:00",
    }


def _legacy_record(probe: Probe, judgment: Judgment, key: str) -> dict:
    """A judgment line as the first format wrote it (every text repeated on every line): for the size comparison."""
    return asdict(probe) | {"request_keys": [key]} | judgment.to_dict()


def build_run(run_dir: Path, judgments: int, biases: str, group_size: int = 1) -> dict[str, float]:
    """Write the run folder; the figures of the writing. ``group_size`` > 1: consecutive instances share a
    prompt group (a ``group`` tag in labels.jsonl), as RewardBench 2's pairs do."""
    specs = benchmark_specs(biases)
    per_instance = len(build_probes(synthetic_instances(5), specs, seed=0)) / 5
    instances = synthetic_instances(max(1, round(judgments / per_instance)))
    started = time.perf_counter()
    probes = build_probes(instances, specs, seed=0)
    built = time.perf_counter() - started
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / MANIFEST, manifest(run_dir.name, specs, len(instances), len(probes)))
    if group_size > 1:
        tags = {i.id: {"group": f"g{n // group_size}"} for n, i in enumerate(instances)}
        write_labels(run_dir / LABELS, {key: InstanceLabels("chosen", "chosen/rejected", tags=tag) for key, tag in tags.items()})

    def rows() -> Iterator[tuple[Probe, Judgment]]:
        return ((probe, fake_judgment(probe)) for probe in probes)

    started = time.perf_counter()
    write_judgments(run_dir / JUDGMENTS, rows(), [(request_key(probe),) for probe in probes])
    written = time.perf_counter() - started
    legacy = sum(
        len(json.dumps(_legacy_record(probe, judgment, key), ensure_ascii=False).encode()) + 1
        for (probe, judgment), key in zip(rows(), (request_key(p) for p in probes), strict=True)
    )
    return {
        "instances": len(instances),
        "biases": len(specs),
        "judgments": len(probes),
        "build_probes_s": built,
        "write_s": written,
        "file_bytes": (run_dir / JUDGMENTS).stat().st_size,
        "legacy_bytes": legacy,
    }


REBUILD = """
import json, resource, sys, time
from judgeaudit.auditing import rebuild
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
rebuild(sys.argv[1])
print(json.dumps({"rebuild_s": time.perf_counter() - start, "import_rss_kb": imported,
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def time_rebuild(run_dir: Path) -> dict[str, float]:
    """``judgeaudit report RUN`` in a fresh process: its time and peak RSS."""
    done = subprocess.run([sys.executable, "-c", REBUILD, str(run_dir)], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def scale_verdict(task: str, messages: list[dict[str, str]]) -> str:
    """The judge of ``--run`` (``python:benchmarks.scale:scale_verdict``): a verdict drawn from what it is shown."""
    return "A" if zlib.crc32(messages[-1]["content"].encode()) % 2 else "B"


SCALE_JUDGE = "python:benchmarks.scale:scale_verdict"
CLI = "import sys; from judgeaudit.cli import app; sys.argv[0] = 'judgeaudit'; app()"


def write_dataset(path: Path, count: int) -> None:
    """``count`` synthetic instances as a JSONL dataset."""
    with path.open("w", encoding="utf-8") as handle:
        for instance in synthetic_instances(count):
            handle.write(json.dumps(asdict(instance)) + "\n")


def time_whole_run(folder: Path, requests: int) -> dict[str, float]:
    """A ``judgeaudit run`` of about ``requests`` requests in a fresh process: its time, calls and peak RSS."""
    from judgeaudit.prepare import plan_run

    dataset = folder / "scale.jsonl"
    write_dataset(dataset, 5)
    per_instance = len(plan_run(RunConfig(judge=SCALE_JUDGE, dataset=str(dataset), mode="pairwise"), folder / "plan").requests) / 5
    instances = max(1, round(requests / per_instance))
    write_dataset(dataset, instances)
    command = [
        sys.executable, "-c", CLI, "run", "--judge", SCALE_JUDGE, "--dataset", str(dataset), "--mode", "pairwise",
        "--concurrency", "64", "--no-cache", "--out", str(folder / "runs"),
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    summary = json.loads(next((folder / "runs").glob("*/summary.json")).read_text(encoding="utf-8"))
    return {
        "instances": instances,
        "requests": summary["calls"]["total"],
        "judgments": summary["calls"]["probes"],
        "run_s": elapsed,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", type=int, default=100_000, help="about this many judgments (whole instances)")
    parser.add_argument("--biases", default="all", help="position and 'all' template biases, or the first N of them")
    parser.add_argument("--keep", type=Path, help="write the run folder here (default: a temporary folder)")
    parser.add_argument("--run", action="store_true", help="time a whole judgeaudit run of about --judgments requests")
    parser.add_argument("--group-size", type=int, default=1, help="instances per prompt group (the statistics' unit)")
    args = parser.parse_args()
    if args.run:
        with tempfile.TemporaryDirectory() as scratch:
            figures = time_whole_run(args.keep or Path(scratch), args.judgments)
        print(
            f"judgeaudit run: {figures['requests']:,} requests ({figures['judgments']:,} judgments, {figures['instances']:,} "
            f"instances): {figures['run_s']:.1f} s, peak RSS {figures['peak_rss_kb'] / 1024:.0f} MiB"
        )
        return
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = args.keep or Path(scratch) / "fake-scale__benchmark"
        figures = build_run(run_dir, args.judgments, args.biases, args.group_size) | time_rebuild(run_dir)
        html = (run_dir / "report.html").stat().st_size
    mib = 1024 * 1024
    print(f"{figures['judgments']:,} judgments: {figures['instances']:,} instances x {figures['biases']} biases")
    print("| measure | value |\n|---|---:|")
    for label, value in (
        ("build the probes (s)", f"{figures['build_probes_s']:.1f}"),
        ("(a) write judgments.jsonl (s)", f"{figures['write_s']:.1f}"),
        ("judgments.jsonl (MiB)", f"{figures['file_bytes'] / mib:.1f}"),
        ("the same in the first format, every text on every line (MiB)", f"{figures['legacy_bytes'] / mib:.1f}"),
        ("(b) rebuild: read + statistics + reports (s)", f"{figures['rebuild_s']:.1f}"),
        ("peak RSS of the rebuild process (MiB)", f"{figures['peak_rss_kb'] / 1024:.0f}"),
        ("RSS after the imports, before reading (MiB)", f"{figures['import_rss_kb'] / 1024:.0f}"),
        ("report.html (KiB)", f"{html / 1024:.0f}"),
    ):
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
