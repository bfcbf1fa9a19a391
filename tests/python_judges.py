"""Custom judges written in Python, for ``--judge python:tests.python_judges:<function>`` in tests."""

from __future__ import annotations

import json
from pathlib import Path

_SAMPLE = Path(__file__).resolve().parent.parent / "judgeaudit" / "datasets" / "data" / "sample.jsonl"
_CHOSEN = {json.loads(line)["chosen"] for line in _SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()}


def length_loving_reward(task: str, messages: list[dict[str, str]]) -> float:
    """A reward model that knows the better answers (+1) and also rewards length (+0.002 per character)."""
    assert task == "reward" and messages[-1]["role"] == "assistant"
    response = messages[-1]["content"]
    return float(any(chosen in response for chosen in _CHOSEN)) + 0.002 * len(response)


async def honest_verdict(task: str, messages: list[dict[str, str]]) -> str:
    """A pairwise judge that knows the better answers, written as a coroutine."""
    shown = messages[-1]["content"]
    first = shown.split("[The Start of Response A]\n", 1)[1].split("\n[The End of Response A]", 1)[0]
    return "A" if first in _CHOSEN else "B"
