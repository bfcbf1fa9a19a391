"""The labels of a pairwise verdict and the values that name one, and the record of a verdict statement.

Labels: A / B, Response|Assistant|Output|Model 1 / 2, (a) / (b), assistant_a, model_1, "the first" /
"the second"; ties: [[C]], [[A=B]], "tie", "equal", "both are equally …". "A" followed by a word in
lower case is the article ("A close call", "A tie"), not a label; a number with decimals ("1.0") is a
number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXPLICIT, LABELLED, PROSE, BARE = 3, 2, 1, 0
"""How explicit a verdict statement is: the strongest kind present decides."""


@dataclass(frozen=True)
class Statement:
    """One verdict statement found in the text, and where."""

    verdict: str
    strength: int
    start: int
    end: int


NAMED = r"(?:response|assistant|output|model|answer|candidate|system|option)"
# A label as judges write it: "Response B", "Assistant 1", "Output (a)", "(b)", "model_1", "assistant_a", "B".
LABEL = (
    rf"(?:{NAMED}[\s_]*\(?\s*(?P<named>[ab12])\s*\)?(?![\w])(?![.,]\d)"
    r"|\((?P<paren>[ab])\)"
    r"|(?P<first>first|second)\s+(?:response|answer|output|one)"
    r"|(?<![\w'])(?P<bare>[B12](?![\w'])(?![.,]\d)|A(?![\w'])(?!\s+(?!(?:is|was|wins|seems|appears|has|provides|"
    r"gives|offers|did|does|performs|performed|fares|fared|gets|got|answers|answered|follows|followed|handles|handled|"
    r"and|or|nor|vs|versus|for|on|in|at|with|if|when|because|since|but|than|over|though|while|whereas)\b)"
    r"[a-z])))"
)
ANY_LABEL = re.sub(r"\?P<\w+>", "", LABEL)
"""``LABEL`` without its named groups, to use more than once in a pattern."""
TIE_WORDS = r"(?:tie|tied|draw|equal|equally\s+good|even|neither|both|same)"
FIRST = {"a": "A", "1": "A", "first": "A", "b": "B", "2": "B", "second": "B"}

RELATION = re.compile(r"(?<![\w])([AB])\s*(>>|>|=|<<|<)\s*([AB])(?![\w])", re.IGNORECASE)
"""An Arena-Hard relation: A>>B, A>B, A=B, B>A."""


def label_of(match: re.Match[str]) -> str | None:
    """A or B for a match of ``LABEL``."""
    for group in ("named", "paren", "first", "bare"):
        value = match.groupdict().get(group)
        if value:
            return FIRST.get(value.lower())
    return None


def relation(first: str, sign: str, second: str) -> str | None:
    """The verdict of an Arena-Hard relation: A>>B, A>B, A=B, B>A, A<B."""
    first, second = first.upper(), second.upper()
    if first == second:
        return None
    if sign == "=":
        return "tie"
    return first if sign.startswith(">") else second


def score_pair(first: str, second: str) -> str:
    """The verdict of a JudgeLM score pair: the response with the higher score."""
    a, b = float(first), float(second)
    return "A" if a > b else "B" if b > a else "tie"


def is_number(value: str) -> bool:
    """A number ("1", "1.0", "2/10"): a preference or score, not a label, unless the prompt made it one."""
    return re.fullmatch(r"[\s\"'`*_(\[]*\d+(?:\.\d+)?(?:\s*/\s*\d+)?[\s\"'`*_)\].]*", value) is not None


def number_label(value: str) -> str | None:
    """A or B for 1 or 2 ("2.0"), where the prompt asked for the verdict as a number."""
    match = re.fullmatch(r"[\s\"'`*_(\[]*([12])(?:\.0+)?[\s\"'`*_)\].]*", value)
    return FIRST[match.group(1)] if match else None


def read_value(value: str) -> str | None:
    """A verdict value on its own ("B", "Response 2", "assistant_a", "tie", "Output (a)", "A>B")."""
    value = re.sub(r"^the\s+", "", value.strip().strip("*_`'\"“”‘’.,;:!()[]{} "), flags=re.IGNORECASE)
    if value in ("m", "M"):  # AlpacaEval's identifiers: m is the first output, M the second
        return "A" if value == "m" else "B"
    if re.fullmatch(rf"{TIE_WORDS}|c|a\s*=\s*b|b\s*=\s*a|tie\b.*", value, re.IGNORECASE):
        return "tie"
    if (arena := RELATION.fullmatch(value)) is not None:
        return relation(*arena.groups())
    match = re.fullmatch(LABEL, value, re.IGNORECASE) or re.fullmatch(rf"{NAMED}[\s_]*([ab12])", value, re.IGNORECASE)
    if match is None:
        return None
    if match.groupdict():
        return label_of(match)
    return FIRST.get(match.group(1).lower())
