"""A run planned from its config: judge, data, biases, rewrites, probes and requests, and its folder's name.

``plan_run`` resolves everything before any call; the probes and requests are built at once, after the
rewrites (``attach_probes``), or instance by instance while earlier ones are asked (``planned_feed``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeaudit.biases import build_probes, load_registry, select_biases
from judgeaudit.biases.probes import Rewrites
from judgeaudit.biases.rewrite import MEANING_CHECK, PARAPHRASE, RewriteTask, rewrite_tasks
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.config import RunConfig, run_id
from judgeaudit.datasets import SAMPLE_NAME, LoadedData, load_dataset, load_instances, sample_path
from judgeaudit.datasets.files import source_sha256
from judgeaudit.errors import JudgeAuditError
from judgeaudit.formulations import Formulation, default_mode
from judgeaudit.judges import DEFAULT_JUDGE, Judge, resolve_judge
from judgeaudit.prompts.custom import load_prompt
from judgeaudit.schema import Instance, JudgeRequest, Judgment, Probe, stable_hash
from judgeaudit.stats.units import unit_key

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
    dataset_layout: str | None = None
    """The public layout the dataset was read as, if any (see ``_Data.layout``)."""
    probes: list[Probe] = field(default_factory=list)
    probe_keys: list[tuple[str, ...]] = field(default_factory=list)
    requests: dict[str, JudgeRequest | None] = field(default_factory=dict)

    def requests_for(self, keys: Iterable[str]) -> dict[str, JudgeRequest]:
        """The requests of ``keys``, in order, once each (every one built: not a run planned while it asks)."""
        return {key: request for key in keys if (request := self.requests[key]) is not None}


def take_across_categories(instances: list[Instance], limit: int) -> list[Instance]:
    """The first ``limit`` instances taken round-robin across categories (file order within each). The
    instances of one prompt group (a benchmark's ``group``: one prompt against several responses) are
    taken together, so the last group taken may run past ``limit``; instances without a group are their own."""
    groups: dict[str, list[Instance]] = {}
    for instance in instances:
        groups.setdefault(unit_key(instance.id, instance.metadata), []).append(instance)
    by_category: dict[str, list[list[Instance]]] = {}
    for members in groups.values():
        by_category.setdefault(members[0].category, []).append(members)
    taken: list[Instance] = []
    for rank in range(max((len(g) for g in by_category.values()), default=0)):
        for category_groups in by_category.values():
            if rank < len(category_groups) and len(taken) < limit:
                taken.extend(category_groups[rank])
    return taken


def judge_identity(judge: Judge) -> dict[str, Any]:
    """What, besides the messages, decides every answer of this judge (the request key's other parts)."""
    return {"backend": judge.backend, "model": judge.model, "params": judge.params, "template": judge.template.hash}


def plan_run(config: RunConfig, out_dir: Path, probes: bool = True) -> PlannedRun:
    """Resolve the judge, load the data and biases, build probes and requests; JudgeAuditError on bad input.

    ``probes=False`` leaves the probes and requests to be built later (``attach_probes``, or instance
    by instance while earlier ones are asked: ``planned_feed``).
    """
    data = _load_data(config)
    registry = load_registry(Path(d) for d in config.bias_dirs)
    selected = select_biases(registry, config.biases, config.dimensions, config.exclude)
    mode = config.mode or default_mode(config.judge == DEFAULT_JUDGE, all(i.reference for i in data.instances))
    formulation = Formulation(mode)
    judge = _judge_for(config, formulation)
    _check_fit(formulation, judge, data.instances)
    rewriter = _rewriter(config, judge)
    skipped = _left_out(config, selected, formulation, judge, data.embedded_default)
    specs = [spec for spec in selected if spec.name not in skipped]
    tasks = rewrite_tasks(data.instances, specs, config.seed, rewriter, judge if judge.can_write else None)
    identity = {
        "design": DESIGN_VERSION,
        "mode": mode,
        "judge": judge_identity(judge),
        "instances": stable_hash([i.identity_fields() for i in data.instances]),
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
        config, judge, formulation, data.instances, specs, data.name, data.path, source_sha256(data.path),
        identity, out_dir / run_id(config.judge, identity), rewriter, tasks, skipped, data.layout,
    )
    if not tasks and probes:
        attach_probes(plan, None)
    return plan


@dataclass(frozen=True)
class _Data:
    """The instances a run audits and where they came from."""

    instances: list[Instance]
    name: str
    path: Path
    embedded_default: bool
    """The embedded judge on the bundled sample: the default run."""
    layout: str | None = None
    """The public layout the dataset was read as (``datasets.presets``), with `` (detected)`` where it
    was recognised rather than named; None: plain fields."""


def _load_data(config: RunConfig) -> _Data:
    """The dataset (or the bundled sample), limited to ``--limit`` instances taken across categories."""
    if config.limit is not None and config.limit < 1:
        raise JudgeAuditError(f"--limit must be at least 1, got {config.limit}")
    loaded = load_dataset(config.dataset, config.field_map) if config.dataset else LoadedData(load_instances(sample_path()), sample_path())
    instances, path = loaded.instances, loaded.path
    embedded_default = not config.dataset and config.judge == DEFAULT_JUDGE
    limit = EMBEDDED_SAMPLE_LIMIT if config.limit is None and embedded_default else config.limit
    if limit is not None:
        instances = take_across_categories(instances, limit)
    layout = None if loaded.layout is None else loaded.layout + (" (detected)" if loaded.detected else "")
    return _Data(instances, path.name if config.dataset else SAMPLE_NAME, path, embedded_default, layout)


def _judge_for(config: RunConfig, formulation: Formulation) -> Judge:
    """The judge with the run's prompt (``--prompt``, or the formulation's built-in one)."""
    template = load_prompt(config.prompt) if config.prompt else None
    if template is not None and formulation.kind != "reward" and template.kind != formulation.kind:
        raise JudgeAuditError(
            f"--prompt {config.prompt} is a {template.kind} prompt; --mode {formulation.mode} needs a {formulation.kind} one"
        )
    return resolve_judge(
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


def _check_fit(formulation: Formulation, judge: Judge, instances: list[Instance]) -> None:
    """Refuse a formulation the judge cannot answer, or one that shows references the data lacks."""
    mode = formulation.mode
    if formulation.task not in judge.tasks:
        raise JudgeAuditError(
            f"--mode {mode} asks for {formulation.task} requests, which {judge.identity} cannot answer "
            f"(it answers: {', '.join(sorted(judge.tasks))})"
        )
    missing = sum(1 for instance in instances if not instance.reference) if formulation.shows_reference else 0
    if missing:
        raise JudgeAuditError(
            f"--mode {mode} shows the reference answer, but {missing} of {len(instances)} instances have none "
            "(give a 'reference' field, or --field reference=COLUMN)"
        )


def _left_out(config: RunConfig, specs: list[BiasSpec], formulation: Formulation, judge: Judge, embedded_default: bool) -> dict[str, str]:
    """The selected biases the run leaves out, with the reason."""
    skipped = {spec.name: why for spec in specs if (why := formulation.not_applicable(spec))}
    skipped |= {spec.name: CANNOT_WRITE for spec in specs if spec.method == "self" and not judge.can_write}
    if embedded_default and not config.biases:
        skipped |= {spec.name: EMBEDDED_SKIPS[spec.name] for spec in specs if spec.name in EMBEDDED_SKIPS}
    return skipped


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


def answered_rows(plan: PlannedRun, answers: dict[str, Judgment]) -> tuple[list[tuple[Probe, Judgment]], list[tuple[str, ...]]]:
    """The probes whose requests were all answered (every probe, unless stopping left some unasked)."""
    soft = plan.judge.readout != "text"
    rows, keys = [], []
    for probe, probe_keys in zip(plan.probes, plan.probe_keys, strict=True):
        if all(key in answers for key in probe_keys):
            rows.append((probe, plan.formulation.combine([answers[k] for k in probe_keys], soft)))
            keys.append(probe_keys)
    return rows, keys
