"""An audit end to end: instances -> probes -> requests -> engine -> statistics -> run folder."""

from __future__ import annotations

import hashlib
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from collections.abc import Callable

from judgeaudit import __version__
from judgeaudit.biases import build_probes, load_registry, select_biases
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.config import RunConfig
from judgeaudit.datasets import SAMPLE_NAME, load_instances, sample_path
from judgeaudit.engine import JOURNAL_NAME, EngineCounts, Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges import Judge, build_request, resolve_judge
from judgeaudit.report.outputs import write_reports
from judgeaudit.report.rundir import (
    JUDGMENTS,
    MANIFEST,
    SUMMARY,
    read_json,
    spec_record,
    write_json,
    write_judgments,
)
from judgeaudit.schema import Instance, Judgment, Probe
from judgeaudit.stats import build_summary

_RECORDED_PACKAGES = ("llama_cpp_python", "openai", "litellm", "anthropic", "scipy", "jinja2")


@dataclass
class PlannedRun:
    """A run resolved from its config: data, biases, probes and the run folder."""

    config: RunConfig
    instances: list[Instance]
    specs: list[BiasSpec]
    probes: list[Probe]
    dataset_name: str
    dataset_path: Path
    dataset_hash: str
    run_dir: Path


@dataclass
class AuditResult:
    """What an audit produced."""

    run_dir: Path
    summary: dict[str, Any]
    counts: EngineCounts


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _RECORDED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def take_across_categories(instances: list[Instance], limit: int) -> list[Instance]:
    """The first ``limit`` instances taken round-robin across categories (file order within each)."""
    groups: dict[str, list[Instance]] = {}
    for instance in instances:
        groups.setdefault(instance.category, []).append(instance)
    taken: list[Instance] = []
    for rank in range(max((len(g) for g in groups.values()), default=0)):
        taken.extend(group[rank] for group in groups.values() if rank < len(group))
    return taken[:limit]


def plan_run(config: RunConfig, out_dir: Path) -> PlannedRun:
    """Load the data and biases and build the probes; raises JudgeAuditError on bad input."""
    if config.limit is not None and config.limit < 1:
        raise JudgeAuditError(f"--limit must be at least 1, got {config.limit}")
    if config.dataset:
        dataset_path = Path(config.dataset)
        instances = load_instances(dataset_path, config.field_map)
        dataset_name = dataset_path.name
    else:
        dataset_path = sample_path()
        instances = load_instances(dataset_path)
        dataset_name = SAMPLE_NAME
    if config.limit is not None:
        instances = take_across_categories(instances, config.limit)
    registry = load_registry(Path(d) for d in config.bias_dirs)
    specs = select_biases(registry, config.biases)
    probes = build_probes(instances, specs, config.seed)
    dataset_hash = _file_sha256(dataset_path)
    run_dir = out_dir / config.run_id(dataset_hash)
    return PlannedRun(config, instances, specs, probes, dataset_name, dataset_path, dataset_hash, run_dir)


def _manifest(plan: PlannedRun, judge: Judge, started_at: str) -> dict[str, Any]:
    previous = read_json(plan.run_dir / MANIFEST) if (plan.run_dir / MANIFEST).exists() else {}
    return {
        "run_id": plan.run_dir.name,
        "tool": {"name": "judgeaudit", "version": __version__},
        "config": plan.config.to_dict(),
        "judge": judge.describe(),
        "prompt_template": {"name": judge.template.name, "hash": judge.template.hash},
        "dataset": {
            "name": plan.dataset_name,
            "path": str(plan.dataset_path),
            "sha256": plan.dataset_hash,
            "n_instances": len(plan.instances),
        },
        "biases": [spec_record(spec) for spec in plan.specs],
        "seed": plan.config.seed,
        "n_probes": len(plan.probes),
        "environment": {"python": platform.python_version(), "packages": _package_versions()},
        "started_at": previous.get("started_at", started_at),
        "invocations": [*previous.get("invocations", []), started_at],
        "finished_at": None,
    }


async def run_audit(
    config: RunConfig,
    out_dir: Path,
    cache_path: Path | None,
    on_start: Callable[[PlannedRun, int], None] | None = None,
    on_answer: Callable[[Judgment], None] | None = None,
) -> AuditResult:
    """Run (or resume) an audit and write its run folder, reports included.

    ``cache_path=None`` disables the cache.
    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    plan = plan_run(config, out_dir)
    judge = resolve_judge(
        config.judge,
        api_base=config.api_base,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        timeout_s=config.timeout_s,
    )
    keys = []
    requests = {}
    for probe in plan.probes:
        request = build_request(judge, probe)
        keys.append(request.key)
        requests.setdefault(request.key, request)

    plan.run_dir.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(plan, judge, started_at)
    write_json(plan.run_dir / MANIFEST, manifest)
    if on_start is not None:
        on_start(plan, len(requests))

    cache = ResponseCache(cache_path) if cache_path is not None else None
    try:
        answers, counts = await execute(
            requests,
            judge,
            Journal(plan.run_dir / JOURNAL_NAME),
            cache,
            concurrency=config.concurrency,
            retry=RetryPolicy(max_retries=config.max_retries),
            on_answer=on_answer,
        )
    finally:
        await judge.aclose()
        if cache is not None:
            cache.close()

    rows = [(probe, answers[key]) for probe, key in zip(plan.probes, keys, strict=True)]
    write_judgments(plan.run_dir / JUDGMENTS, rows, keys)
    summary = build_summary(manifest, plan.specs, rows, answers)
    summary["elapsed_s"] = round(time.perf_counter() - started, 2)
    summary["this_invocation"] = {
        "resumed_from_journal": counts.resumed,
        "cache_hits": counts.cache_hits,
        "judge_calls": counts.calls,
        "retries": counts.retries,
        "failed": counts.failed,
    }
    write_json(plan.run_dir / SUMMARY, summary)
    write_reports(plan.run_dir, summary, manifest, rows)
    manifest["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(plan.run_dir / MANIFEST, manifest)
    return AuditResult(plan.run_dir, summary, counts)
