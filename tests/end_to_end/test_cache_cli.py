"""``judgeaudit cache stats|clear|prune``."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

from judgeaudit.engine import ResponseCache
from judgeaudit.schema import Judgment
from tests.cli import finish, judgeaudit


def _filled(path: Path) -> None:
    cache = ResponseCache(path)
    for n in range(6):
        cache.put(f"key-{n}", "openai", "gpt-x" if n < 4 else "gpt-y", Judgment(verdict="A", raw="[[A]]"))
    cache.put("refused", "openai", "gpt-x", Judgment(verdict="error", error="timeout"))  # never cached
    cache.close()
    with sqlite3.connect(path) as db:  # two answers stored 40 days ago
        db.execute("UPDATE responses SET created = ? WHERE key IN ('key-0', 'key-5')", (time.time() - 40 * 86400,))


def test_stats_prune_and_clear(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    _filled(path)
    code, out, err = finish(judgeaudit("cache", "stats", "--cache", str(path)))
    assert code == 0, err
    assert "6 entries" in out and "4  openai:gpt-x" in out and "2  openai:gpt-y" in out
    code, out, _ = finish(judgeaudit("cache", "prune", "--older-than", "30d", "--cache", str(path)))
    assert code == 0 and "deleted 2 cached answers older than 30d" in out
    assert len(ResponseCache(path)) == 4 and ResponseCache(path).get("key-1") is not None and ResponseCache(path).get("key-0") is None
    code, _, err = finish(judgeaudit("cache", "prune", "--older-than", "soon", "--cache", str(path)))
    assert code == 2 and "--older-than must be a number" in err
    code, out, _ = finish(judgeaudit("cache", "clear", "--cache", str(path), stdin=subprocess.DEVNULL))
    assert code == 1 and len(ResponseCache(path)) == 4  # no confirmation: nothing deleted
    code, out, _ = finish(judgeaudit("cache", "clear", "--yes", "--cache", str(path)))
    assert code == 0 and "deleted 4 cached answers" in out and len(ResponseCache(path)) == 0
