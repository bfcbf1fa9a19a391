"""Where an error sits: length buckets, chunks, positions, and a balanced, seeded design over the grid.

As in Long-form RewardBench's needle test: a response (cut at a paragraph end to a length bucket) is
split into chunks of at least ``MIN_CHUNK_WORDS`` words at sentence ends; the error's position is
(tokens before its chunk + half the chunk's tokens) / the response's tokens, counted in the response
that carries the error. Tokens come from the judge's own tokenizer where the backend has one;
otherwise words stand in for them (the position is a ratio, so a constant tokens-per-word factor
cancels; only the variation of that factor along the text is lost).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from judgeaudit.biases.sentences import sentence_boundaries
from judgeaudit.needle.material import PARAGRAPH_BREAK, LongformItem, Modification
from judgeaudit.schema import Instance, stable_hash

LENGTH_BUCKETS = (300, 800, 1500, 3000)
"""Target lengths in words; a response is cut after the first paragraph that reaches the target."""
POSITION_BINS = 8
MIN_CHUNK_WORDS = 30
TokenCounter = Callable[[str], int]


def count_words(text: str) -> int:
    return len(text.split())


def truncate(response: str, target_words: int) -> str | None:
    """The shortest run of whole paragraphs with at least ``target_words`` words (None: too short)."""
    paragraphs = response.split(PARAGRAPH_BREAK)
    kept, words = [], 0
    for paragraph in paragraphs:
        kept.append(paragraph)
        words += count_words(paragraph)
        if words >= target_words:
            return PARAGRAPH_BREAK.join(kept)
    return None


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of consecutive chunks of at least ``MIN_CHUNK_WORDS`` words, cut at sentence
    ends; a short remainder joins the last chunk."""
    cuts = [*sentence_boundaries(text), len(text)]
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in cuts:
        if count_words(text[start:cut]) >= MIN_CHUNK_WORDS or cut == len(text):
            spans.append((start, cut))
            start = cut
    if len(spans) > 1 and count_words(text[spans[-1][0] : spans[-1][1]]) < MIN_CHUNK_WORDS:
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


def error_position(text: str, error_start: int, count_tokens: TokenCounter = count_words) -> float:
    """(tokens before the chunk holding ``error_start`` + half that chunk's tokens) / all tokens."""
    for start, end in chunk_spans(text):
        if start <= error_start < end:
            before, chunk, total = (count_tokens(t) for t in (text[:start], text[start:end], text))
            return (before + chunk / 2) / total
    raise ValueError("the error lies outside the text")


def position_bin(position: float, bins: int = POSITION_BINS) -> int:
    return min(bins - 1, int(position * bins))


@dataclass(frozen=True)
class NeedleTrial:
    """One planted error: the clean and the erroneous response, how long, and where the error sits."""

    item_id: str
    modification: int
    error_type: str
    bucket: int
    words: int
    position: float
    bin: int
    prompt: str
    clean: str
    erroneous: str

    @property
    def id(self) -> str:
        return f"{self.item_id}/{self.bucket}w/m{self.modification:02d}"

    def instance(self) -> Instance:
        """The trial as an evaluation instance: the clean response is the better one."""
        return Instance(
            id=self.id,
            prompt=self.prompt,
            chosen=self.clean,
            rejected=self.erroneous,
            category=f"{self.bucket}w",
            metadata={"needle": {"bucket": self.bucket, "bin": self.bin, "position": self.position, "words": self.words,
                                 "error_type": self.error_type, "item": self.item_id}},
        )


def candidates(items: list[LongformItem], buckets: tuple[int, ...], bins: int, count_tokens: TokenCounter) -> dict[tuple[int, int], list[NeedleTrial]]:
    """Every plantable (item, bucket, modification), by (bucket, position bin)."""
    grid: dict[tuple[int, int], list[NeedleTrial]] = {(b, k): [] for b in buckets for k in range(bins)}
    for item in items:
        for bucket in buckets:
            text = truncate(item.response, bucket)
            if text is None:
                continue
            for index, modification in enumerate(item.modifications):
                if modification.anchor not in text:
                    continue
                trial = _trial(item, index, modification, bucket, text, bins, count_tokens)
                grid[bucket, trial.bin].append(trial)
    return grid


def _trial(item: LongformItem, index: int, modification: Modification, bucket: int, text: str, bins: int, count_tokens: TokenCounter) -> NeedleTrial:
    erroneous = modification.apply(text, "false")
    start = text.index(modification.anchor)
    error_start = start + len(modification.anchor) + 1 if modification.edit == "insert_after" else start
    position = error_position(erroneous, error_start, count_tokens)
    return NeedleTrial(
        item.id, index, modification.type, bucket, count_words(text), position, position_bin(position, bins),
        item.prompt, modification.apply(text, "true"), erroneous,
    )


def balanced_design(grid: dict[tuple[int, int], list[NeedleTrial]], per_cell: int, seed: int) -> tuple[list[NeedleTrial], dict[tuple[int, int], int]]:
    """Up to ``per_cell`` trials per (bucket, bin) cell, drawn by seed and spread over the items
    (round-robin over items in a seeded order); and each cell's shortfall below ``per_cell``."""
    chosen: list[NeedleTrial] = []
    short: dict[tuple[int, int], int] = {}
    for cell, trials in sorted(grid.items()):
        rng = random.Random(stable_hash([seed, "needle", *cell]))
        by_item: dict[str, list[NeedleTrial]] = {}
        for trial in sorted(trials, key=lambda t: (t.item_id, t.modification)):
            by_item.setdefault(trial.item_id, []).append(trial)
        queues = [rng.sample(group, len(group)) for _, group in sorted(by_item.items())]
        rng.shuffle(queues)
        picked: list[NeedleTrial] = []
        while len(picked) < per_cell and any(queues):
            for queue in queues:
                if queue and len(picked) < per_cell:
                    picked.append(queue.pop())
        chosen.extend(picked)
        if len(picked) < per_cell:
            short[cell] = per_cell - len(picked)
    return chosen, short
