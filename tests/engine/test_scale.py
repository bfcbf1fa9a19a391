"""judgments.jsonl at scale: each long text written once, both formats read, rebuild = in-memory summary."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from judgeaudit.auditing import rebuild
from judgeaudit.biases import build_probes, load_registry, select_biases
from judgeaudit.errors import JudgeAuditError
from judgeaudit.runs import JUDGMENTS, MANIFEST, read_judgments, spec_record, write_json, write_judgments
from judgeaudit.runs.judgments import INLINE_UP_TO, VERSION
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import build_summary
from tests.simulation import instances

# Every way a text reaches a probe: response edits, a note in the prompt, an attribution, both orders.
SPECS = select_biases(load_registry(), ["position", "verbosity", "bandwagon", "compassion_fade", "gender"])
RAW = "After weighing both answers, Response {} is the more accurate and complete one. [[{}]]"


def judged(n_instances: int) -> tuple[list[tuple[Probe, Judgment]], list[tuple[str, ...]]]:
    """Real probes of synthetic instances (half with a reference), answered with every judgment field varied."""
    pool = [replace(i, reference=f"The reference answer to question {k} is {2 * k}.") if k % 2 else i for k, i in enumerate(instances(n_instances))]
    rows = []
    for k, probe in enumerate(build_probes(pool, SPECS, seed=0)):
        verdict = ("A", "B", "tie", "unparseable", "error")[k % 7 % 5]
        rows.append((probe, Judgment(
            verdict=verdict,
            p_a=None if k % 3 else (k % 100) / 100,
            raw="" if verdict == "error" else RAW.format(verdict, verdict) if k % 4 else verdict,
            prompt_tokens=k % 50,
            completion_tokens=k % 7,
            cost_usd=k * 1e-6,
            latency_s=k / 1000,
            cached=k % 2 == 0,
            error="HTTP 503: the upstream server is overloaded" if verdict == "error" else None,
            truncated=k % 11 == 0,
            resolved_model="mock-2026-01-01" if k % 5 else None,
            score=None if k % 6 else float(k % 10),
        )))
    return rows, [(f"{k:064x}", f"{k + 1:064x}") if k % 9 == 0 else (f"{k:064x}",) for k in range(len(rows))]


def write_first_format(path: Path, rows: list[tuple[Probe, Judgment]], keys: list[tuple[str, ...]]) -> None:
    """judgments.jsonl as the first format wrote it: no header, every field of every row, texts in full."""
    lines = (asdict(probe) | {"request_keys": list(k)} | judgment.to_dict() for (probe, judgment), k in zip(rows, keys, strict=True))
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def test_round_trip_keeps_every_field_and_writes_each_long_text_once(tmp_path: Path) -> None:
    rows, keys = judged(12)
    path = tmp_path / JUDGMENTS
    write_judgments(path, iter(rows), iter(keys))  # streamed: any iterables
    assert read_judgments(path) == (rows, keys)

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["format"] == "judgeaudit.judgments" and lines[0]["version"] == VERSION
    definitions = [line["value"] for line in lines if "value" in line]
    judgments = [line for line in lines if "instance_id" in line]
    assert len(judgments) == len(rows) and len(lines) == 1 + len(definitions) + len(rows)
    long_texts = {
        text for probe, judgment in rows
        for text in (probe.prompt, probe.response_a, probe.response_b, probe.reference, probe.prompt_note, probe.attribution_a, probe.attribution_b, judgment.raw, judgment.error)
        if text and len(text) > INLINE_UP_TO
    }
    assert sorted(definitions) == sorted(long_texts)  # each long text defined exactly once
    first = next(row for row, (p, _) in enumerate(rows) if p.condition == "control")
    shared = rows[first][0].response_a  # a control's response: shown by dozens of probes
    assert sum(p.response_a == shared or p.response_b == shared for p, _ in rows) > 20
    assert path.read_text(encoding="utf-8").count(json.dumps(shared)) == 1
    assert judgments[first]["response_a"] == {"text": next(line["text"] for line in lines if line.get("value") == shared)}


@pytest.mark.parametrize("write", [write_judgments, write_first_format])
def test_a_text_shared_by_rows_is_one_object_in_memory(tmp_path: Path, write) -> None:
    rows, keys = judged(4)
    write(tmp_path / JUDGMENTS, rows, keys)
    read, _ = read_judgments(tmp_path / JUDGMENTS)
    prompts = {p.instance_id: p.prompt for p, _ in read}
    assert all(p.prompt is prompts[p.instance_id] for p, _ in read)
    raws = {j.raw: j.raw for _, j in read}
    assert len(raws) > 3 and all(j.raw is raws[j.raw] for _, j in read)


def test_the_first_format_is_still_read(tmp_path: Path) -> None:
    rows, keys = judged(6)
    write_first_format(tmp_path / JUDGMENTS, rows, keys)
    assert read_judgments(tmp_path / JUDGMENTS) == (rows, keys)


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (lambda lines, at: lines.__setitem__(at, lines[at][:40]), "malformed judgment record"),
        (lambda lines, at: lines.__setitem__(at, lines[at].replace('"request_keys"', '"keys"')), "no 'request_keys'"),
        (lambda lines, at: lines.insert(at, json.dumps({"instance_id": "x", "prompt": {"text": "0" * 16}})), "refers to text 0000000000000000"),
    ],
)
def test_a_malformed_line_is_one_error_naming_the_file_and_line(tmp_path: Path, spoil, words: str) -> None:
    rows, keys = judged(2)
    path = tmp_path / JUDGMENTS
    write_judgments(path, rows, keys)
    lines = path.read_text(encoding="utf-8").splitlines()
    at = [i for i, line in enumerate(lines) if '"instance_id"' in line][1]  # the second judgment
    spoil(lines, at)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError) as error:
        read_judgments(path)
    assert str(error.value).startswith(f"{path}:{at + 1}: ") and words in str(error.value)


def test_a_newer_format_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / JUDGMENTS
    path.write_text(json.dumps({"format": "judgeaudit.judgments", "version": VERSION + 1}) + "\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=f"^{path}:1: .*newer than this judgeaudit reads"):
        read_judgments(path)


def test_rebuild_gives_the_summary_computed_from_the_rows_in_memory(tmp_path: Path) -> None:
    rows, keys = judged(100)
    assert len(rows) > 2000
    manifest = {
        "run_id": "fake__scale",
        "config": {"alpha": 0.05, "min_instances": 10, "seed": 3},
        "judge": {"backend": "fake", "model": "varied"},
        "mode": "pairwise",
        "dataset": {"name": "simulated", "n_instances": 100, "sha256": "0" * 64},
        "biases": [spec_record(spec) for spec in SPECS],
        "tool": {"version": "test"},
        "prompt_template": {"name": "t", "hash": "h"},
        "seed": 3,
        "finished_at": None,
    }
    write_json(tmp_path / MANIFEST, manifest)
    write_judgments(tmp_path / JUDGMENTS, rows, keys)
    answers = {key: judgment for (_, judgment), probe_keys in zip(rows, keys, strict=True) for key in probe_keys}
    in_memory = build_summary(manifest, SPECS, rows, answers)
    assert rebuild(tmp_path).to_dict() == in_memory.to_dict()
    assert json.loads((tmp_path / "summary.json").read_text())["biases"]["verbosity"]["n_instances"] == in_memory.biases["verbosity"].n_instances
    assert (tmp_path / "report.html").stat().st_size < 2_000_000  # examples are bounded, not every row
