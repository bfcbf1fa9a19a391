"""How every command ends on bad input: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer

from judgeaudit.errors import JudgeAuditError

_P = ParamSpec("_P")
_R = TypeVar("_R")


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with ``error: message`` and ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def one_line_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """The command, its bad input or unusable judge (a JudgeAuditError) ending it with one line and exit 2."""

    @functools.wraps(command)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except JudgeAuditError as exc:
            fail(str(exc))

    return checked
