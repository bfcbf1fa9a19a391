"""Dataset loading: formats, field mapping, and one-line errors that name the file and line."""

import json
from pathlib import Path

import pytest

from judgeaudit.datasets import load_instances, parse_field_map, sample_path
from judgeaudit.errors import JudgeAuditError


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = {"prompt": "2+2?", "chosen": "4", "rejected": "5"}


def test_sample_set_is_rich_enough() -> None:
    instances = load_instances(sample_path())
    assert len(instances) >= 60
    categories = {i.category for i in instances}
    assert len(categories) >= 5
    assert len({i.id for i in instances}) == len(instances)
    for inst in instances:
        ratio = len(inst.rejected) / len(inst.chosen)
        assert 0.4 < ratio < 2.5, inst.id  # similar length: perturbations, not the base pair, drive results


def test_jsonl_with_ids_and_hash_ids(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "d.jsonl", [GOOD | {"id": "x1", "category": "math"}, GOOD | {"chosen": "four"}])
    a, b = load_instances(path)
    assert a.id == "x1" and a.category == "math"
    assert len(b.id) == 12 and b.category == "uncategorized"
    assert load_instances(path)[1].id == b.id  # stable content hash


def test_csv_and_field_mapping(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("question,good,bad\nWhat is 2+2?,4,5\n", encoding="utf-8")
    mapping = parse_field_map(["prompt=question", "chosen=good", "rejected=bad"])
    (inst,) = load_instances(path, mapping)
    assert (inst.prompt, inst.chosen, inst.rejected) == ("What is 2+2?", "4", "5")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([GOOD, "{not json"], "d.jsonl:2: malformed JSON"),
        ([GOOD, {"prompt": "p", "chosen": "c"}], "d.jsonl:2: missing field 'rejected'"),
        ([{"prompt": "p", "chosen": "  ", "rejected": "r"}], "d.jsonl:1: field 'chosen' is empty"),
        ([GOOD, [1, 2]], "d.jsonl:2: expected a JSON object"),
        ([GOOD | {"id": "a"}, GOOD | {"id": "a", "chosen": "x"}], "d.jsonl:2: duplicate id 'a'"),
        ([{"prompt": "p", "chosen": "same", "rejected": "same"}], "d.jsonl:1: chosen and rejected responses are identical"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, rows: list, message: str) -> None:
    path = _write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(JudgeAuditError) as err:
        load_instances(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["prompt,chosen,rejected", "p,c,r", "p2,c2,r2,extra"], "3: row has 4 fields but the header has 3"),
        (["prompt,chosen,rejected", "p,c,r,x,y"], "2: row has 5 fields but the header has 3"),
        (["prompt,chosen,rejected", "p,c"], "2: row has 2 fields but the header has 3 (missing: rejected)"),
        (["prompt,chosen,rejected,id", "p,c,r,1", '"multi\nline",c,r,2', "p"],
         "5: row has 1 fields but the header has 4 (missing: chosen, rejected, id)"),
    ],
)
def test_csv_rows_of_the_wrong_width_name_file_and_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError) as err:
        load_instances(path)
    assert str(err.value) == f"{path}:{message}"  # the whole message: one line, file and line first


def test_csv_blank_lines_and_empty_cells_are_not_width_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("prompt,chosen,rejected,category\n\np,c,r,\n", encoding="utf-8")
    (inst,) = load_instances(path)
    assert (inst.prompt, inst.category) == ("p", "uncategorized")


def test_missing_file_and_bad_mapping(tmp_path: Path) -> None:
    with pytest.raises(JudgeAuditError, match="dataset file not found"):
        load_instances(tmp_path / "nope.jsonl")
    with pytest.raises(JudgeAuditError, match="valid fields: prompt, chosen, rejected"):
        parse_field_map(["answer=x"])
    path = _write_jsonl(tmp_path / "d.jsonl", [{"q": "p", "chosen": "c", "rejected": "r"}])
    with pytest.raises(JudgeAuditError, match=r"missing field 'prompt' \(mapped from 'question'\)"):
        load_instances(path, {"prompt": "question"})


def test_limit_takes_instances_across_categories() -> None:
    from judgeaudit.prepare import take_across_categories

    instances = load_instances(sample_path())
    taken = take_across_categories(instances, 10)
    assert len(taken) == 10
    assert {i.category for i in taken} == {i.category for i in instances}
    assert take_across_categories(instances, 10) == taken
    assert len(take_across_categories(instances, 1000)) == len(instances)
