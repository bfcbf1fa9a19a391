"""One process per run folder: a lock held while a run writes it, with a clear message for a second one."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from judgeaudit.errors import JudgeAuditError

LOCK_NAME = ".lock"
OWNER_NAME = ".lock.owner"


@contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; JudgeAuditError at once when another process holds it.

    The lock is the operating system's (it is released when its process dies, even by ``kill -9``);
    the owner file only says who holds it, for the message.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(run_dir / LOCK_NAME)
    owner = run_dir / OWNER_NAME
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = owner.read_text(encoding="utf-8").strip() if owner.exists() else "another process"
        raise JudgeAuditError(
            f"{run_dir} is in use by {holder}: two processes must not write one run folder. "
            "Wait for it to finish (or stop it), then rerun to resume"
        ) from None
    try:
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        owner.write_text(f"judgeaudit pid {os.getpid()} on {socket.gethostname()} since {started}\n", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()
