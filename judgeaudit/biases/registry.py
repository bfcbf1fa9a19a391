"""Discover bias definitions: the built-in ``bias_templates/`` plus any user folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from judgeaudit.biases.spec import BiasSpec, load_spec
from judgeaudit.errors import JudgeAuditError


def builtin_templates_dir() -> Path:
    """The shipped ``bias_templates`` folder: inside the installed package, or at the repo root."""
    packaged = Path(__file__).resolve().parent.parent / "bias_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "bias_templates"


def load_registry(extra_dirs: Iterable[Path] = ()) -> dict[str, BiasSpec]:
    """All biases by name. A user folder may add biases or override a built-in one by name."""
    registry: dict[str, BiasSpec] = {}
    for folder in (builtin_templates_dir(), *extra_dirs):
        folder = Path(folder)
        if not folder.is_dir():
            raise JudgeAuditError(f"{folder}: bias template folder not found")
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            spec = load_spec(path)
            registry[spec.name] = spec
    return registry


def select_biases(
    registry: dict[str, BiasSpec],
    names: Iterable[str] | None = None,
    dimensions: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> list[BiasSpec]:
    """The biases named (in the order given) or, when none are, every bias of the given dimensions
    (all dimensions when none are given), less the excluded ones; unknown names are an error."""
    wanted, kinds, dropped = (_names(values) for values in (names, dimensions, exclude))
    known_dimensions = sorted({spec.dimension for spec in registry.values()})
    _check(wanted + dropped, sorted(registry), "bias")
    _check(kinds, known_dimensions, "dimension")
    if wanted:
        chosen = [registry[n] for n in dict.fromkeys(wanted)]
    else:
        chosen = [spec for spec in registry.values() if not kinds or spec.dimension in kinds]
    chosen = [spec for spec in chosen if spec.name not in dropped]
    if not chosen:
        raise JudgeAuditError("no bias left to audit after --bias/--dimension/--exclude")
    return chosen


def _names(values: Iterable[str] | None) -> list[str]:
    """Names from repeated options, each of which may hold a comma-separated list."""
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


def _check(names: list[str], valid: list[str], what: str) -> None:
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise JudgeAuditError(f"unknown {what} {', '.join(map(repr, unknown))}; valid choices: {', '.join(valid)}")
