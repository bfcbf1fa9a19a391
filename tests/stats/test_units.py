"""The prompt group as the unit: several pairs of one prompt (RewardBench 2, RM-Bench) count once in
every interval and test of the bias audit, through the real ``build_summary``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.schema import Judgment, Probe
from judgeaudit.stats import Settings, summarize_biases
from judgeaudit.stats.cells import cell_frame
from judgeaudit.stats.judged import InstanceLabels
from judgeaudit.stats.length import LengthView, length_view
from judgeaudit.stats.records import Grouping
from judgeaudit.stats.units import Units, unit_key
from tests import simulation as sim
from tests.stats.test_position_length import _varied

COPIES = 3


def test_without_groups_every_instance_is_its_own_unit_and_values_pass_through():
    units = Units.from_tags([("a", {}), ("b", {"subset": "x"}), ("c", {"group": ""})])
    values = np.array([0.25, -1.0, 0.5])
    assert not units.grouped and units.noun == "instances"
    assert np.array_equal(units.means(["a", "b", "c"], values), values)
    assert units.keyed(["a", "b", "c"], values) == {"a": 0.25, "b": -1.0, "c": 0.5}
    assert units.grouping(["a", "b", "c"]) is None


def test_units_average_means_and_add_counts_per_group_in_order_of_first_appearance():
    units = Units.from_tags([("a1", {"group": "A"}), ("b", {}), ("a2", {"group": "A"}), ("c1", {"group": 7}), ("c2", {"group": 7})])
    ids = ["a1", "b", "a2", "c1", "c2"]
    assert unit_key("a1", {"group": "A"}) == "group:A" and units.key("b") == "b" and units.key("c1") == "group:7"
    assert units.means(ids, [1.0, 0.5, 0.0, -1.0, 0.0]).tolist() == [0.5, 0.5, -0.5]
    events, trials = units.sums(ids, [1, 2, 0, 1, 2], [2, 2, 2, 2, 2])
    assert events.tolist() == [1, 2, 3] and trials.tolist() == [4, 2, 4]
    assert units.keyed(ids, [1.0, 0.5, 0.0, -1.0, 0.0]) == {"group:A": 0.5, "b": 0.5, "group:7": -0.5}
    assert units.grouping(ids) == Grouping(n_groups=2, n_grouped_instances=4, n_units=3, largest=2)
    assert units.noun == "prompt groups"


def test_a_group_of_one_or_a_missing_group_is_no_group():
    """Groups that each hold one pair change nothing (the data is then treated as ungrouped); an empty
    or NaN group is no group."""
    units = Units.from_tags([("a", {"group": "A"}), ("b", {"group": "B"}), ("c", {"group": float("nan")}), ("d", {"group": float("nan")})])
    assert not units.grouped and units.key("c") == "c" and units.key("d") == "d"


def test_a_few_large_groups_do_not_pass_for_many_units():
    """A share over 45 small prompt groups and 5 large ones (6 and 60 probes), every probe of a group
    alike: the interval is CR2's with Bell-McCaffrey's degrees of freedom (15.6 here, not 49), so it
    covers the truth in about 0.85 of 4,000 simulated samples where the plain cluster-robust one covered
    0.83; at a within-group correlation of 0.4 0.94 against 0.89 (measured)."""
    from judgeaudit.stats.inference import _bell_mccaffrey_df, clustered_rate

    sizes = np.array([6.0] * 45 + [60.0] * 5)
    assert _bell_mccaffrey_df(np.array([6.0] * 50)) == pytest.approx(49) and _bell_mccaffrey_df(sizes) == pytest.approx(15.5997, abs=1e-3)
    rng = np.random.default_rng(0)
    covered = {True: 0, False: 0}
    for _ in range(1000):
        shared, common = rng.random(50) < 0.4, rng.random(50) < 0.7
        events = np.where(shared, sizes * common, rng.binomial(sizes.astype(int), 0.7))
        for small in covered:
            low, high = clustered_rate(events, sizes, small_sample=small).ci
            covered[small] += low <= 0.7 <= high
    assert covered[True] >= 920 and covered[True] - covered[False] >= 20


def _copied(rows: list, copies: int) -> list:
    """Each instance's probes and answers ``copies`` times, under ids ``<id>~<k>``."""
    return [
        (dataclasses.replace(probe, instance_id=f"{probe.instance_id}~{k}"), judgment) for probe, judgment in rows for k in range(copies)
    ]


def _labels(rows: list, grouped: bool) -> dict[str, InstanceLabels]:
    ids = {probe.instance_id for probe, _ in rows}
    return {i: InstanceLabels("chosen", "chosen/rejected", tags={"group": i.split("~")[0]} if grouped else {}) for i in ids}


@pytest.fixture(scope="module")
def copies():
    """One audit of 24 instances, and the same answers given to three copies of each instance: grouped
    by instance (one prompt with three identical pairs), and not grouped."""
    probes = sim.probes_for(24)
    rows = list(zip(probes, sim.pulled(0.15)(probes, np.random.default_rng(3)), strict=True))
    copied = _copied(rows, COPIES)
    return (
        sim.summary_of(rows, seed=5),
        sim.summary_of(copied, seed=5, labels=_labels(copied, grouped=True)),
        sim.summary_of(copied, seed=5, labels=_labels(copied, grouped=False)),
    )


RATE_INTERVALS = {"flip_ci", "accuracy_control_ci", "accuracy_perturbed_ci"}
T_OVER_Z = 1.13
"""A rate's interval over prompt groups takes the t quantile at their number less one: 2.069 over all 24,
2.201 over the 12 of a category, against the normal 1.960."""


def _close(a: object, b: object, key: str = "") -> bool:
    """Equal, floats to rounding (a mean of three copies may differ from the copied value in its last
    bit); a rate's interval (``RATE_INTERVALS``, or ``ci`` in a rate) may be up to T_OVER_Z as wide around it."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], "rate ci" if k == "ci" and ("rate" in a or "accuracy" in a) else k) for k in a)
    if key in RATE_INTERVALS | {"rate ci"} and isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        width_a, width_b = a[1] - a[0], b[1] - b[0]
        return a[0] <= b[0] + 1e-12 and b[1] <= a[1] + 1e-12 and width_a <= T_OVER_Z * width_b + 1e-12
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    return a == b


BIAS_FIGURES = ("n", "n_instances", "n_instances_total", "effect", "effect_ci", "p_value", "q_value", "status", "flip_rate", "flip_ci",
                "total_pull", "edit_pull", "pull_on_worse", "pull_on_better", "accuracy_control_ci", "accuracy_perturbed_ci",
                "pref_shift_p", "position_consistency", "noise_floor")


def test_three_identical_pairs_of_one_prompt_count_as_the_one_pair_they_copy(copies):
    """Every figure as for the pair they copy: pulls and their intervals exactly, rates exactly with
    intervals that differ only by the small-sample t quantile of prompt groups."""
    original, grouped, _ = copies
    for name, bias in original["biases"].items():
        copy = grouped["biases"][name]
        for figure in BIAS_FIGURES:
            assert _close(copy[figure], bias[figure], figure), (name, figure)
        for category, figures in bias["by_category"].items():  # counts of probes triple; the rest stays
            assert _close(copy["by_category"][category], figures | {"flips": COPIES * figures["flips"]}), (name, category)
        assert copy["flips"] == COPIES * bias["flips"]
        assert _close(copy["instance_effects"], {f"group:{key}": value for key, value in bias["instance_effects"].items()})
    for figure in ("control", "validity", "edits"):
        assert _close(grouped[figure], original[figure]), figure
    assert _close(grouped["position"], original["position"] | {"n_pairs": COPIES * original["position"]["n_pairs"]})
    assert grouped["grouping"] == {"n_groups": 24, "n_grouped_instances": 72, "n_units": 24, "largest": 3}
    assert original["grouping"] is None


def test_counting_the_copies_as_independent_would_claim_more_certainty(copies):
    original, _, naive = copies

    def width(interval: list[float]) -> float:
        return interval[1] - interval[0]

    for name, bias in original["biases"].items():
        assert naive["biases"][name]["n"] == COPIES * bias["n"]
        assert width(naive["biases"][name]["effect_ci"]) < 0.8 * width(bias["effect_ci"]), name
    assert width(naive["control"]["ci"]) < 0.8 * width(original["control"]["ci"])


def test_the_length_view_resamples_prompt_groups():
    """Copies grouped: the slope's interval as wide as the original's (the bootstrap draws prompts);
    copies counted as independent: narrower, with a smaller p-value."""
    probes = build_probes(_varied(40), [load_registry()["verbosity"]], seed=0)
    rng = np.random.default_rng(0)

    def follows_length(p: Probe) -> Judgment:
        diff = len(p.response_a.split()) - len(p.response_b.split())
        return Judgment(verdict="A" if rng.random() < 1 / (1 + np.exp(-diff / 6)) else "B")

    rows = [(p, follows_length(p)) for p in probes]
    copied = _copied(rows, COPIES)
    original = length_view(rows, cell_frame(rows), min_instances=10, seed=0)
    grouped = length_view(copied, cell_frame(copied), 10, 0, Units.from_tags((i, {"group": i.split("~")[0]}) for i in {p.instance_id for p, _ in copied}))
    naive = length_view(copied, cell_frame(copied), min_instances=10, seed=0)

    def width(view: LengthView) -> float:
        return view.slope_ci[1] - view.slope_ci[0]

    assert grouped.slope == pytest.approx(naive.slope) and grouped.slope == pytest.approx(original.slope, rel=0.05)
    assert width(grouped) == pytest.approx(width(original), rel=0.2)
    assert width(naive) < 0.75 * width(grouped)
    assert naive.slope_p <= grouped.slope_p


@pytest.mark.slow
def test_pulls_shared_by_a_prompts_pairs_are_not_flagged_beyond_the_level():
    """No pull on average, but each prompt's four pairs move together (+-0.3): counting pairs flags
    14.5% of the tests at 5%; counting prompts keeps to the level (measured 0.04 of 200 tests)."""
    registry = load_registry()
    specs = [registry["verbosity"], registry["authority"]]
    n, group_size, audits = 120, 4, 100
    probes = [p for p in sim.probes_for(n) if p.bias in (None, "verbosity", "authority")]
    units = Units.from_tags((f"sim-{i:03d}", {"group": sim.group_of(f"sim-{i:03d}", group_size)}) for i in range(n))
    judge = sim.prompt_pulled(0.3, group_size)
    rng = np.random.default_rng(1)
    flagged = {"pairs": 0, "prompts": 0}
    covered = 0
    for audit in range(audits):
        rows = list(zip(probes, judge(probes, rng), strict=True))
        for unit, kind in ((Units(), "pairs"), (units, "prompts")):
            results = summarize_biases(specs, rows, Settings(seed=audit, units=unit))
            flagged[kind] += sum(r.p_value is not None and r.p_value < 0.05 for r in results.values())
            if kind == "prompts":
                assert all(r.n == n // group_size for r in results.values())
                covered += sum(r.effect_ci[0] <= 0 <= r.effect_ci[1] for r in results.values())
    tests = audits * len(specs)
    assert flagged["prompts"] / tests <= 0.08
    assert flagged["pairs"] / tests >= 0.10
    assert covered / tests >= 0.92


def test_a_group_that_spans_categories_is_counted_in_each_of_them():
    """Control accuracy per category splits the instances first, then clusters them by unit: a group
    whose pairs lie in two categories counts in both, as the biases' own by-category tables do."""
    probes = sim.probes_for(40)
    rows = list(zip(probes, sim.noisy(0.7)(probes, np.random.default_rng(4)), strict=True))
    pairs = {f"sim-{i:03d}": {"group": f"p{i // 2}"} for i in range(40)}  # sim-000 arithmetic, sim-001 reasoning, ...
    labels = {key: InstanceLabels("chosen", "chosen/rejected", tags=tags) for key, tags in pairs.items()}
    grouped, plain = sim.summary_of(rows, seed=1, labels=labels), sim.summary_of(rows, seed=1)
    assert set(grouped["control"]["by_category"]) == set(plain["control"]["by_category"]) == {"arithmetic", "reasoning"}
    for category, rate in plain["control"]["by_category"].items():
        assert grouped["control"]["by_category"][category]["rate"] == rate["rate"]
        assert grouped["control"]["by_category"][category]["n_instances"] == 20
    assert grouped["control"]["n"] == 20 and plain["control"]["n"] == 40


def test_the_length_slope_test_over_prompt_groups_keeps_its_level():
    """No slope, but x and y each shared within groups of 3 pairs (10 groups): the wild cluster score
    bootstrap rejects about 5% at 5% (5.3% of 2,000 samples measured; a clustered Wald test 8.1%)."""
    from judgeaudit.stats.length import _clustered_slope_p

    rng = np.random.default_rng(1)
    unit = np.repeat(np.arange(10), 3)
    rejected = 0
    for _ in range(400):
        gx, gy = rng.normal(size=10), rng.normal(size=10)
        x = np.tanh(gx[unit] + 0.5 * rng.normal(size=30))
        y = np.clip(0.5 + 0.3 * gy[unit] + 0.2 * rng.normal(size=30), 0, 1).round(1)
        rejected += _clustered_slope_p(x, y, unit, 0) < 0.05
    assert rejected / 400 <= 0.085
