"""RM-Bench (THU-KEG/RM-Bench: ``data/total_dataset.json`` or a domain's ``data/<domain>_filtered.json``,
or the hub dataset) in its own layout.

One record per prompt: ``id``, ``prompt``, ``chosen`` and ``rejected`` (three responses each, in the
order concise, detailed plain text, detailed markdown) and ``domain`` (chat, code, math, safety-refuse,
safety-response), as the repository's ``README.md`` lists them.

Each record becomes nine instances, one per cell (i, j) of RM-Bench's 3×3 style-substance matrix: the
chosen response of style i against the rejected response of style j, with id ``<id>-c<i>r<j>`` and in
``metadata``: ``benchmark`` ``rm-bench``, ``subset`` (the domain), ``section`` (what its leaderboard
reports: chat, code, math or safety, the two safety domains together), ``group`` (the record's id),
``chosen_style``/``rejected_style`` (0 concise, 1 detailed plain, 2 detailed markdown) and ``difficulty``.

The difficulty follows ``compute_accuracy`` in RM-Bench's README (its ``scripts/utils.py``), whose
matrix has the chosen style as rows and the rejected style as columns: *hard* is the upper-right
triangle, i < j (the chosen response less styled than the rejected one: cells 0-1, 0-2, 1-2); *normal*
the diagonal, i == j (0-0, 1-1, 2-2); *easy* the lower-left triangle, i > j (1-0, 2-0, 2-1). Each of
its accuracies is the mean over its three cells of the share of prompts whose chosen response wins.

The nine instances of a prompt share its prompt and responses: they are clustered, so statistics must
treat the group (the record), not the cell, as the unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.loader import InstanceDraft
from judgeaudit.datasets.presets import _fields as fields
from judgeaudit.errors import located
from judgeaudit.schema import Instance

BENCHMARK = "rm-bench"
STYLES = ("concise", "detailed plain", "detailed markdown")
"""The styles of the three responses on each side, in the order the data lists them."""
DOMAINS = ("chat", "code", "math", "safety-refuse", "safety-response")


def difficulty(chosen_style: int, rejected_style: int) -> str:
    """RM-Bench's name for a cell: hard (chosen less styled than rejected), normal (same style) or easy."""
    if chosen_style < rejected_style:
        return "hard"
    return "normal" if chosen_style == rejected_style else "easy"


def section(domain: str) -> str:
    """The leaderboard's section of a domain: the two safety domains are one (Safety)."""
    return "safety" if domain.startswith("safety") else domain


def _cells(path: Path, line_no: int, record: Any) -> list[InstanceDraft]:
    record = fields.record(path, line_no, record, "RM-Bench")
    record_id, prompt, domain = (fields.identifier(path, line_no, record, name, "an RM-Bench") for name in ("id", "prompt", "domain"))
    chosen, rejected = (fields.responses(path, line_no, record, side, STYLES) for side in ("chosen", "rejected"))
    drafts: list[InstanceDraft] = []
    for i, chosen_text in enumerate(chosen):
        for j, rejected_text in enumerate(rejected):
            if chosen_text.strip() == rejected_text.strip():
                raise located(path, line_no, f"the {STYLES[i]} chosen and the {STYLES[j]} rejected responses are identical")
            metadata = {
                "benchmark": BENCHMARK, "subset": domain, "section": section(domain), "group": record_id,
                "chosen_style": i, "rejected_style": j, "difficulty": difficulty(i, j),
            }
            texts = {"prompt": prompt, "chosen": chosen_text, "rejected": rejected_text}
            drafts.append(InstanceDraft(line_no, f"{record_id}-c{i}r{j}", texts, domain, None, metadata, "chosen"))
    return drafts


def read(path: Path) -> list[Instance]:
    """The instances of an RM-Bench file, nine per record (one per style cell)."""
    return fields.grouped(path, _cells)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout: lists of chosen and rejected responses with a ``domain``."""
    return (
        {"id", "prompt", "chosen", "rejected", "domain"} <= set(record)
        and isinstance(record["chosen"], list)
        and isinstance(record["rejected"], list)
    )
