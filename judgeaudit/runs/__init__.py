"""The run folder: reading and writing its manifest, judgments and summary, in one place."""

from judgeaudit.runs.folder import JUDGMENTS, MANIFEST, SUMMARY, read_json, spec_from_record, spec_record, write_json
from judgeaudit.runs.judgments import read_judgments, write_judgments
from judgeaudit.runs.labels import LABELS, label_counts, labels_of, read_labels, write_labels

__all__ = [
    "JUDGMENTS",
    "LABELS",
    "MANIFEST",
    "SUMMARY",
    "read_json",
    "label_counts",
    "labels_of",
    "read_judgments",
    "read_labels",
    "spec_from_record",
    "spec_record",
    "write_json",
    "write_judgments",
    "write_labels",
]
