"""SQLite response cache keyed by the request hash (everything that changes the answer)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from judgeaudit.schema import Judgment


def default_cache_path() -> Path:
    """``$JUDGEAUDIT_CACHE`` or ``~/.cache/judgeaudit/responses.sqlite``."""
    configured = os.environ.get("JUDGEAUDIT_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "judgeaudit" / "responses.sqlite"


class ResponseCache:
    """Judgments by request key. Only successful, complete answers are stored."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, backend TEXT, model TEXT, judgment TEXT NOT NULL, created REAL NOT NULL)"
        )

    def get(self, key: str) -> Judgment | None:
        row = self._db.execute("SELECT judgment FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        judgment = Judgment.from_dict(json.loads(row[0]))
        judgment.cached = True
        return judgment

    def put(self, key: str, backend: str, model: str, judgment: Judgment) -> bool:
        """Store ``judgment``; errors and truncated answers are refused (returns False)."""
        if not judgment.cacheable:
            return False
        record = judgment.to_dict() | {"cached": False}
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, backend, model, judgment, created) VALUES (?, ?, ?, ?, ?)",
            (key, backend, model, json.dumps(record), time.time()),
        )
        return True

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self._db.close()
