"""Token prices of a judge, from litellm's bundled price table (read offline), and a token estimate."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


PRICE_TABLE = "model_prices_and_context_window_backup.json"
"""litellm's bundled price table: the file ``litellm.model_cost`` holds offline, read without importing
litellm (a multi-second import)."""


@cache
def price_table() -> dict[str, dict]:
    """litellm's bundled price table by model name; empty when litellm is not installed."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / PRICE_TABLE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def prices_for(backend: str, model: str, batch: bool = False) -> Prices:
    """The judge's price per token: 0 for local backends, else litellm's table entry for the model.

    ``batch``: the price through the provider's batch API (its ``*_batches`` entry; half the
    on-demand price where the table has none, as OpenAI and Anthropic charge).
    """
    if backend in LOCAL_BACKENDS:
        return Prices(0.0, 0.0, True, "local model: no per-token price")
    table = price_table()
    for name in (model, model.split("/", 1)[-1], f"{backend}/{model}"):
        entry = table.get(name)
        if entry and "input_cost_per_token" in entry:
            prompt, completion = entry["input_cost_per_token"], entry.get("output_cost_per_token", 0.0)
            if not batch:
                return Prices(prompt, completion, True, f"litellm's price table: {name}")
            return Prices(
                entry.get("input_cost_per_token_batches", prompt / 2),
                entry.get("output_cost_per_token_batches", completion / 2),
                True,
                f"litellm's price table: {name}, batch API",
            )
    return Prices(0.0, 0.0, False, f"{model} is not in litellm's price table")


def prompt_tokens(request: JudgeRequest) -> int:
    """An estimate of the request's prompt tokens."""
    return max(1, sum(len(message["content"]) for message in request.messages) // CHARACTERS_PER_TOKEN)
