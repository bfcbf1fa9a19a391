"""Render a template bias onto a response, deterministically and in a Jinja sandbox."""

from __future__ import annotations

import random
import re
from functools import lru_cache, cache

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import stable_hash

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(])")
_CODE_FENCE = re.compile(r"(```.*?```)", re.DOTALL)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences and lines, keeping fenced code blocks whole."""
    parts: list[str] = []
    for chunk in _CODE_FENCE.split(text):
        if chunk.startswith("```"):
            parts.append(chunk)
            continue
        for line in chunk.splitlines():
            parts.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return parts


def derived_rng(seed: int, *parts: str) -> random.Random:
    """A random generator determined by the seed and the given identifiers."""
    return random.Random(int(stable_hash([seed, *parts], length=16), 16))


@cache
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
    env.filters["sentences"] = split_sentences
    return env


def render_perturbation(spec: BiasSpec, response: str, label: str, rng: random.Random) -> str:
    """Render ``spec.template`` for one probe.

    ``response`` is the target response, ``label`` its letter (A/B) in the order shown. Templates may
    call ``pick(name)`` for one item of ``choices[name]`` and ``pad_to(ratio, name)`` for filler items
    until the response reaches ``ratio`` times its length.
    """

    def choice_list(name: str) -> list[str]:
        if name not in spec.choices:
            raise JudgeAuditError(f"{spec.source}: template uses unknown choice list {name!r}")
        return spec.choices[name]

    def pick(name: str) -> str:
        return rng.choice(choice_list(name))

    def pad_to(ratio: float, name: str) -> str:
        pool = choice_list(name)[:]
        rng.shuffle(pool)
        goal = len(response) * float(ratio)
        padding: list[str] = []
        length = len(response)
        while length < goal:
            sentence = pool[len(padding) % len(pool)]
            padding.append(sentence)
            length += len(sentence) + 1
        return " ".join(padding)

    try:
        template = _environment().from_string(spec.template)
        rendered = template.render(response=response, label=label, pick=pick, pad_to=pad_to)
    except TemplateError as exc:
        raise JudgeAuditError(f"{spec.source}: template error: {exc}") from None
    rendered = rendered.strip()
    if not rendered:
        raise JudgeAuditError(f"{spec.source}: template rendered an empty text")
    return rendered
