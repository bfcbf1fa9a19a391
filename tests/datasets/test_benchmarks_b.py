"""RewardBench 2 and RM-Bench read in their own layouts (fixtures in tests/data/benchmarks/, invented texts
in the real field names and nesting): one instance per pair or style cell, grouped by prompt, oriented
with the correct response as ``chosen``, detected from the first record, errors naming file and record."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from judgeaudit.datasets import load_dataset, load_instances
from judgeaudit.datasets.presets import PRESETS, detect, rewardbench2, rm_bench
from judgeaudit.errors import JudgeAuditError

FIXTURES = Path(__file__).parent.parent / "data" / "benchmarks"
RB2 = FIXTURES / "rewardbench2" / "test.jsonl"
RMB = FIXTURES / "rm-bench" / "total_dataset.json"


def _records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_both_layouts_are_named_in_presets() -> None:
    assert PRESETS["rewardbench2"] == "rewardbench2" and PRESETS["rm-bench"] == "rm_bench"


# RewardBench 2


def test_rewardbench2_gives_one_instance_per_chosen_rejected_pair() -> None:
    loaded = load_dataset(f"rewardbench2:{RB2}", {})
    instances = loaded.instances
    assert loaded.layout == "rewardbench2" and not loaded.detected
    assert len(instances) == 5 * 3 + 2 * 3  # five best-of-4 records, one Ties record of 2 correct x 3 incorrect
    assert [i.id for i in instances[:3]] == ["101-0", "101-1", "101-2"]
    assert [i.id for i in instances if i.metadata["group"] == "106"] == [f"106-{k}" for k in range(6)]
    assert Counter(i.metadata["subset"] for i in instances) == {
        "Factuality": 3, "Precise IF": 3, "Math": 3, "Safety": 3, "Focus": 3, "Ties": 6,
    }
    for instance in instances:
        meta = instance.metadata
        assert meta["benchmark"] == "rewardbench2" and meta["section"] == meta["subset"] == instance.category
        assert instance.gold == "chosen"


def test_rewardbench2_pairs_are_grouped_and_oriented() -> None:
    instances = rewardbench2.read(RB2)
    records = {r["id"]: r for r in _records(RB2)}
    groups = Counter(i.metadata["group"] for i in instances)
    assert groups == {"101": 3, "102": 3, "103": 3, "104": 3, "105": 3, "106": 6}
    for instance in instances:
        record, meta = records[instance.metadata["group"]], instance.metadata
        assert meta["pairs_in_group"] == groups[meta["group"]]
        assert instance.prompt == record["prompt"]
        assert instance.chosen == record["chosen"][meta["chosen_index"]]
        assert instance.rejected == record["rejected"][meta["rejected_index"]]
        assert meta["model_chosen"] == record["models"][meta["chosen_index"]]
        assert meta["model_rejected"] == record["models"][len(record["chosen"]) + meta["rejected_index"]]
    ties = [(i.metadata["chosen_index"], i.metadata["rejected_index"]) for i in instances if i.metadata["subset"] == "Ties"]
    assert ties == [(c, r) for c in range(2) for r in range(3)]  # every correct answer against every incorrect one


def test_rewardbench2_reads_the_hub_parquet_and_a_saved_folder(tmp_path: Path) -> None:
    records = _records(RB2)
    expected = rewardbench2.read(RB2)
    parquet = tmp_path / "test-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet)
    assert detect(parquet) == "rewardbench2"
    assert [(i.id, i.chosen, i.rejected) for i in load_dataset(str(parquet), {}).instances] == [(i.id, i.chosen, i.rejected) for i in expected]
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "rb2"
    datasets.DatasetDict({"test": datasets.Dataset.from_list(records)}).save_to_disk(str(folder))
    loaded = load_dataset(str(folder), {})
    assert loaded.layout == "rewardbench2" and loaded.detected and loaded.path == Path(f"{folder}#test")
    assert [i.id for i in loaded.instances] == [i.id for i in expected]


def test_rewardbench2_errors_name_the_file_and_record(tmp_path: Path) -> None:
    good = _records(RB2)[0]
    cases = [
        (dict(good, chosen="a single text"), "field 'chosen' must list responses, got str"),
        (dict(good, rejected=[]), "field 'rejected' must list responses, got a list of 0"),
        (dict(good, rejected=["fine", ""]), "field 'rejected': response 1 is empty"),
        ({k: v for k, v in good.items() if k != "subset"}, "field 'subset' missing or not text; present fields: "),
        (dict(good, rejected=[good["chosen"][0]]), "chosen response 0 and rejected response 0 are identical"),
        (["not", "a", "record"], "expected a RewardBench 2 record"),
        (good, "duplicate id '101' \\(first on line 1\\)"),
    ]
    for record, message in cases:
        path = _write(tmp_path / "rb2.jsonl", [good, record])
        with pytest.raises(JudgeAuditError, match=rf"rb2\.jsonl:2: .*{message}"):
            rewardbench2.read(path)
    parquet = tmp_path / "rb2.parquet"
    pq.write_table(pa.Table.from_pylist([good, good]), parquet)
    with pytest.raises(JudgeAuditError, match=r"rb2\.parquet:record 2: duplicate id '101' \(first on record 1\)"):
        rewardbench2.read(parquet)


# RM-Bench


def test_rm_bench_gives_nine_style_cells_per_prompt() -> None:
    loaded = load_dataset(f"rm-bench:{RMB}", {})
    instances = loaded.instances
    assert loaded.layout == "rm-bench" and len(instances) == 5 * 9
    assert [i.id for i in instances[:9]] == [f"chat/1-c{i}r{j}" for i in range(3) for j in range(3)]
    assert Counter(i.metadata["subset"] for i in instances) == {d: 9 for d in rm_bench.DOMAINS}
    assert Counter(i.metadata["section"] for i in instances) == {"chat": 9, "code": 9, "math": 9, "safety": 18}
    assert Counter(i.metadata["group"] for i in instances) == {r["id"]: 9 for r in _records(RMB)}
    assert all(i.metadata["benchmark"] == "rm-bench" and i.gold == "chosen" and i.category == i.metadata["subset"] for i in instances)


def test_rm_bench_cells_follow_its_accuracy_matrix() -> None:
    """Rows are the chosen style, columns the rejected style (RM-Bench's compute_accuracy): hard is the
    upper-right triangle (chosen less styled), normal the diagonal, easy the lower-left triangle."""
    records = {r["id"]: r for r in _records(RMB)}
    instances = rm_bench.read(RMB)
    cells: dict[str, set[tuple[int, int]]] = {}
    for instance in instances:
        meta, record = instance.metadata, records[instance.metadata["group"]]
        assert instance.chosen == record["chosen"][meta["chosen_style"]]
        assert instance.rejected == record["rejected"][meta["rejected_style"]]
        cells.setdefault(meta["difficulty"], set()).add((meta["chosen_style"], meta["rejected_style"]))
    assert cells == {
        "hard": {(0, 1), (0, 2), (1, 2)},
        "normal": {(0, 0), (1, 1), (2, 2)},
        "easy": {(1, 0), (2, 0), (2, 1)},
    }
    assert Counter(i.metadata["difficulty"] for i in instances) == {"hard": 15, "normal": 15, "easy": 15}


def test_rm_bench_errors_name_the_file_and_record(tmp_path: Path) -> None:
    good = _records(RMB)[0]
    cases = [
        (dict(good, chosen=good["chosen"][:2]), "field 'chosen' must list 3 responses \\(concise, detailed plain, detailed markdown\\), got a list of 2"),
        (dict(good, rejected="one text"), "field 'rejected' must list 3 responses .*got str"),
        (dict(good, chosen=[good["chosen"][0], "", good["chosen"][2]]), "field 'chosen': the detailed plain response is empty"),
        ({k: v for k, v in good.items() if k != "domain"}, "not an RM-Bench record: field 'domain' missing"),
        (dict(good, rejected=[good["chosen"][2]] * 3), "the detailed markdown chosen and the concise rejected responses are identical"),
        (good, "duplicate id 'chat/1'"),
    ]
    for record, message in cases:
        path = tmp_path / "rmb.json"
        path.write_text(json.dumps([good, record], indent=2))
        line = 1 + len(json.dumps(good, indent=2).splitlines()) + 1  # the second record starts after the first and '['
        with pytest.raises(JudgeAuditError, match=rf"rmb\.json:{line}: .*{message}"):
            rm_bench.read(path)


# Detection


def test_detection_picks_each_layout_from_its_first_record(tmp_path: Path) -> None:
    assert detect(RB2) == "rewardbench2" and detect(RMB) == "rm-bench"
    loaded = load_dataset(str(RB2), {})
    assert loaded.layout == "rewardbench2" and loaded.detected and len(loaded.instances) == 21
    assert load_dataset(str(RMB), {}).layout == "rm-bench"


def test_detection_does_not_misfire_on_plain_files(tmp_path: Path) -> None:
    plain = {"id": "p1", "prompt": "Say hi.", "chosen": "Hi!", "rejected": "Bye.", "subset": "Focus", "domain": "chat", "num_correct": 1}
    path = _write(tmp_path / "plain.jsonl", [plain])
    assert detect(path) is None
    loaded = load_dataset(str(path), {})
    assert loaded.layout is None and [i.id for i in loaded.instances] == ["p1"]
    assert not rewardbench2.matches(plain) and not rm_bench.matches(plain)
    # Lists, but neither layout's other fields: the plain reader says what is wrong and how to read it.
    listy = _write(tmp_path / "listy.jsonl", [{"prompt": "p", "chosen": ["a", "b"], "rejected": ["c"]}])
    assert detect(listy) is None
    with pytest.raises(JudgeAuditError, match=r"listy\.jsonl:1: field 'chosen' must be text, got a list of 2; .*rewardbench2:PATH or rm-bench:PATH"):
        load_dataset(str(listy), {})
    # A mapped field means the plain reader even for a RewardBench 2 file: its list gets the same clear line.
    with pytest.raises(JudgeAuditError, match=r"test\.jsonl:1: field 'chosen' must be text, got a list of 1"):
        load_instances(RB2, {"category": "subset"})


def test_each_layout_matches_only_its_own_records() -> None:
    rb2, rmb = _records(RB2)[0], _records(RMB)[0]
    assert rewardbench2.matches(rb2) and not rm_bench.matches(rb2)
    assert rm_bench.matches(rmb) and not rewardbench2.matches(rmb)
