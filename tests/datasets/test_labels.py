"""Gold labels and human annotations read from the layouts datasets are published in: long format (one
row per annotator), an annotations field, a label field, JSON documents, dotted field paths, and the
MT-Bench human-judgment layout by name. Counts are checked against hand counts (expected.json)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from judgeaudit.datasets import load_dataset, load_instances, parse_field_map
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import Annotation

FIXTURES = Path(__file__).parent.parent / "data" / "human_judgments"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
ALPACA_FIELDS = ["prompt=instruction", "chosen=output_1", "rejected=output_2", "annotator=annotator_index", "annotation=preference", "category=dataset"]


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_alpaca_farm_cross_annotations_gather_four_annotators_per_pair() -> None:
    expected = EXPECTED["alpaca_farm_crossannotations"]
    instances = load_instances(FIXTURES / "alpaca_farm_crossannotations.json", parse_field_map(ALPACA_FIELDS))
    records = json.loads((FIXTURES / "alpaca_farm_crossannotations.json").read_text())
    assert len(instances) == expected["n_pairs"]
    assert sum(len(i.annotations) for i in instances) == expected["n_records"]
    assert len({a.annotator for i in instances for a in i.annotations}) == expected["n_annotators"]
    # The gold label is the majority; a 2-2 split is a tie; a pair the majority prefers output_2 of is turned round.
    assert Counter(i.gold for i in instances) == {"chosen": sum(expected["majority_preference_counts"].values()), "tie": expected["tied_pairs_2_2"]}
    assert {i.gold_source for i in instances} == {"human majority"}
    turned = [i for i in instances if any(r["output_2"] == i.chosen for r in records)]
    assert len(turned) == expected["majority_preference_counts"]["2"]
    for instance in instances:
        votes = Counter(a.verdict for a in instance.annotations)
        assert votes["chosen"] >= votes["rejected"], instance.id
        # Every annotation still says what its record said, about the same texts.
        for annotation in instance.annotations:
            record = next(r for r in records if r["annotator_index"] == int(annotation.annotator) and r["instruction"] == instance.prompt)
            preferred = record["output_1"] if record["preference"] == 1 else record["output_2"]
            assert preferred == (instance.chosen if annotation.verdict == "chosen" else instance.rejected)
    assert {i.category for i in instances} <= {"helpful_base", "koala", "oasst", "selfinstruct", "vicuna"}
    assert all("annotator_index" not in i.metadata and "preference" not in i.metadata for i in instances)


def test_mt_bench_human_judgments_by_name() -> None:
    expected = EXPECTED["mt_bench_human"]
    loaded = load_dataset(f"mt-bench-human:{FIXTURES / 'mt_bench_human.jsonl'}", {})
    instances = loaded.instances
    assert (loaded.path.name, loaded.layout, loaded.detected) == ("mt_bench_human.jsonl", "mt-bench-human", False)
    detected = load_dataset(str(FIXTURES / "mt_bench_human.jsonl"), {})
    assert (detected.layout, detected.detected, len(detected.instances)) == ("mt-bench-human", True, len(instances))
    assert len(instances) == expected["n_pairs"]
    assert Counter(i.metadata["turn"] for i in instances) == {int(k): v for k, v in expected["n_pairs_by_turn"].items()}
    assert Counter(len(i.annotations) for i in instances) == {int(k): v for k, v in expected["annotations_per_pair_histogram"].items()}
    assert sum(len(i.annotations) for i in instances) == expected["n_records"]
    assert sum(a.verdict == "tie" for i in instances for a in i.annotations) == expected["tie_records"]  # "tie (bothbad)" is a tie
    assert sum(len({a.verdict for a in i.annotations}) == 1 for i in instances) == expected["unanimous_pairs_strict"]
    assert len({i.metadata["question_id"] for i in instances}) == expected["n_questions"]
    # Each vote, read independently from its record, names the model whose response the instance files under it.
    records = [json.loads(line) for line in (FIXTURES / "mt_bench_human.jsonl").read_text().splitlines()]
    by_id = {i.id: i for i in instances}
    for record in records:
        models = sorted((record["model_a"], record["model_b"]))
        instance = by_id[f"{record['question_id']}-{models[0]}-{models[1]}-t{record['turn']}"]
        (vote,) = [a for a in instance.annotations if a.annotator == record["judge"]]
        if "tie" in record["winner"]:
            assert vote.verdict == "tie"
        else:
            winner = record[record["winner"]]
            assert instance.metadata["model_chosen" if vote.verdict == "chosen" else "model_rejected"] == winner
    second_turn = next(i for i in instances if i.metadata["turn"] == 2)
    assert "Second question:" in second_turn.prompt and "Second answer:" in second_turn.chosen
    assert {i.category for i in instances} <= {"writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"}


@pytest.mark.parametrize(
    ("label", "gold", "turned"),
    [("chosen", "chosen", False), ("A>B", "chosen", False), (1, "chosen", False), ("model_b", "chosen", True),
     ("B>A", "chosen", True), (2, "chosen", True), ("tie", "tie", False), ("tie (bothbad)", "tie", False), (1.5, "tie", False)],
)
def test_a_label_field_sets_gold_and_puts_the_better_response_first(tmp_path: Path, label: object, gold: str, turned: bool) -> None:
    path = _write(tmp_path / "d.jsonl", [{"prompt": "p", "first": "one", "second": "two", "pref": label}])
    (instance,) = load_instances(path, parse_field_map(["chosen=first", "rejected=second", "label=pref"]))
    assert (instance.gold, instance.gold_source) == (gold, "labels")
    assert instance.chosen == ("two" if turned else "one")


def test_an_annotations_field_in_its_accepted_shapes(tmp_path: Path) -> None:
    rows = [
        {"id": "labels", "prompt": "p", "chosen": "c", "rejected": "r", "annotations": ["chosen", "rejected", "chosen", None]},
        {"id": "mapping", "prompt": "p", "chosen": "c", "rejected": "r", "annotations": {"ann-1": "tie", "ann-2": "A>B"}},
        {"id": "objects", "prompt": "p", "chosen": "c", "rejected": "r", "annotations": [
            {"annotator": "x", "chosen_score": 4, "rejected_score": 2, "confidence": 0.9},
            {"worker": "y", "scores": [1, 3]},
            {"judge": "z", "winner": "tie"},
        ]},
    ]
    labels, mapping, objects = load_instances(_write(tmp_path / "d.jsonl", rows))
    assert [a.verdict for a in labels.annotations] == ["chosen", "rejected", "chosen"]
    assert labels.metadata["missing_annotations"] == 1 and labels.gold == "chosen"
    assert [(a.annotator, a.verdict) for a in mapping.annotations] == [("ann-1", "tie"), ("ann-2", "chosen")]
    assert mapping.gold == "tie"  # one each: no label ahead
    assert objects.annotations[0] == Annotation("x", None, 4.0, 2.0, 0.9)
    assert [a.preference for a in objects.annotations] == ["chosen", "rejected", "tie"]


def test_long_format_csv_with_scores_and_a_missing_annotation(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        "item,question,good,bad,rater,score_good,score_bad\n"
        "1,Name a prime,7,8,ann-a,4,1\n"
        "1,Name a prime,7,8,ann-b,3,3\n"
        "1,Name a prime,7,8,ann-c,,\n"
        "2,Name an even number,3,4,ann-a,1,4\n",
        encoding="utf-8",
    )
    fields = ["id=item", "prompt=question", "chosen=good", "rejected=bad", "annotator=rater", "chosen_score=score_good", "rejected_score=score_bad"]
    first, second = load_instances(path, parse_field_map(fields))
    assert [(a.annotator, a.preference) for a in first.annotations] == [("ann-a", "chosen"), ("ann-b", "tie")]
    assert first.metadata["missing_annotations"] == 1
    assert first.gold == "tie"  # one for chosen, one tie
    assert (second.chosen, second.gold, second.annotations[0].chosen_score) == ("4", "chosen", 4.0)  # turned round, scores too


@pytest.mark.parametrize(
    ("rows", "fields", "message"),
    [
        ([{"prompt": "p", "chosen": "c", "rejected": "r", "label": "maybe"}], [], "d.jsonl:1: label 'maybe' is not one of"),
        ([{"prompt": "p", "chosen": "c", "rejected": "r", "annotator": "a", "annotation": "tie"},
          {"prompt": "p", "chosen": "c", "rejected": "r", "annotator": "a", "annotation": "chosen"}], [], "d.jsonl:2: annotator 'a' already annotated"),
        ([{"id": 1, "prompt": "p", "chosen": "c", "rejected": "r", "annotator": "a", "annotation": "chosen"},
          {"id": 1, "prompt": "p", "chosen": "c", "rejected": "other", "annotator": "b", "annotation": "chosen"}], [], "d.jsonl:2: id '1' shows other texts than on line 1"),
        ([{"prompt": "p", "chosen": "c", "rejected": "r", "annotator": "a", "chosen_score": "high", "rejected_score": 1}], [], "d.jsonl:1: chosen_score must be a number"),
        ([{"prompt": "p", "chosen": "c", "rejected": "r", "annotations": "chosen"}], [], "d.jsonl:1: field 'annotations': annotations must be a list"),
    ],
)
def test_bad_labels_name_file_and_line(tmp_path: Path, rows: list, fields: list, message: str) -> None:
    path = _write(tmp_path / "d.jsonl", rows)
    with pytest.raises(JudgeAuditError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_instances(path, parse_field_map(fields))


def test_long_format_rows_of_one_pair_in_either_order_are_one_instance(tmp_path: Path) -> None:
    rows = [
        {"prompt": "p", "chosen": "x", "rejected": "y", "annotator": "a", "annotation": "chosen"},
        {"prompt": "p", "chosen": "y", "rejected": "x", "annotator": "b", "annotation": "chosen"},  # b prefers y
        {"prompt": "p", "chosen": "y", "rejected": "x", "annotator": "c", "annotation": "chosen"},  # so does c
    ]
    (instance,) = load_instances(_write(tmp_path / "d.jsonl", rows))
    assert (instance.chosen, instance.gold) == ("y", "chosen")
    assert [(a.annotator, a.verdict) for a in instance.annotations] == [("a", "rejected"), ("b", "chosen"), ("c", "chosen")]


def test_json_documents_and_dotted_paths(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"q": {"text": "p"}, "answers": ["good", "bad"]}, {"q": {"text": "p2"}, "answers": ["g", "b"]}], indent=2))
    first, second = load_instances(path, parse_field_map(["prompt=q.text", "chosen=answers.0", "rejected=answers.1"]))
    assert (first.prompt, first.chosen, first.rejected, second.prompt) == ("p", "good", "bad", "p2")
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"prompt": "p", "chosen": "c", "rejected": "r"},\n  {"prompt": "p2", "chosen": \n}\n]')
    with pytest.raises(JudgeAuditError, match=r"broken.json:4: malformed JSON"):
        load_instances(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('[\n  {"prompt": "p", "chosen": "c", "rejected": "r"},\n  {"prompt": "p2", "chosen": "c"}\n]')
    with pytest.raises(JudgeAuditError, match=r"wrong.json:3: missing field 'rejected'"):
        load_instances(wrong)


def test_a_layout_read_by_name_takes_no_field_mapping() -> None:
    with pytest.raises(JudgeAuditError, match="--field mappings do not apply"):
        load_dataset(f"mt-bench-human:{FIXTURES / 'mt_bench_human.jsonl'}", {"prompt": "x"})


def test_limit_keeps_a_prompts_instances_together() -> None:
    from judgeaudit.prepare import take_across_categories

    instances = load_dataset(str(FIXTURES.parent / "benchmarks" / "rewardbench2" / "test.jsonl"), {}).instances
    taken = take_across_categories(instances, 2)
    groups = {i.metadata["group"] for i in taken}
    assert len(groups) == 1 and len(taken) == sum(i.metadata["group"] in groups for i in instances) == 3


def test_a_minified_evalbiasbench_document_is_detected(tmp_path: Path) -> None:
    published = FIXTURES.parent / "benchmarks" / "evalbiasbench" / "biasbench.json"
    minified = tmp_path / "biasbench.json"
    minified.write_text(json.dumps(json.loads(published.read_text())))
    assert load_dataset(str(minified), {}).layout == "evalbiasbench"
