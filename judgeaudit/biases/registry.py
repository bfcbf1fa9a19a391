"""Discover bias definitions: the built-in ``bias_templates/`` plus any user folders."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Iterable

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


def select_biases(registry: dict[str, BiasSpec], names: Iterable[str] | None) -> list[BiasSpec]:
    """The requested biases in the order given (all of them when ``names`` is empty)."""
    wanted = [n.strip() for n in names or () if n.strip()]
    if not wanted:
        return list(registry.values())
    unknown = [n for n in wanted if n not in registry]
    if unknown:
        raise JudgeAuditError(
            f"unknown bias {', '.join(map(repr, unknown))}; valid choices: {', '.join(sorted(registry))}"
        )
    return [registry[n] for n in dict.fromkeys(wanted)]
