"""Smoke test of the embedded default judge: SmolLM2-135M through llama.cpp, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_embedded_judge_small_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "judgeaudit.cli", "run", "--limit", "3", "--out", str(tmp_path), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"HF_HUB_OFFLINE": "1", "COLUMNS": "160"},
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["judge"].startswith("llamacpp:SmolLM2")
    assert summary["calls"]["total"] == 3 * 10 and summary["calls"]["failed"] == 0
    assert summary["calls"]["unparseable"] == 0  # logits always yield a verdict
    records = [json.loads(line) for line in (run_dir / "judgments.jsonl").read_text().splitlines()]
    assert all(0.0 <= r["p_a"] <= 1.0 and r["verdict"] == ("A" if r["p_a"] > 0.5 else "B") for r in records)
    # Deterministic: the same probe in the same run gets one answer; soft preferences are real numbers.
    assert len({r["p_a"] for r in records}) > 1
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["judge"]["backend"] == "llamacpp" and manifest["judge"]["model_bytes"] > 50_000_000
