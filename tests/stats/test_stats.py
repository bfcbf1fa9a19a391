"""Statistics against hand-computed values, and planted judges on the sample probes."""

from __future__ import annotations

import math

import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.schema import CUE_ON_BETTER, CUE_ON_WORSE, Judgment, Probe
from judgeaudit.stats import Settings, summarize_biases
from judgeaudit.stats.inference import (
    benjamini_hochberg,
    clustered_rate,
    mean_ci,
    sign_flip_p,
    wilson_interval,
)

# Every bias a judge that writes no text is audited on (self-enhancement needs the judge to write).
SPECS = [spec for spec in load_registry().values() if spec.method != "self"]
PROBES = build_probes(load_instances(sample_path()), SPECS, seed=0)
N = len(load_instances(sample_path()))


def test_wilson_interval_hand_computed() -> None:
    # 0 of 8: the upper bound is z^2 / (n + z^2) = 3.8415 / 11.8415.
    assert wilson_interval(0, 8) == pytest.approx((0.0, 0.32440), abs=1e-4)
    assert wilson_interval(8, 10) == pytest.approx((0.49016, 0.94331), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_clustered_rate_uses_instances_not_probes_when_they_agree() -> None:
    # 10 of 40 instances flip in both orders: as informative as 10 of 40, not 20 of 80.
    agreeing = clustered_rate([2] * 10 + [0] * 30, [2] * 40)
    assert agreeing.rate == 0.25 and agreeing.n_instances == 40
    assert agreeing.ci == pytest.approx(wilson_interval(10, 40), abs=1e-9)
    # Orders that disagree as often as chance carry up to twice the information (capped at the probes).
    independent = clustered_rate([1] * 20 + [0] * 20, [2] * 40)
    assert independent.ci[1] - independent.ci[0] < agreeing.ci[1] - agreeing.ci[0]
    # No flips at all: the instance count decides the upper bound.
    assert clustered_rate([0] * 40, [2] * 40).ci == pytest.approx(wilson_interval(0, 40), abs=1e-9)


def test_sign_flip_is_exact_for_few_instances() -> None:
    # 6 positive values: only the all-positive pattern is as extreme, p = 1/64 one-sided.
    assert sign_flip_p([0.1, 0.2, 0.3, 0.1, 0.2, 0.4], "greater", 0) == pytest.approx(1 / 64)
    assert sign_flip_p([0.1, 0.2, 0.3, 0.1, 0.2, 0.4], "less", 0) == pytest.approx(1.0)
    assert sign_flip_p([0.1, 0.2, 0.3, 0.1, 0.2, 0.4], "two-sided", 0) == pytest.approx(2 / 64)
    # [1, -1, 0.5]: sums of sign patterns >= 0.5 are {2.5, 0.5, 1.5, ...}; 4 of 8 patterns reach 0.5.
    assert sign_flip_p([1.0, -1.0, 0.5], "greater", 0) == pytest.approx(4 / 8)
    assert sign_flip_p([0.0, 0.0], "greater", 0) == 1.0 and sign_flip_p([], "greater", 0) is None


def test_sign_flip_sampled_is_deterministic_and_floored() -> None:
    values = [0.5] * 40
    assert sign_flip_p(values, "greater", 7) == pytest.approx(1 / 10000)
    assert sign_flip_p([0.1, -0.05] * 20, "greater", 3) == sign_flip_p([0.1, -0.05] * 20, "greater", 3)


def test_mean_ci_degenerate_sample_gets_the_exact_binomial_bound() -> None:
    effect = mean_ci([0.0] * 65, (-1, 1), 0)
    bound = 1 - 0.025 ** (1 / 65)
    assert effect.mean == 0 and effect.ci == pytest.approx((-bound, bound))
    assert mean_ci([], (-1, 1), 0).mean is None


def test_mean_ci_bootstrap_is_close_to_t_for_a_normal_sample() -> None:
    values = [math.sin(i) * 0.3 + 0.1 for i in range(80)]
    effect = mean_ci(values, (-1, 1), 0)
    assert effect.ci[0] < 0.1 < effect.ci[1]
    assert effect.ci[1] - effect.ci[0] == pytest.approx(2 * 1.99 * 0.3 / math.sqrt(2) / math.sqrt(80), rel=0.15)


def test_bh_hand_computed() -> None:
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def _summary(judge, **settings) -> dict:
    return summarize_biases(SPECS, [(p, judge(p)) for p in PROBES], Settings(**settings))


def _worse(probe: Probe) -> str:
    return "B" if probe.correct == "A" else "A"


def _honest(probe: Probe) -> Judgment:
    return Judgment(verdict=probe.correct, p_a=0.9 if probe.correct == "A" else 0.1)


def test_honest_judge_is_not_biased_and_says_how_small_a_pull_could_be() -> None:
    results = _summary(_honest)
    assert all(r.status == "NOT_DETECTED" and r.effect == 0 for r in results.values())
    assert all(r.n == r.n_instances == N - sum(r.skipped.values()) for r in results.values())
    # Only reordering needs more than one sentence; one-sentence responses are counted, not scored.
    assert {name for name, r in results.items() if r.skipped} == {"answer_first"}
    verbosity = results["verbosity"]
    # The cue-specific pull (a difference of two swings) lies in [-2, 2]: every instance at 0 bounds it by
    # the exact binomial share of instances that could differ, each by up to 2.
    assert verbosity.effect_ci[1] == pytest.approx(2 * (1 - 0.025 ** (1 / N)))
    assert verbosity.noise_floor.placebo.rate == 0 and verbosity.noise_floor.repeat.rate == 0
    assert verbosity.placebo_kind == "size-free edit" and results["authority"].placebo_kind == "same size and place"


def test_planted_verbosity_is_biased_alone_with_the_full_swing() -> None:
    fillers = load_registry()["verbosity"].choices["fillers"]

    def swayed_by_padding(probe: Probe) -> Judgment:
        padded = [label for label, text in (("A", probe.response_a), ("B", probe.response_b)) if any(f in text for f in fillers)]
        return Judgment(verdict=padded[0]) if padded else _honest(probe)

    results = _summary(swayed_by_padding)
    verbosity = results["verbosity"]
    assert verbosity.status == "BIASED" and verbosity.flagged and verbosity.direction == "toward"
    assert verbosity.effect == pytest.approx(1.0)  # the padded response always wins: the cue alone decides
    assert verbosity.total_pull.mean == pytest.approx(1.0) and verbosity.edit_pull.mean == 0.0
    assert verbosity.pull_on_worse.mean == pytest.approx(1.0)  # on the verdict scale, from a win to a loss
    assert verbosity.flip_rate == 1.0 and verbosity.accuracy_perturbed == 0.0
    assert verbosity.noise_floor.placebo.rate == 0.0  # the neutral edit of the same size moves nothing
    assert [name for name, r in results.items() if r.flagged] == ["verbosity"]
    assert "moves toward the verbosity cue" in verbosity.finding


def test_a_cue_the_judge_penalizes_is_reported_never_flagged() -> None:
    def suspicious_of_citations(probe: Probe) -> Judgment:
        if probe.bias == "authority" and probe.condition in (CUE_ON_WORSE, CUE_ON_BETTER):
            return Judgment(verdict="B" if probe.edited == "A" else "A")  # always against the cited response
        return _honest(probe)

    results = _summary(suspicious_of_citations)
    authority = results["authority"]
    assert authority.status == "NOT_DETECTED" and not authority.flagged and authority.direction == "away"
    assert authority.effect < -0.5 and authority.effect_ci[1] < 0
    assert "penalizes the authority cue itself" in authority.finding and "not a pull toward the cue" in authority.finding


def test_a_judge_upset_by_any_edit_without_direction_is_not_biased() -> None:
    def fragile(probe: Probe) -> Judgment:
        if probe.condition not in ("control", "repeat"):
            return Judgment(verdict=_worse(probe))  # any edit, on either side, makes it pick the worse
        return _honest(probe)

    results = _summary(fragile)
    for name in ("verbosity", "authority", "markdown", "bandwagon"):
        result = results[name]
        assert result.flip_rate == 1.0 and result.noise_floor.placebo.rate == 1.0
        assert result.status == "NOT_DETECTED", name
        assert result.pull_on_worse.mean > 0 > result.pull_on_better.mean  # each placement alone looks like a pull


def test_tie_is_half_a_step_not_a_full_move() -> None:
    def ties_under_bandwagon(probe: Probe) -> Judgment:
        if probe.bias == "bandwagon" and probe.condition == CUE_ON_WORSE:
            return Judgment(verdict="tie")
        return Judgment(verdict=probe.correct)

    bandwagon = _summary(ties_under_bandwagon)["bandwagon"]
    assert bandwagon.pull_on_worse.mean == pytest.approx(0.5)
    assert bandwagon.effect == pytest.approx(0.5)
    assert bandwagon.accuracy_perturbed == 0.0


def test_first_slot_judge_is_position_biased_on_every_probe_pair() -> None:
    results = _summary(lambda probe: Judgment(verdict="A", p_a=0.8))
    position = results["position"]
    assert position.status == "BIASED" and position.direction == "first"
    # On the verdict scale, whatever the judge's probability: it names the first slot every time.
    assert position.effect == pytest.approx(1.0) and position.pref_shift == pytest.approx(1.0)
    assert position.position_consistency.rate == 0.0 and position.flip_rate == 1.0
    assert position.accuracy_control == 1.0 and position.accuracy_perturbed == 0.0
    assert [name for name, r in results.items() if r.flagged] == ["position"]


def test_recency_is_position_bias_too() -> None:
    position = _summary(lambda probe: Judgment(verdict="B"))["position"]
    assert position.status == "BIASED" and position.direction == "second" and position.effect == -1.0


def test_unparseable_under_a_cue_makes_the_bias_inconclusive() -> None:
    def refuses_authority(probe: Probe) -> Judgment:
        if probe.bias == "authority" and probe.condition == CUE_ON_WORSE and probe.instance_id < "c":
            return Judgment(verdict="unparseable", raw="I cannot judge cited answers.")
        return _honest(probe)

    results = _summary(refuses_authority)
    authority = results["authority"]
    assert authority.status == "INCONCLUSIVE" and "unscored answers differ" in authority.reason
    assert authority.answers["cue"].unparseable > 0 and authority.n_unparseable == authority.answers["cue"].unparseable
    assert authority.n_instances < authority.n_instances_total == N
    assert results["markdown"].status == "NOT_DETECTED"


def test_truncated_and_failed_answers_are_never_scored() -> None:
    def cut_off(probe: Probe) -> Judgment:
        if probe.bias is None and probe.condition == "control" and probe.order == "chosen_second":
            return Judgment(verdict=probe.correct, truncated=True)
        return _honest(probe)

    results = _summary(cut_off)
    content = [r for name, r in results.items() if name != "position"]
    assert all(r.n_instances == 0 and r.status == "INCONCLUSIVE" and r.p_value is None for r in content)
    assert results["verbosity"].answers["control"].truncated == N
    # Position still has the pairs of every other condition: losing one pair of some seventy per
    # instance in one order is a gap of about 1.4 points, below what can bias it.
    position = results["position"]
    assert position.status == "NOT_DETECTED" and position.answers["better_second"].truncated == N


def test_too_few_instances_is_inconclusive_not_clean() -> None:
    probes = [p for p in PROBES if p.instance_id in {"ar-01", "ar-02", "fq-01"}]
    results = summarize_biases(SPECS, [(p, _honest(p)) for p in probes], Settings())
    assert all(r.status == "INCONCLUSIVE" and f"only {r.n} assessable" in r.reason for r in results.values())
    assert {r.n for r in results.values()} == {3} | {results["answer_first"].n} and results["verbosity"].n == 3
    assert all(r.p_value is None and not r.flagged for r in results.values())


def test_category_breakdown_locates_a_bias() -> None:
    def code_judge_likes_authority(probe: Probe) -> Judgment:
        if probe.bias == "authority" and probe.category == "code" and probe.condition in (CUE_ON_WORSE, CUE_ON_BETTER):
            return Judgment(verdict=probe.edited)
        return _honest(probe)

    by_category = _summary(code_judge_likes_authority)["authority"].by_category
    assert by_category["code"].flip_rate == 1.0 and by_category["code"].effect == pytest.approx(1.0)
    assert all(c.flips == 0 for name, c in by_category.items() if name != "code")


def test_wide_view_has_one_row_per_instance_in_id_order_and_marks_missing_probes() -> None:
    from judgeaudit.stats.cells import SHARED, cell_frame
    from judgeaudit.stats.wide import Cells

    rows = [(p, Judgment(verdict=p.correct)) for p in PROBES if p.bias in (None, "verbosity")]
    dropped = {p.instance_id for p in PROBES if p.bias == "verbosity"}
    gone = sorted(dropped)[0]  # one instance loses its cue-on-better probe in the second order
    rows = [(p, j) for p, j in rows if not (p.instance_id == gone and p.bias == "verbosity" and p.condition == CUE_ON_BETTER and p.order == "chosen_second")]
    cells = Cells(cell_frame(rows))
    table = cells.table("verbosity", ("control", CUE_ON_BETTER))
    assert list(table.ids) == sorted({p.instance_id for p, _ in rows})
    row = list(table.ids).index(gone)
    assert table["state", CUE_ON_BETTER, "chosen_second"][row] is None
    assert math.isnan(table["pref", CUE_ON_BETTER, "chosen_second"][row])
    assert table["outcome", "control", "chosen_first"][row] == "better"
    assert gone not in set(table.take(table.scored(CUE_ON_BETTER)).ids)
    assert cells.n_instances(cells.mask("bias", SHARED)) == N
    assert cells.states(cells.mask("bias", "verbosity")).probes == sum(p.bias == "verbosity" for p, _ in rows)
