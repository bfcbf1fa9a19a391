"""FastChat MT-Bench pairwise judgments (``data/mt_bench/model_judgment/gpt-4_pair.jsonl``).

One record per (question, model pair, turn) from ``play_a_match_pair`` (fastchat/llm_judge/common.py):
``question_id``, ``model_1``, ``model_2``, ``g1_winner``, ``g2_winner``, ``judge`` ([model, prompt
name]), ``g1_user_prompt``, ``g1_judgment``, ``g2_user_prompt``, ``g2_judgment``, ``turn``, ``tstamp``.
Game 1 shows model_1's answer as A, game 2 shows model_2's as A; both winners are already mapped back
to ``model_1`` / ``model_2`` (or ``tie``, or ``error`` where the judgment had no ``[[A]]``/``[[B]]``/``[[C]]``).

The answers are not in the file: they come from ``model_answer/<model>.jsonl`` (the model's name is
the file's name, as ``load_model_answers`` reads it) and the questions from ``question.jsonl``. Turn 2
shows both questions and each model's two answers, laid out as the ``mt-bench-human`` dataset layout
does. Reference answers (the math/reasoning/coding prompts ``pair-math-v1``) come from
``reference_answer/<judge model>.jsonl`` when given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.presets.mt_bench_human import category_of
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.importers.records import (
    FAILED,
    ImportedLog,
    ReplayRecord,
    limits,
    order_shown,
    pair_instance,
    usable_pair,
)
from judgeaudit.schema import Instance

WINNERS = {"model_1": "first", "model_2": "second", "tie": "tie", "error": None}


def _answers(directory: Path) -> dict[str, dict[int, list[str]]]:
    """model -> question id -> the answer's turns (``choices[0].turns``)."""
    if not directory.is_dir():
        raise JudgeAuditError(f"{directory}: --answers must be FastChat's model_answer folder (one <model>.jsonl per model)")
    answers = {path.stem: _answers_file(path, "model answers") for path in sorted(directory.glob("*.jsonl"))}
    if not answers:
        raise JudgeAuditError(f"{directory}: no <model>.jsonl answer files found")
    return answers


def _questions(path: Path) -> dict[int, dict[str, Any]]:
    questions: dict[int, dict[str, Any]] = {}
    for line_no, row in read_rows(path, "questions"):
        try:
            questions[int(row["question_id"])] = {"turns": [str(t) for t in row["turns"]], "category": row.get("category")}
        except (KeyError, TypeError, ValueError) as exc:
            raise located(path, line_no, f"not a FastChat question ({type(exc).__name__}: {exc})") from None
    return questions


def _texts(turns: list[str], first: list[str], second: list[str], turn: int) -> tuple[str, str, str]:
    """(prompt, first answer, second answer) as the judge saw them at ``turn``."""
    if turn == 1:
        return turns[0], first[0], second[0]
    prompt = f"First question:\n{turns[0]}\n\nSecond question:\n{turns[1]}\n\nJudge the answers to the second question."
    return prompt, f"First answer:\n{first[0]}\n\nSecond answer:\n{first[1]}", f"First answer:\n{second[0]}\n\nSecond answer:\n{second[1]}"


def read(path: Path, answers: Path | None = None, questions: Path | None = None, references: Path | None = None) -> ImportedLog:
    """The instances and verdicts of a FastChat pairwise judgment file."""
    if answers is None or questions is None:
        missing = " and ".join(f"--{n}" for n, v in (("answers", answers), ("questions", questions)) if v is None)
        raise JudgeAuditError(
            f"{path}: an MT-Bench judgment file holds no answer texts; give {missing} "
            "(FastChat's data/mt_bench/model_answer folder and data/mt_bench/question.jsonl)"
        )
    texts, asked = _answers(answers), _questions(questions)
    refs = _answers_file(references, "reference answers") if references is not None else {}
    instances: dict[str, Instance] = {}
    records: list[ReplayRecord] = []
    skipped, judges, ref_judged = 0, set(), 0
    for line_no, row in read_rows(path, "judgments"):
        where = f"{path}:{line_no}"
        question, turn, model_1, model_2, g1, g2, judge = _fields(path, line_no, row)
        for model in (model_1, model_2):
            if question not in texts.get(model, {}):
                raise located(path, line_no, f"no answer of {model!r} to question {question} in {answers}/{model}.jsonl")
        if question not in asked:
            raise located(path, line_no, f"question {question} is not in {questions}")
        judge_name = " / ".join(map(str, judge)) if isinstance(judge, list) else str(judge)
        judges.add(judge_name)
        prompt_name = str(judge[1]) if isinstance(judge, list) and len(judge) > 1 else ""
        ref_judged += "math" in prompt_name
        try:
            prompt, first, second = _texts(asked[question]["turns"], texts[model_1][question], texts[model_2][question], turn)
        except IndexError:
            raise located(path, line_no, f"turn {turn}: the question or an answer has fewer turns") from None
        if not usable_pair(first, second):
            skipped += 1
            continue
        instance_id = f"{question}-{model_1}-{model_2}-t{turn}"
        if instance_id in instances:
            raise located(path, line_no, f"a second judgment of question {question}, {model_1} vs {model_2}, turn {turn}")
        category = asked[question]["category"] or category_of(question)
        reference = _reference(refs.get(question), turn) if "math" in prompt_name else None
        instance, first_is_chosen = pair_instance(
            instance_id, prompt, first, second, None, str(category), reference,
            {"question_id": question, "turn": turn, "model_chosen": model_1, "model_rejected": model_2, "judge": judge_name},
        )
        instances[instance_id] = instance
        for game, winner, judgment in ((1, g1, row.get("g1_judgment")), (2, g2, row.get("g2_judgment"))):
            verdict = _verdict(winner, game)
            records.append(ReplayRecord(
                instance_id, order_shown(first_is_chosen, game == 1), verdict, source=f"{where} game {game}",
                extra={"raw": judgment} if verdict == FAILED and judgment else {},
            ))
    if not instances:
        raise JudgeAuditError(f"{path}: no pairwise judgments found")
    notes = [f"{skipped} judgments left out: a pair with an empty or identical answer cannot be a dataset instance"] if skipped else []
    cannot = limits(list(instances.values()), records)
    if ref_judged and not refs:
        cannot.append(f"{ref_judged} judgments were made with reference answers (pair-math-v1); give --references to carry them")
    return ImportedLog("mt-bench", path, ", ".join(sorted(judges)), list(instances.values()), records, cannot, notes)


def _fields(path: Path, line_no: int, row: Any) -> tuple[int, int, str, str, str, str, Any]:
    """question id, turn, model_1, model_2, g1_winner, g2_winner, judge of one record, checked."""
    try:
        question, turn = int(row["question_id"]), int(row.get("turn", 1))
        model_1, model_2 = str(row["model_1"]), str(row["model_2"])
        g1, g2 = str(row["g1_winner"]), str(row["g2_winner"])
        judge = row["judge"]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise located(path, line_no, f"not a FastChat pairwise judgment ({type(exc).__name__}: {exc})") from None
    if "m1_score" in row:
        raise located(path, line_no, "single-answer grading (m1_score/m2_score), not a pairwise game: not supported")
    for name, winner in (("g1_winner", g1), ("g2_winner", g2)):
        if winner not in WINNERS:
            raise located(path, line_no, f"{name} {winner!r} is not model_1, model_2, tie or error")
    return question, turn, model_1, model_2, g1, g2, judge


def _verdict(winner: str, game: int) -> str:
    """The position the game's winner was shown at: game 1 shows model_1 as A, game 2 model_2."""
    side = WINNERS[winner]
    if side is None:
        return FAILED
    if side == "tie":
        return "tie"
    return "A" if (side == "first") == (game == 1) else "B"


def _answers_file(path: Path, what: str) -> dict[int, list[str]]:
    """Question id -> the answer's turns (``choices[0].turns``) of a model or reference answer file."""
    turns: dict[int, list[str]] = {}
    for line_no, row in read_rows(path, what):
        try:
            turns[int(row["question_id"])] = [str(t) for t in row["choices"][0]["turns"]]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise located(path, line_no, f"not a FastChat answer record ({type(exc).__name__}: {exc})") from None
    return turns


def _reference(turns: list[str] | None, turn: int) -> str | None:
    if not turns:
        return None
    if turn == 1 or len(turns) < 2:
        return turns[0]
    return f"First answer:\n{turns[0]}\n\nSecond answer:\n{turns[1]}"
