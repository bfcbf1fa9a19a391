"""The journal: a line torn by a kill never costs a later answer; foreign lines are skipped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from judgeaudit.engine import Journal
from judgeaudit.schema import Judgment

# Appends "k0", "k1", ... forever, as a run does; killed by the test.
WRITER = """
import sys, time
from judgeaudit.engine import Journal
from judgeaudit.schema import Judgment
journal = Journal(sys.argv[1])
i = 0
while True:
    journal.append(f"k{i}", Judgment(verdict="A", raw="[[A]]" * 50))
    i += 1
    time.sleep(0.001)
"""


def answer(verdict: str = "A") -> Judgment:
    return Judgment(verdict=verdict, raw=f"[[{verdict}]]")


def tear_last_line(path: Path) -> None:
    """Cut the file in the middle of its last line: what a kill inside a write leaves."""
    data = path.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(data[: start + (len(data) - start) // 2])


def test_torn_last_line_does_not_swallow_the_next_entry(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    for key in ("k0", "k1", "k2"):
        journal.append(key, answer())
    journal.close()
    tear_last_line(path)
    assert set(Journal(path).load()) == {"k0", "k1"}  # the torn line is ignored

    resumed = Journal(path)
    resumed.append("new", answer("B"))
    resumed.close()
    loaded = Journal(path).load()
    assert set(loaded) == {"k0", "k1", "new"} and loaded["new"].verdict == "B"
    assert path.read_bytes().endswith(b"\n")


def test_lines_that_are_not_entries_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append("k0", answer())
    journal.close()
    with path.open("a", encoding="utf-8") as handle:
        for foreign in ([1, 2], "text", 3, None, {"key": "x"}, {"judgment": {}}, {"key": "y", "judgment": [1]},
                        {"key": "z", "judgment": {"raw": "no verdict"}}):
            handle.write(json.dumps(foreign) + "\n")
        handle.write("not json\n")
    journal = Journal(path)
    journal.append("k1", answer())
    journal.close()
    assert set(Journal(path).load()) == {"k0", "k1"}


def test_killed_writer_loses_only_its_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    try:
        deadline = time.time() + 60
        while (not path.exists() or path.stat().st_size < 20_000) and time.time() < deadline:
            time.sleep(0.01)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    written = path.read_bytes().count(b"\n")
    assert written > 10
    tear_last_line(path)
    complete = path.read_bytes().count(b"\n")
    assert complete >= written - 1  # only the cut line is gone

    journal = Journal(path)
    journal.append("new", answer("B"))
    journal.close()
    loaded = Journal(path).load()
    assert set(loaded) == {f"k{i}" for i in range(complete)} | {"new"}
    assert all(json.loads(line) for line in path.read_text().splitlines())  # no torn bytes left behind
