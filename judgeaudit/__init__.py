"""judgeaudit: audit LLM-as-judge systems for bias before they are trusted.

The Python API (``judgeaudit.api``) is imported on first use, so ``import judgeaudit`` stays cheap:
``judgeaudit.audit(**options)``, ``judgeaudit.audit_async(**options)``, ``judgeaudit.load_run(path)``,
``judgeaudit.certify(run, policy=None)``, and the ``Run`` and ``AuditResult`` records.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = ("audit", "audit_async", "load_run", "certify", "Run", "UnknownOptionError")
_ELSEWHERE = {"AuditResult": "judgeaudit.auditing"}
__all__ = ["__version__", *_API, *_ELSEWHERE]


def __getattr__(name: str) -> object:
    if name in _API:
        return getattr(importlib.import_module(f"{__name__}.api"), name)
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
