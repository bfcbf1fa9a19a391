"""Render a run's Summary as report.html and report.md. Nothing here computes a statistic."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape

from judgeaudit.report.examples import report_examples
from judgeaudit.report.formatting import by_dimension, interval, ordered_biases, pct, pval, signed
from judgeaudit.report.validity_view import ORDER_NAMES, alt_verdict, estimate, number, one_line, points, points_ci, rate, scale_use, validity_view
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import Summary


@cache
def environment() -> Environment:
    """The report templates' environment: compiled once per process, and kept compiled between
    processes in Jinja's per-user bytecode cache (compiling them took more time than rendering)."""
    env = Environment(
        loader=PackageLoader("judgeaudit.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=FileSystemBytecodeCache(),
    )
    env.globals.update(pct=pct, signed=signed, pval=pval, interval=interval, number=number, estimate=estimate, rate=rate)
    env.globals.update(points=points, points_ci=points_ci, scale_use=scale_use, alt_verdict=alt_verdict, order_names=ORDER_NAMES, one_line=one_line)
    return env


def _injection(record: dict[str, Any], manifest: dict[str, Any]) -> str:
    """How a bias's cue was injected in this run."""
    rewriter = (manifest.get("rewriter") or {}).get("model")
    if record.get("method") == "self":
        return "the judge's own rewrite"
    if record.get("rewrite") and rewriter:
        return f"an LLM rewrite by {rewriter}, checked to keep the meaning"
    place = {"prompt_note": "a note after the responses", "attribution": "the response's header"}.get(record.get("apply_to", "response"))
    if record.get("method") == "template":
        return f"a template ({place or record.get('edit', 'append') + ' on the response'})"
    return ""


def write_reports(run_dir: Path, summary: Summary, manifest: dict[str, Any], rows: list[tuple[Probe, Judgment]]) -> None:
    """Write report.html and report.md from a run's summary, manifest and judgments."""
    ordered = ordered_biases(summary)
    examples, cue_examples = report_examples(summary.biases, rows)
    context = {
        "s": summary,
        "m": manifest,
        "units": "units" if summary.grouping else "instances",  # what the n beside an interval counts
        "ordered": ordered,
        "by_status": summary.by_status,
        "examples": examples,
        "cue_examples": cue_examples,
        "validity": validity_view(summary.agreement, rows),
        "dimensions": by_dimension(summary),
        "references": {record["name"]: record.get("references", []) for record in manifest["biases"]},
        "injections": {record["name"]: _injection(record, manifest) for record in manifest["biases"]},
    }
    env = environment()
    (run_dir / "report.html").write_text(env.get_template("report.html.j2").render(**context), encoding="utf-8")
    (run_dir / "report.md").write_text(env.get_template("report.md.j2").render(**context), encoding="utf-8")
