"""A run folder as tables (pandas DataFrames), and those tables written as CSV, Parquet or JSON Lines.

What ``judgeaudit export`` writes and ``judgeaudit.load_run`` shows; the column names are stable (new
columns may be added at the end, none is renamed or removed). A missing value is empty in CSV, null in
JSON Lines and Parquet.

``judgments`` — one row per probe (what ``judgments.jsonl`` holds, texts resolved):
    instance_id, category, bias (empty for the conditions every bias shares: control, repeat,
    size-free edit), condition, variant, order (chosen_first | chosen_second), replicate, correct (the
    label, A or B, of the better response as shown), edited (the label of the response the condition's
    edit concerns), verdict (A | B | tie | unparseable | error | score), state (scored | unparseable |
    failed | truncated), outcome (better | worse | tie; empty unless scored), p_a (the judge's
    probability of A), score (a score, or A's minus B's once combined), score_a, score_b, truncated,
    cached, error, prompt_tokens, completion_tokens, cost_usd, latency_s, resolved_model, prompt,
    response_a, response_b, reference, prompt_note, attribution_a, attribution_b, raw (the judge's
    answer), request_keys (the keys of the probe's requests, separated by spaces), unit (the key of the
    instance's unit: its id, or ``group:<id>`` where several pairs of one prompt count once).

``instance_effects`` — one row per (bias, assessed unit): bias, instance_id, effect (the instance's
    cue-specific pull on the verdict scale, in the bias's effect range: what equivalence, comparison and
    planning use). Where several pairs of one prompt count once, a row is a prompt group: instance_id is
    ``group:<id>`` (the ``unit`` column of ``judgments`` and ``agreement``) and effect the mean of its pairs'.

``biases`` — one row per bias of the summary, in the run's order:
    bias, dimension, method, status (BIASED | NOT_DETECTED | INCONCLUSIVE), expected, direction, n,
    n_instances, n_instances_total, effect, effect_ci_low, effect_ci_high, effect_range_low,
    effect_range_high, p_value, q_value, flagged, total_pull, total_pull_ci_low, total_pull_ci_high,
    placebo_pull, placebo_pull_ci_low, placebo_pull_ci_high, pull_on_worse, pull_on_better, flips,
    flip_rate, flip_ci_low, flip_ci_high, toward_bias, away_from_bias, accuracy_control,
    accuracy_perturbed, pref_shift, pref_source, soft_effect, n_unparseable, n_failed, n_truncated,
    placebo_kind, reason, finding.

``agreement`` — only where the summary has agreement figures; one row per instance with an unchanged
    (control) pair, in id order, in the data's frame (chosen / rejected / tie):
    instance_id, category, gold, gold_source, verdict_chosen_first, verdict_chosen_second (the
    judge's verdict in each order; empty: not scored), verdict_averaged (the order-averaged verdict),
    p_chosen_first, p_chosen_second (the judge's probability for the chosen response), score_chosen,
    score_rejected (a judge that scores each response alone), n_annotations, human_majority (the
    annotators' majority; empty with no annotation or a split), reference, reference_source (a clear
    reference: annotators who all agree, else the gold label), agrees (verdict_averaged equals the
    reference; empty without both), unit (as in ``judgments``).

``labels`` (``judgeaudit.load_run`` only) — one row per annotation of a labelled instance (one row with
    an empty annotator where an instance has a gold label only): instance_id, gold, gold_source,
    annotator, verdict, chosen_score, rejected_score, confidence.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from judgeaudit.errors import JudgeAuditError
from judgeaudit.runs.folder import JUDGMENTS, MANIFEST, SUMMARY, read_json
from judgeaudit.runs.judgments import read_judgments
from judgeaudit.runs.labels import LABELS, read_labels
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats.agreement import averaged_verdict, majority, reference
from judgeaudit.stats.alt_test import votes
from judgeaudit.stats.cells import SCORED, outcome, state
from judgeaudit.stats.judged import InstanceLabels, judged_instances
from judgeaudit.stats.records import Effect, Summary
from judgeaudit.stats.units import EACH_INSTANCE, Units

FORMATS = ("csv", "parquet", "jsonl")
TABLES = ("biases", "instance_effects", "judgments", "agreement")

JUDGMENT_COLUMNS = (
    "instance_id", "category", "bias", "condition", "variant", "order", "replicate", "correct", "edited",
    "verdict", "state", "outcome", "p_a", "score", "score_a", "score_b", "truncated", "cached", "error",
    "prompt_tokens", "completion_tokens", "cost_usd", "latency_s", "resolved_model",
    "prompt", "response_a", "response_b", "reference", "prompt_note", "attribution_a", "attribution_b", "raw", "request_keys", "unit",
)
EFFECT_COLUMNS = ("bias", "instance_id", "effect")
BIAS_COLUMNS = (
    "bias", "dimension", "method", "status", "expected", "direction", "n", "n_instances", "n_instances_total",
    "effect", "effect_ci_low", "effect_ci_high", "effect_range_low", "effect_range_high", "p_value", "q_value", "flagged",
    "total_pull", "total_pull_ci_low", "total_pull_ci_high", "placebo_pull", "placebo_pull_ci_low", "placebo_pull_ci_high",
    "pull_on_worse", "pull_on_better", "flips", "flip_rate", "flip_ci_low", "flip_ci_high", "toward_bias", "away_from_bias",
    "accuracy_control", "accuracy_perturbed", "pref_shift", "pref_source", "soft_effect",
    "n_unparseable", "n_failed", "n_truncated", "placebo_kind", "reason", "finding",
)
AGREEMENT_COLUMNS = (
    "instance_id", "category", "gold", "gold_source", "verdict_chosen_first", "verdict_chosen_second", "verdict_averaged",
    "p_chosen_first", "p_chosen_second", "score_chosen", "score_rejected", "n_annotations", "human_majority",
    "reference", "reference_source", "agrees", "unit",
)
_FLOATS = {
    "judgments": ("p_a", "score", "score_a", "score_b", "cost_usd", "latency_s"),
    "biases": tuple(c for c in BIAS_COLUMNS if c.startswith(("effect", "total_pull", "placebo_pull", "pull_", "flip_", "accuracy_", "soft_"))
                    or c in ("p_value", "q_value", "pref_shift")),
    "agreement": ("p_chosen_first", "p_chosen_second", "score_chosen", "score_rejected"),
    "labels": ("chosen_score", "rejected_score", "confidence"),
}
"""Number columns, typed float64 whatever they hold (a missing number is NaN: empty in CSV, null in JSON Lines)."""
LABEL_COLUMNS = ("instance_id", "gold", "gold_source", "annotator", "verdict", "chosen_score", "rejected_score", "confidence")


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return frame.astype(dict.fromkeys(_FLOATS[table], "float64"))


def check_run_folder(run_dir: Path) -> Path:
    """``run_dir`` as a Path, or one clear error where it is not a judgeaudit run folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise JudgeAuditError(f"{run_dir}: not a folder (expected a run folder, e.g. reports/<run-id>)")
    if not (run_dir / MANIFEST).is_file():
        raise JudgeAuditError(f"{run_dir}: not a judgeaudit run folder (no {MANIFEST})")
    return run_dir


def read_summary(run_dir: Path) -> Summary:
    """The typed summary of a finished run (an older schema's summary.json too)."""
    path = Path(run_dir) / SUMMARY
    if not path.is_file():
        raise JudgeAuditError(f"{path}: not found; the run has not finished (rerun it to resume, or `judgeaudit report` it)")
    try:
        return Summary.from_dict(read_json(path))
    except (ValueError, TypeError, AttributeError) as exc:
        raise JudgeAuditError(f"{path}: not a summary this judgeaudit reads ({exc})") from None


def judgments_frame(rows: Sequence[tuple[Probe, Judgment]], keys: Sequence[tuple[str, ...]], units: Units = EACH_INSTANCE) -> pd.DataFrame:
    """One row per probe: its fields, its state and outcome, the judgment's fields and its instance's unit (``JUDGMENT_COLUMNS``)."""
    records = []
    for (probe, judgment), probe_keys in zip(rows, keys, strict=True):
        probe_state = state(judgment)
        scores = judgment.scores or (None, None)
        records.append({
            "instance_id": probe.instance_id, "category": probe.category, "bias": probe.bias, "condition": probe.condition,
            "variant": probe.variant, "order": probe.order, "replicate": probe.replicate, "correct": probe.correct, "edited": probe.edited,
            "verdict": judgment.verdict, "state": probe_state, "outcome": outcome(probe, judgment) if probe_state == SCORED else None,
            "p_a": judgment.p_a, "score": judgment.score, "score_a": scores[0], "score_b": scores[1],
            "truncated": judgment.truncated, "cached": judgment.cached, "error": judgment.error,
            "prompt_tokens": judgment.prompt_tokens, "completion_tokens": judgment.completion_tokens,
            "cost_usd": judgment.cost_usd, "latency_s": judgment.latency_s, "resolved_model": judgment.resolved_model,
            "prompt": probe.prompt, "response_a": probe.response_a, "response_b": probe.response_b, "reference": probe.reference,
            "prompt_note": probe.prompt_note, "attribution_a": probe.attribution_a, "attribution_b": probe.attribution_b,
            "raw": judgment.raw, "request_keys": " ".join(probe_keys), "unit": units.key(probe.instance_id),
        })
    return _typed(pd.DataFrame.from_records(records, columns=list(JUDGMENT_COLUMNS)), "judgments")


def instance_effects_frame(summary: Summary) -> pd.DataFrame:
    """One row per (bias, assessed instance) (``EFFECT_COLUMNS``)."""
    records = [(name, instance_id, effect) for name, result in summary.biases.items() for instance_id, effect in result.instance_effects.items()]
    return pd.DataFrame.from_records(records, columns=list(EFFECT_COLUMNS)).astype({"effect": "float64"})


def _pull(effect: Effect | None) -> tuple[float | None, float | None, float | None]:
    return (None, None, None) if effect is None else (effect.mean, *effect.ci)


def biases_frame(summary: Summary) -> pd.DataFrame:
    """One row per bias: the summary table (``BIAS_COLUMNS``)."""
    records = []
    for name, result in summary.biases.items():
        total, placebo = _pull(result.total_pull), _pull(result.edit_pull)
        records.append({
            "bias": name, "dimension": result.dimension, "method": result.method, "status": result.status,
            "expected": result.expected, "direction": result.direction, "n": result.n, "n_instances": result.n_instances,
            "n_instances_total": result.n_instances_total, "effect": result.effect,
            "effect_ci_low": result.effect_ci[0], "effect_ci_high": result.effect_ci[1],
            "effect_range_low": result.effect_range[0], "effect_range_high": result.effect_range[1],
            "p_value": result.p_value, "q_value": result.q_value, "flagged": result.flagged,
            "total_pull": total[0], "total_pull_ci_low": total[1], "total_pull_ci_high": total[2],
            "placebo_pull": placebo[0], "placebo_pull_ci_low": placebo[1], "placebo_pull_ci_high": placebo[2],
            "pull_on_worse": result.pull_on_worse.mean, "pull_on_better": _pull(result.pull_on_better)[0],
            "flips": result.flips, "flip_rate": result.flip_rate, "flip_ci_low": result.flip_ci[0], "flip_ci_high": result.flip_ci[1],
            "toward_bias": result.toward_bias, "away_from_bias": result.away_from_bias,
            "accuracy_control": result.accuracy_control, "accuracy_perturbed": result.accuracy_perturbed,
            "pref_shift": result.pref_shift, "pref_source": result.pref_source, "soft_effect": _pull(result.soft_effect)[0],
            "n_unparseable": result.n_unparseable, "n_failed": result.n_failed, "n_truncated": result.n_truncated,
            "placebo_kind": result.placebo_kind, "reason": result.reason, "finding": result.finding,
        })
    return _typed(pd.DataFrame.from_records(records, columns=list(BIAS_COLUMNS)), "biases")


def agreement_frame(rows: Sequence[tuple[Probe, Judgment]], labels: dict[str, InstanceLabels]) -> pd.DataFrame:
    """One row per instance with a control pair: its labels beside the judge's verdicts (``AGREEMENT_COLUMNS``)."""
    records = []
    units = units_of(labels)
    for instance in judged_instances(rows, labels):
        averaged = averaged_verdict(instance)
        clear = reference(instance)
        human = [label for _, label in votes(instance)]
        scores = instance.scores or (None, None)
        records.append({
            "instance_id": instance.instance_id, "category": instance.category, "gold": instance.gold, "gold_source": instance.gold_source,
            "verdict_chosen_first": instance.verdicts[0], "verdict_chosen_second": instance.verdicts[1], "verdict_averaged": averaged,
            "p_chosen_first": instance.p_chosen[0], "p_chosen_second": instance.p_chosen[1],
            "score_chosen": scores[0], "score_rejected": scores[1], "n_annotations": len(instance.annotations),
            "human_majority": majority(human) if human else None,
            "reference": clear[0] if clear else None, "reference_source": clear[1] if clear else None,
            "agrees": (averaged == clear[0]) if clear is not None and averaged is not None else None,
            "unit": units.key(instance.instance_id),
        })
    return _typed(pd.DataFrame.from_records(records, columns=list(AGREEMENT_COLUMNS)), "agreement")


def units_of(labels: dict[str, InstanceLabels]) -> Units:
    """The units of a run's instances, from the group tags its labels keep."""
    return Units.from_tags((instance_id, label.tags) for instance_id, label in labels.items())


def labels_frame(labels: dict[str, InstanceLabels]) -> pd.DataFrame:
    """One row per annotation (or per instance with a gold label only) (``LABEL_COLUMNS``)."""
    records: list[dict[str, Any]] = []
    for instance_id, label in labels.items():
        base = {"instance_id": instance_id, "gold": label.gold, "gold_source": label.gold_source}
        if not label.annotations:
            records.append(base)
        records.extend(
            base | {"annotator": a.annotator, "verdict": a.verdict, "chosen_score": a.chosen_score, "rejected_score": a.rejected_score, "confidence": a.confidence}
            for a in label.annotations
        )
    return _typed(pd.DataFrame.from_records(records, columns=list(LABEL_COLUMNS)), "labels")


def run_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """The tables of a finished run by name (``TABLES``; ``agreement`` only where the summary has it)."""
    run_dir = check_run_folder(run_dir)
    summary = read_summary(run_dir)
    rows, keys = read_judgments(run_dir / JUDGMENTS)
    labels = read_labels(run_dir / LABELS)
    tables = {
        "biases": biases_frame(summary), "instance_effects": instance_effects_frame(summary),
        "judgments": judgments_frame(rows, keys, units_of(labels)),
    }
    if summary.agreement is not None:
        tables["agreement"] = agreement_frame(rows, labels)
    return tables


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise JudgeAuditError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise JudgeAuditError("the parquet format needs pyarrow, which is not installed: pip install pyarrow (or export as csv or jsonl)")


def write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """One table in one format (CSV with a header, Parquet without the index, JSON Lines one object per row)."""
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)


EXPORT_FOLDER = "export"
"""The default folder of an export, inside the run folder (never the run folder itself: its judgments.jsonl is the run's)."""


def export_run(run_dir: Path, fmt: str, out: Path | None = None) -> list[Path]:
    """Write the run's tables as ``<table>.<fmt>`` into ``out`` (default: RUN/export/); the paths written."""
    _check_format(fmt)
    run_dir = check_run_folder(run_dir)
    folder = Path(out) if out is not None else run_dir / EXPORT_FOLDER
    if folder.resolve() == run_dir.resolve():
        raise JudgeAuditError(f"{folder}: is the run folder; export into another folder (default: {run_dir / EXPORT_FOLDER}), its own files stay as they are")
    tables = run_tables(run_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JudgeAuditError(f"{folder}: cannot create the export folder ({exc.strerror})") from None
    written = []
    for name in TABLES:
        if name in tables:
            path = folder / f"{name}.{fmt}"
            write_table(tables[name], path, fmt)
            written.append(path)
    return written
