"""The terminal summary: one rich table of biases, then the call accounting."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from judgeaudit.report.formatting import ordered_biases, pct, pval, signed


def bias_table(summary: dict[str, Any]) -> Table:
    """The per-bias statistics as a rich table, flagged biases first."""
    table = Table(title=f"Bias audit of {summary['judge']} on {summary['dataset']}", title_justify="left")
    for header, justify in (
        ("bias", "left"),
        ("dimension", "left"),
        ("n", "right"),
        ("flips [95% CI]", "right"),
        ("to/away", "right"),
        ("acc ctrl→bias", "right"),
        ("shift", "right"),
        ("q", "right"),
        ("verdict", "left"),
    ):
        table.add_column(header, justify=justify, no_wrap=header in ("bias", "flips [95% CI]"))  # type: ignore[arg-type]
    for name, stats in ordered_biases(summary):
        low, high = stats["flip_ci"]
        table.add_row(
            name,
            stats["dimension"],
            str(stats["n"]),
            f"{pct(stats['flip_rate'])} [{pct(low)}, {pct(high)}]",
            f"{stats['toward_bias']}/{stats['away_from_bias']}",
            f"{pct(stats['accuracy_control'])}→{pct(stats['accuracy_perturbed'])}",
            signed(stats["pref_shift"]),
            pval(stats["q_value"]),
            "[bold red]BIASED[/]" if stats["flagged"] else "[green]not flagged[/]",
        )
    return table


def print_summary(summary: dict[str, Any], run_dir: str, console: Console | None = None) -> None:
    """Print the bias table, the call accounting and where the outputs are."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=130)
    console.print(bias_table(summary))
    calls = summary["calls"]
    control = summary["control"]
    console.print(
        f"control accuracy {pct(control['accuracy'])} (n={control['n']}) · requests {calls['total']} "
        f"(cached {calls['cached']}, failed {calls['failed']}, unparseable {calls['unparseable']}) · "
        f"cost ${summary['cost_usd']:.4f}"
    )
    invocation = summary.get("this_invocation")
    if invocation:
        console.print(
            f"this run: {invocation['judge_calls']} judge calls, {invocation['cache_hits']} cache hits, "
            f"{invocation['resumed_from_journal']} resumed, {invocation['retries']} retries"
        )
    flagged = [name for name, s in summary["biases"].items() if s["flagged"]]
    verdict = f"flagged at q < {summary['alpha']}: {', '.join(flagged)}" if flagged else "no bias flagged"
    console.print(f"[bold]{verdict}[/]")
    console.print(f"report: {run_dir}/report.html")
