"""Dataset loading and the bundled sample set."""

from judgeaudit.datasets.files import read_rows
from judgeaudit.datasets.loader import load_instances, parse_field_map
from judgeaudit.datasets.presets import PRESETS, LoadedData, load_dataset
from judgeaudit.datasets.sample import SAMPLE_NAME, sample_path

__all__ = ["PRESETS", "LoadedData", "load_dataset", "load_instances", "parse_field_map", "read_rows", "sample_path", "SAMPLE_NAME"]
