"""EvalBiasBench (the OffsetBias paper's bias benchmark, NCSOFT, BSD-3-Clause: ``biasbench.json``) in its
own layout.

The published file is one JSON object: bias type -> list of records with ``bias`` (the type again),
``instruction``, ``response1``, ``response2`` and ``label`` (1 or 2: which response is better; the
published file only has 1). A JSON list or JSON lines of the same records is read too (each record names
its bias type), and that form is also recognised from its first record; the object form is read by name
(``evalbiasbench:PATH``). The better response becomes ``chosen``; the bias type is the category, the
subset and the section. Records carry no id: an instance's id is its bias type and place in that list
(``length-bias-3``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.loader import InstanceDraft
from judgeaudit.datasets.presets import _fields
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import Instance

WHAT = "EvalBiasBench"
LABELS: dict[Any, str] = {1: "chosen", 2: "rejected", "1": "chosen", "2": "rejected"}


def _slug(name: str) -> str:
    return "-".join(name.replace("_", " ").split())


def _blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _document_rows(path: Path) -> Iterator[tuple[int, str | None, Any]]:
    """(line, bias type, record) of the object form, each record with the line it starts on."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()

    def line(position: int) -> int:
        return text.count("\n", 0, position) + 1

    def expect(position: int, character: str) -> int:
        position = _blank(text, position)
        if position >= len(text) or text[position] != character:
            raise located(path, line(position), f"malformed JSON (expected {character!r})")
        return position + 1

    def decode(position: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise located(path, exc.lineno, f"malformed JSON ({exc.msg} at column {exc.colno})") from None

    def separator(position: int, closing: str) -> int:
        """Past the ',' after an entry; at the closing bracket where there is none."""
        position = _blank(text, position)
        if position < len(text) and text[position] == ",":
            return position + 1
        if position < len(text) and text[position] == closing:
            return position
        raise located(path, line(position), f"malformed JSON (expected ',' or {closing!r})")

    position = expect(0, "{")
    while (position := _blank(text, position)) < len(text) and text[position] != "}":
        key, position = decode(position)
        if not isinstance(key, str):
            raise located(path, line(position), "malformed JSON (expected a bias type as key)")
        position = expect(position, ":")
        position = _blank(text, position)
        if position >= len(text) or text[position] != "[":
            raise located(path, line(position), f"bias type {key!r}: expected a list of records")
        position += 1
        while (position := _blank(text, position)) < len(text) and text[position] != "]":
            start = position
            row, position = decode(position)
            yield line(start), key, row
            position = separator(position, "]")
        position = separator(expect(position, "]"), "}")
    position = expect(position, "}")
    if _blank(text, position) < len(text):
        raise located(path, line(position), "malformed JSON (text after the closing '}')")


def _rows(path: Path) -> Iterator[tuple[int, str | None, Any]]:
    """(line, bias type from the document's key or None, record) of either form."""
    if path.suffix.lower() == ".json" and path.is_file():
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096).lstrip()
        if head.startswith("{"):
            yield from _document_rows(path)
            return
    for line_no, row in read_rows(path):
        yield line_no, None, row


def read(path: Path) -> list[Instance]:
    """The instances of an EvalBiasBench file."""
    drafts: list[InstanceDraft] = []
    places: dict[str, int] = {}
    try:
        for line_no, key, row in _rows(path):
            record = _fields.record(path, line_no, row, WHAT)
            texts = _fields.pair(path, line_no, record, ("instruction", "response1", "response2"), WHAT)
            bias = key if key is not None else _fields.text(path, line_no, record, "bias", WHAT)
            label = _fields.label(path, line_no, _fields.value(path, line_no, record, "label", WHAT), LABELS)
            places[bias] = places.get(bias, 0) + 1
            metadata = {"benchmark": "evalbiasbench", "subset": bias, "section": bias}
            drafts.append(InstanceDraft(line_no, f"{_slug(bias)}-{places[bias]}", texts, bias, None, metadata, label))
    except UnicodeDecodeError as exc:
        raise JudgeAuditError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return _fields.finished(path, drafts)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout."""
    return {"bias", "instruction", "response1", "response2", "label"} <= set(record)
