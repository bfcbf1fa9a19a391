"""Render a run folder's outputs (HTML, Markdown) and rebuild its summary, without calling a judge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from judgeaudit.report.examples import flipped_examples
from judgeaudit.report.formatting import ordered_biases, pct, pval, signed
from judgeaudit.report.rundir import (
    JUDGMENTS,
    MANIFEST,
    SUMMARY,
    read_json,
    read_judgments,
    spec_from_record,
    write_json,
)
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import build_summary

_KEPT_FROM_RUN = ("elapsed_s", "this_invocation")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("judgeaudit.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(pct=pct, signed=signed, pval=pval)
    return env


def write_reports(
    run_dir: Path, summary: dict[str, Any], manifest: dict[str, Any], rows: list[tuple[Probe, Judgment]]
) -> None:
    """Write report.html and report.md from a run's summary, manifest and judgments."""
    methods = {record["name"]: record["method"] for record in manifest["biases"]}
    ordered = ordered_biases(summary)
    context = {
        "s": summary,
        "m": manifest,
        "ordered": ordered,
        "flagged": [name for name, b in ordered if b["flagged"]],
        "examples": {
            name: flipped_examples(name, methods.get(name, "template"), stats, rows)
            for name, stats in summary["biases"].items()
        },
        "references": {record["name"]: record.get("references", []) for record in manifest["biases"]},
        "all_soft": all(b["pref_source"] == "logits" for b in summary["biases"].values()),
    }
    env = _environment()
    (run_dir / "report.html").write_text(env.get_template("report.html.j2").render(**context), encoding="utf-8")
    (run_dir / "report.md").write_text(env.get_template("report.md.j2").render(**context), encoding="utf-8")


def rebuild_outputs(run_dir: Path) -> dict[str, Any]:
    """Recompute summary.json and rewrite the reports from manifest.json and judgments.jsonl alone."""
    run_dir = Path(run_dir)
    manifest = read_json(run_dir / MANIFEST)
    rows, keys = read_judgments(run_dir / JUDGMENTS)
    answers: dict[str, Judgment] = dict(zip(keys, (j for _, j in rows), strict=True))
    specs = [spec_from_record(record) for record in manifest["biases"]]
    summary = build_summary(manifest, specs, rows, answers)
    previous = read_json(run_dir / SUMMARY) if (run_dir / SUMMARY).exists() else {}
    summary.update({k: previous[k] for k in _KEPT_FROM_RUN if k in previous})
    write_json(run_dir / SUMMARY, summary)
    write_reports(run_dir, summary, manifest, rows)
    return summary
