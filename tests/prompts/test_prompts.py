"""--prompt: built-in prompts by name, the user's own prompt file, and structured output."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from judgeaudit.errors import JudgeAuditError
from judgeaudit.prompts.custom import load_prompt
from judgeaudit.prompts.templates import BUILT_IN
from judgeaudit.runs import read_judgments
from tests.cli import finish, judgeaudit, only_run_dir
from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

DEPLOYED = """name: our-judge-v3
kind: pairwise
system: You grade answers for the ACME help desk.
user: |-
  Customer question: {{ prompt }}
  [The Start of Response A]
  {{ response_a }}
  [The End of Response A]
  [The Start of Response B]
  {{ response_b }}
  [The End of Response B]
  {{ prompt_note }}
  Reply with [[A]] or [[B]].
"""


def test_prompt_files_load_and_their_mistakes_name_the_file(tmp_path: Path) -> None:
    good = tmp_path / "judge.yaml"
    good.write_text(DEPLOYED, encoding="utf-8")
    template = load_prompt(str(good))
    assert template.kind == "pairwise" and template.name == "file:our-judge-v3" and "ACME" in template.system
    plain = tmp_path / "alone.j2"
    plain.write_text("Rate this answer to {{ prompt }}:\n{{ response }}\nRating: [[N]]", encoding="utf-8")
    assert load_prompt(str(plain)).kind == "pointwise"
    broken = tmp_path / "broken.j2"
    broken.write_text("{{ prompt }} {{ response_a }} {{ resposne_b }}", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"broken\.j2: the prompt template does not render: 'resposne_b' is undefined"):
        load_prompt(str(broken))
    typo = tmp_path / "typo.yaml"
    typo.write_text("usr: x\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"typo\.yaml: expected a mapping with a 'user' template"):
        load_prompt(str(typo))
    with pytest.raises(JudgeAuditError, match="not a built-in prompt"):
        load_prompt("nope")
    assert set(BUILT_IN) >= {"pairwise_verdict", "pairwise_json", "pointwise_score"}


def test_the_deployed_prompt_is_what_the_judge_is_shown(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    (tmp_path / "judge.yaml").write_text(DEPLOYED, encoding="utf-8")
    with MockJudgeServer(behaviour) as server:
        args = ["run", "--judge", "openai/mock", "--api-base", server.url, "--limit", "10", "--bias", "verbosity", "--no-cache"]
        code, _, err = finish(judgeaudit(*args, "--prompt", str(tmp_path / "judge.yaml"), "--out", str(tmp_path / "mine")))
        assert code == 0, err
        assert all(content.startswith("Customer question:") for content in server.contents)
        code, _, err = finish(judgeaudit(*args, "--out", str(tmp_path / "builtin")))
        assert code == 0, err
        code, _, err = finish(judgeaudit(*args, "--mode", "pointwise", "--prompt", str(tmp_path / "judge.yaml"), "--out", str(tmp_path / "x")))
        assert code == 2 and "is a pairwise prompt; --mode pointwise needs a pointwise one" in err
    mine, builtin = only_run_dir(tmp_path / "mine"), only_run_dir(tmp_path / "builtin")
    assert mine.name != builtin.name  # the prompt is part of the run's identity
    manifest = json.loads((mine / "manifest.json").read_text())
    assert manifest["prompt_template"]["name"] == "file:our-judge-v3"


def test_structured_output_asks_for_the_schema_and_reads_the_json(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--limit", "10", "--bias", "verbosity",
                       "--prompt", "pairwise_json", "--structured", "--out", str(tmp_path / "runs"), "--no-cache")
        )
        assert code == 0, err
        assert all(f and f["type"] == "json_schema" for f in server.response_formats)
        code, _, err = finish(judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--structured"))
        assert code == 2 and "use it with --prompt pairwise_json" in err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["calls"]["unparseable"] == 0 and summary["control"]["accuracy"] == 1.0


def test_logprobs_give_api_verdicts_a_soft_preference(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    from tests.mock_judge_server import LABEL_CONFIDENCE

    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--limit", "10", "--bias", "verbosity",
                       "--out", str(tmp_path / "runs"), "--no-cache")
        )
        assert code == 0, err
    run_dir = only_run_dir(tmp_path / "runs")
    rows = [asdict(p) | j.to_dict() for p, j in read_judgments(run_dir / "judgments.jsonl")[0]]
    # P(A) read at the final verdict's label: the mock gives the label it writes 0.8, the other 0.2.
    assert {round(r["p_a"], 6) for r in rows} == {LABEL_CONFIDENCE, round(1 - LABEL_CONFIDENCE, 6)}
    assert all((r["p_a"] > 0.5) == (r["verdict"] == "A") for r in rows)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["biases"]["verbosity"]["pref_source"] == "logits"


def test_the_anthropic_sdk_judge_against_a_local_messages_api(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    """anthropic/<model> goes through the Anthropic SDK: the Messages API shape, the system prompt
    marked for caching, and the same figures as the OpenAI-compatible path on the same judge."""
    summaries = {}
    with MockJudgeServer(behaviour) as server:
        for judge, base, extra in (("anthropic/claude-mock", server.root, ()), ("openai/claude-mock", server.url, ("--no-logprobs",))):
            out = tmp_path / judge.split("/")[0]
            code, _, err = finish(
                judgeaudit("run", "--judge", judge, "--api-base", base, "--limit", "10", "--bias", "position,authority",
                           "--out", str(out), "--no-cache", *extra),
            )
            assert code == 0, err
            summaries[judge] = json.loads((only_run_dir(out) / "summary.json").read_text())
        systems = [s for s in server.systems if s]
    assert systems and all(block[0]["cache_control"] == {"type": "ephemeral"} for block in systems)
    anthropic, openai = summaries.values()
    assert anthropic["judge"] == "anthropic:claude-mock" and anthropic["biases"] == openai["biases"]
    assert anthropic["control"]["accuracy"] == 1.0


def test_the_anthropic_judge_without_a_key_says_what_to_set(tmp_path: Path) -> None:
    code, _, err = finish(judgeaudit("run", "--judge", "anthropic/claude-x", "--out", str(tmp_path), env_extra={"ANTHROPIC_API_KEY": ""}))
    assert code == 2 and "set ANTHROPIC_API_KEY" in err


def test_a_server_without_logprobs_is_asked_without_them(tmp_path: Path, behaviour: JudgeBehaviour) -> None:
    behaviour.reject_logprobs = True
    with MockJudgeServer(behaviour) as server:
        code, _, err = finish(
            judgeaudit("run", "--judge", "openai/mock", "--api-base", server.url, "--limit", "10", "--bias", "verbosity",
                       "--out", str(tmp_path / "runs"), "--no-cache")
        )
        assert code == 0, err
        assert server.failures >= 1  # the first asks with logprobs were refused; then none carry them
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["calls"]["failed"] == 0 and summary["biases"]["verbosity"]["pref_source"] == "verdicts"
