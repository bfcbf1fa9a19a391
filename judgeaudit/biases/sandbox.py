"""Limits for user-written bias templates: text sizes, arithmetic, loops and render time.

A bias file is user input, and Jinja's sandbox keeps its templates away from Python internals but not
from costs: ``'a' * 10**7``, ``2 ** 10**8`` or nested loops over the response all render. Here no text,
list or number a template builds may outgrow the output cap, builtin methods that could are refused
or checked first, and a render stops at its time limit. Every breach is one JudgeAuditError line that
names the bias file and the limit.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache, wraps
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.sandbox import ImmutableSandboxedEnvironment

from judgeaudit.biases.sentences import split_sentences
from judgeaudit.errors import JudgeAuditError

DEFAULT_MAX_CHARS = 20_000
"""The default cap on a template's output and on every text or list it builds, in characters."""
MAX_PAD_RATIO = 10.0
"""The largest ``pad_to`` ratio a template may ask for."""
MAX_RANGE = 10_000
"""The most items ``range()`` yields in a template."""
MAX_INT_BITS = 10_000
"""The largest integer a template may compute by ``*`` or ``**``, in bits (about 3,000 digits)."""

# Filters that turn a small argument into a huge text (a format width, wordwrap's wrap string, urlize's
# target, tojson's indent) and that bias templates have no use for.
REMOVED_FILTERS = ("format", "tojson", "urlize", "wordwrap")
# Methods a template may call on builtin values; the rest (str.format, str.expandtabs, str.translate,
# int.to_bytes, list.extend, ...) can build huge values in one step or mutate them.
_SAFE_METHODS = frozenset(
    """capitalize casefold center count endswith find index isalnum isalpha isascii isdecimal isdigit
    isidentifier islower isnumeric isprintable isspace istitle isupper join ljust lower lstrip partition
    removeprefix removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines
    startswith strip striptags swapcase title unescape upper zfill get items keys values""".split()
)
_BUILTIN_TYPES = (str, bytes, int, float, list, tuple, dict, set, frozenset, range)
_SEQUENCES = (str, bytes, list, tuple)


class _Breach(Exception):
    """A template went past a limit; render_limited names the bias file."""


@dataclass(frozen=True)
class _Limits:
    """The limits of the render in progress (in this thread or task)."""

    max_chars: int = DEFAULT_MAX_CHARS
    time_limit_s: float = math.inf
    deadline: float = math.inf

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Breach(f"template rendering exceeds the time limit of {self.time_limit_s:g} s")

    def check_chars(self, chars: int, what: str) -> None:
        if chars > self.max_chars:
            raise _Breach(f"{what} exceeds {self.max_chars} characters")

    def check_size(self, value: Any, what: str) -> None:
        self.check_chars(_size(value, self.max_chars), what)


_LIMITS: ContextVar[_Limits] = ContextVar("judgeaudit_template_limits", default=_Limits())  # noqa: B039 - frozen


def _size(value: Any, cap: int) -> int:
    """About how many characters ``value`` takes as text, counted only until the count passes ``cap``."""
    total, pending = 0, [value]
    while pending and total <= cap:
        item = pending.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            total += len(item)
            if total <= cap:
                pending.extend(item.items() if isinstance(item, dict) else item)
        else:
            total += 1
    return total


def _replaced_size(text: str, old: str, new: str, count: int | None = None) -> int:
    hits = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _joined_size(parts: Iterable[Any], separator: str) -> int:
    parts = list(parts)
    cap = _LIMITS.get().max_chars
    return sum(_size(p, cap) for p in parts) + len(separator) * max(len(parts) - 1, 0)


# The size a call would build, estimated before it runs; same arguments as the filter or str method.
_FILTER_ESTIMATES: dict[str, Callable[..., int]] = {
    "replace": lambda _ctx, s, old, new, count=None: _replaced_size(str(s), str(old), str(new), count),
    "join": lambda _ctx, value, d="", attribute=None: _joined_size(value, str(d)),
    "center": lambda value, width=80: max(len(str(value)), int(width)),
    "indent": lambda s, width=4, first=False, blank=False: len(str(s))
    + (str(s).count("\n") + 1) * (len(width) if isinstance(width, str) else int(width)),
    "batch": lambda value, linecount, fill_with=None: int(linecount),
    "slice": lambda value, slices, fill_with=None: int(slices),
}
_STR_ESTIMATES: dict[str, Callable[..., int]] = {
    "replace": lambda s, old, new, count=-1: _replaced_size(s, old, new, count),
    "join": lambda s, parts: _joined_size(parts, s),
    "center": lambda s, width, fillchar=" ": max(len(s), width),
    "ljust": lambda s, width, fillchar=" ": max(len(s), width),
    "rjust": lambda s, width, fillchar=" ": max(len(s), width),
    "zfill": lambda s, width: max(len(s), width),
}


def _materialized(value: Any) -> Any:
    """An iterator as a list, so that it can be measured and still be used."""
    return list(value) if isinstance(value, Iterator) else value


def _guarded(name: str, func: Callable[..., Any], estimate: Callable[..., int] | None = None) -> Callable[..., Any]:
    """``func`` (a filter or test) with the time, input size, estimated size and result size checked."""

    @wraps(func)  # keeps Jinja's pass_context / pass_eval_context marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits = _LIMITS.get()
        limits.check_time()
        args = tuple(_materialized(a) for a in args)
        for value in (*args, *kwargs.values()):
            limits.check_size(value, f"the input of {name!r}")
        if estimate is not None:
            limits.check_chars(estimate(*args, **kwargs), f"the result of {name!r}")
        result = func(*args, **kwargs)
        limits.check_size(result, f"the result of {name!r}")
        return result

    return guarded


def _bounded_range(*args: int) -> range:
    items = range(*args)
    if len(items[: MAX_RANGE + 1]) > MAX_RANGE:
        raise _Breach(f"range() exceeds {MAX_RANGE} items")
    return items


def _check_output(value: Any) -> Any:
    _LIMITS.get().check_size(value, "template output")
    return value


class _CodeGenerator(CodeGenerator):
    """Compiles ``~`` through a size check and every ``for`` loop through a time check."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        # As Jinja's own, with the parts measured before they are joined.
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"{join}(environment.checked_parts((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        check = nodes.EnvironmentAttribute("checked_iter", lineno=node.lineno)
        node.iter = nodes.Call(check, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with limits on size, arithmetic and time (see render_limited).

    ``filters`` are added to Jinja's (all of which are checked; REMOVED_FILTERS are gone).
    """

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, filters: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, finalize=_check_output)
        for name in REMOVED_FILTERS:
            del self.filters[name]
        self.filters.update(filters or {})
        self.filters = {n: _guarded(n, f, _FILTER_ESTIMATES.get(n)) for n, f in self.filters.items()}
        self.tests = {n: _guarded(n, f) for n, f in self.tests.items()}  # type: ignore[arg-type]  # jinja types its tests as "function"
        self.globals["range"] = _bounded_range
        del self.globals["lipsum"]

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Join the output of a macro, a block ``set`` or a filter block (Jinja calls this)."""
        parts = list(parts)
        _LIMITS.get().check_chars(sum(map(len, parts)), "a block of template output")
        return "".join(parts)

    @staticmethod
    def checked_parts(parts: tuple[Any, ...]) -> tuple[Any, ...]:
        limits = _LIMITS.get()
        limits.check_chars(sum(_size(p, limits.max_chars) for p in parts), "the result of '~'")
        return parts

    @staticmethod
    def checked_iter(iterable: Iterable[Any]) -> Iterator[Any]:
        limits = _LIMITS.get()
        for item in iterable:
            limits.check_time()
            yield item

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _BUILTIN_TYPES) and callable(value) and attr not in _SAFE_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        """``str.format`` is refused (is_safe_attribute): a width in a format spec can be any size."""
        return None

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits = _LIMITS.get()
        limits.check_time()
        numbers = isinstance(left, (int, float)) and isinstance(right, (int, float))
        if operator == "%" and isinstance(left, str):
            raise _Breach("string formatting with '%' is not allowed in bias templates (use '~')")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right * math.log2(abs(left)) > MAX_INT_BITS:
                raise _Breach(f"the result of '**' exceeds {MAX_INT_BITS} bits")
        elif operator == "*" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise _Breach(f"the result of '*' exceeds {MAX_INT_BITS} bits")
        elif operator == "*" and isinstance(left, _SEQUENCES + (int,)) and isinstance(right, _SEQUENCES + (int,)):
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            count = times if isinstance(times, int) else 1  # two sequences: Python refuses it anyway
            limits.check_chars(_size(sequence, limits.max_chars) * max(count, 0), "the result of '*'")
        elif operator == "+" and not numbers:
            limits.check_chars(_size(left, limits.max_chars) + _size(right, limits.max_chars), "the result of '+'")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        limits = _LIMITS.get()
        limits.check_time()
        owner = getattr(__obj, "__self__", None)
        estimate = _STR_ESTIMATES.get(getattr(__obj, "__name__", "")) if isinstance(owner, str) else None
        if estimate is not None:
            args = tuple(_materialized(a) for a in args)
            limits.check_chars(estimate(owner, *args), f"the result of str.{__obj.__name__}()")
        result = super().call(__context, __obj, *args, **kwargs)
        limits.check_size(result, "a value the template built")
        return result


@cache
def _environment() -> LimitedEnvironment:
    return LimitedEnvironment(filters={"sentences": split_sentences})


@lru_cache(maxsize=512)
def _compiled(template_source: str) -> Template:
    return _environment().from_string(template_source)


class _Alarm:
    """SIGALRM after ``seconds`` when in the main thread; puts the previous handler and timer back.

    The handler restores them itself before it raises, so an alarm that lands during the exit leaves
    nothing behind.
    """

    def __init__(self, seconds: float, message: str) -> None:
        self.seconds, self.message = seconds, message
        self.previous: Any = None

    def __enter__(self) -> _Alarm:
        usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        if usable and signal.getsignal(signal.SIGALRM) is not None:  # None: set outside Python, unrestorable
            self.started = time.monotonic()
            self.previous = signal.signal(signal.SIGALRM, self._fire)
            self.previous_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def _restore(self) -> None:
        if self.previous is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        self.previous = None
        delay, interval = self.previous_timer
        if delay:
            signal.setitimer(signal.ITIMER_REAL, max(delay - (time.monotonic() - self.started), 1e-6), interval)

    def _fire(self, signum: int, frame: Any) -> None:
        self._restore()
        raise _Breach(self.message)

    def __exit__(self, *exc: object) -> None:
        self._restore()


def render_limited(
    template_source: str,
    context: dict[str, Any],
    source: str,
    max_chars: int = DEFAULT_MAX_CHARS,
    time_limit_s: float = 2.0,
) -> str:
    """Render a bias template in the limited sandbox; ``source`` (the bias file) names it in errors.

    No text, list or output a template builds may exceed ``max_chars`` characters, and the render
    stops after ``time_limit_s``: by SIGALRM in the main thread, and in any thread by deadline checks
    at every loop step, call, filter and output chunk. Every breach, and every template error, raises
    a one-line JudgeAuditError naming ``source``.
    """
    limits = _Limits(max_chars, time_limit_s, time.monotonic() + time_limit_s)
    token = _LIMITS.set(limits)
    try:
        with _Alarm(time_limit_s, f"template rendering exceeds the time limit of {time_limit_s:g} s"):
            template = _compiled(template_source)
            parts: list[str] = []
            length = 0
            for chunk in template.generate(context):  # streamed: stop as soon as the output is too long
                length += len(chunk)
                limits.check_chars(length, "template output")
                limits.check_time()
                parts.append(chunk)
            return "".join(parts)
    except _Breach as exc:
        raise JudgeAuditError(f"{source}: {exc}") from None
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        message = " ".join(str(exc).split())
        raise JudgeAuditError(f"{source}: template error: {message}") from None
    finally:
        _LIMITS.reset(token)
