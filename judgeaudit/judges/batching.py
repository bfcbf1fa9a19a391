"""What a provider's batch API is to the batch engine: a provider that writes, submits, polls and reads
batches, and the records it hands back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from judgeaudit.schema import JudgeRequest, Judgment


@dataclass(frozen=True)
class BatchStatus:
    """A batch as its provider reports it. ``failure``: why it ended without answering (part of) its
    requests (failed validation, expired, cancelled), the error of every request it did not answer;
    ``results_at``: once it ended, where its result lines are (files, a URL)."""

    status: str
    ended: bool
    failure: str | None = None
    results_at: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchResults:
    """What an ended batch answered: a Judgment per key it holds a line for (an errored, expired or
    cancelled line as an error), and the errored keys worth submitting again at once because the judge
    now asks them differently (a server that refused logprobs)."""

    answers: dict[str, Judgment]
    ask_again: frozenset[str] = frozenset()


class BatchProvider(Protocol):
    """One provider's batch API, asking with a judge's request bodies and reading with its reader."""

    max_requests: int
    max_bytes: int

    def line(self, key: str, request: JudgeRequest) -> bytes:
        """``request`` as one line of a batch, ``key`` as its custom_id (JSON, no newline)."""
        ...

    async def submit(self, lines: list[bytes]) -> str:
        """Create a batch of ``lines``; its id."""
        ...

    async def status(self, batch_id: str) -> BatchStatus: ...

    async def results(self, status: BatchStatus, requests: Mapping[str, JudgeRequest]) -> BatchResults:
        """The answers of an ended batch (only keys of ``requests`` are read)."""
        ...
