"""``judgeaudit plan`` and the power computations behind it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.stats.confseq import mean_bounds
from judgeaudit.stats.power import EffectModel, instances_to_certify, instances_to_detect, instances_to_fail
from tests.cli import finish, judgeaudit, only_run_dir


def test_instances_to_certify_agree_with_the_bounds_the_certificate_uses() -> None:
    zeros = EffectModel(pilot=(0.0,) * 10)
    needed = instances_to_certify(zeros, "toward", 0.10, 0.95, 0.8)
    assert mean_bounds([0.0] * needed, -1, 1, 0.05).upper < 0.10 <= mean_bounds([0.0] * (needed - 1), -1, 1, 0.05).upper
    spread = EffectModel(mean=0.0, sd=0.3)
    low, high = (instances_to_certify(spread, "toward", 0.10, 0.95, p) for p in (0.5, 0.9))
    assert low < high
    assert instances_to_certify(spread, "either", 0.10, 0.95, 0.9) >= high  # both sides must be inside
    assert instances_to_certify(EffectModel(mean=0.2, sd=0.1), "toward", 0.10, 0.95, 0.8) is None  # above δ: never


def test_instances_to_fail_reach_the_planned_power_on_fresh_samples() -> None:
    model = EffectModel(mean=0.3, sd=0.4)
    n = instances_to_fail(model, "toward", 0.10, 0.95, 0.8, family=5)
    rng = np.random.default_rng(7)
    failed = [mean_bounds(model.draw(rng, (1, n))[0], -1, 1, 0.05 / 5).lower > 0.10 for _ in range(300)]
    assert 0.74 <= np.mean(failed) <= 0.9


def test_instances_to_detect_match_the_textbook_t_test() -> None:
    assert instances_to_detect(sd=1.0, effect=0.5, alpha=0.05, power=0.8, two_sided=False) == 27
    assert instances_to_detect(sd=1.0, effect=0.5, alpha=0.05, power=0.8, two_sided=True) == 34
    assert instances_to_detect(sd=0.0, effect=0.2, alpha=0.05, power=0.8, two_sided=False) == 5  # 1/2^5 < 0.05


def _numbers(line: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*) (?:instances|calls|tokens)", line)]


def test_plan_counts_the_calls_a_run_makes_and_prices_api_judges_offline(tmp_path: Path) -> None:
    code, out, err = finish(judgeaudit("plan", "--judge", "python:tests.python_judges:fair_verdict", "--bias", "verbosity,authority", "--out", str(tmp_path)))
    assert code == 0, err
    planned = _numbers(next(line for line in out.splitlines() if line.startswith("this dataset")))
    code, _, err = finish(judgeaudit("run", "--judge", "python:tests.python_judges:fair_verdict", "--bias", "verbosity,authority", "--out", str(tmp_path), "--no-cache"))
    summary = json.loads((only_run_dir(tmp_path) / "summary.json").read_text())
    assert planned[:2] == [65, summary["calls"]["total"]]

    code, out, err = finish(judgeaudit("plan", "--judge", "openai/gpt-4o", "--bias", "position,verbosity", "--out", str(tmp_path)),)
    assert code == 0, err
    assert "litellm's price table: gpt-4o" in out and "$" in out and "to certify < δ" in out
    code, out, err = finish(judgeaudit("plan", "--judge", "python:tests.python_judges:fair_verdict", "--bias", "verbosity,authority",
                                       "--pilot", str(only_run_dir(tmp_path)), "--out", str(tmp_path)))
    assert code == 0 and "pilot: 65 instances" in out and "measured in the pilot" not in out  # a python judge reports no tokens
    code, _, err = finish(judgeaudit("plan", "--bias", "verbosity", "--concurency", "3"))
    assert code == 2 and "concurency" in err


@pytest.mark.parametrize("power", ["0", "1.5"])
def test_a_power_outside_zero_and_one_is_refused(power: str) -> None:
    code, _, err = finish(judgeaudit("plan", "--judge", "python:tests.python_judges:fair_verdict", "--power", power))
    assert code == 2 and "--power must be between 0 and 1" in err


def test_dry_run_counts_what_the_run_asks_and_what_is_already_answered(tmp_path: Path) -> None:
    args = ("run", "--judge", "python:tests.python_judges:fair_verdict", "--bias", "verbosity,authority", "--out", str(tmp_path), "--cache", str(tmp_path / "c.sqlite"))
    code, out, err = finish(judgeaudit(*args, "--dry-run"))
    assert code == 0, err
    counts = re.search(r"(\d+) requests \((\d+) already answered, free\); to ask: (\d+) calls", out)
    assert counts and counts.group(2) == "0" and counts.group(1) == counts.group(3) and "Nothing was called." in out
    assert not any(tmp_path.glob("*/journal.jsonl"))  # nothing was asked
    code, _, err = finish(judgeaudit(*args))
    summary = json.loads((only_run_dir(tmp_path) / "summary.json").read_text())
    assert summary["calls"]["total"] == int(counts.group(1))
    code, out, _ = finish(judgeaudit(*args, "--dry-run"))
    assert f"({counts.group(1)} already answered, free); to ask: 0 calls" in out
    code, out, err = finish(judgeaudit("run", "--judge", "openai/gpt-4o", "--bias", "verbosity", "--dry-run", "--out", str(tmp_path)))
    assert code == 0 and "litellm's price table: gpt-4o" in out and "$0.00" not in out
