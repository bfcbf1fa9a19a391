"""Number formats and ordering shared by the terminal table and the HTML/Markdown reports."""

from __future__ import annotations

from typing import Any


def pct(value: float | None) -> str:
    """A proportion as a percentage with one decimal; an em dash when there is no value."""
    return "—" if value is None else f"{100 * value:.1f}%"


def signed(value: float | None) -> str:
    """A signed shift with three decimals; an em dash when there is no value."""
    return "—" if value is None else f"{value:+.3f}"


def pval(value: float | None) -> str:
    """A p- or q-value: three significant digits, scientific below 0.001."""
    if value is None:
        return "—"
    return f"{value:.3g}" if value >= 1e-3 else f"{value:.1e}"


def ordered_biases(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The summary's biases, flagged first, then by q-value."""
    return sorted(summary["biases"].items(), key=lambda kv: (not kv[1]["flagged"], kv[1]["q_value"]))
