"""A custom judge written as a Python function: ``--judge python:package.module:function``.

The function is called with the request's ``task`` and its chat ``messages`` (exactly what a chat
judge would be shown; for ``reward`` the user prompt and the response as the assistant's turn) and
returns, for a ``verdict``, "A" / "B" / "tie" or P(A) as a number; for a ``score`` or ``reward``, a
number. It may be ``async``. Exceptions are recorded as failed calls, like a server error.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import time
from collections.abc import Callable
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.prompts.templates import PAIRWISE_VERDICT, PromptTemplate
from judgeaudit.schema import JudgeRequest, Judgment


def load_function(target: str) -> Callable[..., Any]:
    """``package.module:function`` -> the function; one clear error when it cannot be found."""
    module_name, sep, name = target.partition(":")
    if not sep or not module_name or not name:
        raise JudgeAuditError(f"python judge {target!r}: expected python:package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise JudgeAuditError(f"python judge {target!r}: cannot import {module_name!r} ({exc})") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise JudgeAuditError(f"python judge {target!r}: {module_name} has no function {name!r}")
    return function


class PythonCallableJudge(Judge):
    """A judge that is a Python function (see the module docstring)."""

    backend = "python"

    def __init__(self, target: str, template: PromptTemplate = PAIRWISE_VERDICT) -> None:
        self.function = load_function(target)
        self.model = target
        self.template = template
        self.readout = "score"
        self.tasks = frozenset({"verdict", "score", "reward"})
        # The function's code decides every answer: its source text is part of the judge's identity.
        self.params: dict[str, Any] = {"source_sha256": _source_hash(self.function)}

    async def judge(self, request: JudgeRequest) -> Judgment:
        started = time.perf_counter()
        answer = self.function(task=request.task, messages=[dict(m) for m in request.messages])
        if inspect.isawaitable(answer):
            answer = await answer
        return _judgment(request.task, answer, time.perf_counter() - started)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "params": self.params}


def _source_hash(function: Callable[..., Any]) -> str:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = repr(function)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _judgment(task: str, answer: Any, latency_s: float) -> Judgment:
    """The function's answer as a Judgment; an answer of the wrong kind is unparseable, with its text."""
    raw = repr(answer)[:500]
    number = isinstance(answer, (int, float)) and not isinstance(answer, bool)
    if task in ("score", "reward"):
        return Judgment(verdict="score" if number else "unparseable", score=float(answer) if number else None, raw=raw, latency_s=latency_s)
    if number and 0.0 <= float(answer) <= 1.0:
        p_a = float(answer)
        return Judgment(verdict="A" if p_a > 0.5 else "B" if p_a < 0.5 else "tie", p_a=p_a, raw=raw, latency_s=latency_s)
    label = str(answer).strip().upper() if isinstance(answer, str) else ""
    verdict = {"A": "A", "B": "B", "TIE": "tie"}.get(label, "unparseable")
    return Judgment(verdict=verdict, raw=raw, latency_s=latency_s)  # type: ignore[arg-type]


def from_spec(target: str, options: JudgeOptions) -> PythonCallableJudge:
    """``python:<package.module>:<function>``."""
    return PythonCallableJudge(target, template=options.prompt("text"))
