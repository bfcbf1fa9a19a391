"""Sequential stopping (``run --sequential``): ask whole instances (whole prompt groups where one prompt
gave several) in batches, in the seeded sequence order, and stop each bias once the equivalence test at
the policy's margin decides it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from judgeaudit.certification.decide import settled
from judgeaudit.certification.policy import load_policy
from judgeaudit.engine import EngineCounts
from judgeaudit.prepare import PlannedRun, answered_rows
from judgeaudit.schema import JudgeRequest, Judgment
from judgeaudit.stats import Settings, summarize_biases
from judgeaudit.stats.equivalence import instance_sequence
from judgeaudit.stats.units import Units

Ask = Callable[[dict[str, JudgeRequest]], Awaitable[tuple[dict[str, Judgment], EngineCounts]]]
"""The run's engine: answers and counts for the requests it is given."""


async def ask_sequentially(plan: PlannedRun, ask: Ask) -> tuple[dict[str, Judgment], EngineCounts, dict[str, Any]]:
    """Ask batches of whole units (instances, or prompt groups: ``stats.units``), in the seeded sequence
    order, and stop each bias as soon as the equivalence test decides it at the policy's margin
    (``certify.settled``); a stopped bias's probes for later units are never asked, and the shared
    control only while some bias is still asked."""
    policy = load_policy(Path(plan.config.policy) if plan.config.policy else None)
    units = Units.from_tags((i.id, i.metadata) for i in plan.instances)
    settings = Settings(alpha=plan.config.alpha, min_instances=plan.config.min_instances, seed=plan.config.seed, units=units)
    members: dict[str, list[str]] = {}
    for instance in plan.instances:
        members.setdefault(units.key(instance.id), []).append(instance.id)
    order = instance_sequence(members, plan.config.seed)
    active = {spec.name for spec in plan.specs}
    answers: dict[str, Judgment] = {}
    counts = EngineCounts()
    stopped: dict[str, dict[str, Any]] = {}
    size = plan.config.batch_instances
    for start in range(0, len(order), size):
        batch = {instance_id for unit in order[start : start + size] for instance_id in members[unit]}
        wanted = plan.requests_for(
            key
            for probe, keys in zip(plan.probes, plan.probe_keys, strict=True)
            if probe.instance_id in batch and (probe.bias is None or probe.bias in active)
            for key in keys
        )
        got, batch_counts = await ask(wanted)
        answers |= got
        counts += batch_counts
        rows, _ = answered_rows(plan, answers)
        specs = [spec for spec in plan.specs if spec.name in active]
        results = {name: asdict(result) for name, result in summarize_biases(specs, rows, settings).items()}
        for name, test in settled(results, policy, plan.config.seed, family=len(plan.specs)).items():
            stopped[name] = {"state": test.state, "n_instances": test.n_instances, "after_instances": start + min(size, len(order) - start)}
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
