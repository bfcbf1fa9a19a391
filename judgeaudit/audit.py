"""An audit end to end: instances -> probes -> requests -> engine -> statistics -> run folder."""

from __future__ import annotations

import asyncio
import hashlib
import platform
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from judgeaudit import __version__
from judgeaudit.biases import build_probes, load_registry, select_biases
from judgeaudit.biases.probes import Rewrites
from judgeaudit.biases.rewrite import MEANING_CHECK, PARAPHRASE, RewriteTask, rewrite_tasks
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.config import RunConfig, run_id
from judgeaudit.datasets import SAMPLE_NAME, load_instances, sample_path
from judgeaudit.engine import JOURNAL_NAME, EngineCounts, Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.engine.batch import execute_batch
from judgeaudit.engine.budget import Budget
from judgeaudit.engine.collector import young_collections_only
from judgeaudit.engine.limiter import estimated_tokens
from judgeaudit.engine.runner import RequestFeed
from judgeaudit.pricing import prices_for
from judgeaudit.errors import JudgeAuditError
from judgeaudit.formulations import Formulation, default_mode
from judgeaudit.prompts.custom import load_prompt
from judgeaudit.judges import DEFAULT_JUDGE, Judge, resolve_judge
from judgeaudit.report.outputs import write_reports
from judgeaudit.rewriting import REWRITE_JOURNAL, RewriteStage, run_rewrites
from judgeaudit.runs import (
    JUDGMENTS,
    MANIFEST,
    SUMMARY,
    read_json,
    read_judgments,
    spec_from_record,
    spec_record,
    write_json,
    write_judgments,
)
from judgeaudit.runs.lock import run_folder_lock
from judgeaudit.schema import Instance, Judgment, JudgeRequest, Probe, stable_hash
from judgeaudit.certify.decide import settled
from judgeaudit.certify.policy import load_policy
from judgeaudit.stats import Settings, Summary, build_summary, summarize_biases
from judgeaudit.stats.equivalence import instance_sequence
from judgeaudit.stats.spend import spend_by_bias

# Version of the probe design (conditions, placement, repeat): a change here changes what is asked.
DESIGN_VERSION = 2
# The embedded judge on the bundled sample audits this many instances (3 per category) unless --limit
# says otherwise: what fits in five minutes on 2 cores for every bias of the taxonomy that applies in
# its default formulation (pointwise with the reference: one request per distinct response text).
EMBEDDED_SAMPLE_LIMIT = 15
EMBEDDED_SKIPS = {
    "self_enhancement": "left out of the embedded judge's default run: the 135M model's own paraphrases fail "
    "the meaning checks (0 of 10 passed when measured); name it with --bias to run it",
}
"""Biases the embedded judge's default run leaves out (when no bias is named), with the reason shown."""
_RECORDED_PACKAGES = ("llama_cpp_python", "openai", "litellm", "anthropic", "scipy", "pandas", "jinja2")


@dataclass
class PlannedRun:
    """A run resolved from its config: judge, data, biases, rewrites, probes, requests, run folder.

    When biases are injected by an LLM rewrite, ``probes``/``requests`` are filled in after the
    rewrites are done (``attach_probes``). A run planned while it asks (``planned_feed``) keeps the
    keys of its requests only (each maps to None): their prompts are let go once asked.
    """

    config: RunConfig
    judge: Judge
    formulation: Formulation
    instances: list[Instance]
    specs: list[BiasSpec]
    dataset_name: str
    dataset_path: Path
    dataset_hash: str
    identity: dict[str, Any]
    run_dir: Path
    rewriter: Judge | None = None
    rewrite_tasks: list[RewriteTask] = field(default_factory=list)
    skipped_biases: dict[str, str] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    probe_keys: list[tuple[str, ...]] = field(default_factory=list)
    requests: dict[str, JudgeRequest | None] = field(default_factory=dict)


@dataclass
class AuditResult:
    """What an audit produced."""

    run_dir: Path
    summary: Summary
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


def judge_identity(judge: Judge) -> dict[str, Any]:
    """What, besides the messages, decides every answer of this judge (the request key's other parts)."""
    return {"backend": judge.backend, "model": judge.model, "params": judge.params, "template": judge.template.hash}


def plan_run(config: RunConfig, out_dir: Path, probes: bool = True) -> PlannedRun:
    """Resolve the judge, load the data and biases, build probes and requests; JudgeAuditError on bad input.

    ``probes=False`` leaves the probes and requests to be built later (``attach_probes``, or instance
    by instance while earlier ones are asked: ``planned_feed``).
    """
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
    limit = config.limit
    embedded_default = not config.dataset and config.judge == DEFAULT_JUDGE
    if limit is None and embedded_default:
        limit = EMBEDDED_SAMPLE_LIMIT
    if limit is not None:
        instances = take_across_categories(instances, limit)
    registry = load_registry(Path(d) for d in config.bias_dirs)
    specs = select_biases(registry, config.biases, config.dimensions, config.exclude)
    mode = config.mode or default_mode(config.judge == DEFAULT_JUDGE, all(i.reference for i in instances))
    formulation = Formulation(mode)
    template = load_prompt(config.prompt) if config.prompt else None
    if template is not None and formulation.kind != "reward" and template.kind != formulation.kind:
        raise JudgeAuditError(f"--prompt {config.prompt} is a {template.kind} prompt; --mode {mode} needs a {formulation.kind} one")
    judge = resolve_judge(
        config.judge,
        api_base=config.api_base,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        timeout_s=config.timeout_s,
        kind=formulation.kind,
        template=template,
        structured=config.structured,
        logprobs=config.logprobs,
    )
    if formulation.task not in judge.tasks:
        raise JudgeAuditError(
            f"--mode {mode} asks for {formulation.task} requests, which {judge.backend}:{judge.model} cannot answer "
            f"(it answers: {', '.join(sorted(judge.tasks))})"
        )
    if formulation.shows_reference:
        missing = sum(1 for instance in instances if not instance.reference)
        if missing:
            raise JudgeAuditError(
                f"--mode {mode} shows the reference answer, but {missing} of {len(instances)} instances have none "
                "(give a 'reference' field, or --field reference=COLUMN)"
            )
    rewriter = _rewriter(config, judge)
    skipped = {spec.name: why for spec in specs if (why := formulation.not_applicable(spec))}
    skipped |= {spec.name: CANNOT_WRITE for spec in specs if spec.method == "self" and not judge.can_write}
    if embedded_default and not config.biases:
        skipped |= {spec.name: EMBEDDED_SKIPS[spec.name] for spec in specs if spec.name in EMBEDDED_SKIPS}
    specs = [spec for spec in specs if spec.name not in skipped]
    tasks = rewrite_tasks(instances, specs, config.seed, rewriter, judge if judge.can_write else None)
    identity = {
        "design": DESIGN_VERSION,
        "mode": mode,
        "judge": judge_identity(judge),
        "instances": stable_hash([asdict(i) for i in instances]),
        "biases": sorted(spec.text_hash for spec in specs),
        "seed": config.seed,
    }
    if tasks:
        identity["rewrites"] = {
            "rewriter": judge_identity(rewriter) if rewriter is not None else None,
            "checks": list(config.rewrite_checks),
            "prompts": stable_hash([PARAPHRASE, MEANING_CHECK], length=16),
        }
    plan = PlannedRun(
        config, judge, formulation, instances, specs, dataset_name, dataset_path, _file_sha256(dataset_path),
        identity, out_dir / run_id(config.judge, identity), rewriter, tasks, skipped,
    )
    if not tasks and probes:
        attach_probes(plan, None)
    return plan


CANNOT_WRITE = "the judge cannot generate text, so it has no answer of its own to prefer"


def _rewriter(config: RunConfig, judge: Judge) -> Judge | None:
    """The ``--rewriter`` backend (the judge's own object when it names the same model)."""
    if not config.rewriter:
        return None
    if config.rewriter == config.judge and config.rewriter_api_base == config.api_base:
        rewriter = judge
    else:
        rewriter = resolve_judge(config.rewriter, api_base=config.rewriter_api_base, timeout_s=config.timeout_s)
    if not rewriter.can_write:
        raise JudgeAuditError(f"--rewriter {config.rewriter}: this backend cannot generate text")
    return rewriter


NOT_RECORDED = "no verdicts were recorded for its probes"


def attach_probes(plan: PlannedRun, rewrites: Rewrites | None) -> None:
    """Build the probes (with the accepted rewrites) and the judge requests that ask them.

    A replay of recorded verdicts keeps only the probes it has verdicts for; a bias none of whose
    probes were recorded is left out with the reason.
    """
    plan.probes, plan.probe_keys, plan.requests = [], [], {}
    probes = build_probes(plan.instances, plan.specs, plan.config.seed, rewrites)
    if plan.judge.recorded_only:
        probes = [probe for probe in probes if plan.judge.covers(probe)]
        if not any(probe.bias is None for probe in probes):
            raise JudgeAuditError(f"{plan.config.judge}: no control verdicts recorded for the instances of the dataset")
        recorded = {probe.bias for probe in probes}
        unrecorded = [s for s in plan.specs if s.method != "swap" and s.name not in recorded]
        plan.skipped_biases |= {spec.name: NOT_RECORDED for spec in unrecorded}
        plan.specs = [spec for spec in plan.specs if spec not in unrecorded]
    _add_probes(plan, probes)


def _add_probes(plan: PlannedRun, probes: list[Probe]) -> dict[str, JudgeRequest]:
    """Append ``probes``, their request keys and their requests to the plan; the requests new to it."""
    new: dict[str, JudgeRequest] = {}
    for probe in probes:
        built = plan.formulation.requests(plan.judge, probe)
        plan.probes.append(probe)
        plan.probe_keys.append(tuple(request.key for request in built))
        for request in built:
            if request.key not in plan.requests:
                plan.requests[request.key] = new[request.key] = request
    return new


PLAN_CHUNK = 1
"""Instances planned at a time while the requests of earlier ones are asked (about 12 ms each for 21 biases)."""


def can_stream(plan: PlannedRun) -> bool:
    """Whether the run's probes can be planned while it asks: not for a replay, which must see every
    probe first to know which biases were recorded."""
    return not plan.judge.recorded_only


async def planned_feed(
    plan: PlannedRun, on_total: Callable[[int], None] | None = None
) -> AsyncIterator[dict[str, JudgeRequest]]:
    """Plan the run ``PLAN_CHUNK`` instances at a time, yielding each chunk's new requests, so that the
    engine asks the first while the rest are planned (planning 100k requests takes about 10 s). The
    engine reads on only as its queue runs low, so planning is spread over the run.

    ``on_total`` hears the number of requests: estimated after each chunk from the instances planned
    so far, exact after the last.
    The plan keeps every probe and its request keys, but not the requests: a request's rendered prompt
    is let go once it has been asked, and ``plan.requests`` maps each key to None.
    """
    plan.probes, plan.probe_keys, plan.requests = [], [], {}
    for start in range(0, len(plan.instances), PLAN_CHUNK):
        chunk = plan.instances[start : start + PLAN_CHUNK]
        new = _add_probes(plan, build_probes(chunk, plan.specs, plan.config.seed, None))
        plan.requests.update(dict.fromkeys(new))  # the engine holds them until they are asked
        if on_total is not None:
            on_total(round(len(plan.requests) * len(plan.instances) / (start + len(chunk))))
        yield new
        await asyncio.sleep(0)  # let the engine's workers send what was just planned
    if on_total is not None:
        on_total(len(plan.requests))


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


def write_outputs(run_dir: Path, manifest: dict[str, Any], summary: Summary, rows: list[tuple[Probe, Judgment]]) -> None:
    """summary.json, report.html and report.md."""
    write_json(run_dir / SUMMARY, summary.to_dict())
    write_reports(run_dir, summary, manifest, rows)


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
    """The audit of a planned run, its folder locked: ask, then write the outputs."""
    config = plan.config
    manifest = _manifest(plan, started_at)
    write_json(plan.run_dir / MANIFEST, manifest)
    cache = ResponseCache(cache_path) if cache_path is not None else None
    retry = RetryPolicy(max_retries=config.max_retries)
    try:
        if plan.rewrite_tasks:
            stage = RewriteStage(
                plan.run_dir, cache, config.concurrency, retry, config.rewrite_checks,
                checker=plan.rewriter, on_start=on_start, on_answer=on_answer,
            )
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
        stream = not plan.rewrite_tasks and not config.sequential and not config.batch and can_stream(plan)
        if not stream and not plan.rewrite_tasks:
            attach_probes(plan, None)
        if on_start is not None:
            on_start(f"{config.judge} · {len(plan.instances)} instances · {len(plan.specs)} biases", len(plan.requests))
        engine = _Engine(plan, cache, retry, on_answer, Budget(config.max_cost_usd, prices_for(plan.judge.backend, plan.judge.model, config.batch)))
        if config.sequential:
            answers, counts, stops = await _ask_sequentially(plan, engine, manifest)
        elif stream:
            answers, counts = await engine.ask(planned_feed(plan, on_total))
        else:
            answers, counts = await engine.ask(plan.requests)
        manifest |= {"n_probes": len(plan.probes), "n_requests": len(plan.requests)}
    finally:
        if cache is not None:
            cache.close()

    rows, keys = _answered_rows(plan, answers)
    write_judgments(plan.run_dir / JUDGMENTS, rows, keys)
    summary = build_summary(manifest, plan.specs, rows, answers)
    summary.spend = spend_by_bias(zip(plan.probes, plan.probe_keys), answers)
    if config.sequential:
        summary.sequential = stops
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    summary.this_invocation = {
        "resumed_from_journal": counts.resumed,
        "cache_hits": counts.cache_hits,
        "judge_calls": counts.calls,
        "retries": counts.retries,
        "failed": counts.failed,
        "prompt_tokens": counts.prompt_tokens,
        "completion_tokens": counts.completion_tokens,
        "cost_usd": round(counts.cost_usd, 6),
    }
    write_outputs(plan.run_dir, manifest, summary, rows)
    manifest["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(plan.run_dir / MANIFEST, manifest)
    return AuditResult(plan.run_dir, summary, counts)


@dataclass
class _Engine:
    """The engine bound to one run: journal, cache, retry policy, rate limits, budget and progress callback."""

    plan: PlannedRun
    cache: ResponseCache | None
    retry: RetryPolicy
    on_answer: Callable[[Judgment], None] | None
    budget: Budget

    async def ask(self, requests: dict[str, JudgeRequest] | RequestFeed) -> tuple[dict[str, Judgment], EngineCounts]:
        config, journal = self.plan.config, Journal(self.plan.run_dir / JOURNAL_NAME)
        if config.batch:
            return await self._ask_in_batches(requests, journal)
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


def _answered_rows(plan: PlannedRun, answers: dict[str, Judgment]) -> tuple[list[tuple[Probe, Judgment]], list[tuple[str, ...]]]:
    """The probes whose requests were all answered (every probe, unless stopping left some unasked)."""
    soft = plan.judge.readout != "text"
    rows, keys = [], []
    for probe, probe_keys in zip(plan.probes, plan.probe_keys, strict=True):
        if all(key in answers for key in probe_keys):
            rows.append((probe, plan.formulation.combine([answers[k] for k in probe_keys], soft)))
            keys.append(probe_keys)
    return rows, keys


async def _ask_sequentially(
    plan: PlannedRun, engine: _Engine, manifest: dict[str, Any]
) -> tuple[dict[str, Judgment], EngineCounts, dict[str, Any]]:
    """Ask batches of whole instances, in the seeded sequence order, and stop each bias as soon as the
    equivalence test decides it at the policy's margin (``certify.settled``); a stopped bias's probes
    for later instances are never asked, and the shared control only while some bias is still asked."""
    policy = load_policy(Path(plan.config.policy) if plan.config.policy else None)
    settings = Settings(alpha=plan.config.alpha, min_instances=plan.config.min_instances, seed=plan.config.seed)
    order = instance_sequence([i.id for i in plan.instances], plan.config.seed)
    active = {spec.name for spec in plan.specs}
    answers: dict[str, Judgment] = {}
    counts = EngineCounts()
    stopped: dict[str, dict[str, Any]] = {}
    size = plan.config.batch_instances
    for start in range(0, len(order), size):
        batch = set(order[start : start + size])
        wanted = {
            key: plan.requests[key]
            for probe, keys in zip(plan.probes, plan.probe_keys, strict=True)
            if probe.instance_id in batch and (probe.bias is None or probe.bias in active)
            for key in keys
        }
        got, batch_counts = await engine.ask(wanted)
        answers |= got
        counts += batch_counts
        rows, _ = _answered_rows(plan, answers)
        specs = [spec for spec in plan.specs if spec.name in active]
        results = {name: asdict(result) for name, result in summarize_biases(specs, rows, settings).items()}
        for name, test in settled(results, policy, plan.config.seed, family=len(plan.specs)).items():
            stopped[name] = {"state": test.state, "n_instances": test.n_instances, "after_instances": start + len(batch)}
            active.discard(name)
        if not active:
            break
    return answers, counts, {
        "policy": policy.name,
        "policy_sha256": policy.sha256,
        "batch_instances": size,
        "stopped": stopped,
        "requests_asked": len(answers),
        "requests_fixed_design": len(plan.requests),
    }


def rebuild(run_dir: Path) -> Summary:
    """Recompute the summary and rewrite the reports from manifest.json and judgments.jsonl alone."""
    run_dir = Path(run_dir)
    with run_folder_lock(run_dir), young_collections_only():  # reading 100k judgments: no full collection
        manifest = read_json(run_dir / MANIFEST)
        rows, keys = read_judgments(run_dir / JUDGMENTS)
        answers = {key: judgment for (_, judgment), probe_keys in zip(rows, keys, strict=True) for key in probe_keys}
        specs = [spec_from_record(record) for record in manifest["biases"]]
        summary = build_summary(manifest, specs, rows, answers)
        previous = read_json(run_dir / SUMMARY) if (run_dir / SUMMARY).exists() else {}
        summary.sequential = previous.get("sequential")
        summary.elapsed_s = previous.get("elapsed_s")
        summary.this_invocation = previous.get("this_invocation", {})
        # Per-request costs are in the journal, not in judgments.jsonl (whose rows combine the requests of a probe).
        summary.spend = previous.get("spend")
        summary.cost_usd = previous.get("cost_usd", summary.cost_usd)
        write_outputs(run_dir, manifest, summary, rows)
    return summary
