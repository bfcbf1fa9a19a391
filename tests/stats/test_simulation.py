"""The statistics validated by simulation through the real probe builder and statistics code.

Fast versions (200 audits of 40 instances each); benchmarks/simulate.py runs the full ones.
"""

from __future__ import annotations

import pytest

from tests.simulation import CONTENT_BIASES, knife_edge, noisy, probes_for, pulled, run_audits

pytestmark = pytest.mark.slow

AUDITS = 200
PROBES = probes_for(40)


@pytest.mark.parametrize("judge", [noisy(), knife_edge()], ids=["sampling-noise", "knife-edge"])
def test_judges_without_direction_are_flagged_at_most_alpha(judge) -> None:
    tally = run_audits(judge, PROBES, AUDITS, seed=11)
    for name, flagged in tally.flagged.items():
        assert flagged / AUDITS <= 0.05, (name, flagged)


def test_a_true_pull_is_covered_and_detected() -> None:
    tau = 0.15
    tally = run_audits(pulled(tau), PROBES, AUDITS, seed=12, true_effect=2 * tau)
    covered = sum(tally.covered[name] for name in CONTENT_BIASES) / (AUDITS * len(CONTENT_BIASES))
    assert 0.93 <= covered <= 0.97, covered
    # Net of the placebo's pull (a difference of two swings) the same effect is found less often than
    # the total pull was: about half the time at 40 instances (benchmarks/README.md has the figures).
    power = sum(tally.flagged[name] for name in CONTENT_BIASES) / (AUDITS * len(CONTENT_BIASES))
    assert power >= 0.4, power
    assert tally.flagged["position"] / AUDITS <= 0.05
