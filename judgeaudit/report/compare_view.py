"""A comparison of two runs in the terminal, and as compare.html / compare.json."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from judgeaudit.certification.compare import RunComparison
from judgeaudit.report.formatting import interval, pval, signed
from judgeaudit.report.outputs import environment
from judgeaudit.runs.folder import write_json


def print_comparison(comparison: RunComparison, written: Path, console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=150)
    table = Table(title=f"A {comparison.label_a} vs B {comparison.label_b}")
    for column in ("bias", "instances", "A", "B", "A − B", "95% CI", "q", "verdict"):
        table.add_column(column, overflow="fold")
    for b in comparison.biases:
        table.add_row(b.name, str(b.n_instances), signed(b.size_a), signed(b.size_b), signed(b.difference), interval(b.difference_ci), pval(b.q_value), b.verdict)
    console.print(table)
    for note in comparison.notes:
        console.print(f"[yellow]note:[/] {note}")
    for name, why in comparison.only_in.items():
        console.print(f"  {name}: not compared — {why}")
    console.print(f"[bold]{comparison.summary_sentence}[/]")
    console.print(f"report: {written}")


def write_comparison(comparison: RunComparison, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "compare.json", comparison.record())
    page = out_dir / "compare.html"
    page.write_text(environment().get_template("compare.html.j2").render(c=comparison), encoding="utf-8")
    return page
