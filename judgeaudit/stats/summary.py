"""Build the run's Summary from its (probe, judgment) rows: every figure every output shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.formulations import Formulation
from judgeaudit.schema import CONTROL, Judgment, Probe
from judgeaudit.stats.agreement import ALT_EPSILON, agreement
from judgeaudit.stats.calibration import PROBABILITIES, SCORE_DIFFERENCES, calibration
from judgeaudit.stats.cells import SCORED, SHARED, cell_frame
from judgeaudit.stats.edits import edit_findings
from judgeaudit.stats.effects import Settings, content_bias, finalize, position_bias, repeat_noise
from judgeaudit.stats.headline import headline
from judgeaudit.stats.judged import InstanceLabels, JudgedInstance, judged_instances
from judgeaudit.stats.length import length_view
from judgeaudit.stats.position import PositionMetrics, position_metrics
from judgeaudit.stats.records import (
    SCHEMA_VERSION,
    Agreement,
    BiasResult,
    CallCounts,
    ControlAccuracy,
    NoiseFloor,
    Rate,
    RunFacts,
    Summary,
    Validity,
)
from judgeaudit.stats.score_agreement import score_agreement
from judgeaudit.stats.units import Units
from judgeaudit.stats.wide import Cells

NOT_APPLICABLE = "the cue does not apply (the edit would change nothing)"


def summarize_biases(
    specs: list[BiasSpec],
    rows: list[tuple[Probe, Judgment]],
    settings: Settings,
    rewrite_skips: dict[str, dict[str, int]] | None = None,
) -> dict[str, BiasResult]:
    """The statistics of every bias, with the false-discovery control across them.

    ``rewrite_skips`` counts, per bias and reason, the instances whose LLM rewrite failed or was
    rejected; every other instance without probes of a bias is one the cue does not apply to.
    """
    return biases_from_cells(specs, Cells(cell_frame(rows)), settings, rewrite_skips)


def biases_from_cells(
    specs: list[BiasSpec], cells: Cells, settings: Settings, rewrite_skips: dict[str, dict[str, int]] | None = None
) -> dict[str, BiasResult]:
    """``summarize_biases`` on cells already built."""
    repeat = repeat_noise(cells, settings)
    results = []
    for spec in specs:
        if spec.method == "swap":
            results.append(position_bias(cells, spec, settings, repeat))
            continue
        result = content_bias(cells, spec, settings, repeat)
        result.skipped = _skipped(cells, spec.name, (rewrite_skips or {}).get(spec.name, {}))
        if result.reason and result.skipped:
            left_out = "; ".join(f"{n} left out: {why}" for why, n in result.skipped.items())
            result.reason = f"{result.reason} ({left_out})"
        results.append(result)
    finalize(results, settings.alpha)
    return {result.name: result for result in results}


def _skipped(cells: Cells, bias: str, rewrite_skips: dict[str, int]) -> dict[str, int]:
    """Instances of the run that have no probes of ``bias``, by reason."""
    asked = cells.n_instances(cells.mask("bias", SHARED))
    probed = cells.n_instances(cells.mask("bias", bias))
    reasons = {reason: n for reason, n in rewrite_skips.items() if n}
    not_applicable = asked - probed - sum(reasons.values())
    return reasons | ({NOT_APPLICABLE: not_applicable} if not_applicable > 0 else {})


def call_counts(rows: Iterable[tuple[Probe, Judgment]], answers: dict[str, Judgment]) -> CallCounts:
    """Counts over the run's unique requests (``answers``) and its probes (``rows``)."""
    unique = list(answers.values())
    return CallCounts(
        total=len(unique),
        cached=sum(j.cached for j in unique),
        failed=sum(j.verdict == "error" for j in unique),
        unparseable=sum(j.verdict == "unparseable" for j in unique),
        truncated=sum(j.truncated for j in unique),
        probes=sum(1 for _ in rows),
    )


def _control_counts(frame: pd.DataFrame, tie_gold: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Per instance (index), over its scored control probes: ``right`` (the better won), ``tie``,
    ``asked`` and its ``category``; instances whose gold label is a tie (``tie_gold``) are left out."""
    control = frame[(frame["bias"] == SHARED) & (frame["condition"] == CONTROL) & (frame["state"] == SCORED)]
    if tie_gold:
        control = control[~control["instance_id"].isin(tie_gold)]
    return control.assign(right=(control["outcome"] == "better").astype(int), tie=(control["outcome"] == "tie").astype(int)).groupby(
        "instance_id"
    ).agg(right=("right", "sum"), tie=("tie", "sum"), asked=("right", "size"), category=("category", "first"))


def control_accuracy(counts: pd.DataFrame, units: Units) -> tuple[ControlAccuracy, Rate]:
    """How often the better response wins the unperturbed pair, over the scored orders, clustered by unit
    (``counts``: ``_control_counts``), overall and per category; and the overall rate itself."""
    overall = units.rate(counts.index, counts["right"], counts["asked"])
    by_category = {str(category): units.rate(group.index, group["right"], group["asked"]) for category, group in counts.groupby("category", sort=True)}
    return ControlAccuracy(n=overall.n_instances, accuracy=overall.rate, ci=overall.ci, by_category=by_category), overall


def validity(
    frame: pd.DataFrame, counts: pd.DataFrame, accuracy: Rate, position: PositionMetrics | None, mode: str, units: Units
) -> Validity:
    """Accuracy (``control_accuracy``'s) and ties on the unchanged pairs (gold ties left out), position
    consistency, and the judge's readout."""
    scored = frame[frame["state"] == SCORED]
    soft = scored["soft"].mean() if len(scored) else 0.0
    kind = "probabilities" if Formulation(mode).kind == "pairwise" else "scores"
    return Validity(
        accuracy=accuracy,
        tie_rate=units.rate(counts.index, counts["tie"], counts["asked"]),
        position_consistency=position.consistency if position is not None else None,
        readout="verdicts" if soft == 0 else kind if soft == 1 else "mixed",
    )


def agreement_of(judged: list[JudgedInstance], mode: str, settings: Settings, alt_epsilon: float) -> Agreement | None:
    """Is the judge right: the agreement figures of the run's unchanged pairs against their labels."""
    source = PROBABILITIES if Formulation(mode).kind == "pairwise" else SCORE_DIFFERENCES
    calibrated, points = calibration(judged, source, settings.seed_for("calibration"))
    return agreement(
        judged, settings.seed_for("agreement"), alt_epsilon=alt_epsilon, calibration=calibrated, calibration_points=points,
        scores=score_agreement(judged, settings.seed_for("score-agreement")),
    )


def build_summary(
    manifest: dict[str, Any], specs: list[BiasSpec], rows: list[tuple[Probe, Judgment]], answers: dict[str, Judgment],
    facts: RunFacts | None = None, labels: Mapping[str, InstanceLabels] | None = None,
) -> Summary:
    """The Summary of a run from its manifest (settings), its answered probes, the ``facts`` of its run
    and its instances' ``labels`` (none: the chosen/rejected split is the only label)."""
    facts = facts or RunFacts()
    labels = labels or {}
    tie_gold = frozenset(key for key, label in labels.items() if label.gold == "tie")
    judged = judged_instances(rows, labels)
    config = manifest["config"]
    units = Units.from_tags((key, label.tags) for key, label in labels.items())
    settings = Settings(alpha=config["alpha"], min_instances=config["min_instances"], seed=config["seed"], units=units)
    cells = Cells(cell_frame(rows))  # built once: every figure below reads it
    frame = cells.frame
    biases = biases_from_cells(specs, cells, settings, manifest.get("rewrites", {}).get("skipped", {}))
    repeat = repeat_noise(cells, settings)
    mode = manifest.get("mode", "pairwise")
    position = position_metrics(frame, settings.seed_for("position-metrics"), units) if Formulation(mode).kind == "pairwise" else None
    sized = [name for name, result in biases.items() if result.placebo_kind == "same size and place"]
    counts = _control_counts(frame, tie_gold)
    control, accuracy = control_accuracy(counts, units)
    return Summary(
        schema_version=SCHEMA_VERSION,
        run_id=manifest["run_id"],
        judge=f"{manifest['judge']['backend']}:{manifest['judge']['model']}",
        dataset=manifest["dataset"]["name"],
        n_instances=manifest["dataset"]["n_instances"],
        calls=call_counts(rows, answers),
        cost_usd=round(sum(j.cost_usd for j in answers.values()), 6) if facts.cost_usd is None else facts.cost_usd,
        alpha=settings.alpha,
        min_instances=settings.min_instances,
        control=control,
        noise_floor=NoiseFloor(None, None, *(repeat or (None, None))),
        biases=biases,
        assessable=any(b.n_instances > 0 for b in biases.values()),
        skipped_biases=dict(manifest.get("skipped_biases", {})),
        mode=mode,
        position=position,
        length=length_view(rows, frame, settings.min_instances, settings.seed_for("length"), units),
        validity=validity(frame, counts, accuracy, position, mode, units),
        agreement=agreement_of(judged, mode, settings, config.get("alt_epsilon", ALT_EPSILON)),
        headline=headline(judged),
        edits=edit_findings(cells, sized, settings.alpha, settings.seed_for("edits"), units),
        grouping=units.grouping(cells.instance_ids),
        sequential=facts.sequential,
        elapsed_s=facts.elapsed_s,
        this_invocation=facts.this_invocation,
        spend=facts.spend,
    )
