"""Reading a summary.json back into the records of ``stats.records``: one generic reconstruction from
the type annotations (no per-record code, no dependency: dacite or pydantic would do it too, but neither
fills the fields an older schema lacks, and both are strict about a JSON int where a float is declared).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import types
import typing
from typing import Any, Literal, TypeVar, Union

from judgeaudit.stats.records import Summary

_T = TypeVar("_T")

_LATER_RECORDS = {
    (Summary, "position"): "judgeaudit.stats.position:PositionMetrics",
    (Summary, "length"): "judgeaudit.stats.length:LengthView",
    (Summary, "edits"): "judgeaudit.stats.edits:EditFindings",
}
"""Summary fields typed ``Any`` (their records live in modules that import ``stats.records``), by the record
they hold: imported when a summary is read."""


@functools.cache
def _field_types(kind: type) -> dict[str, Any]:
    hints = typing.get_type_hints(kind)
    for (owner, name), where in _LATER_RECORDS.items():
        if owner is kind:
            module, _, record = where.partition(":")
            hints[name] = getattr(importlib.import_module(module), record) | None
    return hints


def build(kind: type[_T], data: Any) -> _T:
    """A record of dataclass ``kind`` from its ``asdict`` form (JSON-decoded: tuples as lists)."""
    return _value(kind, data, kind.__name__)


def _missing(f: dataclasses.Field, hint: Any, where: str) -> Any:
    """The value of a field absent from the data (a schema older than the field)."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    origin = typing.get_origin(hint)
    if origin in (dict, list, tuple):
        return origin()
    if hint is Any or type(None) in typing.get_args(hint):
        return None
    raise ValueError(f"{where}.{f.name} is missing")


def _record(kind: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
    hints = _field_types(kind)
    values = {}
    for f in dataclasses.fields(kind):
        hint = hints[f.name]
        values[f.name] = _value(hint, data[f.name], f"{where}.{f.name}") if f.name in data else _missing(f, hint, where)
    return kind(**values)


def _union(hint: Any, data: Any, where: str) -> Any:
    options = [option for option in typing.get_args(hint) if option is not type(None)]
    if data is None:
        return None
    if len(options) == 1:
        return _value(options[0], data, where)
    # Interval: a pair of numbers or of Nones; the first option whose shape fits
    for option in options:
        try:
            return _value(option, data, where)
        except (ValueError, TypeError):
            continue
    raise ValueError(f"{where}: {data!r} fits none of {hint}")


def _value(hint: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any or origin is Literal:
        return data
    if origin is Union or origin is types.UnionType:
        return _union(hint, data, where)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _record(hint, data, where)
    args = typing.get_args(hint)
    if origin is dict:
        return {key: _value(args[1], item, f"{where}[{key!r}]") for key, item in data.items()} if args else dict(data)
    if origin is list:
        return [_value(args[0], item, f"{where}[{i}]") for i, item in enumerate(data)] if args else list(data)
    if origin is tuple:
        if not args or args[-1] is Ellipsis:
            return tuple(_value(args[0], item, f"{where}[{i}]") if args else item for i, item in enumerate(data))
        if len(args) != len(data):
            raise ValueError(f"{where}: expected {len(args)} items, got {len(data)}")
        return tuple(_value(arg, item, f"{where}[{i}]") for i, (arg, item) in enumerate(zip(args, data, strict=True)))
    if hint is float:  # JSON may write a whole float as an int; None here lets an Interval's union try (None, None)
        if data is None or isinstance(data, (bool, str)):
            raise ValueError(f"{where}: expected a number, got {data!r}")
        return float(data)
    return data  # str, int, bool, None and untyped values as JSON gave them
