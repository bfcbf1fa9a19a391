"""The audit plan in the terminal: instances per bias, and the cost of a fixed design."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from judgeaudit.stats.audit_plan import AuditPlan


def _n(value: int | None) -> str:
    return "not within 4,000" if value is None else f"{value:,}"


def _one(plan: AuditPlan) -> str:
    """One of what the plan counts: an instance, or a prompt group."""
    return "prompt group" if plan.unit == "prompt groups" else "instance"


def print_plan(plan: AuditPlan, console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=150)
    table = Table(title=f"plan · {plan.judge} · {plan.mode} · power {plan.power:g} · {100 * plan.confidence:g}% confidence")
    for column in ("bias", "δ", "effects from", "to certify < δ", "to fail > δ", f"to detect {plan.detect:g}", f"its calls / {_one(plan)}"):
        table.add_column(column, overflow="fold")
    for b in plan.biases:
        table.add_row(b.name, f"{b.delta:g}", b.effects_from, _n(b.to_certify), _n(b.to_fail), _n(b.to_detect), f"{b.calls_per_instance:.1f}")
    console.print(table)
    if plan.validity:
        _print_validity(plan, console)
    tokens = "measured in the pilot" if plan.tokens_measured else "estimated (prompt characters / 4; answers as assumed)"
    console.print(
        f"per {_one(plan)}: {plan.calls_per_instance:.1f} calls ({plan.shared_calls_per_instance:.1f} shared: the unchanged pair, its repeat and the size-free edit); "
        f"per call {plan.prompt_tokens_per_call:.0f} prompt + {plan.completion_tokens_per_call:.0f} answer tokens, {tokens}"
    )
    price = plan.prices.source if plan.prices.known else f"cost unknown: {plan.prices.source}"
    rows = [("this dataset", plan.instances_available), ("certify every bias", plan.instances_to_certify_all)]
    if plan.validity:
        rows.append(("pass every validity criterion", plan.instances_for_validity))
    for label, instances in rows:
        if instances is None:
            why = "an effect near or above δ cannot be certified below it" if label != "pass every validity criterion" else "a judge as assumed is at or beyond a limit"
            console.print(f"{label}: not within 4,000 {plan.unit} ({why})")
            continue
        calls, tokens_total, dollars = plan.cost(instances)
        cost = f"${dollars:,.2f}" if plan.prices.known else "$?"
        short = f" — the dataset has only {plan.instances_available}" if instances > plan.instances_available else ""
        console.print(f"{label}: {instances:,} {plan.unit}{short} · {calls:,} calls · {tokens_total:,} tokens · {cost} ({price})")
    console.print("--sequential stops each bias as soon as it is decided, usually well before these counts.")


def _print_validity(plan: AuditPlan, console: Console) -> None:
    table = Table(title=f"is the judge right? {plan.unit} to pass each validity criterion · power {plan.power:g} · {100 * plan.confidence:g}% confidence")
    for column in ("criterion", "limit", "judge sized for", "how", plan.unit):
        table.add_column(column, overflow="fold")
    for v in plan.validity:
        table.add_row(v.criterion, f"{v.limit:g}", v.assumed, v.method, _n(v.instances))
    console.print(table)
