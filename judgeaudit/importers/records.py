"""What an importer hands on: the instances a log's judge was given, one replay record per recorded
verdict, and what the log cannot support; and writing them as a dataset and a replay file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeaudit.schema import Instance, Order

FAILED = "(no verdict: the judge call failed)"
"""A recorded failure: written as the replay record's ``error``, which replay reads as a failed call."""
UNREADABLE = "unparseable"
"""A recorded answer the tool itself could not read as a verdict: replayed as an unparseable answer."""


@dataclass(frozen=True)
class ReplayRecord:
    """One recorded verdict, in the replay format (``judgeaudit.judges.replay``)."""

    instance_id: str
    order: Order
    """``chosen_first``: the instance's chosen response was shown as A."""
    verdict: str
    """``A`` / ``B`` / ``tie`` (the position shown), ``UNREADABLE`` or ``FAILED``."""
    p_a: float | None = None
    condition: str = "control"
    replicate: int = 0
    source: str = ""
    """Where in the log the verdict comes from (file:line or record), for tracing it back."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Kept beside the verdict for a reader; replay ignores it (e.g. a reward model's two scores)."""

    def to_dict(self) -> dict[str, Any]:
        answer = {"error": FAILED} if self.verdict == FAILED else {"verdict": self.verdict}
        row: dict[str, Any] = {"instance_id": self.instance_id, "order": self.order} | answer
        if self.p_a is not None:
            row["p_a"] = self.p_a
        if self.condition != "control":
            row["condition"] = self.condition
            row["replicate"] = self.replicate
        if self.source:
            row["source"] = self.source
        return row | self.extra


@dataclass(frozen=True)
class ImportedLog:
    """Another tool's recorded verdicts: the instances, the records, and the log's limits."""

    kind: str
    source: Path
    judge: str
    """The judge the log names (model, prompt or annotator)."""
    instances: list[Instance]
    records: list[ReplayRecord]
    cannot: list[str] = field(default_factory=list)
    """What the log cannot support, one line each (e.g. "one order only: ...")."""
    notes: list[str] = field(default_factory=list)
    """What was done to read it (records skipped, orders reconstructed), one line each."""
    biases: tuple[str, ...] = ("position",)
    """What an audit of it can measure by bias name (the control in both orders: position)."""


def dataset_row(instance: Instance) -> dict[str, Any]:
    """One line of the dataset file, read back by ``judgeaudit.datasets.load_instances``."""
    row: dict[str, Any] = {"id": instance.id, "prompt": instance.prompt, "chosen": instance.chosen, "rejected": instance.rejected,
                           "category": instance.category}
    if instance.reference is not None:
        row["reference"] = instance.reference
    if instance.gold is not None:
        row["label"] = instance.gold
    return row | {k: v for k, v in instance.metadata.items() if k not in row and k != "label"}


def write(log: ImportedLog, out: Path) -> tuple[Path, Path]:
    """``OUT/dataset.jsonl`` and ``OUT/verdicts.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    dataset, verdicts = out / "dataset.jsonl", out / "verdicts.jsonl"
    dataset.write_text("".join(json.dumps(dataset_row(i), ensure_ascii=False) + "\n" for i in log.instances), encoding="utf-8")
    verdicts.write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in log.records), encoding="utf-8")
    return dataset, verdicts


def both_orders(records: list[ReplayRecord]) -> bool:
    """Whether any instance has its control recorded in both orders."""
    orders: dict[str, set[str]] = {}
    for record in records:
        if record.condition == "control":
            orders.setdefault(record.instance_id, set()).add(record.order)
    return any(len(seen) == 2 for seen in orders.values())


def limits(instances: list[Instance], records: list[ReplayRecord], *more: str) -> list[str]:
    """What an audit of the imported log cannot measure, read off what it holds (one order only, no gold
    label; never any perturbed probe), then the importer's own ``more``."""
    cannot = [] if both_orders(records) else [ONE_ORDER]
    if all(instance.gold is None for instance in instances):
        cannot.append(NO_GOLD)
    return [*cannot, NO_PERTURBATION, *more]


NO_PERTURBATION = (
    "no perturbed probes: no content bias (verbosity, authority, ...) can be audited, only accuracy, agreement, position "
    "and length"
)
NO_GOLD = (
    "no gold label: 'chosen' is the first-listed response, an arbitrary side; the accuracy figures compare the judge with "
    "that split, not with a truth (position consistency and agreement between orders are unaffected)"
)
ONE_ORDER = "one order only: position consistency cannot be measured (no instance was judged in both orders)"


def pair_instance(
    instance_id: str, prompt: str, first: str, second: str, better: str | None, category: str = "uncategorized",
    reference: str | None = None, metadata: dict[str, Any] | None = None,
) -> tuple[Instance, bool]:
    """The instance of a pair listed as (first, second) where the log's label says ``better`` is
    ``first`` / ``second`` / ``tie`` / None (no label: the first-listed is ``chosen``), and whether
    ``chosen`` is the first-listed response."""
    first_is_chosen = better != "second"
    chosen, rejected = (first, second) if first_is_chosen else (second, first)
    gold = {"first": "chosen", "second": "chosen", "tie": "tie"}.get(better or "")
    instance = Instance(
        id=instance_id, prompt=prompt, chosen=chosen, rejected=rejected, category=category, reference=reference,
        metadata=dict(metadata or {}), gold=gold, gold_source="labels" if gold else "",  # type: ignore[arg-type]
    )
    return instance, first_is_chosen


def order_shown(first_is_chosen: bool, first_listed_shown_first: bool) -> Order:
    """The order a game showed, from whether the first-listed response is ``chosen`` and was shown as A."""
    return "chosen_first" if first_is_chosen == first_listed_shown_first else "chosen_second"


def usable_pair(first: str, second: str) -> bool:
    """Whether a dataset can hold the pair (both responses non-empty and different)."""
    return bool(first.strip()) and bool(second.strip()) and first.strip() != second.strip()
