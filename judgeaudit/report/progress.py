"""Live progress of a run: done/total, rate and ETA, on standard error."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from judgeaudit.schema import Judgment


class AuditProgress:
    """A rich progress bar fed by the engine's per-answer callback."""

    def __init__(self, console: Console | None = None, note: str | None = None) -> None:
        """``note`` is printed once, when the first stage starts (after the run was planned)."""
        console = console or Console(stderr=True)
        self._note = note
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[cyan]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            disable=not console.is_terminal,
        )
        self._console = self._progress.console
        self._task: TaskID | None = None
        self._log_every = 0
        self._failed = 0
        self._cached = 0

    def __enter__(self) -> AuditProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def start(self, description: str, total: int) -> None:
        """A new bar (a run may have two stages: rewriting responses, then judging)."""
        if self._note:
            self._console.print(self._note, highlight=False)
            self._note = None
        self._failed = self._cached = 0
        self._task = self._progress.add_task(description, total=total, rate="", status="")
        if not self._console.is_terminal:
            # No live bar in logs: print a line every 10% instead.
            self._log_every = max(1, total // 10)
            self._console.print(description)

    def advance(self, judgment: Judgment) -> None:
        if self._task is None:
            return
        self._failed += judgment.verdict == "error"
        self._cached += judgment.cached
        task = self._progress.tasks[self._task]
        speed = task.speed
        self._progress.update(
            self._task,
            advance=1,
            rate=f"{speed:.1f} req/s" if speed else "",
            status=f"cached {self._cached} · failed {self._failed}",
        )
        if self._log_every and (task.completed % self._log_every == 0 or task.finished):
            eta = task.time_remaining
            self._console.print(
                f"{task.completed:.0f}/{task.total:.0f} · {speed or 0:.1f} req/s · "
                f"ETA {eta or 0:.0f}s · cached {self._cached} · failed {self._failed}"
            )
