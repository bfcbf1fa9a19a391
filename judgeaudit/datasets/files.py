"""Rows of a data file, each with the line it starts on: JSON lines, a JSON document (a list of
records), or CSV. Every error names the file and the line."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError, located

Rows = Iterator[tuple[int, Any]]


def read_rows(path: Path, what: str = "dataset") -> Rows:
    """(line number, row) of a ``.jsonl``/``.ndjson`` file, a ``.json`` file (JSON lines, or one JSON
    list of records) or a ``.csv`` file, checked as read."""
    if not path.exists():
        raise JudgeAuditError(f"{path}: {what} file not found")
    if not path.is_file():
        raise JudgeAuditError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".json" and _starts_with(path, "["):
        return _json_document_rows(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    raise JudgeAuditError(f"{path}: unsupported {what} format {suffix!r}; use .jsonl, .json or .csv")


def _starts_with(path: Path, character: str) -> bool:
    """Whether the file's first non-blank character is ``character``."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        while chunk := handle.read(4096):
            stripped = chunk.lstrip()
            if stripped:
                return stripped[0] == character
    return False


def _jsonl_rows(path: Path) -> Rows:
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                raise located(path, line_no, f"malformed JSON ({exc.msg} at column {exc.colno})") from None


def _json_document_rows(path: Path) -> Rows:
    """The records of a JSON list, each with the line it starts on."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    while True:
        position = _skip_blanks(text, position)
        if position >= len(text):
            raise located(path, text.count("\n", 0, position) + 1, "malformed JSON (the list is not closed)")
        if text[position] == "]":
            break
        line_no = text.count("\n", 0, position) + 1
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise located(path, exc.lineno, f"malformed JSON ({exc.msg} at column {exc.colno})") from None
        yield line_no, record
        position = _skip_blanks(text, position)
        if position < len(text) and text[position] == ",":
            position += 1
        elif position >= len(text) or text[position] != "]":
            raise located(path, text.count("\n", 0, position) + 1, "malformed JSON (expected ',' or ']' between records)")
    if _skip_blanks(text, position + 1) < len(text):
        raise located(path, text.count("\n", 0, position) + 1, "malformed JSON (text after the closing ']')")


def _skip_blanks(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _csv_rows(path: Path) -> Rows:
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
