"""The whole taxonomy end to end against a loopback judge biased on exactly two biases."""

from __future__ import annotations

import json
from pathlib import Path

from judgeaudit.biases import load_registry
from tests.cli import finish, judgeaudit, only_run_dir
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

PLANTED = ("authority", "compassion_fade")


def test_a_judge_biased_on_two_biases_is_flagged_on_those_two_and_nothing_else(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    registry = load_registry()
    behaviour.follows = tuple(item.lower() for name in PLANTED for items in registry[name].choices.values() for item in items)
    with MockJudgeServer(behaviour) as server:
        code, out, err = finish(
            judgeaudit(
                "run", "--judge", "openai/mock-judge", "--api-base", server.url, "--dimension",
                "presentation,tone,social,identity,integrity", "--limit", "20", "--concurrency", "32",
                "--out", str(tmp_path / "runs"), "--no-cache", "--no-logprobs",
            )
        )
        assert code == 0, err
        writes = server.rewrites
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    biases = summary["biases"]
    assert set(biases) == set(registry) and not summary["skipped_biases"]
    assert {name for name, b in biases.items() if b["status"] == "BIASED"} == set(PLANTED)
    for name in PLANTED:
        assert biases[name]["effect"] == 1.0 and biases[name]["flip_rate"] == 1.0 and biases[name]["q_value"] < 0.01
    for name, result in biases.items():
        if name in PLANTED:
            continue
        assert result["effect"] == 0.0 and result["flip_rate"] == 0.0, name
        if name == "answer_first":  # reordering needs two sentences: few sample instances have them
            assert result["status"] == "INCONCLUSIVE" and result["skipped"], result
        else:
            assert result["status"] == "NOT_DETECTED" and result["n_instances"] == 20, name
    # Self-enhancement: the judge paraphrased each response itself (both, for 20 instances), checked.
    assert writes == 40 and biases["self_enhancement"]["n_instances"] == 20
    assert "BIASED" in out and "compassion_fade" in out
