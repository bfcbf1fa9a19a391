"""Read a pairwise judge's verdict as a careful human would: its one overall verdict, or nothing.

A wrong letter is the worst failure an auditor can make, so the parser returns ``unparseable``
whenever the text does not commit to one overall verdict. How it reads:

1. Thinking (``<think>…</think>``) is set aside; thinking that never closes means no verdict yet.
   Full-width forms are folded (NFKC) and Chinese verdict cues are read as their English
   (``verdict_chinese``). Code is masked (``verdict_code``): ``np.array([[1], [2]])`` or a Lua
   ``[[A]]`` is no verdict; only the JSON reader reads inside it.
2. Every verdict statement is collected with its strength: the explicit verdict formats of the
   benchmarks (``[[A]]``, ``[[A>B]]``, an unclosed ``[[B]``, ``[RESULT] B``, ``\\boxed{A}``, a JSON
   verdict field, "Final verdict: …" — also with the value on the line under the heading) above
   labelled words ("Result:", "Choice:", "Overall:", "Winner:") above prose ("Response B is better",
   "I prefer Assistant A", "…, so B") above a bare final label ("B", "Output (a)"). After a key, the
   winner the line concludes with counts ("A is more detailed, but B is correct, so B").
3. Statements that restate the instructions (``"[[A]]" if assistant A is better``, a legend listing
   several labels), hedge ("if brevity mattered, [[B]] might be preferable"), split ("A for speed, B for
   accuracy"), judge one criterion, or head a section are not verdicts (a reason given after one,
   "[[B>A]] because it would help more", is no hedge); a conditional statement for one label voids
   a plain one for the other in the same sentence ("A is better if you want brevity; B is better for
   depth").
4. The strongest kind present decides, and only if its statements agree.

Numbers are labels only where the prompt made them so (``numbers_are_labels``): a solution's
``\\boxed{1}``, a ``[[1]]`` or "preference: 1.0" is not a verdict for the first response.
"""

from __future__ import annotations

import re
import unicodedata

from judgeaudit.prompts.verdict_chinese import to_english
from judgeaudit.prompts.verdict_clauses import CLAUSE_REACH, Clauses, void_splits
from judgeaudit.prompts.verdict_code import mask_code
from judgeaudit.prompts.verdict_json import json_statements, key_spans
from judgeaudit.prompts.verdict_labels import (
    EXPLICIT,
    LABEL,
    LABELLED,
    NAMED,
    PROSE,
    Statement,
    is_number,
    label_of,
    number_label,
    read_value,
    relation,
)
from judgeaudit.prompts.verdict_layout import bare_statements, criterion_spans, instruction_spans, line_below
from judgeaudit.prompts.verdict_phrases import (
    ALTERNATIVE,
    BETTER,
    CONCLUSION,
    NOT_CHOSEN,
    PROSE_BETTER,
    QUALIFIED,
    read_after_key,
)
from judgeaudit.schema import Verdict

_ARENA = re.compile(r"\[\[\s*([AB])\s*(>>|>|=|<<|<)\s*([AB])\s*\]\]?", re.IGNORECASE)
_BRACKETED = re.compile(r"\[\[\s*([^\[\]\n]{1,24}?)\s*\]\]?")
_RESULT = re.compile(
    rf"\[RESULT\][\s:]*[\"'“(\[]*\s*((?:{NAMED}\s*)?\(?(?:A|B|1|2)\)?|tie)(?![\w])(?![.,]\d)", re.IGNORECASE
)
_BOXED = re.compile(r"\\boxed\{\s*(?:\\text(?:bf)?\{)?\s*([^{}]+?)\s*\}?\s*\}")
_FINAL_LABELS = (
    r"(?:final\s+verdict|final\s+decision|final\s+judg(?:e)?ment|overall\s+verdict|my\s+verdict|verdict|decision"
    r"|final(?:\s+(?:pick|choice|call|word|result))?)"
)
_OTHER_LABELS = (
    r"(?:result|choice|overall(?:\s+winner)?|winner|preferred(?:\s+response)?|preference|score|"
    r"(?:better|best)(?:\s+(?:response|output|answer|one))?|conclusion|selection|ranking|judg(?:e)?ment)"
)
_LABELLED = re.compile(
    rf"(?P<key>{_FINAL_LABELS}|{_OTHER_LABELS})[ \t]*(?:(?:here|overall|clearly)[ \t]+)?(?:is|:|-|=|—|–)[ \t]*[:\-]?[ \t]*"
    r"(?=(?P<rest>[^\n]*))",  # a lookahead: a key inside the value ("Verdict: the final decision is B") is read too
    re.IGNORECASE,
)
# A heading with nothing after it: "## Final Verdict", "**My final verdict is:**" — the verdict is on a line below.
_KEY_LINE = re.compile(
    rf"(?im)^[ \t#>]*(?:\d+[.)][ \t]*)?(?:(?:my|the|our)[ \t]+)?(?P<key>{_FINAL_LABELS}|{_OTHER_LABELS})[ \t]*"
    r"(?:is)?[ \t]*[:.\-—–]?[ \t]*(?P<rest>)$"
)
# A verdict key right before an inline code span: "My final verdict is `[[B>A]]`" formats the verdict as code.
_KEY_BEFORE = re.compile(rf"\b{_FINAL_LABELS}[ \t]*(?:is|:|-|=|—|–)?[ \t*_:\"'“]*$", re.IGNORECASE)
# "I select one at random: Output (a)": a choice set after a colon, read like "Choice: …".
_CHOOSE = re.compile(
    r"\bI(?:'d|\s+would|'ll|\s+will)?\s+(?:choose|pick|select|go\s+with)\b[^.\n:]{0,40}:[ \t]*(?=(?P<rest>[^\n]*))", re.IGNORECASE
)
# "The second one follows the instruction, so it wins": "it" is the one response its sentence names.
_IT_WINS = re.compile(rf"\b(?:so|thus|therefore|hence)\s*,?\s+it\s+(?:{BETTER})", re.IGNORECASE)
# A verdict that says it replaces what came before: "My corrected verdict is [[B]]", "Correction: …".
_CORRECTION = re.compile(
    r"\b(?:corrected|revised|updated|amended|changed)\s+(?:final\s+)?(?:verdict|decision|judg(?:e)?ment)\b|^[ \t]*correction\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_EMPTY_VALUE = re.compile(r"[\s*_`\"'“”:.\-—–]*(?:(?:clearly|definitely|simply|as\s+follows)[\s:.]*)?")
_NUMERIC_KEY = re.compile(r"preference|score", re.IGNORECASE)
_PROSE = [
    re.compile(
        rf"\bI(?:'d|\s+would)?\s+(?:prefer|choose|pick|select|favou?r|go\s+with)\s+(?:the\s+)?(?P<label>{LABEL})",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:preference\s+(?:is\s+)?for|in\s+favou?r\s+of|goes\s+to)\s+(?:the\s+)?(?P<label>{LABEL})", re.IGNORECASE
    ),
    CONCLUSION,
]
_TIE_PROSE = re.compile(
    r"\b(?:it'?s\s+a\s+tie|(?:this|that)\s+is\s+a\s+tie|a\s+tie\b|tie\s*[.!]|"
    r"both\s+(?:responses|answers|outputs|assistants)?\s*(?:are|were)\s+(?:equally|tied\b|equivalent\b)|"
    r"equally\s+(?:good|strong|helpful|correct|bad)|no\s+(?:clear\s+)?preference\b|"
    r"neither\b[^.\n]{0,40}?\b(?:is|was)\s+(?:clearly\s+|really\s+|significantly\s+)?(?:better|superior|stronger|preferable))",
    re.IGNORECASE,
)
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_OPEN_THINK = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)


class _Reader:
    """Collects the verdict statements of one text, leaving out those that are no verdict."""

    def __init__(self, text: str, numbers_are_labels: bool) -> None:
        self.source, self.numbers_are_labels = text, numbers_are_labels
        self.text = text = mask_code(text, _KEY_BEFORE)  # code is no verdict (nor hedge); JSON reads the source
        self.clauses = Clauses(text)
        self.instructions = instruction_spans(text) + key_spans(text)
        self.criteria = criterion_spans(text)
        self.found: list[Statement] = []
        self.conditional: list[Statement] = []  # hedged or split: no verdict, but it contests its sentence

    def statements(self) -> list[Statement]:
        """Every verdict statement, explicit to prose; an explicit correction replaces what came before."""
        self._explicit()
        self._labelled()
        self._prose()
        found = void_splits(self.found, self.conditional, self.clauses)
        if (correction := _last(_CORRECTION, self.text)) is not None and any(s.start >= correction for s in found):
            found = [s for s in found if s.start >= correction]
        return found

    def add(self, verdict: str | None, strength: int, *spans: tuple[int, int]) -> None:
        """Keep a statement unless it restates the instructions, is no choice, is hedged, judges one
        criterion, or is one of alternatives."""
        text, start, end = self.text, spans[0][0], spans[-1][1]
        if verdict is None or any(a <= s < b for s, _ in spans for a, b in self.instructions):
            return
        if any(NOT_CHOSEN.search(text, max(0, s - 80, text.rfind("\n", 0, s) + 1), s) for s, _ in spans):
            return  # "Response 1 / Response 2 / Tie", "neither A nor B is superior"
        reason = self.clauses.reason(end)  # "[[B>A]] because it would help more": a reason, no hedge
        hedges = {self.clauses.hedge(s, e, reason) for s, e in spans}
        if "revised" in hedges:
            return
        if "conditional" in hedges:
            self.conditional.append(Statement(verdict, strength, start, end))
            return
        if strength < EXPLICIT and any(a <= start < b for a, b in self.criteria):
            return  # a per-criterion judgement, not the overall verdict
        if ALTERNATIVE.match(text[end : end + CLAUSE_REACH]) and verdict != "tie":
            return  # "[RESULT] A or B", "A for speed, B for accuracy"
        self.found.append(Statement(verdict, strength, start, end))

    def _explicit(self) -> None:
        for m in _ARENA.finditer(self.text):
            self.add(relation(*m.groups()), EXPLICIT, m.span())
        for m in _BRACKETED.finditer(self.text):
            value = m.group(1)
            self.add(self._number(value) if is_number(value) else read_value(value), EXPLICIT, m.span())
        for m in _RESULT.finditer(self.text):
            self.add(read_value(m.group(1)), EXPLICIT, m.span())
        for m in _BOXED.finditer(self.text):
            self.add(self._number(m.group(1)) if is_number(m.group(1)) else read_value(m.group(1)), EXPLICIT, m.span())
        self.found += json_statements(self.source, self.numbers_are_labels)  # a JSON verdict field stands on its own

    def _labelled(self) -> None:
        """Keys and their values: "Final verdict: B", the value under a heading, "I select one: Output (a)"."""
        matches = [*_LABELLED.finditer(self.text), *_KEY_LINE.finditer(self.text), *_CHOOSE.finditer(self.text)]
        for m in matches:
            key = m.groupdict().get("key") or ""
            strength = EXPLICIT if re.fullmatch(_FINAL_LABELS, key, re.IGNORECASE) else LABELLED
            rest, offset = m.group("rest"), m.start("rest")
            if _EMPTY_VALUE.fullmatch(rest) and (below := line_below(self.text, m.end())) is not None:
                offset, rest = below  # "**Final Verdict:**\n\nAssistant A is slightly better: [[A>B]]"
            if _NUMERIC_KEY.fullmatch(key) and is_number(number := rest.split("(")[0]):
                verdict, a, b = self._number(number), 0, len(number)  # "preference: 1.0"
            else:
                verdict, a, b = read_after_key(rest)
            self.add(verdict, strength, m.span("key") if key else m.span(), (offset + a, offset + b))

    def _prose(self) -> None:
        text = self.text
        for pattern in _PROSE:
            for m in pattern.finditer(text):
                if pattern is CONCLUSION and m.group("bare") and text[m.end() :].strip(" \t\n.!*"):
                    continue  # "…, so B." before the end may be the answer to the question, not a label
                self.add(label_of(m), PROSE, m.span())
        for m in _TIE_PROSE.finditer(text):
            self.add("tie", PROSE, m.span())
        for m in PROSE_BETTER.finditer(text):
            limit = QUALIFIED.match(text, m.end())
            if limit and (limit.group("style") or self.clauses.names_other(m.start(), label_of(m))):
                # "A is more accurate, B is better written", "A is better at X, but B is correct": a split
                self.conditional.append(Statement(label_of(m) or "", PROSE, m.start(), m.end()))
            else:
                self.add(label_of(m), PROSE, m.span())  # also "B wins on accuracy and completeness."
        for m in _IT_WINS.finditer(text):
            if QUALIFIED.match(text, m.end()) is None:
                self.add(self.clauses.only_label(m.start()), PROSE, m.span())

    def _number(self, value: str) -> str | None:
        """A number as a label, only where the prompt made numbers labels."""
        return number_label(value) if self.numbers_are_labels else None


def _last(pattern: re.Pattern[str], text: str) -> int | None:
    """Where the last match of ``pattern`` in ``text`` starts, or None."""
    starts = [m.start() for m in pattern.finditer(text)]
    return starts[-1] if starts else None


def parse_verdict(text: str, *, numbers_are_labels: bool = False) -> Verdict:
    """The one overall verdict in ``text``: A, B, tie, or unparseable (see the module docstring).

    ``numbers_are_labels``: the prompt asked for the verdict as 1 (first response) or 2 (second) in
    ``\\boxed{}`` or as a preference or score, so such numbers are read as labels.
    """
    if not text or not text.strip():
        return "unparseable"
    visible = _THINK.sub(" ", text)
    if (opened := _OPEN_THINK.search(visible)) is not None:
        visible = visible[: opened.start()]  # thinking that never closed
    visible = to_english(unicodedata.normalize("NFKC", visible))
    plain = visible.replace("**", "").replace("__", "")
    statements = _Reader(plain, numbers_are_labels).statements() + bare_statements(mask_code(visible, _KEY_BEFORE))
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
