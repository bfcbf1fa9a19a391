"""While a run is asked, summarized or rebuilt, Python's cyclic garbage collector leaves its oldest
generation alone.

A full collection walks every object alive, and a run holds every probe, request key and answer it
has so far: in a run of 4,000 requests at 50 ms latency, four full collections took 0.34 s of 7.3 s,
and rebuilding 100k judgments spent 0.29 s of 4.1 s in them. Young objects, and young cyclic garbage,
are still collected as usual. When the last such block in the process ends, the thresholds are put
back, and the oldest generation is collected from then on as before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NEVER = 1 << 30
"""A threshold for the oldest generation that no run reaches."""


class _OldestGenerationPause:
    """Counts the blocks in progress; the first sets the threshold, the last puts it back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.saved: tuple[int, int, int] | None = None

    def enter(self) -> None:
        with self.lock:
            if self.running == 0:
                self.saved = gc.get_threshold()
                gc.set_threshold(self.saved[0], self.saved[1], NEVER)
            self.running += 1

    def exit(self) -> None:
        with self.lock:
            self.running -= 1
            if self.running == 0 and self.saved is not None:
                gc.set_threshold(*self.saved)
                self.saved = None


_PAUSE = _OldestGenerationPause()


@contextmanager
def young_collections_only() -> Iterator[None]:
    """No full garbage collection inside the block (nested and concurrent blocks are counted)."""
    _PAUSE.enter()
    try:
        yield
    finally:
        _PAUSE.exit()
