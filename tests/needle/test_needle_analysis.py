"""The needle analysis on mock judges with a known pattern: the cells and the regression must show it,
and judges with no position effect must not be said to have one (more than alpha of the time).

The simulated judges below (a miss probability per trial) are also what ``benchmarks/needle_null.py``
runs in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from scipy import special, stats

from judgeaudit.biases.probes import shared_probes
from judgeaudit.needle.placement import NeedleTrial, balanced_design, candidates, count_words
from judgeaudit.schema import CONTROL, Judgment, Probe, stable_hash
from judgeaudit.stats.needle import NeedleAnalysis, TrialPlace, analyze_needle
from tests.needle.test_needle_placement import _item

BUCKETS = (300, 800, 1500, 3000)
ITEMS = 12
MissRate = Callable[[list[NeedleTrial], np.random.Generator], np.ndarray]
"""A simulated judge: each trial's chance of a miss in each order (drawn afresh per audit)."""


@pytest.fixture(scope="module")
def trials():
    items = [replace(item, modifications=item.modifications[::3]) for item in (_item(chr(97 + k) * (k + 1)) for k in range(ITEMS))]
    chosen, short = balanced_design(candidates(items, BUCKETS, 8, count_words), per_cell=10, seed=0)
    assert not short
    return chosen


@cache
def _controls(trial: NeedleTrial) -> tuple[Probe, ...]:
    return tuple(p for p in shared_probes(trial.instance()) if p.condition == CONTROL)


def _rows(trials, missed) -> tuple[list[tuple[Probe, Judgment]], dict[str, TrialPlace]]:
    places, rows = {}, []
    for trial in trials:
        places[trial.id] = TrialPlace(trial.item_id, trial.bucket, trial.bin, trial.position, trial.words)
        for probe in _controls(trial):
            wrong = missed(trial, probe)
            verdict = probe.correct if not wrong else ("B" if probe.correct == "A" else "A")
            rows.append((probe, Judgment(verdict=verdict)))
    return rows, places


def _by_item(trials: list[NeedleTrial], rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """One draw per item (``draw(n_items)``), spread to its trials."""
    names = sorted({t.item_id for t in trials})
    values = dict(zip(names, draw(len(names)), strict=True))
    return np.array([values[t.item_id] for t in trials])


def constant(trials: list[NeedleTrial], rng: np.random.Generator) -> np.ndarray:
    """Null: every error caught with probability 0.7."""
    return np.full(len(trials), 0.3)


def item_difficulty(trials: list[NeedleTrial], rng: np.random.Generator) -> np.ndarray:
    """Null: each item has its own catch rate, Beta(7, 3) (mean 0.7, sd 0.14), whatever the position."""
    return 1 - _by_item(trials, rng, lambda n: rng.beta(7, 3, n))


def item_and_trial_difficulty(trials: list[NeedleTrial], rng: np.random.Generator) -> np.ndarray:
    """Null: log-odds of a catch logit(0.7) + an item's normal draw (sd 0.8) + a trial's (sd 1), shared by its two orders."""
    logit = special.logit(0.7) + _by_item(trials, rng, lambda n: rng.normal(0, 0.8, n)) + rng.normal(0, 1, len(trials))
    return 1 - special.expit(logit)


def length_only(trials: list[NeedleTrial], rng: np.random.Generator) -> np.ndarray:
    """Null for position: item difficulty as above, and 0.6 log-odds fewer catches per doubling of length
    (about 87% caught at 300 words, 48% at 3,000)."""
    words = np.array([t.words for t in trials], dtype=float)
    return 1 - special.expit(special.logit(1 - item_difficulty(trials, rng)) - 0.6 * np.log2(words / 1000))


def _middle_of_long(trial: NeedleTrial) -> bool:
    return trial.words >= 1500 and 1 / 3 <= trial.position < 2 / 3


def middle_blind(trials: list[NeedleTrial], rng: np.random.Generator) -> np.ndarray:
    """Misses every error in the middle third of responses of 1,500+ words; elsewhere 10% at random."""
    return np.array([1.0 if _middle_of_long(t) else 0.1 for t in trials])


def guesses_in_the_middle(trials: list[NeedleTrial], rng: np.random.Generator) -> np.ndarray:
    """Guesses at random in the middle third of responses of 1,500+ words; right everywhere else."""
    return np.array([0.5 if _middle_of_long(t) else 0.0 for t in trials])


NULL_JUDGES: dict[str, MissRate] = {
    "constant catch rate 0.7": constant,
    "item difficulty, Beta(7, 3)": item_difficulty,
    "item and trial difficulty": item_and_trial_difficulty,
    "length only (with item difficulty)": length_only,
}


def simulated_audit(trials: list[NeedleTrial], judge: MissRate, rng: np.random.Generator) -> NeedleAnalysis:
    """The real analysis of one audit of ``trials`` by a simulated judge (each order answered independently)."""
    misses = dict(zip((t.id for t in trials), judge(trials, rng), strict=True))
    draws = iter(rng.random(2 * len(trials)))
    return analyze_needle(*_rows(trials, lambda trial, probe: next(draws) < misses[trial.id]))


def claims_position(analysis: NeedleAnalysis) -> bool:
    return analysis.statement.startswith("Where the error sits matters")


QUOTE = re.compile(r"errors (\d\.\d\d)–(\d\.\d\d) of the way (?:into a response were missed|in) (\d+)% \(95% CI (\d+)–(\d+)%\)")


def quoted_beyond_cells(analysis: NeedleAnalysis) -> list[str]:
    """The position bins whose quoted miss rate lies outside what that bin's cells show (after rounding)."""
    misses: dict[int, list[float]] = {}
    for c in analysis.cells:
        if c.accuracy.rate is not None:
            misses.setdefault(c.bin, []).append(100 * (1 - c.accuracy.rate))
    wrong = []
    for start, _, rate, low, high in QUOTE.findall(analysis.statement):
        shown = misses[round(float(start) * analysis.bins)]
        if not (min(shown) - 0.5 <= int(rate) <= max(shown) + 0.5 and int(low) <= int(rate) <= int(high)):
            wrong.append(start)
    return wrong


def _noise(trial, probe, rate: float) -> bool:
    return int(stable_hash([trial.item_id, trial.modification, trial.bucket, probe.order], length=8), 16) / 16**8 < rate


def test_a_judge_that_misses_errors_in_the_middle_of_long_responses_is_found_out(trials) -> None:
    def missed(trial, probe) -> bool:
        return _middle_of_long(trial) or _noise(trial, probe, 0.1)

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
    quotes = QUOTE.findall(analysis.statement)
    assert claims_position(analysis) and len(quotes) == 2 and quotes[0][0] in ("0.38", "0.50")  # the worst bin: the middle
    assert not quoted_beyond_cells(analysis) and int(quotes[0][2]) > 40 and int(quotes[1][2]) < 20
    assert "the length matters" in analysis.statement and "times" not in analysis.statement
    assert analysis.n_trials == len(trials) and analysis.n_probes == 2 * len(trials) and analysis.n_items == ITEMS


def test_the_reference_is_small_cluster_correct(trials) -> None:
    import statsmodels.api as sm

    rows, places = _rows(trials, lambda trial, probe: _middle_of_long(trial) or _noise(trial, probe, 0.1))
    analysis = analyze_needle(rows, places)
    # every item's score for the bend has the same sign: the smallest two-sided p over all 2^12 sign patterns
    assert analysis.regression["edges"].p_value == 2 / 2**ITEMS and analysis.regression["edges"].p_adjusted == 3 * 2 / 2**ITEMS
    assert all((c.p_value * 2**ITEMS) % 1 == 0 for c in analysis.regression.values())  # an exact enumeration
    assert "over 12 items (all 4,096 sign patterns)" in analysis.inference and "t on 11 df" in analysis.inference
    order = [p.instance_id for p, _ in rows]
    position = np.array([places[i].position for i in order]) - 0.5
    X = np.column_stack([np.ones_like(position), position, position**2 - 1 / 12, np.log2([places[i].words / 1000 for i in order])])
    y = np.array([j.verdict == p.correct for p, j in rows], dtype=float)
    se = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": [places[i].item for i in order]}).bse
    for k, c in enumerate(analysis.regression.values()):  # Wald intervals on t(11), not the normal's 1.96
        assert (c.ci[1] - c.ci[0]) / 2 == pytest.approx(stats.t.ppf(0.975, ITEMS - 1) * se[k])


def test_the_statement_quotes_observed_rates_and_no_ratio_to_an_empty_cell(trials) -> None:
    analysis = analyze_needle(*_rows(trials, lambda trial, probe: _middle_of_long(trial) and _noise(trial, probe, 0.5)))
    assert all(c.accuracy.rate == 1.0 for c in analysis.cells if c.bin in (0, 7))  # no misses at the edges
    assert claims_position(analysis), analysis.statement
    quotes = QUOTE.findall(analysis.statement)
    assert len(quotes) == 2 and not quoted_beyond_cells(analysis)
    assert int(quotes[0][2]) <= 50 and int(quotes[1][2]) == 0  # a random guesser misses at most half, the best bin none
    assert "times" not in analysis.statement and "predicted" not in analysis.statement


def test_too_few_items_are_not_tested(trials) -> None:
    few = [t for t in trials if t.item_id in {"a", "bb", "ccc", "dddd", "eeeee"}]
    analysis = analyze_needle(*_rows(few, lambda trial, probe: _middle_of_long(trial) or _noise(trial, probe, 0.1)))
    assert analysis.regression is None and analysis.n_items == 5
    assert analysis.statement == "No regression: too few items (5) to test position; at least 10 are needed."


def test_judges_with_no_position_effect_are_rarely_said_to_have_one(trials) -> None:
    """The fast version of benchmarks/needle_null.py: 30 audits of each of two null judges."""
    rng = np.random.default_rng(7)
    claims = [claims_position(simulated_audit(trials, judge, rng)) for judge in (item_difficulty, length_only) for _ in range(30)]
    assert sum(claims) <= 4  # 6.7% of 60, loose; in full (benchmarks/README.md): 2.6-3.4% of 500, 4.8% of 2,000 with length


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
