"""The cores the other processes on this machine leave free, measured while a local model runs.

ggml's OpenMP threads spin at every barrier: with as many threads as cores, one busy process elsewhere
deschedules one of them and the others spin waiting for it (the embedded judge fell from 4.2 to 1.2
requests/s and kept falling). Running with the cores that are actually free avoids it, and answers do not
depend on the thread count (checked bit for bit).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

PROC_STAT = Path("/proc/stat")
WINDOW_S = 0.5
"""The shortest time over which the others' use is measured before the thread count may change."""


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _busy_seconds() -> float | None:
    """CPU seconds every process on the machine has run since boot (None where /proc/stat is not there)."""
    try:
        fields = PROC_STAT.read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in (fields + ["0"] * 8)[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds this process (all its threads) has run."""
    times = os.times()
    return times.user + times.system


class FreeCores:
    """The thread count to run with now: the cores the other processes left free over the last window
    (rounded, at least 1, at most ``cores``); ``cores`` wherever the machine's use cannot be read."""

    def __init__(
        self,
        cores: int,
        busy: Callable[[], float | None] = _busy_seconds,
        own: Callable[[], float] = _own_seconds,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cores, self._busy, self._own, self._clock = cores, busy, own, clock
        self.threads = cores
        self.others = 0.0
        """Cores the other processes used over the last window."""
        self._mark = (clock(), busy(), own())

    def update(self) -> int:
        """Re-measure once a window has passed (the machine is read no more often); the thread count to use."""
        now = self._clock()
        started, busy_then, own_then = self._mark
        if now - started < WINDOW_S:
            return self.threads
        busy = self._busy()
        if busy is None or busy_then is None:
            return self.threads
        own = self._own()
        self.others = max(0.0, (busy - busy_then - (own - own_then)) / (now - started))
        self.threads = max(1, min(self.cores, round(self.cores - self.others)))
        self._mark = (now, busy, own)
        return self.threads
