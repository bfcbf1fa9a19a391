"""The needle test's material, placement arithmetic and balanced design."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from judgeaudit.errors import JudgeAuditError
from judgeaudit.needle.material import LongformItem, Modification, load_longform
from judgeaudit.needle.placement import (
    MIN_CHUNK_WORDS,
    balanced_design,
    candidates,
    chunk_spans,
    count_words,
    error_position,
    position_bin,
    truncate,
)


def _sentence(n: int, words: int = 10) -> str:
    return " ".join([f"S{n}w{i}" for i in range(1, words)] + [f"end{n}."])


def _paragraphs(count: int, sentences: int = 6, start: int = 0) -> str:
    return "\n\n".join(" ".join(_sentence(start + p * sentences + s) for s in range(sentences)) for p in range(count))


def test_truncation_keeps_whole_paragraphs_up_to_the_first_that_reaches_the_target() -> None:
    text = _paragraphs(10)  # 60 words per paragraph
    assert count_words(truncate(text, 300)) == 300 and truncate(text, 300).count("\n\n") == 4
    assert count_words(truncate(text, 301)) == 360
    assert truncate(text, 601) is None


def test_chunks_hold_at_least_30_words_cut_at_sentence_ends_and_cover_the_text() -> None:
    text = _paragraphs(5)
    spans = chunk_spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(count_words(text[s:e]) >= MIN_CHUNK_WORDS for s, e in spans)
    assert all(text[s:e].rstrip().endswith(".") for s, e in spans)  # every chunk ends at a sentence end
    short_tail = _paragraphs(1) + " " + " ".join(["tail"] * 5) + "."
    assert count_words(short_tail[chunk_spans(short_tail)[-1][0]:]) >= MIN_CHUNK_WORDS  # a short remainder joins the last chunk


@pytest.mark.parametrize("chunk", range(10))
def test_the_position_is_tokens_before_the_chunk_plus_half_of_it_over_all(chunk: int) -> None:
    text = _paragraphs(5)  # 300 words: ten chunks of three 10-word sentences
    assert len(chunk_spans(text)) == 10
    start, end = chunk_spans(text)[chunk]
    assert error_position(text, start + 3) == pytest.approx((30 * chunk + 15) / 300)
    characters = error_position(text, start + 3, count_tokens=len)
    assert characters == pytest.approx((start + (end - start) / 2) / len(text))  # another tokenizer, its own counts
    assert position_bin(0.0) == 0 and position_bin(0.999) == 7 and position_bin(1.0) == 7 and position_bin(0.5) == 4


def _item(name: str, paragraphs: int = 50) -> LongformItem:
    text = _paragraphs(paragraphs, start=1000 * len(name))
    modifications = tuple(
        Modification(anchor=_sentence(1000 * len(name) + n), edit="insert_after", true=f"True fact {n}.", false=f"False fact {n}.", type="factual")
        for n in range(paragraphs * 6)
    )
    return LongformItem(name, "explanation", f"Explain {name}.", text, modifications)


def test_the_design_is_balanced_over_the_grid_spread_over_items_and_seeded() -> None:
    items = [_item(name) for name in ("a", "bb", "ccc")]  # 3,000 words each
    grid = candidates(items, (300, 800, 1500, 3000), 8, count_words)
    chosen, short = balanced_design(grid, per_cell=6, seed=0)
    assert short == {} and len(chosen) == 4 * 8 * 6
    cells = Counter((t.bucket, t.bin) for t in chosen)
    assert set(cells.values()) == {6}
    for cell in cells:
        per_item = Counter(t.item_id for t in chosen if (t.bucket, t.bin) == cell)
        assert max(per_item.values()) - min(per_item.values()) <= 1 and len(per_item) == 3
    assert [t.instance().id for t in balanced_design(grid, 6, seed=0)[0]] == [t.instance().id for t in chosen]
    assert [t.instance().id for t in balanced_design(grid, 6, seed=1)[0]] != [t.instance().id for t in chosen]
    for trial in chosen:
        assert trial.clean != trial.erroneous and trial.clean.replace("True fact", "False fact") == trial.erroneous
        assert abs(trial.words - trial.bucket) < 60 and trial.bin == position_bin(trial.position)
    few, short = balanced_design(grid, per_cell=1000, seed=0)
    assert short and all(n > 0 for n in short.values())


def test_bad_material_gets_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    good = {"id": "x", "prompt": "p", "response": "One. Two. One.", "modifications": [{"anchor": "Two.", "edit": "replace", "true": "2.", "false": "3.", "type": "numerical"}]}
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(good) + "\n")
    assert load_longform([path])[0].modifications[0].apply("One. Two. One.", "false") == "One. 3. One."
    for broken, words in [
        ({"anchor": "One."}, "must occur exactly once"),
        ({"edit": "swap"}, "edit: must be one of"),
        ({"type": "typo"}, "type: must be one of"),
        ({"false": "2."}, "identical"),
    ]:
        record = json.loads(json.dumps(good))
        record["modifications"][0].update(broken)
        path.write_text("\n" + json.dumps(record) + "\n")
        with pytest.raises(JudgeAuditError) as error:
            load_longform([path])
        assert str(error.value).startswith(f"{path}:2:") and words in str(error.value)
