"""FreeCores: the embedded judge's thread count follows the cores the other processes leave free."""

from __future__ import annotations

import os
import time

import pytest

from judgeaudit.judges.cpu_share import WINDOW_S, FreeCores, _busy_seconds, _own_seconds, usable_cores


class Machine:
    """A 2-core machine on a fake clock: CPU seconds of every process, and of the judge's own."""

    def __init__(self) -> None:
        self.now = self.busy = self.own = 0.0

    def run(self, seconds: float, own_cores: float, other_cores: float) -> None:
        self.now += seconds
        self.own += own_cores * seconds
        self.busy += (own_cores + other_cores) * seconds

    def watch(self, cores: int = 2) -> FreeCores:
        return FreeCores(cores, busy=lambda: self.busy, own=lambda: self.own, clock=lambda: self.now)


def test_a_quiet_machine_keeps_every_core() -> None:
    machine = Machine()
    watch = machine.watch()
    for _ in range(10):
        machine.run(0.3, own_cores=2.0, other_cores=0.02)
        assert watch.update() == 2


def test_a_busy_process_elsewhere_takes_one_thread_and_gives_it_back_when_it_stops() -> None:
    machine = Machine()
    watch = machine.watch()
    machine.run(0.6, own_cores=1.4, other_cores=0.6)  # spinning threads and a busy process share 2 cores
    assert watch.update() == 1 and 0.55 < watch.others < 0.65
    machine.run(0.6, own_cores=1.0, other_cores=1.0)
    assert watch.update() == 1
    machine.run(0.6, own_cores=1.0, other_cores=0.0)  # it stopped
    assert watch.update() == 2


def test_never_fewer_than_one_thread_and_no_change_within_a_window() -> None:
    machine = Machine()
    watch = machine.watch()
    machine.run(WINDOW_S / 2, own_cores=0.1, other_cores=2.0)
    assert watch.update() == 2  # too short to tell
    machine.run(WINDOW_S, own_cores=0.1, other_cores=2.0)
    assert watch.update() == 1


def test_where_the_machine_cannot_be_read_it_keeps_its_cores() -> None:
    watch = FreeCores(4, busy=lambda: None, own=lambda: 0.0, clock=iter(range(100)).__next__)
    assert [watch.update() for _ in range(3)] == [4, 4, 4]


def test_this_machine_is_read() -> None:
    """On Linux the machine's CPU time and the process's own grow while this process computes."""
    if _busy_seconds() is None:
        pytest.skip("no /proc/stat here")
    busy, own = _busy_seconds(), _own_seconds()
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        sum(range(10_000))
    assert _busy_seconds() > busy and _own_seconds() > own + 0.1
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def test_the_machine_is_read_once_a_window_has_passed() -> None:
    reads = []
    watch = FreeCores(2, busy=lambda: reads.append(1) or 0.0, own=lambda: 0.0, clock=iter([0.0, 0.1, 0.2, 0.6]).__next__)
    assert [watch.update() for _ in range(3)] == [2, 2, 2] and len(reads) == 2  # at construction, and after 0.6 s
