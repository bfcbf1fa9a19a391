"""``judgeaudit compare RUN_A RUN_B``: two judges, or two versions of a judge or prompt, on the same probes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from judgeaudit import __version__
from judgeaudit.errors import JudgeAuditError
from judgeaudit.runs.folder import MANIFEST, SUMMARY, read_json
from judgeaudit.runs.labels import stale_units
from judgeaudit.stats.compare import BiasComparison, compare_bias, finalize_comparisons


@dataclass
class RunComparison:
    """Every bias both runs measured, compared; what could not be, and why."""

    label_a: str
    label_b: str
    run_a: str
    run_b: str
    alpha: float
    biases: list[BiasComparison]
    only_in: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tool_version: str = __version__

    @property
    def summary_sentence(self) -> str:
        better_a = [b.name for b in self.biases if b.q_value is not None and b.q_value < self.alpha and b.difference < 0]
        better_b = [b.name for b in self.biases if b.q_value is not None and b.q_value < self.alpha and b.difference > 0]
        if not better_a and not better_b:
            return f"No difference detected on any of the {len(self.biases)} biases compared."
        parts = []
        if better_a:
            parts.append(f"A ({self.label_a}) is less biased on {', '.join(better_a)}")
        if better_b:
            parts.append(f"B ({self.label_b}) is less biased on {', '.join(better_b)}")
        return "; ".join(parts) + "."

    def record(self) -> dict[str, Any]:
        return asdict(self) | {"summary": self.summary_sentence}


def _load(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if not (run_dir / SUMMARY).is_file() or not (run_dir / MANIFEST).is_file():
        raise JudgeAuditError(f"{run_dir}: not a finished run folder (no {SUMMARY} or {MANIFEST})")
    summary = read_json(run_dir / SUMMARY)
    if summary.get("biases") and "instance_effects" not in next(iter(summary["biases"].values())):
        raise JudgeAuditError(f"{run_dir}: its summary predates per-instance effects; rebuild it with `judgeaudit report {run_dir}`")
    if stale := stale_units(run_dir, summary):
        raise JudgeAuditError(stale)
    return read_json(run_dir / MANIFEST), summary


def compare_runs(run_a: Path, run_b: Path, alpha: float = 0.05) -> RunComparison:
    manifest_a, summary_a = _load(run_a)
    manifest_b, summary_b = _load(run_b)
    templates_a = {spec["name"]: spec["text_hash"] for spec in manifest_a["biases"]}
    templates_b = {spec["name"]: spec["text_hash"] for spec in manifest_b["biases"]}
    comparison = RunComparison(summary_a["judge"], summary_b["judge"], summary_a["run_id"], summary_b["run_id"], alpha, [])
    if manifest_a["dataset"]["sha256"] != manifest_b["dataset"]["sha256"]:
        comparison.notes.append("The runs used different datasets: only instances with the same id in both are compared.")
    if manifest_a["seed"] != manifest_b["seed"]:
        comparison.notes.append("The runs used different seeds, so cue wordings may differ between them.")
    if bool(summary_a.get("grouping")) != bool(summary_b.get("grouping")):
        comparison.notes.append(
            "One run counts prompt groups as units and the other instances: only units keyed alike in both "
            "(instances that are their own unit in both) are compared."
        )
    if summary_a.get("mode") != summary_b.get("mode"):
        comparison.notes.append(f"The runs asked in different formulations ({summary_a.get('mode')} vs {summary_b.get('mode')}).")
    readouts = [(s.get("validity") or {}).get("readout", "unknown") for s in (summary_a, summary_b)]
    if readouts[0] != readouts[1] or "mixed" in readouts:
        comparison.notes.append(
            f"The judges' readouts differ ({readouts[0]} vs {readouts[1]}): both are compared on their verdicts, "
            "the one scale they share; their probabilities or scores are not comparable."
        )
    for name in sorted(set(summary_a["biases"]) | set(summary_b["biases"])):
        if name not in summary_a["biases"] or name not in summary_b["biases"]:
            comparison.only_in[name] = f"only in {'A' if name in summary_a['biases'] else 'B'}"
            continue
        if templates_a.get(name) != templates_b.get(name):
            comparison.notes.append(f"{name}: the two runs used different versions of its template.")
        a, b = summary_a["biases"][name], summary_b["biases"][name]
        if tuple(a.get("effect_range") or (-1, 1)) != tuple(b.get("effect_range") or (-1, 1)):
            comparison.only_in[name] = "its effects are on different scales in the two runs (rebuild the older one with `judgeaudit report`)"
            continue
        result = compare_bias(
            name, a["expected"], a["instance_effects"], b["instance_effects"], seed=manifest_a["seed"], effect_range=tuple(a.get("effect_range") or (-1, 1))
        )
        if result is None:
            comparison.only_in[name] = "fewer than 2 instances assessed in both"
        else:
            comparison.biases.append(result)
    if not comparison.biases:
        raise JudgeAuditError(f"{run_a} and {run_b} have no bias assessed on common instances: nothing to compare")
    finalize_comparisons(comparison.biases, alpha, "A", "B")
    return comparison
