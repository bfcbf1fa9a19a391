"""Rows of a dataset, each with the place it starts at: JSON lines, a JSON document (a list of records),
CSV, Parquet, a Hugging Face ``datasets`` folder written by ``save_to_disk``, or ``hf:OWNER/NAME`` on the
Hugging Face hub. Every error names the file and the line (the record, where a format has no lines)."""

from __future__ import annotations

import csv
import datetime
import decimal
import hashlib
import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError, located

Rows = Iterator[tuple[int, Any]]

HUB_PREFIX = "hf:"
"""A dataset on the Hugging Face hub: ``hf:OWNER/NAME`` or ``hf:OWNER/NAME#SPLIT``."""
HUB_EXTRA = "pip install 'judgeaudit[hub]'"
_SPLIT_ORDER = ("test", "train")
"""The split read from a dataset with several where none is named."""


class RecordNumber(int):
    """The place of a row in a format without lines (Parquet, a ``datasets`` dataset): its 1-based
    record number, shown as ``record N`` wherever a line number would be."""

    def __str__(self) -> str:
        return f"record {int(self)}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def read_rows(path: Path | str, what: str = "dataset") -> Rows:
    """(line number, row) of a ``.jsonl``/``.ndjson`` file, a ``.json`` file (JSON lines, or one JSON
    list of records) or a ``.csv`` file, checked as read; (record number, row) of a ``.parquet`` file, a
    ``save_to_disk`` folder (``FOLDER#SPLIT`` names a split of a DatasetDict folder) or ``hf:OWNER/NAME[#SPLIT]``."""
    path = Path(path)
    if str(path).startswith(HUB_PREFIX) and not path.exists():
        return _hub_rows(str(path))
    folder, split = _split_of(path)
    if folder is not None:
        return _folder_rows(folder, split)
    if not path.exists():
        raise JudgeAuditError(f"{path}: {what} file not found")
    if path.is_dir():
        return _folder_rows(path, None)
    if not path.is_file():
        raise JudgeAuditError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".json" and _starts_with(path, "["):
        return _json_document_rows(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix == ".parquet":
        return _parquet_rows(path)
    raise JudgeAuditError(
        f"{path}: unsupported {what} format {suffix!r}; use .jsonl, .json, .csv, .parquet, a Hugging Face dataset folder or hf:OWNER/NAME"
    )


def resolve_source(dataset: str) -> str:
    """``dataset`` with the split that will be read named (``PATH#SPLIT``, ``hf:OWNER/NAME#SPLIT``) where it
    is a dataset of several splits and none is named; else ``dataset`` as given."""
    path = Path(dataset)
    if dataset.startswith(HUB_PREFIX) and not path.exists():
        name, _, split = dataset[len(HUB_PREFIX):].partition("#")
        return dataset if split else f"{dataset}#{_hub_split(name)[0]}"
    if path.is_dir() and (path / "dataset_dict.json").is_file():
        return f"{dataset}#{_pick_split(str(path), _folder_splits(path), None)}"
    return dataset


def source_sha256(path: Path | str) -> str:
    """SHA-256 of a dataset: of a file's bytes, or of the canonical JSON of its rows where it is a
    folder or on the hub."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    for _, row in read_rows(path):
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8") + b"\n")
    return digest.hexdigest()


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


def _plain(value: Any) -> Any:
    """A value of a columnar format as JSON has it: dates, times and decimals as text, bytes as hex."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _parquet_rows(path: Path) -> Rows:
    """The records of a Parquet file, read a batch at a time, each with its record number."""
    import pyarrow
    import pyarrow.parquet as parquet

    try:
        table = parquet.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as exc:
        raise JudgeAuditError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
    number = 0
    try:
        for batch in table.iter_batches(batch_size=1024):
            for record in batch.to_pylist():
                number += 1
                yield RecordNumber(number), _plain(record)
    except (pyarrow.ArrowException, OSError) as exc:
        raise located(path, RecordNumber(number + 1), f"unreadable Parquet data ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _datasets(where: str) -> Any:
    """The ``datasets`` package, or one line saying how to install it."""
    try:
        import datasets
    except ImportError:
        raise JudgeAuditError(f"{where}: reading a Hugging Face dataset needs the datasets package: {HUB_EXTRA}") from None
    return datasets


def _split_of(path: Path) -> tuple[Path | None, str | None]:
    """(folder, split) of ``FOLDER#SPLIT`` where no file has that name and the folder exists; else (None, None)."""
    if path.exists() or "#" not in path.name:
        return None, None
    folder, _, split = str(path).rpartition("#")
    return (Path(folder), split) if Path(folder).is_dir() and split else (None, None)


def _folder_splits(folder: Path) -> list[str]:
    try:
        splits = json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JudgeAuditError(f"{folder}: unreadable dataset_dict.json ({_first_line(exc)})") from None
    return [str(split) for split in splits]


def _pick_split(where: str, splits: list[str], named: str | None) -> str:
    """The named split, else the only one, else test, else train."""
    if named is not None:
        if named not in splits:
            raise JudgeAuditError(f"{where}: no split {named!r}; its splits: {', '.join(splits)}")
        return named
    if len(splits) == 1:
        return splits[0]
    chosen = next((split for split in _SPLIT_ORDER if split in splits), None)
    if chosen is None:
        raise JudgeAuditError(f"{where}: several splits ({', '.join(splits)}) and none is test or train; name one as {where}#SPLIT")
    return chosen


def _folder_rows(folder: Path, split: str | None) -> Rows:
    """The records of a folder written by ``Dataset.save_to_disk`` or ``DatasetDict.save_to_disk``."""
    is_dict = (folder / "dataset_dict.json").is_file()
    if not is_dict and not ((folder / "dataset_info.json").is_file() and (folder / "state.json").is_file()):
        raise JudgeAuditError(
            f"{folder}: a folder, but not a Hugging Face dataset saved with save_to_disk (no dataset_dict.json, "
            "or dataset_info.json and state.json)"
        )
    if split is not None and not is_dict:
        raise JudgeAuditError(f"{folder}#{split}: {folder} holds one dataset, not splits; pass the folder without #{split}")
    where = str(folder)
    if is_dict:
        split = _pick_split(where, _folder_splits(folder), split)
        where = f"{folder}#{split}"
    datasets = _datasets(where)
    try:
        loaded = datasets.load_from_disk(str(folder if split is None else folder / split))
    except Exception as exc:  # whatever datasets raises for a damaged folder is one line
        raise JudgeAuditError(f"{where}: not a readable Hugging Face dataset folder ({_first_line(exc)})") from None
    return _dataset_rows(loaded)


def _dataset_rows(dataset: Any) -> Rows:
    for number, record in enumerate(dataset, start=1):
        yield RecordNumber(number), _plain(record)


@lru_cache(maxsize=4)
def _hub_dataset(name: str) -> Any:
    """``datasets.load_dataset(name)`` (every split), loaded once per process; one line where it fails."""
    where = f"{HUB_PREFIX}{name}"
    datasets = _datasets(where)
    try:
        return datasets.load_dataset(name)
    except (ConnectionError, TimeoutError) as exc:
        raise JudgeAuditError(
            f"{where}: the Hugging Face hub is not reachable ({_first_line(exc)}); download it where it is and pass the folder or file"
        ) from None
    except Exception as exc:  # not found, gated, a broken dataset: one line each
        message = _first_line(exc)
        if "offline" in message.lower() or "connect" in message.lower():
            raise JudgeAuditError(
                f"{where}: the Hugging Face hub is not reachable ({message}); download it where it is and pass the folder or file"
            ) from None
        raise JudgeAuditError(f"{where}: could not be loaded from the Hugging Face hub ({message})") from None


def _hub_split(name: str, named: str | None = None) -> tuple[str, Any]:
    """(split, dataset) of a hub dataset: the named split, else the only one, else test, else train."""
    if not name or name.count("/") > 1:
        raise JudgeAuditError(f"{HUB_PREFIX}{name}: expected hf:OWNER/NAME or hf:OWNER/NAME#SPLIT")
    loaded = _hub_dataset(name)
    splits = list(loaded.keys()) if hasattr(loaded, "keys") else []
    if not splits:
        return named or "", loaded
    split = _pick_split(f"{HUB_PREFIX}{name}", splits, named)
    return split, loaded[split]


def _hub_rows(source: str) -> Rows:
    name, _, split = source[len(HUB_PREFIX):].partition("#")
    return _dataset_rows(_hub_split(name, split or None)[1])
