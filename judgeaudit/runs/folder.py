"""The run folder contract: manifest.json, judgments.jsonl, summary.json (read and written here)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import Judgment, Probe

MANIFEST = "manifest.json"
JUDGMENTS = "judgments.jsonl"
SUMMARY = "summary.json"

_PROBE_FIELDS = tuple(Probe.__dataclass_fields__)
_JUDGMENT_FIELDS = tuple(Judgment.__dataclass_fields__)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a kill never leaves a half-written file)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    if not path.exists():
        raise JudgeAuditError(f"{path}: not found (is this a judgeaudit run folder?)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise JudgeAuditError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from None


def write_judgments(path: Path, rows: list[tuple[Probe, Judgment]], keys: list[tuple[str, ...]]) -> None:
    """One line per probe: the probe's fields, the keys of its requests and the judgment's fields."""
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for (probe, judgment), probe_keys in zip(rows, keys, strict=True):
            record = asdict(probe) | {"request_keys": list(probe_keys)} | judgment.to_dict()
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_judgments(path: Path) -> tuple[list[tuple[Probe, Judgment]], list[tuple[str, ...]]]:
    """The (probe, judgment) rows of a run and the request keys of each."""
    if not path.exists():
        raise JudgeAuditError(f"{path}: not found; the run has not finished (rerun it to resume)")
    rows = []
    keys = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
                probe = Probe(**{k: record[k] for k in _PROBE_FIELDS if k in record})
                judgment = Judgment.from_dict({k: record[k] for k in _JUDGMENT_FIELDS if k in record})
                key = tuple(record["request_keys"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise JudgeAuditError(f"{path}:{line_no}: malformed judgment record ({exc})") from None
            rows.append((probe, judgment))
            keys.append(key)
    return rows, keys


def spec_record(spec: BiasSpec) -> dict[str, Any]:
    """A bias as the manifest stores it, so reports can be rebuilt without the templates."""
    return asdict(spec) | {"references": list(spec.references), "vocabulary": list(spec.vocabulary)}


def spec_from_record(record: dict[str, Any]) -> BiasSpec:
    known = {key: value for key, value in record.items() if key in BiasSpec.__dataclass_fields__}
    return BiasSpec(**known | {key: tuple(record.get(key, ())) for key in ("references", "vocabulary")})
