"""The dataset readers and log importers against records copied from the files that public benchmarks and
tools actually publish (tests/data/real_layouts/, each file's source in the README there): the field names,
value types and value forms of the real files, not layouts written from documentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeaudit.datasets import load_dataset
from judgeaudit.errors import JudgeAuditError
from judgeaudit.importers import read_log
from judgeaudit.importers.alpacaeval import switched
from judgeaudit.importers.records import NO_GOLD, ONE_ORDER
from tests.cli import finish, judgeaudit

REAL = Path(__file__).resolve().parents[1] / "data" / "real_layouts"
CF, CS = "chosen_first", "chosen_second"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _table(log) -> list[tuple[str, str, str]]:
    return [(r.instance_id, r.order, r.verdict) for r in log.records]


# --- JudgeBench (ScalerLab/JudgeBench data/ and outputs/) -------------------------------------------------


@pytest.mark.parametrize("spec", ["judgebench:{}", "{}"], ids=["named", "detected"])
def test_judgebench_data_records_orient_by_label(spec: str) -> None:
    path = REAL / "judgebench_data.jsonl"
    loaded = load_dataset(spec.format(path), {})
    assert loaded.layout == "judgebench" and loaded.detected == (spec == "{}")
    raw = _rows(path)
    first, second = loaded.instances
    # label A>B: response_A is the objectively correct one; B>A: response_B
    assert (first.id, first.gold, first.chosen, first.rejected) == (raw[0]["pair_id"], "chosen", raw[0]["response_A"], raw[0]["response_B"])
    assert (second.id, second.gold, second.chosen, second.rejected) == (raw[1]["pair_id"], "chosen", raw[1]["response_B"], raw[1]["response_A"])
    assert first.chosen.endswith("FFFFF") and second.chosen.endswith("IIIII")
    for instance, row in zip(loaded.instances, raw, strict=True):
        assert instance.prompt == row["question"]
        assert instance.category == "knowledge"
        assert instance.metadata["subset"] == "mmlu-pro-health" and instance.metadata["section"] == "knowledge"
        # original_id is an integer in the published data files; it is kept as such
        assert instance.metadata["original_id"] == row["original_id"] and isinstance(instance.metadata["original_id"], int)
        assert instance.metadata["response_model"] == "claude-3-5-sonnet-20240620"


def test_judgebench_arena_hard_outputs_games_in_the_positions_shown() -> None:
    log = read_log("judgebench", REAL / "judgebench_outputs_arena_hard.jsonl")
    a, b = "b5ce1305-50fe-5a5e-b785-325ab15c6d2b", "8e1df938-fb37-5c27-8a0d-aedee854251a"
    # run_judge.py: game 1 shows (response_A, response_B), game 2 (response_B, response_A); decisions are stored
    # as shown ([[B>>A]] -> "B>A" by ArenaHard's replace(">>", ">")); metrics.flip_judgment un-flips game 2 itself
    assert _table(log) == [
        (a, CF, "B"),    # A>B pair, game 1: judge preferred shown-B = response_B, the wrong one
        (a, CS, "tie"),  # game 2: [[A=B]]
        (b, CS, "tie"),  # B>A pair: chosen is response_B, shown second in game 1
        (b, CF, "tie"),
    ]
    assert [i.gold for i in log.instances] == ["chosen", "chosen"]
    assert log.instances[1].chosen.endswith("IIIII") and log.instances[1].category == "mmlu-pro-health"
    assert log.instances[0].metadata == {"original_id": 6603, "source": "mmlu-pro-health", "response_model": "claude-3-5-sonnet-20240620"}
    assert log.judge == "arena_hard / claude-3-haiku-20240307"
    assert ONE_ORDER not in log.cannot and NO_GOLD not in log.cannot


def test_judgebench_reward_model_outputs_keep_scores_as_shown() -> None:
    log = read_log("judgebench", REAL / "judgebench_outputs_reward_model.jsonl")
    a, b = "e302b0a0-28d5-5a3c-b1af-fedcf5543e72", "2d989dfb-7cf0-549e-945c-3dd060d1fad5"
    assert _table(log) == [(a, CF, "A"), (a, CS, "B"), (b, CF, "B"), (b, CS, "A")]
    assert [r.extra["scores"] for r in log.records] == [[19.875, 19.5], [19.5, 19.875], [24.75, 25.5], [25.5, 24.75]]
    assert log.judge == "reward_model / Skywork/Skywork-Reward-Gemma-2-27B"
    assert any("reward-model scores" in line for line in log.cannot)


def test_judgebench_import_command_writes_the_real_outputs(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("import", "judgebench", str(REAL / "judgebench_outputs_arena_hard.jsonl"), "--out", str(tmp_path)), timeout=120)
    assert code == 0, err
    dataset, verdicts = _rows(tmp_path / "dataset.jsonl"), _rows(tmp_path / "verdicts.jsonl")
    assert [(d["id"], d["label"]) for d in dataset] == [
        ("b5ce1305-50fe-5a5e-b785-325ab15c6d2b", "chosen"), ("8e1df938-fb37-5c27-8a0d-aedee854251a", "chosen"),
    ]
    assert [(v["order"], v["verdict"]) for v in verdicts] == [(CF, "B"), (CS, "tie"), (CS, "tie"), (CF, "tie")]
    assert "replay:" in out


# --- LLMBar (princeton-nlp/LLMBar Dataset/LLMBar/Adversarial/GPTInst/dataset.json) -------------------------


@pytest.mark.parametrize("named", [True, False], ids=["named", "detected"])
def test_llmbar_gptinst_records(named: bool) -> None:
    path = REAL / "llmbar" / "Adversarial" / "GPTInst" / "dataset.json"
    loaded = load_dataset(f"llmbar:{path}" if named else str(path), {})
    assert loaded.layout == "llmbar"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert [r["label"] for r in raw] == [2, 1, 2]  # integers in the published file
    assert [i.id for i in loaded.instances] == ["Adversarial-GPTInst-1", "Adversarial-GPTInst-2", "Adversarial-GPTInst-3"]
    for instance, row in zip(loaded.instances, raw, strict=True):
        better, worse = (row["output_1"], row["output_2"]) if row["label"] == 1 else (row["output_2"], row["output_1"])
        assert (instance.prompt, instance.chosen, instance.rejected, instance.gold) == (row["input"], better, worse, "chosen")
        assert instance.metadata == {"benchmark": "llmbar", "subset": "Adversarial/GPTInst", "section": "Adversarial"}


# --- FastChat MT-Bench pairwise judgments (gpt-4_pair.jsonl, model_answer/, question.jsonl) ---------------


def test_mt_bench_real_judgment_file() -> None:
    mt = REAL / "mt_bench"
    log = read_log("mt-bench", mt / "gpt-4_pair.jsonl", answers=mt / "model_answer", questions=mt / "question.jsonl")
    i81, i82 = "81-phi-3-phi-3-dpo-t1", "82-phi-3-phi-3-dpo-t1"
    # g1_winner model_1: phi-3 shown as A won; g2_winner model_2: phi-3-dpo, shown as A in game 2, won
    assert _table(log) == [(i81, CF, "A"), (i81, CS, "A"), (i82, CF, "A"), (i82, CS, "A")]
    answers = {m: _rows(mt / "model_answer" / f"{m}.jsonl") for m in ("phi-3", "phi-3-dpo")}
    questions = _rows(mt / "question.jsonl")
    for instance, q, a1, a2 in zip(log.instances, questions, answers["phi-3"], answers["phi-3-dpo"], strict=True):
        assert instance.prompt == q["turns"][0] and instance.category == "writing" and instance.gold is None
        assert (instance.chosen, instance.rejected) == (a1["choices"][0]["turns"][0], a2["choices"][0]["turns"][0])
        assert instance.metadata["model_chosen"] == "phi-3" and instance.metadata["judge"] == "gpt-4 / pair-v2"
    assert log.judge == "gpt-4 / pair-v2" and NO_GOLD in log.cannot and ONE_ORDER not in log.cannot


# --- AlpacaEval annotations.json (tatsu-lab/alpaca_eval results/<model>/<annotator>/annotations.json) -----


@pytest.mark.parametrize("annotator", ["alpaca_eval_gpt4", "weighted_alpaca_eval_gpt4_turbo", "alpaca_eval_cot_gpt4_turbo_fn"])
def test_alpacaeval_real_annotations(annotator: str) -> None:
    path = REAL / "alpacaeval" / f"{annotator}.annotations.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    log = read_log("alpacaeval", path)
    weighted = annotator.startswith("weighted")
    assert len(log.instances) == len(log.records) == len(raw)
    for instance, record, row in zip(log.instances, log.records, raw, strict=True):
        # no gold: output_1 is `chosen`; the order shown is reconstructed by AlpacaEval's seeded switch
        assert (instance.prompt, instance.chosen, instance.rejected, instance.gold) == (row["instruction"], row["output_1"], row["output_2"], None)
        assert instance.category == "helpful_base" and instance.metadata["annotator"] == row["annotator"]
        shown_second = switched(row["instruction"], 0)
        assert record.order == (CS if shown_second else CF)
        output_1_won = row["preference"] < 1.5
        assert record.verdict == ("A" if output_1_won != shown_second else "B")
        assert record.extra == {"preference": float(row["preference"])}
        if weighted:
            p_output_1 = 2.0 - row["preference"]
            assert record.p_a == pytest.approx(1.0 - p_output_1 if shown_second else p_output_1)
        else:
            assert record.p_a is None
    assert log.judge == raw[0]["annotator"]
    assert ONE_ORDER in log.cannot and NO_GOLD in log.cannot
    assert any("reconstructed by AlpacaEval's rule" in note for note in log.notes)


# --- promptfoo (promptfoo/promptfoo examples/french-greeting-test/output.json) ----------------------------


def test_promptfoo_real_results_file_that_is_not_a_pairwise_judge_is_refused_by_name() -> None:
    # a real `promptfoo eval -o` file (results version 3, provider {"id", "label": ""}, empty vars): not a
    # pairwise judge's log, so it cannot be imported; the refusal names the result and what is missing
    path = REAL / "promptfoo_french_greeting_output.json"
    with pytest.raises(JudgeAuditError, match=r"result 0 \(test 0\): no question in vars"):
        read_log("promptfoo", path)
