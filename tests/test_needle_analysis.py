"""The needle analysis on mock judges with a known pattern: the cells and the regression must show it."""

from __future__ import annotations

import pytest

from judgeaudit.biases.probes import shared_probes
from judgeaudit.needle.placement import balanced_design, candidates, count_words
from judgeaudit.schema import CONTROL, Judgment, Probe, stable_hash
from judgeaudit.stats.needle import TrialPlace, analyze_needle
from tests.test_needle_placement import _item

BUCKETS = (300, 800, 1500, 3000)


@pytest.fixture(scope="module")
def trials():
    items = [_item(name) for name in ("a", "bb", "ccc", "dddd", "eeeee")]
    chosen, short = balanced_design(candidates(items, BUCKETS, 8, count_words), per_cell=10, seed=0)
    assert not short
    return chosen


def _rows(trials, missed) -> tuple[list[tuple[Probe, Judgment]], dict[str, TrialPlace]]:
    places, rows = {}, []
    for trial in trials:
        instance = trial.instance()
        places[instance.id] = TrialPlace(trial.item_id, trial.bucket, trial.bin, trial.position, trial.words)
        for probe in shared_probes(instance):
            if probe.condition != CONTROL:
                continue
            wrong = missed(trial, probe)
            verdict = probe.correct if not wrong else ("B" if probe.correct == "A" else "A")
            rows.append((probe, Judgment(verdict=verdict)))
    return rows, places


def _noise(trial, probe, rate: float) -> bool:
    return int(stable_hash([trial.item_id, trial.modification, trial.bucket, probe.order], length=8), 16) / 16**8 < rate


def test_a_judge_that_misses_errors_in_the_middle_of_long_responses_is_found_out(trials) -> None:
    def missed(trial, probe) -> bool:
        return (trial.words >= 1500 and 1 / 3 <= trial.position < 2 / 3) or _noise(trial, probe, 0.1)

    analysis = analyze_needle(*_rows(trials, missed))
    accuracy = {(c.bucket, c.bin): c.accuracy.rate for c in analysis.cells}
    for bucket in (1500, 3000):
        assert accuracy[bucket, 3] <= 0.05 and accuracy[bucket, 4] <= 0.05  # positions 0.375-0.625: all missed
        assert min(accuracy[bucket, k] for k in (0, 1, 6, 7)) >= 0.7  # the edges: only the noise
    for bucket in (300, 800):
        assert all(accuracy[bucket, k] >= 0.7 for k in range(8))  # short responses: only the noise
    terms = analysis.regression
    assert terms["edges"].estimate > 0 and terms["edges"].p_value < 0.01  # edges caught more often than the middle
    assert terms["log2_length"].estimate < 0 and terms["log2_length"].p_value < 0.05
    assert abs(terms["position"].estimate) < terms["edges"].estimate  # symmetric: no start-versus-end slope to speak of
    assert "in the middle of responses of about" in analysis.statement and "times as often as errors at the start" in analysis.statement
    assert analysis.n_trials == len(trials) and analysis.n_probes == 2 * len(trials)


def test_a_judge_that_catches_every_error_shows_no_effect(trials) -> None:
    analysis = analyze_needle(*_rows(trials, lambda trial, probe: False))
    assert analysis.regression is None and all(c.accuracy.rate == 1.0 for c in analysis.cells)
    assert analysis.statement == "The judge caught every planted error: no position or length effect."


def test_a_judge_with_only_noise_shows_no_effect(trials) -> None:
    analysis = analyze_needle(*_rows(trials, lambda trial, probe: _noise(trial, probe, 0.2)))
    assert analysis.regression is not None
    assert all(analysis.regression[t].p_value >= 0.01 for t in ("position", "edges", "log2_length"))
    assert analysis.statement == "No effect of where the error sits or of the response's length was detected."


def test_unscored_probes_are_counted_not_read_as_misses(trials) -> None:
    rows, places = _rows(trials, lambda trial, probe: False)
    rows = [(p, Judgment(verdict="unparseable") if i % 10 == 0 else j) for i, (p, j) in enumerate(rows)]
    analysis = analyze_needle(rows, places)
    assert sum(c.unscored for c in analysis.cells) == len(rows[::10]) and all(c.accuracy.rate == 1.0 for c in analysis.cells)


def test_a_judge_that_always_answers_a_is_not_regressed(trials) -> None:
    rows, places = _rows(trials, lambda trial, probe: False)
    rows = [(p, Judgment(verdict="A")) for p, _ in rows]  # right in one order of every trial, whatever the error
    analysis = analyze_needle(rows, places)
    assert analysis.regression is None and "follows the order alone" in analysis.regression_note
    assert all(c.accuracy.rate == 0.5 for c in analysis.cells) and analysis.statement.startswith("No regression")
