"""Read a pairwise judge's verdict as a careful human would: its one overall verdict, or nothing.

A wrong letter is the worst failure an auditor can make, so the parser returns ``unparseable``
whenever the text does not commit to one overall verdict. How it reads:

1. Thinking (``<think>…</think>``) is set aside; thinking that never closes means no verdict yet.
2. Every verdict statement is collected with its strength: the explicit verdict formats of the
   benchmarks (``[[A]]``, ``[[A>B]]``, ``[RESULT] B``, ``\\boxed{A}``, a JSON verdict field, "Final
   verdict: …") above labelled words ("Result:", "Choice:", "Overall:", "Winner:") above prose
   ("Response B is better", "I prefer Assistant A") above a bare final label ("B", "Output (a)").
3. Statements that restate the instructions (``"[[A]]" if assistant A is better``) or hedge ("if
   brevity mattered, [[B]] might be preferable", "A if you value brevity, B otherwise") are not
   verdicts.
4. The strongest kind present decides, and only if its statements agree.

Labels: A / B, Response|Assistant|Output|Model 1 / 2, (a) / (b), assistant_a, model_1, "the first" /
"the second"; ties: [[C]], [[A=B]], "tie", "equal", "both are equally …". "A" followed by a word in
lower case is the article ("A close call", "A tie"), not a label.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass

from judgeaudit.schema import Verdict

# ---- labels -----------------------------------------------------------------------------------------

_NAMED = r"(?:response|assistant|output|model|answer|candidate|system|option)"
# A label as judges write it: "Response B", "Assistant 1", "Output (a)", "(b)", "model_1", "assistant_a", "B".
_LABEL = (
    rf"(?:{_NAMED}[\s_]*\(?\s*(?P<named>[ab12])\s*\)?(?![\w])"
    r"|\((?P<paren>[ab])\)"
    r"|(?P<first>first|second)\s+(?:response|answer|output|one)"
    r"|(?P<bare>[B12](?![\w'])|A(?![\w'])(?!\s+(?!(?:is|was|wins|seems|appears|has|does|provides|gives|offers|"
    r"and|or|nor|vs|versus)\b)[a-z])))"
)
_TIE_WORDS = r"(?:tie|tied|draw|equal|equally\s+good|even|neither|both|same)"
_FIRST = {"a": "A", "1": "A", "first": "A", "b": "B", "2": "B", "second": "B"}


def _label_of(match: re.Match[str]) -> str | None:
    for group in ("named", "paren", "first", "bare"):
        value = match.groupdict().get(group)
        if value:
            return _FIRST.get(value.lower())
    return None


def _read_value(value: str) -> str | None:
    """A verdict value on its own ("B", "Response 2", "assistant_a", "tie", "Output (a)")."""
    value = re.sub(r"^the\s+", "", value.strip().strip("*_`'\".,;:!()[]{} "), flags=re.IGNORECASE)
    if re.fullmatch(rf"{_TIE_WORDS}|c|a\s*=\s*b|b\s*=\s*a|tie\b.*", value, re.IGNORECASE):
        return "tie"
    match = re.fullmatch(_LABEL, value, re.IGNORECASE) or re.fullmatch(rf"{_NAMED}[\s_]*([ab12])", value, re.IGNORECASE)
    if match is None:
        return None
    if match.groupdict():
        return _label_of(match)
    return _FIRST.get(match.group(1).lower())


# ---- statements -------------------------------------------------------------------------------------

EXPLICIT, LABELLED, PROSE, BARE = 3, 2, 1, 0
"""How explicit a verdict statement is: the strongest kind present decides."""


@dataclass(frozen=True)
class Statement:
    """One verdict statement found in the text."""

    verdict: str
    strength: int
    start: int


_ARENA = re.compile(r"\[\[\s*([AB])\s*(>>|>|=|<<|<)\s*([AB])\s*\]\]", re.IGNORECASE)
_BRACKETED = re.compile(r"\[\[\s*(A|B|C|tie|1|2)\s*\]\]", re.IGNORECASE)
_RESULT = re.compile(rf"\[RESULT\]\s*\(?\s*((?:{_NAMED}\s*)?(?:A|B|1|2)|tie)\b", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{\s*(?:\\text\{)?\s*([^{}]+?)\s*\}?\s*\}")
_FINAL_LABELS = r"(?:final\s+verdict|final\s+decision|final\s+judg(?:e)?ment|overall\s+verdict|my\s+verdict|verdict|decision)"
_OTHER_LABELS = (
    r"(?:result|choice|overall(?:\s+winner)?|winner|preferred(?:\s+response)?|preference|"
    r"(?:better|best)(?:\s+(?:response|output|answer|one))?|conclusion|selection|ranking|judg(?:e)?ment)"
)
_LABELLED = re.compile(
    rf"(?P<key>{_FINAL_LABELS}|{_OTHER_LABELS})[ \t]*(?:(?:here|overall|clearly)[ \t]+)?(?:is|:|-|=|—)[ \t]*[:\-]?[ \t]*"
    r"(?P<rest>[^\n]*)",
    re.IGNORECASE
)
_BETTER = (
    r"(?:is|was|seems|appears)\s+(?:clearly\s+|slightly\s+|much\s+|significantly\s+|overall\s+|the\s+)?"
    r"(?:better|superior|preferable|preferred|stronger|the\s+(?:better|winner|stronger|superior|preferred)(?:\s+\w+)?)"
    r"|wins|is\s+the\s+winner|outperforms|comes\s+out\s+ahead|edges\s+(?:it|out)"
    r"|is\s+closer\s+to\s+(?:correct|the\s+truth|right)|deserves\s+(?:the\s+|a\s+)?higher\s+score"
    r"|is\s+(?:clearly\s+|much\s+|far\s+)?more\s+(?:accurate|correct|helpful)\b(?!\s+(?:in|at|on|for|when|about|regarding)\b)"
)
_PROSE = [
    re.compile(rf"(?P<label>{_LABEL})\s*(?:'s\s+(?:response|answer|output)\s+)?(?:{_BETTER})", re.IGNORECASE),
    re.compile(
        rf"\bI(?:'d|\s+would)?\s+(?:prefer|choose|pick|select|favou?r|go\s+with)\s+(?:the\s+)?(?P<label>{_LABEL})",
        re.IGNORECASE,
    ),
]
_TIE_PROSE = re.compile(
    r"\b(?:it'?s\s+a\s+tie|(?:this|that)\s+is\s+a\s+tie|a\s+tie\b|tie\s*[.!]|"
    r"both\s+(?:responses|answers|outputs|assistants)?\s*(?:are|were)\s+equally|equally\s+(?:good|strong|helpful|correct|bad)|"
    r"neither\s+(?:response|answer|one|output)?\s*is\s+(?:clearly\s+)?better)",
    re.IGNORECASE,
)
# A verdict token quoted as part of restated instructions ('"[[A]]" if assistant A is better') or a
# legend of the labels ("Assistant A is significantly better: [[A>>B]]").
_INSTRUCTION = re.compile(
    r"""["'`“][ \t]*\[\[[^\]]*\]\][ \t]*["'`”]|\[\[[^\]]*\]\][ \t]*["'`”]?[ \t]*(?:if|for|when)\b"""
    r"""|(?m:^(?![^\n]*verdict)[^\n]*?(?:better|same|tie|equal)[^\n\[]{0,25}:[ \t]*\[\[[^\]]*\]\])"""
    r"""|(?:\be\.g\.|\bfor\s+example\b|\bexamples?\s+(?:output|answer|format|verdict)s?\b)[^\n]*""",
    re.IGNORECASE,
)
# Words that make a clause hypothetical or conditional: not a verdict.
_HEDGE = re.compile(
    r"\b(?:if|unless|otherwise|might|could|may|depending|depends|in\s+terms\s+of|at\s+first|initially|"
    r"originally|I\s+(?:first\s+)?thought)\b"
    r"|\bwould\b(?!\s+(?:prefer|choose|pick|select|go|say|rate|favou?r)\b)|\bor\b\s*$",
    re.IGNORECASE,
)
# A label followed by another, as alternatives or a split: "A or B", "Response 1 for accuracy and Response 2 ...".
_ALTERNATIVE = re.compile(rf"^[^.;!?\n]*?\b(?:or|and|/|nor)\b\s*(?:the\s+)?(?:{_LABEL})", re.IGNORECASE)
# A per-criterion line ("- accuracy: Response 1 is more accurate."): its statements are not the verdict.
_CRITERION_LINE = re.compile(r"(?m)^[ \t]*(?:[-*•][ \t]*|\d+[.)][ \t]*)?(?P<name>[A-Za-z][A-Za-z/\-]*(?:[ \t][A-Za-z/\-]+){0,2}):[ \t]+\S[^\n]*$")
_NOT_A_CRITERION = re.compile(
    rf".*(?:{_FINAL_LABELS}|{_OTHER_LABELS}|answer|feedback|explanation|reason|reasoning|evaluation|analysis|comparison|"
    r"summary|assessment|note|comment|rationale|justification).*",
    re.IGNORECASE,
)
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_OPEN_THINK = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.IGNORECASE | re.DOTALL)
_JSON_KEYS = (
    "verdict", "final_verdict", "winner", "better", "better_response", "best_response", "preferred",
    "preferred_response", "preference", "choice", "result", "decision", "final_decision", "overall",
    "overall_winner", "selection", "label",
)


_CLAUSE_END = re.compile(r"[.!?\n;:]|\b(?:but|whereas|while)\b", re.IGNORECASE)


CLAUSE_REACH = 300
"""Characters read on either side of a statement when its clause has no end nearer."""


class _Clauses:
    """Where the clauses of a text end (sentence ends, colons, "but"), to find the clause of a statement."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = [m.span() for m in _CLAUSE_END.finditer(text)]
        self.starts = [a for a, _ in self.spans]

    def around(self, start: int, end: int) -> tuple[str, str]:
        """The clause around ``text[start:end]``, and the character that ends it."""
        before = bisect.bisect_left(self.starts, start) - 1
        left = self.spans[before][1] if before >= 0 else 0
        after = bisect.bisect_left(self.starts, end)
        stop = self.starts[after] if after < len(self.starts) else len(self.text)
        reach = CLAUSE_REACH  # a run-on "clause" is read only near the statement
        return self.text[max(left, start - reach) : min(stop, end + reach)], self.text[stop : stop + 1]

    def hedged(self, start: int, end: int) -> bool:
        """Conditional, hypothetical or a question: not a verdict."""
        clause, ending = self.around(start, end)
        return ending == "?" or _HEDGE.search(clause) is not None


_JSON_START = re.compile(r"\{|\[\s*\{")
MAX_JSON_STARTS = 200
"""JSON is tried at most at this many places (objects, or lists of objects) per output."""


def _json_statements(text: str) -> list[Statement]:
    statements = []
    bodies = [(m.start(1), m.group(1)) for m in _FENCE.finditer(text)] + [(0, text)]
    for offset, body in bodies:
        for m in list(_JSON_START.finditer(body))[:MAX_JSON_STARTS]:
            verdict = _json_verdict(_decode(body[m.start() :]))
            if verdict is not None:
                statements.append(Statement(verdict, EXPLICIT, offset + m.start()))
    return statements


def _decode(text: str) -> object:
    """The JSON value (or Python literal: single quotes) that ``text`` starts with; None if none."""
    try:
        return json.JSONDecoder().raw_decode(text)[0]
    except (ValueError, RecursionError):
        pass
    depth = 0
    for end, char in enumerate(text):
        depth += char in "{[" and 1 or char in "}]" and -1 or 0
        if depth == 0:
            try:
                return ast.literal_eval(text[: end + 1])
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return None
    return None


def _json_verdict(data: object) -> str | None:
    """The verdict field of a JSON answer, or the rank-1 model of an AlpacaEval ranking."""
    if isinstance(data, list) and data and all(isinstance(x, dict) and "rank" in x for x in data):
        best = [x for x in data if x.get("rank") in (1, "1")]
        if len(best) == 2 and len(data) == 2:
            return "tie"
        return _read_value(str(best[0].get("model", ""))) if len(best) == 1 else None
    if not isinstance(data, dict):
        return None
    lowered = {str(k).lower().replace(" ", "_"): v for k, v in data.items()}
    for key in _JSON_KEYS:
        if isinstance(lowered.get(key), str):
            return _read_value(lowered[key])
    return None


def _statements(text: str) -> list[Statement]:
    found: list[Statement] = []
    clauses = _Clauses(text)
    instructions = [m.span() for m in _INSTRUCTION.finditer(text)]
    criteria = [m.span() for m in _CRITERION_LINE.finditer(text) if not _NOT_A_CRITERION.fullmatch(m.group("name"))]

    def add(verdict: str | None, strength: int, start: int, end: int) -> None:
        if verdict is None or any(a <= start < b for a, b in instructions) or clauses.hedged(start, end):
            return
        if strength < EXPLICIT and any(a <= start < b for a, b in criteria):
            return  # a per-criterion judgement, not the overall verdict
        if _ALTERNATIVE.match(text[end : end + CLAUSE_REACH]) and verdict != "tie":
            return  # "[RESULT] A or B"
        found.append(Statement(verdict, strength, start))

    for m in _ARENA.finditer(text):
        first, relation, second = m.group(1).upper(), m.group(2), m.group(3).upper()
        if first == second:
            continue
        winner = None if relation == "=" else first if relation.startswith(">") else second
        add("tie" if relation == "=" else winner, EXPLICIT, m.start(), m.end())
    for m in _BRACKETED.finditer(text):
        add(_read_value(m.group(1)), EXPLICIT, m.start(), m.end())
    for pattern in (_RESULT, _BOXED):
        for m in pattern.finditer(text):
            add(_read_value(m.group(1)), EXPLICIT, m.start(), m.end())
    found += _json_statements(text)  # a JSON verdict field stands on its own: no hedge or alternative to read
    for m in _LABELLED.finditer(text):
        strength = EXPLICIT if re.fullmatch(_FINAL_LABELS, m.group("key"), re.IGNORECASE) else LABELLED
        verdict, used = _labelled_value(m.group("rest"))
        add(verdict, strength, m.start(), m.start("rest") + used)
    for pattern in _PROSE:
        for m in pattern.finditer(text):
            label = re.match(_LABEL, m.group("label"), re.IGNORECASE)
            add(_label_of(label) if label else None, PROSE, m.start(), m.end())
    for m in _TIE_PROSE.finditer(text):
        add("tie", PROSE, m.start(), m.end())
    return found


def _labelled_value(rest: str) -> tuple[str | None, int]:
    """The verdict after "Verdict:" (its leading label, or a tie) and where it ends in ``rest``."""
    tie = re.match(rf"[*_`\s]*(?:it'?s\s+)?(?:a\s+)?{_TIE_WORDS}\b", rest, re.IGNORECASE)
    if tie:
        return "tie", tie.end()
    label = re.match(rf"[*_`\s]*(?:the\s+)?(?:{_LABEL})", rest, re.IGNORECASE)
    if label and _label_of(label) and not _ALTERNATIVE.match(rest[label.end() :]):
        return _label_of(label), label.end()
    return None, 0  # "A close call, but Response B ...": the prose after it decides; "1 for X and 2 for Y": split


def _bare(text: str) -> list[Statement]:
    """A bare label as the whole answer, its last line, or its first line (JudgeLM/PandaLM style)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return []
    statements = []
    first = lines[0]
    scores = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[, ]\s*(\d+(?:\.\d+)?)", first)
    if scores:  # JudgeLM: "8 6" then the explanation
        a, b = float(scores.group(1)), float(scores.group(2))
        # As strong as prose: an explanation that contradicts the scores leaves no verdict.
        statements.append(Statement("A" if a > b else "B" if b > a else "tie", PROSE, 0))
    for line in {first, lines[-1]}:
        line = re.sub(r"^(?:final\s+)?answer\s*:\s*", "", line, flags=re.IGNORECASE)  # "Answer: B" as the last line
        head = re.match(r"^[*_\"'`(\[\s]*(.+?)[*_\"'`)\].!\s]*$", line)
        if head and (verdict := _read_value(head.group(1))) is not None:
            statements.append(Statement(verdict, BARE, text.find(line)))
        lead = re.match(r"^[*_\s]*(A|B)[*_]*\s*[.:)\-—]\s+\S", line)  # "A. Response A is more accurate ..."
        if lead and line == first:
            statements.append(Statement(lead.group(1).upper(), BARE, 0))
        named = re.match(rf"^[*_\s]*(?:{_NAMED})[\s_]*\(?([ab12])\)?\s*[,;—-]", line, re.IGNORECASE)  # "Response A, but only barely."
        if named and not _ALTERNATIVE.match(line[named.end() :]):
            statements.append(Statement(_FIRST[named.group(1).lower()], BARE, text.find(line)))
    return statements


def parse_verdict(text: str) -> Verdict:
    """The one overall verdict in ``text``: A, B, tie, or unparseable (see the module docstring)."""
    if not text or not text.strip():
        return "unparseable"
    visible = _THINK.sub(" ", text)
    if _OPEN_THINK.search(visible):
        visible = visible[: _OPEN_THINK.search(visible).start()]  # thinking that never closed
    visible = visible.replace("**", "").replace("__", "")
    statements = _statements(visible) + _bare(visible)
    if not statements:
        return "unparseable"
    strongest = max(s.strength for s in statements)
    verdicts = {s.verdict for s in statements if s.strength == strongest}
    if len(verdicts) != 1:
        return "unparseable"
    return verdicts.pop()  # type: ignore[return-value]


# ---- pointwise scores ---------------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_SCORE_FORMS = (
    re.compile(rf"\[\[\s*{_NUMBER}\s*\]\]"),  # Rating: [[7]] (MT-Bench single grading)
    re.compile(rf"\[RESULT\]\s*{_NUMBER}\b", re.IGNORECASE),  # Prometheus absolute grading
    re.compile(rf"\\boxed\{{\s*{_NUMBER}\s*\}}"),
    re.compile(rf"\b(?:final\s+)?(?:rating|score|grade)\s*(?:is|:|=|-)\s*{_NUMBER}(?:\s*/\s*\d+)?", re.IGNORECASE),
)


def parse_score(text: str, low: float = 1, high: float = 10) -> float | None:
    """The one rating in ``text`` on the scale ``low``..``high``, or None.

    Explicit forms first ("Rating: [[7]]", "[RESULT] 4", "\\boxed{7}", "Score: 7/10"), else a bare number
    as the whole answer or its last line. Thinking is set aside; ratings that disagree, or lie off the
    scale, give None: a wrong score is worse than none.
    """
    if not text or not text.strip():
        return None
    visible = _THINK.sub(" ", text)
    if (opened := _OPEN_THINK.search(visible)) is not None:
        visible = visible[: opened.start()]
    visible = visible.replace("**", "")
    for form in _SCORE_FORMS:
        found = {float(value) for value in form.findall(visible)}
        if found:
            return _on_scale(found, low, high)
    lines = [line.strip() for line in visible.strip().splitlines() if line.strip()]
    bare = re.fullmatch(rf"{_NUMBER}(?:\s*/\s*\d+)?[.!]?", lines[-1]) if lines else None
    return _on_scale({float(bare.group(1))}, low, high) if bare else None


def _on_scale(found: set[float], low: float, high: float) -> float | None:
    if len(found) != 1:
        return None
    (value,) = found
    return value if low <= value <= high else None
