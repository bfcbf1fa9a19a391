"""Render a template bias onto a response, deterministically and in a Jinja sandbox."""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass

from judgeaudit.biases.placebo import NEUTRAL_ATTRIBUTIONS, NEUTRAL_NOTES, NEUTRAL_SENTENCES
from judgeaudit.biases.sandbox import DEFAULT_MAX_CHARS, MAX_PAD_RATIO, render_limited
from judgeaudit.biases.sentences import CODE_FENCE, sentence_boundaries
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import stable_hash

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
INSERT_PLACES = ("start", "middle", "end")


def insert_at(response: str, text: str, where: str) -> str:
    """``response`` with ``text`` inserted at a sentence boundary; every other character kept.

    ``where``: ``start`` (after the first sentence), ``middle`` (the boundary nearest the middle) or
    ``end`` (before the last sentence). A response of one sentence gets ``text`` after it.
    """
    if where not in INSERT_PLACES:
        raise ValueError(f"insert_at place must be one of {', '.join(INSERT_PLACES)}; got {where!r}")
    cuts = sentence_boundaries(response)
    if not cuts:
        return f"{response} {text}"
    cut = {"start": cuts[0], "end": cuts[-1]}.get(where) or min(cuts, key=lambda c: abs(c - len(response) / 2))
    return f"{response[:cut]} {text}{response[cut:]}"


def conclusion_first(response: str) -> str:
    """The same text with its last paragraph (or, in one paragraph, its last sentence) moved to the front.

    A response of one sentence comes back unchanged: there is nothing to reorder.
    """
    paragraphs = [m.start() for m in _PARAGRAPH.finditer(response.strip())]
    body = response.strip()
    if paragraphs:
        cut = paragraphs[-1]
        return f"{body[cut:].strip()}\n\n{body[:cut].strip()}"
    cuts = sentence_boundaries(body)
    if not cuts:
        return response
    space = re.match(r"\s+", body[cuts[-1] :])
    assert space is not None  # a boundary is where whitespace starts
    separator = space.group()  # a space, or the line break of a verse
    return f"{body[cuts[-1] + len(separator):]}{separator}{body[:cuts[-1]]}"


def reflow(response: str) -> str:
    """The same characters with one break changed, outside code: the sentence break nearest the middle
    becomes a line break (or, where it is one, a space); no content and no size changes. A response
    with no break outside code (a word, a code block) gets a line break at its end instead: one
    character, and nothing of its content."""
    fences = [m.span() for m in CODE_FENCE.finditer(response)]
    breaks = [m.start() for m in re.finditer(r"\s", response) if not any(a <= m.start() < b for a, b in fences)]
    inner = [i for i in breaks if 0 < i < len(response) - 1]
    if not inner:
        return f"{response}\n"
    at = min(sentence_boundaries(response) or inner, key=lambda i: abs(i - len(response) / 2))
    return f"{response[:at]}{' ' if response[at] == chr(10) else chr(10)}{response[at + 1:]}"


def neutral_text(rng: random.Random, n_chars: int) -> str:
    """Content-neutral sentences (``NEUTRAL_SENTENCES``, in an order drawn from ``rng``) cut at the word
    that brings them nearest ``n_chars`` characters; a cut sentence ends with a full stop."""
    pool = list(NEUTRAL_SENTENCES)
    rng.shuffle(pool)
    words = [word for i in range(max(1, n_chars // 20 + 2)) for word in pool[i % len(pool)].split()]
    best, text = "", ""
    for word in words:
        text = f"{text} {word}" if text else word
        candidate = text if text.endswith(".") else f"{text}."
        if abs(len(candidate) - n_chars) <= abs(len(best) - n_chars) or not best:
            best = candidate
        if len(candidate) >= n_chars:
            break
    return best


def derived_rng(seed: int, *parts: object) -> random.Random:
    """A random generator determined by the seed and the given identifiers."""
    return random.Random(int(stable_hash([seed, *parts], length=16), 16))


@dataclass(frozen=True)
class Rendered:
    """A rendered edit and the wording it drew (``variant``: the choice indices, e.g. ``citation3``)."""

    text: str
    variant: str


def render_edit(
    spec: BiasSpec, template: str, response: str, label: str, rng: random.Random, added: int = 0
) -> Rendered:
    """Render a bias template (the cue or the placebo) for one response.

    ``response`` is the response the edit concerns and ``label`` its letter (A/B) in the order shown.
    Templates may call ``pick(name)`` for one item of ``choices[name]``, ``pad_to(ratio, name)`` for
    filler items until the response reaches ``ratio`` times its length, ``insert_at(text, where)`` and
    ``conclusion_first()`` (see the functions of those names), ``neutral(n)`` for content-neutral
    sentences of about ``n`` characters (``neutral_text``), ``neutral_note()`` for a neutral note naming the response and
    ``neutral_attribution()`` for a neutral header attribution; ``added`` is how many characters the
    cue added (to size a placebo).
    """
    drawn: list[str] = []

    def choice_list(name: str) -> list[str]:
        if name not in spec.choices:
            raise JudgeAuditError(f"{spec.source}: template uses unknown choice list {name!r}")
        return spec.choices[name]

    def pick(name: str) -> str:
        pool = choice_list(name)
        index = rng.randrange(len(pool))
        drawn.append(f"{name}{index}")
        return pool[index]

    def pad_to(ratio: float, name: str) -> str:
        if not 0 < float(ratio) <= MAX_PAD_RATIO:
            raise JudgeAuditError(f"{spec.source}: pad_to ratio {ratio} is outside (0, {MAX_PAD_RATIO:g}]")
        pool = choice_list(name)[:]
        rng.shuffle(pool)
        drawn.append(f"{name}x{ratio:g}")
        return _fill(pool, len(response) * (float(ratio) - 1))

    def neutral(n_chars: int) -> str:
        drawn.append("neutral")
        return neutral_text(rng, max(int(n_chars), 1))

    def neutral_note() -> str:
        drawn.append("neutral_note")
        return rng.choice(NEUTRAL_NOTES).replace("{label}", label)

    def neutral_attribution() -> str:
        drawn.append("neutral_attribution")
        return rng.choice(NEUTRAL_ATTRIBUTIONS)

    def insert(text: str, where: str = "middle") -> str:
        try:
            return insert_at(response, str(text), str(where))
        except ValueError as exc:
            raise JudgeAuditError(f"{spec.source}: {exc}") from None

    context = {
        "response": response, "label": label, "pick": pick, "pad_to": pad_to, "neutral": neutral,
        "neutral_note": neutral_note, "neutral_attribution": neutral_attribution, "added": added,
        "insert_at": insert, "conclusion_first": lambda: conclusion_first(response),
    }
    max_chars = max(DEFAULT_MAX_CHARS, int((MAX_PAD_RATIO + 1) * len(response)) + 1000)
    text = render_limited(template, context, spec.source, max_chars=max_chars).strip()
    if not text:
        raise JudgeAuditError(f"{spec.source}: template rendered an empty text")
    # The same edit is rendered for both orders: interned, the probes of a run hold each distinct text once.
    return Rendered(sys.intern(text), "+".join(drawn) or "fixed")


def _fill(pool: list[str], goal_chars: float) -> str:
    """Sentences from ``pool`` in turn until they add at least ``goal_chars`` characters."""
    sentences: list[str] = []
    length = 0
    while length < goal_chars:
        sentence = pool[len(sentences) % len(pool)]
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)
