"""Smoke test of the embedded default judge: SmolLM2-135M-Instruct through llama.cpp, offline."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from judgeaudit.judges import gguf
from judgeaudit.judges.llamacpp import CHUNK, SMOLLM2_FORMAT, smollm2_path
from judgeaudit.runs import read_judgments

pytestmark = pytest.mark.slow


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private user cache folder: the converted model lands here, and is removed afterwards."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("JUDGEAUDIT_CACHE", str(folder / "responses.sqlite"))
    yield folder
    for converted in folder.glob("*.gguf"):  # 540 MB each: not for pytest's kept temporary folders
        converted.unlink()


def test_embedded_judge_small_run(tmp_path: Path, cache: Path) -> None:
    result = subprocess.run(
        # The social dimension: a response edit, a note in the prompt and a header attribution.
        [sys.executable, "-m", "judgeaudit.cli", "run", "--limit", "3", "--dimension", "social", "--out", str(tmp_path / "runs"), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"HF_HUB_OFFLINE": "1", "COLUMNS": "160"},
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["judge"].startswith("llamacpp:SmolLM2")
    assert summary["calls"]["total"] > 0 and summary["calls"]["failed"] == 0
    assert summary["calls"]["unparseable"] == 0  # logits always yield a verdict
    records = [asdict(p) | j.to_dict() for p, j in read_judgments(run_dir / "judgments.jsonl")[0]]
    assert all(0.0 <= r["p_a"] <= 1.0 and r["verdict"] == ("A" if r["p_a"] > 0.5 else "B") for r in records)
    assert len({r["p_a"] for r in records}) > 1  # soft preferences are real numbers

    # The manifest pins the weights evaluated (the F32 conversion, in the cache folder), their source,
    # the context, the chunking and the chat template.
    judge = json.loads((run_dir / "manifest.json").read_text())["judge"]
    converted = Path(judge["model_path"])
    assert judge["backend"] == "llamacpp" and converted.parent == cache
    assert judge["model_bytes"] == converted.stat().st_size > 500_000_000
    assert judge["model_sha256"] == judge["params"]["weights_sha256"] == gguf.file_sha256(converted)
    assert judge["converted"]["format"] == SMOLLM2_FORMAT
    assert judge["converted"]["source_sha256"] == gguf.file_sha256(smollm2_path())
    template = gguf.chat_template(smollm2_path())
    assert judge["params"]["chat_template_sha256"] == hashlib.sha256(template.encode()).hexdigest()
    assert judge["params"]["n_ctx"] == 4096 and judge["params"]["chunk"] == CHUNK
