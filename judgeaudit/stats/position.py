"""Position bias in the literature's terms, from the unchanged pairs asked in both orders.

Each instance's control pair, in slot terms (A = shown first): the same response wins in both orders,
or both are ties → *consistent*; the first slot wins both times, or wins once with a tie → *primacy*;
the second slot likewise → *recency*. Then, as in "Judging the Judges" (Shi et al., ACL 2025):
- position consistency PC = consistent / pairs — also MT-Bench's "consistency" (Zheng et al. 2023),
  CALM's robustness rate for position (Ye et al. 2024) and JudgeLM's swap consistency;
- preference fairness PF = (recency − primacy) / pairs, from -1 (always the first slot) to +1
  (always the second); 0 is fair. MT-Bench reports the two shares as "biased toward first/second";
- repetition stability RS = the mean share of the modal verdict when one order is asked twice
  (the control and its repeat), from 0.5 to 1 here.
Pairs are counted when scored in both orders (Shi et al. count unparsed pairs in PF's denominator;
judgeaudit reports unscored answers separately). The instance (or its prompt group, ``stats.units``) is
the unit of every interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from judgeaudit.schema import CONTROL, REPEAT
from judgeaudit.stats.cells import SCORED, SHARED
from judgeaudit.stats.inference import mean_ci
from judgeaudit.stats.records import Effect, Rate
from judgeaudit.stats.units import EACH_INSTANCE, Units

ORDERS = ("chosen_first", "chosen_second")
SLOT = {("chosen_first", "better"): "A", ("chosen_first", "worse"): "B", ("chosen_second", "better"): "B", ("chosen_second", "worse"): "A"}


@dataclass(frozen=True)
class PositionMetrics:
    """Position consistency, preference fairness and repetition stability, with the instance counts."""

    n_pairs: int
    consistency: Rate
    primacy: Rate
    recency: Rate
    preference_fairness: Effect
    repetition_stability: Effect | None


def _slot(order: str, outcome: str) -> str:
    return "C" if outcome == "tie" else SLOT[order, outcome]


def _kind(first: str, second: str) -> str:
    if (first, second) in (("A", "B"), ("B", "A"), ("C", "C")):
        return "consistent"
    return "primacy" if "A" in (first, second) else "recency"  # AA, AC, CA / BB, BC, CB


def position_metrics(frame: pd.DataFrame, seed: int, units: Units = EACH_INSTANCE) -> PositionMetrics | None:
    """The metrics from the control (and repeat) cells of a pairwise run; None without a pair scored in both orders."""
    shared = frame[(frame["bias"] == SHARED) & (frame["state"] == SCORED)]
    control = shared[shared["condition"] == CONTROL].set_index(["instance_id", "order"])["outcome"].unstack("order")
    if not all(order in control for order in ORDERS):
        return None
    control = control.dropna(subset=list(ORDERS))
    if control.empty:
        return None
    kinds = pd.Series([_kind(_slot(ORDERS[0], a), _slot(ORDERS[1], b)) for a, b in zip(control[ORDERS[0]], control[ORDERS[1]], strict=True)], index=control.index)
    ids = kinds.index
    fairness = (kinds == "recency").astype(float) - (kinds == "primacy").astype(float)

    def share(kind: str) -> Rate:
        return units.rate(ids, (kinds == kind).astype(int), [1] * len(kinds))

    return PositionMetrics(
        n_pairs=len(kinds),
        consistency=share("consistent"),
        primacy=share("primacy"),
        recency=share("recency"),
        preference_fairness=mean_ci(units.means(ids, fairness), (-1, 1), seed),
        repetition_stability=_repetition_stability(shared, seed, units),
    )


def _repetition_stability(shared: pd.DataFrame, seed: int, units: Units) -> Effect | None:
    asked = shared[shared["condition"].isin((CONTROL, REPEAT))]
    table = asked.set_index(["instance_id", "order", "condition"])["outcome"].unstack("condition")
    if REPEAT not in table or CONTROL not in table:
        return None
    table = table.dropna()
    if table.empty:
        return None
    modal_share = (table[CONTROL] == table[REPEAT]).map({True: 1.0, False: 0.5})
    per_instance = modal_share.groupby(level="instance_id").mean()
    return mean_ci(units.means(per_instance.index, per_instance), (0.5, 1), seed)
