"""Two processes on one run folder, and concurrent runs sharing one response cache."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from judgeaudit.engine import ResponseCache
from judgeaudit.errors import JudgeAuditError
from judgeaudit.runs.lock import run_folder_lock
from judgeaudit.schema import Judgment
from tests.cli import error_lines, finish, judgeaudit, only_run_dir

HOLD = """
import sys, time
from pathlib import Path
from judgeaudit.runs.lock import run_folder_lock
with run_folder_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def _hold(run_dir: Path) -> subprocess.Popen:
    """Another process holding ``run_dir``'s lock (it says so once it does)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_process_on_a_run_folder_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    holder = _hold(tmp_path / "run")
    try:
        with pytest.raises(JudgeAuditError, match=rf"in use by judgeaudit pid {holder.pid} .*rerun to resume"):
            with run_folder_lock(tmp_path / "run"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_folder_lock(tmp_path / "run"):  # a killed holder (kill -9) leaves no stale lock behind
        assert (tmp_path / "run" / ".lock.owner").exists()
    assert not (tmp_path / "run" / ".lock.owner").exists()


def test_judgeaudit_run_on_a_folder_in_use_fails_in_one_line_and_leaves_it_intact(tmp_path: Path) -> None:
    args = ("run", "--judge", "python:tests.python_judges:fair_verdict", "--limit", "3", "--bias", "verbosity",
            "--out", str(tmp_path / "runs"), "--no-cache")
    code, _, err = finish(judgeaudit(*args))
    assert code == 0, err
    run_dir = only_run_dir(tmp_path / "runs")
    summary = (run_dir / "summary.json").read_text()
    holder = _hold(run_dir)
    try:
        code, _, err = finish(judgeaudit(*args))
        report = finish(judgeaudit("report", str(run_dir)))
    finally:
        holder.kill()
        holder.wait()
    assert code == 2 and report[0] == 2
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith(f"error: {run_dir} is in use by judgeaudit pid {holder.pid} ")
    assert "two processes must not write one run folder" in lines[0]
    assert (run_dir / "summary.json").read_text() == summary
    code, _, err = finish(judgeaudit(*args))  # once the holder is gone the same command resumes
    assert code == 0, err
    assert json.loads((run_dir / "summary.json").read_text())["this_invocation"]["judge_calls"] == 0


def _fill(path: str, writer: int, count: int) -> None:
    cache = ResponseCache(Path(path))
    for index in range(count):
        cache.put(f"{writer}-{index}", "python", "m", Judgment(verdict="A", raw=f"answer {writer} {index}"))
        if index % 50 == 0:
            cache.get(f"{1 - writer}-{index}")  # reads interleave with the other process's writes
    cache.close()


def test_two_processes_writing_one_cache_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.sqlite")
    ResponseCache(Path(path)).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_fill, args=(path, writer, 3000)) for writer in (0, 1)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    cache = ResponseCache(Path(path))
    assert len(cache) == 6000
    assert cache.get("1-2999").raw == "answer 1 2999" and cache.get("0-0").cached
    cache.close()


def test_answers_put_are_read_back_before_they_are_flushed(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    cache.put("k", "python", "m", Judgment(verdict="B"))
    assert cache.get("k").verdict == "B" and len(cache) == 1
    other = ResponseCache(tmp_path / "cache.sqlite")
    assert other.get("k") is not None  # get flushed the pending write: another reader sees it
    other.close()
    cache.close()
