"""The Anthropic Message Batches API: Messages API bodies sent as one batch, its JSONL results read back
with the judge's own reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from judgeaudit.judges.anthropic_judge import AnthropicJudge
from judgeaudit.judges.batching import BatchResults, BatchStatus
from judgeaudit.schema import JudgeRequest, Judgment

_WHY = {
    "expired": "not processed within the batch's 24 h",
    "canceled": "the batch was canceled before this request was processed",
}


class AnthropicBatches:
    """Message Batches of an Anthropic judge."""

    max_requests = 100_000
    max_bytes = 256_000_000

    def __init__(self, judge: AnthropicJudge) -> None:
        self.judge = judge

    def line(self, key: str, request: JudgeRequest) -> bytes:
        entry = {"custom_id": key, "params": self.judge.request_body(request)}
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()

    async def submit(self, lines: list[bytes]) -> str:
        batch = await self.judge.client.messages.batches.create(requests=[json.loads(line) for line in lines])
        return batch.id

    async def status(self, batch_id: str) -> BatchStatus:
        batch = await self.judge.client.messages.batches.retrieve(batch_id)
        ended = batch.processing_status == "ended"
        return BatchStatus(batch.processing_status, ended, results_at=(batch.results_url,) if batch.results_url else ())

    async def results(self, status: BatchStatus, requests: Mapping[str, JudgeRequest]) -> BatchResults:
        """Its results file read as plain JSON lines (no SDK model per line), the form the judge's reader takes."""
        answers: dict[str, Judgment] = {}
        for url in status.results_at:
            text = await self.judge.client.get(url, cast_to=str, options={"headers": {"Accept": "application/binary"}})
            for line in text.splitlines():
                entry = json.loads(line) if line.strip() else {}
                key = entry.get("custom_id")
                if isinstance(key, str) and key in requests:
                    answers[key] = self._read(entry.get("result") or {}, requests[key])
        return BatchResults(answers)

    def _read(self, result: dict[str, Any], request: JudgeRequest) -> Judgment:
        """One result as a Judgment: the message read, or why there is none."""
        kind = result.get("type")
        if kind == "succeeded":
            return self.judge.read_response(result.get("message") or {}, request.task)
        if kind == "errored":
            error = result.get("error") or {}
            inner = error.get("error") or error  # an error response wraps the error itself
            why = f"{inner.get('type')}: {inner.get('message')}"
        else:
            why = _WHY.get(str(kind), "no answer")
        return Judgment(verdict="error", error=f"batch {kind}: {why}"[:500])
