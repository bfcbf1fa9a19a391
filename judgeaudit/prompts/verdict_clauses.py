"""The clauses and sentences of a judge's text: whether a statement is hedged ("if brevity mattered"),
revised ("at first"), and whether a plain statement shares its sentence with a hedged one for the
other response ("A is better if you want brevity; B is better for depth": no verdict). A reason given
right after a statement ("[[B>A]] because it would help more") is no hedge of it."""

from __future__ import annotations

import bisect
import re

from judgeaudit.prompts.verdict_labels import EXPLICIT, LABEL, Statement, label_of

# Words that make a clause hypothetical or conditional, and words that mark an earlier, revised view.
_CONDITIONAL = re.compile(
    r"\b(?:if|unless|otherwise|might|could|may|depending|depends|in\s+terms\s+of|as\s+long\s+as)\b"
    r"|\bwould\b(?!\s+(?:prefer|choose|pick|select|go|say|rate|favou?r)\b)|\bor\b\s*$",
    re.IGNORECASE,
)
_REVISED = re.compile(
    r"\b(?:at\s+first|initially|originally|I\s+(?:first\s+)?thought|(?:at|on)\s+first\s+(?:read(?:ing)?|glance|sight|look|pass)"
    r"|first\s+impression|leaned|was\s+leaning|had\s+leaned)\b",
    re.IGNORECASE,
)
# A reason right after a statement ("because", "since", "as" — not "as if", "as long as"), and what in
# the rest of its sentence makes it a condition or an alternative rather than a reason ("[[B>A]] because
# it is short, or A if you want depth", "[[A>B]] since it might suit them, but if not, [[B>A]]").
_REASON = re.compile(
    r"[\s,—–-]*\b(?:because|since|as(?!\s+(?:if|though|long|far|well|much|soon|of)\b))\b", re.IGNORECASE
)
_NOT_A_REASON = re.compile(r"\b(?:or|otherwise|unless|alternatively|if|depending|depends)\b|\[\[", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?\n;:]|\b(?:but|whereas|while|though|although)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\n](?!\d)")

CLAUSE_REACH = 300
"""Characters read on either side of a statement when its clause has no end nearer."""


class Clauses:
    """Where the clauses of a text end (sentence ends, colons, "but"), to find the clause of a statement."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = [m.span() for m in _CLAUSE_END.finditer(text)]
        self.starts = [a for a, _ in self.spans]
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)]

    def _bounds(self, start: int, end: int) -> tuple[int, int]:
        """Where the clause around ``text[start:end]`` starts and stops."""
        before = bisect.bisect_left(self.starts, start) - 1
        after = bisect.bisect_left(self.starts, end)
        return self.spans[before][1] if before >= 0 else 0, self.starts[after] if after < len(self.starts) else len(self.text)

    def reason(self, end: int) -> int | None:
        """Where a reason given right after a statement that ends at ``end`` starts, or None."""
        found = _REASON.match(self.text, end)
        if found is None or _NOT_A_REASON.search(self.text, found.end(), self._sentence_span(end)[1]):
            return None
        return found.start()

    def hedge(self, start: int, end: int, reason: int | None = None) -> str | None:
        """"conditional" (hypothetical, conditional or a question), "revised" ("at first"), or None;
        the statement's clause is read up to ``reason``, where the judge starts giving its reason."""
        left, stop = self._bounds(start, end)
        ending = self.text[stop : stop + 1]
        if reason is not None and end <= reason < stop:
            stop = reason  # a question still asks: "Is [[B>A]] right because it is short?"
        reach = CLAUSE_REACH  # a run-on "clause" is read only near the statement
        clause = self.text[max(left, start - reach) : min(stop, end + reach)]
        if _REVISED.search(clause):
            return "revised"
        return "conditional" if ending == "?" or _CONDITIONAL.search(clause) else None

    def names_other(self, position: int, verdict: str | None) -> bool:
        """Whether the sentence around ``position`` names a label other than ``verdict``."""
        return any(label != verdict for label in self._labels(position))

    def only_label(self, position: int) -> str | None:
        """The one response the sentence around ``position`` names, or None."""
        labels = set(self._labels(position))
        return labels.pop() if len(labels) == 1 else None

    def _labels(self, position: int) -> list[str | None]:
        start, stop = self._sentence_span(position)
        return [label_of(m) for m in re.finditer(LABEL, self.text[start:stop], re.IGNORECASE)]

    def sentence(self, position: int) -> int:
        """The index of the sentence that holds ``position``."""
        return bisect.bisect_left(self.sentence_ends, position)

    def _sentence_span(self, position: int) -> tuple[int, int]:
        index = self.sentence(position)
        start = self.sentence_ends[index - 1] + 1 if index > 0 else 0
        return start, self.sentence_ends[index] if index < len(self.sentence_ends) else len(self.text)


def void_splits(found: list[Statement], conditional: list[Statement], clauses: Clauses) -> list[Statement]:
    """Drop a plain statement that shares its sentence with a conditional one for another verdict."""
    split = {(clauses.sentence(c.start), c.verdict) for c in conditional}
    return [
        s
        for s in found
        if s.strength == EXPLICIT or not any(sentence == clauses.sentence(s.start) and verdict != s.verdict for sentence, verdict in split)
    ]


