"""Formulations: pairwise, pointwise, reference-guided and reward model, through the same statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.formulations import Formulation
from judgeaudit.judges import resolve_judge
from judgeaudit.prompts.parse import parse_score
from judgeaudit.schema import Judgment
from tests.cli import finish, judgeaudit, only_run_dir
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

REGISTRY = load_registry()


def test_where_a_bias_has_no_meaning_it_says_so() -> None:
    pointwise, reward = Formulation("pointwise"), Formulation("reward")
    for formulation in (pointwise, reward):
        assert "no order to swap" in formulation.not_applicable(REGISTRY["position"])
        assert "note names one of two responses" in formulation.not_applicable(REGISTRY["bandwagon"])
        assert formulation.not_applicable(REGISTRY["verbosity"]) is None
    assert pointwise.not_applicable(REGISTRY["compassion_fade"]) is None
    assert "no header" in reward.not_applicable(REGISTRY["compassion_fade"])
    assert all(Formulation(m).not_applicable(spec) is None for m in ("pairwise", "pairwise-reference") for spec in REGISTRY.values())
    with pytest.raises(Exception, match="unknown --mode 'triplet'"):
        Formulation("triplet")


def test_requests_per_probe_and_both_orders_of_a_pointwise_probe_ask_the_same_two() -> None:
    judge = resolve_judge("openai/x", api_base="http://127.0.0.1:9/v1", kind="pointwise")
    instance = load_instances(sample_path())[0]
    probes = build_probes([instance], [REGISTRY["verbosity"]], 0)
    pointwise = Formulation("pointwise")
    keys = {r.key for p in probes for r in pointwise.requests(judge, p)}
    # Each distinct response text is scored once, whatever the order or condition it appears in (the
    # repeat asks its two again, as its own replicate).
    texts = {(t, p.replicate) for p in probes for t in (p.response_a, p.response_b)}
    # chosen, rejected, the cue on each, the size-free edit of each; the repeat asks the two originals again.
    assert len(keys) == len(texts) == 6 + 2
    request = pointwise.requests(judge, probes[0])[0]
    assert request.task == "score" and "[The Start of the Response]" in request.messages[-1]["content"]
    assert "Response B" not in request.messages[-1]["content"]
    pairwise = resolve_judge("openai/x", api_base="http://127.0.0.1:9/v1")
    assert len(Formulation("pairwise").requests(pairwise, probes[0])) == 1
    reward = Formulation("reward").requests(pairwise, probes[0])
    assert [m["role"] for m in reward[0].messages] == ["user", "assistant"] and reward[0].task == "reward"


def test_scores_combine_into_a_verdict_with_ties_and_failures_kept() -> None:
    pointwise = Formulation("pointwise")
    score = lambda value: Judgment(verdict="score", score=value)  # noqa: E731
    assert pointwise.combine([score(8), score(3)], soft_scores=False).verdict == "A"
    assert pointwise.combine([score(3), score(8)], soft_scores=False).p_a is None
    tie = pointwise.combine([score(5), score(5)], soft_scores=False)
    assert tie.verdict == "tie" and tie.score == 0
    soft = pointwise.combine([score(2.5), score(1.5)], soft_scores=True)
    assert soft.p_a == pytest.approx(1 / (1 + 2.718281828 ** -1.0))
    assert pointwise.combine([score(8), Judgment(verdict="error", error="boom")], False).verdict == "error"
    unread = pointwise.combine([score(8), Judgment(verdict="unparseable", raw="lovely")], False)
    assert unread.verdict == "unparseable"
    cut = pointwise.combine([score(8), Judgment(verdict="score", score=None, truncated=True)], False)
    assert cut.truncated and cut.verdict == "unparseable"


def test_scores_are_read_strictly() -> None:
    assert parse_score("Clear and correct. Rating: [[8]]") == 8
    assert parse_score("[RESULT] 4") == 4 and parse_score("Score: 7/10") == 7 and parse_score("9") == 9
    assert parse_score("Rating: [[7]] ... on reflection Rating: [[5]]") is None  # two ratings: none
    assert parse_score("Rating: [[12]]") is None  # off the scale
    assert parse_score("<think>a 3 at most</think>\nRating: [[6]]") == 6
    assert parse_score("I would give it a 7 since it has 3 steps") is None


def test_pointwise_audit_against_the_mock_flags_the_followed_cue_and_skips_what_has_no_meaning(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    cues = tuple(item.lower() for item in REGISTRY["authority"].choices["citation"])
    behaviour.follows = cues
    with MockJudgeServer(behaviour) as server:
        code, out, err = finish(
            judgeaudit(
                "run", "--judge", "openai/mock", "--api-base", server.url, "--mode", "pointwise", "--limit", "12",
                "--bias", "position,verbosity,authority,bandwagon,compassion_fade", "--out", str(tmp_path / "runs"), "--no-cache",
            )
        )
        asked = server.requests
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert set(summary["skipped_biases"]) == {"position", "bandwagon"}
    assert "no order to swap" in summary["skipped_biases"]["position"]
    biases = summary["biases"]
    assert set(biases) == {"verbosity", "authority", "compassion_fade"}
    assert biases["authority"]["status"] == "BIASED" and biases["authority"]["effect"] == 1.0
    assert biases["verbosity"]["status"] == biases["compassion_fade"]["status"] == "NOT_DETECTED"
    assert summary["control"]["accuracy"] == 1.0  # 8 against 3: the better response wins
    # One score per distinct response text: far fewer calls than probes.
    assert asked == summary["calls"]["total"] < summary["calls"]["probes"]
    assert "not run" in out and "no order to swap" in out


def test_reward_mode_with_a_python_reward_model_finds_its_length_bias(tmp_path: Path) -> None:
    code, out, err = finish(
        judgeaudit(
            "run", "--judge", "python:tests.python_judges:length_loving_reward", "--mode", "reward", "--limit", "20",
            "--bias", "verbosity,authority,markdown,position", "--out", str(tmp_path / "runs"), "--no-cache",
        )
    )
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    biases = summary["biases"]
    assert "position" in summary["skipped_biases"] and set(biases) == {"verbosity", "authority", "markdown"}
    assert biases["verbosity"]["status"] == "BIASED" and biases["verbosity"]["pref_source"] == "logits"
    # Longer text wins for every cue that adds text, and as often for the placebo of the same size:
    # authority's total pull is the length's, its own pull none; the size preference is said once.
    authority = biases["authority"]
    assert authority["total_pull"]["mean"] > 0 and authority["total_pull"]["mean"] == authority["edit_pull"]["mean"]
    assert authority["status"] == "NOT_DETECTED" and authority["effect"] == 0 < 0.5 < biases["verbosity"]["effect"]
    assert summary["edits"]["size_pull"]["mean"] > 0 and summary["validity"]["readout"] == "scores"


def test_a_pairwise_python_judge_and_a_mode_it_cannot_answer(tmp_path: Path) -> None:
    code, _, err = finish(
        judgeaudit("run", "--judge", "python:tests.python_judges:honest_verdict", "--limit", "10", "--bias", "verbosity",
                   "--out", str(tmp_path / "runs"), "--no-cache")
    )
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["control"]["accuracy"] == 1.0 and summary["biases"]["verbosity"]["flip_rate"] == 0.0
    code, _, err = finish(judgeaudit("run", "--judge", "openai/x", "--api-base", "http://127.0.0.1:9/v1", "--mode", "reward"))
    assert code == 2 and "asks for reward requests" in err
    code, _, err = finish(judgeaudit("run", "--judge", "python:tests.nope:f", "--mode", "reward"))
    assert code == 2 and "cannot import 'tests.nope'" in err


def test_reference_modes_need_a_reference_and_show_it(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    data = tmp_path / "pairs.jsonl"
    rows = [{k: v for k, v in json.loads(line).items() if k != "reference"} for line in sample_path().read_text().splitlines()][:10]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code, _, err = finish(judgeaudit("run", "--judge", "openai/x", "--api-base", "http://127.0.0.1:9/v1", "--mode", "pairwise-reference", "--dataset", str(data)))
    assert code == 2 and "10 of 10 instances have none" in err
    data.write_text("\n".join(json.dumps(r | {"reference": f"REF-{i}"}) for i, r in enumerate(rows)), encoding="utf-8")
    shown = {}
    with MockJudgeServer(behaviour) as server:
        for mode in ("pairwise-reference", "pointwise-reference", "pairwise"):
            before = len(server.contents)
            code, _, err = finish(
                judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--mode", mode, "--dataset", str(data),
                           "--bias", "verbosity", "--out", str(tmp_path / mode), "--no-cache")
            )
            assert code == 0, err
            shown[mode] = server.contents[before:]
    assert all("[Reference Answer]\nREF-" in content for content in shown["pairwise-reference"] + shown["pointwise-reference"])
    assert not any("[Reference Answer]" in content for content in shown["pairwise"])  # the instances carry it; pairwise hides it


def test_the_default_formulation() -> None:
    from judgeaudit.formulations import default_mode

    assert default_mode(embedded=False, references=True) == "pairwise"
    assert default_mode(embedded=True, references=True) == "pointwise-reference"
    assert default_mode(embedded=True, references=False) == "pointwise"
    assert all(instance.reference for instance in load_instances(sample_path()))  # the bundled sample has them


def test_a_missing_optional_dependency_is_one_line_saying_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from judgeaudit.errors import JudgeAuditError

    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed
    with pytest.raises(JudgeAuditError, match=r'need torch and transformers: pip install "judgeaudit\[hf\]"'):
        resolve_judge("hf-rm:/nowhere")
