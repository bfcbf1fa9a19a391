"""Append-only journal of a run's answers: what lets an interrupted run resume without repeating calls."""

from __future__ import annotations

import json
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

        A last line cut short by a kill is ignored.
        """
        done: dict[str, Judgment] = {}
        if not self.path.exists():
            return done
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                judgment = Judgment.from_dict(entry["judgment"])
                if judgment.ok:
                    done[entry["key"]] = judgment
        return done

    def append(self, key: str, judgment: Judgment) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps({"key": key, "judgment": judgment.to_dict()}) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
