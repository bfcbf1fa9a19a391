"""A run's spending: the cost of each call from the judge's token prices, and a cap (``--max-cost``).

API
- ``Budget(max_usd, prices)``: ``max_usd=None`` only prices the calls. With a cap and unknown prices it
  raises a ``JudgeAuditError`` at once, before any call.
- ``reserve(prompt_tokens, answer_tokens) -> float | None``: the call's estimated cost, held until
  ``settle``; None when holding it would take earlier + spent + reserved above ``max_usd``.
- ``settle(reserved, judgment)``: releases the hold and charges what the call cost (``judgment`` None:
  nothing was asked). A judgment's own ``cost_usd`` (e.g. litellm's) is kept; one at 0 is priced from its
  usage; an answer that reports no usage is charged its reservation (and its ``cost_usd`` stays 0).
- ``earlier``: what earlier invocations of the run spent (the engine adds the journal's answers), so
  the cap holds for the whole run and a rerun with a larger ``--max-cost`` continues.
- ``BudgetReached``: raised by the engine once the cap stops further calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from judgeaudit.errors import JudgeAuditError
from judgeaudit.pricing import Prices
from judgeaudit.schema import Judgment


class BudgetReached(JudgeAuditError):
    """The cost cap stopped further calls; what was answered is in the journal."""


@dataclass
class Budget:
    """Dollars spent and held for calls in flight, against an optional cap."""

    max_usd: float | None
    prices: Prices
    earlier: float = field(default=0.0, init=False)
    """Spent by earlier invocations of the run (their answers in the journal)."""
    spent: float = field(default=0.0, init=False)
    """Spent by this invocation's calls."""
    reserved: float = field(default=0.0, init=False)
    """Held for the calls in flight."""
    holds: int = field(default=0, init=False)
    """How many calls in flight hold a part of ``reserved``."""

    def __post_init__(self) -> None:
        if self.max_usd is not None and not self.prices.known:
            raise JudgeAuditError(
                f"--max-cost needs the judge's token prices, but {self.prices.source}: "
                "drop --max-cost, or use a model with known prices"
            )

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return prompt_tokens * self.prices.prompt + completion_tokens * self.prices.completion

    def reserve(self, prompt_tokens: int, answer_tokens: int) -> float | None:
        """Hold the estimated cost of a call; None when the cap does not leave room for it."""
        estimate = self.cost(prompt_tokens, answer_tokens)
        if self.max_usd is not None and self.earlier + self.spent + self.reserved + estimate > self.max_usd:
            return None
        self.reserved += estimate
        self.holds += 1
        return estimate

    def settle(self, reserved: float, judgment: Judgment | None) -> None:
        """Release a hold and charge the call's cost (filled into ``judgment.cost_usd`` from the prices)."""
        self.holds -= 1
        self.reserved = self.reserved - reserved if self.holds else 0.0  # no rounding left over
        if judgment is None or not judgment.ok:
            return
        if judgment.cost_usd <= 0:
            if judgment.prompt_tokens == 0 and judgment.completion_tokens == 0:
                self.spent += reserved
                return
            judgment.cost_usd = self.cost(judgment.prompt_tokens, judgment.completion_tokens)
        self.spent += judgment.cost_usd

    def reached(self, left: int) -> BudgetReached:
        """The error that ends an invocation the cap stopped with ``left`` requests unanswered."""
        return BudgetReached(
            f"cost cap reached: this run has spent ${self.earlier + self.spent:.4f} of --max-cost ${self.max_usd:g} "
            f"(${self.spent:.4f} in this invocation); {left} calls left. Answers so far are kept: "
            "rerun with a larger --max-cost to continue"
        )
