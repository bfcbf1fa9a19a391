"""Custom judges written in Python, for ``--judge python:tests.python_judges:<function>`` in tests."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

_SAMPLE = Path(__file__).resolve().parent.parent / "judgeaudit" / "datasets" / "data" / "sample.jsonl"
_CHOSEN = {" ".join(json.loads(line)["chosen"].split()) for line in _SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()}


def _words(text: str) -> str:
    """The text with its whitespace normalized: a judge that knows the better answers knows them
    however they are wrapped (the size-free edit changes one break)."""
    return " ".join(text.split())


def length_loving_reward(task: str, messages: list[dict[str, str]]) -> float:
    """A reward model that knows the better answers (+1) and also rewards length (+0.01 per character:
    about 100 more characters outweigh knowing the better answer)."""
    assert task == "reward" and messages[-1]["role"] == "assistant"
    response = messages[-1]["content"]
    return float(any(chosen in _words(response) for chosen in _CHOSEN)) + 0.01 * len(response)


def _shown(messages: list[dict[str, str]], label: str) -> str:
    return messages[-1]["content"].split(f"[The Start of Response {label}]\n", 1)[1].split(f"\n[The End of Response {label}]", 1)[0]


def _knows_better(messages: list[dict[str, str]]) -> str:
    return "A" if any(chosen in _words(_shown(messages, "A")) for chosen in _CHOSEN) else "B"


def fair_verdict(task: str, messages: list[dict[str, str]]) -> str:
    """A pairwise judge that finds the better answer inside whatever was added around it: no bias at all."""
    return _knows_better(messages)


@functools.cache
def _authority_cue() -> re.Pattern[str]:
    from judgeaudit.biases import load_registry

    words = load_registry()["authority"].vocabulary
    return re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in words), re.IGNORECASE)


def authority_follower(task: str, messages: list[dict[str, str]]) -> str:
    """As fair_verdict, except that a response citing an authority (the bias file's cue words) wins."""
    cited = [label for label in ("A", "B") if _authority_cue().search(_shown(messages, label))]
    return cited[0] if len(cited) == 1 else _knows_better(messages)


async def honest_verdict(task: str, messages: list[dict[str, str]]) -> str:
    """A pairwise judge that knows the better answers, written as a coroutine."""
    shown = messages[-1]["content"]
    first = shown.split("[The Start of Response A]\n", 1)[1].split("\n[The End of Response A]", 1)[0]
    return "A" if _words(first) in _CHOSEN else "B"


@functools.cache
def _false_passages() -> frozenset[str]:
    from judgeaudit.needle import bundled_longform, load_longform

    return frozenset(m.false for item in load_longform(bundled_longform()) for m in item.modifications)


def error_finder(task: str, messages: list[dict[str, str]]) -> str:
    """A pairwise judge that spots every planted false passage of the bundled long-form material."""
    return "B" if any(false in _shown(messages, "A") for false in _false_passages()) else "A"


def longer_wins(task: str, messages: list[dict[str, str]]) -> str:
    """A pairwise judge that reads nothing but length: the longer response wins (equal lengths: a tie)."""
    a, b = (len(_words(_shown(messages, label))) for label in ("A", "B"))
    return "A" if a > b else "B" if b > a else "tie"
