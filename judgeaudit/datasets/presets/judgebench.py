"""JudgeBench (ScalerLab/JudgeBench: the JSON-lines files in the repository's ``data/``, the same layout as
the hub dataset's ``gpt`` and ``claude`` splits) in its own layout.

One record per response pair: ``pair_id``, ``original_id``, ``source``, ``question``, ``response_model``,
``response_A``, ``response_B`` and ``label`` (``A>B`` or ``B>A``: which response is objectively correct).
The better response becomes ``chosen``. The category is the group JudgeBench reports accuracy by, from the
source's prefix as its ``run_judge.py`` groups them: ``mmlu-pro*`` knowledge, ``livebench-reasoning``
reasoning, ``livebench-math`` math, ``livecodebench`` coding (any other source: uncategorized).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.loader import InstanceDraft
from judgeaudit.datasets.presets import _fields
from judgeaudit.schema import Instance

WHAT = "JudgeBench"
CATEGORIES = (("mmlu-pro", "knowledge"), ("livebench-reasoning", "reasoning"), ("livebench-math", "math"), ("livecodebench", "coding"))
"""Source prefix -> category."""
LABELS = {"A>B": "chosen", "B>A": "rejected"}


def category(source: str) -> str:
    """The category JudgeBench groups a source under."""
    return next((name for prefix, name in CATEGORIES if source.startswith(prefix)), "uncategorized")


def read(path: Path) -> list[Instance]:
    """The instances of a JudgeBench file, one per response pair."""
    drafts: list[InstanceDraft] = []
    seen: dict[str, int] = {}
    for line_no, row in read_rows(path):
        record = _fields.record(path, line_no, row, WHAT)
        texts = _fields.pair(path, line_no, record, ("question", "response_A", "response_B"), WHAT)
        source = _fields.text(path, line_no, record, "source", WHAT)
        label = _fields.label(path, line_no, _fields.value(path, line_no, record, "label", WHAT), LABELS)
        pair_id = _fields.unique(path, line_no, seen, str(_fields.value(path, line_no, record, "pair_id", WHAT)))
        group = category(source)
        metadata = {
            "benchmark": "judgebench", "subset": source, "section": group, "pair_id": pair_id,
            "original_id": record.get("original_id"), "response_model": record.get("response_model"),
        }
        drafts.append(InstanceDraft(line_no, pair_id, texts, group, None, metadata, label))
    return _fields.finished(path, drafts)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout."""
    return {"pair_id", "question", "response_A", "response_B", "label", "source"} <= set(record)
