"""Judge prompt templates and strict verdict parsers."""

from judgeaudit.prompts.parse import parse_verdict
from judgeaudit.prompts.templates import PAIRWISE_LOGIT, PAIRWISE_VERDICT, PromptTemplate

__all__ = ["PAIRWISE_LOGIT", "PAIRWISE_VERDICT", "PromptTemplate", "parse_verdict"]
