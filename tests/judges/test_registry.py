"""The registry of backends: every prefix resolves to a factory, lazily imported, on the one base."""

from __future__ import annotations

import importlib
import inspect

import pytest

from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges import resolve_judge
from judgeaudit.judges.base import Judge
from judgeaudit.judges.registry import BACKENDS, LITELLM, _lookup


@pytest.mark.parametrize("target", sorted({*BACKENDS.values(), LITELLM}))
def test_every_factory_exists_and_takes_a_name_and_options(target: str) -> None:
    module, _, function = target.partition(":")
    factory = getattr(importlib.import_module(module), function)
    name, options = inspect.signature(factory).parameters.values()
    assert name.annotation == "str" and options.annotation == "JudgeOptions"


@pytest.mark.parametrize(
    ("spec", "target", "name"),
    [
        ("smollm2", "judgeaudit.judges.llamacpp:embedded", "smollm2"),
        ("llamacpp:/m/x.gguf", "judgeaudit.judges.llamacpp:from_spec", "/m/x.gguf"),
        ("hf-rm:org/rm", "judgeaudit.judges.hf:reward_from_spec", "org/rm"),
        ("hf:org/lm", "judgeaudit.judges.hf:causal_from_spec", "org/lm"),
        ("openai/gpt-x", "judgeaudit.judges.openai_compat:from_spec", "gpt-x"),
        ("anthropic/claude-x", "judgeaudit.judges.anthropic_judge:from_spec", "claude-x"),
        ("gemini/gemini-pro", LITELLM, "gemini/gemini-pro"),
        ("python:pkg.mod:fn", "judgeaudit.judges.python_callable:from_spec", "pkg.mod:fn"),
    ],
)
def test_a_spec_goes_to_its_backend(spec: str, target: str, name: str) -> None:
    assert _lookup(spec) == (target, name)


def test_a_spec_of_no_form_is_refused_with_the_valid_forms() -> None:
    with pytest.raises(JudgeAuditError, match=r"unknown judge 'nonsense'; valid forms: smollm2"):
        resolve_judge("nonsense")


def test_a_resolved_backend_is_on_the_base_and_says_what_it_can() -> None:
    judge = resolve_judge("openai/x", api_base="http://127.0.0.1:9/v1")
    assert isinstance(judge, Judge) and judge.can_write and judge.batch_provider() is not None
    assert not judge.recorded_only and judge.context_window is None and not judge.counts_tokens
