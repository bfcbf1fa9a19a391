"""Sentences and the boundaries between them in prose, fenced code blocks kept whole."""

from __future__ import annotations

import re

CODE_FENCE = re.compile(r"(```.*?```)", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(])")
_BOUNDARY = re.compile(r"(?<=[.!?])[ \t]+(?=[A-Z0-9'\"(])|\n+")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences and lines, keeping fenced code blocks whole."""
    parts: list[str] = []
    for chunk in CODE_FENCE.split(text):
        if chunk.startswith("```"):
            parts.append(chunk)
            continue
        for line in chunk.splitlines():
            parts.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return parts


def sentence_boundaries(text: str) -> list[int]:
    """Offsets where one sentence or line ends and the next begins (the whitespace's start), outside code."""
    fences = [m.span() for m in CODE_FENCE.finditer(text)]
    return [
        m.start()
        for m in _BOUNDARY.finditer(text)
        if 0 < m.start() and m.end() < len(text) and not any(a < m.start() < b for a, b in fences)
    ]
