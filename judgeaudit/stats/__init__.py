"""Statistics: instance-level effects, intervals and tests, and the run Summary."""

from judgeaudit.stats.effects import Settings
from judgeaudit.stats.records import SCHEMA_VERSION, BiasResult, RunFacts, Summary
from judgeaudit.stats.summary import build_summary, call_counts, control_accuracy, summarize_biases

__all__ = [
    "SCHEMA_VERSION",
    "BiasResult",
    "RunFacts",
    "Settings",
    "Summary",
    "build_summary",
    "call_counts",
    "control_accuracy",
    "summarize_biases",
]
