"""The records a certificate's decisions are made of: one decision per criterion or bias, and all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["PASS", "FAIL", "INCONCLUSIVE"]
EXIT_CODES: dict[str, int] = {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 2}


@dataclass(frozen=True)
class BiasDecision:
    """One bias's (or one validity criterion's) decision, why, and the evidence behind it."""

    decision: Decision
    reasons: list[str]
    limits: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decisions:
    """The validity criteria's decisions, every bias's, and the overall one."""

    overall: Decision
    biases: dict[str, BiasDecision]
    not_applicable: dict[str, str]
    validity: dict[str, BiasDecision] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.overall]
