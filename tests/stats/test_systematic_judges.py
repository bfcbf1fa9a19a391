"""Judges that misbehave systematically, through the real probes, statistics and certificate.

Fast versions (tens of audits; a loose bound for the Monte-Carlo error); benchmarks/simulate.py runs
at least 200 audits per scenario and benchmarks/README.md has its figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.certification.decide import decide
from judgeaudit.certification.policy import load_policy
from judgeaudit.schema import Judgment
from judgeaudit.stats import Settings, summarize_biases
from judgeaudit.stats.judged import InstanceLabels
from judgeaudit.stats.units import Units
from tests import simulation

AUDITS = 40
TEXT_ADDING = ("authority", "sycophancy", "distraction", "self_reflection", "sentiment_positive", "sentiment_negative")
SYSTEMATIC = [load_registry()[name] for name in ("verbosity", "markdown", "gender", "bandwagon", *TEXT_ADDING)]
PROBES = build_probes(simulation.instances(60), SYSTEMATIC, seed=0)
POLICY = load_policy()
GROUPED = {"pairs": False, "prompts of 3 pairs": True}
"""Every systematic judge also with its instances in prompt groups of three (``stats.units``)."""


def _tags(n: int, grouped: bool) -> dict[str, dict[str, str]]:
    return {f"sim-{i:03d}": {"group": simulation.group_of(f"sim-{i:03d}", 3)} if grouped else {} for i in range(n)}


def _labels(n: int, grouped: bool) -> dict[str, InstanceLabels]:
    return {key: InstanceLabels("chosen", "chosen/rejected", tags=tags) for key, tags in _tags(n, grouped).items()}


def _flag_rates(judge, seed: int, grouped: bool = False) -> dict[str, float]:
    rng, flagged = np.random.default_rng(seed), dict.fromkeys((s.name for s in SYSTEMATIC), 0)
    units = Units.from_tags(_tags(60, grouped).items())
    for audit in range(AUDITS):
        results = summarize_biases(SYSTEMATIC, list(zip(PROBES, judge(PROBES, rng), strict=True)), Settings(seed=audit, units=units))
        for name, result in results.items():
            flagged[name] += result.flagged
    return {name: n / AUDITS for name, n in flagged.items()}


@pytest.mark.slow
@pytest.mark.parametrize("grouped", GROUPED.values(), ids=GROUPED)
def test_an_edit_averse_judge_is_biased_on_no_cue(grouped: bool) -> None:
    # It penalizes whichever response differs from the original, the placebo included: every total pull
    # is about -0.5, and the placebo's is the same, so the cue itself does nothing.
    rates = _flag_rates(simulation.edit_averse(0.25), seed=21, grouped=grouped)
    assert all(rate <= 0.10 for rate in rates.values()), rates


@pytest.mark.slow
@pytest.mark.parametrize("grouped", GROUPED.values(), ids=GROUPED)
def test_a_length_loving_judge_is_biased_on_verbosity_alone(grouped: bool) -> None:
    rates = _flag_rates(simulation.length_loving(0.35), seed=22, grouped=grouped)
    assert rates["verbosity"] >= 0.9, rates
    assert all(rate <= 0.10 for name, rate in rates.items() if name != "verbosity"), rates


def test_systematic_pulls_are_described_once_at_the_judge_level() -> None:
    rows = list(zip(PROBES, simulation.edit_averse(0.25)(PROBES, np.random.default_rng(1)), strict=True))
    averse = simulation.summary_of(rows, 0, specs_used=SYSTEMATIC)
    assert averse["edits"]["edit_pull"]["mean"] < -0.3 and averse["edits"]["edit_p"] < 0.05
    assert any("Edit aversion" in finding for finding in averse["edits"]["findings"])
    authority = averse["biases"]["authority"]
    assert authority["total_pull"]["mean"] < -0.3 and authority["edit_pull"]["mean"] < -0.3 and abs(authority["effect"]) < 0.2
    assert "toward the authority cue, of which" in authority["finding"]

    rows = list(zip(PROBES, simulation.length_loving(0.35)(PROBES, np.random.default_rng(2)), strict=True))
    loving = simulation.summary_of(rows, 0, specs_used=SYSTEMATIC)
    assert loving["edits"]["size_pull"]["mean"] > 0.2 and any("Size preference" in f for f in loving["edits"]["findings"])
    assert abs(loving["edits"]["edit_pull"]["mean"]) < 0.15  # the size-free edit changes no length
    assert loving["biases"]["verbosity"]["placebo_kind"] == "size-free edit"


@pytest.mark.parametrize("grouped", GROUPED.values(), ids=GROUPED)
@pytest.mark.parametrize(
    "judge", [simulation.tie_always(), simulation.always_a(), simulation.random_verdicts()], ids=["tie-always", "always-A", "random"]
)
def test_a_content_blind_judge_never_passes(judge, grouped: bool) -> None:
    probes, rng = simulation.probes_for(130), np.random.default_rng(7)
    for audit in range(8):
        summary = simulation.summary_of(list(zip(probes, judge(probes, rng), strict=True)), audit, labels=_labels(130, grouped))
        assert (summary["grouping"] is not None) == grouped
        decisions = decide(summary, POLICY, {}, seed=0)
        assert decisions.overall != "PASS"
        assert decisions.validity["accuracy"].decision == "FAIL"


@pytest.mark.parametrize("grouped", GROUPED.values(), ids=GROUPED)
def test_reward_model_decisions_do_not_depend_on_the_units_of_its_scores(grouped: bool) -> None:
    probes = simulation.probes_for(60)
    for audit in range(6):
        decided, soft = [], []
        for scale in (1.0, 0.05, 20.0):
            answers = simulation.reward_model(pull=0.4, scale=scale)(probes, np.random.default_rng(audit))
            summary = simulation.summary_of(list(zip(probes, answers, strict=True)), audit, mode="reward", labels=_labels(60, grouped))
            decisions = decide(summary, POLICY, {}, seed=0)
            decided.append((decisions.overall, {n: d.decision for n, d in decisions.biases.items()}, {n: b["effect"] for n, b in summary["biases"].items()}))
            soft.append(summary["biases"]["authority"]["soft_effect"]["mean"])
        assert decided[0] == decided[1] == decided[2]
        assert len({round(value, 6) for value in soft}) == 3  # the scores' own scale moves; the verdicts do not


def _unreadable(judge, rate: float):
    def answer(probes, rng):
        draws = rng.random(len(probes))
        return [Judgment(verdict="unparseable") if d < rate else j for d, j in zip(draws, judge(probes, rng), strict=True)]

    return answer


@pytest.mark.parametrize("n", [60, pytest.param(200, marks=pytest.mark.slow)])
def test_answers_unreadable_at_random_rarely_make_a_bias_inconclusive(n: int) -> None:
    probes, rng, specs = simulation.probes_for(n), np.random.default_rng(n), simulation.specs()
    inconclusive = dict.fromkeys((s.name for s in specs), 0)
    audits = 30
    for audit in range(audits):
        answers = _unreadable(simulation.noisy(0.8), 0.05)(probes, rng)
        for name, result in summarize_biases(specs, list(zip(probes, answers, strict=True)), Settings(seed=audit)).items():
            inconclusive[name] += result.status == "INCONCLUSIVE"
    assert all(count / audits <= 0.10 for count in inconclusive.values()), inconclusive


def test_a_cue_that_makes_the_judge_refuse_is_still_caught() -> None:
    probes, rng = simulation.probes_for(60), np.random.default_rng(9)

    def refuses_authority(probes, rng):
        answers = simulation.noisy(0.8)(probes, rng)
        draws = rng.random(len(probes))
        return [
            Judgment(verdict="unparseable") if p.bias == "authority" and p.condition.startswith("cue") and d < 0.2 else j
            for p, j, d in zip(probes, answers, draws, strict=True)
        ]

    results = summarize_biases(simulation.specs(), list(zip(probes, refuses_authority(probes, rng), strict=True)), Settings())
    assert results["authority"].status == "INCONCLUSIVE" and "unscored answers differ" in results["authority"].reason


def test_answers_cut_off_on_long_responses_blame_only_the_cue_that_is_length() -> None:
    """A judge cut off more often the longer the longest response shown: verbosity's padding changes how
    often it fails (INCONCLUSIVE, the honest state), while cues that add text are compared with a
    placebo of their own size, equally cut off, and are not blamed."""
    specs = [load_registry()[name] for name in ("verbosity", "authority", "sycophancy", "distraction", "self_reflection", "gender")]
    probes, rng = build_probes(simulation.instances(60), specs, seed=0), np.random.default_rng(3)

    def cut_when_long(probes, rng):
        draws = rng.random(len(probes))
        return [
            Judgment(verdict=j.verdict, truncated=True) if d < min(0.9, max(0.0, (max(len(p.response_a), len(p.response_b)) - 60) / 200)) else j
            for p, j, d in zip(probes, simulation.noisy(0.8)(probes, rng), draws, strict=True)
        ]

    blamed = dict.fromkeys((s.name for s in specs), 0)
    for audit in range(20):
        for name, result in summarize_biases(specs, list(zip(probes, cut_when_long(probes, rng), strict=True)), Settings(seed=audit)).items():
            blamed[name] += "unscored answers differ" in result.reason
    assert blamed["verbosity"] == 20, blamed  # measured: 40 of 40
    assert all(count <= 2 for name, count in blamed.items() if name != "verbosity"), blamed  # measured: at most 1 of 40
