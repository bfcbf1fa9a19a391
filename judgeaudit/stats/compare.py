"""Two runs on the same probes: which judge (or prompt, or version) is less biased, bias by bias.

For each bias both runs measured, on the instances both assessed, the *bias size* of each run is its
mean effect read the way the bias file names: the pull toward the cue (toward), the penalty (away),
or the distance from zero either way (either; position). The difference A - B is tested over
instances as pairs by swapping the two runs' values within instances, which for these sizes is a
sign-flip test of the per-instance differences d_i = s (a_i - b_i), s = +1 (toward), -1 (away), or the
sign of the two runs' summed effects (either: a choice no swap changes, so the test stays exact).
The interval inverts that same test, so it excludes 0 exactly when the test rejects at 5%;
Benjamini-Hochberg across biases. A negative difference means A is less biased.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from judgeaudit.stats.inference import benjamini_hochberg, mean_ci, sign_flip_p
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


def _size(expected: str, values: np.ndarray) -> float:
    mean = float(np.mean(values))
    return {"toward": mean, "away": -mean}.get(expected, abs(mean))


def compare_bias(
    name: str, expected: str, effects_a: dict[str, float], effects_b: dict[str, float], seed: int, effect_range: tuple[float, float] = (-1.0, 1.0)
) -> BiasComparison | None:
    """The paired comparison of one bias (None without common instances)."""
    common = sorted(set(effects_a) & set(effects_b))
    if len(common) < 2:
        return None
    a = np.array([effects_a[i] for i in common])
    b = np.array([effects_b[i] for i in common])
    orientation = {"toward": 1.0, "away": -1.0}.get(expected, 1.0 if (a + b).sum() >= 0 else -1.0)
    d = orientation * (a - b)
    width = effect_range[1] - effect_range[0]
    difference = mean_ci(d, (-width, width), seed)
    p = sign_flip_p(d, "two-sided", seed)
    assert p is not None  # two instances or more
    return BiasComparison(name, expected, len(common), _size(expected, a), _size(expected, b), float(d.mean()), difference.ci, p)


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
