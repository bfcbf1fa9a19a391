"""Bias definitions: one YAML file per bias, validated into a BiasSpec."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import stable_hash

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (about ten times faster), else the pure-Python one."""

METHODS = ("swap", "template", "self")
APPLY_TO = ("response", "prompt_note", "attribution")
EDITS = ("append", "prepend", "wrap", "insert", "restyle", "reorder")
EXPECTED = ("toward", "away", "either")
DIMENSIONS = ("presentation", "tone", "social", "identity", "integrity")
"""The built-in dimensions, in the order reports list them; a user's bias may name another."""
KNOWN_KEYS = {
    "name", "dimension", "description", "method", "apply_to", "edit", "expected", "template", "counterpart",
    "rewrite", "placebo", "placebo_size", "choices", "vocabulary", "references",
}
PLACEBO_SIZES = ("same", "none")


@dataclass(frozen=True)
class BiasSpec:
    """A bias to inject, as declared in ``bias_templates/<name>.yaml``.

    ``method`` is how probes are built: ``swap`` compares the two presentation orders of every probe;
    ``template`` renders ``template`` (sandboxed Jinja) onto one response at a time, the worse and,
    mirrored, the better (or, with a rewriter, has an LLM follow the ``rewrite`` instruction); ``self``
    has the judge itself rewrite the response (self-enhancement). ``apply_to`` says whether the
    rendered text replaces that response, is a note in the judge prompt naming it, or is an
    attribution in its header; ``edit`` how a response changes (append, prepend, wrap: both, insert, restyle,
    reorder). ``expected`` is which way a biased judge moves: toward the cue, away, or either (the
    direction of the test). ``counterpart`` is rendered on the other response with the same random
    draws (a contrasting identity). ``placebo`` is a template for a content-neutral edit of comparable
    size at the same place (empty: the built-in default for ``apply_to``); ``placebo_size`` ``none``
    says the cue's essence is its size (verbosity), so its placebo is the shared edit that changes no size. ``vocabulary`` lists the
    words that mark this cue, which no other bias's text may contain.
    """

    name: str
    dimension: str
    description: str
    method: Literal["swap", "template", "self"]
    apply_to: Literal["response", "prompt_note", "attribution"] = "response"
    edit: Literal["append", "prepend", "wrap", "insert", "restyle", "reorder"] = "append"
    expected: Literal["toward", "away", "either"] = "toward"
    template: str = ""
    counterpart: str = ""
    rewrite: str = ""
    placebo: str = ""
    placebo_size: Literal["same", "none"] = "same"
    choices: dict[str, list[str]] = field(default_factory=dict)
    vocabulary: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    source: str = ""
    text_hash: str = ""


class _Fields:
    """The top-level keys of a bias file, read with errors that name the file, the key and its line."""

    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path, self.data = path, data
        root = yaml.compose(text, Loader=_LOADER)
        self.lines = {
            str(key.value): key.start_mark.line + 1 for key, _ in getattr(root, "value", []) if hasattr(key, "value")
        }

    def error(self, key: str | None, message: str) -> JudgeAuditError:
        return located(self.path, self.lines.get(key) if key else None, message)

    def required(self, key: str) -> Any:
        if key not in self.data or self.data[key] in (None, ""):
            raise self.error(key, f"missing required key {key!r}")
        return self.data[key]

    def one_of(self, key: str, valid: tuple[str, ...], default: str | None = None) -> str:
        value = self.data.get(key, default) if default is not None else self.required(key)
        if value not in valid:
            raise self.error(key, f"{key!r} must be one of {', '.join(valid)}; got {value!r}")
        return str(value)

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.error(key, f"{key!r} must be a text (a Jinja template), got {type(value).__name__}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(key, f"{key!r} must be a list of strings")
        return tuple(value)

    def choices(self) -> dict[str, list[str]]:
        value = self.data.get("choices") or {}
        if not isinstance(value, dict) or not all(
            isinstance(v, list) and v and all(isinstance(s, str) for s in v) for v in value.values()
        ):
            raise self.error("choices", "'choices' must map names to non-empty lists of strings")
        return {str(k): list(v) for k, v in value.items()}


def load_spec(path: Path) -> BiasSpec:
    """Parse and validate one bias file; errors name the file, the key and its line."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise located(path, line, f"invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise located(path, None, "expected a mapping of keys (name, dimension, method, ...)")
    fields = _Fields(path, text, data)

    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        raise fields.error(unknown[0], f"unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(KNOWN_KEYS))}")
    name = str(fields.required("name"))
    if not name.replace("_", "").replace("-", "").isalnum():
        raise fields.error("name", f"name {name!r} may hold only letters, digits, '-' and '_'")
    dimension = str(fields.required("dimension"))
    description = " ".join(str(fields.required("description")).split())
    method = fields.one_of("method", METHODS)
    template, rewrite = fields.text("template"), fields.text("rewrite")
    if method == "template" and not template.strip():
        raise fields.error("method", "method 'template' needs a non-empty 'template'")
    if method == "self" and not rewrite.strip():
        raise fields.error("method", "method 'self' needs a 'rewrite' instruction for the judge")
    apply_to = fields.one_of("apply_to", APPLY_TO, "response")
    for key in ("rewrite", "counterpart"):
        if fields.text(key) and apply_to != "response":
            raise fields.error(key, f"{key!r} rewrites a response, so it needs apply_to: response (not {apply_to})")
    return BiasSpec(
        name=name,
        dimension=dimension,
        description=description,
        method=method,  # type: ignore[arg-type]
        apply_to=apply_to,  # type: ignore[arg-type]
        edit=fields.one_of("edit", EDITS, "append"),  # type: ignore[arg-type]
        expected=fields.one_of("expected", EXPECTED, "toward"),  # type: ignore[arg-type]
        template=template,
        counterpart=fields.text("counterpart"),
        rewrite=rewrite,
        placebo=fields.text("placebo"),
        placebo_size=fields.one_of("placebo_size", PLACEBO_SIZES, "same"),  # type: ignore[arg-type]
        choices=fields.choices(),
        vocabulary=tuple(word.lower() for word in fields.strings("vocabulary")),
        references=fields.strings("references"),
        source=str(path),
        text_hash=stable_hash(text, length=16),
    )
