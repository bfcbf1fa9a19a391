"""The verdict parser reads the final explicit verdict, never the first letter seen."""

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
