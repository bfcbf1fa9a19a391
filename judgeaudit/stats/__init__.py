"""Statistics: paired flips, intervals and tests, and the run summary."""

from judgeaudit.stats.summary import build_summary, call_counts, control_accuracy, summarize_biases
from judgeaudit.stats.tests import benjamini_hochberg, mcnemar_exact, mean_interval, wilson_interval

__all__ = [
    "benjamini_hochberg",
    "build_summary",
    "call_counts",
    "control_accuracy",
    "mcnemar_exact",
    "mean_interval",
    "summarize_biases",
    "wilson_interval",
]
