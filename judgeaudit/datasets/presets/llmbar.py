"""LLMBar (princeton-nlp/LLMBar: ``Dataset/LLMBar/<subset>/dataset.json``) in its own layout.

Each subset is a JSON document, a list of records with ``input``, ``output_1``, ``output_2`` and
``label`` (1 or 2: which output follows the instruction); the better output becomes ``chosen``. The
subset comes from the file's folder: ``Natural``, ``Adversarial/Neighbor``, ``Adversarial/GPTInst``,
``Adversarial/GPTOut``, ``Adversarial/Manual`` (and ``CaseStudy/<name>``); its section is the part of the
benchmark it belongs to (Natural, Adversarial, CaseStudy). A file outside that tree takes its folder's
name as the subset and gets no section. Records carry no id: an instance's id is its subset and place
(``Adversarial-Neighbor-3``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.loader import InstanceDraft
from judgeaudit.datasets.presets import _fields
from judgeaudit.schema import Instance

WHAT = "LLMBar"
LABELS: dict[Any, str] = {1: "chosen", 2: "rejected", "1": "chosen", "2": "rejected"}
SECTIONS = ("Natural", "Adversarial", "CaseStudy")
"""The parts of the benchmark; the folders below Adversarial and CaseStudy are their subsets."""


def subset_of(path: Path) -> tuple[str, str | None]:
    """(subset, section) of a file, from its folders; (its folder's name, None) outside LLMBar's tree."""
    folders = path.resolve().parent.parts
    for index in range(len(folders) - 1, -1, -1):
        if folders[index] == "Natural":
            return "Natural", "Natural"
        if folders[index] in SECTIONS[1:] and index + 1 < len(folders):
            return f"{folders[index]}/{folders[index + 1]}", folders[index]
    return path.resolve().parent.name or path.stem, None


def read(path: Path) -> list[Instance]:
    """The instances of one LLMBar subset file."""
    subset, section = subset_of(path)
    metadata: dict[str, Any] = {"benchmark": "llmbar", "subset": subset} | ({"section": section} if section else {})
    drafts: list[InstanceDraft] = []
    for index, (line_no, row) in enumerate(read_rows(path), start=1):
        record = _fields.record(path, line_no, row, WHAT)
        texts = _fields.pair(path, line_no, record, ("input", "output_1", "output_2"), WHAT)
        label = _fields.label(path, line_no, _fields.value(path, line_no, record, "label", WHAT), LABELS)
        drafts.append(InstanceDraft(line_no, f"{subset.replace('/', '-')}-{index}", texts, subset, None, dict(metadata), label))
    return _fields.finished(path, drafts)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout."""
    return {"input", "output_1", "output_2", "label"} <= set(record)
