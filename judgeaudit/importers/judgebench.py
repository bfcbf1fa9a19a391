"""JudgeBench outputs (ScalerLab/JudgeBench ``outputs/*.jsonl``, written by ``run_judge.py``).

One record per pair: ``pair_id``, ``original_id``, ``source``, ``question``, ``response_model``,
``response_A``, ``response_B``, ``label`` (``A>B`` / ``B>A``: the better response), ``judge_name`` and
``judgments``: game 1 shows response_A as A, game 2 (absent with ``--single_game``) shows response_B
as A. Each game is ``{"judgment": {...}, "decision": "A>B" | "B>A" | "A=B" | null}`` in the positions it
showed, or null where the call failed; reward models also write ``judgment.scores`` (A's, B's as shown),
kept beside the verdict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.importers.records import (
    FAILED,
    UNREADABLE,
    ImportedLog,
    ReplayRecord,
    limits,
    order_shown,
    pair_instance,
    usable_pair,
)
from judgeaudit.schema import Instance

DECISIONS = {"A>B": "A", "A>>B": "A", "B>A": "B", "B>>A": "B", "A=B": "tie", "B=A": "tie"}
LABELS = {"A>B": "first", "B>A": "second", "A=B": "tie"}


def read(path: Path) -> ImportedLog:
    """The instances and verdicts of a JudgeBench output file."""
    instances: dict[str, Instance] = {}
    records: list[ReplayRecord] = []
    judges: set[str] = set()
    skipped = 0
    for line_no, row in read_rows(path, "JudgeBench outputs"):
        try:
            pair_id, question = str(row["pair_id"]), str(row["question"])
            first, second, label = str(row["response_A"]), str(row["response_B"]), row["label"]
            games = row["judgments"]
        except (KeyError, TypeError) as exc:
            raise located(path, line_no, f"not a JudgeBench output record ({type(exc).__name__}: {exc})") from None
        if label not in LABELS:
            raise located(path, line_no, f"label {label!r} is not A>B, B>A or A=B")
        if not isinstance(games, list) or not 1 <= len(games) <= 2:
            raise located(path, line_no, "'judgments' must be a list of one or two games")
        if not usable_pair(first, second):
            skipped += 1
            continue
        if pair_id in instances:
            raise located(path, line_no, f"pair_id {pair_id!r} appears twice")
        instance, first_is_chosen = pair_instance(
            pair_id, question, first, second, LABELS[label], str(row.get("source") or "uncategorized"),
            metadata={k: row[k] for k in ("original_id", "source", "response_model") if k in row},
        )
        instances[pair_id] = instance
        judges.add(f"{row.get('judge_name', '?')} / {_judge_model(games)}")
        for game, judged in enumerate(games, start=1):
            records.append(_record(path, line_no, pair_id, order_shown(first_is_chosen, game == 1), game, judged))
    if not instances:
        raise JudgeAuditError(f"{path}: no JudgeBench pairs found")
    cannot = limits(list(instances.values()), records)
    if any("scores" in r.extra for r in records):
        cannot.append("reward-model scores are kept in verdicts.jsonl ('scores', A's and B's as shown) but the audit reads the decisions")
    notes = [f"{skipped} pairs left out: an empty or identical response cannot be a dataset instance"] if skipped else []
    unread = [str(r.extra["decision"]) for r in records if r.verdict == UNREADABLE]
    if unread:
        notes.append(f"{len(unread)} games with a decision that is not A>B, B>A or A=B (e.g. {unread[0]!r}) replay as unparseable answers")
    return ImportedLog("judgebench", path, ", ".join(sorted(judges)), list(instances.values()), records, cannot, notes)


def _judge_model(games: list[Any]) -> str:
    for game in games:
        if isinstance(game, dict) and isinstance(game.get("judgment"), dict):
            return str(game["judgment"].get("judge_model", "?"))
    return "?"


def _record(path: Path, line_no: int, pair_id: str, order: Any, game: int, judged: Any) -> ReplayRecord:
    source = f"{path}:{line_no} game {game}"
    if judged is None:
        return ReplayRecord(pair_id, order, FAILED, source=source)
    if not isinstance(judged, dict) or "decision" not in judged:
        raise located(path, line_no, f"game {game}: expected an object with 'decision', got {judged!r:.80}")
    decision = judged["decision"]
    judgment: dict[str, Any] = judged["judgment"] if isinstance(judged.get("judgment"), dict) else {}
    extra: dict[str, Any] = {}
    if isinstance(judgment.get("scores"), list):
        extra["scores"] = judgment["scores"]
    if decision is None:
        return ReplayRecord(pair_id, order, FAILED, source=source, extra=extra)
    verdict = DECISIONS.get(str(decision).strip())
    if verdict is None:  # JudgeBench's own metric counts such a game neither right nor wrong
        return ReplayRecord(pair_id, order, UNREADABLE, source=source, extra=extra | {"decision": decision})
    return ReplayRecord(pair_id, order, verdict, source=source, extra=extra)
