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

    def __init__(self, console: Console | None = None) -> None:
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
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task: TaskID | None = None
        self._failed = 0
        self._cached = 0

    def __enter__(self) -> "AuditProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def start(self, plan: Any, total: int) -> None:
        description = f"{plan.config.judge} · {len(plan.instances)} instances · {len(plan.specs)} biases"
        self._task = self._progress.add_task(description, total=total, rate="", status="")

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
