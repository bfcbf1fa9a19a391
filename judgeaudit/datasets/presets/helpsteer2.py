"""HelpSteer2 (nvidia/HelpSteer2: ``train.jsonl.gz`` / ``validation.jsonl.gz``, decompressed) in its own
layout.

One record per (prompt, response), with ``prompt``, ``response`` and five human attribute scores from 0
to 4: ``helpfulness``, ``correctness``, ``coherence``, ``complexity``, ``verbosity``. HelpSteer2 collects
two responses per prompt (the published files list them one after the other); the responses of one
prompt (the same prompt text, anywhere in the file) are paired in file order, the first with the second,
the third with the fourth. A response left without a partner, and a pair of identical responses, is
dropped: ``pairs`` gives their count. A multi-turn prompt keeps HelpSteer2's own turn markers.

Each pair is one instance with one annotation by ``helpsteer2`` whose scores are the two responses'
helpfulness; gold is the more helpful response (equal helpfulness: a tie), which becomes ``chosen``. All
five scores of each response are kept in ``metadata`` (``attributes_chosen``, ``attributes_rejected``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.labels import number
from judgeaudit.datasets.loader import InstanceDraft, add_annotation, finish_draft
from judgeaudit.datasets.presets import _fields
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import Annotation, Instance, stable_hash

WHAT = "HelpSteer2"
ANNOTATOR = "helpsteer2"
ATTRIBUTES = ("helpfulness", "correctness", "coherence", "complexity", "verbosity")
SCALE = (0, 4)

Response = tuple[int, str, dict[str, float]]
"""(line, response text, attribute scores)."""


def _scores(path: Path, line_no: int, record: dict[str, Any]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name in ATTRIBUTES:
        try:
            score = number(_fields.value(path, line_no, record, name, WHAT), name)
        except ValueError as exc:
            raise located(path, line_no, str(exc)) from None
        if score is None or not SCALE[0] <= score <= SCALE[1]:
            raise located(path, line_no, f"{name} {record[name]!r} is not a score from {SCALE[0]} to {SCALE[1]}")
        scores[name] = int(score) if score.is_integer() else score
    return scores


def _split(path: Path) -> str:
    """The split a file holds, from its name (``validation.jsonl`` -> validation, ``...#train`` -> train)."""
    name = path.name
    return name.rpartition("#")[2] if "#" in name else name.split(".")[0]


def _draft(path: Path, prompt: str, first: Response, second: Response) -> InstanceDraft:
    texts = {"prompt": prompt, "chosen": first[1], "rejected": second[1]}
    instance_id = stable_hash([prompt, first[1], second[1]], length=12)
    metadata = {"benchmark": "helpsteer2", "subset": _split(path), "attributes": [first[2], second[2]]}
    draft = InstanceDraft(first[0], instance_id, texts, "uncategorized", None, metadata, None)
    annotation = Annotation(ANNOTATOR, None, first[2]["helpfulness"], second[2]["helpfulness"])
    add_annotation(path, second[0], draft, annotation)
    return draft


def _oriented(instance: Instance, draft: InstanceDraft) -> Instance:
    """The instance with each response's scores named by the role it ended in."""
    first, second = draft.metadata["attributes"]
    kept = instance.chosen == draft.texts["chosen"]
    metadata = {k: v for k, v in instance.metadata.items() if k != "attributes"}
    metadata |= {"attributes_chosen": first if kept else second, "attributes_rejected": second if kept else first}
    return replace(instance, metadata=metadata)


def pairs(path: Path) -> tuple[list[Instance], int]:
    """The instances of a HelpSteer2 file, and how many responses were dropped (unpaired, or identical to
    their partner)."""
    pending: dict[str, Response] = {}
    drafts: list[InstanceDraft] = []
    dropped = 0
    for line_no, row in read_rows(path):
        record = _fields.record(path, line_no, row, WHAT)
        prompt = _fields.text(path, line_no, record, "prompt", WHAT)
        response = (line_no, _fields.text(path, line_no, record, "response", WHAT), _scores(path, line_no, record))
        first = pending.pop(prompt, None)
        if first is None:
            pending[prompt] = response
        elif first[1].strip() == response[1].strip():
            dropped += 2
        else:
            drafts.append(_draft(path, prompt, first, response))
    dropped += len(pending)
    if not drafts:
        raise JudgeAuditError(f"{path}: no instances found (no prompt has two different responses)")
    return [_oriented(finish_draft(path, draft), draft) for draft in drafts], dropped


def read(path: Path) -> list[Instance]:
    """The instances of a file in this layout."""
    return pairs(path)[0]


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout."""
    return {"prompt", "response", *ATTRIBUTES} <= set(record)
