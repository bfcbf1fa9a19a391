"""The certificate in the terminal: one row per bias, the overall verdict, and why."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

STYLE = {"PASS": "green", "FAIL": "bold red", "INCONCLUSIVE": "yellow"}


def _bounds(evidence: dict[str, Any]) -> str:
    test = evidence.get("equivalence")
    return f"[{test['lower']:+.3f}, {test['upper']:+.3f}]" if test else "–"


def print_certificate(certificate: dict[str, Any], path: str, console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)
    policy = certificate["policy"]
    table = Table(title=f"certificate · {certificate['run']['judge']} · policy {policy['name']} ({100 * policy['confidence']:g}% confidence)")
    for column in ("bias", "decision", "cue-specific pull", f"bounds ({100 * policy['confidence']:g}% each)", "δ", "why"):
        table.add_column(column, overflow="fold")
    for name, entry in certificate["biases"].items():
        evidence = entry["evidence"]
        effect = evidence.get("effect")
        table.add_row(
            name,
            f"[{STYLE[entry['decision']]}]{entry['decision']}[/]",
            "–" if effect is None else f"{effect:+.3f}",
            _bounds(evidence),
            f"{entry['limits']['max_effect']:g}" if entry["limits"] else "–",
            "; ".join(entry["reasons"]),
        )
    validity = Table(title="is the judge right? (the unchanged pairs, before any bias)")
    for column in ("criterion", "decision", "limit", "why"):
        validity.add_column(column, overflow="fold")
    for name, entry in certificate.get("validity", {}).items():
        limit = ", ".join(f"{key} {value:g}" for key, value in entry["limits"].items() if isinstance(value, (int, float)))
        validity.add_row(name, f"[{STYLE[entry['decision']]}]{entry['decision']}[/]", limit or "–", "; ".join(entry["reasons"]))
    grouping = certificate["run"].get("grouping")
    if grouping:
        console.print(
            f"units: {certificate['run']['n_instances']} instances in {grouping['n_units']} units ({grouping['n_groups']} prompt groups); "
            "pairs of one prompt count once, so every count of instances below counts units"
        )
    console.print(validity)
    console.print(table)
    for name, why in certificate["not_applicable"].items():
        console.print(f"  {name}: not applicable — {why}")
    verdict = certificate["verdict"]
    console.print(f"[{STYLE[verdict]}]overall: {verdict}[/] (exit {certificate['exit_code']}) · certificate: {path}")
