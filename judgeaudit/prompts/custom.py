"""``--prompt``: a built-in prompt by name, or the user's own prompt file, so a team audits the exact
prompt it deploys.

A prompt file is YAML with ``user`` (a Jinja template of the user message), optional ``system`` and
``name``, and ``kind``: ``pairwise`` (it shows ``response_a`` and ``response_b``) or ``pointwise`` (one
``response``); any other file is taken as the user message alone, its kind read from the variables
it uses. Templates render in Jinja's sandbox with undefined variables as errors; the file is tried on
a sample probe when loaded, so a mistake is one error line naming the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from jinja2 import TemplateError

from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.prompts.templates import BUILT_IN, PromptTemplate
from judgeaudit.schema import Probe

KINDS = ("pairwise", "pointwise")
_TRY = Probe(
    instance_id="try", bias=None, condition="control", variant="original", order="chosen_first", prompt="2 + 2?",
    response_a="4", response_b="5", correct="A", reference="4",
)


def load_prompt(spec: str) -> PromptTemplate:
    """The prompt named by ``spec``: a built-in name, or a file."""
    if spec in BUILT_IN:
        return BUILT_IN[spec]
    path = Path(spec).expanduser()
    if not path.is_file():
        raise JudgeAuditError(f"--prompt {spec}: no such file, and not a built-in prompt ({', '.join(BUILT_IN)})")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        template = _from_yaml(path, text)
    else:
        kind = "pairwise" if "response_a" in text else "pointwise"
        template = PromptTemplate(f"file:{path.name}", "", text, kind)
    try:
        template.messages(_TRY, None if template.kind == "pairwise" else "A", show_reference=True)
    except (TemplateError, TypeError, ValueError) as exc:
        raise JudgeAuditError(f"{path}: the prompt template does not render: {' '.join(str(exc).split())}") from None
    return template


def _from_yaml(path: Path, text: str) -> PromptTemplate:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise located(path, mark.line + 1 if mark else None, f"invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("user"), str):
        raise located(path, None, "expected a mapping with a 'user' template (and optional 'system', 'kind', 'name')")
    unknown = sorted(set(data) - {"user", "system", "kind", "name"})
    if unknown:
        raise located(path, None, f"unknown key {unknown[0]!r}; valid keys: kind, name, system, user")
    kind = data.get("kind", "pairwise")
    if kind not in KINDS:
        raise located(path, None, f"'kind' must be pairwise or pointwise; got {kind!r}")
    return PromptTemplate(f"file:{data.get('name') or path.name}", str(data.get("system") or ""), data["user"], kind)
