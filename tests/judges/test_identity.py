"""API judge identity: the effective endpoint enters every key and the manifest, credentials never do,
and the model name the provider answers with is recorded per judgment."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from judgeaudit.biases.probes import shared_probes
from judgeaudit.formulations import PAIRWISE
from judgeaudit.judges.endpoint import endpoint_identity, redact_url
from judgeaudit.judges.litellm_judge import LiteLLMJudge
from judgeaudit.judges.openai_compat import OpenAICompatJudge
from judgeaudit.schema import Instance
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

PROBE = shared_probes(Instance(id="i1", prompt="2+2?", chosen="4", rejected="5"))[0]
SECRET_BASE = "https://user:s3cret@host/v1?api_key=abc&region=eu"


def _closed(judge):
    asyncio.run(judge.aclose())
    return judge


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    for name in ("OPENAI_BASE_URL", "HOSTED_VLLM_API_BASE", "ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@host:8443/v1", "https://host:8443/v1"),
        ("https://token@host/v1", "https://host/v1"),
        ("https://host/v1?api_key=abc&region=eu", "https://host/v1?api_key=REDACTED&region=eu"),
        ("https://host/v1?sig=s&X-Goog-Api-Key=k&my_token=t&code=c", "https://host/v1?sig=REDACTED&X-Goog-Api-Key=REDACTED&my_token=REDACTED&code=REDACTED"),
        ("https://host/v1#access_token=t", "https://host/v1"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["https://host/v1", "https://host/v1/", "HTTPS://Host/v1/", "https://user:pw@host/v1/", "https://host/v1//"],
)
def test_one_endpoint_whatever_its_trailing_slash(url: str) -> None:
    # SDK releases add or drop the slash after /v1; it is in the run id and every cache key.
    assert endpoint_identity(url) == endpoint_identity(url + "#fragment") == "https://host/v1"
    assert endpoint_identity(url + "?api_key=abc&region=eu") == "https://host/v1?api_key=REDACTED&region=eu"


def test_judges_with_and_without_the_trailing_slash_ask_the_same_requests() -> None:
    bare, slashed = (_closed(OpenAICompatJudge("m", api_base=base)) for base in ("https://host/v1", "https://host/v1/"))
    assert bare.describe() == slashed.describe()
    assert PAIRWISE.requests(bare, PROBE)[0].key == PAIRWISE.requests(slashed, PROBE)[0].key


def test_openai_endpoint_from_the_environment_enters_key_and_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    default = _closed(OpenAICompatJudge("m"))
    assert default.params["api_base"] == default.describe()["api_base"] == "https://api.openai.com/v1"

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8001/v1")
    first = _closed(OpenAICompatJudge("m"))
    assert first.params["api_base"] == first.describe()["api_base"] == "http://127.0.0.1:8001/v1"
    assert first.describe()["params"]["api_base"] == "http://127.0.0.1:8001/v1"

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8002/v1")
    second = _closed(OpenAICompatJudge("m"))
    keys = {PAIRWISE.requests(j, PROBE)[0].key for j in (default, first, second)}
    assert len(keys) == 3
    explicit = _closed(OpenAICompatJudge("m", api_base="http://127.0.0.1:8001/v1"))  # --api-base wins
    assert PAIRWISE.requests(explicit, PROBE)[0].key == PAIRWISE.requests(first, PROBE)[0].key


def test_litellm_endpoint_from_the_environment_enters_key_and_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTED_VLLM_API_BASE", "http://127.0.0.1:8001/v1")
    vllm = LiteLLMJudge("hosted_vllm/m")
    assert vllm.params["api_base"] == vllm.describe()["api_base"] == "http://127.0.0.1:8001/v1"
    explicit = LiteLLMJudge("hosted_vllm/m", api_base="http://127.0.0.1:8002/v1")
    assert explicit.describe()["api_base"] == "http://127.0.0.1:8002/v1"
    assert PAIRWISE.requests(vllm, PROBE)[0].key != PAIRWISE.requests(explicit, PROBE)[0].key

    assert LiteLLMJudge("anthropic/claude-x").describe()["api_base"] is None  # the provider's own default
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.example/anthropic")
    proxied = LiteLLMJudge("anthropic/claude-x")
    assert proxied.params["api_base"] == proxied.describe()["api_base"] == "https://proxy.example/anthropic"


def test_credentials_in_the_endpoint_are_never_recorded() -> None:
    for judge in (_closed(OpenAICompatJudge("m", api_base=SECRET_BASE)), LiteLLMJudge("hosted_vllm/m", api_base=SECRET_BASE)):
        recorded = json.dumps([judge.params, judge.describe(), PAIRWISE.requests(judge, PROBE)[0].params])
        assert "s3cret" not in recorded and "abc" not in recorded, judge.backend
        assert judge.describe()["api_base"] == "https://host/v1?api_key=REDACTED&region=eu"


@pytest.mark.parametrize("spec", ["openai/mock-judge", "hosted_vllm/mock-judge"])
def test_resolved_model_is_recorded(spec: str) -> None:
    async def ask(judge):
        try:
            return await judge.judge(PAIRWISE.requests(judge, PROBE)[0])
        finally:
            await judge.aclose()

    with MockJudgeServer(JudgeBehaviour(chosen_texts={"4"})) as server:
        if spec.startswith("openai/"):
            judge = OpenAICompatJudge("mock-judge", api_base=server.url)
        else:
            judge = LiteLLMJudge(spec, api_base=server.url)
        judgment = asyncio.run(ask(judge))
    assert judgment.ok and judgment.verdict == PROBE.correct
    assert judgment.resolved_model == "mock-judge-2026-01-01"
    assert judgment.to_dict()["resolved_model"] == "mock-judge-2026-01-01"


def test_cli_run_writes_no_credentials(tmp_path: Path) -> None:
    # Neither SDK can call a URL with userinfo (aiohttp refuses credentials in the URL next to the bearer
    # header), so every call fails here: the run still writes its folder, and error messages are where
    # endpoints would leak. The judge-level tests above cover the recorded identity of a working call.
    out = tmp_path / "runs"
    with MockJudgeServer(JudgeBehaviour()) as server:
        api_base = f"http://user:s3cret@127.0.0.1:{server.port}/v1?key=zzz"
        proc = subprocess.run(
            [sys.executable, "-m", "judgeaudit.cli", "run", "--judge", "openai/mock", "--api-base", api_base,
             "--limit", "2", "--bias", "position", "--no-cache", "--max-retries", "0", "--out", str(out)],
            capture_output=True, text=True, timeout=300, env=os.environ | {"COLUMNS": "160"},
        )
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files), proc.stderr
    for path in files:
        text = path.read_text(errors="replace")
        assert "s3cret" not in text and "zzz" not in text and "sk-test-secret-123" not in text, path.name
    assert "s3cret" not in proc.stdout + proc.stderr and "zzz" not in proc.stdout + proc.stderr
    manifest = json.loads(next(p for p in files if p.name == "manifest.json").read_text())
    assert manifest["judge"]["api_base"] == f"http://127.0.0.1:{server.port}/v1?key=REDACTED"
