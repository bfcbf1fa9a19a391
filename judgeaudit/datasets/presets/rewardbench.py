"""RewardBench (allenai/reward-bench, split ``filtered``, exported from the hub's parquet to JSON lines,
a JSON list or CSV) in its own layout.

One record per comparison: ``prompt``, ``chosen``, ``rejected``, ``chosen_model``, ``rejected_model``,
``subset`` and ``id``. ``chosen`` is the better response by construction (the gold label). The section is
the one RewardBench's leaderboard averages the subset into, as its ``rewardbench/constants.py``
(``SUBSET_MAPPING``) maps them; a subset it does not list gets no section and the category
``uncategorized``.

The plain prompt/chosen/rejected reader reads these files too (its fields are a superset of the plain
ones); read by name, the section, category and the models' names are filled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.loader import InstanceDraft
from judgeaudit.datasets.presets import _fields
from judgeaudit.schema import Instance

WHAT = "RewardBench"
SECTIONS: dict[str, tuple[str, ...]] = {
    "Chat": ("alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"),
    "Chat Hard": (
        "mt-bench-hard", "llmbar-natural", "llmbar-adver-neighbor", "llmbar-adver-GPTInst", "llmbar-adver-GPTOut", "llmbar-adver-manual",
    ),
    "Safety": ("refusals-dangerous", "refusals-offensive", "xstest-should-refuse", "xstest-should-respond", "donotanswer"),
    "Reasoning": ("math-prm", "hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"),
}
"""Section -> its subsets (RewardBench's ``SUBSET_MAPPING``)."""
SECTION_OF = {subset: section for section, subsets in SECTIONS.items() for subset in subsets}


def read(path: Path) -> list[Instance]:
    """The instances of a RewardBench file, one per comparison."""
    drafts: list[InstanceDraft] = []
    seen: dict[str, int] = {}
    for line_no, row in read_rows(path):
        record = _fields.record(path, line_no, row, WHAT)
        texts = _fields.pair(path, line_no, record, ("prompt", "chosen", "rejected"), WHAT)
        subset = _fields.text(path, line_no, record, "subset", WHAT)
        instance_id = _fields.unique(path, line_no, seen, str(_fields.value(path, line_no, record, "id", WHAT)))
        section = SECTION_OF.get(subset)
        metadata: dict[str, Any] = {"benchmark": "rewardbench", "subset": subset}
        if section is not None:
            metadata["section"] = section
        metadata |= {"model_chosen": record.get("chosen_model"), "model_rejected": record.get("rejected_model")}
        drafts.append(InstanceDraft(line_no, instance_id, texts, section or "uncategorized", None, metadata, "chosen"))
    return _fields.finished(path, drafts)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout: one chosen and one rejected text, their models' names, a subset
    (RewardBench 2's records hold lists of responses instead)."""
    fields = {"prompt", "chosen", "rejected", "chosen_model", "rejected_model", "subset", "id"}
    return fields <= set(record) and isinstance(record["chosen"], str) and isinstance(record["rejected"], str)
