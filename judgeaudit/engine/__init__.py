"""The execution engine: cache, journal (resume), failure classes, retry, rate limits, cost cap and the
concurrent runner."""

from judgeaudit.engine.answers import AnswerBook, EngineCounts
from judgeaudit.engine.budget import Budget, BudgetReached
from judgeaudit.engine.cache import ResponseCache
from judgeaudit.engine.failures import Failure, classify
from judgeaudit.engine.journal import JOURNAL_NAME, Journal
from judgeaudit.engine.limiter import LIMITERS, AdaptiveConcurrency, LimiterRegistry, RateLimiter
from judgeaudit.engine.retry import RetryPolicy, is_retryable, unanswered_reason
from judgeaudit.engine.runner import execute
from judgeaudit.user_cache import default_cache_path

__all__ = [
    "AdaptiveConcurrency",
    "AnswerBook",
    "Budget",
    "BudgetReached",
    "EngineCounts",
    "Failure",
    "JOURNAL_NAME",
    "Journal",
    "LIMITERS",
    "LimiterRegistry",
    "RateLimiter",
    "ResponseCache",
    "RetryPolicy",
    "classify",
    "default_cache_path",
    "execute",
    "is_retryable",
    "unanswered_reason",
]
