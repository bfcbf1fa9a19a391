"""What a run's calls cost, per bias: tokens and dollars of the requests each bias alone asked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from judgeaudit.schema import Judgment, Probe

SHARED_SPEND = "shared"
"""Requests more than one bias uses: the control and its repeat, and placebos shared across biases."""


@dataclass
class Spend:
    """Requests, cache hits, and the tokens and dollars of the calls that were paid for (cache hits: none)."""

    requests: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, judgment: Judgment) -> None:
        self.requests += 1
        if judgment.cached:
            self.cache_hits += 1
            return
        self.prompt_tokens += judgment.prompt_tokens
        self.completion_tokens += judgment.completion_tokens
        self.cost_usd += judgment.cost_usd


def spend_by_bias(probes: Iterable[tuple[Probe, tuple[str, ...]]], answers: Mapping[str, Judgment]) -> dict[str, dict]:
    """Per bias, the spend of the answered requests only its probes ask; ``shared`` for the rest; ``total``.

    Each request is counted once, so the parts add up to the total.
    """
    owners: dict[str, set[str | None]] = {}
    for probe, keys in probes:
        for key in keys:
            owners.setdefault(key, set()).add(probe.bias)
    parts: dict[str, Spend] = {}
    total = Spend()
    for key, biases in owners.items():
        judgment = answers.get(key)
        if judgment is None:
            continue
        (only,) = biases if len(biases) == 1 else (None,)
        parts.setdefault(only or SHARED_SPEND, Spend()).add(judgment)
        total.add(judgment)
    return {name: _rounded(spend) for name, spend in sorted(parts.items())} | {"total": _rounded(total)}


def _rounded(spend: Spend) -> dict:
    return vars(spend) | {"cost_usd": round(spend.cost_usd, 6)}
