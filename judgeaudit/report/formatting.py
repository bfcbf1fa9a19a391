"""Number formats and ordering shared by the terminal table and the HTML/Markdown reports."""

from __future__ import annotations

from judgeaudit.biases.spec import DIMENSIONS
from judgeaudit.stats import BiasResult, Summary

_STATUS_ORDER = {"BIASED": 0, "INCONCLUSIVE": 1, "NOT_DETECTED": 2}


def pct(value: float | None) -> str:
    """A proportion as a percentage with one decimal; an em dash when there is no value."""
    return "—" if value is None else f"{100 * value:.1f}%"


def signed(value: float | None, digits: int = 3) -> str:
    """A signed value; an em dash when there is no value."""
    return "—" if value is None else f"{value:+.{digits}f}"


def interval(ci: tuple[float | None, float | None], as_pct: bool = False, digits: int = 3) -> str:
    """A 95% interval as 'low to high'; an em dash when there is none."""
    low, high = ci
    if low is None or high is None:
        return "—"
    return f"{pct(low)}–{pct(high)}" if as_pct else f"{signed(low, digits)} to {signed(high, digits)}"


def pval(value: float | None) -> str:
    """A p- or q-value: three significant digits, scientific below 0.001."""
    if value is None:
        return "—"
    return f"{value:.3g}" if value >= 1e-3 else f"{value:.1e}"


def ordered_biases(summary: Summary) -> list[tuple[str, BiasResult]]:
    """The summary's biases: BIASED first, then INCONCLUSIVE, then NOT DETECTED; by q-value within."""
    return sorted(
        summary.biases.items(),
        key=lambda kv: (_STATUS_ORDER[kv[1].status], kv[1].q_value if kv[1].q_value is not None else 2.0),
    )


def by_dimension(summary: Summary) -> dict[str, list[tuple[str, BiasResult]]]:
    """The summary's biases grouped by dimension, built-in dimensions first in their order."""
    rank = {name: i for i, name in enumerate(DIMENSIONS)}
    groups: dict[str, list[tuple[str, BiasResult]]] = {}
    for name, result in sorted(summary.biases.items(), key=lambda kv: (rank.get(kv[1].dimension, len(rank)), kv[1].dimension, kv[0])):
        groups.setdefault(result.dimension, []).append((name, result))
    return groups
