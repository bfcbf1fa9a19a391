"""``judgeaudit export``: a run folder's tables as CSV, Parquet or JSON Lines (``runs.export`` has the columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from judgeaudit.cli_errors import one_line_errors


def export(
    run_dir: Path = typer.Argument(..., help="A finished run folder, e.g. reports/<run-id>."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv | parquet | jsonl."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder to write the tables into (default: RUN/export; never the run folder itself)."),
) -> None:
    """Write the run's tables for pandas, R or a spreadsheet: biases (the summary table, one row per bias),
    instance_effects (one row per bias and instance), judgments (one row per probe) and, where the run has
    agreement figures, agreement (one row per instance). Column names are stable (see the README)."""
    from judgeaudit.runs.export import export_run

    for path in export_run(run_dir, fmt.lower(), out):
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the ``export`` command to ``app``."""
    app.command("export")(one_line_errors(export))
