"""Statistics against hand-computed values, and detection of planted biases on the sample probes."""

import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import benjamini_hochberg, mcnemar_exact, mean_interval, summarize_biases, wilson_interval


def test_wilson_interval_hand_computed() -> None:
    # 0 of 8: the upper bound is z^2 / (n + z^2) = 3.8415 / 11.8415.
    assert wilson_interval(0, 8) == pytest.approx((0.0, 0.32440), abs=1e-4)
    # 8 of 10: the textbook Wilson interval.
    assert wilson_interval(8, 10) == pytest.approx((0.49016, 0.94331), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_hand_computed() -> None:
    assert mcnemar_exact(4, 0) == pytest.approx(2 * 0.5**4)
    # 2 * P(X <= 2), X ~ Bin(12, 1/2) = 2 * (1 + 12 + 66) / 4096
    assert mcnemar_exact(10, 2) == pytest.approx(158 / 4096)
    assert mcnemar_exact(3, 3) == pytest.approx(1.0)
    assert mcnemar_exact(0, 0) == 1.0


def test_benjamini_hochberg_hand_computed() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def test_mean_interval() -> None:
    mean, low, high, p = mean_interval([0.1, 0.2, 0.3])
    assert mean == pytest.approx(0.2)
    # t = 0.2 / (0.1 / sqrt(3)) = 3.4641 with 2 degrees of freedom: two-sided p = 0.07418
    assert p == pytest.approx(0.07418, abs=1e-4)
    # t(0.975, 2) = 4.3027, s = 0.1, se = 0.1 / sqrt(3)
    assert (low, high) == pytest.approx((0.2 - 4.3027 * 0.057735, 0.2 + 4.3027 * 0.057735), abs=1e-4)


def _simulate(judge) -> dict:
    registry = load_registry()
    specs = list(registry.values())
    probes = build_probes(load_instances(sample_path()), specs, seed=0)
    rows = [(p, judge(p)) for p in probes]
    return summarize_biases(specs, rows)


def _honest(probe: Probe) -> Judgment:
    return Judgment(verdict=probe.correct, p_a=0.9 if probe.correct == "A" else 0.1)


def test_honest_judge_flags_nothing() -> None:
    results = _simulate(_honest)
    assert not any(r["flagged"] for r in results.values())
    assert all(r["flip_rate"] == 0.0 and r["accuracy_control"] == 1.0 for r in results.values())


def test_planted_verbosity_bias_is_flagged_alone() -> None:
    fillers = load_registry()["verbosity"].choices["fillers"]

    def swayed_by_padding(probe: Probe) -> Judgment:
        padded = [label for label, text in (("A", probe.response_a), ("B", probe.response_b)) if any(f in text for f in fillers)]
        return Judgment(verdict=padded[0]) if padded else _honest(probe)

    results = _simulate(swayed_by_padding)
    assert results["verbosity"]["flagged"]
    assert results["verbosity"]["flip_rate"] == 1.0
    assert results["verbosity"]["toward_bias"] == results["verbosity"]["n"]
    assert [name for name, r in results.items() if r["flagged"]] == ["verbosity"]


def test_first_slot_judge_is_position_biased() -> None:
    results = _simulate(lambda probe: Judgment(verdict="A", p_a=0.8))
    position = results["position"]
    assert position["flagged"] and position["flip_rate"] == 1.0
    assert position["accuracy_control"] == 1.0 and position["accuracy_perturbed"] == 0.0
    assert position["pref_shift"] == pytest.approx(0.6)  # P(chosen|first) - P(chosen|second) = 0.8 - 0.2
    # Always "A" never changes when a side is decorated: no other bias is flagged.
    assert [name for name, r in results.items() if r["flagged"]] == ["position"]


def test_unparseable_and_failed_are_counted_not_scored() -> None:
    def flaky(probe: Probe) -> Judgment:
        if probe.bias == "authority" and probe.order == "chosen_first":
            return Judgment(verdict="unparseable", raw="hmm")
        if probe.bias == "markdown" and probe.order == "chosen_second":
            return Judgment(verdict="error", error="HTTP 500")
        return _honest(probe)

    results = _simulate(flaky)
    n_instances = len(load_instances(sample_path()))
    assert results["authority"]["n_unparseable"] == n_instances
    assert results["authority"]["n"] == n_instances  # only the other order is paired
    assert results["markdown"]["n_failed"] == n_instances


def test_category_breakdown_locates_a_bias() -> None:
    def code_judge_likes_authority(probe: Probe) -> Judgment:
        if probe.bias == "authority" and probe.category == "code":
            return Judgment(verdict=probe.target)
        return _honest(probe)

    results = _simulate(code_judge_likes_authority)
    by_category = results["authority"]["by_category"]
    assert by_category["code"]["flip_rate"] == 1.0
    assert all(c["flips"] == 0 for name, c in by_category.items() if name != "code")
    assert set(by_category) == {"arithmetic", "code", "factual_qa", "reasoning", "instruction_following"}
