"""The OpenAI Batch API: a JSONL file of Chat Completions bodies uploaded, a batch over it, its output and
error files read back with the judge's own reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from judgeaudit.judges.batching import BatchResults, BatchStatus
from judgeaudit.judges.openai_compat import OpenAICompatJudge
from judgeaudit.schema import JudgeRequest, Judgment

ENDPOINT: Final = "/v1/chat/completions"
_ENDED = {"completed", "failed", "expired", "cancelled"}
_WHY = {"expired": "the 24 h completion window ended first", "cancelled": "the batch was cancelled"}
_LINE_ERRORS = {"batch_expired": "expired", "batch_cancelled": "canceled"}


class OpenAIBatches:
    """Batches of an OpenAI (or OpenAI-compatible, where the server has the Batch API) judge."""

    max_requests = 50_000
    max_bytes = 200_000_000

    def __init__(self, judge: OpenAICompatJudge) -> None:
        self.judge = judge

    def line(self, key: str, request: JudgeRequest) -> bytes:
        entry = {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": self.judge.request_body(request)}
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()

    async def submit(self, lines: list[bytes]) -> str:
        client = self.judge.client
        uploaded = await client.files.create(file=("judgeaudit-batch.jsonl", b"\n".join(lines) + b"\n"), purpose="batch")
        batch = await client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h")
        return batch.id

    async def status(self, batch_id: str) -> BatchStatus:
        batch = await self.judge.client.batches.retrieve(batch_id)
        failure = _WHY.get(batch.status)
        if batch.status == "failed":
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            failure = "; ".join(f"{e.code}: {e.message}" for e in errors[:3]) or "the batch failed"
        files = tuple(f for f in (batch.output_file_id, batch.error_file_id) if f)
        return BatchStatus(batch.status, batch.status in _ENDED, failure, files)

    async def results(self, status: BatchStatus, requests: Mapping[str, JudgeRequest]) -> BatchResults:
        """The lines of its output and error files."""
        answers: dict[str, Judgment] = {}
        again: set[str] = set()
        for file_id in status.results_at:
            content = await self.judge.client.files.content(file_id)
            for text in content.text.splitlines():
                entry = json.loads(text) if text.strip() else {}
                key = entry.get("custom_id")
                if isinstance(key, str) and key in requests:
                    answers[key], refused = self._read(entry, requests[key])
                    if refused:
                        again.add(key)
        return BatchResults(answers, frozenset(again))

    def _read(self, entry: dict[str, Any], request: JudgeRequest) -> tuple[Judgment, bool]:
        """One output or error line as a Judgment, and whether it was refused for its logprobs (the judge
        leaves them out from then on)."""
        error = entry.get("error")
        response = entry.get("response") or {}
        if error:
            kind = _LINE_ERRORS.get(error.get("code"), "errored")
            return Judgment(verdict="error", error=f"batch {kind}: {error.get('code')}: {error.get('message')}"[:500]), False
        code = response.get("status_code")
        body = response.get("body") or {}
        if code == 200:
            return self.judge.read_response(body, request.task), False
        message = str((body.get("error") or {}).get("message") or body)
        refused = self.judge.refuses_logprobs("top_logprobs" in request.params, code, message)
        return Judgment(verdict="error", error=f"batch errored: HTTP {code}: {message}"[:500]), refused
