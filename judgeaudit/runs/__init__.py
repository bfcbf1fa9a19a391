"""The run folder: reading and writing its manifest, judgments and summary, in one place."""

from judgeaudit.runs.folder import JUDGMENTS, MANIFEST, SUMMARY, read_json, spec_from_record, spec_record, write_json
from judgeaudit.runs.judgments import read_judgments, write_judgments

__all__ = [
    "JUDGMENTS",
    "MANIFEST",
    "SUMMARY",
    "read_json",
    "read_judgments",
    "spec_from_record",
    "spec_record",
    "write_json",
    "write_judgments",
]
