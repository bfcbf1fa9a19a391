"""AlpacaEval annotations (``annotations.json`` that ``alpaca_eval evaluate`` writes beside the
leaderboard; tatsu-lab/alpaca_eval).

A JSON list, one record per pair: ``instruction``, ``output_1``, ``output_2``, ``generator_1``,
``generator_2``, ``annotator``, ``preference`` (1: output_1 better, 2: output_2, 1.5 a tie, a value in
between from a weighted annotator: 1 + P(output_2), null where the annotator's answer was not parsed;
0 in old files: identical outputs), ``raw_completion``, ``price_per_example``, ``time_per_example``.

Each pair was judged once, in one order. AlpacaEval shows output_2 first where its
``RandomSwitchTwoColumnsProcessor`` switched the pair: ``random.Random("is_switched_outputs" +
instruction + str(seed)).choices([False, True])`` with the annotator's seed (0 by default), then
un-switches the preference before saving. Older files keep ``is_switched_outputs``; otherwise the order
is reconstructed by that rule (``order="seeded"``), or taken as listed (``order="listed"``: annotators
configured with ``is_randomize_output_order: false``, e.g. lmsys_gpt4).
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.importers.records import (
    FAILED,
    ImportedLog,
    ReplayRecord,
    limits,
    order_shown,
    pair_instance,
    usable_pair,
)
from judgeaudit.schema import Instance

ORDERS = ("seeded", "listed")


def switched(instruction: str, seed: int) -> bool:
    """Whether AlpacaEval showed output_2 first (its RandomSwitchTwoColumnsProcessor's rule)."""
    return bool(random.Random("is_switched_outputs" + instruction + str(seed)).choices([False, True], k=1)[0])


def _preference(path: Path, line_no: int, value: Any) -> float | None:
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value == 0 or 1 <= value <= 2):
        raise located(path, line_no, f"preference {value!r} is not 1, 2, a value between them, 0 or null")
    return float(value)


def read(path: Path, order: str = "seeded", seed: int = 0) -> ImportedLog:
    """The instances and verdicts of an AlpacaEval annotations file."""
    if order not in ORDERS:
        raise JudgeAuditError(f"--order must be one of {', '.join(ORDERS)}; got {order!r}")
    rows: list[tuple[int, dict[str, Any], float | None]] = []
    for line_no, row in read_rows(path, "AlpacaEval annotations"):
        if not isinstance(row, dict) or not {"instruction", "output_1", "output_2", "preference"} <= set(row):
            raise located(path, line_no, "not an AlpacaEval annotation (instruction, output_1, output_2, preference)")
        rows.append((line_no, row, _preference(path, line_no, row["preference"])))
    weighted = any(p is not None and p not in (0.0, 1.0, 1.5, 2.0) for _, _, p in rows)
    instances: list[Instance] = []
    records: list[ReplayRecord] = []
    recorded = reconstructed = skipped = 0
    annotators: set[str] = set()
    for line_no, row, preference in rows:
        instruction, first, second = str(row["instruction"]), str(row["output_1"]), str(row["output_2"])
        if not usable_pair(first, second):
            skipped += 1
            continue
        annotators.add(str(row.get("annotator", "?")))
        if "is_switched_outputs" in row:
            output_2_first, recorded = bool(row["is_switched_outputs"]), recorded + 1
        else:
            output_2_first = order == "seeded" and switched(instruction, seed)
            reconstructed += 1
        instance_id = f"alpacaeval-{len(instances) + 1:05d}"
        instance, first_is_chosen = pair_instance(
            instance_id, instruction, first, second, None, str(row.get("dataset") or "uncategorized"),
            metadata={"generator_1": row.get("generator_1"), "generator_2": row.get("generator_2"), "annotator": row.get("annotator")},
        )
        instances.append(instance)
        records.append(_record(path, line_no, instance_id, order_shown(first_is_chosen, not output_2_first), preference, output_2_first, weighted))
    if not instances:
        raise JudgeAuditError(f"{path}: no AlpacaEval annotations found")
    notes = [f"{skipped} annotations left out: a pair with an empty or identical output cannot be a dataset instance"] if skipped else []
    if reconstructed:
        how = (f"by AlpacaEval's rule (is_randomize_output_order true, seed {seed})" if order == "seeded"
               else "as listed (output_1 first: --order listed)")
        notes.append(f"the order shown is not in the file for {reconstructed} annotations: reconstructed {how}")
    cannot = limits(instances, records, "AlpacaEval judges each pair once, in one order")
    return ImportedLog("alpacaeval", path, ", ".join(sorted(annotators)), instances, records, cannot, notes)


def _record(path: Path, line_no: int, instance_id: str, order: Any, preference: float | None, output_2_first: bool, weighted: bool) -> ReplayRecord:
    """The verdict as shown: preference is in the listed frame (1: output_1), un-switched by AlpacaEval."""
    source = f"{path}:{line_no}"
    if preference is None:
        return ReplayRecord(instance_id, order, FAILED, source=source)
    p_output_1 = 0.5 if preference == 0 else 2.0 - preference
    p_a = 1.0 - p_output_1 if output_2_first else p_output_1
    verdict = "tie" if p_a == 0.5 else "A" if p_a > 0.5 else "B"
    return ReplayRecord(instance_id, order, verdict, p_a=p_a if weighted else None, source=source, extra={"preference": preference})
