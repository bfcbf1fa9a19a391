"""``judgeaudit compare``: the paired comparison of two runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from judgeaudit.stats.compare import compare_bias, finalize_comparisons
from tests.cli import finish, judgeaudit, run_python_judges


def _effects(values: np.ndarray) -> dict[str, float]:
    return {f"i{n:03d}": float(v) for n, v in enumerate(values)}


def test_a_difference_is_found_where_planted_and_called_rarely_where_not() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(-0.3, 0.3, 60)
    planted = compare_bias("authority", "toward", _effects(base + 0.2), _effects(base + rng.normal(0, 0.1, 60)), seed=1)
    finalize_comparisons([planted], 0.05, "A", "B")
    assert planted.difference > 0.1 and planted.q_value < 0.05 and planted.verdict.startswith("B is less biased")
    called = excluded = 0
    for trial in range(400):
        a, b = (base + rng.normal(0, 0.2, 60) for _ in range(2))
        result = compare_bias("gender", "either", _effects(a), _effects(b), seed=trial)
        called += result.p_value < 0.05
        excluded += not result.difference_ci[0] <= 0 <= result.difference_ci[1]
    assert called / 400 <= 0.075  # 0.053 over 1,000 such trials
    assert excluded == called  # the interval inverts the test: it excludes 0 exactly when the test rejects


def test_the_size_of_a_bias_follows_its_direction() -> None:
    penalty = compare_bias("sentiment_negative", "away", _effects(np.full(20, -0.4)), _effects(np.full(20, -0.1)), seed=0)
    assert (penalty.size_a, penalty.size_b) == pytest.approx((0.4, 0.1)) and penalty.difference > 0  # A penalizes more: more biased
    either = compare_bias("gender", "either", _effects(np.full(20, -0.3)), _effects(np.full(20, 0.1)), seed=0)
    assert either.size_a == pytest.approx(0.3) and either.difference > 0
    assert compare_bias("x", "toward", {"a": 0.1}, {"b": 0.2}, seed=0) is None  # no common instances


def test_compare_two_judges_end_to_end(tmp_path: Path) -> None:
    runs = run_python_judges(tmp_path, ("fair_verdict", "authority_follower"), "--bias", "verbosity,authority")
    code, out, err = finish(judgeaudit("compare", str(runs["fair_verdict"]), str(runs["authority_follower"]), "--out", str(tmp_path / "cmp")))
    assert code == 0, err
    assert "A (python:tests.python_judges:fair_verdict) is less biased on authority." in out
    record = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    by_name = {b["name"]: b for b in record["biases"]}
    assert by_name["authority"]["difference"] == -1.0 and by_name["verbosity"]["verdict"].startswith("no difference")
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert "Which judge is less biased" in page and "authority_follower" in page
    code, out, _ = finish(judgeaudit("compare", str(runs["fair_verdict"]), str(runs["fair_verdict"]), "--out", str(tmp_path / "same")))
    assert code == 0 and "No difference detected on any of the 2 biases compared." in out
    code, _, err = finish(judgeaudit("compare", str(tmp_path), str(runs["fair_verdict"])))
    assert code == 2 and "not a finished run folder" in err
