"""Dataset formats beyond JSON lines, JSON and CSV: Parquet files, Hugging Face ``save_to_disk`` folders
(one dataset, or a DatasetDict of splits) and ``hf:OWNER/NAME``, which never reaches the network here
(the hub is set offline and must fail in one line)."""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from judgeaudit.datasets import load_dataset, load_instances, read_rows
from judgeaudit.datasets.files import RecordNumber, resolve_source, source_sha256
from judgeaudit.errors import JudgeAuditError

datasets = pytest.importorskip("datasets")

ROWS = [
    {"id": "a", "prompt": "Name a prime.", "chosen": "Seven.", "rejected": "Nine.", "category": "math"},
    {"id": "b", "prompt": "Capital of Peru?", "chosen": "Lima.", "rejected": "Quito.", "category": "geo"},
    {"id": "c", "prompt": "Boiling point of water at sea level?", "chosen": "100 C.", "rejected": "80 C.", "category": "science"},
]


def _parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _saved(path: Path, rows: list[dict[str, Any]]) -> Path:
    datasets.Dataset.from_list(rows).save_to_disk(str(path))
    return path


def _saved_splits(path: Path, splits: dict[str, list[dict[str, Any]]]) -> Path:
    datasets.DatasetDict({name: datasets.Dataset.from_list(rows) for name, rows in splits.items()}).save_to_disk(str(path))
    return path


def test_parquet_rows_and_instances_match_the_jsonl(tmp_path: Path) -> None:
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    parquet = _parquet(tmp_path / "d.parquet", ROWS)
    rows = list(read_rows(parquet))
    assert [n for n, _ in rows] == [1, 2, 3] and all(isinstance(n, RecordNumber) for n, _ in rows)
    assert [r for _, r in rows] == ROWS
    assert load_instances(parquet) == load_instances(jsonl)


def test_parquet_errors_name_the_record(tmp_path: Path) -> None:
    rows = [dict(ROWS[0]), dict(ROWS[1], chosen="")]
    with pytest.raises(JudgeAuditError, match=r"d\.parquet:record 2: field 'chosen' is empty"):
        load_instances(_parquet(tmp_path / "d.parquet", rows))
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet at all")
    with pytest.raises(JudgeAuditError, match=r"broken\.parquet: not a readable Parquet file") as caught:
        list(read_rows(broken))
    assert "\n" not in str(caught.value)


def test_parquet_dates_and_nested_values_read_as_json_has_them(tmp_path: Path) -> None:
    import datetime

    rows = [dict(ROWS[0], when=datetime.date(2024, 5, 1), tags=["x", "y"], extra={"k": 1})]
    (_, row), = read_rows(_parquet(tmp_path / "d.parquet", rows))
    assert row["when"] == "2024-05-01" and row["tags"] == ["x", "y"] and row["extra"] == {"k": 1}


def test_a_save_to_disk_folder_reads_like_the_file(tmp_path: Path) -> None:
    folder = _saved(tmp_path / "saved", ROWS)
    assert [r for _, r in read_rows(folder)] == ROWS
    loaded = load_dataset(str(folder), {})
    assert [i.id for i in loaded.instances] == ["a", "b", "c"] and loaded.path == folder and loaded.layout is None


def test_a_dataset_dict_folder_takes_test_then_train_and_says_which(tmp_path: Path) -> None:
    folder = _saved_splits(tmp_path / "dd", {"train": ROWS[:1], "test": ROWS[1:]})
    assert resolve_source(str(folder)) == f"{folder}#test"
    loaded = load_dataset(str(folder), {})
    assert loaded.path == Path(f"{folder}#test") and [i.id for i in loaded.instances] == ["b", "c"]
    assert [i.id for i in load_dataset(f"{folder}#train", {}).instances] == ["a"]
    assert [i.id for i in load_instances(f"{folder}#train")] == ["a"]
    only = _saved_splits(tmp_path / "only", {"validation": ROWS})
    assert resolve_source(str(only)) == f"{only}#validation"
    train = _saved_splits(tmp_path / "train", {"train": ROWS[:2], "validation": ROWS[2:]})
    assert [i.id for i in load_dataset(str(train), {}).instances] == ["a", "b"]


def test_dataset_dict_folder_errors(tmp_path: Path) -> None:
    folder = _saved_splits(tmp_path / "dd", {"dev": ROWS[:1], "extra": ROWS[1:]})
    with pytest.raises(JudgeAuditError, match=r"several splits \(dev, extra\) and none is test or train; name one as .*dd#SPLIT"):
        load_dataset(str(folder), {})
    with pytest.raises(JudgeAuditError, match=r"dd: no split 'test'; its splits: dev, extra"):
        load_instances(f"{folder}#test")
    single = _saved(tmp_path / "single", ROWS)
    with pytest.raises(JudgeAuditError, match="holds one dataset, not splits"):
        load_instances(f"{single}#test")
    rows = [dict(ROWS[0]), {"id": "x", "prompt": "p", "chosen": "c"}]
    with pytest.raises(JudgeAuditError, match=r"bad#test:record 2: missing field 'rejected'"):
        load_dataset(str(_saved_splits(tmp_path / "bad", {"test": rows})), {})


def test_a_folder_that_is_not_a_dataset_fails_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(JudgeAuditError, match="not a Hugging Face dataset saved with save_to_disk"):
        load_instances(tmp_path / "plain")
    broken = _saved(tmp_path / "broken", ROWS)
    for arrow in broken.glob("*.arrow"):
        arrow.write_bytes(b"garbage")
    with pytest.raises(JudgeAuditError, match="broken: not a readable Hugging Face dataset folder") as caught:
        list(read_rows(broken))
    assert "\n" not in str(caught.value)


def test_the_existing_formats_keep_their_errors(tmp_path: Path) -> None:
    with pytest.raises(JudgeAuditError, match=r"missing\.jsonl: dataset file not found"):
        read_rows(tmp_path / "missing.jsonl")
    other = tmp_path / "d.txt"
    other.write_text("x")
    with pytest.raises(JudgeAuditError, match=r"unsupported dataset format '\.txt'; use \.jsonl, \.json, \.csv, \.parquet"):
        read_rows(other)
    bad = tmp_path / "d.jsonl"
    bad.write_text(json.dumps(ROWS[0]) + "\n{oops\n")
    with pytest.raises(JudgeAuditError, match=r"d\.jsonl:2: malformed JSON"):
        list(read_rows(bad))


def test_list_valued_chosen_in_a_plain_file_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"prompt": "p", "chosen": ["a", "b"], "rejected": "c"}) + "\n")
    with pytest.raises(JudgeAuditError, match=r"d\.jsonl:1: field 'chosen' must be text, got a list of 2; .*--field chosen=chosen\.0"):
        load_instances(path)
    assert [i.chosen for i in load_instances(path, {"chosen": "chosen.0"})] == ["a"]


def test_source_hash_of_a_file_and_of_a_folder(tmp_path: Path) -> None:
    parquet = _parquet(tmp_path / "d.parquet", ROWS)
    import hashlib

    assert source_sha256(parquet) == hashlib.sha256(parquet.read_bytes()).hexdigest()
    one, two = _saved(tmp_path / "one", ROWS), _saved(tmp_path / "two", ROWS)
    assert source_sha256(one) == source_sha256(two) != source_sha256(_saved(tmp_path / "three", ROWS[:2]))


@pytest.fixture()
def offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The hub offline, and an empty cache: no test here reaches the network."""
    import huggingface_hub.constants

    from judgeaudit.datasets import files

    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    files._hub_dataset.cache_clear()


@pytest.mark.usefixtures("offline_hub")
def test_an_unreachable_hub_fails_in_one_line() -> None:
    expected = r"^hf:someone/no-such-set: the Hugging Face hub is not reachable \(.+\); download it where it is and pass the folder or file$"
    for dataset in ("hf:someone/no-such-set", "hf:someone/no-such-set#test"):
        with pytest.raises(JudgeAuditError, match=expected) as caught:
            load_dataset(dataset, {})
        assert "\n" not in str(caught.value)
    with pytest.raises(JudgeAuditError, match=expected):
        load_instances("hf:someone/no-such-set")
    with pytest.raises(JudgeAuditError, match=expected):
        load_dataset("mt-bench-human:hf:someone/no-such-set", {})
    with pytest.raises(JudgeAuditError, match=r"expected hf:OWNER/NAME"):
        load_dataset("hf:a/b/c", {})


def test_without_datasets_installed_folders_and_hub_say_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = _saved(tmp_path / "saved", ROWS)
    real_import = builtins.__import__

    def no_datasets(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "datasets" or name.startswith("datasets."):
            raise ImportError("No module named 'datasets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "datasets")
    monkeypatch.setattr(builtins, "__import__", no_datasets)
    from judgeaudit.datasets import files

    files._hub_dataset.cache_clear()
    for source in (str(folder), "hf:someone/some-set"):
        with pytest.raises(JudgeAuditError, match=r"needs the datasets package: pip install 'judgeaudit\[hub\]'$") as caught:
            load_dataset(source, {})
        assert "\n" not in str(caught.value)
    assert len(load_instances(_parquet(tmp_path / "d.parquet", ROWS))) == 3
