"""Where a verdict sits among the lines of an output: legends and lists of labels (restated
instructions), per-criterion lines, headings, the line under a heading, and a bare label as the whole
answer or its first or last line (JudgeLM, PandaLM, LLMBar)."""

from __future__ import annotations

import re

from judgeaudit.prompts.verdict_labels import BARE, FIRST, NAMED, PROSE, Statement, read_value, score_pair
from judgeaudit.prompts.verdict_phrases import ALTERNATIVE

Span = tuple[int, int]

_TOKEN = r"\[\[[^\[\]\n]{1,24}\]\]"
# A token quoted as part of restated instructions ('"[[A]]" if assistant A is better'), a list of the
# labels ('"[[A]]", "[[B]]" or "[[C]]"'), or an example.
_INSTRUCTION = re.compile(
    rf"""{_TOKEN}[ \t]*["'`”]?[ \t]*(?:if|for|when)\b"""
    rf"""|{_TOKEN}(?:(?:[ \t,;/"'`“”‘’]|\bor\b|\band\b)+{_TOKEN})+"""
    r"""|(?:\be\.g\.|\bfor\s+example\b|\bexamples?\s+(?:output|answer|format|verdict)s?\b)[^\n]*"""
    # a scale legend: "-1.0 = strong preference for model A, 0 = no preference, 1.0 = … model B"
    r"""|(?:[-+]?\d+(?:\.\d+)?\s*[=:]\s*[^,;=\n]+[,;]?\s*){2,}""",
    re.IGNORECASE,
)
# One line of a legend: "2. Assistant A is slightly better: [[A>B]]" or "[[A>B]]: Assistant A is slightly better".
_LEGEND_LINE = re.compile(
    rf"""[ \t]*(?:[-*•][ \t]*|\d+[.)][ \t]*)?(?:(?P<desc>[^\n\[]{{1,80}}?)[ \t]*[:=—–-][ \t]*["'`“]?(?P<token>{_TOKEN})["'`”]?[ \t.,;]*"""
    rf"""|["'`“]?(?P<token2>{_TOKEN})["'`”]?[ \t]*[:=—–-][ \t]*[^\n]+)""",
)
_VERDICT_WORDS = re.compile(r"verdict|final|overall|decision|winner|conclusion|judg(?:e)?ment", re.IGNORECASE)


def instruction_spans(text: str) -> list[Span]:
    """Restated instructions: their verdict tokens are not verdicts.

    A legend is a run of label lines ("desc: [[X]]") with two labels or more; a blank line ends it,
    and so does a line that repeats a label of the run (that line is the pick, not the legend).
    """
    spans = [m.span() for m in _INSTRUCTION.finditer(text)]
    group: dict[str, Span] = {}
    offset = 0
    for line in text.splitlines(keepends=True) + [""]:
        legend = _LEGEND_LINE.fullmatch(line.rstrip("\r\n"))
        token = (legend.group("token") or legend.group("token2")).replace(" ", "").upper() if legend else None
        if legend is None or token is None or token in group or _VERDICT_WORDS.search(legend.group("desc") or ""):
            if len(group) >= 2:
                spans += group.values()  # several labels listed: a legend
            group = {}
        else:
            group[token] = (offset, offset + len(line))
        offset += len(line)
    return spans


# A per-criterion line ("- accuracy: Response 1 is more accurate.", "2. Clarity – B"): its statements are not the verdict.
_CRITERION_LINE = re.compile(
    r"(?m)^[ \t]*(?:[-*•][ \t]*|\d+[.)][ \t]*)?(?P<name>[A-Za-z][A-Za-z/\-]*(?:[ \t][A-Za-z/\-]+){0,2})"
    r"(?::[ \t]+|[ \t]+[–—-][ \t]+)\S[^\n]*$"
)
# A criterion heading ("**Accuracy**", "### Clarity") over the lines that judge it, up to a blank line.
_CRITERION_SECTION = re.compile(
    r"(?m)^[ \t]*(?:#{1,6}[ \t]*|\d+[.)][ \t]*)?(?P<name>[A-Za-z][A-Za-z/\-]*(?:[ \t][A-Za-z/\-]+){0,2})[ \t]*:?[ \t]*\n"
    r"(?:[ \t]*\S[^\n]*(?:\n|$))+"
)
_NOT_A_CRITERION = re.compile(
    r".*(?:verdict|decision|judg(?:e)?ment|result|choice|overall|final|winner|prefer|better|best|conclu|selection|ranking|"
    r"answer|feedback|explanation|reason|reasoning|evaluation|analysis|comparison|summary|assessment|note|comment|"
    r"rationale|justification|score|rating|thought|recommend).*",
    re.IGNORECASE,
)


def criterion_spans(text: str) -> list[Span]:
    """Lines that judge one criterion ("Accuracy: A", a section under "**Clarity**"), not the whole."""
    lines = [m for m in _CRITERION_LINE.finditer(text) if not _NOT_A_CRITERION.fullmatch(m.group("name"))]
    sections = [m for m in _CRITERION_SECTION.finditer(text) if not _NOT_A_CRITERION.fullmatch(m.group("name"))]
    return [m.span() for m in lines] + [m.span() for m in sections if read_value(m.group("name")) is None]


_RULE = re.compile(r"[ \t]*(?:[-*_=#~][ \t]*)*\r?\n")
_LIST_MARK = re.compile(r"[ \t]*(?:[-*•>]|\d+[.)])[ \t]+")


def line_below(text: str, end: int) -> tuple[int, str] | None:
    """The first line with words after position ``end`` (under a heading), without its list mark."""
    position = text.find("\n", end)
    if position < 0:
        return None
    position += 1
    while (rule := _RULE.match(text, position)) is not None:
        position = rule.end()  # blank lines and "---"
    line = text[position:].split("\n", 1)[0]
    mark = _LIST_MARK.match(line)
    start = position + (mark.end() if mark else 0)
    return (start, text[start : position + len(line)]) if line.strip() else None


# ---- a bare label as a line -------------------------------------------------------------------------

_HEADING = re.compile(r"^\s*#{1,6}\s|:\s*$")
# The line above announces what follows ("Let me evaluate each response.", "Analysis:"): a label under
# it heads a section, it is not a verdict.
_ANNOUNCE = re.compile(r"\blet(?:'s|\s+me|\s+us)\b|\bI(?:'ll|\s+will|\s+am\s+going\s+to|\s+shall)\b|(?<!answer):\s*$", re.IGNORECASE)
# "Assistant 1: 7", "Assistant 2 score: 9/10": a score with its label.
_LABELLED_SCORE = re.compile(
    rf"(?:{NAMED})[\s_]*\(?([ab12])\)?\s*(?:'s\s+)?(?:score|rating)?\s*[:=\-]\s*(\d+(?:\.\d+)?)(?:\s*/\s*\d+)?\.?",
    re.IGNORECASE,
)
_RATING = re.compile(r"[*_\"'`\s]*\[+\s*\d+(?:\.\d+)?\s*\]+[*_\"'`.!\s]*")
"""A number in brackets: a rating ("[[7]]"), not a label, as a line of its own."""
_SCORES = re.compile(r"(?:scores?\s*:\s*)?[\"'`“\[(]*(\d+(?:\.\d+)?)\s*[, ]\s*(\d+(?:\.\d+)?)[\"'`”\])]*", re.IGNORECASE)


def bare_statements(text: str) -> list[Statement]:
    """A bare label as the whole answer, its last line, or its first line (JudgeLM/PandaLM style)."""
    marked = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not marked:
        return []
    lines = [line.replace("**", "").replace("__", "") for line in marked]
    statements = _scores(lines)
    for index in {0, len(lines) - 1}:
        line = lines[index]
        if _HEADING.search(line) or _is_section_heading(lines, index, marked[index]):
            continue
        start = text.find(line)
        line = re.sub(r"^(?:(?:my|the)\s+)?(?:final\s+)?answer\s*:\s*", "", line, flags=re.IGNORECASE)  # "Answer: B" as the last line
        head = re.match(r"^[*_\"'`(\[\s]*(.+?)[*_\"'`)\].!\s]*$", line)
        if head and (verdict := read_value(head.group(1))) is not None and not _RATING.fullmatch(line):
            statements.append(Statement(verdict, BARE, start, start + len(line)))
        lead = re.match(r"^[*_\s]*(A|B)[*_]*\s*[.:)\-—]\s+\S", line)  # "A. Response A is more accurate ..."
        if lead and index == 0:
            statements.append(Statement(lead.group(1).upper(), BARE, 0, lead.end()))
        named = re.match(rf"^[*_\s]*(?:{NAMED})[\s_]*\(?([ab12])\)?\s*[,;—-]", line, re.IGNORECASE)  # "Response A, but only barely."
        if named and not ALTERNATIVE.match(line[named.end() :]):
            statements.append(Statement(FIRST[named.group(1).lower()], BARE, start, start + named.end()))
    return statements


def _scores(lines: list[str]) -> list[Statement]:
    """JudgeLM's scores: "8 6" as the first line, or "Assistant 1: 7" / "Assistant 2: 9" as the first or
    last two. As strong as prose: an explanation that contradicts the scores leaves no verdict."""
    content = [line for line in lines if not _HEADING.search(line)]
    statements = []
    if content and (pair := _SCORES.fullmatch(content[0])) is not None:
        statements.append(Statement(score_pair(*pair.groups()), PROSE, 0, 0))
    for two in (content[:2], content[-2:]):
        scored = [m for m in map(_LABELLED_SCORE.fullmatch, two) if m]
        if len(scored) == 2 and {FIRST[m.group(1).lower()] for m in scored} == {"A", "B"}:
            first, second = sorted(scored, key=lambda m: FIRST[m.group(1).lower()])
            statements.append(Statement(score_pair(first.group(2), second.group(2)), PROSE, 0, 0))
    return statements


def _is_section_heading(lines: list[str], index: int, marked: str) -> bool:
    """A label line that opens a section: one of several label headings, a bold label over more lines,
    or a last line cut off right after an announcement ("Let me evaluate each response.")."""
    own = read_value(lines[index])
    if own in ("A", "B") and any(read_value(line) not in (None, own) for i, line in enumerate(lines) if i != index):
        return True  # "**Assistant A**" … "**Assistant B**": section headings
    if index == 0 and len(lines) > 1:
        bold = re.fullmatch(r"(\*\*|__).+\1:?", marked) is not None and re.match(NAMED, lines[0], re.IGNORECASE) is not None
        return own in ("A", "B") and bold
    return index > 0 and _ANNOUNCE.search(lines[index - 1]) is not None
