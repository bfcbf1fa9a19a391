"""Public judge benchmarks read in their own published layout, by name (``NAME:PATH``) and recognised from
a file's first record: JudgeBench, RewardBench, LLMBar, EvalBiasBench and HelpSteer2. Fixtures (invented
texts in the real field names, values and nesting) are in tests/data/benchmarks/<layout>/."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from judgeaudit.datasets import PRESETS, load_dataset, read_rows
from judgeaudit.datasets.presets import _module, detect
from judgeaudit.datasets.presets.evalbiasbench import _rows as evalbiasbench_rows
from judgeaudit.datasets.presets.helpsteer2 import pairs
from judgeaudit.errors import JudgeAuditError

BENCHMARKS = Path(__file__).parent.parent / "data" / "benchmarks"
SHARED_EVALBIASBENCH = Path("/work/shared/data/evalbiasbench/biasbench.json")
MINE = ("judgebench", "rewardbench", "llmbar", "evalbiasbench", "helpsteer2")
FIXTURES = {
    "judgebench": [BENCHMARKS / "judgebench" / "judgebench.jsonl"],
    "rewardbench": [BENCHMARKS / "rewardbench" / "filtered.jsonl"],
    "llmbar": [BENCHMARKS / "llmbar" / "Natural" / "dataset.json", BENCHMARKS / "llmbar" / "Adversarial" / "Neighbor" / "dataset.json"],
    "evalbiasbench": [BENCHMARKS / "evalbiasbench" / "biasbench.json", BENCHMARKS / "evalbiasbench" / "records.jsonl"],
    "helpsteer2": [BENCHMARKS / "helpsteer2" / "validation.jsonl"],
}


def _write(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _records(path: Path) -> list[dict]:
    """The records of a fixture as its layout's reader sees them."""
    return [row for _, _, row in evalbiasbench_rows(path)] if path.suffix == ".json" else [row for _, row in read_rows(path)]


def _by_name(name: str, path: Path):  # type: ignore[no-untyped-def]
    loaded = load_dataset(f"{name}:{path}", {})
    assert (loaded.layout, loaded.detected, loaded.path) == (name, False, path)
    return loaded.instances


# --- JudgeBench -------------------------------------------------------------------------------------------


def test_judgebench_by_name_and_detected() -> None:
    path = FIXTURES["judgebench"][0]
    named = _by_name("judgebench", path)
    detected = load_dataset(str(path), {})
    assert (detected.layout, detected.detected) == ("judgebench", True)
    assert [i.id for i in detected.instances] == [i.id for i in named]
    assert len(named) == 5


def test_judgebench_categories_metadata_and_orientation() -> None:
    path = FIXTURES["judgebench"][0]
    records = {r["pair_id"]: r for r in _records(path)}
    instances = _by_name("judgebench", path)
    assert [i.category for i in instances] == ["knowledge", "knowledge", "reasoning", "math", "coding"]
    for instance in instances:
        record = records[instance.id]
        better, worse = ("response_A", "response_B") if record["label"] == "A>B" else ("response_B", "response_A")
        assert (instance.prompt, instance.chosen, instance.rejected) == (record["question"], record[better], record[worse])
        assert (instance.gold, instance.gold_source) == ("chosen", "labels")
        assert instance.metadata == {
            "benchmark": "judgebench", "subset": record["source"], "section": instance.category, "pair_id": record["pair_id"],
            "original_id": record["original_id"], "response_model": record["response_model"],
        }
    assert Counter(records[i.id]["label"] for i in instances) == {"A>B": 2, "B>A": 3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"label": "A=B"}, ":2: label 'A=B' is not one of 'A>B' or 'B>A'"),
        ({"label": None}, ":2: not a JudgeBench record: missing field 'label'"),
        ({"response_B": ""}, ":2: field 'response_B' is empty"),
        ({"question": 7}, ":2: field 'question' must be text, got int"),
        ({"pair_id": "0b7c1e52-0001-5a00-9000-00000000a001"}, ":2: duplicate id '0b7c1e52-0001-5a00-9000-00000000a001' (first on line 1)"),
    ],
)
def test_judgebench_bad_records_name_the_line(tmp_path: Path, change: dict, message: str) -> None:
    rows = _records(FIXTURES["judgebench"][0])[:2]
    rows[1] = {k: v for k, v in (rows[1] | change).items() if v is not None}
    path = _write(tmp_path / "jb.jsonl", rows)
    with pytest.raises(JudgeAuditError) as caught:
        load_dataset(f"judgebench:{path}", {})
    assert str(caught.value).startswith(f"{path}{message}")


# --- RewardBench ------------------------------------------------------------------------------------------


def test_rewardbench_by_name_sections_and_metadata() -> None:
    path = FIXTURES["rewardbench"][0]
    records = {str(r["id"]): r for r in _records(path)}
    instances = _by_name("rewardbench", path)
    assert len(instances) == 5
    assert [(i.metadata["subset"], i.category) for i in instances] == [
        ("alpacaeval-easy", "Chat"), ("llmbar-adver-neighbor", "Chat Hard"), ("xstest-should-respond", "Safety"),
        ("hep-python", "Reasoning"), ("math-prm", "Reasoning"),
    ]
    for instance in instances:
        record = records[instance.id]
        assert (instance.prompt, instance.chosen, instance.rejected) == (record["prompt"], record["chosen"], record["rejected"])
        assert (instance.gold, instance.gold_source) == ("chosen", "labels")
        assert instance.metadata == {
            "benchmark": "rewardbench", "subset": record["subset"], "section": instance.category,
            "model_chosen": record["chosen_model"], "model_rejected": record["rejected_model"],
        }


def test_rewardbench_sections_are_rewardbenchs_own_mapping() -> None:
    from judgeaudit.datasets.presets.rewardbench import SECTIONS

    assert {section: len(subsets) for section, subsets in SECTIONS.items()} == {"Chat": 5, "Chat Hard": 6, "Safety": 5, "Reasoning": 7}


def test_rewardbench_first_record_matches_though_plain_fields_read_it_too() -> None:
    """Its records carry the plain prompt/chosen/rejected text fields, which the plain reader takes first
    when nothing is named; the plain read gives the same pairs the same way round."""
    path = FIXTURES["rewardbench"][0]
    assert _module("rewardbench").matches(_records(path)[0])
    plain = load_dataset(str(path), {})
    assert plain.layout in (None, "rewardbench")
    assert [(i.prompt, i.chosen, i.rejected) for i in plain.instances] == [(i.prompt, i.chosen, i.rejected) for i in _by_name("rewardbench", path)]


def test_rewardbench_unknown_subset_has_no_section_and_missing_id_names_the_line(tmp_path: Path) -> None:
    rows = _records(FIXTURES["rewardbench"][0])[:2]
    rows[0]["subset"] = "anthropic_helpful"
    instance = load_dataset(f"rewardbench:{_write(tmp_path / 'rb.jsonl', rows)}", {}).instances[0]
    assert (instance.category, "section" in instance.metadata) == ("uncategorized", False)
    del rows[1]["id"]
    path = _write(tmp_path / "rb2.jsonl", rows)
    with pytest.raises(JudgeAuditError, match=r"rb2\.jsonl:2: not a RewardBench record: missing field 'id'"):
        load_dataset(f"rewardbench:{path}", {})


# --- LLMBar -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "subset", "section", "labels"), [
    (FIXTURES["llmbar"][0], "Natural", "Natural", [1, 2, 1]),
    (FIXTURES["llmbar"][1], "Adversarial/Neighbor", "Adversarial", [2, 1]),
])
def test_llmbar_subset_from_folder_orientation_and_detection(path: Path, subset: str, section: str, labels: list[int]) -> None:
    records = _records(path)
    instances = _by_name("llmbar", path)
    detected = load_dataset(str(path), {})
    assert (detected.layout, detected.detected, len(detected.instances)) == ("llmbar", True, len(records))
    assert [r["label"] for r in records] == labels
    for index, (instance, record) in enumerate(zip(instances, records, strict=True), start=1):
        better, worse = ("output_1", "output_2") if record["label"] == 1 else ("output_2", "output_1")
        assert (instance.prompt, instance.chosen, instance.rejected) == (record["input"], record[better], record[worse])
        assert instance.id == f"{subset.replace('/', '-')}-{index}"
        assert (instance.category, instance.gold) == (subset, "chosen")
        assert instance.metadata == {"benchmark": "llmbar", "subset": subset, "section": section}


def test_llmbar_outside_its_tree_takes_the_folder_name_and_bad_label_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mine" / "pairs.json"
    path.parent.mkdir()
    path.write_text(json.dumps(_records(FIXTURES["llmbar"][0]), indent=2), encoding="utf-8")
    instance = load_dataset(f"llmbar:{path}", {}).instances[0]
    assert instance.metadata == {"benchmark": "llmbar", "subset": "mine"}
    rows = _records(FIXTURES["llmbar"][0])
    rows[2]["label"] = 3
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"pairs\.json:14: label 3 is not one of"):
        load_dataset(f"llmbar:{path}", {})


# --- EvalBiasBench ----------------------------------------------------------------------------------------


def test_evalbiasbench_document_by_name() -> None:
    path = FIXTURES["evalbiasbench"][0]
    document = json.loads(path.read_text())
    instances = _by_name("evalbiasbench", path)
    assert Counter(i.category for i in instances) == {"length bias": 2, "nested_instruction": 1}
    assert [i.id for i in instances] == ["length-bias-1", "length-bias-2", "nested-instruction-1"]
    records = [r for rows in document.values() for r in rows]
    for instance, record in zip(instances, records, strict=True):
        better, worse = ("response1", "response2") if record["label"] == 1 else ("response2", "response1")
        assert (instance.prompt, instance.chosen, instance.rejected) == (record["instruction"], record[better], record[worse])
        assert instance.gold == "chosen"
        assert instance.metadata == {"benchmark": "evalbiasbench", "subset": record["bias"], "section": record["bias"]}


def test_evalbiasbench_records_form_is_detected_and_reads_the_same() -> None:
    loaded = load_dataset(str(FIXTURES["evalbiasbench"][1]), {})
    assert (loaded.layout, loaded.detected) == ("evalbiasbench", True)
    document = _by_name("evalbiasbench", FIXTURES["evalbiasbench"][0])
    assert [(i.id, i.chosen, i.category) for i in loaded.instances] == [(i.id, i.chosen, i.category) for i in document]


@pytest.mark.skipif(not SHARED_EVALBIASBENCH.exists(), reason="the published EvalBiasBench file is not in /work/shared")
def test_evalbiasbench_published_file() -> None:
    instances = _by_name("evalbiasbench", SHARED_EVALBIASBENCH)
    assert len(instances) == 80
    assert Counter(i.category for i in instances) == {
        "length bias": 17, "concreteness": 14, "empty reference": 13, "content_continuation": 12,
        "nested_instruction": 12, "familiar knowledge preference bias": 12,
    }
    assert {i.gold for i in instances} == {"chosen"}
    assert len({i.id for i in instances}) == 80


def test_evalbiasbench_bad_document_names_the_line(tmp_path: Path) -> None:
    text = FIXTURES["evalbiasbench"][0].read_text()
    bad = tmp_path / "biasbench.json"
    bad.write_text(text.replace('"label": 2', '"label": "second"'), encoding="utf-8")
    line = text[: text.index('"label": 2')].count("\n") + 1
    start = text[: text.rindex("{", 0, text.index('"label": 2'))].count("\n") + 1
    assert line > start
    with pytest.raises(JudgeAuditError, match=rf"biasbench\.json:{start}: label 'second' is not one of"):
        load_dataset(f"evalbiasbench:{bad}", {})
    bad.write_text(text.replace('"response1": "Ottawa."', '"response1": "Ottawa."  "extra"'), encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"biasbench\.json:\d+: malformed JSON"):
        load_dataset(f"evalbiasbench:{bad}", {})


# --- HelpSteer2 -------------------------------------------------------------------------------------------


def test_helpsteer2_pairs_by_prompt_gold_from_helpfulness() -> None:
    path = FIXTURES["helpsteer2"][0]
    records = _records(path)
    instances, dropped = pairs(path)
    detected = load_dataset(str(path), {})
    assert (detected.layout, detected.detected, len(detected.instances)) == ("helpsteer2", True, 3)
    assert [i.id for i in _by_name("helpsteer2", path)] == [i.id for i in instances]
    assert dropped == 1  # the one response of a prompt without a second
    assert [i.prompt for i in instances] == [records[0]["prompt"], records[2]["prompt"], records[4]["prompt"]]
    swapped, tie, kept = instances
    # first pair: the second response is more helpful, so it becomes chosen, scores and attributes with it
    assert (swapped.chosen, swapped.rejected, swapped.gold) == (records[1]["response"], records[0]["response"], "chosen")
    assert swapped.metadata["attributes_chosen"] == {k: records[1][k] for k in ("helpfulness", "correctness", "coherence", "complexity", "verbosity")}
    assert swapped.metadata["attributes_rejected"]["helpfulness"] == records[0]["helpfulness"]
    assert [(a.annotator, a.chosen_score, a.rejected_score) for a in swapped.annotations] == [("helpsteer2", 4, 1)]
    assert (tie.gold, tie.chosen, tie.gold_source) == ("tie", records[2]["response"], "human majority")
    # the third prompt's two responses are apart in the file (a multi-turn prompt keeps its turn markers)
    assert (kept.chosen, kept.rejected, kept.gold) == (records[4]["response"], records[6]["response"], "chosen")
    assert "<extra_id_1>" in kept.prompt
    assert {i.metadata["benchmark"] for i in instances} == {"helpsteer2"}
    assert {i.metadata["subset"] for i in instances} == {"validation"}


@pytest.mark.parametrize(("change", "message"), [
    ({"helpfulness": 5}, ":2: helpfulness 5 is not a score from 0 to 4"),
    ({"verbosity": "high"}, ":2: verbosity must be a number, got 'high'"),
    ({"coherence": None}, ":2: not a HelpSteer2 record: missing field 'coherence'"),
])
def test_helpsteer2_bad_scores_name_the_line(tmp_path: Path, change: dict, message: str) -> None:
    rows = _records(FIXTURES["helpsteer2"][0])[:2]
    rows[1] = {k: v for k, v in (rows[1] | change).items() if v is not None}
    path = _write(tmp_path / "hs.jsonl", rows)
    with pytest.raises(JudgeAuditError) as caught:
        load_dataset(f"helpsteer2:{path}", {})
    assert str(caught.value).startswith(f"{path}{message}")


def test_helpsteer2_without_pairs_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "hs.jsonl", _records(FIXTURES["helpsteer2"][0])[5:6])
    with pytest.raises(JudgeAuditError, match="no instances found"):
        load_dataset(f"helpsteer2:{path}", {})


# --- Detection never misfires -----------------------------------------------------------------------------


def test_every_fixture_matches_only_its_own_layout() -> None:
    for layout, paths in FIXTURES.items():
        for path in paths:
            for record in _records(path):
                assert [name for name in PRESETS if _module(name).matches(record)] == [layout], (path, record)


def test_my_layouts_do_not_fire_on_other_fixtures_or_plain_files(tmp_path: Path) -> None:
    mine = {path for paths in FIXTURES.values() for path in paths}
    # JudgeBench's own output files carry its pair records (and the judgments): reading them as its layout is right.
    # Real published files (tests/data/real_layouts): JudgeBench's and LLMBar's own are their layouts too.
    outputs = BENCHMARKS.parent / "logs" / "judgebench"
    real = BENCHMARKS.parent / "real_layouts"
    theirs = [real / "llmbar", *real.glob("judgebench_*")]
    others = [
        p for p in (BENCHMARKS.parent).rglob("*")
        if p.suffix in (".json", ".jsonl") and p not in mine and outputs not in p.parents and not any(t == p or t in p.parents for t in theirs)
    ]
    checked = 0
    for path in others:
        try:
            rows = [row for _, row in read_rows(path)][:1]
        except JudgeAuditError:
            continue
        for row in rows:
            if isinstance(row, dict):
                checked += 1
                assert [name for name in MINE if _module(name).matches(row)] == [], path
    assert checked > 0
    plain = _write(tmp_path / "plain.jsonl", [{"id": "p1", "prompt": "Say hi.", "chosen": "Hi!", "rejected": "No.", "category": "chat", "label": "chosen"}])
    loaded = load_dataset(str(plain), {})
    assert (loaded.layout, loaded.detected) == (None, False)
    assert detect(plain) is None


def test_unknown_layout_file_is_read_plainly_not_misdetected(tmp_path: Path) -> None:
    path = _write(tmp_path / "other.jsonl", [{"instruction": "x", "output_1": "a", "output_2": "b", "preference": 1}])
    assert detect(path) is None


def test_evalbiasbench_as_published_is_detected() -> None:
    """The published file is one JSON object mapping each bias type to its records: detected from the first."""
    (path,) = [p for p in FIXTURES["evalbiasbench"] if p.suffix == ".json"][:1]
    loaded = load_dataset(str(path), {})
    assert (loaded.layout, loaded.detected) == ("evalbiasbench", True)
