"""RewardBench 2 (allenai/reward-bench-2, split ``test``) in its own layout: the hub's Parquet, a
``save_to_disk`` folder, ``hf:allenai/reward-bench-2``, or the records exported to JSON lines or a JSON list.

One record per prompt: ``id``, ``prompt``, ``chosen`` (a list: one correct response, several in the Ties
subset), ``rejected`` (a list: three incorrect responses in best-of-4 subsets, more in Ties),
``num_correct``, ``num_incorrect`` (the dataset card's prose calls it ``num_rejected``),
``total_completions``, ``models`` (the models of the chosen, then of the rejected responses) and ``subset``
(Factuality, Precise IF, Math, Safety, Focus, Ties), as the dataset card (``README.md`` of
allenai/reward-bench-2) lists them.

Each record becomes one instance per (chosen, rejected) pair: every chosen response against every
rejected one, with id ``<id>-<k>`` (k counts the pairs from 0, rejected responses fastest) and in
``metadata``: ``benchmark`` ``rewardbench2``, ``subset`` and ``section`` (the subset: RewardBench 2's
leaderboard averages its six subsets), ``group`` (the record's id), ``pairs_in_group`` (how many pairs
the record gave), ``chosen_index``/``rejected_index`` and, where ``models`` lists one model per response,
``model_chosen``/``model_rejected``.

The pairs of one prompt share its prompt and its chosen response: they are clustered, so statistics
must treat the group (the record), not the pair, as the unit (resample and count groups). RewardBench
2 itself counts a best-of-4 prompt as right only when the chosen response beats *all* three rejected
ones; the per-pair accuracy is not that number. The Ties subset is mapped the same way (every correct
× every incorrect response), but RewardBench 2 scores Ties differently (``scripts/run_v2.py`` hands it
to a separate scoring: a weighted mix of all correct answers above all incorrect ones and a margin
between correct and incorrect larger than the spread among the correct answers), so per-pair
accuracy on Ties is not its Ties score either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.loader import InstanceDraft
from judgeaudit.datasets.presets import _fields as fields
from judgeaudit.errors import located
from judgeaudit.schema import Instance

BENCHMARK = "rewardbench2"
WHAT = "RewardBench 2"
SUBSETS = ("Factuality", "Precise IF", "Math", "Safety", "Focus", "Ties")
"""RewardBench 2's six subsets (others are read too, under their own name)."""


def _pairs(path: Path, line_no: int, record: Any) -> list[InstanceDraft]:
    """The drafts of one record: every chosen response against every rejected one."""
    record = fields.record(path, line_no, record, WHAT)
    record_id, prompt, subset = (fields.identifier(path, line_no, record, name, "a " + WHAT) for name in ("id", "prompt", "subset"))
    chosen, rejected = fields.responses(path, line_no, record, "chosen"), fields.responses(path, line_no, record, "rejected")
    models = record.get("models")
    named = isinstance(models, list) and len(models) == len(chosen) + len(rejected)
    common = {"benchmark": BENCHMARK, "subset": subset, "section": subset, "group": record_id, "pairs_in_group": len(chosen) * len(rejected)}
    drafts: list[InstanceDraft] = []
    for c, chosen_text in enumerate(chosen):
        for r, rejected_text in enumerate(rejected):
            if chosen_text.strip() == rejected_text.strip():
                raise located(path, line_no, f"chosen response {c} and rejected response {r} are identical")
            metadata = common | {"chosen_index": c, "rejected_index": r}
            if named:
                assert isinstance(models, list)
                metadata |= {"model_chosen": models[c], "model_rejected": models[len(chosen) + r]}
            texts = {"prompt": prompt, "chosen": chosen_text, "rejected": rejected_text}
            drafts.append(InstanceDraft(line_no, f"{record_id}-{len(drafts)}", texts, subset, None, metadata, "chosen"))
    return drafts


def read(path: Path) -> list[Instance]:
    """The instances of a RewardBench 2 dataset, one per (chosen, rejected) pair of each record."""
    return fields.grouped(path, _pairs)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout: lists of chosen and rejected responses with a ``subset`` and
    RewardBench 2's completion counts."""
    return (
        {"id", "prompt", "chosen", "rejected", "subset"} <= set(record)
        and isinstance(record["chosen"], list)
        and isinstance(record["rejected"], list)
        and bool({"num_correct", "total_completions"} & set(record))
    )
