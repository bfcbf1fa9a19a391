"""Reading the fields of a benchmark's record, for the layouts of this package: every error names the file
and the line the record starts on (or its place in the document)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.loader import InstanceDraft, finish_draft
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import Instance


def record(path: Path, line_no: int, row: Any, what: str) -> dict[str, Any]:
    """The row as a record (a JSON object)."""
    if not isinstance(row, dict):
        raise located(path, line_no, f"expected a {what} record (a JSON object), got {type(row).__name__}")
    return row


def value(path: Path, line_no: int, row: dict[str, Any], name: str, what: str) -> Any:
    """A field that must be present (and not null)."""
    if row.get(name) is None:
        raise located(path, line_no, f"not a {what} record: missing field {name!r}; present fields: {', '.join(sorted(row))}")
    return row[name]


def text(path: Path, line_no: int, row: dict[str, Any], name: str, what: str) -> str:
    """A field that must be non-empty text."""
    raw = value(path, line_no, row, name, what)
    if not isinstance(raw, str):
        raise located(path, line_no, f"field {name!r} must be text, got {type(raw).__name__}")
    if not raw.strip():
        raise located(path, line_no, f"field {name!r} is empty")
    return raw


def identifier(path: Path, line_no: int, row: dict[str, Any], name: str, what: str) -> str:
    """A field that must be non-empty text or a whole number (an id, a prompt, a subset), as text."""
    raw = row.get(name)
    if not isinstance(raw, (str, int)) or isinstance(raw, bool) or not str(raw).strip():
        raise located(path, line_no, f"not {what} record: field {name!r} missing or not text; present fields: {', '.join(sorted(row))}")
    return str(raw)


def responses(path: Path, line_no: int, row: dict[str, Any], name: str, styles: tuple[str, ...] = ()) -> list[str]:
    """A field that must list non-empty responses: any number, or exactly one per style in ``styles``."""
    raw = row.get(name)
    wanted = f"{len(styles)} responses ({', '.join(styles)})" if styles else "responses"
    if not isinstance(raw, list) or not raw or (styles and len(raw) != len(styles)):
        got = f"a list of {len(raw)}" if isinstance(raw, list) else "nothing" if raw is None else type(raw).__name__
        raise located(path, line_no, f"field {name!r} must list {wanted}, got {got}")
    for index, text in enumerate(raw):
        if not isinstance(text, str) or not text.strip():
            which = f"the {styles[index]} response" if styles else f"response {index}"
            raise located(path, line_no, f"field {name!r}: {which} is {'empty' if isinstance(text, str) else type(text).__name__}")
    return raw


def grouped(path: Path, expand: Callable[[Path, int, Any], list[InstanceDraft]]) -> list[Instance]:
    """The instances of a layout whose records each give several (one prompt against several responses):
    ``expand`` turns a record into its drafts, which share its ``group``; a group id appears once per file."""
    drafts: list[InstanceDraft] = []
    seen: dict[str, int] = {}
    for line_no, row in read_rows(path):
        expanded = expand(path, line_no, row)
        unique(path, line_no, seen, expanded[0].metadata["group"])
        drafts += expanded
    return finished(path, drafts)


def pair(path: Path, line_no: int, row: dict[str, Any], names: tuple[str, str, str], what: str) -> dict[str, str]:
    """The prompt and the two responses (first-listed as ``chosen``, second as ``rejected``, before the
    gold label orients them) of a record that names them ``names``."""
    prompt, first, second = (text(path, line_no, row, name, what) for name in names)
    if first.strip() == second.strip():
        raise located(path, line_no, f"fields {names[1]!r} and {names[2]!r} are identical")
    return {"prompt": prompt, "chosen": first, "rejected": second}


def label(path: Path, line_no: int, raw: Any, vocabulary: dict[Any, str], name: str = "label") -> str:
    """The data-frame label (chosen: the first-listed response is better; rejected: the second) a
    benchmark's own label value states; anything outside its vocabulary is an error."""
    key = raw.strip() if isinstance(raw, str) else raw
    if isinstance(key, bool) or not isinstance(key, (str, int, float)) or key not in vocabulary:
        allowed = " or ".join(repr(v) for v in vocabulary)
        raise located(path, line_no, f"{name} {raw!r} is not one of {allowed}")
    return vocabulary[key]


def unique(path: Path, line_no: int, seen: dict[str, int], instance_id: str) -> str:
    """The id, once per file."""
    if instance_id in seen:
        first = seen[instance_id]
        raise located(path, line_no, f"duplicate id {instance_id!r} (first on {f'line {first}' if type(first) is int else first})")
    seen[instance_id] = line_no
    return instance_id


def finished(path: Path, drafts: list[InstanceDraft]) -> list[Instance]:
    """The instances of the drafts (gold from the label, the better response as ``chosen``)."""
    if not drafts:
        raise JudgeAuditError(f"{path}: no instances found")
    return [finish_draft(path, draft) for draft in drafts]
