"""MT-Bench human judgments (lmsys/mt_bench_human_judgments, split ``human``) in their own layout.

One record per (judge, question, model pair, turn) with ``winner`` model_a / model_b / a tie. Records are
gathered by (question, the two models in either order, turn), as FastChat's agreement script does; a
winner is flipped where a record lists the models the other way round; any winner containing "tie" is a
tie. The second turn shows both questions in the prompt and each model's two answers as its response.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.labels import annotation_from, flipped
from judgeaudit.datasets.loader import InstanceDraft, add_annotation, finish_draft
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import Instance

MT_BENCH_CATEGORIES = (
    (81, "writing"), (91, "roleplay"), (101, "reasoning"), (111, "math"),
    (121, "coding"), (131, "extraction"), (141, "stem"), (151, "humanities"),
)
"""MT-Bench's eight categories, ten questions each, by their first question id."""


def category_of(question_id: int) -> str:
    """MT-Bench's category of a question, by its id (ten questions per category)."""
    named = [name for first, name in MT_BENCH_CATEGORIES if first <= question_id < first + 10]
    return named[0] if named else "uncategorized"


def _turn_texts(record: dict[str, Any], side: str, turn: int) -> tuple[str, str]:
    """(prompt, response) of one side's conversation at ``turn``."""
    messages = record[f"conversation_{side}"]
    text = [str(m["content"]) for m in messages]
    if turn == 1:
        return text[0], text[1]
    prompt = f"First question:\n{text[0]}\n\nSecond question:\n{text[2]}\n\nJudge the answers to the second question."
    return prompt, f"First answer:\n{text[1]}\n\nSecond answer:\n{text[3]}"


def mt_bench_human(path: Path) -> list[Instance]:
    """Instances of an MT-Bench human-judgment file, one per (question, model pair, turn)."""
    drafts: dict[tuple[int, tuple[str, str], int], InstanceDraft] = {}
    for line_no, record in read_rows(path):
        try:
            question, turn = int(record["question_id"]), int(record["turn"])
            model_a, model_b, winner, judge = (str(record[k]) for k in ("model_a", "model_b", "winner", "judge"))
            prompt, response_a = _turn_texts(record, "a", turn)
            _, response_b = _turn_texts(record, "b", turn)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise located(path, line_no, f"not an MT-Bench human-judgment record ({type(exc).__name__}: {exc})") from None
        key = (question, tuple(sorted((model_a, model_b))), turn)
        draft = drafts.get(key)  # type: ignore[arg-type]
        if draft is None:
            texts = {"prompt": prompt, "chosen": response_a, "rejected": response_b}
            draft = InstanceDraft(
                line_no, f"{question}-{key[1][0]}-{key[1][1]}-t{turn}", texts, category_of(question), None,
                {"question_id": question, "turn": turn, "models": [model_a, model_b]}, None,
            )
            drafts[key] = draft  # type: ignore[index]
        vote = "tie" if "tie" in winner else {"model_a": "chosen", "model_b": "rejected"}.get(winner)
        if vote is None:
            raise located(path, line_no, f"winner {winner!r} is not model_a, model_b or a tie")
        annotation = annotation_from(judge, vote)
        assert annotation is not None  # a vote was given
        same_order = draft.metadata["models"][0] == model_a
        add_annotation(path, line_no, draft, annotation if same_order else flipped(annotation))
    if not drafts:
        raise JudgeAuditError(f"{path}: no instances found")
    return [_with_models(finish_draft(path, draft), draft) for draft in drafts.values()]


def _with_models(instance: Instance, draft: InstanceDraft) -> Instance:
    """The instance with the names of the models that wrote its chosen and rejected response (the
    majority may have put the second-listed model's response first)."""
    first, second = draft.metadata["models"]
    kept = instance.chosen == draft.texts["chosen"]
    models = {"model_chosen": first if kept else second, "model_rejected": second if kept else first}
    return replace(instance, metadata={k: v for k, v in instance.metadata.items() if k != "models"} | models)


def matches(record: dict[str, Any]) -> bool:
    """Whether a record has this layout."""
    return {"question_id", "model_a", "model_b", "winner", "judge", "conversation_a", "conversation_b", "turn"} <= set(record)


def read(path: Path) -> list[Instance]:
    """The instances of a file in this layout."""
    return mt_bench_human(path)
