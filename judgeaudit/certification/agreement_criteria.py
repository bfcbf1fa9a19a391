"""Is the judge right, against gold and against people: the agreement criteria of a policy (kappa
against gold and the human majority, the gap to the human ceiling, the Alt-Test, calibration), each
bounded from the per-instance evidence of ``Summary.agreement`` at the policy's confidence.

Without what a criterion needs (an older summary, no gold, no annotations, no probabilities, too few
annotators to test) it is INCONCLUSIVE, "not assessable: ...", never passed silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from judgeaudit.certification.decision import BiasDecision
from judgeaudit.certification.policy import ValidityLimits
from judgeaudit.stats.agreement import alt_test_from_differences, kappa_bounds, mean_bounds
from judgeaudit.stats.alt_test import one_sided_p, tested_values
from judgeaudit.stats.calibration import ece_bounds

NOT_ASSESSABLE = "not assessable: "
OLD_SUMMARY = "the summary has no agreement figures (it predates them): rebuild it with `judgeaudit report RUN`"


@dataclass(frozen=True)
class _Bounds:
    """A statistic with its two one-sided bounds, and how to say it."""

    what: str
    value: float | None
    lower: float
    upper: float
    n_instances: int
    confidence: float

    def evidence(self) -> dict[str, Any]:
        return {"value": self.value, "lower": self.lower, "upper": self.upper, "confidence": self.confidence, "n_instances": self.n_instances}

    def said(self) -> str:
        value = "–" if self.value is None else f"{self.value:+.3f}"
        return (f"{self.what} {value} (at least {self.lower:+.3f} and at most {self.upper:+.3f}, "
                f"each at {100 * self.confidence:g}% confidence, {self.n_instances} instances)")


def _not_assessable(name: str, limit: float, missing: str) -> BiasDecision:
    return BiasDecision("INCONCLUSIVE", [NOT_ASSESSABLE + missing], {name: limit})


def _at_least(name: str, limit: float, threshold: float, bounds: _Bounds) -> BiasDecision:
    """PASS when the lower bound reaches ``threshold``, FAIL when the upper bound falls short, else INCONCLUSIVE."""
    if not (np.isfinite(bounds.lower) and np.isfinite(bounds.upper)):
        return _not_assessable(name, limit, f"{bounds.what} is undefined on this run (every verdict or label alike)")
    said, evidence = bounds.said(), bounds.evidence()
    if bounds.lower >= threshold:
        return BiasDecision("PASS", [f"{said} reaches {threshold:+g}"], {name: limit}, evidence)
    if bounds.upper < threshold:
        return BiasDecision("FAIL", [f"{said} is shown below {threshold:+g}"], {name: limit}, evidence)
    return BiasDecision("INCONCLUSIVE", [f"{said} is not yet shown to reach {threshold:+g}; more instances would decide"], {name: limit}, evidence)


def _at_most(name: str, limit: float, bounds: _Bounds) -> BiasDecision:
    """PASS when the upper bound stays within ``limit``, FAIL when the lower bound exceeds it, else INCONCLUSIVE."""
    if not (np.isfinite(bounds.lower) and np.isfinite(bounds.upper)):
        return _not_assessable(name, limit, f"{bounds.what} is undefined on this run")
    said, evidence = bounds.said(), bounds.evidence()
    if bounds.upper <= limit:
        return BiasDecision("PASS", [f"{said} within {limit:g}"], {name: limit}, evidence)
    if bounds.lower > limit:
        return BiasDecision("FAIL", [f"{said} is shown above {limit:g}"], {name: limit}, evidence)
    return BiasDecision("INCONCLUSIVE", [f"{said} is not yet shown within {limit:g}; more instances would decide"], {name: limit}, evidence)


def _why_missing(agreement: dict[str, Any], topic: str, missing: str) -> str:
    """What is missing, with the audit's own reason where it gave one."""
    why = next((str(reason) for key, reason in (agreement.get("not_assessable") or {}).items() if topic in key.lower()), None)
    return f"{missing} ({why})" if why else missing


def _kappa(name: str, limit: float, agreement: dict[str, Any], reference: str, confidence: float, seed: int) -> BiasDecision:
    """Cohen's kappa against gold (``gold``) or the human majority (``humans``) must reach ``limit``."""
    record = agreement.get(reference)
    confusions = agreement["evidence"]["gold_confusions" if reference == "gold" else "majority_confusions"]
    missing = {"gold": "no gold labels to compare the judge with", "humans": "no human annotations to compare the judge with"}[reference]
    if record is None or not confusions:
        topic = "gold" if reference == "gold" else "human"
        return _not_assessable(name, limit, _why_missing(agreement, topic, missing if record is None else "no instance with a human majority"))
    low, high = kappa_bounds(confusions, confidence, seed)
    what = "kappa against gold" if reference == "gold" else "kappa against the human majority"
    decision = _at_least(name, limit, limit, _Bounds(what, record["kappa"]["value"], _finite(low), _finite(high), len(confusions), confidence))
    if decision.decision == "PASS" and not _finite(low) > 0:  # a limit at or below 0: kappa 0 is what a judge that ignores content gets
        return BiasDecision("INCONCLUSIVE", [*decision.reasons, f"but not shown above 0 ({CHANCE})"], decision.limits, decision.evidence)
    return decision


def _ceiling_gap(epsilon: float, agreement: dict[str, Any], confidence: float, seed: int) -> BiasDecision:
    """The judge's agreement with a random annotator minus the annotators' with each other: at least -ε."""
    humans, gaps = agreement.get("humans"), agreement["evidence"]["gap"]
    if humans is None or not gaps:
        missing = "no human annotations" if humans is None else "no instance with two or more annotations (the human ceiling needs them)"
        return _not_assessable("max_ceiling_gap", epsilon, _why_missing(agreement, "human", missing))
    low, high = mean_bounds(gaps, confidence, seed)
    value = (humans.get("gap") or {}).get("value", float(np.mean(gaps)))
    bounds = _Bounds("agreement with a random annotator minus the human ceiling", value, _finite(low), _finite(high), len(gaps), confidence)
    return _beyond_chance(_at_least("max_ceiling_gap", epsilon, -epsilon, bounds), agreement, confidence, seed)


def _calibration(limit: float, agreement: dict[str, Any], confidence: float, seed: int) -> BiasDecision:
    """The expected calibration error of P(A) (recalibrated where the run decides on that) within ``limit``."""
    calibration, points = agreement.get("calibration"), agreement["evidence"]["calibration"]
    if calibration is None or not points:
        return _not_assessable("max_ece", limit, _why_missing(agreement, "calibration", "no probabilities of A from the judge"))
    decided_on = calibration["decided_on"]
    recalibrated = decided_on == "recalibrated_ece"
    low, high = ece_bounds(points, confidence, seed, recalibrated)
    what = "calibration error after recalibration" if recalibrated else "calibration error"
    return _at_most("max_ece", limit, _Bounds(what, calibration[decided_on]["value"], _finite(low), _finite(high), calibration["n_instances"], confidence))


def _alt_test(epsilon: float, agreement: dict[str, Any], confidence: float, seed: int) -> BiasDecision:
    """The Alt-Test at the policy's ε and q = 1 - confidence: PASS when the judge wins against at least
    half the annotators (and is shown to beat chance, ``_beyond_chance``); FAIL when more than half are
    shown better than the judge by more than ε."""
    humans, differences = agreement.get("humans"), agreement["evidence"]["alt_test"]
    if humans is None or not differences:
        missing = "no human annotations" if humans is None else "no annotator shares enough instances with another to be tested"
        return _not_assessable("alt_test_epsilon", epsilon, _why_missing(agreement, "human" if humans is None else "alt-test", missing))
    q = 1.0 - confidence
    units = agreement["evidence"].get("alt_test_units") or {}
    test = alt_test_from_differences(differences, units=units, epsilon=epsilon, q=q)
    if test.passed is None:
        return _not_assessable("alt_test_epsilon", epsilon, test.reason)
    worse = _shown_worse(differences, units, [a.annotator for a in test.annotators], epsilon, q)
    tested = len(test.annotators)
    evidence = {"epsilon": epsilon, "q": q, "annotators": tested, "won": sum(a.won for a in test.annotators), "shown_worse": len(worse),
                "winning_rate": test.winning_rate, "advantage_probability": test.advantage_probability, "n_instances": humans["n_instances"]}
    said = f"the judge wins against {evidence['won']} of {tested} annotators (ε = {epsilon:g}, q = {q:g})"
    if test.passed:
        return _beyond_chance(BiasDecision("PASS", [f"{said}: it can replace an annotator"], {"alt_test_epsilon": epsilon}, evidence), agreement, confidence, seed)
    if 2 * len(worse) > tested:
        return BiasDecision("FAIL", [f"{said}; {', '.join(worse)} shown better than the judge by more than ε"], {"alt_test_epsilon": epsilon}, evidence)
    return BiasDecision("INCONCLUSIVE", [f"{said}: not yet shown to replace an annotator; more instances would decide"], {"alt_test_epsilon": epsilon}, evidence)


def _shown_worse(differences: dict[str, list[int]], units: dict[str, list[int]], tested: list[str], epsilon: float, q: float) -> list[str]:
    """The tested annotators shown to beat the judge by more than ε (mean W_h - W_f > ε: the Alt-Test's
    own one-sided test turned round, over the annotator's units), Benjamini-Yekutieli at ``q``."""
    p_values = [one_sided_p((-tested_values(differences[name], units.get(name))).tolist(), -epsilon)[1] for name in tested]
    adjusted = stats.false_discovery_control(p_values, method="by") if p_values else []
    return [name for name, p in zip(tested, adjusted, strict=True) if p <= q]


CHANCE = (
    "a judge that ignores content (always the first shown, or a coin) agrees with a random annotator half "
    "the time, so it comes within ε of a low human ceiling and wins the Alt-Test against noisy annotators"
)


def _beyond_chance(decision: BiasDecision, agreement: dict[str, Any], confidence: float, seed: int) -> BiasDecision:
    """A PASS of a criterion that compares the judge with the annotators' own agreement (the gap to the
    ceiling, the Alt-Test) stands only where the judge is also shown to agree with the annotators'
    majority beyond chance: kappa as shown, whose lower bound must exceed 0 (a judge that ignores content
    has kappa 0). Shown at most 0: FAIL; neither: INCONCLUSIVE; no majority to compare with: not assessable."""
    if decision.decision != "PASS":
        return decision
    confusions = agreement["evidence"]["majority_confusions"]
    low, high = (_finite(bound) for bound in kappa_bounds(confusions, confidence, seed)) if confusions else (float("nan"), float("nan"))
    if not (np.isfinite(low) and np.isfinite(high)):
        reason = NOT_ASSESSABLE + f"no kappa against the annotators' majority to show that the judge beats chance ({CHANCE})"
        return BiasDecision("INCONCLUSIVE", [reason], decision.limits, decision.evidence)
    evidence = decision.evidence | {"majority_kappa_lower": low, "majority_kappa_upper": high}
    said = f"kappa against the annotators' majority is at least {low:+.3f} and at most {high:+.3f} at {100 * confidence:g}% confidence"
    if low > 0:
        return BiasDecision("PASS", [*decision.reasons, f"and the judge beats chance ({said})"], decision.limits, evidence)
    if high <= 0:
        return BiasDecision("FAIL", [*decision.reasons, f"but the judge is shown no better than chance ({said}): {CHANCE}"], decision.limits, evidence)
    return BiasDecision("INCONCLUSIVE", [*decision.reasons, f"but the judge is not yet shown to beat chance ({said}): {CHANCE}"], decision.limits, evidence)


def _finite(bound: float | None) -> float:
    return float("nan") if bound is None else float(bound)


def decide_agreement(agreement: dict[str, Any] | None, limits: ValidityLimits, confidence: float, seed: int) -> dict[str, BiasDecision]:
    """The agreement criteria the policy sets: kappa against gold and the human majority, the gap to the
    human ceiling, the Alt-Test and calibration; without what one needs it is not assessable."""
    wanted = {
        name: (key, limit) for name, key, limit in (
            ("kappa", "min_kappa", limits.min_kappa), ("human_kappa", "min_human_kappa", limits.min_human_kappa),
            ("ceiling_gap", "max_ceiling_gap", limits.max_ceiling_gap), ("alt_test", "alt_test_epsilon", limits.alt_test_epsilon),
            ("calibration", "max_ece", limits.max_ece),
        ) if limit is not None
    }
    if agreement is None:
        return {name: _not_assessable(key, limit, OLD_SUMMARY) for name, (key, limit) in wanted.items()}
    deciders: dict[str, Callable[[float], BiasDecision]] = {
        "kappa": lambda limit: _kappa("min_kappa", limit, agreement, "gold", confidence, seed),
        "human_kappa": lambda limit: _kappa("min_human_kappa", limit, agreement, "humans", confidence, seed),
        "ceiling_gap": lambda limit: _ceiling_gap(limit, agreement, confidence, seed),
        "alt_test": lambda limit: _alt_test(limit, agreement, confidence, seed),
        "calibration": lambda limit: _calibration(limit, agreement, confidence, seed),
    }
    return {name: deciders[name](limit) for name, (_, limit) in wanted.items()}
