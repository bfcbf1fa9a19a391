"""The needle analysis in the terminal (a compact table) and as needle.html (a heatmap and the regression)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from rich.console import Console
from rich.table import Table

from judgeaudit import __version__
from judgeaudit.report.outputs import environment
from judgeaudit.stats.needle import NeedleAnalysis, NeedleCell, NeedleResult

TERM_NAMES = {
    "position": "start → end (per unit of position)",
    "edges": "edges vs middle (bend)",
    "log2_length": "per doubling of length",
}


def _grid(analysis: NeedleAnalysis) -> dict[tuple[int, int], NeedleCell]:
    return {(c.bucket, c.bin): c for c in analysis.cells}


def print_needle(result: NeedleResult, console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=150)
    analysis = result.analysis
    cells = _grid(analysis)
    table = Table(title=f"needle · {result.judge} · {result.mode}: share of planted errors caught, by length and where the error sits")
    table.add_column("words")
    for k in range(analysis.bins):
        table.add_column(f"{k / analysis.bins:.2f}–{(k + 1) / analysis.bins:.2f}", justify="right")
    for bucket in analysis.buckets:
        row = []
        for k in range(analysis.bins):
            cell = cells[bucket, k]
            rate = cell.accuracy.rate
            row.append("–" if rate is None else f"{100 * rate:.0f}% ({cell.trials})")
        table.add_row(f"{bucket:,}", *row)
    console.print(table)
    if analysis.regression:
        terms = "; ".join(
            f"{TERM_NAMES[name]} {c.estimate:+.2f} [{c.ci[0]:+.2f}, {c.ci[1]:+.2f}] p={c.p_value:.2g} (adjusted {c.p_adjusted:.2g})"
            for name, c in analysis.regression.items() if name in TERM_NAMES
        )
        console.print(f"logistic regression (log-odds of catching the error): {terms}")
        console.print(f"[dim]{analysis.inference}[/]")
    skipped = result.design["too_long"]["trials"]
    if skipped:
        console.print(f"[yellow]{skipped} trials did not fit the judge's context of {result.design['too_long']['context_window']} tokens: skipped, never truncated[/]")
    console.print(f"[bold]{analysis.statement}[/]")
    console.print(f"report: {result.run_dir / 'needle.html'}")


def heatmap_png(analysis: NeedleAnalysis) -> str:
    """The accuracy grid as a base64 PNG (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cells = _grid(analysis)
    values = np.array([[cells[b, k].accuracy.rate if cells[b, k].accuracy.rate is not None else np.nan for k in range(analysis.bins)] for b in analysis.buckets], dtype=np.float64)
    figure, axes = plt.subplots(figsize=(1.0 + 0.9 * analysis.bins, 0.8 + 0.7 * len(analysis.buckets)), dpi=110)
    image = axes.imshow(values, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(analysis.bins), [f"{(k + 0.5) / analysis.bins:.2f}" for k in range(analysis.bins)])
    axes.set_yticks(range(len(analysis.buckets)), [f"{b:,} words" for b in analysis.buckets])
    axes.set_xlabel("where the error sits (relative position in the response)")
    for i, bucket in enumerate(analysis.buckets):
        for k in range(analysis.bins):
            cell = cells[bucket, k]
            label = "empty" if np.isnan(values[i, k]) else f"{100 * values[i, k]:.0f}%\n({cell.trials})"
            axes.text(k, i, label, ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label="errors caught")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def write_needle_report(result: NeedleResult) -> Path:
    page = result.run_dir / "needle.html"
    html = environment().get_template("needle.html.j2").render(
        r=result, a=result.analysis, heatmap=heatmap_png(result.analysis), term_names=TERM_NAMES, version=__version__,
    )
    page.write_text(html, encoding="utf-8")
    return page
