"""Token prices of a judge, from litellm's bundled price table (read offline), and a token estimate."""

from __future__ import annotations

import os
from dataclasses import dataclass

from judgeaudit.schema import JudgeRequest

LOCAL_BACKENDS = frozenset({"llamacpp", "hf", "hf-rm", "python", "replay"})
CHARACTERS_PER_TOKEN = 4
"""A prompt's tokens are estimated as its characters / 4 (English text; a tokenizer needs the network)."""


@dataclass(frozen=True)
class Prices:
    """Dollars per token; ``known`` is False when the model is not in the table (cost then unknown)."""

    prompt: float
    completion: float
    known: bool
    source: str


def prices_for(backend: str, model: str) -> Prices:
    """The judge's price per token: 0 for local backends, else litellm's table entry for the model."""
    if backend in LOCAL_BACKENDS:
        return Prices(0.0, 0.0, True, "local model: no per-token price")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # the bundled table, no download
    import litellm  # a multi-second import: only here

    for name in (model, model.split("/", 1)[-1], f"{backend}/{model}"):
        entry = litellm.model_cost.get(name)
        if entry and "input_cost_per_token" in entry:
            return Prices(entry["input_cost_per_token"], entry.get("output_cost_per_token", 0.0), True, f"litellm's price table: {name}")
    return Prices(0.0, 0.0, False, f"{model} is not in litellm's price table")


def prompt_tokens(request: JudgeRequest) -> int:
    """An estimate of the request's prompt tokens."""
    return max(1, sum(len(message["content"]) for message in request.messages) // CHARACTERS_PER_TOKEN)
