"""Logs that record each judged prompt as shown (a question with response A and response B), not pairs:
the two orders of one pair are gathered into one instance by their texts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from judgeaudit.errors import JudgeAuditError
from judgeaudit.importers.records import FAILED, ReplayRecord, order_shown, pair_instance, usable_pair
from judgeaudit.prompts.parse import parse_verdict
from judgeaudit.schema import Instance, Order, stable_hash


@dataclass(frozen=True)
class ShownJudgment:
    """One judged prompt as a log records it."""

    source: str
    """file:record, for errors and tracing."""
    prompt: str
    response_a: str
    response_b: str
    verdict: str | None
    """The judge's answer: A / B / tie, or its text (read by the verdict parser); None: the call failed."""
    better: str | None = None
    """The log's gold label, as shown: A / B / tie; None where it has none."""
    instance_id: str | None = None
    category: str = "uncategorized"


def _gold(better: str | None, source: str) -> str | None:
    if better is None or str(better).strip() == "":
        return None
    word = str(better).strip().upper()
    if word in ("A", "B"):
        return word
    if word in ("TIE", "C", "A=B"):
        return "tie"
    raise JudgeAuditError(f"{source}: the gold label {better!r} is not A, B or tie")


TIE = "\x00tie"
"""Stands for "neither response" where a pair's better response is recorded as a text."""


def _better_texts(judgments: list[ShownJudgment]) -> dict[tuple[str, frozenset[str]], str]:
    """Per pair, the text of the response its gold label prefers (``TIE`` for a tie), from whichever of
    its judgments carries a label; JudgeAuditError where two of them disagree."""
    better: dict[tuple[str, frozenset[str]], str] = {}
    for judgment in judgments:
        gold = _gold(judgment.better, judgment.source)
        if gold is None or not usable_pair(judgment.response_a, judgment.response_b):
            continue
        key = (judgment.prompt, frozenset((judgment.response_a, judgment.response_b)))
        text = TIE if gold == "tie" else judgment.response_a if gold == "A" else judgment.response_b
        if better.setdefault(key, text) != text:
            raise JudgeAuditError(f"{judgment.source}: the gold label {judgment.better!r} disagrees with another judgment of the same pair")
    return better


def gather(path: Path, judgments: list[ShownJudgment]) -> tuple[list[Instance], list[ReplayRecord], int]:
    """Instances (a pair in either order is one), a record per judgment, and how many were left out
    (an empty or identical pair). The first judgment of a pair in an order is the control, a later one
    a repeat (replicate 1, 2, ...)."""
    instances: dict[tuple[str, frozenset[str]], tuple[Instance, str]] = {}
    ids: dict[str, tuple[str, frozenset[str]]] = {}
    seen: dict[tuple[str, Order], int] = {}
    records: list[ReplayRecord] = []
    skipped = 0
    better_of = _better_texts(judgments)
    for judgment in judgments:
        if not usable_pair(judgment.response_a, judgment.response_b):
            skipped += 1
            continue
        key = (judgment.prompt, frozenset((judgment.response_a, judgment.response_b)))
        better_text = better_of.get(key)
        gold = None if better_text is None else "tie" if better_text == TIE else "A" if better_text == judgment.response_a else "B"
        if key not in instances:
            instance_id = judgment.instance_id or stable_hash([judgment.prompt, *sorted(key[1])], length=12)
            if instance_id in ids and ids[instance_id] != key:
                raise JudgeAuditError(f"{judgment.source}: id {instance_id!r} names another pair too")
            better = {"A": "first", "B": "second", "tie": "tie"}.get(gold or "")
            instance, first_is_chosen = pair_instance(instance_id, judgment.prompt, judgment.response_a, judgment.response_b, better, judgment.category)
            chosen_text = judgment.response_a if first_is_chosen else judgment.response_b
            instances[key], ids[instance_id] = (instance, chosen_text), key
        instance, chosen_text = instances[key]
        chosen_shown = "A" if judgment.response_a == chosen_text else "B"
        order = order_shown(True, chosen_shown == "A")
        asked = seen.get((instance.id, order), 0)
        seen[(instance.id, order)] = asked + 1
        verdict = FAILED if judgment.verdict is None else _verdict(judgment.verdict)
        records.append(ReplayRecord(
            instance.id, order, verdict, condition="repeat" if asked else "control", replicate=asked, source=judgment.source,
            extra={"raw": judgment.verdict} if judgment.verdict is not None and verdict != judgment.verdict else {},
        ))
    if not instances:
        raise JudgeAuditError(f"{path}: no judged pairs found")
    return [instance for instance, _ in instances.values()], records, skipped


def _verdict(text: str) -> str:
    """A / B / tie as the judge's text states it, else the text itself (replay reads it as unparseable)."""
    verdict = parse_verdict(text)
    return verdict if verdict in ("A", "B", "tie") else text
