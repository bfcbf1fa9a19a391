"""``judgeaudit needle`` end to end: material -> design -> judge -> analysis -> needle.json, needle.html."""

from __future__ import annotations

import json
from pathlib import Path

from judgeaudit.judges.base import Judge
from tests.cli import finish, judgeaudit, only_run_dir


def test_a_judge_that_finds_every_error_shows_no_effect_and_the_outputs_are_written(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--per-cell", "2",
                                       "--out", str(tmp_path), "--no-cache"))
    assert code == 0, err
    assert "The judge caught every planted error: no position or length effect." in out
    run = only_run_dir(tmp_path)
    record = json.loads((run / "needle.json").read_text())
    assert record["design"]["trials"] == 4 * 8 * 2 and record["design"]["too_long"]["trials"] == 0
    assert {c["bucket"] for c in record["analysis"]["cells"]} == {300, 800, 1500, 3000}
    assert all(c["accuracy"]["rate"] == 1.0 for c in record["analysis"]["cells"])
    page = (run / "needle.html").read_text()
    assert "data:image/png;base64," in page and "Errors caught, by length and position" in page
    code, out, _ = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--per-cell", "2",
                                     "--out", str(tmp_path), "--no-cache"))
    assert code == 0 and only_run_dir(tmp_path) == run  # the same design resumes the same folder


def test_a_judge_that_always_answers_a_misses_half_and_bad_input_is_one_line(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:fair_verdict", "--per-cell", "1",
                                       "--buckets", "300,800", "--out", str(tmp_path), "--no-cache"))
    assert code == 0, err
    record = json.loads((only_run_dir(tmp_path) / "needle.json").read_text())
    rates = [c["accuracy"]["rate"] for c in record["analysis"]["cells"] if c["accuracy"]["rate"] is not None]
    assert rates and all(r == 0.5 for r in rates)  # the clean text is never in the sample set: "B" wins, right in one order
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "prompt": "p", "response": "A. B.", "modifications": [{"anchor": "C.", "true": "1", "false": "2"}]}\n')
    code, _, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--material", str(bad), "--out", str(tmp_path)))
    assert code == 2 and f"{bad}:1:" in err and "must occur exactly once" in err and len(err.strip().splitlines()) == 1
    code, _, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--mode", "pointwise-reference", "--out", str(tmp_path)))
    assert code == 2 and "no reference answers" in err



class _ShortContextJudge(Judge):
    """A judge with a tokenizer and a small context window (only what planning reads)."""

    backend, model, params, readout, max_concurrency = "fake", "short", {}, "logits", 1
    counts_tokens = True
    context_window = 2500

    def __init__(self) -> None:
        from judgeaudit.prompts.templates import PAIRWISE_LOGIT

        self.template = PAIRWISE_LOGIT

    def count_tokens(self, messages) -> int:
        return sum(len(m["content"].split()) for m in messages)

    async def judge(self, request):
        raise AssertionError("planning asks nothing")

    def describe(self):
        return {}


def test_trials_that_do_not_fit_the_context_are_skipped_and_counted_per_cell() -> None:
    from judgeaudit.formulations import Formulation
    from judgeaudit.needle import balanced_design, bundled_longform, candidates, load_longform
    from judgeaudit.needle.placement import count_words
    from judgeaudit.needle.run import _ask_plan, _design_record

    trials, short = balanced_design(candidates(load_longform(bundled_longform()), (300, 800, 1500, 3000), 8, count_words), 2, 0)
    plan = _ask_plan(trials, _ShortContextJudge(), Formulation("pairwise"))
    too_long = {t.instance().id for t in trials if t.bucket >= 1500}  # two responses of 1,500+ words exceed 2,500 "tokens"
    assert set(plan.too_long) == too_long and all(n + 16 > 2500 for n in plan.too_long.values())
    assert {p.instance_id for p in plan.probes}.isdisjoint(too_long) and len(plan.probes) == 2 * (len(trials) - len(too_long))
    design = _design_record(trials, short, plan, 2500)
    assert design["too_long"]["trials"] == len(too_long) and design["cells"]["3000/0"] == {"planned": 2, "too_long": 2}
    assert design["cells"]["300/0"] == {"planned": 2, "too_long": 0}


def test_a_reward_model_is_asked_for_both_responses(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:length_loving_reward", "--mode", "reward",
                                       "--per-cell", "1", "--buckets", "300,800", "--out", str(tmp_path), "--no-cache"))
    assert code == 0, err
    record = json.loads((only_run_dir(tmp_path) / "needle.json").read_text())
    assert record["mode"] == "reward" and record["design"]["asked"] == 16 and record["analysis"]["n_probes"] == 32


def test_modifications_written_by_a_model_are_checked_cached_and_used(tmp_path: Path) -> None:
    from judgeaudit.needle import bundled_longform, load_longform
    from tests.mock_judge_server import JudgeBehaviour, MockJudgeServer

    material = tmp_path / "mine.jsonl"
    with material.open("w") as handle:
        for item in load_longform(bundled_longform())[:2]:  # your own long responses, with no modifications
            handle.write(json.dumps({"id": item.id, "prompt": item.prompt, "response": "\n\n".join(item.paragraphs[:14])}) + "\n")
    args = ("needle", "--judge", "python:tests.python_judges:fair_verdict", "--material", str(material), "--buckets", "300,800",
            "--per-cell", "1", "--rewriter", "openai/writer", "--out", str(tmp_path / "runs"), "--no-cache")
    with MockJudgeServer(JudgeBehaviour(bad_write_share=0.2, wrong_pick_share=0.2)) as server:
        code, out, err = finish(judgeaudit(*args, "--rewriter-api-base", server.url))
        assert code == 0, err
        runs = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("needle-python")]
        writing = json.loads((runs[0] / "needle.json").read_text())["writing"]
        assert writing["chunks"] > 20 and 0 < writing["kept"] < writing["chunks"]
        assert writing["kept"] + sum(writing["refused"].values()) == writing["chunks"]
        assert set(writing["refused"]) == {"the true and false sentences are empty or identical", "the check did not pick out the false sentence"}
        calls = writing["calls"]
        assert calls == writing["chunks"] + (writing["chunks"] - writing["refused"]["the true and false sentences are empty or identical"])
        code, _, err = finish(judgeaudit(*args, "--rewriter-api-base", server.url))
        again = json.loads((runs[0] / "needle.json").read_text())["writing"]
        assert code == 0 and again["calls"] == 0 and again["resumed"] == calls and again["kept"] == writing["kept"]
    code, _, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:fair_verdict", "--material", str(material), "--out", str(tmp_path)))
    assert code == 2 and "modifications: a non-empty list is required (or give --rewriter" in err
