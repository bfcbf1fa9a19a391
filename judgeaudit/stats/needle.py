"""The needle test's analysis: accuracy over (length bucket x position bin), and a logistic regression.

A trial is one planted error (an instance: the clean response is the better one); each probe of it
(an order, pairwise; the combined scores, pointwise) is correct when the clean response wins, and a
tie counts as a miss. Per cell: the share of correct probes with a Wilson interval at the trials'
effective sample size (``clustered_rate``: the two orders of a trial are not two observations).

The regression (statsmodels, binomial GLM with standard errors clustered by long-form item, since the
trials of one item share its text): logit P(correct) = b0 + b1 (position - 1/2) + b2 ((position -
1/2)^2 - 1/12) + b3 log2(words / 1000). b1 is a start-versus-end slope, b2 the bend (positive: errors
at the edges are caught more often than in the middle), b3 the change per doubling of length. The
statement in words claims a term only when its p-value, Holm-adjusted over the three, is below alpha.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats.cells import SCORED, cell_frame
from judgeaudit.stats.inference import clustered_rate
from judgeaudit.stats.records import Interval, Rate

TERMS = ("intercept", "position", "edges", "log2_length")
START, MIDDLE = 1 / 16, 1 / 2


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
    p_value: float
    p_holm: float
    """Holm-adjusted over the three terms (position, edges, length): what the statement in words uses."""


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


def _probes(rows: list[tuple[Probe, Judgment]], places: dict[str, TrialPlace]) -> pd.DataFrame:
    frame = cell_frame(rows)
    frame = frame[frame["instance_id"].isin(places)]
    place = pd.DataFrame.from_dict({k: vars(v) for k, v in places.items()}, orient="index")
    frame = frame.join(place, on="instance_id")
    frame["correct"] = (frame["outcome"] == "better").astype(float)
    return frame


def _cells(frame: pd.DataFrame, buckets: list[int], bins: int) -> list[NeedleCell]:
    cells = []
    for bucket in buckets:
        for k in range(bins):
            members = frame[(frame["bucket"] == bucket) & (frame["bin"] == k)]
            scored = members[members["state"] == SCORED].groupby("instance_id")["correct"].agg(["sum", "size"])
            cells.append(NeedleCell(bucket, k, int(members["instance_id"].nunique()), clustered_rate(scored["sum"], scored["size"]),
                                    int((members["state"] != SCORED).sum())))
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
    if scored["item"].nunique() < 2 or scored["bucket"].nunique() < 2 or scored["bin"].nunique() < 3:
        return None, "it needs at least 2 items, 2 length buckets and 3 position bins"
    X = _design(scored["position"].to_numpy(float), scored["words"].to_numpy(float))
    groups = pd.factorize(scored["item"])[0]
    try:
        model = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": groups})
    except (ValueError, np.linalg.LinAlgError) as exc:  # perfect separation, a singular design
        return None, f"the regression cannot be fitted ({exc})"
    if not np.all(np.isfinite(model.bse)):
        return None, "the regression cannot be fitted (infinite standard errors: the outcome is separated)"
    return model, ""


def _statement(model: object, coefficients: dict[str, Coefficient], words: pd.Series, alpha: float) -> str:
    longest = float(words.max())
    shortest = float(words.min())

    def missed(position: float, length: float) -> float:
        return float(1 - model.predict(_design(np.array([position]), np.array([length])))[0])  # type: ignore[attr-defined]

    parts = []
    if coefficients["edges"].p_holm < alpha or coefficients["position"].p_holm < alpha:
        middle, start = missed(MIDDLE, longest), missed(START, longest)
        if middle > start:
            parts.append(
                f"errors in the middle of responses of about {longest:,.0f} words are missed {middle / max(start, 1e-9):.1f} times as "
                f"often as errors at the start (predicted {100 * middle:.0f}% vs {100 * start:.0f}%)"
            )
        else:
            end = missed(1 - START, longest)
            parts.append(
                f"where the error sits matters: predicted misses {100 * start:.0f}% at the start, {100 * middle:.0f}% in the middle "
                f"and {100 * end:.0f}% at the end of responses of about {longest:,.0f} words"
            )
    if coefficients["log2_length"].p_holm < alpha:
        long_miss, short_miss = missed(MIDDLE, longest), missed(MIDDLE, shortest)
        parts.append(
            f"an error in the middle is missed {100 * long_miss:.0f}% of the time in responses of about {longest:,.0f} words "
            f"against {100 * short_miss:.0f}% in responses of about {shortest:,.0f} words"
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
    model, note = _fit(scored) if len(scored) else (None, "no scored probes")
    coefficients = None
    if model is not None:
        from statsmodels.stats.multitest import multipletests

        low, high = np.asarray(model.conf_int()).T  # type: ignore[attr-defined]
        holm = dict(zip(TERMS[1:], multipletests(np.asarray(model.pvalues)[1:], method="holm")[1], strict=True))  # type: ignore[attr-defined]
        coefficients = {
            term: Coefficient(float(model.params[i]), (float(low[i]), float(high[i])), float(model.pvalues[i]), float(holm.get(term, model.pvalues[i])))  # type: ignore[attr-defined]
            for i, term in enumerate(TERMS)
        }
        statement = _statement(model, coefficients, scored["words"], alpha)
    elif note.startswith("every scored probe was caught"):
        statement = "The judge caught every planted error: no position or length effect."
    else:
        statement = f"No regression: {note}."
    return NeedleAnalysis(cells, coefficients, note, statement, int(frame["instance_id"].nunique()), len(frame), buckets, bins)

