"""The taxonomy in the terminal: a table grouped by dimension, and one bias with its cue highlighted."""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from judgeaudit.biases.preview import Preview
from judgeaudit.biases.spec import DIMENSIONS, BiasSpec
from judgeaudit.report.examples import mark_insertions

_WHERE = {"response": "the response", "prompt_note": "a note naming it", "attribution": "its header"}
_MOVES = {"toward": "toward", "away": "away", "either": "either way"}
_EXPECTED = {"toward": "toward the cue", "away": "away from the cue", "either": "either way (a fair judge does not)"}


def by_dimension(registry: dict[str, BiasSpec]) -> dict[str, list[BiasSpec]]:
    """Biases grouped by dimension: the built-in dimensions in their order, then any others by name."""
    order = {name: rank for rank, name in enumerate(DIMENSIONS)}
    groups: dict[str, list[BiasSpec]] = {}
    for spec in sorted(registry.values(), key=lambda s: (order.get(s.dimension, len(order)), s.dimension, s.name)):
        groups.setdefault(spec.dimension, []).append(spec)
    return groups


def first_sentence(text: str) -> str:
    """The description's first sentence (the table's summary of a bias)."""
    return re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]


def injection(spec: BiasSpec) -> str:
    """How and where the cue is injected, in a few words."""
    if spec.method == "swap":
        return "both orders of every pair"
    if spec.method == "self":
        return "the judge's own rewrite of the response"
    how = spec.edit if spec.apply_to == "response" else "added"
    rewrite = " (or LLM rewrite)" if spec.rewrite else ""
    return f"template{rewrite}: {how} → {_WHERE[spec.apply_to]}"


def taxonomy_table(registry: dict[str, BiasSpec]) -> Table:
    """Every bias in one table, a section per dimension."""
    table = Table(title=f"{len(registry)} biases", title_justify="left", show_lines=False)
    table.add_column("dimension", no_wrap=True)
    table.add_column("bias", no_wrap=True)
    table.add_column("injection", max_width=24)
    table.add_column("judge moves", max_width=12)
    table.add_column("what the cue is", ratio=1, min_width=24)
    for dimension, specs in by_dimension(registry).items():
        for rank, spec in enumerate(specs):
            table.add_row(
                f"[bold]{escape(dimension)}[/]" if rank == 0 else "",
                escape(spec.name),
                escape(injection(spec)),
                _MOVES[spec.expected] if spec.method != "swap" else "to a slot",
                escape(first_sentence(spec.description)),
            )
        table.add_section()
    return table


def _highlighted(before: str, after: str) -> Text:
    text = Text()
    for segment, inserted in mark_insertions(before, after):
        text.append(segment, style="bold black on yellow" if inserted else None)
    return text


def bias_panel(spec: BiasSpec, example: Preview) -> Panel:
    """Description, method, references and the before/after of one instance."""
    parts: list[RenderableType] = [
        Text(spec.description),
        Text.from_markup(f"\n[bold]dimension[/] {escape(spec.dimension)}   [bold]injection[/] {escape(injection(spec))}"),
        Text.from_markup(f"[bold]a biased judge moves[/] {_EXPECTED[spec.expected]}   [bold]file[/] {escape(spec.source)}"),
    ]
    if spec.references:
        parts.append(Text.from_markup("\n[bold]references[/]\n" + "\n".join(f"  • {escape(r)}" for r in spec.references)))
    if example.needs_model:
        parts.append(Text.from_markup(f"\n[bold]example[/] needs a model: {escape(example.needs_model)}"))
        parts.append(Text(spec.rewrite.strip(), style="dim"))
    else:
        parts.append(Text.from_markup(f"\n[bold]example[/] instance {escape(example.instance.id)}: {escape(example.instance.prompt)}"))
        for change in example.changes:
            parts.append(Text.from_markup(f"\n[bold]{escape(change.where)}[/], before:"))
            parts.append(Text(change.before or "(empty)", style="dim"))
            parts.append(Text.from_markup("after (inserted or changed text highlighted):"))
            parts.append(_highlighted(change.before, change.after))
    return Panel(Group(*parts), title=f"[bold]{escape(spec.name)}[/]", title_align="left")
