"""Code in a judge's text: fenced blocks and inline spans. Their brackets and letters
(``np.array([[1], [2]])``, a Lua long string ``[[A]]``, ``result = A``) are code, never a verdict, so
they are masked before verdict statements are collected. An inline span that stands as the verdict
itself (a line of its own, or the value after "Final verdict:") is formatting, not code.
"""

from __future__ import annotations

import re

# A fence: a run of three backticks (or tildes) and an info string that end a line ("```python",
# also after "Code: "), up to the same run that ends a line, else to the end of the text.
_FENCE = re.compile(r"(`{3,}|~{3,})[^`\n]*$.*?(?:\1[`~]*[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")
_ALONE_BEFORE = re.compile(r"[ \t>#*_•-]*(?:\d+[.)][ \t]*)?[ \t*_\"'“]*")
_ALONE_AFTER = re.compile(r"[ \t*_.!,;:)\]\"'”]*")
_REACH = 80
"""Characters read before an inline span for what it follows on its line."""


def mask_code(text: str, key_before: re.Pattern[str]) -> str:
    """``text`` with its code masked letter for letter (offsets and lines kept).

    ``key_before`` matches a verdict key at the end of the text before an inline span on its line
    ("My final verdict is "): such a span, or one alone on its line, is the verdict's formatting.
    """
    text = _FENCE.sub(_blank, text)
    return _INLINE.sub(lambda m: m.group() if _stands_as_value(text, m, key_before) else _blank(m), text)


def _stands_as_value(text: str, span: re.Match[str], key_before: re.Pattern[str]) -> bool:
    """Whether an inline span is alone on its line or follows a verdict key (read near the span only)."""
    start, end = span.span()
    near = max(0, start - _REACH)
    newline = text.rfind("\n", near, start)
    before = text[newline + 1 if newline >= 0 else near : start]
    whole_line = newline >= 0 or near == 0  # else the line starts beyond the reach
    trailing = _ALONE_AFTER.match(text, end)
    assert trailing is not None  # it matches the empty string
    after = trailing.end()
    alone = whole_line and _ALONE_BEFORE.fullmatch(before) is not None and text[after : after + 1] in ("", "\n")
    return alone or key_before.search(before) is not None


def _blank(match: re.Match[str]) -> str:
    """The match with every character but a line break as ``x``: an opaque word, no label."""
    return re.sub(r"[^\n]", "x", match.group())
