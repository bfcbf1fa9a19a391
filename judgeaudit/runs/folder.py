"""The run folder contract: manifest.json, judgments.jsonl, summary.json (read and written here;
judgments.jsonl's format is ``runs.judgments``)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError

MANIFEST = "manifest.json"
JUDGMENTS = "judgments.jsonl"
SUMMARY = "summary.json"


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


def spec_record(spec: BiasSpec) -> dict[str, Any]:
    """A bias as the manifest stores it, so reports can be rebuilt without the templates."""
    return asdict(spec) | {"references": list(spec.references), "vocabulary": list(spec.vocabulary)}


def spec_from_record(record: dict[str, Any]) -> BiasSpec:
    known = {key: value for key, value in record.items() if key in BiasSpec.__dataclass_fields__}
    return BiasSpec(**known | {key: tuple(record.get(key, ())) for key in ("references", "vocabulary")})
