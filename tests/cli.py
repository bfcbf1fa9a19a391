"""The ``judgeaudit`` command in a subprocess, as a user runs it, and what it leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The engine and run-folder tests audit these five biases (counts are worked out for them);
# tests/biases/test_taxonomy_end_to_end.py runs the whole taxonomy.
FIVE_BIASES = ("--bias", "position,verbosity,authority,markdown,bandwagon")


def judgeaudit(*args: str, env_extra: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """``judgeaudit ARGS``; a ``run`` that selects no bias audits FIVE_BIASES."""
    env = os.environ | {"OPENAI_API_KEY": "sk-test-secret-123", "COLUMNS": "160"} | (env_extra or {})
    if args[0] == "run" and not {"--bias", "--dimension"} & set(args):
        args = (*args, *FIVE_BIASES)
    return subprocess.Popen(
        [sys.executable, "-m", "judgeaudit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def error_lines(stderr: str) -> list[str]:
    """The error lines of stderr (progress lines go there too when it is not a terminal)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def only_run_dir(out_dir: Path) -> Path:
    (run_dir,) = [p for p in out_dir.iterdir() if p.is_dir()]
    return run_dir


def run_python_judges(out: Path, judges: tuple[str, ...], *args: str) -> dict[str, Path]:
    """Audit each ``tests.python_judges`` function with ``args``, uncached, each in its own folder under ``out``."""
    runs = {}
    for judge in judges:
        code, _, err = finish(judgeaudit("run", "--judge", f"python:tests.python_judges:{judge}", *args, "--out", str(out / judge), "--no-cache"))
        assert code == 0, err
        runs[judge] = only_run_dir(out / judge)
    return runs
