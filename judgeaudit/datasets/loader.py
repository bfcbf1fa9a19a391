"""Load pairwise instances from JSONL or CSV files, with an optional field mapping."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import Instance, stable_hash

REQUIRED_FIELDS = ("prompt", "chosen", "rejected")
OPTIONAL_FIELDS = ("id", "category", "reference")
CANONICAL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS


def parse_field_map(pairs: list[str]) -> dict[str, str]:
    """Parse ``canonical=source`` pairs (e.g. ``prompt=instruction``) into a mapping."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        canonical, source = canonical.strip(), source.strip()
        if not sep or not canonical or not source:
            raise JudgeAuditError(f"--field {pair!r}: expected CANONICAL=SOURCE, e.g. prompt=instruction")
        if canonical not in CANONICAL_FIELDS:
            raise JudgeAuditError(
                f"--field {pair!r}: unknown field {canonical!r}; valid fields: {', '.join(CANONICAL_FIELDS)}"
            )
        mapping[canonical] = source
    return mapping


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                raise located(path, line_no, f"malformed JSON ({exc.msg} at column {exc.colno})") from None


def _csv_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            for row in reader:
                # The header is line 1; a row's own line is where the reader stands once it is read.
                _check_row_width(path, reader.line_num, reader.fieldnames or [], row)
                yield reader.line_num, row
        except csv.Error as exc:
            raise located(path, reader.line_num, f"malformed CSV ({exc})") from None


def _check_row_width(path: Path, line_no: int, header: Sequence[str], row: dict[Any, Any]) -> None:
    """Refuse a row with more fields than the header (DictReader files the extras under None) or fewer
    (it fills the absent ones with None)."""
    extra = row.get(None) or []
    missing = [name for name, value in row.items() if name is not None and value is None]
    if extra or missing:
        fields = len(header) + len(extra) - len(missing)
        detail = f" (missing: {', '.join(missing)})" if missing else ""
        raise located(path, line_no, f"row has {fields} fields but the header has {len(header)}{detail}")


def _to_instance(path: Path, line_no: int, row: Any, field_map: Mapping[str, str]) -> Instance:
    if not isinstance(row, dict):
        raise located(path, line_no, f"expected a JSON object, got {type(row).__name__}")

    def value(name: str) -> Any:
        return row.get(field_map.get(name, name))

    texts: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        source = field_map.get(name, name)
        raw = value(name)
        if raw is None:
            hint = f" (mapped from {source!r})" if source != name else ""
            raise located(path, line_no, f"missing field {name!r}{hint}; present fields: {', '.join(sorted(row))}")
        if not isinstance(raw, str):
            raise located(path, line_no, f"field {source!r} must be text, got {type(raw).__name__}")
        if not raw.strip():
            raise located(path, line_no, f"field {source!r} is empty")
        texts[name] = raw
    if texts["chosen"].strip() == texts["rejected"].strip():
        raise located(path, line_no, "chosen and rejected responses are identical")

    category = value("category")
    reference = value("reference")
    instance_id = value("id")
    if instance_id is None or str(instance_id).strip() == "":
        instance_id = stable_hash([texts["prompt"], texts["chosen"], texts["rejected"]], length=12)
    used = {field_map.get(name, name) for name in CANONICAL_FIELDS}
    return Instance(
        id=str(instance_id),
        prompt=texts["prompt"],
        chosen=texts["chosen"],
        rejected=texts["rejected"],
        category=str(category) if category not in (None, "") else "uncategorized",
        reference=str(reference) if reference not in (None, "") else None,
        metadata={k: v for k, v in row.items() if k not in used},
    )


def read_rows(path: Path, what: str = "dataset") -> Iterator[tuple[int, Any]]:
    """(line number, row) of a ``.jsonl``/``.json`` lines file or a ``.csv`` file, checked as read."""
    if not path.exists():
        raise JudgeAuditError(f"{path}: {what} file not found")
    if not path.is_file():
        raise JudgeAuditError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    raise JudgeAuditError(f"{path}: unsupported {what} format {suffix!r}; use .jsonl or .csv")


def load_instances(path: str | Path, field_map: Mapping[str, str] | None = None) -> list[Instance]:
    """Read instances from a ``.jsonl``/``.json`` lines file or a ``.csv`` file.

    Raises JudgeAuditError naming the file and line for any malformed row.
    """
    path = Path(path)
    field_map = dict(field_map or {})
    rows = read_rows(path)
    instances: list[Instance] = []
    seen: dict[str, int] = {}
    try:
        for line_no, row in rows:
            instance = _to_instance(path, line_no, row, field_map)
            if instance.id in seen:
                raise located(path, line_no, f"duplicate id {instance.id!r} (first on line {seen[instance.id]})")
            seen[instance.id] = line_no
            instances.append(instance)
    except UnicodeDecodeError as exc:
        raise JudgeAuditError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not instances:
        raise JudgeAuditError(f"{path}: no instances found")
    return instances
