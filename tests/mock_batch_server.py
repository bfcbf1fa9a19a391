"""A loopback server with the batch APIs of OpenAI (files + batches) and Anthropic (message batches) for tests.

Every batch line is answered by the mock judge of ``tests.mock_judge_server`` (the same handlers that answer
its direct calls, which this server serves too), so a batch answer and a direct answer are the same. A test
plants: batches that stay in progress for some polls, a share of lines that error (each the first time
only), batches that fail or expire as a whole; and reads what the server received.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.mock_judge_server import JudgeBehaviour, LoopbackServer, MockJudgeServer, _fraction


@dataclass
class BatchBehaviour:
    """What the batch endpoints do."""

    polls_in_progress: int = 1
    """Polls a batch answers as still in progress before it ends."""
    error_share: float = 0.0
    """Share of lines (by custom_id) that error, each the first time it is asked only."""
    fail_batches: int = 0
    """The first this many batches fail as a whole (OpenAI: status failed; Anthropic: every line errored)."""
    expire_batches: int = 0
    """The next this many batches expire with no line answered."""
    failing_polls: int = 0
    """The first this many polls are answered 503 (not counted in ``polls``)."""


@dataclass
class _Batch:
    id: str
    provider: str
    lines: list[dict[str, Any]]
    outcome: str
    polls: int = 0
    results: list[dict[str, Any]] | None = None

    @property
    def custom_ids(self) -> list[str]:
        return [line["custom_id"] for line in self.lines]


class _Posted:
    """A parsed body posed as the aiohttp request the mock judge's handlers read."""

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body

    async def json(self) -> dict[str, Any]:
        return self._body


class MockBatchServer(LoopbackServer):
    """Runs the aiohttp app on 127.0.0.1 in a background thread; counts what it receives."""

    client_max_size = 64 * 1024**2  # batch files

    def __init__(self, judge: JudgeBehaviour, behaviour: BatchBehaviour | None = None) -> None:
        super().__init__()
        self.judge = MockJudgeServer(judge)  # never started: its handlers answer direct calls and batch lines
        self.behaviour = behaviour or BatchBehaviour()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, _Batch] = {}
        self.files_uploaded = 0
        self.batches_created = 0
        self.polls = 0
        self.failed_polls = 0
        self.polled: Counter[str] = Counter()
        """Polls per batch id."""
        self.lines_answered: Counter[str] = Counter()
        """Lines answered (not errored) per custom_id, across batches."""
        self._errored: set[str] = set()
        self._ids = itertools.count(1)

    def _new_batch(self, provider: str, lines: list[dict[str, Any]]) -> _Batch:
        index = self.batches_created
        self.batches_created += 1
        failing = self.behaviour.fail_batches
        outcome = "failed" if index < failing else "expired" if index < failing + self.behaviour.expire_batches else "ok"
        batch = _Batch(f"batch_{next(self._ids)}", provider, lines, outcome)
        self.batches[batch.id] = batch
        return batch

    def _poll(self, batch_id: str) -> _Batch:
        if batch_id not in self.batches:
            raise web.HTTPNotFound(text=json.dumps({"error": {"message": f"no batch {batch_id}"}}), content_type="application/json")
        if self.failed_polls < self.behaviour.failing_polls:
            self.failed_polls += 1
            raise web.HTTPServiceUnavailable(text=json.dumps({"error": {"message": "busy"}}), content_type="application/json")
        batch = self.batches[batch_id]
        self.polls += 1
        self.polled[batch_id] += 1
        batch.polls += 1
        return batch

    def _ended(self, batch: _Batch) -> bool:
        return batch.polls > self.behaviour.polls_in_progress

    def _errs(self, custom_id: str) -> bool:
        if custom_id in self._errored or _fraction(custom_id + "batch-error") >= self.behaviour.error_share:
            return False
        self._errored.add(custom_id)
        return True

    async def _answer(self, provider: str, custom_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The mock judge's direct answer to ``body``: its status and JSON body."""
        handler = self.judge._handle if provider == "openai" else self.judge._handle_anthropic
        response = await handler(_Posted(body))  # type: ignore[arg-type]
        if response.status == 200:
            self.lines_answered[custom_id] += 1
        return response.status, json.loads(response.text or "{}")

    # --- OpenAI: files and batches ---

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        content = upload.file.read()  # type: ignore[union-attr]
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = content
        self.files_uploaded += 1
        return web.json_response({
            "id": file_id, "object": "file", "bytes": len(content), "created_at": 0,
            "filename": getattr(upload, "filename", "batch.jsonl"), "purpose": form.get("purpose"), "status": "processed",
        })

    async def _create_openai(self, request: web.Request) -> web.Response:
        body = await request.json()
        content = self.files[body["input_file_id"]].decode()
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        batch = self._new_batch("openai", lines)
        return web.json_response(self._openai_batch(batch, body["input_file_id"]))

    def _openai_batch(self, batch: _Batch, input_file_id: str = "file-input") -> dict[str, Any]:
        ended = self._ended(batch)
        status = ("completed" if batch.outcome == "ok" else batch.outcome) if ended else "in_progress" if batch.polls else "validating"
        output = [r for r in batch.results or [] if r["response"] and r["response"]["status_code"] == 200]
        errors = [r for r in batch.results or [] if r not in output]
        return {
            "id": batch.id, "object": "batch", "endpoint": "/v1/chat/completions", "completion_window": "24h",
            "input_file_id": input_file_id, "status": status, "created_at": 0,
            "errors": {"object": "list", "data": [{"code": "invalid_request", "message": "mock: the batch failed", "line": 1}]}
            if ended and batch.outcome == "failed" else None,
            "output_file_id": f"{batch.id}-output" if output else None,
            "error_file_id": f"{batch.id}-errors" if errors else None,
            "request_counts": {"total": len(batch.lines), "completed": len(output), "failed": len(errors)},
        }

    async def _retrieve_openai(self, request: web.Request) -> web.Response:
        batch = self._poll(request.match_info["batch_id"])
        if self._ended(batch) and batch.results is None:
            batch.results = []
            for line in batch.lines:
                key = line["custom_id"]
                if batch.outcome == "failed":
                    continue
                if batch.outcome == "expired":
                    error = {"code": "batch_expired", "message": "mock: not run before the window ended"}
                    batch.results.append({"custom_id": key, "response": None, "error": error})
                    continue
                if self._errs(key):
                    status, body = 500, {"error": {"message": "mock: the line failed", "type": "server_error"}}
                else:
                    status, body = await self._answer("openai", key, line["body"])
                batch.results.append({"custom_id": key, "response": {"status_code": status, "body": body}, "error": None})
        return web.json_response(self._openai_batch(batch))

    async def _file_content(self, request: web.Request) -> web.Response:
        batch_id, _, kind = request.match_info["file_id"].rpartition("-")
        batch = self.batches[batch_id]
        ok = lambda r: bool(r["response"]) and r["response"]["status_code"] == 200  # noqa: E731
        lines = [r for r in batch.results or [] if ok(r) == (kind == "output")]
        return web.Response(body="".join(json.dumps(r) + "\n" for r in lines), content_type="application/octet-stream")

    # --- Anthropic: message batches ---

    def _anthropic_batch(self, batch: _Batch) -> dict[str, Any]:
        ended = self._ended(batch)
        kinds = Counter(r["result"]["type"] for r in batch.results or [])
        return {
            "id": batch.id, "type": "message_batch", "processing_status": "ended" if ended else "in_progress",
            "request_counts": {"processing": 0 if ended else len(batch.lines), "succeeded": kinds["succeeded"],
                               "errored": kinds["errored"], "canceled": kinds["canceled"], "expired": kinds["expired"]},
            "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z",
            "ended_at": "2026-01-01T01:00:00Z" if ended else None, "cancel_initiated_at": None, "archived_at": None,
            "results_url": f"{self.root}/v1/messages/batches/{batch.id}/results" if ended else None,
        }

    async def _create_anthropic(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(self._anthropic_batch(self._new_batch("anthropic", body["requests"])))

    async def _retrieve_anthropic(self, request: web.Request) -> web.Response:
        batch = self._poll(request.match_info["batch_id"])
        if self._ended(batch) and batch.results is None:
            batch.results = []
            for line in batch.lines:
                key = line["custom_id"]
                if batch.outcome == "expired":
                    result: dict[str, Any] = {"type": "expired"}
                elif batch.outcome == "failed" or self._errs(key):
                    result = {"type": "errored", "error": {"type": "error", "error": {"type": "api_error", "message": "mock: the line failed"}}}
                else:
                    _, message = await self._answer("anthropic", key, line["params"])
                    result = {"type": "succeeded", "message": message}
                batch.results.append({"custom_id": key, "result": result})
        return web.json_response(self._anthropic_batch(batch))

    async def _results_anthropic(self, request: web.Request) -> web.Response:
        batch = self.batches[request.match_info["batch_id"]]
        body = "".join(json.dumps(r) + "\n" for r in batch.results or [])
        return web.Response(body=body, content_type="application/binary")

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.judge._handle)
        app.router.add_post("/v1/messages", self.judge._handle_anthropic)
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{file_id}/content", self._file_content)
        app.router.add_post("/v1/batches", self._create_openai)
        app.router.add_get("/v1/batches/{batch_id}", self._retrieve_openai)
        app.router.add_post("/v1/messages/batches", self._create_anthropic)
        app.router.add_get("/v1/messages/batches/{batch_id}", self._retrieve_anthropic)
        app.router.add_get("/v1/messages/batches/{batch_id}/results", self._results_anthropic)
