"""Another tool's recorded judge verdicts as a dataset and a replay file (``judgeaudit import KIND FILE``).

One module per log kind, each with ``read(path, ...) -> ImportedLog``; ``KINDS`` names the module of
each, imported only when used. ``records.write`` writes ``dataset.jsonl`` and ``verdicts.jsonl``, which
``judgeaudit run --judge replay:verdicts.jsonl --dataset dataset.jsonl`` audits.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.importers.records import ImportedLog, ReplayRecord, write

KINDS: dict[str, str] = {
    "mt-bench": "mt_bench",
    "judgebench": "judgebench",
    "alpacaeval": "alpacaeval",
    "promptfoo": "promptfoo",
    "inspect": "inspect_ai_log",
}
"""Log kind -> module of this package."""


def read_log(kind: str, path: Path, **options: Any) -> ImportedLog:
    """The log at ``path`` read as ``kind`` (options: those its module's ``read`` takes)."""
    if kind not in KINDS:
        raise JudgeAuditError(f"unknown log kind {kind!r}; one of: {', '.join(KINDS)}")
    module = importlib.import_module(f"{__name__}.{KINDS[kind]}")
    return module.read(path, **options)


__all__ = ["KINDS", "ImportedLog", "ReplayRecord", "read_log", "write"]
