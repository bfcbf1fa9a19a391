"""Execute a run's requests through a provider's batch API (about half the price, answers within 24 h):
journal (resume) -> cache -> batches submitted, their ids kept in the run folder, polled until they end.

An interrupted run resumes polling the batches it submitted (``batches.json`` in the run folder) instead of
submitting them again: no request is paid twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from judgeaudit.engine.answers import AnswerBook, EngineCounts
from judgeaudit.engine.cache import ResponseCache
from judgeaudit.engine.journal import Journal
from judgeaudit.engine.retry import is_retryable
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.judges.batching import BatchProvider, BatchStatus
from judgeaudit.schema import JudgeRequest, Judgment

STATE_NAME = "batches.json"
"""The batches a run has submitted and not yet read, in its run folder."""
MAX_POLL_FAILURES = 10
"""Polls of one batch failing in a row (rate limits, server errors, dropped connections) before the run stops."""
_CUSTOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what both providers accept as a custom_id


@dataclass
class BatchCounts(EngineCounts):
    """What this invocation did; ``calls`` counts the requests answered through a batch (errored lines included)."""

    batches: int = 0
    """Batches submitted."""
    resumed_batches: int = 0
    """Batches an interrupted run had submitted, polled again instead of submitting their requests again."""
    polls: int = 0


@dataclass(frozen=True)
class SubmittedBatch:
    """A batch in flight: its id and the request keys it holds."""

    id: str
    keys: tuple[str, ...]
    submitted_at: float


def _provider(judge: Judge, max_requests: int | None, max_bytes: int | None) -> BatchProvider:
    """The batch API behind ``judge``, with its limits per batch or the ones given."""
    provider = judge.batch_provider()
    if provider is None:
        raise JudgeAuditError(
            f"judge {judge.identity} has no batch API: --batch works with openai/<model> and "
            "anthropic/<model>; run without --batch"
        )
    provider.max_requests = max_requests or provider.max_requests
    provider.max_bytes = max_bytes or provider.max_bytes
    return provider


def load_state(run_dir: Path) -> list[SubmittedBatch]:
    """The batches in flight recorded in ``run_dir`` (none when there is no state file)."""
    path = Path(run_dir) / STATE_NAME
    if not path.exists():
        return []
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return [SubmittedBatch(b["id"], tuple(b["keys"]), b["submitted_at"]) for b in state["batches"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise JudgeAuditError(f"{path}: not a batch state file ({exc}); it lists the batches in flight") from None


def save_state(run_dir: Path, judge: Judge, batches: list[SubmittedBatch]) -> None:
    """Record ``batches`` in ``run_dir`` atomically (a kill leaves the old file or the new one); none: no file."""
    path = Path(run_dir) / STATE_NAME
    if not batches:
        path.unlink(missing_ok=True)
        return
    state = {
        "version": 1,
        "judge": judge.identity,
        "api_base": judge.api_base,
        "batches": [{"id": b.id, "submitted_at": b.submitted_at, "keys": list(b.keys)} for b in batches],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(state, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def split(lines: list[tuple[str, bytes]], max_requests: int, max_bytes: int) -> list[list[tuple[str, bytes]]]:
    """``lines`` (key, line) in order, cut into batches of at most ``max_requests`` lines and ``max_bytes``
    bytes (a newline or comma counted per line)."""
    batches: list[list[tuple[str, bytes]]] = []
    size = 0
    for key, line in lines:
        if len(line) + 1 > max_bytes:
            raise JudgeAuditError(f"request {key} is {len(line)} bytes: more than a batch may hold ({max_bytes})")
        if not batches or len(batches[-1]) >= max_requests or size + len(line) + 1 > max_bytes:
            batches.append([])
            size = 0
        batches[-1].append((key, line))
        size += len(line) + 1
    return batches


_RESUME = "answers so far are kept: rerun the same command to resume"


def _stopped(judge: Judge, what: str, exc: BaseException, hint: str = _RESUME) -> JudgeAuditError:
    """The one-line error that stops a batch run: what failed, how the server said so, what to do."""
    status = getattr(exc, "status_code", None)
    http = f" (HTTP {status})" if status else ""
    said = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
    return JudgeAuditError(f"judge {judge.identity} at {judge.where}: {what} failed{http}: {said}; {hint}")


async def execute_batch(
    requests: Mapping[str, JudgeRequest],
    judge: Judge,
    journal: Journal,
    cache: ResponseCache | None,
    run_dir: Path,
    poll_interval_s: float = 60.0,
    on_answer: Callable[[Judgment], None] | None = None,
    on_poll: Callable[[str, str], None] | None = None,
    max_requests: int | None = None,
    max_bytes: int | None = None,
    price: Callable[[Judgment], float] | None = None,
) -> tuple[dict[str, Judgment], BatchCounts]:
    """Answer every request once through the judge's batch API, recording each answer in the journal.

    Answers in the journal are reused (resume) and cache hits cost nothing, as with ``execute``. The rest
    are submitted in batches of at most ``max_requests`` requests and ``max_bytes`` bytes (None: the
    provider's limits), each recorded in ``run_dir/batches.json`` as soon as it is created; then every
    batch is polled, ``poll_interval_s`` apart, until it ends (``on_poll`` gets its id and status after each
    poll) and its answers are priced (``price``: dollars at the batch rate, for answers that report no cost
    of their own), journaled, cached and passed to ``on_answer``. Requests a batch did not
    answer (errored, expired, cancelled, or the whole batch failed) come back as ``verdict="error"``
    judgments and are asked again on the next run. Rerun after an interruption, it polls the batches
    recorded in ``run_dir`` instead of submitting their requests again.
    """
    counts = BatchCounts()
    book = AnswerBook(journal, cache, counts, on_answer)
    run = _BatchRun(_provider(judge, max_requests, max_bytes), judge, book, counts, requests, run_dir, on_poll, price)
    try:
        await run.run(poll_interval_s)
    finally:
        book.close()
    return book.answers, counts


class _BatchRun:
    """One batch-engine invocation: submit what is pending, poll what is open, read what ended."""

    def __init__(
        self, provider: BatchProvider, judge: Judge, book: AnswerBook, counts: BatchCounts, requests: Mapping[str, JudgeRequest],
        run_dir: Path, on_poll: Callable[[str, str], None] | None, price: Callable[[Judgment], float] | None,
    ) -> None:
        """``counts``: the book's, with the batch counts beside its own."""
        self.provider, self.judge, self.book, self.counts = provider, judge, book, counts
        self.requests, self.run_dir, self.on_poll, self.price = requests, run_dir, on_poll, price
        in_flight = load_state(run_dir)
        waiting = {key for batch in in_flight for key in batch.keys}
        self.pending = [key for key in book.settle(requests) if key not in waiting]
        self.open = [b for b in in_flight if any(k in requests and k not in book.answers for k in b.keys)]
        self.counts.resumed_batches = len(self.open)
        if self.open != in_flight:
            save_state(run_dir, judge, self.open)
        self.poll_failures: dict[str, int] = {}
        self.asked_again: set[str] = set()

    async def run(self, poll_interval_s: float) -> None:
        while self.pending or self.open:
            if self.pending:
                await self._submit()
            still_open: list[SubmittedBatch] = []
            for index, batch in enumerate(self.open):
                if await self._poll(batch):
                    save_state(self.run_dir, self.judge, still_open + self.open[index + 1 :])  # after its answers are journaled
                else:
                    still_open.append(batch)
            self.open = still_open
            if self.open:
                await asyncio.sleep(poll_interval_s)

    async def _submit(self) -> None:
        """Submit the pending requests in batches within the provider's limits, each recorded once created."""
        for key in self.pending:
            if not _CUSTOM_ID.fullmatch(key):
                raise JudgeAuditError(f"request key {key!r} cannot be a batch custom_id (1-64 of A-Z a-z 0-9 _ -)")
        lines = [(key, self.provider.line(key, self.requests[key])) for key in self.pending]
        self.pending = []
        for chunk in split(lines, self.provider.max_requests, self.provider.max_bytes):
            try:
                batch_id = await self.provider.submit([line for _, line in chunk])
            except Exception as exc:
                hint = _RESUME if is_retryable(exc) else "without a batch API at this endpoint, run without --batch"
                raise _stopped(self.judge, "submitting a batch", exc, hint) from None
            self.open.append(SubmittedBatch(batch_id, tuple(key for key, _ in chunk), time.time()))
            save_state(self.run_dir, self.judge, self.open)
            self.counts.batches += 1

    async def _poll(self, batch: SubmittedBatch) -> bool:
        """Poll ``batch``; once it ended, record its answers. Whether it ended."""
        try:
            status = await self.provider.status(batch.id)
        except Exception as exc:
            self.poll_failures[batch.id] = self.poll_failures.get(batch.id, 0) + 1
            if not is_retryable(exc):
                gone = f"if the batch is gone, delete {Path(self.run_dir) / STATE_NAME} to submit its requests again"
                raise _stopped(self.judge, f"polling batch {batch.id}", exc, gone) from None
            if self.poll_failures[batch.id] >= MAX_POLL_FAILURES:
                raise _stopped(self.judge, f"polling batch {batch.id}", exc) from None
            return False
        self.poll_failures.pop(batch.id, None)
        self.counts.polls += 1
        if self.on_poll is not None:
            self.on_poll(batch.id, status.status)
        if status.ended:
            await self._read(batch, status)
        return status.ended

    async def _read(self, batch: SubmittedBatch, status: BatchStatus) -> None:
        """Record the answers of an ended batch; a request it did not answer as an error, or pending again
        where the judge now asks it differently."""
        try:
            results = await self.provider.results(status, self.requests)
        except Exception as exc:
            raise _stopped(self.judge, f"reading the results of batch {batch.id}", exc) from None
        unanswered = f"batch {status.status}: {status.failure or 'no result for this request'}"
        for key in batch.keys:
            if key not in self.requests or key in self.book.answers:
                continue
            if key in results.ask_again and key not in self.asked_again:
                self.asked_again.add(key)
                self.pending.append(key)
            else:
                self._record(key, results.answers.get(key, Judgment(verdict="error", error=unanswered[:500])))

    def _record(self, key: str, judgment: Judgment) -> None:
        if self.price is not None and judgment.ok:
            judgment.cost_usd = judgment.cost_usd or self.price(judgment)
        if not judgment.ok:
            self.counts.failed += 1
        self.book.record(key, self.requests[key], judgment)
