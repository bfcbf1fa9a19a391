"""Finish a run folder: its summary, its reports and its manifest, for a run and a rebuild alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.report.outputs import write_reports
from judgeaudit.runs.folder import MANIFEST, SUMMARY, write_json
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import Summary


def finish_run(
    run_dir: Path, manifest: dict[str, Any], summary: Summary, rows: list[tuple[Probe, Judgment]], finished_at: str | None = None
) -> None:
    """Write summary.json, report.html and report.md; then, for a run that just finished
    (``finished_at``), the manifest with its finishing time (a rebuild leaves the manifest as it is)."""
    write_json(run_dir / SUMMARY, summary.to_dict())
    write_reports(run_dir, summary, manifest, rows)
    if finished_at is not None:
        manifest["finished_at"] = finished_at
        write_json(run_dir / MANIFEST, manifest)
