"""The needle test's analysis: accuracy over (length bucket x position bin), and a logistic regression.

A trial is one planted error (an instance: the clean response is the better one); each probe of it
(an order, pairwise; the combined scores, pointwise) is correct when the clean response wins, and a
tie counts as a miss. Per cell: the share of correct probes with a Wilson interval at the trials'
effective sample size (``clustered_rate``: the two orders of a trial are not two observations).

The regression (statsmodels, binomial GLM): logit P(correct) = b0 + b1 (position - 1/2) + b2
((position - 1/2)^2 - 1/12) + b3 log2(words / 1000). b1 is a start-versus-end slope, b2 the bend
(positive: errors at the edges are caught more often than in the middle), b3 the change per doubling
of length. The trials of one long-form item share its text, so the item is the unit of inference, and
items are few (about 12): item-clustered standard errors on a normal reference claimed effects of null
judges twice as often as they should. Each term is tested with the wild cluster score bootstrap with
the null imposed (Kline & Santos 2012; boottest's test after ML estimation, Roodman et al. 2019; for
logit with few clusters, MacKinnon, Nielsen & Webb, arXiv:2406.00650): a sign-flip test, by item, of
the items' efficient scores at the fit without the term, exact over every sign pattern up to 13 items.
Intervals are Wald, item-clustered (CR1), on a t reference with items - 1 degrees of freedom. With
fewer than ``MIN_ITEMS`` items nothing is tested.

The statement in words claims a term only when its p-value, Bonferroni-adjusted over the three, is
below alpha (Holm held a null judge with a true length effect at its nominal 4.8-5.8% for the position
claim; Bonferroni holds it near 3% with the same power on the planted judges: benchmarks/README.md), and then quotes the observed miss rates, with item-clustered intervals, of the position bins
(or length buckets) that missed most and least: what the cells show, never a model's prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from judgeaudit.engine.answers import EngineCounts
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats.cells import SCORED, cell_frame
from judgeaudit.stats.inference import EXACT_UP_TO, PERMUTATION_RESAMPLES, clustered_rate, sign_flip_p
from judgeaudit.stats.records import Interval, Rate

TERMS = ("intercept", "position", "edges", "log2_length")
MIN_ITEMS = 10
"""Fewer long-form items than this and no term is tested: too few clusters for any reference to hold."""


@dataclass(frozen=True)
class TrialPlace:
    """Where a trial's error sits: what the analysis needs besides the answers."""

    item: str
    bucket: int
    bin: int
    position: float
    words: int


@dataclass(frozen=True)
class NeedleCell:
    bucket: int
    bin: int
    trials: int
    accuracy: Rate
    unscored: int


@dataclass(frozen=True)
class Coefficient:
    estimate: float
    ci: Interval
    """Wald, item-clustered (CR1) standard error, t reference on items - 1 degrees of freedom."""
    p_value: float
    """Two-sided, from the wild cluster score bootstrap with the term's null imposed (Rademacher weights by item)."""
    p_adjusted: float
    """Bonferroni-adjusted over the three terms (position, edges, length): what the statement in words uses."""


@dataclass
class NeedleAnalysis:
    """Accuracy per cell, the regression (None where it cannot be fitted, with the reason), and the finding in words."""

    cells: list[NeedleCell]
    regression: dict[str, Coefficient] | None
    regression_note: str
    statement: str
    n_trials: int
    n_probes: int
    buckets: list[int] = field(default_factory=list)
    bins: int = 8
    n_items: int = 0
    inference: str = ""
    """How the regression's p-values and intervals were computed (empty: no regression)."""


def _probes(rows: list[tuple[Probe, Judgment]], places: dict[str, TrialPlace]) -> pd.DataFrame:
    frame = cell_frame(rows)
    frame = frame[frame["instance_id"].isin(places)]
    place = pd.DataFrame.from_dict({k: vars(v) for k, v in places.items()}, orient="index")
    frame = frame.join(place, on="instance_id")
    frame["correct"] = (frame["outcome"] == "better").astype(float)
    return frame


def _cells(frame: pd.DataFrame, buckets: list[int], bins: int) -> list[NeedleCell]:
    keys = ["bucket", "bin"]
    scored = frame[frame["state"] == SCORED].groupby([*keys, "instance_id"])["correct"].agg(["sum", "size"])
    per_trial = dict(iter(scored.groupby(level=keys)))
    trials = frame.groupby(keys)["instance_id"].nunique()
    unscored = (frame["state"] != SCORED).groupby([frame[k] for k in keys]).sum()
    cells = []
    for bucket in buckets:
        for k in range(bins):
            counts = per_trial.get((bucket, k), pd.DataFrame({"sum": [], "size": []}))
            accuracy = clustered_rate(counts["sum"], counts["size"])
            cells.append(NeedleCell(bucket, k, int(trials.get((bucket, k), 0)), accuracy, int(unscored.get((bucket, k), 0))))
    return cells


def _design(position: np.ndarray, words: np.ndarray) -> np.ndarray:
    centred = position - 0.5
    return np.column_stack([np.ones_like(position), centred, centred**2 - 1 / 12, np.log2(words / 1000)])


def _fit(scored: pd.DataFrame) -> tuple[object | None, str]:
    import statsmodels.api as sm  # imported here: only the needle analysis needs it

    y = scored["correct"].to_numpy()
    if y.min() == y.max():
        return None, f"every scored probe was {'caught' if y[0] == 1 else 'missed'}: nothing varies to regress on"
    per_trial = scored.groupby("instance_id")["correct"].mean()
    if per_trial.min() == per_trial.max():
        return None, (
            f"every trial scored the same ({100 * per_trial.iloc[0]:.0f}% of its probes caught, e.g. a judge whose verdict "
            "follows the order alone): nothing varies between trials to regress on"
        )
    items = scored["item"].nunique()
    if items < MIN_ITEMS:
        return None, f"too few items ({items}) to test position; at least {MIN_ITEMS} are needed"
    if scored["bucket"].nunique() < 2 or scored["bin"].nunique() < 3:
        return None, "it needs at least 2 length buckets and 3 position bins"
    X = _design(scored["position"].to_numpy(float), scored["words"].to_numpy(float))
    groups = pd.factorize(scored["item"])[0]
    try:
        model = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    except (ValueError, np.linalg.LinAlgError) as exc:  # perfect separation, a singular design
        return None, f"the regression cannot be fitted ({exc})"
    if not np.all(np.isfinite(model.bse)):
        return None, "the regression cannot be fitted (infinite standard errors: the outcome is separated)"
    return model, ""


def _score_bootstrap_p(X: np.ndarray, y: np.ndarray, groups: np.ndarray, column: int) -> float:
    """Two-sided p-value that ``column``'s coefficient is zero: the wild cluster score bootstrap with the
    null imposed (Kline & Santos 2012), Rademacher weights by cluster.

    The model is refitted without the column; each observation's efficient score for it is the column's
    residual after a weighted (mu (1 - mu)) projection on the other columns, times y - mu; the scores are
    summed by cluster, and flipping the sign of whole clusters gives the null distribution of their total
    (``sign_flip_p``: every sign pattern up to 13 clusters). With Rademacher weights the studentized and
    the plain score statistic order the patterns alike, so the plain total is enough.
    """
    import statsmodels.api as sm

    rest = np.delete(X, column, axis=1)
    mu = sm.GLM(y, rest, family=sm.families.Binomial()).fit().fittedvalues
    root = np.sqrt(mu * (1 - mu))
    slope = np.linalg.lstsq(rest * root[:, None], X[:, column] * root, rcond=None)[0]
    scores = np.bincount(groups, weights=(X[:, column] - rest @ slope) * (y - mu))
    return float(sign_flip_p(scores, "two-sided", seed=0))  # type: ignore[arg-type]


def _missed(scored: pd.DataFrame, by: str) -> dict[int, Rate]:
    """The observed share of probes missed per position bin or length bucket (``by``), clustered by item."""
    rates = {}
    for key, group in scored.groupby(by):
        per_item = (1 - group["correct"]).groupby(group["item"]).agg(["sum", "size"])
        rates[int(str(key))] = clustered_rate(per_item["sum"], per_item["size"])
    return rates


def _quote(rate: Rate) -> str:
    low, high = rate.ci
    return f"{100 * rate.rate:.0f}% (95% CI {100 * low:.0f}–{100 * high:.0f}%)"  # type: ignore[operator]


def _extremes(rates: dict[int, Rate]) -> tuple[int, int]:
    """The keys that missed most and least."""
    return max(rates, key=lambda k: rates[k].rate), min(rates, key=lambda k: rates[k].rate)  # type: ignore[arg-type, return-value]


def _statement(coefficients: dict[str, Coefficient], scored: pd.DataFrame, bins: int, items: int, alpha: float) -> str:
    parts = []
    position_p = min(coefficients["position"].p_adjusted, coefficients["edges"].p_adjusted)
    if position_p < alpha:
        rates = _missed(scored, "bin")
        worst, best = _extremes(rates)

        def span(k: int) -> str:
            return f"{k / bins:.2f}–{(k + 1) / bins:.2f}"

        parts.append(
            f"where the error sits matters (adjusted p = {position_p:.2g}, {items} items): errors {span(worst)} of the way into a "
            f"response were missed {_quote(rates[worst])}, errors {span(best)} of the way in {_quote(rates[best])}"
        )
    if coefficients["log2_length"].p_adjusted < alpha:
        rates = _missed(scored, "bucket")
        longest, shortest = max(rates), min(rates)
        parts.append(
            f"the length matters (adjusted p = {coefficients['log2_length'].p_adjusted:.2g}): errors in responses of about {longest:,} words "
            f"were missed {_quote(rates[longest])}, in responses of about {shortest:,} words {_quote(rates[shortest])}"
        )
    if not parts:
        return "No effect of where the error sits or of the response's length was detected."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def analyze_needle(rows: list[tuple[Probe, Judgment]], places: dict[str, TrialPlace], bins: int = 8, alpha: float = 0.05) -> NeedleAnalysis:
    """Cells, regression and statement for the answered needle probes (``places`` by instance id)."""
    frame = _probes(rows, places)
    buckets = sorted({p.bucket for p in places.values()})
    cells = _cells(frame, buckets, bins)
    scored = frame[frame["state"] == SCORED]
    items = int(scored["item"].nunique())
    model, note = _fit(scored) if len(scored) else (None, "no scored probes")
    coefficients, inference = None, ""
    if model is not None:
        from statsmodels.stats.multitest import multipletests

        X, y = model.model.exog, model.model.endog  # type: ignore[attr-defined]
        groups = pd.factorize(scored["item"])[0]
        p_values = [_score_bootstrap_p(X, y, groups, i) for i in range(len(TERMS))]
        adjusted = [p_values[0], *multipletests(p_values[1:], method="bonferroni")[1]]  # the intercept is never claimed
        low, high = np.asarray(model.conf_int()).T  # type: ignore[attr-defined]
        coefficients = {
            term: Coefficient(float(model.params[i]), (float(low[i]), float(high[i])), p_values[i], float(adjusted[i]))  # type: ignore[attr-defined]
            for i, term in enumerate(TERMS)
        }
        patterns = f"all {2**items:,} sign patterns" if items <= EXACT_UP_TO else f"{PERMUTATION_RESAMPLES:,} random sign patterns"
        inference = (
            f"p: wild cluster score bootstrap with the null imposed, Rademacher weights over {items} items ({patterns}); "
            f"intervals: Wald, item-clustered (CR1), t on {items - 1} df"
        )
        statement = _statement(coefficients, scored, bins, items, alpha)
    elif note.startswith("every scored probe was caught"):
        statement = "The judge caught every planted error: no position or length effect."
    else:
        statement = f"No regression: {note}."
    return NeedleAnalysis(cells, coefficients, note, statement, int(frame["instance_id"].nunique()), len(frame), buckets, bins, items, inference)


@dataclass
class NeedleResult:
    """A needle run: its folder, the analysis, the design asked, the engine's counts, judge and mode."""

    run_dir: Path
    analysis: NeedleAnalysis
    design: dict[str, Any]
    counts: EngineCounts
    judge: str
    mode: str
