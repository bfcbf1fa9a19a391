"""Where a run's answers come from and where they go, for the streaming and the batch engine alike:
the journal (resume), then the cache, then the judge; every new answer journaled, cached and counted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from judgeaudit.engine.budget import Budget
from judgeaudit.engine.cache import ResponseCache
from judgeaudit.engine.journal import Journal
from judgeaudit.schema import JudgeRequest, Judgment


@dataclass
class EngineCounts:
    """What this invocation did: answers taken from the journal or cache, and calls made (with the
    tokens and dollars of those calls; cache hits and resumed answers cost nothing here). Counts of
    two invocations add with ``+``."""

    resumed: int = 0
    cache_hits: int = 0
    calls: int = 0
    retries: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: EngineCounts) -> EngineCounts:
        """The counts of both, as counts of this one's kind (fields it lacks are left out)."""
        return type(self)(**{f.name: getattr(self, f.name) + getattr(other, f.name, 0) for f in fields(self)})


class AnswerBook:
    """A run's answers: the journal's (resume) and the cache's first, then those the judge gives.

    ``on_answer`` hears every answer, reused or new, in the order they are settled; ``budget`` is told
    what the resumed answers cost when they were asked.
    """

    def __init__(
        self,
        journal: Journal,
        cache: ResponseCache | None,
        counts: EngineCounts,
        on_answer: Callable[[Judgment], None] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.journal, self.cache, self.counts = journal, cache, counts
        self.on_answer, self.budget = on_answer, budget
        self.answers: dict[str, Judgment] = {}
        self._recorded = journal.load()

    def settle(self, chunk: Mapping[str, JudgeRequest]) -> list[str]:
        """Answer the requests of ``chunk`` that the journal or the cache can; the keys still to ask, in order."""
        new = [key for key in chunk if key not in self._recorded]
        hits = self.cache.get_many(new) if self.cache is not None else {}
        to_ask = []
        for key in chunk:
            if key in self._recorded:
                self._resume(key, self._recorded[key])
            elif key in hits:
                self.answers[key] = hits[key]
                self.journal.append(key, hits[key])
                self.counts.cache_hits += 1
            else:
                to_ask.append(key)
                continue
            self._heard(self.answers[key])
        return to_ask

    def _resume(self, key: str, judgment: Judgment) -> None:
        self.answers[key] = judgment
        self.counts.resumed += 1
        if self.budget is not None and not judgment.cached:
            self.budget.earlier += judgment.cost_usd

    def record(self, key: str, request: JudgeRequest, judgment: Judgment) -> None:
        """A new answer from the judge: counted, kept, journaled and cached."""
        self.counts.calls += 1
        self.counts.prompt_tokens += judgment.prompt_tokens
        self.counts.completion_tokens += judgment.completion_tokens
        self.counts.cost_usd += judgment.cost_usd
        self.answers[key] = judgment
        self.journal.append(key, judgment)
        if self.cache is not None:
            self.cache.put(key, request.backend, request.model, judgment)
        self._heard(judgment)

    def _heard(self, judgment: Judgment) -> None:
        if self.on_answer is not None:
            self.on_answer(judgment)

    def close(self) -> None:
        self.journal.close()
