"""Load pairwise instances from JSONL, JSON, CSV or Parquet files, Hugging Face ``save_to_disk`` folders or
``hf:OWNER/NAME`` datasets (``files.read_rows``), with an optional field mapping.

A row is one instance, or, when it names an annotator (the ``annotator`` field), one person's
annotation of an instance: rows of the same instance (the same id, else the same prompt and pair of
responses, in either order) are gathered into one instance with all their annotations. The gold label
is the ``label`` field where the data has one, else the annotators' majority (an even split is a tie);
the response it prefers becomes ``chosen``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.labels import annotation_from, annotations_field, flipped, majority, parse_label
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.schema import Annotation, Instance, stable_hash

REQUIRED_FIELDS = ("prompt", "chosen", "rejected")
OPTIONAL_FIELDS = ("id", "category", "reference")
LABEL_FIELDS = ("label", "annotations", "annotator", "annotation", "chosen_score", "rejected_score", "confidence")
"""``label``: the gold label; ``annotations``: a list of annotations in one field; ``annotator`` with
``annotation`` (a verdict) and/or ``chosen_score``/``rejected_score`` and ``confidence``: one annotation per row."""
CANONICAL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS + LABEL_FIELDS
SCORES_ONLY = "(data)"
"""The annotator of scores a row gives without naming an annotator."""


def parse_field_map(pairs: list[str]) -> dict[str, str]:
    """Parse ``canonical=source`` pairs (e.g. ``prompt=instruction``, ``chosen=conversation_a.1.content``)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        canonical, source = canonical.strip(), source.strip()
        if not sep or not canonical or not source:
            raise JudgeAuditError(f"--field {pair!r}: expected CANONICAL=SOURCE, e.g. prompt=instruction")
        if canonical not in CANONICAL_FIELDS:
            raise JudgeAuditError(
                f"--field {pair!r}: unknown field {canonical!r}; valid fields: {', '.join(CANONICAL_FIELDS)}"
            )
        mapping[canonical] = source
    return mapping


def lookup(row: dict[str, Any], source: str) -> Any:
    """The value at ``source``: a key of the row, else a dotted path through objects and lists
    (``conversation_a.1.content``); None where there is none."""
    if source in row or "." not in source:
        return row.get(source)
    value: Any = row
    for step in source.split("."):
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.lstrip("-").isdigit() and -len(value) <= int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


@dataclass
class InstanceDraft:
    """An instance being gathered from its rows."""

    line_no: int
    id: str
    texts: dict[str, str]
    category: str
    reference: str | None
    metadata: dict[str, Any]
    label: Any
    annotations: list[Annotation] = field(default_factory=list)
    missing: int = 0
    annotators: dict[str, int] = field(default_factory=dict)


class _Reader:
    """Rows of one file to instances, under one field mapping; errors name the file and line."""

    def __init__(self, path: Path, field_map: Mapping[str, str]) -> None:
        self.path, self.field_map = path, field_map
        self.used = {field_map.get(name, name).split(".")[0] for name in CANONICAL_FIELDS}

    def value(self, row: dict[str, Any], name: str) -> Any:
        return lookup(row, self.field_map.get(name, name))

    def annotated(self, row: dict[str, Any]) -> bool:
        """Whether the row is one annotator's annotation."""
        return self.value(row, "annotator") is not None

    def texts(self, line_no: int, row: Any) -> dict[str, str]:
        if not isinstance(row, dict):
            raise located(self.path, line_no, f"expected a JSON object, got {type(row).__name__}")
        texts: dict[str, str] = {}
        for name in REQUIRED_FIELDS:
            source = self.field_map.get(name, name)
            raw = self.value(row, name)
            if raw is None:
                hint = f" (mapped from {source!r})" if source != name else ""
                raise located(self.path, line_no, f"missing field {name!r}{hint}; present fields: {', '.join(sorted(row))}")
            if isinstance(raw, list):
                raise located(
                    self.path, line_no,
                    f"field {source!r} must be text, got a list of {len(raw)}; a benchmark with several responses per prompt is read "
                    "in its own layout (e.g. --dataset rewardbench2:PATH or rm-bench:PATH), or map one with --field "
                    f"{name}={source}.0",
                )
            if not isinstance(raw, str):
                raise located(self.path, line_no, f"field {source!r} must be text, got {type(raw).__name__}")
            if not raw.strip():
                raise located(self.path, line_no, f"field {source!r} is empty")
            texts[name] = raw
        if texts["chosen"].strip() == texts["rejected"].strip():
            raise located(self.path, line_no, "chosen and rejected responses are identical")
        return texts

    def draft(self, line_no: int, row: dict[str, Any], texts: dict[str, str]) -> InstanceDraft:
        category, reference, instance_id = (self.value(row, name) for name in ("category", "reference", "id"))
        if instance_id is None or str(instance_id).strip() == "":
            instance_id = stable_hash([texts["prompt"], texts["chosen"], texts["rejected"]], length=12)
        draft = InstanceDraft(
            line_no, str(instance_id), texts,
            str(category) if category not in (None, "") else "uncategorized",
            str(reference) if reference not in (None, "") else None,
            {k: v for k, v in row.items() if k not in self.used},
            self.value(row, "label"),
        )
        if self.value(row, "annotations") is not None:
            try:
                draft.annotations, draft.missing = annotations_field(self.value(row, "annotations"))
            except ValueError as exc:
                raise located(self.path, line_no, f"field {self.field_map.get('annotations', 'annotations')!r}: {exc}") from None
        return draft

    def annotation(self, line_no: int, row: dict[str, Any]) -> tuple[Annotation | None, bool]:
        """The row's own annotation (an annotator's, or scores the row gives) or None, and whether the
        row names an annotator who gave nothing usable (a missing annotation)."""
        annotator = self.value(row, "annotator")
        parts = [self.value(row, name) for name in ("annotation", "chosen_score", "rejected_score", "confidence")]
        if annotator is None and parts[1] is None and parts[2] is None:
            return None, False
        try:
            annotation = annotation_from(SCORES_ONLY if annotator is None else annotator, *parts)
        except ValueError as exc:
            raise located(self.path, line_no, str(exc)) from None
        return annotation, annotation is None and annotator is not None


def _same_pair(draft: InstanceDraft, texts: dict[str, str]) -> bool | None:
    """True: the row shows the draft's pair in its order; False: in the other order; None: another pair."""
    mine = (draft.texts["prompt"], draft.texts["chosen"], draft.texts["rejected"])
    if mine == (texts["prompt"], texts["chosen"], texts["rejected"]):
        return True
    if mine == (texts["prompt"], texts["rejected"], texts["chosen"]):
        return False
    return None


def finish_draft(path: Path, draft: InstanceDraft) -> Instance:
    """The instance of a gathered draft: gold from its label or its annotators' majority, oriented so
    that ``chosen`` is the better response."""
    try:
        label = parse_label(draft.label)
    except ValueError as exc:
        raise located(path, draft.line_no, str(exc)) from None
    source = "labels" if label is not None else "human majority" if draft.annotations else "chosen/rejected"
    gold = label if label is not None else majority(draft.annotations)
    texts, annotations = dict(draft.texts), tuple(draft.annotations)
    if gold == "rejected":
        texts["chosen"], texts["rejected"] = texts["rejected"], texts["chosen"]
        annotations, gold = tuple(flipped(a) for a in annotations), "chosen"
    metadata = draft.metadata | ({"missing_annotations": draft.missing} if draft.missing else {})
    return Instance(
        id=draft.id, prompt=texts["prompt"], chosen=texts["chosen"], rejected=texts["rejected"], category=draft.category,
        reference=draft.reference, metadata=metadata, gold=gold, gold_source=source if gold is not None else "", annotations=annotations,
    )


def load_instances(path: str | Path, field_map: Mapping[str, str] | None = None) -> list[Instance]:
    """Read instances from a ``.jsonl``/``.json``/``.csv``/``.parquet`` file, a Hugging Face ``save_to_disk``
    folder (``FOLDER#SPLIT`` for one split of several) or ``hf:OWNER/NAME[#SPLIT]``, gathering annotation
    rows by instance.

    Raises JudgeAuditError naming the file and line (or record) for any malformed row.
    """
    path = Path(path)
    reader = _Reader(path, dict(field_map or {}))
    drafts: dict[str, InstanceDraft] = {}
    by_pair: dict[tuple[str, frozenset[str]], str] = {}
    try:
        for line_no, row in read_rows(path):
            texts = reader.texts(line_no, row)
            draft = reader.draft(line_no, row, texts)
            pair = (texts["prompt"], frozenset((texts["chosen"], texts["rejected"])))
            annotated = reader.annotated(row)
            key = by_pair.get(pair, draft.id) if annotated and reader.value(row, "id") in (None, "") else draft.id
            own, missing = reader.annotation(line_no, row)
            if key in drafts:
                draft = _merge(path, line_no, drafts[key], draft, texts, annotated)
            else:
                drafts[key] = draft
                by_pair.setdefault(pair, key)
            draft.missing += missing
            if own is not None:
                add_annotation(path, line_no, draft, own if _same_pair(draft, texts) else flipped(own))
    except UnicodeDecodeError as exc:
        raise JudgeAuditError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not drafts:
        raise JudgeAuditError(f"{path}: no instances found")
    return [finish_draft(path, draft) for draft in drafts.values()]


def _merge(path: Path, line_no: int, draft: InstanceDraft, new: InstanceDraft, texts: dict[str, str], annotated: bool) -> InstanceDraft:
    """A further row of an instance already seen: allowed only for annotation rows of the same pair."""
    if not annotated:
        raise located(path, line_no, f"duplicate id {draft.id!r} (first on line {draft.line_no})")
    if _same_pair(draft, texts) is None:
        raise located(path, line_no, f"id {draft.id!r} shows other texts than on line {draft.line_no}")
    if draft.label is None:
        draft.label = new.label if _same_pair(draft, texts) else _flipped_raw(path, line_no, new.label)
    return draft


def _flipped_raw(path: Path, line_no: int, raw: Any) -> Any:
    try:
        label = parse_label(raw)
    except ValueError as exc:
        raise located(path, line_no, str(exc)) from None
    return {"chosen": "rejected", "rejected": "chosen"}.get(label, label) if label else None


def add_annotation(path: Path, line_no: int, draft: InstanceDraft, annotation: Annotation) -> None:
    """One more annotation of the draft; an annotator annotates an instance once."""
    if annotation.annotator in draft.annotators and annotation.annotator != SCORES_ONLY:
        raise located(path, line_no, f"annotator {annotation.annotator!r} already annotated {draft.id!r} (line {draft.annotators[annotation.annotator]})")
    draft.annotators[annotation.annotator] = line_no
    draft.annotations.append(annotation)

