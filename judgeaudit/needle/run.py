"""``judgeaudit needle``: plant one error per trial in a long response, ask the judge, and analyse where
errors are missed. Data flows as in an audit: material -> design -> probes -> requests -> engine ->
analysis -> needle.json, needle.html and the terminal.

A trial whose request does not fit the judge's context window (counted with the judge's own
tokenizer where it has one) is skipped and counted per cell, never truncated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from judgeaudit import __version__
from judgeaudit.biases.probes import shared_probes
from judgeaudit.config import EngineSettings, JudgeSettings, run_id
from judgeaudit.engine import JOURNAL_NAME, Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.errors import JudgeAuditError
from judgeaudit.formulations import Formulation
from judgeaudit.judges import DEFAULT_JUDGE, Judge, resolve_judge
from judgeaudit.needle.material import bundled_longform, load_longform
from judgeaudit.needle.placement import LENGTH_BUCKETS, POSITION_BINS, NeedleTrial, balanced_design, candidates, count_words
from judgeaudit.needle.writing import CHECK, WRITE, write_modifications
from judgeaudit.prepare import judge_identity
from judgeaudit.runs.folder import write_json
from judgeaudit.runs.lock import run_folder_lock
from judgeaudit.schema import CONTROL, JudgeRequest, Judgment, Probe, stable_hash
from judgeaudit.stats.needle import NeedleResult, TrialPlace, analyze_needle

NEEDLE_DESIGN = 1
PER_CELL = 10
EMBEDDED_PER_CELL = 1
EMBEDDED_CONTEXT = 8192  # SmolLM2's trained context; the audit's 4096 is too short for 3,000-word responses
ANSWER_ROOM = 16  # tokens kept free for the answer of a judge read from its logits


@dataclass(frozen=True)
class NeedleConfig(JudgeSettings, EngineSettings):
    """Everything a user chooses for a needle run: the judge and engine settings ``run`` has, and the
    design's own. ``mode``: pairwise (both orders), pointwise, or reward; None: pairwise, or pointwise for
    the embedded judge; ``rewriter``: a model that writes a modification for every chunk (``needle.writing``)."""

    material: tuple[str, ...] = ()
    """Long-form JSONL files (``needle.material``); empty: the bundled material."""
    buckets: tuple[int, ...] = LENGTH_BUCKETS
    bins: int = POSITION_BINS
    per_cell: int | None = None
    """Trials per (bucket, bin) cell; None: 10, or 1 for the embedded judge (a run of minutes on a CPU)."""
    context_tokens: int | None = None
    """The context a local GGUF model runs with; None: 8192 for the embedded judge, 4096 otherwise."""
    rewrite_checks: tuple[str, ...] = ("llm",)
    """``llm``: a second call must pick out the false sentence; empty: the format checks only."""


@dataclass
class _Plan:
    trials: list[NeedleTrial]
    probes: list[Probe] = field(default_factory=list)
    probe_keys: list[tuple[str, ...]] = field(default_factory=list)
    requests: dict[str, JudgeRequest] = field(default_factory=dict)
    too_long: dict[str, int] = field(default_factory=dict)


def _ask_plan(trials: list[NeedleTrial], judge: Judge, formulation: Formulation) -> _Plan:
    """Probes (the unchanged pair in both orders) and requests; trials that do not fit are set aside."""
    plan = _Plan(trials)
    window = judge.context_window
    for trial in trials:
        probes = [p for p in shared_probes(trial.instance()) if p.condition == CONTROL]
        built = [formulation.requests(judge, probe) for probe in probes]
        if window and judge.counts_tokens:
            longest = max(judge.count_tokens(request.messages) for requests in built for request in requests)
            if longest + ANSWER_ROOM > window:
                plan.too_long[trial.id] = longest
                continue
        for probe, requests in zip(probes, built, strict=True):
            plan.probes.append(probe)
            plan.probe_keys.append(tuple(r.key for r in requests))
            plan.requests.update({r.key: r for r in requests})
    return plan


def _design_record(trials: list[NeedleTrial], short: dict[tuple[int, int], int], plan: _Plan, window: int | None) -> dict[str, Any]:
    cells: dict[str, dict[str, Any]] = {}
    for trial in trials:
        cell = cells.setdefault(f"{trial.bucket}/{trial.bin}", {"planned": 0, "too_long": 0})
        cell["planned"] += 1
        cell["too_long"] += trial.id in plan.too_long
    for (bucket, k), missing in short.items():
        cells.setdefault(f"{bucket}/{k}", {"planned": 0, "too_long": 0})["short_of_material"] = missing
    return {
        "trials": len(trials),
        "asked": len(trials) - len(plan.too_long),
        "too_long": {"trials": len(plan.too_long), "context_window": window, "largest_prompt_tokens": max(plan.too_long.values(), default=None)},
        "cells": cells,
    }


async def _written(config: NeedleConfig, items: list, out_dir: Path, cache_path: Path | None) -> tuple[list, dict[str, Any]]:
    """The items with modifications written by ``config.rewriter`` (its own resumable folder)."""
    writer = resolve_judge(config.rewriter, api_base=config.rewriter_api_base, timeout_s=config.timeout_s)  # type: ignore[arg-type]
    if not writer.can_write:
        raise JudgeAuditError(f"--rewriter {config.rewriter}: this backend cannot generate text")
    folder = out_dir / run_id(
        f"needle-writing-{config.rewriter}",
        {"material": stable_hash([asdict(i) for i in items]), "writer": judge_identity(writer), "checks": list(config.rewrite_checks),
         "prompts": stable_hash([WRITE, CHECK], length=16), "seed": config.seed},
    )
    folder.mkdir(parents=True, exist_ok=True)
    cache = ResponseCache(cache_path) if cache_path is not None else None
    try:
        items, tally = await write_modifications(
            items, writer, None, config.rewrite_checks, config.seed, folder, cache, config.concurrency, RetryPolicy(max_retries=config.max_retries),
        )
    finally:
        await writer.aclose()
        if cache is not None:
            cache.close()
    return items, tally | {"folder": str(folder), "writer": config.rewriter}


async def run_needle(
    config: NeedleConfig, out_dir: Path, cache_path: Path | None,
    on_start: Callable[[str, int], None] | None = None, on_answer: Callable[[Judgment], None] | None = None,
) -> NeedleResult:
    """Plan, ask (resumably, through the engine's journal and cache) and analyse a needle run."""
    embedded = config.judge in (DEFAULT_JUDGE, "embedded")
    formulation = Formulation(config.mode or ("pointwise" if embedded else "pairwise"))
    if formulation.shows_reference:
        raise JudgeAuditError(f"--mode {formulation.mode}: the needle test has no reference answers; use pairwise, pointwise or reward")
    judge = resolve_judge(
        config.judge, api_base=config.api_base, temperature=config.temperature, max_tokens=config.max_tokens,
        timeout_s=config.timeout_s, kind=formulation.kind, logprobs=config.logprobs,
        context_tokens=config.context_tokens or (EMBEDDED_CONTEXT if embedded else None),
    )
    if formulation.task not in judge.tasks:
        raise JudgeAuditError(f"--mode {formulation.mode} asks for {formulation.task} requests, which {config.judge} cannot answer")
    paths = [Path(p) for p in config.material] or bundled_longform()
    items = load_longform(paths, modifications_required=config.rewriter is None)
    writing: dict[str, Any] = {}
    if config.rewriter:
        items, writing = await _written(config, items, out_dir, cache_path)
    counter = judge.count_text_tokens if judge.counts_tokens else count_words
    grid = candidates(items, config.buckets, config.bins, counter)
    trials, short = balanced_design(grid, config.per_cell or (EMBEDDED_PER_CELL if embedded else PER_CELL), config.seed)
    plan = _ask_plan(trials, judge, formulation)
    identity = {
        "needle": NEEDLE_DESIGN, "mode": formulation.mode, "judge": judge_identity(judge), "seed": config.seed,
        "trials": stable_hash([(t.id, t.clean, t.erroneous) for t in trials]),
    }
    run_dir = out_dir / run_id(f"needle-{config.judge}", identity)
    run_dir.mkdir(parents=True, exist_ok=True)
    design = _design_record(trials, short, plan, judge.context_window)
    design |= {"tokens": "the judge's tokenizer" if counter is not count_words else "words (no tokenizer: a constant tokens-per-word factor cancels in the position)"}
    if on_start is not None:
        on_start(f"needle · {config.judge} · {formulation.mode} · {design['asked']} trials", len(plan.requests))
    cache = ResponseCache(cache_path) if cache_path is not None else None
    try:
        with run_folder_lock(run_dir):
            answers, counts = await execute(
                plan.requests, judge, Journal(run_dir / JOURNAL_NAME), cache, concurrency=config.concurrency,
                retry=RetryPolicy(max_retries=config.max_retries), on_answer=on_answer,
            )
    finally:
        await judge.aclose()
        if cache is not None:
            cache.close()
    soft = judge.readout != "text"
    rows = [(probe, formulation.combine([answers[k] for k in keys], soft)) for probe, keys in zip(plan.probes, plan.probe_keys, strict=True)]
    places = {t.id: TrialPlace(t.item_id, t.bucket, t.bin, t.position, t.words) for t in trials if t.id not in plan.too_long}
    analysis = analyze_needle(rows, places, config.bins)
    write_json(run_dir / "needle.json", {
        "tool": {"name": "judgeaudit", "version": __version__, "needle_design": NEEDLE_DESIGN},
        "judge": judge.describe(), "mode": formulation.mode, "config": asdict(config), "material": [str(p) for p in paths],
        "design": design, "writing": writing, "analysis": asdict(analysis),
        "trials": [{"id": t.id} | {k: v for k, v in asdict(t).items() if k not in ("clean", "erroneous")} for t in trials],
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    return NeedleResult(run_dir, analysis, design, counts, config.judge, formulation.mode)
