"""Public datasets read in their own published layout, by name (``--dataset NAME:PATH``) or detected
from a file's first record when no field is mapped.

Each layout is a module of this package with ``read(path) -> list[Instance]`` (errors name the file and
line or record) and ``matches(record) -> bool`` (whether a record has its layout); ``PRESETS`` names the
module of each, imported only when used. Instances of a benchmark carry in ``metadata``: ``benchmark``
(the layout's name), ``subset`` (the benchmark's own subset or source) and, where the benchmark has
them, ``section`` (what its leaderboard groups by) and ``group`` (instances that share one prompt, e.g.
one chosen against several rejected responses).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from judgeaudit.datasets.files import read_rows, resolve_source
from judgeaudit.datasets.loader import load_instances
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import Instance

PRESETS: dict[str, str] = {
    "mt-bench-human": "mt_bench_human",
    "judgebench": "judgebench",
    "rewardbench": "rewardbench",
    "llmbar": "llmbar",
    "evalbiasbench": "evalbiasbench",
    "helpsteer2": "helpsteer2",
    "rewardbench2": "rewardbench2",
    "rm-bench": "rm_bench",
}
"""Layout name -> module of this package."""


@dataclass(frozen=True)
class LoadedData:
    """A dataset's instances, the file they come from, and the layout it was read as (None: plain fields)."""

    instances: list[Instance]
    path: Path
    layout: str | None = None
    detected: bool = False
    """The layout was recognised from the file's first record, not named."""


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{PRESETS[name]}")


def detect(path: Path) -> str | None:
    """The layout a file's first record has (the first layout whose ``matches`` accepts it; a plain
    record matches none), or None. A JSON document that maps names to lists of records (EvalBiasBench's)
    is judged by its first record."""
    try:
        first = next(iter(read_rows(path)), None)
    except JudgeAuditError:
        first = _first_of_mapping(path)
    if first is None or not isinstance(first[1], dict):
        return None
    record = first[1]
    found = next((name for name in PRESETS if _module(name).matches(record)), None)
    if found is None and record and all(isinstance(v, list) and v and isinstance(v[0], dict) for v in record.values()):
        # one line holding a whole {name: [record, ...]} document (a minified EvalBiasBench file)
        found = next((name for name in PRESETS if _module(name).matches(next(iter(record.values()))[0])), None)
    return found


def _first_of_mapping(path: Path) -> tuple[int, Any] | None:
    """The first record of a ``.json`` document of the form {name: [record, ...]}, else None."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    lists = [value for value in document.values() if isinstance(value, list) and value]
    return (1, lists[0][0]) if lists else None


def load_dataset(dataset: str, field_map: dict[str, str]) -> LoadedData:
    """The instances of ``NAME:PATH`` (a layout read by name), of a file in a layout recognised from its
    first record (only when no field is mapped), or of a plain file under ``field_map``. ``PATH`` is a
    file (JSON lines, JSON, CSV, Parquet), a Hugging Face ``save_to_disk`` folder or ``hf:OWNER/NAME``; where
    it has several splits and names none, the path handed back names the split read (``PATH#SPLIT``)."""
    name, sep, rest = dataset.partition(":")
    if sep and name in PRESETS:
        if field_map:
            raise JudgeAuditError(f"--dataset {name}:... reads its own layout; --field mappings do not apply to it")
        path = Path(resolve_source(rest))
        return LoadedData(_module(name).read(path), path, name)
    path = Path(resolve_source(dataset))
    layout = None if field_map else detect(path)
    if layout is not None:
        return LoadedData(_module(layout).read(path), path, layout, detected=True)
    return LoadedData(load_instances(path, field_map), path)
