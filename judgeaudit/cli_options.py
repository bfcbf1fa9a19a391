"""The command line's options, each defined once: the judge, engine and output groups that ``run``,
``plan`` and ``needle`` share, and ``run``'s own. A parameter is named as the config field it sets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

# The judge: which one, and how it is asked.
Judge = Annotated[str, typer.Option("--judge", "-j", help="smollm2 | llamacpp:<gguf> | openai/<model> | anthropic/<model> | <provider>/<model> | python:<module>:<function> | replay:<file> | hf:<model>")]
ApiBase = Annotated[Optional[str], typer.Option("--api-base", help="Base URL of an OpenAI-compatible server.")]
Logprobs = Annotated[bool, typer.Option("--logprobs/--no-logprobs", help="Ask an OpenAI-compatible server for the verdict token's probabilities, so verdicts carry a soft preference (a server that rejects them is asked without).")]
Temperature = Annotated[float, typer.Option("--temperature")]
MaxTokens = Annotated[int, typer.Option("--max-tokens", min=1, help="Answer token limit for text judges: room for judges that reason first (an answer cut off here is truncated, never scored).")]
Rewriter = Annotated[Optional[str], typer.Option("--rewriter", help="A model (any --judge form) that writes the injected text: for `run`, biases injected by rewriting the response (tone, assertiveness, sentiment...); for `needle`, a true and a false sentence for every chunk of your material.")]
RewriterApiBase = Annotated[Optional[str], typer.Option("--rewriter-api-base", help="Base URL of the rewriter's server.")]
Seed = Annotated[int, typer.Option("--seed")]

# The engine: how calls go out (none of it changes an answer).
Concurrency = Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Requests in flight at once.")]
MaxRetries = Annotated[int, typer.Option("--max-retries", min=0)]
Timeout = Annotated[float, typer.Option("--timeout", help="Per-request timeout in seconds.")]

# The output: where run folders go, and the response cache.
Out = Annotated[Path, typer.Option("--out", "-o", help="Folder that holds run folders.")]
Cache = Annotated[Optional[Path], typer.Option("--cache", help="SQLite cache file (default: $JUDGEAUDIT_CACHE or ~/.cache/judgeaudit/responses.sqlite).")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the response cache.")]
