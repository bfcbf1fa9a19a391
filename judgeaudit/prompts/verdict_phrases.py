"""The phrases of a verdict: "is better" (and what limits it to one respect), a conclusion ("…, so B"),
alternatives and negations around a label, and the verdict a line gives after "Verdict:"."""

from __future__ import annotations

import re

from judgeaudit.prompts.verdict_labels import ANY_LABEL, LABEL, RELATION, label_of, relation, score_pair

BETTER = (
    r"(?:is|was|seems|appears)\s+(?:clearly\s+|slightly\s+|much\s+|significantly\s+|overall\s+|the\s+)?"
    r"(?:better|superior|preferable|preferred|stronger|the\s+(?:better|winner|stronger|superior|preferred)(?:\s+\w+)?)"
    r"|wins|is\s+the\s+winner|outperforms|comes\s+out\s+ahead|edges\s+(?:it|out)"
    r"|(?:performs|performed|does|did|fares|fared)\s+(?:clearly\s+|slightly\s+|much\s+|significantly\s+)?better"
    r"|(?:does|did)\s+(?:a\s+)?(?:clearly\s+|much\s+|far\s+)?better\s+job"
    r"|is\s+closer\s+to\s+(?:correct|the\s+truth|right)|deserves\s+(?:the\s+|a\s+)?higher\s+score"
    r"|is\s+(?:clearly\s+|much\s+|far\s+)?more\s+(?:accurate|correct|helpful)\b(?!\s+(?:in|at|on|for|when|about|regarding)\b)"
)
"""What a judge says of the winner: "is better", "wins", "is the stronger answer"."""
_STYLE = r"(?:\s+\w+)?\s+(?:written|formatted|organi[sz]ed|structured|presented|worded|phrased)\b"
_RESPECT = (
    r"(?:\s+\w+)?,?\s+(?:(?:for|in|at|on|of|regarding|with)\s+(?!(?:this|these|that|the\s+(?:user|question|task|prompt|"
    r"request|given|context|purpose|end|two)|every|all|both|most|general|balance|sum|short|my|its|their|being|nearly|"
    r"almost|virtually|answering|addressing|following|meeting|solving)\b)|as\s+an?\s)"  # "better as a quick reference"
)
QUALIFIED = re.compile(rf"(?P<style>{_STYLE})|{_RESPECT}", re.IGNORECASE)
"""What limits "is better" to one respect: in form ("written"), or for some ("for beginners", "on style")."""
_OVERALL_BETTER = rf"(?:{BETTER})(?!{_STYLE})(?!{_RESPECT})"

_SKIP = r"[*_`\s\"'“”‘’\[(]*"
# What may follow a label that is the value itself: "B.", "B — because …", "Response 2 (more accurate)";
# never a possessive ("Assistant A's answer contains an error" is about A, not a verdict for it).
_ENDS_VALUE = r"(?=[ \t]*(?:$|[.!;,:)\]}(—–\-\"”`*_]|['’](?!s\b)|[ \t]+(?:because|since|as|due|given)\b))"
_ENDS_CONCLUSION = rf"(?:{_ENDS_VALUE}|(?=\s+(?:{_OVERALL_BETTER})|\s+the\s+winner))"
_LEAD_TIE = re.compile(
    rf"{_SKIP}(?:that\s+)?(?:it'?s\s+)?(?:a\s+)?(?:tie|tied|draw|equal|even|neither|same)\b"
    rf"|{_SKIP}(?:that\s+)?both\b(?=[^.\n]*\b(?:equal|equally|same|tie|tied|equivalent)\b)",
    re.IGNORECASE,
)
_LEADRELATION = re.compile(rf"{_SKIP}\[?\s*{RELATION.pattern}\s*\]?", re.IGNORECASE)
_SCORE_PAIR = re.compile(rf"{_SKIP}(\d+(?:\.\d+)?)\s*[, ]\s*(\d+(?:\.\d+)?)[\"'”’`*_)\]\s.]*")
_LEAD_LABEL = re.compile(rf"{_SKIP}(?:the\s+)?(?P<label>{LABEL}){_ENDS_VALUE}", re.IGNORECASE)
CONCLUSION = re.compile(
    rf"\b(?:so|thus|therefore|hence|ultimately|overall|in\s+conclusion|all\s+things\s+considered|making|which\s+makes)\b"
    rf"[\s,:]*(?:the\s+(?:winner|better\s+(?:one|response|answer|output))\s+is\s+|I\s+(?:pick|choose|prefer|go\s+with|select)\s+)?"
    rf"(?:the\s+)?(?P<label>{LABEL}){_ENDS_CONCLUSION}",
    re.IGNORECASE,
)
"""A conclusion naming the winner: "…, so B.", "therefore Response 2", "making A the winner"."""
PROSE_BETTER = re.compile(rf"(?P<label>{LABEL})\s*(?:['’]s\s+(?:response|answer|output)\s+)?(?:{BETTER})", re.IGNORECASE)
"""A label said to be better: "Response B is better", "Assistant A's answer is superior", "B wins"."""
ALTERNATIVE = re.compile(
    rf"^[^.;!?\n]*?\b(?:or|and|/|nor)\b\s*(?:the\s+)?(?:{ANY_LABEL})"
    rf"|^[^.;!?\n]*?(?:,|\b(?:but|while|whereas)\b)\s*(?:the\s+)?(?:{ANY_LABEL})\s+(?:for|on|in|at|when|if|with|regarding)\b",
    re.IGNORECASE,
)
"""After a label, another as an alternative or a split: "A or B", "A for speed, B for accuracy"."""
NOT_CHOSEN = re.compile(
    rf"(?:(?:{ANY_LABEL}|tie)\s*(?:/|\bor\b)\s*|\b(?:neither|nor|not|no)\s+(?:the\s+)?|"
    r"(?:\bnot|n't|\bnever|\bhardly)\s+(?:think|believe|feel|agree|say|claim|true|the\s+case|clear|obvious|sure|certain|"
    r"convinced)\s+(?:that\s+)?)$",
    re.IGNORECASE,
)
"""Before a label, what makes it no choice: an alternative ("A / B / Tie"), or a negation ("neither A nor
B is superior", "I don't think B is better", "it is not true that A is better")."""


def read_after_key(rest: str) -> tuple[str | None, int, int]:
    """The verdict a line gives after "Verdict:", with its span in ``rest``.

    The last winner the line concludes with ("A is more detailed, but B is correct, so B"), else its
    leading value ("B — A misses the edge case", "tie"), else the agreeing "X is better" in it, none of
    them limited to one respect ("A is better for beginners").
    """
    conclusions = [m for m in CONCLUSION.finditer(rest) if label_of(m)]
    if conclusions:
        last = conclusions[-1]
        return _unless_alternative(rest, label_of(last), last.start("label"), last.end())
    prose = list(PROSE_BETTER.finditer(rest))
    if (tie := _LEAD_TIE.match(rest)) is not None and not prose:
        return "tie", 0, tie.end()
    if (scores := _SCORE_PAIR.fullmatch(rest)) is not None:  # JudgeLM under a heading: "8 6"
        return score_pair(*scores.groups()), 0, len(rest)
    if (arena := _LEADRELATION.match(rest)) is not None:
        return relation(*arena.groups()), 0, arena.end()
    if (lead := _LEAD_LABEL.match(rest)) is not None:
        return _unless_alternative(rest, label_of(lead), lead.start("label"), lead.end())
    if prose and len({label_of(m) for m in prose}) == 1 and not any(QUALIFIED.match(rest, m.end()) for m in prose):
        return _unless_alternative(rest, label_of(prose[-1]), prose[-1].start(), prose[-1].end())
    return None, 0, 0


def _unless_alternative(rest: str, verdict: str | None, start: int, end: int) -> tuple[str | None, int, int]:
    if verdict is None or ALTERNATIVE.match(rest[end:]):
        return None, 0, 0
    return verdict, start, end
