"""Each importer against its fixture (tests/data/logs/<kind>/, see the README there), record by record:
the instances, the order each game showed and the verdict; the ``import`` command; and an audit of
what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from judgeaudit.cli_import import register
from judgeaudit.datasets import load_instances
from judgeaudit.errors import JudgeAuditError
from judgeaudit.importers import read_log
from judgeaudit.importers.records import FAILED, NO_GOLD, ONE_ORDER
from judgeaudit.judges.replay import ReplayJudge
from tests.cli import finish, judgeaudit, only_run_dir

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"
MT = LOGS / "mt-bench"
CF, CS = "chosen_first", "chosen_second"


def _table(log) -> list[tuple[str, str, str]]:
    return [(r.instance_id, r.order, r.verdict) for r in log.records]


def _mt_bench(**extra):
    return read_log("mt-bench", MT / "gpt-4_pair.jsonl", answers=MT / "model_answer", questions=MT / "question.jsonl", **extra)


def test_mt_bench_games_map_to_the_order_shown_and_the_winners_position() -> None:
    log = _mt_bench()
    v, a, g = "vicuna-13b-v1.3", "alpaca-13b", "gpt-3.5-turbo"
    # game 1 shows model_1 (the instance's chosen) as A; game 2 shows model_2 as A
    assert _table(log) == [
        (f"81-{v}-{g}-t1", CF, "B"), (f"81-{v}-{g}-t1", CS, "A"),
        (f"81-{a}-{g}-t1", CF, "A"), (f"81-{a}-{g}-t1", CS, "A"),
        (f"111-{v}-{g}-t1", CF, "B"), (f"111-{v}-{g}-t1", CS, "A"),
        (f"111-{a}-{g}-t1", CF, "tie"), (f"111-{a}-{g}-t1", CS, "B"),
        (f"131-{a}-{g}-t1", CF, "B"), (f"131-{a}-{g}-t1", CS, FAILED),
        (f"81-{v}-{g}-t2", CF, "A"), (f"81-{v}-{g}-t2", CS, "B"),
        (f"111-{a}-{g}-t2", CF, "B"), (f"111-{a}-{g}-t2", CS, "tie"),
    ]
    first = log.instances[0]
    assert (first.prompt, first.chosen, first.rejected, first.category, first.gold) == (
        "Write a two-sentence note thanking a neighbour for watering your plants.",
        "Thanks for watering my plants, neighbour. I owe you one.",
        "Thank you so much for watering my plants while I was away. They look happier than ever!", "writing", None,
    )
    turn2 = next(i for i in log.instances if i.id == f"81-{v}-{g}-t2")
    assert turn2.prompt.startswith("First question:\nWrite a two-sentence") and "Second question:\nRewrite it" in turn2.prompt
    assert turn2.chosen == "First answer:\nThanks for watering my plants, neighbour. I owe you one.\n\nSecond answer:\nThanks for watering my plants. Truly, I owe you one."
    assert log.records[9].extra == {"raw": "$ERROR$"}
    assert "1 judgments left out" in log.notes[0]  # q131: vicuna and gpt-3.5 gave the same turn-1 answer
    assert NO_GOLD in log.cannot and any("--references" in line for line in log.cannot)
    with_refs = _mt_bench(references=MT / "reference_answer" / "gpt-4.jsonl")
    refs = {i.id: i.reference for i in with_refs.instances}
    assert refs[f"111-{a}-{g}-t1"] == "The area is 6." and refs[f"81-{v}-{g}-t1"] is None
    assert refs[f"111-{a}-{g}-t2"] == "First answer:\nThe area is 6.\n\nSecond answer:\nThe radius is 2.5 (half the hypotenuse, 5)."


def test_judgebench_games_and_labels() -> None:
    log = read_log("judgebench", LOGS / "judgebench" / "arena_hard.jsonl")
    p = "0f8c1d2e-0000-5a3c-b1af-00000000000"
    # label A>B: response_A is chosen, game 1 shows it first; B>A: response_B is chosen, game 1 shows it second
    assert _table(log) == [
        (p + "1", CF, "A"), (p + "1", CS, "B"),
        (p + "2", CS, "A"), (p + "2", CF, "A"),
        (p + "3", CF, "tie"), (p + "3", CS, FAILED),
        (p + "4", CF, FAILED), (p + "4", CS, "B"),
    ]
    assert all(i.gold == "chosen" for i in log.instances)
    assert log.instances[1].chosen.startswith("Vitamin D") and log.instances[1].category == "mmlu-pro-health"
    assert log.judge == "arena_hard / claude-3-haiku-20240307"
    reward = read_log("judgebench", LOGS / "judgebench" / "reward_model.jsonl")
    assert [r.extra["scores"] for r in reward.records[:2]] == [[14.625, 5.625], [5.625, 14.625]]
    assert [r.verdict for r in reward.records] == ["A", "B", "B", "A", "B", "A"]


def test_alpacaeval_order_is_reconstructed_or_recorded_and_the_preference_is_as_shown() -> None:
    log = read_log("alpacaeval", LOGS / "alpacaeval" / "annotations.json")
    # AlpacaEval's switch with seed 0: only the fourth instruction was shown output_2 first
    assert _table(log) == [("alpacaeval-00001", CF, "A"), ("alpacaeval-00002", CF, "B"), ("alpacaeval-00003", CF, "tie"),
                           ("alpacaeval-00004", CS, FAILED)]
    assert [r.p_a for r in log.records] == [pytest.approx(0.9821), pytest.approx(0.0179), 0.5, None]
    assert log.cannot[0].startswith(ONE_ORDER) and any("reconstructed by AlpacaEval's rule" in n for n in log.notes)
    listed = read_log("alpacaeval", LOGS / "alpacaeval" / "annotations.json", order="listed")
    assert [r.order for r in listed.records] == [CF] * 4
    old = read_log("alpacaeval", LOGS / "alpacaeval" / "annotations_switched.json")
    # is_switched_outputs recorded: preference 1 (output_1) shown second is a B verdict
    assert _table(old) == [("alpacaeval-00001", CS, "B"), ("alpacaeval-00002", CF, "B")] and old.records[0].p_a is None


def test_promptfoo_results_made_by_promptfoo() -> None:
    log = read_log("promptfoo", LOGS / "promptfoo" / "results.json")
    assert _table(log) == [("capital", CF, "A"), ("capital", CS, "B"), ("boil", CF, "B"), ("boil", CS, "A"),
                           ("prime", CF, "tie"), ("prime", CS, "tie")]
    assert [i.chosen for i in log.instances][0].startswith("Canberra") and log.judge == "length-judge / pairwise"
    with pytest.raises(JudgeAuditError, match="results of 0 judges|no judged pairs"):
        read_log("promptfoo", LOGS / "promptfoo" / "results.json", provider="nobody")


def test_inspect_log_made_by_inspect() -> None:
    log = read_log("inspect", LOGS / "inspect" / "pairwise.eval")
    controls = [(r.instance_id, r.order, r.verdict) for r in log.records if r.condition == "control"]
    assert controls == [("moon", CF, "A"), ("moon", CS, "B"), ("sum", CF, "A"), ("sum", CS, "A"), ("tea", CF, "A"), ("tea", CS, "B")]
    repeats = [(r.instance_id, r.order, r.verdict, r.replicate) for r in log.records if r.condition == "repeat"]
    assert ("moon", CS, "I cannot decide.", 1) in repeats and len(repeats) == 6
    assert {i.id: i.category for i in log.instances} == {"moon": "stem", "sum": "math", "tea": "writing"}


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command, so that "import" is a subcommand as in judgeaudit's app
        """Nothing."""

    return app


def test_import_command_writes_files_that_load_and_replay(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["import", "judgebench", str(LOGS / "judgebench" / "arena_hard.jsonl"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    command = f"judgeaudit run --judge replay:{tmp_path}/verdicts.jsonl --dataset {tmp_path}/dataset.jsonl --mode pairwise --bias position"
    assert command in result.output and "cannot: no perturbed probes" in result.output
    instances = load_instances(tmp_path / "dataset.jsonl")
    assert [i.gold for i in instances] == ["chosen"] * 4 and instances[0].metadata["source"] == "mmlu-pro-law"
    assert len(ReplayJudge(tmp_path / "verdicts.jsonl").recorded) == 8


def test_import_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(_app(), ["import", "mt-bench", str(MT / "gpt-4_pair.jsonl"), "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "give --answers and --questions" in missing.output
    bad = tmp_path / "bad.jsonl"
    rows = [json.loads(line) for line in (LOGS / "judgebench" / "arena_hard.jsonl").read_text().splitlines()]
    rows[1]["judgments"][0] = {"judgment": {}}
    bad.write_text("\n".join(json.dumps(r) for r in rows))
    result = runner.invoke(_app(), ["import", "judgebench", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and f"{bad}:2: game 1: expected an object with 'decision'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    stray = runner.invoke(_app(), ["import", "judgebench", str(bad), "--answers", str(tmp_path)])
    assert stray.exit_code == 2 and "--answers do not apply to judgebench logs" in stray.output
    unknown = runner.invoke(_app(), ["import", "arena", str(bad)])
    assert unknown.exit_code == 2 and "unknown log kind 'arena'" in unknown.output


def test_an_audit_runs_on_imported_mt_bench(tmp_path: Path) -> None:
    from judgeaudit.importers import write

    dataset, verdicts = write(_mt_bench(), tmp_path / "imported")
    code, _, err = finish(judgeaudit("run", "--judge", f"replay:{verdicts}", "--dataset", str(dataset), "--mode", "pairwise",
                                     "--bias", "position", "--max-failed", "1", "--out", str(tmp_path / "runs"), "--no-cache"))
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    # the failed game is recorded as a failed call, not as an unreadable answer
    assert summary["n_instances"] == 7 and summary["calls"]["total"] == 14 and summary["calls"]["failed"] == 1 and summary["calls"]["unparseable"] == 0
    # by hand: the same model wins both games on 81-vicuna, 111-vicuna and 81-vicuna-t2: 3 of the 6 instances
    # with a verdict in both orders (131-alpaca's second game failed)
    assert summary["biases"]["position"]["position_consistency"]["rate"] == pytest.approx(3 / 6)


def test_a_gold_label_on_a_later_judgment_of_a_pair_orients_it() -> None:
    """The pair's gold may be recorded on any of its judgments: the instance takes it, in either order."""
    from judgeaudit.importers.shown import ShownJudgment, gather

    judgments = [ShownJudgment("s1", "P", "x", "y", "B", None), ShownJudgment("s2", "P", "y", "x", "A", "A")]
    (instance,), records, _ = gather(Path("log"), judgments)
    assert (instance.chosen, instance.gold) == ("y", "chosen")
    assert [(r.order, r.verdict) for r in records] == [("chosen_second", "B"), ("chosen_first", "A")]
    with pytest.raises(JudgeAuditError, match="disagrees with another judgment"):
        gather(Path("log"), [*judgments, ShownJudgment("s3", "P", "x", "y", "A", "A")])


def test_a_judgebench_decision_outside_its_forms_replays_as_unparseable_not_as_a_verdict(tmp_path: Path) -> None:
    """ArenaHard's parser stores whatever stood in [[...]] (e.g. 'A<B', 'A>C'); JudgeBench's metric counts
    such a game neither right nor wrong. The import goes on, says so, and replay counts it unparseable
    rather than guessing a verdict from it."""
    rows = [json.loads(line) for line in (LOGS / "judgebench" / "arena_hard.jsonl").read_text().splitlines()]
    rows[1]["judgments"][0]["decision"] = "A>C"
    rows[1]["judgments"][1]["decision"] = "A<B"
    odd = tmp_path / "odd.jsonl"
    odd.write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(_app(), ["import", "judgebench", str(odd), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "2 games with a decision that is not A>B, B>A or A=B (e.g. 'A>C') replay as unparseable answers" in " ".join(result.output.split())
    recorded = [json.loads(line) for line in (tmp_path / "o" / "verdicts.jsonl").read_text().splitlines()]
    assert [r["decision"] for r in recorded if "decision" in r] == ["A>C", "A<B"]
    code, _, err = finish(judgeaudit("run", "--judge", f"replay:{tmp_path / 'o' / 'verdicts.jsonl'}", "--dataset", str(tmp_path / "o" / "dataset.jsonl"),
                                     "--mode", "pairwise", "--bias", "position", "--max-failed", "1", "--out", str(tmp_path / "runs"), "--no-cache"))
    assert code == 0, err
    assert json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())["calls"]["unparseable"] == 2
