"""judgeaudit: audit LLM-as-judge systems for bias before they are trusted."""

__version__ = "0.1.0"
