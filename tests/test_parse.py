"""The verdict parser reads the one overall verdict, never a wrong letter, on judge outputs in the
formats real judges write (tests/data: a development corpus and a held-out one written apart)."""

import json
import time
from pathlib import Path

import pytest

from judgeaudit.prompts.parse import parse_verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Response A has an error in step 2. [[B]]", "B"),
        ("At first [[A]] looked right, but after checking: [[B]]", "B"),
        ("[[C]]", "tie"),
        ('Reasoning...\n{"verdict": "A", "confidence": 0.8}', "A"),
        ('{"winner": "Response B"}', "B"),
        ("A is longer, B is correct.\nFinal verdict: B", "B"),
        ("Answer: **A**", "A"),
        ("Both have merit.\n\nB", "B"),
        ("B.", "B"),
        ("tie", "tie"),
    ],
)
def test_explicit_verdicts(text: str, expected: str) -> None:
    assert parse_verdict(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "A is better written but B is more accurate, hard to say.",
        "the answer is a mess",
        "I cannot decide between them.",
    ],
)
def test_no_explicit_verdict_is_unparseable(text: str) -> None:
    assert parse_verdict(text) == "unparseable"


def test_first_letter_is_not_taken_as_verdict() -> None:
    # A naive parser would return "A" (the first letter mentioned).
    assert parse_verdict("A makes an arithmetic slip; the better answer is B.\n[[B]]") == "B"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The last [[X]] sits in a caveat or a restated instruction: the verdict is the one before it.
        ("Response A is correct and complete. [[A]]. If brevity mattered, [[B]] might be preferable.", "A"),
        ('My final verdict: [[B]] (following the rule: "[[A]]" if assistant A is better, "[[C]]" for a tie).', "B"),
        # The judge's own answer to a multiple-choice question is not a verdict.
        ("The correct answer is B (Paris). Response A gives B with a clear reason; Response B says D.\nResponse A is better.", "A"),
        # "A" as an article.
        ("Final verdict: A tie.", "tie"),
        ("My verdict: A close call, but Response B edges it.", "B"),
        ("A better answer is Response B.", "B"),
        # An overall verdict outranks per-criterion lines.
        ("Accuracy: B\nClarity: B\nStyle: B\nOverall: A — only A answers the second part.", "A"),
        # Forms the old parser could not read.
        ("Response B is better.", "B"),
        ("I prefer Response A.", "A"),
        ("Assistant B wins.", "B"),
        ("Output (a)", "A"),
        ("Response 2", "B"),
        ("Result: A", "A"),
        ("Choice: B", "B"),
        ("Overall: A", "A"),
        ("Feedback: B cites the rubric. [RESULT] B", "B"),
        ("**Final Verdict**: B", "B"),
        ("It's a tie.", "tie"),
        ("Equal", "tie"),
        ('```json\n{"preferred": "assistant_b", "scores": {"a": 6, "b": 8}}\n```', "B"),
        ('{"decision": "Response 1"}', "A"),
        ("The answer is therefore \\boxed{A}", "A"),
        ("A. Response A computes the total correctly; B forgets the tax.", "A"),
        ("winner: b", "B"),
        ("<think>B looks better... no wait, B has the wrong year. [[B]]?</think>\nResponse A is better. [[A]]", "A"),
        ("My final verdict is: [[B>>A]]", "B"),
        ("My final verdict is tie: [[A=B]]", "tie"),
    ],
)
def test_verdicts_real_judges_write(text: str, expected: str) -> None:
    assert parse_verdict(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A if you value brevity, B otherwise.",
        "Accuracy: A\nHelpfulness: B\nClarity: A",
        "Response A explains the steps well, but Response B",
        "<think>Comparing both, Response A seems to miss the edge case, so",
        "My final verdict is: [[A>B]]\n\nOn reflection, Assistant B's command is the only one that works.\n\nMy final verdict is: [[B>A]]",
        "[RESULT] A or B",
        "I cannot judge this.",
    ],
)
def test_no_single_overall_verdict_is_unparseable(text: str) -> None:
    assert parse_verdict(text) == "unparseable"


def _corpus(name: str) -> list[dict]:
    path = Path(__file__).parent / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("corpus", ["verdict_corpus.jsonl", "verdict_corpus_heldout.jsonl"])
def test_no_wrong_verdict_on_the_corpora(corpus: str) -> None:
    rows = _corpus(corpus)
    assert len(rows) >= 100 and len({r["format"] for r in rows}) >= 10
    wrong = [(r["id"], r["expected"], parse_verdict(r["text"])) for r in rows if parse_verdict(r["text"]) not in (r["expected"], "unparseable")]
    assert not wrong
    # Every unparseable item is read as unparseable: the parser never invents a verdict.
    assert all(parse_verdict(r["text"]) == "unparseable" for r in rows if r["expected"] == "unparseable")


def test_every_readable_verdict_of_the_development_corpus_is_read() -> None:
    rows = _corpus("verdict_corpus.jsonl")
    missed = [r["id"] for r in rows if parse_verdict(r["text"]) != r["expected"]]
    assert len(rows) >= 150 and not missed


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "{" * 5000, '{"a":' * 3000, "[{" * 3000, "[[A]] " * 5000 + "[[B]]"])
def test_hostile_outputs_are_read_quickly(text: str) -> None:
    started = time.perf_counter()
    assert parse_verdict(text) == "unparseable"
    assert time.perf_counter() - started < 2
