"""judgments.jsonl: one line per probe, each distinct long text written once, streamed both ways.

The first line says what the file is (``format``, ``version``). Every other line is a judgment (the
probe's fields, the keys of its requests, the judgment's fields) or the definition of a text, ``{"text":
ID, "value": TEXT}``, which comes before the first judgment that uses it. In a judgment, a text field
(``TEXT_FIELDS``) longer than ``INLINE_UP_TO`` characters holds ``{"text": ID}`` instead of the text: a
prompt, a response or a judge's answer shared by many probes is stored once. ``jq 'select(.instance_id)'``
lists the judgments. Files of the first format (no header, every text on every line) are read too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import LEGACY_CONDITIONS, Judgment, Probe

FORMAT = "judgeaudit.judgments"
VERSION = 2
"""1: no header, every text on every line; 2: a header, long texts written once and referred to by id."""
TEXT_FIELDS = ("prompt", "response_a", "response_b", "reference", "prompt_note", "attribution_a", "attribution_b", "raw", "error")
INLINE_UP_TO = 32
"""A text of at most this many characters stays in its line (an id would not be shorter)."""
ID_LENGTH = 16
"""Hex digits of SHA-256 that name a text (64 bits: a collision is unlikely below billions of texts)."""

_PROBE_FIELDS = tuple(Probe.__dataclass_fields__)
_SHARED_FIELDS = (*TEXT_FIELDS, "instance_id", "bias", "condition", "variant", "order", "category", "verdict", "resolved_model")
"""The string fields a reader keeps one object of per distinct value: texts, and short ones that repeat."""
HEADER = {
    "format": FORMAT,
    "version": VERSION,
    "text_fields": list(TEXT_FIELDS),
    "inline_up_to": INLINE_UP_TO,
    "layout": "one line per probe (its fields, request_keys, the judgment's fields); a text field longer than "
    'inline_up_to characters holds {"text": ID}, defined once by an earlier line {"text": ID, "value": TEXT}',
}


def _text_id(text: str) -> str:
    """The id of a text: the first ID_LENGTH hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def write_judgments(path: Path, rows: Iterable[tuple[Probe, Judgment]], keys: Iterable[tuple[str, ...]]) -> None:
    """Write the rows, and the request keys of each, as they come (``rows`` may be a generator): what is
    held is the ids of the texts already written. Atomic: a kill never leaves a half-written file."""
    tmp = path.with_suffix(".jsonl.tmp")
    written: set[str] = set()
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(_line(HEADER))
        for (probe, judgment), probe_keys in zip(rows, keys, strict=True):
            record = {name: getattr(probe, name) for name in _PROBE_FIELDS} | {"request_keys": list(probe_keys)}
            record |= judgment.to_dict()
            for name in TEXT_FIELDS:
                text = record[name]
                if isinstance(text, str) and len(text) > INLINE_UP_TO:
                    ref = _text_id(text)
                    if ref not in written:
                        written.add(ref)
                        handle.write(_line({"text": ref, "value": text}))
                    record[name] = {"text": ref}
            handle.write(_line(record))
    os.replace(tmp, path)


def read_judgments(path: Path) -> tuple[list[tuple[Probe, Judgment]], list[tuple[str, ...]]]:
    """The (probe, judgment) rows of a run and the request keys of each, from either format.

    Every distinct string is one object in memory, however many rows show it.
    """
    if not path.exists():
        raise JudgeAuditError(f"{path}: not found; the run has not finished (rerun it to resume)")
    rows, keys = [], []
    texts: dict[str, str] = {}
    shared: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
                if line_no == 1 and "format" in record:
                    _check_header(path, record)
                elif "value" in record:
                    texts[record["text"]] = shared.setdefault(record["value"], record["value"])
                else:
                    rows.append(_row(record, texts, shared))
                    keys.append(tuple(record["request_keys"]))
            except KeyError as exc:
                raise JudgeAuditError(f"{path}:{line_no}: malformed judgment record (no {exc})") from None
            except (ValueError, TypeError, AttributeError) as exc:  # JSONDecodeError is a ValueError
                raise JudgeAuditError(f"{path}:{line_no}: malformed judgment record ({exc})") from None
    return rows, keys


def _check_header(path: Path, header: dict[str, Any]) -> None:
    if header["format"] != FORMAT:
        raise JudgeAuditError(f"{path}:1: not a judgeaudit judgments file (format {header['format']!r})")
    if header["version"] > VERSION:
        raise JudgeAuditError(f"{path}:1: judgments format {header['version']} is newer than this judgeaudit reads ({VERSION}); upgrade it")


def _row(record: dict[str, Any], texts: dict[str, str], shared: dict[str, str]) -> tuple[Probe, Judgment]:
    """A judgment line as (probe, judgment): text ids resolved, strings shared."""
    for name in _SHARED_FIELDS:
        value = record.get(name)
        if type(value) is str:
            record[name] = shared.setdefault(value, value)
        elif type(value) is dict and name in TEXT_FIELDS:
            if value["text"] not in texts:
                raise ValueError(f"{name} refers to text {value['text']}, which no earlier line defines")
            record[name] = texts[value["text"]]
    record["condition"] = LEGACY_CONDITIONS.get(record["condition"], record["condition"])
    probe = Probe(**{name: record[name] for name in _PROBE_FIELDS if name in record})
    return probe, Judgment.from_dict(record)
