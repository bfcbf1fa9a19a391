"""Live progress of a run: done/total, rate, ETA, tokens and dollars spent, on standard error."""

from __future__ import annotations

import time
from collections import deque
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
)

from judgeaudit.schema import Judgment

REFRESH_S = 0.1
"""The bar is redrawn at most this often: an answer costs a few additions, not a redraw."""
RATE_WINDOW_S = 30.0
"""The rate (and the ETA) is measured over the last this many seconds."""


class AuditProgress:
    """A rich progress bar fed by the engine's per-answer callback.

    Counts answers, failures, cache hits, and the tokens and dollars of calls made by this invocation
    (answers from the cache or the journal cost nothing now).
    """

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
            TextColumn("{task.fields[status]}"),
            console=console,
            disable=not console.is_terminal,
            auto_refresh=console.is_terminal,
        )
        self._console = self._progress.console
        self._task: TaskID | None = None
        self._log_every = 0
        self._reset(0)

    def _reset(self, total: int) -> None:
        self._total = total
        self._done = self._failed = self._cached = self._tokens = 0
        self._dollars = 0.0
        self._shown_at = 0.0
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])

    def __enter__(self) -> AuditProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._show()
        self._progress.stop()

    def start(self, description: str, total: int) -> None:
        """A new bar (a run may have two stages: rewriting responses, then judging)."""
        if self._note:
            self._console.print(self._note, highlight=False)
            self._note = None
        self._show()
        self._reset(total)
        self._task = self._progress.add_task(description, total=total, rate="", status="")
        if not self._console.is_terminal:
            # No live bar in logs: print a line every 10% instead.
            self._log_every = max(1, total // 10)
            self._console.print(description)

    def set_total(self, total: int) -> None:
        """The number of requests, once known (a run planned while it asks starts with 0)."""
        self._total = total
        if self._task is not None:
            self._progress.update(self._task, total=total)
        if not self._console.is_terminal:
            self._log_every = max(1, total // 10)

    def advance(self, judgment: Judgment) -> None:
        """Count one answer; redraw when the last redraw is older than ``REFRESH_S``."""
        self._done += 1
        self._failed += judgment.verdict == "error"
        if judgment.cached:
            self._cached += 1
        else:
            self._tokens += judgment.prompt_tokens + judgment.completion_tokens
            self._dollars += judgment.cost_usd
        now = time.monotonic()
        if now - self._shown_at >= REFRESH_S or self._done == self._total:
            self._show(now)
        if self._log_every and (self._done % self._log_every == 0 or self._done == self._total):
            self._console.print(f"{self._done}/{self._total} · {self._rate_text(now)} · {self._status()}")

    def _status(self) -> str:
        return f"cached {self._cached} · failed {self._failed} · {self._tokens:,} tokens · ${self._dollars:,.4f}"

    def _rate(self, now: float) -> float:
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        since, done_then = self._samples[0]
        return (self._done - done_then) / (now - since) if now > since else 0.0

    def _rate_text(self, now: float) -> str:
        rate = self._rate(now)
        if not rate:
            return ""
        return f"{rate:.1f} req/s · ETA {max(0.0, (self._total - self._done) / rate):.0f}s"

    def _show(self, now: float | None = None) -> None:
        if self._task is None:
            return
        now = time.monotonic() if now is None else now
        self._samples.append((now, self._done))
        self._shown_at = now
        self._progress.update(self._task, completed=self._done, rate=self._rate_text(now), status=self._status())
