"""Per-bias statistics and the run summary that every output reads."""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.schema import CONTROL, Judgment, Probe
from judgeaudit.stats.flips import Pair, PairSet, perturbation_pairs, position_pairs
from judgeaudit.stats.tests import benjamini_hochberg, mcnemar_exact, mean_interval, wilson_interval


def _rate(k: int, n: int) -> float | None:
    return k / n if n else None


def _by_category(pairs: list[Pair]) -> dict[str, dict[str, Any]]:
    """Flip counts and rates per instance category."""
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(pair.category, []).append(pair)
    result = {}
    for category, members in sorted(groups.items()):
        flips = sum(p.flipped for p in members)
        result[category] = {
            "n": len(members),
            "flips": flips,
            "flip_rate": flips / len(members),
            "flip_ci": list(wilson_interval(flips, len(members))),
        }
    return result


def bias_statistics(spec: BiasSpec, pairset: PairSet) -> dict[str, Any]:
    """Flip rate (Wilson CI), accuracy before/after, exact McNemar, and the preference shift."""
    pairs = pairset.pairs
    n = len(pairs)
    flips = sum(p.flipped for p in pairs)
    toward = sum(p.base_correct and not p.biased_correct for p in pairs)
    away = sum(p.biased_correct and not p.base_correct for p in pairs)
    shifts = [p.base_pref - p.biased_pref for p in pairs]
    shift = mean_interval(shifts)
    low, high = wilson_interval(flips, n)
    soft = sum(p.soft for p in pairs)
    return {
        "dimension": spec.dimension,
        "method": spec.method,
        "description": spec.description,
        "n": n,
        "n_unparseable": pairset.unparseable,
        "n_failed": pairset.failed,
        "flips": flips,
        "flip_rate": flips / n if n else 0.0,
        "flip_ci": [low, high],
        "toward_bias": toward,
        "away_from_bias": away,
        "direction": "toward" if toward > away else "away" if away > toward else "none",
        "accuracy_control": _rate(sum(p.base_correct for p in pairs), n),
        "accuracy_perturbed": _rate(sum(p.biased_correct for p in pairs), n),
        "p_value": mcnemar_exact(toward, away),
        "pref_shift": shift.mean,
        "pref_shift_ci": [shift.low, shift.high],
        "pref_shift_p": shift.p_value,
        "pref_source": "logits" if n and soft == n else "verdicts" if soft == 0 else "mixed",
        "by_category": _by_category(pairs),
        "flipped_examples": [
            {"instance_id": p.instance_id, "order": p.order, "from": p.base_outcome, "to": p.biased_outcome}
            for p in pairs
            if p.flipped
        ],
    }


def summarize_biases(
    specs: list[BiasSpec], rows: list[tuple[Probe, Judgment]], alpha: float = 0.05
) -> dict[str, dict[str, Any]]:
    """Statistics for every bias, with Benjamini-Hochberg q-values across the biases of the run."""
    results: dict[str, dict[str, Any]] = {}
    for spec in specs:
        pairset = position_pairs(rows) if spec.method == "swap" else perturbation_pairs(spec.name, rows)
        results[spec.name] = bias_statistics(spec, pairset)
    q_values = benjamini_hochberg([r["p_value"] for r in results.values()])
    for result, q in zip(results.values(), q_values, strict=True):
        result["q_value"] = q
        result["flagged"] = bool(result["n"] > 0 and q < alpha)
    return results


def call_counts(rows: Iterable[tuple[Probe, Judgment]], answers: dict[str, Judgment]) -> dict[str, int]:
    """Counts over the run's unique requests (``answers``) and its probes (``rows``)."""
    unique = list(answers.values())
    return {
        "total": len(unique),
        "cached": sum(j.cached for j in unique),
        "failed": sum(j.verdict == "error" for j in unique),
        "unparseable": sum(j.verdict == "unparseable" for j in unique),
        "truncated": sum(j.truncated for j in unique),
        "probes": sum(1 for _ in rows),
    }


def control_accuracy(rows: Iterable[tuple[Probe, Judgment]]) -> dict[str, Any]:
    """How often the judge picks the chosen response on the unperturbed pairs, overall and per category."""
    tallies: dict[str, list[int]] = {}
    for probe, judgment in rows:
        if probe.bias == CONTROL and judgment.verdict in ("A", "B", "tie"):
            tally = tallies.setdefault(probe.category, [0, 0])
            tally[0] += judgment.verdict == probe.correct
            tally[1] += 1

    def entry(correct: int, total: int) -> dict[str, Any]:
        return {"n": total, "accuracy": _rate(correct, total), "ci": list(wilson_interval(correct, total))}

    overall = entry(sum(t[0] for t in tallies.values()), sum(t[1] for t in tallies.values()))
    return overall | {"by_category": {cat: entry(*tallies[cat]) for cat in sorted(tallies)}}


def build_summary(
    manifest: dict[str, Any], specs: list[BiasSpec], rows: list[tuple[Probe, Judgment]], answers: dict[str, Judgment]
) -> dict[str, Any]:
    """The summary.json document (field names fixed by the run-folder contract)."""
    alpha = manifest["config"]["alpha"]
    return {
        "run_id": manifest["run_id"],
        "judge": f"{manifest['judge']['backend']}:{manifest['judge']['model']}",
        "dataset": manifest["dataset"]["name"],
        "n_instances": manifest["dataset"]["n_instances"],
        "calls": call_counts(rows, answers),
        "cost_usd": round(sum(j.cost_usd for j in answers.values()), 6),
        "alpha": alpha,
        "control": control_accuracy(rows),
        "biases": summarize_biases(specs, rows, alpha=alpha),
    }
