"""PASS / FAIL / INCONCLUSIVE from a run's summary under a policy: is the judge right, then is it unbiased.

**Validity first** (the unchanged pairs, against the gold label), each with a one-sided bound at the
policy's confidence (Wilson at the instances' effective sample size): the lower bound of control
accuracy (against gold, gold ties left out) must reach ``min_accuracy`` (FAIL when even its upper
bound falls short); the tie rate's upper bound must stay within ``max_tie_rate``; in pairwise modes position consistency's lower bound must reach
``min_position_consistency``; and the judge's noise floor (asking again; an edit that changes nothing
of content or size) must stay within ``max_noise_floor``. A content-blind judge (always "A", always
"tie", random) has an accuracy of 0.5 or less and never passes.

**Agreement** (``certify.agreement_criteria``), where the policy sets it (each bounded from the per-instance evidence of
``Summary.agreement`` at the policy's confidence, by an instance bootstrap)::

    validity: {min_kappa: 0.40, min_human_kappa: 0.30, max_ceiling_gap: 0.10, alt_test_epsilon: 0.15, max_ece: 0.10}

Cohen's kappa against gold (``min_kappa``) and against the human majority (``min_human_kappa``): PASS
when its lower bound reaches the limit, FAIL when its upper bound falls short (a content-blind judge
has a kappa of 0). The judge's agreement with a random annotator minus the annotators' with each other
(``max_ceiling_gap`` ε): PASS when its lower bound is at least -ε, FAIL when its upper bound is below.
The Alt-Test, recomputed at ``alt_test_epsilon`` with q = 1 - confidence: PASS when it passes (the
judge wins against at least half the annotators), FAIL when more than half are shown better than the
judge by more than ε. The calibration error of P(A) (recalibrated where the run decides on that,
for reward scores) must stay within ``max_ece``: PASS when its upper bound does, FAIL when its lower
bound exceeds it. Otherwise INCONCLUSIVE (more instances would decide); and a run without what a
criterion needs (an older summary, no gold, no annotations, no probabilities, too few annotators to
test) is INCONCLUSIVE, "not assessable: ...", never passed silently.

**Then each bias**, in this order:
1. required but not audited → INCONCLUSIVE (a bias with no meaning in the run's formulation, such as
   position for a pointwise judge, is not applicable and blocks nothing);
2. the audit itself could not assess it (too few instances, unscored answers that differ with the
   cue), or fewer instances than the policy's minimum → INCONCLUSIVE;
3. more failed calls than the limit → INCONCLUSIVE (missing evidence, not a fault of the judge);
4. more unreadable or truncated answers than the limit → FAIL (the judge is unfit whatever its bias);
5. the equivalence test of the cue-specific pull at the policy's δ and confidence, in both directions
   unless the policy makes the bias one-sided: SHOWN_ABOVE → FAIL, CERTIFIED_BELOW → PASS,
   UNDECIDED → INCONCLUSIVE.
Overall: FAIL if validity or any bias fails, else INCONCLUSIVE if any is inconclusive, else PASS.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from judgeaudit.certification.agreement_criteria import decide_agreement
from judgeaudit.certification.decision import BiasDecision, Decision, Decisions
from judgeaudit.certification.policy import Limits, Policy, ValidityLimits
from judgeaudit.stats.equivalence import EFFECT_RANGE, Equivalence, equivalence, in_sequence
from judgeaudit.stats.inference import wilson_interval


def _worst(decisions: list[Decision]) -> Decision:
    return "FAIL" if "FAIL" in decisions else "INCONCLUSIVE" if "INCONCLUSIVE" in decisions or not decisions else "PASS"


def decide(summary: dict[str, Any], policy: Policy, inapplicable: dict[str, str], seed: int) -> Decisions:
    """Decide validity, every audited bias and every required one; ``inapplicable`` names the skipped
    biases that have no meaning in the run's formulation (with the reason)."""
    audited = summary["biases"]
    family = len(audited)
    sequential = summary.get("sequential") is not None
    decisions = {name: _bias(result, policy, family, seed, sequential) for name, result in audited.items()}
    not_applicable = {}
    for name in policy.required:
        if name in audited:
            continue
        if name in inapplicable:
            not_applicable[name] = inapplicable[name]
            continue
        why = summary.get("skipped_biases", {}).get(name, "it was not selected for the run")
        decisions[name] = BiasDecision("INCONCLUSIVE", [f"required by the policy but not audited: {why}"], {})
    validity = decide_validity(summary, policy, seed)
    overall = _worst([d.decision for d in validity.values()] + [d.decision for d in decisions.values()])
    if not decisions:
        overall = "FAIL" if overall == "FAIL" else "INCONCLUSIVE"
    return Decisions(overall, decisions, not_applicable, validity)


def _one_sided(rate: dict[str, Any], confidence: float) -> tuple[float, float]:
    """(lower, upper) Wilson bounds of a rate, each one-sided at ``confidence``, at its effective size."""
    n = rate.get("n_effective") or rate["n_instances"]
    low, high = wilson_interval(rate["rate"] * n, n, 2 * confidence - 1)
    assert low is not None and high is not None  # a measured rate has instances
    return low, high


def _floor(name: str, rate: dict[str, Any] | None, minimum: float | None, confidence: float, what: str) -> BiasDecision | None:
    """A rate that must be at least ``minimum``: PASS when its lower bound reaches it, FAIL when its
    upper bound falls short, else INCONCLUSIVE."""
    if minimum is None:
        return None
    limits = {name: minimum}
    if rate is None or rate.get("rate") is None:
        return BiasDecision("INCONCLUSIVE", [f"no {what} measured: nothing to show it reaches {minimum:g}"], limits)
    low, high = _one_sided(rate, confidence)
    evidence = {"rate": rate["rate"], "lower": low, "upper": high, "confidence": confidence, "n_instances": rate["n_instances"]}
    said = f"{what} {100 * rate['rate']:.1f}% (at least {100 * low:.1f}% and at most {100 * high:.1f}%, each at {100 * confidence:g}% confidence, {rate['n_instances']} instances)"
    if low >= minimum:
        return BiasDecision("PASS", [f"{said} reaches {100 * minimum:g}%"], limits, evidence)
    if high < minimum:
        return BiasDecision("FAIL", [f"{said} is shown below {100 * minimum:g}%"], limits, evidence)
    return BiasDecision("INCONCLUSIVE", [f"{said} is not yet shown to reach {100 * minimum:g}%; more instances would decide"], limits, evidence)


def _ceiling(name: str, rates: dict[str, dict[str, Any] | None], maximum: float | None, confidence: float) -> BiasDecision | None:
    """Rates that must each stay at most ``maximum``: PASS when every upper bound does, FAIL when any
    lower bound exceeds it, else INCONCLUSIVE."""
    if maximum is None:
        return None
    reasons, decisions, evidence = [], [], {}
    for what, rate in rates.items():
        if rate is None or rate.get("rate") is None:
            continue
        low, high = _one_sided(rate, confidence)
        evidence[what] = {"rate": rate["rate"], "lower": low, "upper": high, "confidence": confidence}
        said = f"{what} {100 * rate['rate']:.1f}% (at most {100 * high:.1f}%, at least {100 * low:.1f}%, each at {100 * confidence:g}% confidence)"
        decision: Decision = "PASS" if high <= maximum else "FAIL" if low > maximum else "INCONCLUSIVE"
        decisions.append(decision)
        reasons.append(f"{said}: {'within' if decision == 'PASS' else 'shown above' if decision == 'FAIL' else 'not yet shown within'} {100 * maximum:g}%")
    if not decisions:
        return BiasDecision("INCONCLUSIVE", [f"no {' or '.join(rates)} measured"], {name: maximum})
    return BiasDecision(_worst(decisions), reasons, {name: maximum}, evidence)


def decide_validity(summary: dict[str, Any], policy: Policy, seed: int) -> dict[str, BiasDecision]:
    """Is the judge right: accuracy, ties, position consistency and noise floor under the policy, then
    agreement with gold and humans and calibration where the policy sets those limits."""
    validity = summary.get("validity")
    limits: ValidityLimits = policy.validity
    agreement = decide_agreement(summary.get("agreement"), limits, policy.confidence, seed)
    if validity is None:
        return {"validity": BiasDecision("INCONCLUSIVE", ["the summary has no validity figures: rebuild it with `judgeaudit report RUN`"], asdict(limits))} | agreement
    noise = summary.get("noise_floor") or {}
    edits = summary.get("edits") or {}
    criteria = {
        "accuracy": _floor("min_accuracy", validity["accuracy"], limits.min_accuracy, policy.confidence, "control accuracy"),
        "ties": _ceiling("max_tie_rate", {"ties on the unchanged pairs": validity["tie_rate"]}, limits.max_tie_rate, policy.confidence),
        "noise_floor": _ceiling(
            "max_noise_floor",
            {"verdicts changed by asking again": noise.get("repeat"), "verdicts changed by an edit that changes nothing": edits.get("fragility")},
            limits.max_noise_floor,
            policy.confidence,
        ),
    }
    if summary.get("mode", "pairwise").startswith("pairwise"):
        criteria["position_consistency"] = _floor(
            "min_position_consistency", validity["position_consistency"], limits.min_position_consistency, policy.confidence, "position consistency"
        )
    return {name: decision for name, decision in criteria.items() if decision is not None} | agreement


def _tested_direction(result: dict[str, Any], limits: Limits) -> str:
    """Which way the equivalence bounds the pull: both ways unless the policy names the file's direction."""
    return "either" if limits.direction == "both" else result["expected"]


def settled(results: dict[str, Any], policy: Policy, seed: int, family: int) -> dict[str, Any]:
    """The biases (summary entries by name) whose equivalence test is decided at the policy's margin and
    confidence with at least the policy's minimum of instances: what sequential stopping stops."""
    decided = {}
    for name, result in results.items():
        effects = in_sequence(result["instance_effects"], seed)
        if len(effects) < policy.min_instances:
            continue
        limits = policy.limits_for(name, result["dimension"])
        test = equivalence(effects, _tested_direction(result, limits), limits.max_effect, policy.confidence, family, effect_range_of(result))
        if test.state != "UNDECIDED":
            decided[name] = test
    return decided


def effect_range_of(result: dict[str, Any]) -> tuple[float, float]:
    """The range of a bias's per-instance effects (summaries before the cue-specific pull had [-1, 1])."""
    low, high = result.get("effect_range") or EFFECT_RANGE
    return (float(low), float(high))


def _interval(result: dict[str, Any], test: Equivalence | None, sequential: bool) -> dict[str, Any]:
    """The interval to read beside the decision: after sequential stopping only the anytime-valid
    bounds hold; else the audit's 95% interval (it inverts the audit's test)."""
    if sequential:
        if test is None:
            return {"low": None, "high": None, "confidence": None, "method": "none: no assessed instances"}
        return {"low": test.lower, "high": test.upper, "confidence": 2 * test.confidence - 1,
                "method": f"anytime-valid confidence sequence (valid after sequential stopping); each bound at {100 * test.confidence:g}%"}
    low, high = result["effect_ci"]
    return {"low": low, "high": high, "confidence": 0.95, "method": "inverted sign-flip test over instances (fixed sample)"}


def _bias(result: dict[str, Any], policy: Policy, family: int, seed: int, sequential: bool) -> BiasDecision:
    limits = policy.limits_for(result["name"], result["dimension"])
    direction = _tested_direction(result, limits)
    effects = in_sequence(result.get("instance_effects", {}), seed)
    test = equivalence(effects, direction, limits.max_effect, policy.confidence, family, effect_range_of(result)) if effects else None
    probes = sum(states["probes"] for name, states in result["answers"].items() if name != "placebo")
    unreadable = result["n_unparseable"] + result["n_truncated"]
    unreadable_rate = unreadable / probes if probes else 0.0
    failed_rate = result["n_failed"] / probes if probes else 0.0
    evidence = {
        "effect": result["effect"],
        "total_pull": (result.get("total_pull") or {}).get("mean"),
        "edit_pull": (result.get("edit_pull") or {}).get("mean"),
        "interval": _interval(result, test, sequential),
        "effect_ci_95": None if sequential else result["effect_ci"],
        "tested_direction": direction,
        "expected_direction": result["expected"],
        "audit_status": result["status"],
        "q_value": result["q_value"],
        "n_instances": result["n_instances"],
        "equivalence": asdict(test) if test else None,
        "unreadable_rate": round(unreadable_rate, 6),
        "failed_rate": round(failed_rate, 6),
    }
    inconclusive, failing = _inconclusive(result, policy, limits, failed_rate), _failing(limits, unreadable_rate)
    if test is not None and test.state == "SHOWN_ABOVE":
        failing.append(f"cue-specific pull shown beyond δ = {limits.max_effect:g}: {_bounds(test, direction, fail=True)}")
    if failing:
        return BiasDecision("FAIL", failing + inconclusive, asdict(limits), evidence)
    if inconclusive:
        return BiasDecision("INCONCLUSIVE", inconclusive, asdict(limits), evidence)
    if test is None or test.state == "UNDECIDED":
        return BiasDecision("INCONCLUSIVE", [f"not yet shown within δ = {limits.max_effect:g}: {_bounds(test, direction)}; more instances would decide"], asdict(limits), evidence)
    return BiasDecision("PASS", [f"cue-specific pull certified within δ = {limits.max_effect:g}: {_bounds(test, direction)}"], asdict(limits), evidence)


def _inconclusive(result: dict[str, Any], policy: Policy, limits: Limits, failed_rate: float) -> list[str]:
    reasons = []
    if result["status"] == "INCONCLUSIVE":
        reasons.append(f"the audit could not assess it: {result['reason']}")
    elif result["n_instances"] < policy.min_instances:
        reasons.append(f"{result['n_instances']} instances assessed, the policy needs {policy.min_instances}")
    if failed_rate > limits.max_failed_rate:
        reasons.append(f"{100 * failed_rate:.1f}% of its calls failed (limit {100 * limits.max_failed_rate:g}%): rerun to fill them in")
    return reasons


def _failing(limits: Limits, unreadable_rate: float) -> list[str]:
    if unreadable_rate > limits.max_unparseable_rate:
        return [f"{100 * unreadable_rate:.1f}% of its answers were unreadable or cut off (limit {100 * limits.max_unparseable_rate:g}%)"]
    return []


def _bounds(test: Equivalence | None, direction: str, fail: bool = False) -> str:
    """The bounds behind a decision, with the confidence each one states."""
    if test is None:
        return "no assessed instances"
    low, high = (test.fail_lower, test.fail_upper) if fail else (test.lower, test.upper)
    level = f"{100 * test.confidence:g}%"
    if fail:
        return f"bounds {low:+.3f} to {high:+.3f} at the stricter level that controls a FAIL over all biases together, {test.n_instances} instances"
    if direction == "toward":
        return f"pull at most {high:+.3f} at {level} confidence over {test.n_instances} instances"
    if direction == "away":
        return f"pull at least {low:+.3f} at {level} confidence over {test.n_instances} instances"
    both = f"{100 * (2 * test.confidence - 1):g}%"
    return f"pull between {low:+.3f} and {high:+.3f} over {test.n_instances} instances (each bound at {level} confidence, so {both} for the pair)"
