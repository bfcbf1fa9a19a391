"""A loopback OpenAI-compatible judge server for tests and benchmarks.

The judge it plays knows the better responses (it is given the chosen texts) and answers correctly,
except for the behaviours a test plants: a position bias on a share of the questions, cue words it
follows, failures (429/500) on a share of first attempts, extra latency, provider faults (429s with
Retry-After, an exhausted quota, prompts too long, slow answers). Asked to rewrite a response it
returns it behind a fixed prefix (changing a number in a planted share), and asked whether a rewrite
keeps the meaning it says YES (NO in a planted share).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

_RESPONSE = re.compile(r"\[The Start of Response (A|B)((?: \([^)\n]*\))?)\]\n(.*?)\n\[The End of Response \1\]", re.DOTALL)
_ALONE = re.compile(r"\[The Start of the Response((?: \([^)\n]*\))?)\]\n(.*?)\n\[The End of the Response\]", re.DOTALL)
_TO_REWRITE = re.compile(r"<(response|answer)>\n(.*?)\n</\1>|\[Answer\]\n(.*)", re.DOTALL)
_CHECKED = re.compile(r"\[Version 1\]\n(.*?)\n\n\[Version 2\]\n(.*)", re.DOTALL)
_PASSAGE = re.compile(r"\[Passage\]\n(.*?)\n\[End of Passage\]", re.DOTALL)
_SENTENCES = re.compile(r"\[Sentence 1\]\n(.*?)\n\n\[Sentence 2\]\n(.*?)\n", re.DOTALL)
_QUESTION = re.compile(r"\[User Question\]\n(.*?)\n", re.DOTALL)


def _normalized(text: str) -> str:
    """Text without markdown bullets, bold and headers, whitespace collapsed: an edit keeps the answer in it."""
    text = re.sub(r"(?m)^\s*(#+|-)\s+", " ", text).replace("**", "")
    return " ".join(text.split())


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


@dataclass
class JudgeBehaviour:
    """What the mock judge does. ``position_share``: share of questions always answered "A"."""

    chosen_texts: set[str] = field(default_factory=set)
    rejected_texts: set[str] = field(default_factory=set)
    position_share: float = 0.0
    fail_share: float = 0.0
    fail_status: int = 500
    persistent_fail_share: float = 0.0
    latency_s: float = 0.0
    model_suffix: str = "-2026-01-01"
    """Appended to the requested model name in the answer's ``model`` field (the resolved snapshot)."""
    verdict_format: Callable[[str], str] = lambda label: f"Response {label} is better.\n[[{label}]]"
    follows: tuple[str, ...] = ()
    """Cue words it follows: when one response (its text or header) holds any of them, that one wins."""
    reject_logprobs: bool = False
    """Answer a request that asks for logprobs with HTTP 400, as servers without them do."""
    rewrite_prefix: str = "Put another way: "
    """A rewrite is the response behind this prefix."""
    number_break_share: float = 0.0
    """Share of rewrites in which it changes a number (the numbers check refuses them)."""
    meaning_no_share: float = 0.0
    """Share of meaning checks it answers NO."""
    bad_write_share: float = 0.0
    """Share of needle modifications it writes with identical true and false sentences (refused)."""
    wrong_pick_share: float = 0.0
    """Share of needle checks in which it picks the true sentence as the false one (refused)."""
    rate_limit_share: float = 0.0
    """Share of questions whose first ask gets a 429 with ``Retry-After: retry_after``."""
    retry_after: str = "1"
    quota_share: float = 0.0
    """Share of questions always answered with OpenAI's 429 ``insufficient_quota`` (no credit left)."""
    context_share: float = 0.0
    """Share of questions always answered with a 400 ``context_length_exceeded``."""
    slow_share: float = 0.0
    """Share of questions whose first ask hangs ``slow_s`` and then fails with a 504 (a shorter client
    timeout fires first): no answer of it is ever thrown away."""
    slow_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    """What the arrival of each request is timed with (``MockJudgeServer.arrivals``)."""


class LoopbackServer:
    """An aiohttp app on 127.0.0.1 (a free port), served from a background thread for a ``with`` block."""

    client_max_size = 1024**2

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def root(self) -> str:
        """The server's root URL (the Anthropic SDK adds /v1/... itself)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The OpenAI base URL."""
        return f"{self.root}/v1"

    def routes(self, app: web.Application) -> None:
        """Add the server's endpoints to ``app``."""
        raise NotImplementedError

    async def _start(self) -> None:
        app = web.Application(client_max_size=self.client_max_size)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def __enter__(self):  # noqa: ANN204 - the subclass
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


class MockJudgeServer(LoopbackServer):
    """Runs the aiohttp app on 127.0.0.1 in a background thread; counts what it receives."""

    def __init__(self, behaviour: JudgeBehaviour) -> None:
        super().__init__()
        self.behaviour = behaviour
        self._chosen = [_normalized(text) for text in behaviour.chosen_texts]
        self._rejected = [_normalized(text) for text in behaviour.rejected_texts]
        self.requests = 0
        self.answered = 0
        self.failures = 0
        self.rewrites = 0
        self.bodies: list[str] = []
        self.contents: list[str] = []
        """The user message of every answered request."""
        self.response_formats: list[object] = []
        self.systems: list[object] = []
        """The system field of every Anthropic request."""
        self.arrivals: dict[str, list[float]] = {}
        """Per question (the sha256 of its last message), when each ask of it arrived (``behaviour.clock``)."""
        self.faults: list[tuple[str, int]] = []
        """(question, HTTP status) of every planted provider fault answered."""
        self._seen_failures: set[str] = set()
        self._seen_faults: set[str] = set()

    def verdict(self, content: str) -> str:
        shown = {label: (header, text) for label, header, text in _RESPONSE.findall(content)}
        responses = {label: text for label, (_, text) in shown.items()}
        question = _QUESTION.search(content)
        if question and _fraction(question.group(1)) < self.behaviour.position_share:
            return "A"
        cued = [label for label, (header, text) in shown.items() if any(w in f"{header} {text}".lower() for w in self.behaviour.follows)]
        if len(cued) == 1:
            return cued[0]
        def score(label: str) -> int:
            """Longest better response it contains minus longest worse one: edits keep the answer inside."""
            shown = _normalized(responses.get(label, ""))
            contained = lambda texts: max((len(t) for t in texts if t in shown), default=0)  # noqa: E731
            return contained(self._chosen) - contained(self._rejected)

        return "B" if score("B") > score("A") else "A"

    def rating(self, header: str, text: str) -> int:
        """A pointwise rating: 8 for a better response, 3 for a worse one, 10 for one with a cue it follows."""
        if any(w in f"{header} {text}".lower() for w in self.behaviour.follows):
            return 10
        shown = _normalized(text)
        better = max((len(t) for t in self._chosen if t in shown), default=0)
        worse = max((len(t) for t in self._rejected if t in shown), default=0)
        return 8 if better > worse else 3 if worse > better else 5

    def needle(self, content: str) -> str | None:
        """Asked to write a needle modification: a true and a false word count of the passage; asked to
        check one: which sentence states the wrong count. None for any other request."""
        passage = _PASSAGE.search(content)
        if passage is None:
            return None
        words = len(passage.group(1).split())
        sentences = _SENTENCES.search(content)
        if sentences is None:
            same = _fraction(passage.group(1) + "write") < self.behaviour.bad_write_share
            return json.dumps({"true": f"This passage runs to {words} words.", "false": f"This passage runs to {words if same else words + 7} words."})
        wrong = "1" if f"to {words} words" in sentences.group(2) else "2"
        if _fraction(content + "pick") < self.behaviour.wrong_pick_share:
            wrong = "2" if wrong == "1" else "1"
        return wrong

    def answer(self, content: str) -> str:
        """A verdict; or, asked to rewrite, the response behind a prefix; or, asked to check, YES/NO."""
        if (written := self.needle(content)) is not None:
            return written
        checked = _CHECKED.search(content)
        if checked is not None:
            return "NO" if _fraction(checked.group(2) + "no") < self.behaviour.meaning_no_share else "YES"
        alone = _ALONE.search(content)
        if alone is not None:
            return f"Rating: [[{self.rating(alone.group(1), alone.group(2))}]]"
        if "[The Start of Response A" not in content and (found := _TO_REWRITE.search(content)):
            self.rewrites += 1
            original = found.group(2) or found.group(3)
            if _fraction(original + "break") < self.behaviour.number_break_share:
                original = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), original, count=1)
            return self.behaviour.rewrite_prefix + original
        return self.behaviour.verdict_format(self.verdict(content))

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.json()
        content = body["messages"][-1]["content"]
        digest = hashlib.sha256(content.encode()).hexdigest()
        self.arrivals.setdefault(digest, []).append(self.behaviour.clock())
        if self.behaviour.latency_s:
            await asyncio.sleep(self.behaviour.latency_s)
        if (fault := await self._fault(digest)) is not None:
            self.failures += 1
            self.faults.append((digest, fault.status))
            return fault
        if body.get("logprobs") and self.behaviour.reject_logprobs:
            self.failures += 1
            return web.json_response({"error": {"message": "logprobs is not supported with this model"}}, status=400)
        if _fraction(digest + "always") < self.behaviour.persistent_fail_share:
            self.failures += 1
            return web.json_response({"error": {"message": "broken"}}, status=500)
        if _fraction(digest + "fail") < self.behaviour.fail_share and digest not in self._seen_failures:
            self._seen_failures.add(digest)
            self.failures += 1
            self.faults.append((digest, self.behaviour.fail_status))
            return web.json_response({"error": {"message": "try again"}}, status=self.behaviour.fail_status)
        self.answered += 1
        self.bodies.append(digest)
        self.contents.append(content)
        text = self.answer(content)
        self.response_formats.append(body.get("response_format"))
        if body.get("response_format"):  # structured output: the verdict as the schema's JSON
            verdict = re.search(r"\[\[(A|B|C)\]\]", text)
            text = json.dumps({"reasoning": "as asked", "verdict": verdict.group(1) if verdict else "tie"})
        logprobs = {"content": _token_logprobs(text)} if body.get("logprobs") else None
        return web.json_response(
            {
                "id": "chatcmpl-mock",
                "object": "chat.completion",
                "created": 0,
                "model": f"{body.get('model', 'mock')}{self.behaviour.model_suffix}",
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}, "logprobs": logprobs}
                ],
                "usage": {"prompt_tokens": len(content) // 4, "completion_tokens": 8, "total_tokens": len(content) // 4 + 8},
            }
        )

    async def _fault(self, digest: str) -> web.Response | None:
        """The planted provider fault for this question, if any (every share is 0 by default)."""
        behaviour = self.behaviour
        first = digest not in self._seen_faults
        self._seen_faults.add(digest)
        if first and _fraction(digest + "slow") < behaviour.slow_share:
            await asyncio.sleep(behaviour.slow_s)
            return web.json_response({"error": {"message": "upstream timed out"}}, status=504)
        if _fraction(digest + "quota") < behaviour.quota_share:
            error = {"message": "You exceeded your current quota, please check your plan and billing details.",
                     "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}
            return web.json_response({"error": error}, status=429)
        if _fraction(digest + "context") < behaviour.context_share:
            error = {"message": "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
                     "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}
            return web.json_response({"error": error}, status=400)
        if first and _fraction(digest + "limit") < behaviour.rate_limit_share:
            error = {"message": "Rate limit reached for requests", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
            return web.json_response({"error": error}, status=429, headers={"Retry-After": behaviour.retry_after})
        return None

    async def _handle_anthropic(self, request: web.Request) -> web.Response:
        """The Anthropic Messages API: the same judge, Anthropic's request and answer shapes."""
        self.requests += 1
        body = await request.json()
        self.systems.append(body.get("system"))
        content = body["messages"][-1]["content"]
        self.answered += 1
        self.contents.append(content)
        text = self.answer(content)
        return web.json_response(
            {
                "id": "msg_mock", "type": "message", "role": "assistant",
                "model": f"{body.get('model', 'mock')}{self.behaviour.model_suffix}",
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": len(content) // 4, "output_tokens": 8, "cache_read_input_tokens": 30},
            }
        )

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/messages", self._handle_anthropic)


LABEL_CONFIDENCE = 0.8
"""With logprobs asked, the mock gives the label it writes this probability and the other label the rest."""


def _token_logprobs(text: str) -> list[dict]:
    """Per token of ``text``: its log-probability and alternatives (for a label, the other label too)."""
    tokens = []
    for token in re.findall(r"\[\[|\]\]|\w+|[^\w\s]|\s+", text):
        if token in ("A", "B"):
            other = "B" if token == "A" else "A"
            top = [(token, math.log(LABEL_CONFIDENCE)), (other, math.log(1 - LABEL_CONFIDENCE))]
        else:
            top = [(token, -0.01)]
        tokens.append({
            "token": token, "logprob": top[0][1], "bytes": None,
            "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in top],
        })
    return tokens


def chosen_texts_of(path: str, field: str = "chosen") -> set[str]:
    """The chosen (or another field's) responses of a JSONL dataset."""
    with open(path, encoding="utf-8") as handle:
        return {json.loads(line)[field].strip() for line in handle if line.strip()}


def main() -> None:
    """Serve the mock judge in its own process (for benchmarks): prints the base URL, runs until killed."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    with MockJudgeServer(JudgeBehaviour(latency_s=args.latency)) as server:
        print(server.url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
