"""``judgeaudit plan``: per bias, the instances an audit needs and what they cost, before any call.

The run is planned exactly as ``run`` would plan it (judge, formulation, instances, probes, requests),
so the calls per instance are counted, not guessed; effects come from a pilot run's per-instance
effects or from assumed ones (``stats.power``); tokens are estimated from the requests' text (or
measured in the pilot), and priced from litellm's bundled table. Each validity criterion the policy
sets is sized for a judge as the pilot measured it, else as assumed (``stats.power.ValidityAssumptions``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from judgeaudit.certification.policy import ValidityLimits, load_policy
from judgeaudit.config import RunConfig
from judgeaudit.engine import JOURNAL_NAME, Journal, ResponseCache
from judgeaudit.errors import JudgeAuditError
from judgeaudit.prepare import PlannedRun, attach_probes, plan_run
from judgeaudit.pricing import Prices, prices_for, prompt_tokens
from judgeaudit.runs import JUDGMENTS, SUMMARY, read_json, read_judgments
from judgeaudit.runs.labels import stale_units
from judgeaudit.stats.audit_plan import AuditPlan, BiasPlan, ValidityPlan
from judgeaudit.stats.effects import CUE_RANGE, SWING_RANGE
from judgeaudit.stats.power import (
    ALT_TEST_ANNOTATORS,
    ALT_TEST_MINIMUM,
    ALT_TEST_RECOMMENDED,
    EffectModel,
    ValidityAssumptions,
    instances_for_accuracy,
    instances_for_ece,
    instances_for_kappa,
    instances_for_mean,
    instances_to_certify,
    instances_to_detect,
    instances_to_fail,
    kappa_sd,
    kappa_table,
)
from judgeaudit.stats.units import Units


def _pilot(pilot_dir: Path | None) -> tuple[dict[str, tuple[float, ...]], tuple[float, float] | None, dict[str, Any] | None]:
    """A pilot run's per-instance effects by bias, its measured tokens per call, and its summary."""
    if pilot_dir is None:
        return {}, None, None
    if not (pilot_dir / SUMMARY).is_file():
        raise JudgeAuditError(f"{pilot_dir}: not a finished run folder (no {SUMMARY}) to use as a pilot")
    summary = read_json(pilot_dir / SUMMARY)
    if stale := stale_units(pilot_dir, summary):
        raise JudgeAuditError(stale)
    if "instance_effects" not in next(iter(summary["biases"].values()), {"instance_effects": {}}):
        raise JudgeAuditError(f"{pilot_dir}: its summary predates per-instance effects; rebuild it with `judgeaudit report {pilot_dir}`")
    effects = {name: tuple(b["instance_effects"].values()) for name, b in summary["biases"].items() if b["instance_effects"]}
    rows, _ = read_judgments(pilot_dir / JUDGMENTS)
    asked = [j for _, j in rows if not j.cached and (j.prompt_tokens or j.completion_tokens)]
    tokens = (sum(j.prompt_tokens for j in asked) / len(asked), sum(j.completion_tokens for j in asked) / len(asked)) if asked else None
    return effects, tokens, summary


KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


@contextmanager
def _no_credentials_needed() -> Iterator[None]:
    """Planning builds the judge's requests but never calls it: an unset API key is no obstacle."""
    unset = [name for name in KEY_VARIABLES if not os.environ.get(name)]
    os.environ.update({name: "planning-makes-no-calls" for name in unset})
    try:
        yield
    finally:
        for name in unset:
            os.environ.pop(name, None)


def _planned(config: RunConfig, out_dir: Path) -> PlannedRun:
    """The run as ``run`` would plan it, its judge closed again (planning never calls it)."""
    with _no_credentials_needed():
        plan = plan_run(config, out_dir)
    asyncio.run(plan.judge.aclose())
    if not plan.probes:
        attach_probes(plan, None)  # rewrite-injected biases are planned from their template-free probes
    return plan


def _tokens_per_call(plan: PlannedRun, answer_tokens: int) -> tuple[float, float]:
    requests = [request for request in plan.requests.values() if request is not None]
    prompt = sum(map(prompt_tokens, requests)) / max(1, len(requests))
    return prompt, 1.0 if plan.judge.readout != "text" else float(answer_tokens)


@dataclass(frozen=True)
class RunCost:
    """What ``run`` will ask, before it asks: what ``--dry-run`` prints."""

    instances: int
    biases: int
    probes: int
    requests: int
    already_answered: int
    """Requests the run folder's journal or the response cache already holds: they cost nothing."""
    rewrites: int
    """LLM rewrites the run asks first (--rewriter, or the judge's own for self-enhancement), not priced here."""
    prompt_tokens: int
    completion_tokens: int
    dollars: float
    prices: Prices


def run_cost(config: RunConfig, out_dir: Path, cache_path: Path | None, answer_tokens: int = 200) -> RunCost:
    """Probes, requests, tokens and dollars of the run ``config`` describes, without calling the judge."""
    plan = _planned(config, out_dir)
    answered = set(Journal(plan.run_dir / JOURNAL_NAME).load())
    if cache_path is not None and cache_path.exists():
        cache = ResponseCache(cache_path)
        answered |= set(cache.get_many([key for key in plan.requests if key not in answered]))
        cache.close()
    to_ask = len(set(plan.requests) - answered)
    prompt, completion = _tokens_per_call(plan, answer_tokens)
    prices = prices_for(plan.judge.backend, plan.judge.model, config.batch)
    return RunCost(
        len(plan.instances), len(plan.specs), len(plan.probes), len(plan.requests), len(plan.requests) - to_ask,
        len(plan.rewrite_tasks), round(prompt * to_ask), round(completion * to_ask), to_ask * (prompt * prices.prompt + completion * prices.completion), prices,
    )


def plan_audit(
    config: RunConfig, out_dir: Path, pilot_dir: Path | None, power: float, detect: float,
    assumed: EffectModel, answer_tokens: int, judge_assumed: ValidityAssumptions | None = None,
) -> AuditPlan:
    """Plan the audit ``config`` describes: instances needed per bias and per validity criterion of the
    policy (for a judge as the pilot measured it, else as ``judge_assumed``), calls, tokens and dollars."""
    if not 0 < power < 1:
        raise JudgeAuditError(f"--power must be between 0 and 1, got {power}")
    plan = _planned(config, out_dir)
    policy = load_policy(Path(config.policy) if config.policy else None)
    pilot_effects, measured, pilot_summary = _pilot(pilot_dir)
    units = Units.from_tags((instance.id, instance.metadata) for instance in plan.instances)
    n = max(1, units.count(instance.id for instance in plan.instances))  # the statistics' unit: calls per unit
    own: dict[str | None, set[str]] = {}
    for probe, keys in zip(plan.probes, plan.probe_keys, strict=True):
        own.setdefault(probe.bias, set()).update(keys)
    shared = own.pop(None, set())
    biases = []
    for spec in plan.specs:
        limits = policy.limits_for(spec.name, spec.dimension)
        model = EffectModel(pilot=pilot_effects[spec.name]) if spec.name in pilot_effects else assumed
        expected = "either" if spec.method == "swap" else spec.expected
        bounded = "either" if limits.direction == "both" else expected  # as the certificate bounds it
        effect_range = SWING_RANGE if spec.method == "swap" else CUE_RANGE
        biases.append(BiasPlan(
            name=spec.name, expected=bounded, delta=limits.max_effect, effects_from=model.describe(),
            to_certify=instances_to_certify(model, bounded, limits.max_effect, policy.confidence, power, family=len(plan.specs), seed=config.seed, effect_range=effect_range),
            to_fail=instances_to_fail(model, bounded, limits.max_effect, policy.confidence, power, family=len(plan.specs), seed=config.seed, effect_range=effect_range),
            to_detect=instances_to_detect(model.spread, detect, config.alpha, power, two_sided=expected == "either"),
            calls_per_instance=len(own.get(spec.name, set()) - shared) / n,
        ))
    prompt, completion = _tokens_per_call(plan, answer_tokens)
    return AuditPlan(
        judge=config.judge, mode=plan.formulation.mode, power=power, confidence=policy.confidence, detect=detect,
        instances_available=n if plan.instances else 0, unit=units.noun, calls_per_instance=len(plan.requests) / n, shared_calls_per_instance=len(shared) / n,
        prompt_tokens_per_call=measured[0] if measured else prompt,
        completion_tokens_per_call=measured[1] if measured else completion,
        tokens_measured=measured is not None, prices=prices_for(plan.judge.backend, plan.judge.model, config.batch), biases=biases,
        validity=validity_plans(policy.validity, policy.confidence, power, judge_assumed or ValidityAssumptions(), pilot_summary),
    )


def validity_plans(
    limits: ValidityLimits, confidence: float, power: float, assumed: ValidityAssumptions, pilot: dict[str, Any] | None,
) -> tuple[ValidityPlan, ...]:
    """The instances each validity criterion the policy sets needs (accuracy, kappa, the ceiling gap,
    calibration, the Alt-Test), from the pilot's measured values where it has them."""
    agreement = (pilot or {}).get("agreement") or {}
    evidence = agreement.get("evidence") or {}
    plans = []
    if limits.min_accuracy is not None:
        plans.append(_accuracy_plan(limits.min_accuracy, (pilot or {}).get("validity"), assumed, confidence, power))
    if limits.min_kappa is not None:
        plans.append(_kappa_plan("min_kappa", limits.min_kappa, evidence.get("gold_confusions"), assumed, confidence, power))
    if limits.min_human_kappa is not None:
        plans.append(_kappa_plan("min_human_kappa", limits.min_human_kappa, evidence.get("majority_confusions"), assumed, confidence, power))
    if limits.max_ceiling_gap is not None:
        plans.append(_gap_plan(limits.max_ceiling_gap, evidence.get("gap"), assumed, confidence, power))
    if limits.max_ece is not None:
        plans.append(_ece_plan(limits.max_ece, agreement.get("calibration"), assumed, confidence, power))
    if limits.alt_test_epsilon is not None:
        plans.append(_alt_test_plan(limits.alt_test_epsilon, evidence.get("alt_test")))
    return tuple(plans)


def _accuracy_plan(limit: float, validity: dict[str, Any] | None, assumed: ValidityAssumptions, confidence: float, power: float) -> ValidityPlan:
    rate = (validity or {}).get("accuracy") or {}
    accuracy = rate.get("rate")
    said = f"pilot: accuracy {accuracy:.3f} over {rate['n_instances']} instances" if accuracy is not None else f"assumed: accuracy {assumed.accuracy:.2f}"
    method = f"one-sided Wilson lower bound at {100 * confidence:g}%, exact binomial power; one right-or-wrong answer per instance (conservative)"
    return ValidityPlan("min_accuracy", limit, said, method, instances_for_accuracy(limit, assumed.accuracy if accuracy is None else accuracy, confidence, power))


def _kappa_plan(key: str, limit: float, confusions: list[list[int]] | None, assumed: ValidityAssumptions, confidence: float, power: float) -> ValidityPlan:
    reference = "gold" if key == "min_kappa" else "the human majority"
    if confusions:
        table = np.sum(confusions, axis=0).reshape(3, 3)
        shares = table.sum(axis=1) / table.sum()
        said = f"pilot: kappa against {reference} {kappa_sd(table)[0]:.3f}, its shares A/B/tie {shares[0]:.2f}/{shares[1]:.2f}/{shares[2]:.2f}, {len(confusions)} instances"
    else:
        table = kappa_table(assumed.kappa, assumed.gold_ties)
        said = f"assumed: kappa {assumed.kappa:.2f}, {reference} A or B evenly, ties {assumed.gold_ties:.2f}"
    method = "kappa's large-sample variance (Fleiss, Cohen & Everitt 1969), normal bound; one rating per instance (conservative)"
    return ValidityPlan(key, limit, said, method, instances_for_kappa(limit, table, confidence, power))


def _gap_plan(epsilon: float, gaps: list[float] | None, assumed: ValidityAssumptions, confidence: float, power: float) -> ValidityPlan:
    if gaps and len(gaps) > 1:
        mean, sd = float(np.mean(gaps)), float(np.std(gaps, ddof=1))
        said = f"pilot: gap mean {mean:+.3f}, sd {sd:.3f} over {len(gaps)} instances"
    else:
        mean, sd = assumed.gap_mean, assumed.gap_sd
        said = f"assumed: gap mean {mean:+.2f}, sd {sd:.2f} per instance"
    method = "normal lower bound of the mean gap reaching -ε: n = ((z_c + z_power) sd / (mean + ε))^2"
    return ValidityPlan("max_ceiling_gap", epsilon, said, method, instances_for_mean(-epsilon, mean, sd, confidence, power))


def _ece_plan(limit: float, calibration: dict[str, Any] | None, assumed: ValidityAssumptions, confidence: float, power: float) -> ValidityPlan:
    measured = calibration[calibration["decided_on"]]["value"] if calibration else None
    ece = assumed.ece if measured is None else measured
    said = f"assumed: true ECE {ece:.3f}" if measured is None else f"pilot: ECE {ece:.3f} (taken as true: its binning noise makes this conservative)"
    method = "simulated: P(A) uniform, over-confident by the ECE, two probes per instance, 10 bins, each run bounded by the certificate's own bootstrap (measured + z_c x bootstrap sd)"
    return ValidityPlan("max_ece", limit, said, method, instances_for_ece(limit, ece, confidence, power))


def _alt_test_plan(epsilon: float, differences: dict[str, list[int]] | None) -> ValidityPlan:
    advice = (f"the paper's advice: at least {ALT_TEST_ANNOTATORS} annotators, each labelling at least {ALT_TEST_MINIMUM} "
              f"of the instances with another annotator ({ALT_TEST_RECOMMENDED}-100 recommended)")
    if differences:
        fewest = min(len(d) for d in differences.values())
        advice += f"; pilot: {len(differences)} annotators, the fewest with {fewest} instances shared"
    return ValidityPlan("alt_test_epsilon", epsilon, advice, "no power computation: the Alt-Test's own minimum", ALT_TEST_RECOMMENDED)
