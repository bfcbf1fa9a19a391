"""labels.jsonl: the gold label, human annotations and benchmark tags of each instance of a run, kept
beside its judgments so that a rebuild computes agreement and a benchmark's own scores without the
dataset. Written only for labelled data or a public benchmark's layout.

The first line says what the file is; every other line is one instance: ``{"id", "gold",
"gold_source", "annotations": [{"annotator", "verdict", "chosen_score", "rejected_score", "confidence"}],
"tags": {...}}`` in the run's frame (``chosen`` is the response the gold label prefers; an instance with
no label of its own has the chosen/rejected split as its gold). ``tags`` are the instance's
``TAG_KEYS`` metadata: what a benchmark's own headline metric groups by.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import Annotation, Instance
from judgeaudit.stats.judged import InstanceLabels
from judgeaudit.stats.units import GROUP_TAG, Units

LABELS = "labels.jsonl"
TAG_KEYS = ("benchmark", "subset", "section", "group", "pairs_in_group", "difficulty")
FORMAT = "judgeaudit.labels"
VERSION = 1


def labels_of(instances: Iterable[Instance]) -> dict[str, InstanceLabels]:
    """The labels of the labelled, benchmark-tagged or grouped instances, by id, as ``read_labels`` gives them back."""
    return {
        instance.id: InstanceLabels(
            instance.gold or "chosen", instance.gold_source or "chosen/rejected", instance.annotations,
            {key: instance.metadata[key] for key in TAG_KEYS if key in instance.metadata},
        )
        for instance in instances
        if instance.labelled or "benchmark" in instance.metadata or GROUP_TAG in instance.metadata
    }


def write_labels(path: Path, labels: dict[str, InstanceLabels]) -> None:
    """Write ``labels`` (atomically); write nothing when there are none."""
    if not labels:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"format": FORMAT, "version": VERSION}) + "\n")
        for instance_id, label in labels.items():
            record = {"id": instance_id, "gold": label.gold, "gold_source": label.gold_source,
                      "annotations": [asdict(a) for a in label.annotations], "tags": label.tags}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_labels(path: Path) -> dict[str, InstanceLabels]:
    """The labels of a run by instance id (none where the run has no labels file)."""
    if not path.exists():
        return {}
    labels: dict[str, InstanceLabels] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
                if line_no == 1:
                    if record.get("format") != FORMAT:
                        raise ValueError(f"not a judgeaudit labels file (format {record.get('format')!r})")
                    continue
                annotations = tuple(Annotation(**a) for a in record["annotations"])
                labels[record["id"]] = InstanceLabels(record["gold"], record["gold_source"] or "chosen/rejected", annotations, record.get("tags", {}))
            except (KeyError, TypeError, ValueError) as exc:
                raise JudgeAuditError(f"{path}:{line_no}: malformed labels record ({exc})") from None
    return labels


UNITS_FROM_SCHEMA = 8
"""The first summary schema that takes prompt groups as units."""


def stale_units(run_dir: Path, summary: dict[str, Any]) -> str | None:
    """Why a run's summary must be rebuilt before a decision reads it: it predates prompt groups as
    units while its labels group instances (None: it may be read as it is)."""
    version = summary.get("schema_version", 0)
    if version >= UNITS_FROM_SCHEMA or not Units.from_tags((key, label.tags) for key, label in read_labels(run_dir / LABELS).items()).grouped:
        return None
    return (f"{run_dir}: its summary (schema {version}) counts each pair of a prompt as independent; "
            f"rebuild it with `judgeaudit report {run_dir}` to count prompt groups")


def label_counts(instances: Iterable[Instance]) -> dict[str, object]:
    """What the manifest says about the labels: gold labels by source, annotations and annotators."""
    instances = list(instances)
    sources: dict[str, int] = {}
    for instance in instances:
        if instance.gold is not None:
            sources[instance.gold_source] = sources.get(instance.gold_source, 0) + 1
    annotators = {a.annotator for i in instances for a in i.annotations}
    return {
        "gold": sources,
        "gold_ties": sum(i.gold == "tie" for i in instances),
        "annotated_instances": sum(bool(i.annotations) for i in instances),
        "annotations": sum(len(i.annotations) for i in instances),
        "annotators": len(annotators),
        "missing_annotations": sum(int(i.metadata.get("missing_annotations", 0)) for i in instances),
    }
