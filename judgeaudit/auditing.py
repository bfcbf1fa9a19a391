"""An audit end to end, coordinated: a planned run (``prepare``) -> rewrites -> engine (streamed, in
batches, or stopped sequentially) -> statistics -> the run folder (``runs.finish``)."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from judgeaudit import __version__
from judgeaudit.config import RunConfig
from judgeaudit.engine import JOURNAL_NAME, EngineCounts, Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.engine.batch import execute_batch
from judgeaudit.engine.budget import Budget
from judgeaudit.engine.collector import young_collections_only
from judgeaudit.engine.limiter import estimated_tokens
from judgeaudit.engine.runner import RequestFeed
from judgeaudit.prepare import DESIGN_VERSION, PlannedRun, answered_rows, attach_probes, can_stream, plan_run, planned_feed
from judgeaudit.pricing import prices_for
from judgeaudit.rewriting import REWRITE_JOURNAL, RewriteStage, run_rewrites
from judgeaudit.runs import (
    JUDGMENTS,
    LABELS,
    MANIFEST,
    SUMMARY,
    label_counts,
    labels_of,
    read_json,
    read_judgments,
    read_labels,
    spec_from_record,
    spec_record,
    write_json,
    write_judgments,
    write_labels,
)
from judgeaudit.runs.finish import finish_run
from judgeaudit.runs.lock import run_folder_lock
from judgeaudit.schema import JudgeRequest, Judgment
from judgeaudit.sequential import ask_sequentially
from judgeaudit.stats import RunFacts, Summary, build_summary
from judgeaudit.stats.spend import spend_by_bias

_RECORDED_PACKAGES = ("llama_cpp_python", "openai", "litellm", "anthropic", "scipy", "pandas", "jinja2")


@dataclass
class AuditResult:
    """What an audit produced."""

    run_dir: Path
    summary: Summary
    counts: EngineCounts


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _RECORDED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _manifest(plan: PlannedRun, started_at: str) -> dict[str, Any]:
    previous = read_json(plan.run_dir / MANIFEST) if (plan.run_dir / MANIFEST).exists() else {}
    config = plan.config.to_dict() | {"api_base": plan.judge.describe().get("api_base")}
    return {
        "run_id": plan.run_dir.name,
        "tool": {"name": "judgeaudit", "version": __version__, "design": DESIGN_VERSION},
        "identity": plan.identity,
        "config": config,
        "judge": plan.judge.describe(),
        "mode": plan.formulation.mode,
        "prompt_template": {"name": plan.judge.template.name, "hash": plan.judge.template.hash},
        "dataset": {
            "name": plan.dataset_name,
            "path": str(plan.dataset_path),
            "sha256": plan.dataset_hash,
            "n_instances": len(plan.instances),
            "layout": plan.dataset_layout,
            "labels": label_counts(plan.instances),
        },
        "biases": [spec_record(spec) for spec in plan.specs],
        "seed": plan.config.seed,
        "skipped_biases": plan.skipped_biases,
        "rewriter": plan.rewriter.describe() if plan.rewriter is not None else None,
        "n_probes": len(plan.probes),
        "n_requests": len(plan.requests),
        "environment": {"python": platform.python_version(), "packages": _package_versions()},
        "started_at": previous.get("started_at", started_at),
        "invocations": [*previous.get("invocations", []), started_at],
        "finished_at": None,
    }


async def run_audit(
    config: RunConfig,
    out_dir: Path,
    cache_path: Path | None,
    on_start: Callable[[str, int], None] | None = None,
    on_answer: Callable[[Judgment], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> AuditResult:
    """Run (or resume) an audit and write its run folder, reports included.

    ``cache_path=None`` disables the cache. Where the run is planned while it asks, ``on_start`` gets
    a total of 0 and ``on_total`` the number of requests once it is known (estimated, then exact).
    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    plan = plan_run(config, out_dir, probes=False)
    try:
        with run_folder_lock(plan.run_dir), young_collections_only():  # the statistics too: no full collection
            return await _audit(plan, cache_path, started, started_at, on_start, on_answer, on_total)
    finally:
        await plan.judge.aclose()
        if plan.rewriter is not None and plan.rewriter is not plan.judge:
            await plan.rewriter.aclose()


async def _audit(
    plan: PlannedRun,
    cache_path: Path | None,
    started: float,
    started_at: str,
    on_start: Callable[[str, int], None] | None,
    on_answer: Callable[[Judgment], None] | None,
    on_total: Callable[[int], None] | None,
) -> AuditResult:
    """The audit of a planned run, its folder locked: rewrite, ask, then write the outputs."""
    config = plan.config
    manifest = _manifest(plan, started_at)
    write_json(plan.run_dir / MANIFEST, manifest)
    labels = labels_of(plan.instances)
    write_labels(plan.run_dir / LABELS, labels)
    cache = ResponseCache(cache_path) if cache_path is not None else None
    retry = RetryPolicy(max_retries=config.max_retries)
    stops = None
    try:
        if plan.rewrite_tasks:
            await _rewrite(plan, manifest, RewriteStage(
                plan.run_dir, cache, config.concurrency, retry, config.rewrite_checks,
                checker=plan.rewriter, on_start=on_start, on_answer=on_answer,
            ))
        stream = not plan.rewrite_tasks and not config.sequential and not config.batch and can_stream(plan)
        if not stream and not plan.rewrite_tasks:
            attach_probes(plan, None)
        if on_start is not None:
            layout = f" · layout: {plan.dataset_layout}" if plan.dataset_layout else ""
            on_start(f"{config.judge} · {len(plan.instances)} instances{layout} · {len(plan.specs)} biases", len(plan.requests))
        engine = _Engine(plan, cache, retry, on_answer, Budget(config.max_cost_usd, prices_for(plan.judge.backend, plan.judge.model, config.batch)))
        if config.sequential:
            answers, counts, stops = await ask_sequentially(plan, engine.ask)
        else:
            answers, counts = await (engine.stream(planned_feed(plan, on_total)) if stream else engine.ask(plan.requests_for(plan.requests)))
        manifest |= {"n_probes": len(plan.probes), "n_requests": len(plan.requests)}
    finally:
        if cache is not None:
            cache.close()

    rows, keys = answered_rows(plan, answers)
    write_judgments(plan.run_dir / JUDGMENTS, rows, keys)
    facts = RunFacts(
        elapsed_s=round(time.perf_counter() - started, 2),
        this_invocation=_invocation(counts),
        spend=spend_by_bias(zip(plan.probes, plan.probe_keys, strict=True), answers),
        sequential=stops,
    )
    summary = build_summary(manifest, plan.specs, rows, answers, facts, labels)
    finish_run(plan.run_dir, manifest, summary, rows, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return AuditResult(plan.run_dir, summary, counts)


async def _rewrite(plan: PlannedRun, manifest: dict[str, Any], stage: RewriteStage) -> None:
    """Ask the rewrites, then build the probes with those accepted; the manifest records the outcome."""
    outcome, rewrite_counts = await run_rewrites(plan.rewrite_tasks, stage)
    attach_probes(plan, outcome.texts)
    manifest |= {"n_probes": len(plan.probes), "n_requests": len(plan.requests)}
    manifest["rewrites"] = {
        "calls": rewrite_counts,
        "skipped": outcome.skipped,
        "placebo_fallbacks": outcome.placebo_fallbacks,
        "journal": REWRITE_JOURNAL,
    }
    write_json(plan.run_dir / MANIFEST, manifest)


def _invocation(counts: EngineCounts) -> dict[str, Any]:
    """What this invocation did, as the summary records it."""
    return {
        "resumed_from_journal": counts.resumed,
        "cache_hits": counts.cache_hits,
        "judge_calls": counts.calls,
        "retries": counts.retries,
        "failed": counts.failed,
        "prompt_tokens": counts.prompt_tokens,
        "completion_tokens": counts.completion_tokens,
        "cost_usd": round(counts.cost_usd, 6),
    }


@dataclass
class _Engine:
    """The engine bound to one run: journal, cache, retry policy, rate limits, budget and progress callback."""

    plan: PlannedRun
    cache: ResponseCache | None
    retry: RetryPolicy
    on_answer: Callable[[Judgment], None] | None
    budget: Budget

    async def ask(self, requests: dict[str, JudgeRequest]) -> tuple[dict[str, Judgment], EngineCounts]:
        """Answers to ``requests``: through the provider's batch API with ``--batch``, else streamed."""
        if self.plan.config.batch:
            return await self._ask_in_batches(requests, Journal(self.plan.run_dir / JOURNAL_NAME))
        return await self.stream(requests)

    async def stream(self, requests: dict[str, JudgeRequest] | RequestFeed) -> tuple[dict[str, Judgment], EngineCounts]:
        """Answers to ``requests``, or to a feed of them, asked concurrently."""
        config, journal = self.plan.config, Journal(self.plan.run_dir / JOURNAL_NAME)
        return await execute(
            requests, self.plan.judge, journal, self.cache, concurrency=config.concurrency, retry=self.retry,
            on_answer=self.on_answer, rpm=config.rpm, tpm=config.tpm, budget=self.budget,
        )

    async def _ask_in_batches(self, requests: dict[str, JudgeRequest], journal: Journal) -> tuple[dict[str, Judgment], EngineCounts]:
        """Through the provider's batch API; a batch is paid whole, so the cap is checked on its estimate first."""
        budget = self.budget
        if budget.max_usd is not None:
            answered = journal.load()
            budget.earlier = sum(j.cost_usd for key, j in answered.items() if key in requests and not j.cached)
            to_ask = [request for key, request in requests.items() if key not in answered]
            estimate = sum(budget.cost(*estimated_tokens(request)) for request in to_ask)
            if budget.earlier + budget.spent + estimate > budget.max_usd:
                raise budget.reached(len(to_ask))

        answers, counts = await execute_batch(
            requests, self.plan.judge, journal, self.cache, self.plan.run_dir,
            poll_interval_s=self.plan.config.poll_interval_s, on_answer=self.on_answer,
            price=lambda judgment: budget.cost(judgment.prompt_tokens, judgment.completion_tokens),
        )
        budget.spent += counts.cost_usd
        return answers, counts


def rebuild(run_dir: Path) -> Summary:
    """Recompute the summary and rewrite the reports from manifest.json and judgments.jsonl alone (the
    facts of the run that they cannot give, such as per-request costs, kept from the last summary)."""
    run_dir = Path(run_dir)
    with run_folder_lock(run_dir), young_collections_only():  # reading 100k judgments: no full collection
        manifest = read_json(run_dir / MANIFEST)
        rows, keys = read_judgments(run_dir / JUDGMENTS)
        answers = {key: judgment for (_, judgment), probe_keys in zip(rows, keys, strict=True) for key in probe_keys}
        specs = [spec_from_record(record) for record in manifest["biases"]]
        previous = read_json(run_dir / SUMMARY) if (run_dir / SUMMARY).exists() else {}
        summary = build_summary(manifest, specs, rows, answers, RunFacts.of_summary(previous), read_labels(run_dir / LABELS))
        finish_run(run_dir, manifest, summary, rows)
    return summary
