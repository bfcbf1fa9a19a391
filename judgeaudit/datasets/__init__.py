"""Dataset loading and the bundled sample set."""

from judgeaudit.datasets.loader import load_instances, parse_field_map
from judgeaudit.datasets.sample import SAMPLE_NAME, sample_path

__all__ = ["load_instances", "parse_field_map", "sample_path", "SAMPLE_NAME"]
