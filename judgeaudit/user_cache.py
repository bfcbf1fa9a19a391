"""Where judgeaudit keeps files per user: the response cache, and converted model files beside it."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_path() -> Path:
    """``$JUDGEAUDIT_CACHE`` or ``~/.cache/judgeaudit/responses.sqlite``."""
    configured = os.environ.get("JUDGEAUDIT_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "judgeaudit" / "responses.sqlite"
