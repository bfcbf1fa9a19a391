"""judgeaudit: audit LLM-as-judge systems for bias before they are trusted.

The Python API (``judgeaudit.api``) is imported on first use, so ``import judgeaudit`` stays cheap:
``judgeaudit.audit(**options)``, ``judgeaudit.audit_async(**options)``, ``judgeaudit.load_run(path)``,
``judgeaudit.certify(run, policy=None)``, and the ``Run`` and ``AuditResult`` records.

``audit`` and ``certify`` are also the names of submodules (``judgeaudit/audit.py``,
``judgeaudit/certify/``), which Python binds on this package once they are imported. So that
``judgeaudit.audit(...)`` and ``judgeaudit.certify(...)`` work either way, those two submodules are
made callable: calling one calls the API function of the same name, and everything else about them
(``from judgeaudit.audit import run_audit``, their attributes, patching them) is as before. Type checkers
see modules there: typed code imports the functions from ``judgeaudit.api``.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

_API = ("audit", "audit_async", "load_run", "certify", "Run", "UnknownOptionError")
_ELSEWHERE = {"AuditResult": "judgeaudit.audit"}
__all__ = ["__version__", *_API, *_ELSEWHERE]


class _CallableModule(types.ModuleType):
    """A submodule that, called, calls the API function of its own name."""

    def __call__(self, *args: object, **kwargs: object) -> object:
        from judgeaudit import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(types.ModuleType):
    """This package: a submodule named as an API function becomes callable as it is bound here."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("audit", "certify") and type(value) is types.ModuleType and value.__name__ == f"{__name__}.{name}":
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> object:
    if name in ("audit", "certify"):
        return importlib.import_module(f"{__name__}.{name}")  # bound here, callable, by the import
    if name in _API:
        return getattr(importlib.import_module(f"{__name__}.api"), name)
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
