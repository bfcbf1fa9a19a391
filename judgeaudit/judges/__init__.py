"""Judge backends behind one protocol, resolved lazily from a ``--judge`` string."""

from judgeaudit.judges.base import Judge
from judgeaudit.judges.registry import DEFAULT_JUDGE, JUDGE_FORMS, resolve_judge

__all__ = ["DEFAULT_JUDGE", "JUDGE_FORMS", "Judge", "resolve_judge"]
