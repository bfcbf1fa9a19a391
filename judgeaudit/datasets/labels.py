"""Gold labels and human annotations as datasets write them, read into the data's frame (chosen,
rejected, tie), and the majority of several annotations."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from judgeaudit.schema import Annotation, Label

_WORDS: dict[str, Label] = {
    **dict.fromkeys(("chosen", "1", "a", "model_a", "response_a", "output_1", "a>b", "a>>b", "first"), "chosen"),
    **dict.fromkeys(("rejected", "2", "b", "model_b", "response_b", "output_2", "b>a", "b>>a", "second"), "rejected"),
    **dict.fromkeys(("tie", "1.5", "a=b", "equal", "draw", "both", "neither"), "tie"),
}
VOCABULARY = "chosen/rejected/tie, 1/2 (1.5 a tie), a/b, model_a/model_b, A>B/B>A, or any text containing 'tie'"
"""What a label may say: the first-mapped response (``chosen``), the second (``rejected``), or a tie."""
ANNOTATOR_KEYS = ("annotator", "annotator_id", "annotator_index", "judge", "worker", "rater", "user")
VERDICT_KEYS = ("verdict", "label", "preference", "winner", "vote", "annotation")
CONFIDENCE_KEYS = ("confidence",)


def parse_label(value: Any) -> Label | None:
    """The label a value states; None where it states none (absent, blank, NaN). ValueError when unknown."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError(f"label {value!r} is not one of: {VOCABULARY}")
    if isinstance(value, float) and math.isnan(value):
        return None
    text = f"{value:g}" if isinstance(value, float) else str(value)
    word = text.strip().lower()
    if not word:
        return None
    if word in _WORDS:
        return _WORDS[word]
    if "tie" in word:
        return "tie"
    raise ValueError(f"label {value!r} is not one of: {VOCABULARY}")


def flip(label: Label | None) -> Label | None:
    """The same label with the two responses' roles exchanged."""
    return {"chosen": "rejected", "rejected": "chosen"}.get(label, label) if label else None  # type: ignore[return-value]


def flipped(annotation: Annotation) -> Annotation:
    """An annotation of the pair with its two responses exchanged."""
    return Annotation(annotation.annotator, flip(annotation.verdict), annotation.rejected_score, annotation.chosen_score, annotation.confidence)


def number(value: Any, what: str) -> float | None:
    """A score or confidence as a float; None where absent; ValueError when not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    return None if math.isnan(result) else result


def annotation_from(annotator: Any, verdict: Any, chosen_score: Any = None, rejected_score: Any = None, confidence: Any = None) -> Annotation | None:
    """One annotation; None when it states neither a verdict nor both scores (a missing annotation)."""
    annotation = Annotation(
        annotator=str(annotator),
        verdict=parse_label(verdict),
        chosen_score=number(chosen_score, "chosen_score"),
        rejected_score=number(rejected_score, "rejected_score"),
        confidence=number(confidence, "confidence"),
    )
    return annotation if annotation.preference is not None else None


def annotations_field(value: Any) -> tuple[list[Annotation], int]:
    """The annotations a single field holds, and how many of its entries are missing.

    Accepted: a list of labels (annotators numbered from 1), a mapping annotator -> label, or a list of
    objects with an annotator key (annotator, annotator_id, judge, worker, ...), a verdict key (verdict,
    label, preference, winner, ...) and/or ``chosen_score``/``rejected_score`` (or ``scores``: [chosen,
    rejected]) and an optional ``confidence``.
    """
    if isinstance(value, dict):
        entries: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        entries = ((index, entry) for index, entry in enumerate(value, start=1))
    elif value is None:
        return [], 0
    else:
        raise ValueError(f"annotations must be a list or a mapping, got {type(value).__name__}")
    annotations, missing = [], 0
    for default_id, entry in entries:
        annotation = _entry(default_id, entry)
        if annotation is None:
            missing += 1
        else:
            annotations.append(annotation)
    return annotations, missing


def _entry(default_id: Any, entry: Any) -> Annotation | None:
    if not isinstance(entry, dict):
        return annotation_from(default_id, entry)
    annotator = next((entry[k] for k in ANNOTATOR_KEYS if entry.get(k) is not None), default_id)
    verdict = next((entry[k] for k in VERDICT_KEYS if k in entry), None)
    scores = entry.get("scores")
    chosen_score, rejected_score = (scores[0], scores[1]) if isinstance(scores, list) and len(scores) == 2 else (None, None)
    return annotation_from(
        annotator, verdict, entry.get("chosen_score", chosen_score), entry.get("rejected_score", rejected_score),
        next((entry[k] for k in CONFIDENCE_KEYS if k in entry), None),
    )


def majority(annotations: Iterable[Annotation]) -> Label | None:
    """The label most annotators give; a tie when two labels share first place; None without any."""
    counts = Counter(a.preference for a in annotations if a.preference is not None)
    if not counts:
        return None
    (top, n), *rest = counts.most_common()
    return "tie" if rest and rest[0][1] == n else top
