"""``judgeaudit needle`` end to end: material -> design -> judge -> analysis -> needle.json, needle.html."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_end_to_end import finish, judgeaudit


def _only(folder: Path) -> Path:
    (run,) = [p for p in folder.iterdir() if p.is_dir()]
    return run


def test_a_judge_that_finds_every_error_shows_no_effect_and_the_outputs_are_written(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--per-cell", "2",
                                       "--out", str(tmp_path), "--no-cache"))
    assert code == 0, err
    assert "The judge caught every planted error: no position or length effect." in out
    run = _only(tmp_path)
    record = json.loads((run / "needle.json").read_text())
    assert record["design"]["trials"] == 4 * 8 * 2 and record["design"]["too_long"]["trials"] == 0
    assert {c["bucket"] for c in record["analysis"]["cells"]} == {300, 800, 1500, 3000}
    assert all(c["accuracy"]["rate"] == 1.0 for c in record["analysis"]["cells"])
    page = (run / "needle.html").read_text()
    assert "data:image/png;base64," in page and "Errors caught, by length and position" in page
    code, out, _ = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--per-cell", "2",
                                     "--out", str(tmp_path), "--no-cache"))
    assert code == 0 and _only(tmp_path) == run  # the same design resumes the same folder


def test_a_judge_that_always_answers_a_misses_half_and_bad_input_is_one_line(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:fair_verdict", "--per-cell", "1",
                                       "--buckets", "300,800", "--out", str(tmp_path), "--no-cache"))
    assert code == 0, err
    record = json.loads((_only(tmp_path) / "needle.json").read_text())
    rates = [c["accuracy"]["rate"] for c in record["analysis"]["cells"] if c["accuracy"]["rate"] is not None]
    assert rates and all(r == 0.5 for r in rates)  # the clean text is never in the sample set: "B" wins, right in one order
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "prompt": "p", "response": "A. B.", "modifications": [{"anchor": "C.", "true": "1", "false": "2"}]}\n')
    code, _, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--material", str(bad), "--out", str(tmp_path)))
    assert code == 2 and f"{bad}:1:" in err and "must occur exactly once" in err and len(err.strip().splitlines()) == 1
    code, _, err = finish(judgeaudit("needle", "--judge", "python:tests.python_judges:error_finder", "--mode", "pointwise-reference", "--out", str(tmp_path)))
    assert code == 2 and "no reference answers" in err
