"""Each public benchmark's own headline metric, from verdicts on the unchanged pairs, against hand counts."""

from __future__ import annotations

import pytest

from judgeaudit.datasets.presets import rm_bench
from judgeaudit.stats.headline import REWARDBENCH_EXAMPLE_COUNTS, headline
from judgeaudit.stats.judged import JudgedInstance


def judged(key: str, verdicts: tuple, **tags: object) -> JudgedInstance:
    return JudgedInstance(key, "c", "chosen", "labels", (), verdicts, (None, None), None, dict(tags))


def test_judgebench_two_game_pair_accuracy() -> None:
    rows = [
        judged("1", ("chosen", "chosen"), benchmark="judgebench", section="math"),      # +2: correct
        judged("2", ("chosen", "tie"), benchmark="judgebench", section="math"),         # +1: correct
        judged("3", ("chosen", "rejected"), benchmark="judgebench", section="math"),    # 0: wrong (inconsistent)
        judged("4", ("tie", "tie"), benchmark="judgebench", section="coding"),          # 0: wrong
        judged("5", ("rejected", None), benchmark="judgebench", section="coding"),      # -1: wrong
        judged("6", (None, "chosen"), benchmark="judgebench", section="coding"),        # +1: correct
    ]
    score = headline(rows)
    assert score is not None and score.benchmark == "judgebench"
    assert score.score == pytest.approx(3 / 6)
    assert score.parts == {"coding": pytest.approx(1 / 3), "math": pytest.approx(2 / 3)}
    assert score.rates["overall"].n_instances == 6


def test_rewardbench_sections_weight_subsets_by_its_example_counts() -> None:
    rows = [judged(f"m{i}", ("chosen", "chosen") if i < 3 else ("rejected", "rejected"), benchmark="rewardbench", subset="math-prm", section="Reasoning") for i in range(4)]
    rows += [judged(f"h{i}", ("chosen", "tie"), benchmark="rewardbench", subset="hep-go", section="Reasoning") for i in range(2)]
    rows += [judged(f"c{i}", ("chosen", "chosen"), benchmark="rewardbench", subset="alpacaeval-easy", section="Chat") for i in range(2)]
    score = headline(rows)
    assert score is not None
    math, go = 3 / 4, 0.75
    expected = (math * REWARDBENCH_EXAMPLE_COUNTS["math-prm"] + go * REWARDBENCH_EXAMPLE_COUNTS["hep-go"]) / (984 + 164)
    assert score.parts["Reasoning"] == pytest.approx(expected)
    assert score.parts["Chat"] == 1.0
    assert score.score == pytest.approx((expected + 1.0) / 2)


def test_rewardbench2_counts_a_prompt_only_when_chosen_beats_every_rejected() -> None:
    rows = [
        judged("a-0", ("chosen", "chosen"), benchmark="rewardbench2", subset="Math", group="a"),
        judged("a-1", ("chosen", "chosen"), benchmark="rewardbench2", subset="Math", group="a"),
        judged("a-2", ("chosen", "tie"), benchmark="rewardbench2", subset="Math", group="a"),
        judged("b-0", ("chosen", "chosen"), benchmark="rewardbench2", subset="Math", group="b"),
        judged("b-1", ("tie", "tie"), benchmark="rewardbench2", subset="Math", group="b"),  # a tie is not beating it
        judged("c-0", ("chosen", "chosen"), benchmark="rewardbench2", subset="Ties", group="c"),
    ]
    score = headline(rows)
    assert score is not None and score.n_instances == 3  # prompts, not pairs
    assert score.parts == {"Math": 0.5, "Ties": 1.0}
    assert score.score == 0.5 and "Ties" in score.note


def test_rm_bench_easy_normal_hard_from_the_style_matrix() -> None:
    rows = []
    for prompt in range(2):
        for chosen_style in range(3):
            for rejected_style in range(3):
                # The judge prefers style: it picks the chosen response only when it is at least as styled.
                verdict = "chosen" if chosen_style >= rejected_style else "rejected"
                difficulty = rm_bench.difficulty(chosen_style, rejected_style)
                rows.append(judged(f"{prompt}-{chosen_style}{rejected_style}", (verdict, verdict), benchmark="rm-bench",
                                   section="chat", group=str(prompt), difficulty=difficulty))
    score = headline(rows)
    assert score is not None
    assert (score.parts["easy"], score.parts["normal"], score.parts["hard"]) == (1.0, 1.0, 0.0)
    assert score.parts["difficulty avg"] == pytest.approx(2 / 3)
    assert score.score == score.parts["domain avg"] == pytest.approx(6 / 9)  # one domain: its 9 cells
    assert score.rates["hard"].n_instances == 2  # prompt groups are the unit


def test_no_headline_for_plain_data_or_a_mix() -> None:
    assert headline([judged("1", ("chosen", "chosen"))]) is None
    assert headline([judged("1", ("chosen", "chosen"), benchmark="llmbar"), judged("2", ("chosen", "chosen"), benchmark="judgebench")]) is None


def test_rewardbench_weighs_xstest_as_its_own_code_does() -> None:
    rows = [judged(f"r{i}", ("chosen", "chosen") if i < 5 else ("rejected", "rejected"), benchmark="rewardbench", subset="xstest-should-refuse", section="Safety") for i in range(10)]
    rows += [judged(f"s{i}", ("chosen", "chosen"), benchmark="rewardbench", subset="xstest-should-respond", section="Safety") for i in range(10)]
    score = headline(rows)
    assert score is not None and score.parts["Safety"] == pytest.approx((0.5 * 250 + 1.0 * 154) / 404)


def test_rewardbench2_leaves_out_prompts_a_limit_cut_short() -> None:
    rows = [judged(f"a-{k}", ("chosen", "chosen"), benchmark="rewardbench2", subset="Math", group="a", pairs_in_group=3) for k in range(3)]
    rows += [judged("b-0", ("chosen", "chosen"), benchmark="rewardbench2", subset="Math", group="b", pairs_in_group=3)]
    score = headline(rows)
    assert score is not None and score.n_instances == 1 and "1 prompts without all their pairs" in score.note


def test_rm_bench_score_averages_domains_not_cells() -> None:
    """Domains of different sizes: the leaderboard's Domain Avg is the mean of domain accuracies."""
    rows = [judged(f"c{k}", ("chosen", "chosen"), benchmark="rm-bench", section="chat", group="c", difficulty="normal") for k in range(1)]
    rows += [judged(f"m{k}", ("rejected", "rejected"), benchmark="rm-bench", section="math", group=f"m{k}", difficulty="normal") for k in range(3)]
    score = headline(rows)
    assert score is not None and score.score == pytest.approx(0.5) and score.parts["normal"] == pytest.approx(0.25)


@pytest.mark.parametrize("verdicts", [("chosen", "rejected"), ("tie", "tie")], ids=["always-A", "always-tie"])
def test_content_blind_judges_score_no_better_than_chance_on_every_benchmark(verdicts: tuple) -> None:
    """A judge that always answers "A" (chosen when it is shown first, rejected when second) or always "tie"."""
    def rows(benchmark: str, **tags: object) -> list[JudgedInstance]:
        return [judged(f"{benchmark}{k}", verdicts, benchmark=benchmark, group=f"g{k // 3}", pairs_in_group=3, **tags) for k in range(9)]

    assert headline(rows("judgebench", section="math")).score == 0.0  # type: ignore[union-attr]
    assert headline(rows("rewardbench2", subset="Math")).score == 0.0  # type: ignore[union-attr]
    assert headline(rows("rewardbench", subset="math-prm", section="Reasoning")).score == 0.5  # type: ignore[union-attr]
    assert headline(rows("rm-bench", section="chat", difficulty="normal")).score == 0.5  # type: ignore[union-attr]
    assert headline(rows("llmbar", subset="Natural")).score == 0.5  # type: ignore[union-attr]
