"""LLM rewrite injection: the requests, the meaning checks, the tally, and a run through the engine."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from judgeaudit.biases import load_registry
from judgeaudit.biases.rewrite import (
    NUMBERS_CHANGED,
    REJECTED,
    numbers_kept,
    parse_checks,
    read_yes_no,
    rewrite_tasks,
)
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.errors import JudgeAuditError
from judgeaudit.runs import read_judgments
from judgeaudit.schema import CUE_ON_BETTER, CUE_ON_WORSE, PLACEBO_ON_BETTER, PLACEBO_ON_WORSE
from tests.cli import finish, judgeaudit, only_run_dir
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer


class _Writer:
    backend, model = "openai", "writer"

    def generation_params(self, max_tokens: int) -> dict:
        return {"temperature": 0.0, "max_tokens": max_tokens}

    async def generate(self, request):  # pragma: no cover - not called here
        raise AssertionError


def test_numbers_check_and_yes_no_reading() -> None:
    assert numbers_kept("17 × 4 = 68, so 408.", "So: 408, because 17 × 4 = 68.")
    assert not numbers_kept("17 × 4 = 68, so 408.", "17 × 4 = 68, so 418.")
    assert not numbers_kept("Use ```x = 1```.", "Use ```x = 2```.")
    assert read_yes_no("YES") is True and read_yes_no("No, the numbers differ.") is False
    assert read_yes_no("Yesterday I...") is None and read_yes_no("") is None
    assert parse_checks("llm, numbers") == ("llm", "numbers") and parse_checks("none") == ()
    with pytest.raises(JudgeAuditError, match="unknown rewrite check 'vibes'"):
        parse_checks("vibes")


def test_rewrite_tasks_draw_one_wording_for_both_responses_and_paraphrase_the_placebo() -> None:
    spec = load_registry()["sentiment_negative"]
    instances = load_instances(sample_path())[:4]
    tasks = rewrite_tasks(instances, [spec], 0, _Writer(), None)
    assert len(tasks) == 4 * 4 and {t.role for t in tasks} == {"cue:rejected", "cue:chosen", "placebo:rejected", "placebo:chosen"}
    for instance in instances:
        mine = {t.role: t.request.messages[0]["content"] for t in tasks if t.instance.id == instance.id}
        moods = [m for m in spec.choices["mood"] if m in mine["cue:rejected"]]
        assert len(moods) == 1 and moods[0] in mine["cue:chosen"]  # the same drawn tone on both
        assert instance.rejected in mine["cue:rejected"] and instance.chosen in mine["cue:chosen"]
        for side, original in (("rejected", instance.rejected), ("chosen", instance.chosen)):
            placebo = mine[f"placebo:{side}"]  # a paraphrase of each response: the placebo on either side
            assert "different words" in placebo and "tone" in placebo and moods[0] not in placebo and original in placebo
    # Verbosity's placebo is the shared size-free edit: no paraphrase is asked for it.
    verbosity = rewrite_tasks(instances, [load_registry()["verbosity"]], 0, _Writer(), None)
    assert {t.role for t in verbosity} == {"cue:rejected", "cue:chosen"}
    # Without a rewriter the template is used: no rewrite tasks for template biases.
    assert rewrite_tasks(instances, [spec], 0, None, _Writer()) == []
    # Self-enhancement: the judge writes the cue, the rewriter (if any) the placebo.
    self_spec = load_registry()["self_enhancement"]
    own = rewrite_tasks(instances, [self_spec], 0, None, _Writer())
    assert {t.role for t in own} == {"cue:rejected", "cue:chosen"}


def test_a_rewritten_run_checks_counts_and_resumes(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.number_break_share, behaviour.meaning_no_share = 0.2, 0.15
    args = [
        "run", "--judge", "openai/mock-judge", "--rewriter", "openai/mock-writer", "--bias",
        "sentiment_negative,assertiveness,authority", "--limit", "12", "--out", str(tmp_path / "runs"),
        "--cache", str(tmp_path / "cache.sqlite"),
    ]
    with MockJudgeServer(behaviour) as server:
        code, out, err = finish(judgeaudit(*args, "--api-base", server.url, "--rewriter-api-base", server.url))
        assert code == 0, err
        first = (server.requests, server.rewrites)
        code, _, err = finish(judgeaudit(*args, "--api-base", server.url, "--rewriter-api-base", server.url))
        assert code == 0, err
        assert (server.requests, server.rewrites) == first  # rerun: every rewrite and verdict journaled
    run_dir = only_run_dir(tmp_path / "runs")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    calls = manifest["rewrites"]["calls"]
    # Two rewritten biases (authority has no rewrite instruction), 12 instances: the cue on each
    # response per bias, and one cue-free paraphrase of each response that both biases share.
    assert calls["rewrites"] == 12 * (2 * 2 + 2) == server.rewrites
    assert calls["checks"] < calls["rewrites"]  # rewrites refused by the numbers check are not sent
    skipped = manifest["rewrites"]["skipped"]
    for name in ("sentiment_negative", "assertiveness"):
        result = summary["biases"][name]
        lost = sum(skipped.get(name, {}).values())
        assert result["skipped"] == skipped.get(name, {}) and result["n_instances"] == 12 - lost
        assert set(skipped.get(name, {})) <= {NUMBERS_CHANGED, REJECTED}
    assert sum(sum(v.values()) for v in skipped.values()) > 0
    assert summary["biases"]["authority"]["n_instances"] == 12 and not summary["biases"]["authority"]["skipped"]
    rows = [asdict(p) | j.to_dict() for p, j in read_judgments(run_dir / "judgments.jsonl")[0]]
    for row in rows:
        if row["bias"] in ("sentiment_negative", "assertiveness") and row["condition"] in (CUE_ON_WORSE, CUE_ON_BETTER, PLACEBO_ON_WORSE, PLACEBO_ON_BETTER):
            edited = row["response_a"] if row["edited"] == "A" else row["response_b"]
            assert edited.startswith(behaviour.rewrite_prefix)  # what was judged is the rewrite itself
    assert (run_dir / "rewrites.jsonl").exists()
    (run_dir / "summary.json").unlink()
    code, _, err = finish(judgeaudit("report", str(run_dir)))  # no server: rebuilt from the run folder
    assert code == 0, err
    assert json.loads((run_dir / "summary.json").read_text())["biases"] == summary["biases"]


def test_self_enhancement_is_skipped_and_said_so_for_a_judge_that_cannot_write(tmp_path: Path, monkeypatch) -> None:
    from judgeaudit import prepare
    from judgeaudit.config import RunConfig
    from judgeaudit.judges.base import Judge
    from judgeaudit.prompts.templates import PAIRWISE_VERDICT

    class VerdictOnly(Judge):
        """A judge that gives verdicts and cannot write text (the base's ``can_write``)."""

        backend, model, template, params = "fake", "verdicts", PAIRWISE_VERDICT, {}

        async def judge(self, request):
            raise AssertionError("planning asks nothing")

        def describe(self):
            return {}

    monkeypatch.setattr(prepare, "resolve_judge", lambda *args, **kwargs: VerdictOnly())
    plan = prepare.plan_run(RunConfig(judge="fake/verdicts", biases=("self_enhancement", "authority"), limit=3), tmp_path)
    assert [s.name for s in plan.specs] == ["authority"] and not plan.rewrite_tasks
    assert plan.skipped_biases == {"self_enhancement": prepare.CANNOT_WRITE}
    assert {p.bias for p in plan.probes} == {None, "authority"}
