"""No full garbage collection while the engine asks; the thresholds come back afterwards."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

import judgeaudit.auditing as audit
from judgeaudit.config import RunConfig
from judgeaudit.engine import Journal, RetryPolicy, execute
from judgeaudit.engine.collector import NEVER, young_collections_only
from judgeaudit.schema import JudgeRequest, Judgment
from tests.engine.test_engine import ScriptedJudge, requests


class ThresholdWatchingJudge(ScriptedJudge):
    """Answers "A" and notes the oldest generation's threshold at every call."""

    def __init__(self) -> None:
        super().__init__()
        self.thresholds: list[int] = []

    async def judge(self, request: JudgeRequest) -> Judgment:
        self.thresholds.append(gc.get_threshold()[2])
        return await super().judge(request)


def test_the_oldest_generation_is_left_alone_while_the_engine_asks(tmp_path: Path) -> None:
    before = gc.get_threshold()
    judge = ThresholdWatchingJudge()
    asyncio.run(execute(requests(20), judge, Journal(tmp_path / "j.jsonl"), None, 4, RetryPolicy()))
    assert judge.thresholds == [NEVER] * 20
    assert gc.get_threshold() == before


def test_overlapping_runs_restore_the_thresholds_only_when_the_last_ends() -> None:
    before = gc.get_threshold()
    outer = young_collections_only()
    outer.__enter__()
    with young_collections_only():
        assert gc.get_threshold() == (before[0], before[1], NEVER)
    assert gc.get_threshold()[2] == NEVER  # the outer run is still asking
    outer.__exit__(None, None, None)
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), young_collections_only():
        raise RuntimeError("a run that fails puts the thresholds back too")
    assert gc.get_threshold() == before


def test_a_run_and_its_rebuild_summarize_without_full_collections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    summarize = audit.build_summary

    def watched(*args):  # noqa: ANN002, ANN202 - passes build_summary's arguments through
        seen.append(gc.get_threshold()[2])
        return summarize(*args)

    monkeypatch.setattr(audit, "build_summary", watched)
    before = gc.get_threshold()
    config = RunConfig(judge="python:tests.python_judges:fair_verdict", mode="pairwise", limit=3, biases=("verbosity",))
    result = asyncio.run(audit.run_audit(config, tmp_path, None))
    audit.rebuild(result.run_dir)
    assert seen == [NEVER, NEVER] and gc.get_threshold() == before
