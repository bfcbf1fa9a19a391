"""Bias definitions: one YAML file per bias, validated into a BiasSpec."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import stable_hash

METHODS = ("swap", "template")
APPLY_TO = ("response", "prompt_note")
KNOWN_KEYS = {"name", "dimension", "description", "method", "apply_to", "template", "placebo", "choices", "references"}


@dataclass(frozen=True)
class BiasSpec:
    """A bias to inject, as declared in ``bias_templates/<name>.yaml``.

    ``method`` is how probes are built: ``swap`` compares the two presentation orders of every probe,
    ``template`` renders ``template`` (sandboxed Jinja) onto one response at a time, the worse and,
    mirrored, the better. ``apply_to`` says whether the rendered text replaces that response or is
    added to the judge prompt as a note naming it. ``placebo`` is a template for a content-neutral
    edit of comparable size at the same place (empty: the built-in default for ``apply_to``).
    """

    name: str
    dimension: str
    description: str
    method: Literal["swap", "template"]
    apply_to: Literal["response", "prompt_note"] = "response"
    template: str = ""
    placebo: str = ""
    choices: dict[str, list[str]] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    source: str = ""
    text_hash: str = ""


def _require(data: dict[str, Any], key: str, path: Path) -> Any:
    if key not in data or data[key] in (None, ""):
        raise located(path, None, f"missing required key {key!r}")
    return data[key]


def _one_of(value: Any, valid: tuple[str, ...], key: str, path: Path) -> str:
    if value not in valid:
        raise located(path, None, f"{key} must be one of {', '.join(valid)}; got {value!r}")
    return value


def load_spec(path: Path) -> BiasSpec:
    """Parse and validate one bias file; errors name the file (and line for YAML syntax)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise located(path, line, f"invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise located(path, None, "expected a mapping of keys (name, dimension, method, ...)")

    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        raise located(path, None, f"unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(KNOWN_KEYS))}")
    name = str(_require(data, "name", path))
    dimension = str(_require(data, "dimension", path))
    description = " ".join(str(_require(data, "description", path)).split())
    if not name.replace("_", "").replace("-", "").isalnum():
        raise located(path, None, f"name {name!r} may hold only letters, digits, '-' and '_'")
    method = _one_of(_require(data, "method", path), METHODS, "method", path)
    apply_to = _one_of(data.get("apply_to", "response"), APPLY_TO, "apply_to", path)
    template = str(data.get("template") or "")
    if method == "template" and not template.strip():
        raise located(path, None, "method 'template' needs a non-empty 'template'")

    choices = data.get("choices") or {}
    if not isinstance(choices, dict) or not all(
        isinstance(v, list) and v and all(isinstance(s, str) for s in v) for v in choices.values()
    ):
        raise JudgeAuditError(f"{path}: 'choices' must map names to non-empty lists of strings")
    references = tuple(str(r) for r in data.get("references") or ())
    return BiasSpec(
        name=name,
        dimension=dimension,
        description=description,
        method=method,  # type: ignore[arg-type]
        apply_to=apply_to,  # type: ignore[arg-type]
        template=template,
        placebo=str(data.get("placebo") or ""),
        choices={str(k): list(v) for k, v in choices.items()},
        references=references,
        source=str(path),
        text_hash=stable_hash(text, length=16),
    )
