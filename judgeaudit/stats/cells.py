"""From (probe, judgment) rows to a table of scored cells: one row per probe, the instance as the key.

A probe is *scored* when the judge gave a verdict (A, B or tie) that was not cut off; otherwise its
state says why not (unparseable, failed, truncated) and it carries no outcome. Outcomes have three
levels: the better response won, a tie, the worse won. Two preferences for the better response are
kept: ``verdict`` (1 / 0.5 / 0 from the verdict: the common scale every effect is decided on, whatever
the judge's readout) and ``pref`` (the judge's own probability where it gives one, else the same).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from judgeaudit.schema import Judgment, Probe

SCORED = "scored"
OUTCOME_SCORE = {"better": 1.0, "tie": 0.5, "worse": 0.0}
SHARED = "*"  # the bias column of the conditions every bias shares (control, repeat)

COLUMNS = ("instance_id", "category", "bias", "condition", "order", "state", "outcome", "verdict", "pref", "soft")


def state(judgment: Judgment) -> str:
    """scored, or why the probe cannot be scored: failed, truncated, unparseable."""
    if judgment.verdict == "error":
        return "failed"
    if judgment.truncated:
        return "truncated"
    if judgment.verdict not in ("A", "B", "tie"):
        return "unparseable"
    return SCORED


def outcome(probe: Probe, judgment: Judgment) -> str:
    """Which response won this probe: better, tie or worse."""
    if judgment.verdict == "tie":
        return "tie"
    return "better" if judgment.verdict == probe.correct else "worse"


def preference(probe: Probe, judgment: Judgment) -> float:
    """The judge's preference (0..1) for the better response."""
    if judgment.p_a is not None:
        return judgment.p_a if probe.correct == "A" else 1.0 - judgment.p_a
    return OUTCOME_SCORE[outcome(probe, judgment)]


def cell_frame(rows: Iterable[tuple[Probe, Judgment]]) -> pd.DataFrame:
    """One row per probe: its keys, its state and, when scored, its outcome and preference."""
    records = []
    for probe, judgment in rows:
        probe_state = state(judgment)
        scored = probe_state == SCORED
        records.append(
            (
                probe.instance_id,
                probe.category,
                probe.bias or SHARED,
                probe.condition,
                probe.order,
                probe_state,
                outcome(probe, judgment) if scored else None,
                OUTCOME_SCORE[outcome(probe, judgment)] if scored else None,
                preference(probe, judgment) if scored else None,
                scored and judgment.p_a is not None,
            )
        )
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))
