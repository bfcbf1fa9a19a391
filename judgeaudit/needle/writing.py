"""Modifications written by an LLM (``judgeaudit needle --rewriter MODEL``), as Long-form RewardBench does.

For every chunk of a long response (at least 30 words, cut at sentence ends) the writer is asked for
one sentence to add after the chunk: a true, relevant one, and the same with one planted error. A
written pair is kept only when it passes the checks: well-formed (JSON with two different sentences of
similar length, no paragraph break) and, with the ``llm`` check, a second call that is shown the
passage and the two sentences in a seeded order and must pick out the false one. Every call goes
through the engine: cached, journaled in the run folder (``modifications.jsonl``), resumed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from judgeaudit.engine import EngineCounts, Journal, ResponseCache, RetryPolicy, execute
from judgeaudit.judges.base import Judge
from judgeaudit.needle.material import PARAGRAPH_BREAK, LongformItem, Modification
from judgeaudit.needle.placement import chunk_spans, count_words
from judgeaudit.rewriting import TextBackend
from judgeaudit.schema import JudgeRequest, stable_hash

MODIFICATIONS_JOURNAL = "modifications.jsonl"
MAX_LENGTH_RATIO = 1.3

WRITE = """You are preparing a careful-reading test. Below is a passage from a longer answer to the question: {prompt}

[Passage]
{passage}
[End of Passage]

Write one new sentence that could follow the passage's last sentence and adds true, relevant information. Then write the same sentence with exactly one error a careful, knowledgeable reader could catch (a wrong number, name, date or consequence); keep everything else identical.
Answer with JSON only: {{"true": "<the true sentence>", "false": "<the sentence with the error>"}}"""

CHECK = """Below is a passage and two sentences that could follow it. Exactly one of them contains an error.

[Passage]
{passage}
[End of Passage]

[Sentence 1]
{first}

[Sentence 2]
{second}

Which sentence contains the error? Answer with 1 or 2 only."""

_JSON = re.compile(r"\{.*\}", re.DOTALL)
_CHOICE = re.compile(r"\b([12])\b")


@dataclass(frozen=True)
class WritingTask:
    """One chunk to write a modification for."""

    item: str
    anchor: str
    passage: str
    request: JudgeRequest


def _request(writer: Judge, content: str, max_tokens: int, template: str) -> JudgeRequest:
    return JudgeRequest(
        backend=writer.backend, model=writer.model, messages=({"role": "user", "content": content},),
        params=writer.generation_params(max_tokens), template_hash=stable_hash(template, length=16), task="text",
    )


def writing_tasks(items: list[LongformItem], writer: Judge) -> list[WritingTask]:
    """A task per chunk whose last sentence occurs once in its response (the anchor to insert after)."""
    tasks = []
    for item in items:
        for start, end in chunk_spans(item.response):
            passage = item.response[start:end].strip()
            anchor = re.split(r"(?<=[.!?])\s+", passage)[-1].strip()
            if not anchor or item.response.count(anchor) != 1 or PARAGRAPH_BREAK in anchor or anchor[-1] not in ".!?":
                continue
            request = _request(writer, WRITE.format(prompt=item.prompt, passage=passage), 200, WRITE)
            tasks.append(WritingTask(item.id, anchor, passage, request))
    return tasks


def parse_written(text: str) -> tuple[str, str] | str:
    """The (true, false) sentences, or why the answer cannot be used."""
    found = _JSON.search(text)
    try:
        data: Any = json.loads(found.group(0)) if found else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("true"), str) or not isinstance(data.get("false"), str):
        return "not JSON with a true and a false sentence"
    true, false = data["true"].strip(), data["false"].strip()
    if not true or not false or true == false:
        return "the true and false sentences are empty or identical"
    if PARAGRAPH_BREAK in true or PARAGRAPH_BREAK in false:
        return "a sentence holds a paragraph break"
    lengths = sorted((count_words(true), count_words(false)))
    if lengths[1] > MAX_LENGTH_RATIO * lengths[0]:
        return "the two sentences differ in length by more than 30%"
    return true, false


def _false_first(task: WritingTask, seed: int) -> bool:
    return int(stable_hash([seed, "needle-check", task.item, task.anchor], length=8), 16) % 2 == 0


async def write_modifications(
    items: list[LongformItem], writer: Judge, checker: Judge | None, checks: tuple[str, ...], seed: int,
    run_dir: Path, cache: ResponseCache | None, concurrency: int, retry: RetryPolicy,
) -> tuple[list[LongformItem], dict[str, Any]]:
    """The items with the accepted written modifications added, and the tally (written, kept, refused by reason, calls)."""
    tasks = writing_tasks(items, writer)
    journal = Journal(run_dir / MODIFICATIONS_JOURNAL)
    written, write_counts = await execute({t.request.key: t.request for t in tasks}, TextBackend(writer), journal, cache, concurrency, retry)
    refused: Counter[str] = Counter()
    parsed: dict[str, tuple[str, str]] = {}
    checks_asked: dict[str, JudgeRequest] = {}
    for task in tasks:
        answer = written[task.request.key]
        result = parse_written(answer.raw) if answer.verdict != "error" else "the call failed"
        if isinstance(result, str):
            refused[result] += 1
            continue
        parsed[task.request.key] = result
        if "llm" in checks:
            true, false = result
            first, second = (false, true) if _false_first(task, seed) else (true, false)
            check = _request(checker or writer, CHECK.format(passage=task.passage, first=first, second=second), 8, CHECK)
            checks_asked[task.request.key] = check
    verdicts, check_counts = await execute(
        {c.key: c for c in checks_asked.values()}, TextBackend(checker or writer), journal, cache, concurrency, retry,
    ) if checks_asked else ({}, EngineCounts())
    added: dict[str, list[Modification]] = {}
    for task in tasks:
        if task.request.key not in parsed:
            continue
        if task.request.key in checks_asked:
            choice = _CHOICE.search(verdicts[checks_asked[task.request.key].key].raw or "")
            expected = "1" if _false_first(task, seed) else "2"
            if choice is None or choice.group(1) != expected:
                refused["the check did not pick out the false sentence"] += 1
                continue
        true, false = parsed[task.request.key]
        added.setdefault(task.item, []).append(Modification(task.anchor, "insert_after", true, false, "factual"))
    tally = {
        "chunks": len(tasks), "kept": sum(map(len, added.values())), "refused": dict(refused), "checks": list(checks),
        "calls": write_counts.calls + check_counts.calls, "cache_hits": write_counts.cache_hits + check_counts.cache_hits,
        "resumed": write_counts.resumed + check_counts.resumed,
    }
    return [replace(item, modifications=item.modifications + tuple(added.get(item.id, ()))) for item in items], tally
