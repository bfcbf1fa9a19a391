"""The execution engine: cache, journal (resume), retry and the concurrent runner."""

from judgeaudit.engine.cache import ResponseCache, default_cache_path
from judgeaudit.engine.journal import JOURNAL_NAME, Journal
from judgeaudit.engine.retry import RetryPolicy, is_retryable, unanswered_reason
from judgeaudit.engine.runner import EngineCounts, execute

__all__ = [
    "EngineCounts",
    "JOURNAL_NAME",
    "Journal",
    "ResponseCache",
    "RetryPolicy",
    "default_cache_path",
    "execute",
    "is_retryable",
    "unanswered_reason",
]
