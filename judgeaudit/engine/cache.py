"""SQLite response cache keyed by the request hash (everything that changes the answer)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from judgeaudit.schema import Judgment

BUSY_TIMEOUT_S = 60.0
"""How long a write waits for another process's write to the same cache (SQLite's busy timeout)."""
WRITE_EVERY = 64
"""Answers are written in transactions of this many (and on ``flush``/``close``): one commit each
would cost more than the rest of a call's bookkeeping. The journal, not the cache, is what resume reads."""
_LOOKUP_CHUNK = 500


class ResponseCache:
    """Judgments by request key. Only successful, complete answers are stored.

    Safe to share between processes: SQLite in WAL mode lets readers go on while one writes, and a
    writer waits up to ``BUSY_TIMEOUT_S`` for another's transaction instead of failing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        self._pending: list[tuple[str, str, str, str, float]] = []
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, backend TEXT, model TEXT, judgment TEXT NOT NULL, created REAL NOT NULL)"
        )

    def get(self, key: str) -> Judgment | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str]) -> dict[str, Judgment]:
        """The stored judgments of ``keys`` (those it has), marked ``cached``."""
        self.flush()
        found: dict[str, Judgment] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, record in self._db.execute(f"SELECT key, judgment FROM responses WHERE key IN ({marks})", chunk):
                found[key] = Judgment.from_dict(json.loads(record) | {"cached": True})
        return found

    def put(self, key: str, backend: str, model: str, judgment: Judgment) -> bool:
        """Store ``judgment``; errors and truncated answers are refused (returns False)."""
        if not judgment.cacheable:
            return False
        record = judgment.to_dict() | {"cached": False}
        self._pending.append((key, backend, model, json.dumps(record), time.time()))
        if len(self._pending) >= WRITE_EVERY:
            self.flush()
        return True

    def flush(self) -> None:
        """Write the answers put since the last flush, in one transaction."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        with self._db:  # BEGIN ... COMMIT
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO responses (key, backend, model, judgment, created) VALUES (?, ?, ?, ?, ?)", rows
            )

    def stats(self) -> dict[str, object]:
        """Entries, bytes on disk, the oldest and newest entry, and entries per (backend, model)."""
        self.flush()
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
        self.flush()
        deleted = self._db.execute("DELETE FROM responses WHERE created < ?", (time.time() - older_than_s,)).rowcount
        self._db.execute("VACUUM")
        return int(deleted)

    def clear(self) -> int:
        """Delete every entry; how many there were."""
        self._pending.clear()
        deleted = self._db.execute("DELETE FROM responses").rowcount
        self._db.execute("VACUUM")
        return int(deleted)

    def __len__(self) -> int:
        self.flush()
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self.flush()
        self._db.close()
