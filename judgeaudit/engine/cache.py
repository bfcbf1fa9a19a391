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

    def stats(self) -> dict[str, object]:
        """Entries, bytes on disk, the oldest and newest entry, and entries per (backend, model)."""
        count, oldest, newest = self._db.execute("SELECT COUNT(*), MIN(created), MAX(created) FROM responses").fetchone()
        models = self._db.execute(
            "SELECT backend, model, COUNT(*) FROM responses GROUP BY backend, model ORDER BY COUNT(*) DESC"
        ).fetchall()
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        return {
            "path": str(self.path),
            "entries": int(count),
            "bytes": sum(f.stat().st_size for f in files if f.exists()),
            "oldest": oldest,
            "newest": newest,
            "by_model": [{"backend": b, "model": m, "entries": n} for b, m, n in models],
        }

    def prune(self, older_than_s: float) -> int:
        """Delete the entries stored more than ``older_than_s`` seconds ago; how many were deleted."""
        deleted = self._db.execute("DELETE FROM responses WHERE created < ?", (time.time() - older_than_s,)).rowcount
        self._db.execute("VACUUM")
        return int(deleted)

    def clear(self) -> int:
        """Delete every entry; how many there were."""
        deleted = self._db.execute("DELETE FROM responses").rowcount
        self._db.execute("VACUUM")
        return int(deleted)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self._db.close()
