"""Two runs on the same probes: which judge (or prompt, or version) is less biased, bias by bias.

For each bias both runs measured, on the instances both assessed, the *bias size* of each run is its
mean effect read the way the bias file names: the pull toward the cue (toward), the penalty (away),
or the distance from zero either way (either; position). The difference A − B is tested over
instances as pairs: a paired bootstrap interval, and a permutation test that swaps the two runs'
values within instances (scipy), with Benjamini-Hochberg across biases. A negative difference means
A is less biased.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from judgeaudit.stats.inference import BOOTSTRAP_RESAMPLES, CONFIDENCE, PERMUTATION_RESAMPLES, benjamini_hochberg
from judgeaudit.stats.records import Interval


@dataclass
class BiasComparison:
    """One bias in both runs, on their common instances."""

    name: str
    expected: str
    n_instances: int
    size_a: float
    size_b: float
    difference: float
    difference_ci: Interval
    p_value: float
    q_value: float | None = None
    verdict: str = ""


def _size(expected: str):  # noqa: ANN202 - a vectorised statistic for scipy
    def size(values: np.ndarray, axis: int = -1) -> np.ndarray:
        mean = np.mean(values, axis=axis)
        return {"toward": mean, "away": -mean}.get(expected, np.abs(mean))

    return size


def compare_bias(name: str, expected: str, effects_a: dict[str, float], effects_b: dict[str, float], seed: int) -> BiasComparison | None:
    """The paired comparison of one bias (None without common instances)."""
    common = sorted(set(effects_a) & set(effects_b))
    if len(common) < 2:
        return None
    a = np.array([effects_a[i] for i in common])
    b = np.array([effects_b[i] for i in common])
    size = _size(expected)

    def difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return size(x, axis) - size(y, axis)

    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.array_equal(a, b):
            low = high = 0.0
        else:
            interval = stats.bootstrap(
                (a, b), difference, paired=True, vectorized=True, n_resamples=BOOTSTRAP_RESAMPLES,
                confidence_level=CONFIDENCE, method="percentile", random_state=rng,
            ).confidence_interval
            low, high = float(interval.low), float(interval.high)
        test = stats.permutation_test(
            (a, b), difference, permutation_type="samples", vectorized=True,
            n_resamples=PERMUTATION_RESAMPLES, alternative="two-sided", random_state=rng,
        )
    return BiasComparison(
        name, expected, len(common), float(size(a)), float(size(b)), float(difference(a, b)), (low, high), float(test.pvalue),
    )


def finalize_comparisons(comparisons: list[BiasComparison], alpha: float, label_a: str, label_b: str) -> None:
    """q-values across biases, and each comparison's verdict in words."""
    for comparison, q in zip(comparisons, benjamini_hochberg([c.p_value for c in comparisons]), strict=True):
        comparison.q_value = q
        low, high = comparison.difference_ci
        if q < alpha and comparison.difference < 0:
            comparison.verdict = f"{label_a} is less biased ({comparison.size_a:+.3f} vs {comparison.size_b:+.3f})"
        elif q < alpha:
            comparison.verdict = f"{label_b} is less biased ({comparison.size_b:+.3f} vs {comparison.size_a:+.3f})"
        else:
            comparison.verdict = f"no difference detected (A − B {comparison.difference:+.3f}, 95% CI {low:+.3f} to {high:+.3f})"
