"""The bundled sample set, written for this project (see data/SAMPLE.md)."""

from __future__ import annotations

from pathlib import Path

SAMPLE_NAME = "judgeaudit-sample"


def sample_path() -> Path:
    """Path of the bundled sample JSONL file."""
    return Path(__file__).parent / "data" / "sample.jsonl"
