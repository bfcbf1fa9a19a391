"""Per-bias and overall PASS / FAIL / INCONCLUSIVE from a run's summary under a policy.

A bias, in this order:
1. required but not audited → INCONCLUSIVE (a bias with no meaning in the run's formulation, such as
   position for a pointwise judge, is not applicable and blocks nothing);
2. the audit itself could not assess it (too few instances, unscored answers that differ with the
   cue), or fewer instances than the policy's minimum → INCONCLUSIVE;
3. more failed calls than the limit → INCONCLUSIVE (missing evidence, not a fault of the judge);
4. more unreadable or truncated answers than the limit, or a placebo that flips more verdicts than
   the noise limit → FAIL (the judge is unfit whatever its bias);
5. the equivalence test at the policy's δ and confidence: SHOWN_ABOVE → FAIL, CERTIFIED_BELOW →
   PASS, UNDECIDED → INCONCLUSIVE.
Overall: FAIL if any bias fails, else INCONCLUSIVE if any is inconclusive, else PASS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from judgeaudit.certify.policy import Limits, Policy
from judgeaudit.stats.equivalence import equivalence, in_sequence

Decision = Literal["PASS", "FAIL", "INCONCLUSIVE"]
EXIT_CODES: dict[str, int] = {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 2}


@dataclass(frozen=True)
class BiasDecision:
    """One bias's decision, why, and the evidence behind it."""

    decision: Decision
    reasons: list[str]
    limits: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decisions:
    """Every bias's decision and the overall one."""

    overall: Decision
    biases: dict[str, BiasDecision]
    not_applicable: dict[str, str]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.overall]


def decide(summary: dict[str, Any], policy: Policy, inapplicable: dict[str, str], seed: int) -> Decisions:
    """Decide every audited bias and every required one; ``inapplicable`` names the skipped biases
    that have no meaning in the run's formulation (with the reason)."""
    audited = summary["biases"]
    family = len(audited)
    decisions = {name: _bias(result, policy, family, seed) for name, result in audited.items()}
    not_applicable = {}
    for name in policy.required:
        if name in audited:
            continue
        if name in inapplicable:
            not_applicable[name] = inapplicable[name]
            continue
        why = summary.get("skipped_biases", {}).get(name, "it was not selected for the run")
        decisions[name] = BiasDecision("INCONCLUSIVE", [f"required by the policy but not audited: {why}"], {})
    overall: Decision = (
        "FAIL" if any(d.decision == "FAIL" for d in decisions.values())
        else "INCONCLUSIVE" if any(d.decision == "INCONCLUSIVE" for d in decisions.values()) or not decisions
        else "PASS"
    )
    return Decisions(overall, decisions, not_applicable)


def settled(results: dict[str, Any], policy: Policy, seed: int, family: int) -> dict[str, Any]:
    """The biases (summary entries by name) whose equivalence test is decided at the policy's margin and
    confidence with at least the policy's minimum of instances: what sequential stopping stops."""
    decided = {}
    for name, result in results.items():
        effects = in_sequence(result["instance_effects"], seed)
        if len(effects) < policy.min_instances:
            continue
        limits = policy.limits_for(name, result["dimension"])
        test = equivalence(effects, result["expected"], limits.max_effect, policy.confidence, family)
        if test.state != "UNDECIDED":
            decided[name] = test
    return decided


def _bias(result: dict[str, Any], policy: Policy, family: int, seed: int) -> BiasDecision:
    limits = policy.limits_for(result["name"], result["dimension"])
    effects = in_sequence(result.get("instance_effects", {}), seed)
    test = equivalence(effects, result["expected"], limits.max_effect, policy.confidence, family) if effects else None
    probes = sum(states["probes"] for states in result["answers"].values())
    unreadable = result["n_unparseable"] + result["n_truncated"]
    unreadable_rate = unreadable / probes if probes else 0.0
    failed_rate = result["n_failed"] / probes if probes else 0.0
    noise = ((result.get("noise_floor") or {}).get("placebo") or {}).get("rate")
    evidence = {
        "effect": result["effect"],
        "effect_ci_95": result["effect_ci"],
        "expected_direction": result["expected"],
        "audit_status": result["status"],
        "q_value": result["q_value"],
        "n_instances": result["n_instances"],
        "equivalence": asdict(test) if test else None,
        "placebo_flip_rate": noise,
        "unreadable_rate": round(unreadable_rate, 6),
        "failed_rate": round(failed_rate, 6),
    }
    inconclusive, failing = _inconclusive(result, policy, limits, failed_rate), _failing(limits, unreadable_rate, noise)
    if test is not None and test.state == "SHOWN_ABOVE":
        failing.append(f"effect shown above δ = {limits.max_effect:g}: {_bounds(test)}")
    if failing:
        return BiasDecision("FAIL", failing + inconclusive, asdict(limits), evidence)
    if inconclusive:
        return BiasDecision("INCONCLUSIVE", inconclusive, asdict(limits), evidence)
    if test is None or test.state == "UNDECIDED":
        return BiasDecision("INCONCLUSIVE", [f"not yet shown below δ = {limits.max_effect:g}: {_bounds(test)}; more instances would decide"], asdict(limits), evidence)
    return BiasDecision("PASS", [f"effect certified below δ = {limits.max_effect:g}: {_bounds(test)}"], asdict(limits), evidence)


def _inconclusive(result: dict[str, Any], policy: Policy, limits: Limits, failed_rate: float) -> list[str]:
    reasons = []
    if result["status"] == "INCONCLUSIVE":
        reasons.append(f"the audit could not assess it: {result['reason']}")
    elif result["n_instances"] < policy.min_instances:
        reasons.append(f"{result['n_instances']} instances assessed, the policy needs {policy.min_instances}")
    if failed_rate > limits.max_failed_rate:
        reasons.append(f"{100 * failed_rate:.1f}% of its calls failed (limit {100 * limits.max_failed_rate:g}%): rerun to fill them in")
    return reasons


def _failing(limits: Limits, unreadable_rate: float, noise: float | None) -> list[str]:
    reasons = []
    if unreadable_rate > limits.max_unparseable_rate:
        reasons.append(f"{100 * unreadable_rate:.1f}% of its answers were unreadable or cut off (limit {100 * limits.max_unparseable_rate:g}%)")
    if noise is not None and limits.max_noise_floor is not None and noise > limits.max_noise_floor:
        reasons.append(f"a content-free edit flips {100 * noise:.1f}% of its verdicts (noise limit {100 * limits.max_noise_floor:g}%)")
    return reasons


def _bounds(test: Any) -> str:
    if test is None:
        return "no assessed instances"
    return f"effect between {test.lower:+.3f} and {test.upper:+.3f} at {100 * test.confidence:g}% confidence over {test.n_instances} instances"
