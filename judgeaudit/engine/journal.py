"""Append-only journal of a run's answers: what lets an interrupted run resume without repeating calls."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from judgeaudit.schema import Judgment

JOURNAL_NAME = "journal.jsonl"


class Journal:
    """One JSON line per answered request, flushed as each answer arrives."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._handle: IO[str] | None = None

    def load(self) -> dict[str, Judgment]:
        """Successful answers already recorded (failed calls are asked again on resume).

        A last line cut short by a kill, and any line that is not a journal entry, are ignored.
        """
        done: dict[str, Judgment] = {}
        if not self.path.exists():
            return done
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                entry = _parse(line)
                if entry is not None and entry[1].ok:
                    done[entry[0]] = entry[1]
        return done

    def append(self, key: str, judgment: Judgment) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                _cut_torn_tail(self.path)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps({"key": key, "judgment": judgment.to_dict()}) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _parse(line: str) -> tuple[str, Judgment] | None:
    """The key and judgment on one journal line; None for a torn line or one that is no entry."""
    try:
        entry = json.loads(line)
        return str(entry["key"]), Judgment.from_dict(entry["judgment"])
    except (ValueError, KeyError, TypeError):
        return None


def _cut_torn_tail(path: Path, chunk: int = 1 << 16) -> None:
    """Truncate to just after the last newline, dropping a line a kill left unfinished.

    Without this the next entry would be glued onto the torn line and both would be lost on load.
    """
    with path.open("r+b") as handle:
        end = handle.seek(0, os.SEEK_END)
        if end == 0:
            return
        handle.seek(end - 1)
        if handle.read(1) == b"\n":
            return
        keep, stop = 0, end
        while stop > 0:
            start = max(0, stop - chunk)
            handle.seek(start)
            found = handle.read(stop - start).rfind(b"\n")
            if found >= 0:
                keep = start + found + 1
                break
            stop = start
        handle.truncate(keep)
