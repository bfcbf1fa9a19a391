"""The Validity section: gold, humans, the Alt-Test, calibration, scores, categories and disagreements are
rendered before the biases in HTML, Markdown and the terminal; every absent figure says why."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from markupsafe import escape
from rich.console import Console

from judgeaudit.report.outputs import write_reports
from judgeaudit.report.terminal import agreement_line, print_summary
from judgeaudit.report.validity_view import one_line, shorten, validity_view
from judgeaudit.schema import CONTROL, Judgment, Probe
from judgeaudit.stats import Summary, build_summary
from judgeaudit.stats.records import (
    Agreement,
    AltTest,
    AnnotatorTest,
    Calibration,
    CategoryAgreement,
    Confusion,
    Disagreement,
    Estimate,
    GoldAgreement,
    HumanAgreement,
    Rate,
    ReliabilityBin,
    ScaleUse,
    ScoreAgreement,
)
from tests.report.test_report import CHROMIUM, MANIFEST, PROBES, SPECS

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ("chosen", "rejected", "tie")
GOLD_COUNTS = ((91, 27, 12), (0, 0, 0), (4, 3, 5))
MAJORITY_COUNTS = ((60, 22, 8), (5, 9, 1), (2, 2, 3))


def control_rows() -> list[tuple[Probe, Judgment]]:
    """The sample's probes with an honest judge: the texts the disagreements are shown with."""
    return [(probe, Judgment(verdict=probe.correct)) for probe in PROBES]


def disagreeing_ids() -> list[str]:
    """Three instance ids of the sample that have a control probe."""
    return sorted({p.instance_id for p in PROBES if p.condition == CONTROL and p.bias is None})[:3]


def rate(value: float, low: float, high: float, n: int = 100) -> Rate:
    return Rate(value, (low, high), n)


def est(value: float, low: float, high: float, n: int = 100) -> Estimate:
    return Estimate(value, (low, high), n)


def bins(frequencies: list[float | None], counts: list[int]) -> list[ReliabilityBin]:
    return [
        ReliabilityBin(k / 10, (k + 1) / 10, n, None if f is None else (k + 0.5) / 10, f)
        for k, (f, n) in enumerate(zip(frequencies, counts, strict=True))
    ]


def gold() -> GoldAgreement:
    return GoldAgreement(
        source="labels",
        n_instances=142,
        n_tie_gold=12,
        accuracy=rate(0.71, 0.642, 0.771, 130),
        accuracy_by_order={"chosen_first": rate(0.76, 0.68, 0.83, 130), "chosen_second": rate(0.66, 0.57, 0.74, 130)},
        accuracy_averaged=rate(0.69, 0.61, 0.76, 142),
        agreement_with_ties=rate(0.67, 0.60, 0.74, 142),
        kappa=est(0.42, 0.31, 0.53, 142),
        confusion=Confusion("gold", LABELS, GOLD_COUNTS, (3, 0, 1)),
    )


def humans(alt: AltTest | None) -> HumanAgreement:
    return HumanAgreement(
        n_instances=120,
        n_annotators=4,
        n_annotations=410,
        no_majority=6,
        majority=rate(0.683, 0.61, 0.75, 114),
        random_annotator=rate(0.64, 0.58, 0.70, 120),
        ceiling=rate(0.66, 0.60, 0.72, 118),
        gap=est(0.023, -0.031, 0.075, 118),
        kappa=est(0.38, 0.26, 0.50, 114),
        alpha_humans=est(0.41, 0.33, 0.49, 120),
        alpha_with_judge=est(0.43, 0.36, 0.50, 120),
        alt_test=alt,
        confusion=Confusion("human majority", LABELS, MAJORITY_COUNTS, (2, 1, 0)),
    )


def alt_test() -> AltTest:
    tests = [
        AnnotatorTest("ann-1", 110, 0.81, 0.74, "t-test", 0.004, True),
        AnnotatorTest("ann-2", 96, 0.78, 0.77, "t-test", 0.012, True),
        AnnotatorTest("ann-3", 88, 0.70, 0.79, "t-test", 0.31, False),
        AnnotatorTest("ann-4", 24, 0.83, 0.71, "Wilcoxon signed-rank", 0.02, True),
    ]
    return AltTest(0.2, 0.05, tests, {"ann-5": 3}, 0.75, 0.78, True, "")


def calibration() -> Calibration:
    raw = bins([0.02, 0.15, None, 0.31, 0.42, 0.47, 0.58, 0.66, 0.79, 0.93], [31, 12, 0, 9, 14, 22, 17, 20, 25, 80])
    recalibrated = bins([0.05, 0.14, 0.27, 0.36, 0.45, 0.55, 0.66, 0.74, 0.86, 0.95], [20, 15, 11, 13, 18, 24, 21, 26, 30, 52])
    return Calibration(
        source="probabilities",
        target="gold",
        n_instances=142,
        n_probes=230,
        ece=est(0.081, 0.06, 0.11, 142),
        brier=est(0.19, 0.17, 0.22, 142),
        bins=raw,
        recalibrated_ece=est(0.034, 0.02, 0.06, 142),
        recalibrated_brier=est(0.17, 0.15, 0.19, 142),
        recalibrated_bins=recalibrated,
        folds=5,
        decided_on="ece",
    )


def scores() -> ScoreAgreement:
    return ScoreAgreement(
        n_instances=60,
        n_responses=120,
        spearman=est(0.61, 0.5, 0.7, 60),
        kendall=est(0.47, 0.38, 0.55, 60),
        weighted_kappa=est(0.52, 0.41, 0.62, 60),
        human_weighted_kappa=est(0.58, 0.47, 0.68, 60),
        judge_scale=ScaleUse(1, 10, 6, 0.21, 0.34),
        human_scale=ScaleUse(1, 5, 5, 0.28, 0.30),
    )


def full_agreement() -> Agreement:
    """A realistic Agreement: gold with its confusion, four annotators and their Alt-Test, ten calibration
    bins, score agreement, three listed disagreements of seven and two categories."""
    first, second, third = disagreeing_ids()
    return Agreement(
        gold=gold(),
        humans=humans(alt_test()),
        scores=scores(),
        calibration=calibration(),
        disagreements=[
            Disagreement(first, "helpfulness", "chosen", "gold (labels)", ("rejected", "rejected")),
            Disagreement(second, "safety", "chosen", "human majority (3 of 4)", ("chosen", "rejected")),
            Disagreement(third, "safety", "tie", "gold (labels)", ("rejected", None)),
        ],
        n_disagreements=7,
        by_category={
            "helpfulness": CategoryAgreement(rate(0.74, 0.65, 0.82, 80), est(0.45, 0.3, 0.6, 80), rate(0.7, 0.6, 0.79, 70)),
            "safety": CategoryAgreement(rate(0.67, 0.55, 0.77, 62), est(0.37, 0.2, 0.53, 62), None),
        },
        not_assessable={},
    )


def gold_only() -> Agreement:
    """Gold alone: the data carries no annotations and the judge gives verdicts only."""
    return Agreement(
        gold=gold(),
        humans=None,
        scores=None,
        calibration=None,
        disagreements=[],
        n_disagreements=0,
        by_category={},
        not_assessable={
            "human agreement": "the data carries no human annotations",
            "Alt-Test": "no instance has two or more annotations",
            "calibration": "the judge gives verdicts only (no logprobs)",
            "score agreement": "the judge compares two responses; it scores none alone",
        },
    )


@cache
def base_summary() -> Summary:
    rows = control_rows()
    return build_summary(MANIFEST, SPECS, rows, {str(i): j for i, (_, j) in enumerate(rows)})


def render(tmp_path: Path, agreement: Agreement | None) -> tuple[str, str]:
    summary = dataclasses.replace(base_summary(), agreement=agreement)
    write_reports(tmp_path, summary, MANIFEST, control_rows())
    return (tmp_path / "report.html").read_text(), (tmp_path / "report.md").read_text()


def section(html: str) -> str:
    start = html.index('<section class="validity"')
    return html[start : html.index("</section>", start)]


def test_the_validity_section_comes_before_the_biases(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, full_agreement())
    assert html.index('id="validity"') < html.index("<h2>Biases</h2>") < html.index('id="bias-verbosity"')
    assert html.index('id="validity"') < html.index("Coverage by dimension")
    assert markdown.index("## Validity") < markdown.index("## Biases") < markdown.index("| verbosity |")


def test_gold_figures_and_the_confusion_table(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, full_agreement())
    part = section(html)
    assert "Gold from <b>labels</b>" in part and "12 with a tie as gold" in part
    assert "71.0%</td><td class=\"l\">64.2%–77.1%</td><td>130</td>" in part
    assert "chosen shown first" in part and "76.0%" in part and "66.0%" in part and "69.0%" in part
    assert "0.42</td><td class=\"l\">+0.31 to +0.53</td>" in part
    tables = re.findall(r'<table class="cats confusion">.*?</table>', part, re.S)
    assert len(tables) == 2
    for table, counts, unscored in ((tables[0], GOLD_COUNTS, (3, 0, 1)), (tables[1], MAJORITY_COUNTS, (2, 1, 0))):
        cells = [[int(n) for n in re.findall(r"<td>(\d+)</td>", row)] for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", table)]
        assert cells == [[*row, missing] for row, missing in zip(counts, unscored, strict=True)]
        assert re.findall(r'<th scope="col">(\w+)</th>', table) == [*LABELS, "unscored"]
    assert "| gold \\ judge | chosen | rejected | tie | unscored |" in markdown
    assert "| chosen | 91 | 27 | 12 | 3 |" in markdown and "| tie | 2 | 2 | 3 | 0 |" in markdown
    assert "Cohen's κ: 0.42 (95% CI +0.31 to +0.53)" in markdown


def test_human_figures_and_the_alt_test(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, full_agreement())
    part = section(html)
    assert "410 annotations by 4 annotators on 120 instances" in part
    assert "68.3%" in part and "64.0%" in part and "66.0%</td><td class=\"l\">60.0%–72.0%" in part
    assert "+2.3 points</td><td class=\"l\">-3.1 to +7.5</td>" in part
    assert "Krippendorff&#39;s α, annotators</th><td>0.41</td>" in part and "annotators and the judge</th><td>0.43</td>" in part
    assert '<span class="pill ok">PASSED</span> winning rate ω 0.75' in part and "ρ 0.78 · ε 0.2" in part
    rows = re.findall(r'<tr><th scope="row">(ann-\d)</th><td>(\d+)</td><td>([\d.]+)</td><td>([\d.]+)</td><td class="l">([^<]+)</td><td>([^<]+)</td><td>(\w+)</td></tr>', part)
    assert rows == [
        ("ann-1", "110", "0.81", "0.74", "t-test", "0.004", "yes"),
        ("ann-2", "96", "0.78", "0.77", "t-test", "0.012", "yes"),
        ("ann-3", "88", "0.70", "0.79", "t-test", "0.31", "no"),
        ("ann-4", "24", "0.83", "0.71", "Wilcoxon signed-rank", "0.02", "yes"),
    ]
    assert "ann-5 (3)" in part
    assert "Alt-Test: **PASSED** (winning rate ω 0.75, advantage probability ρ 0.78, ε 0.2, q 0.05)" in markdown
    assert "| ann-4 | 24 | 0.83 | 0.71 | Wilcoxon signed-rank | 0.02 | yes |" in markdown
    assert "Gap, judge − ceiling: +2.3 points (95% CI -3.1 to +7.5)" in markdown


def test_a_failed_and_an_unassessable_alt_test_say_so(tmp_path: Path) -> None:
    failed = dataclasses.replace(alt_test(), passed=False, winning_rate=0.25)
    agreement = dataclasses.replace(full_agreement(), humans=humans(failed))
    (tmp_path / "failed").mkdir()
    html, _ = render(tmp_path / "failed", agreement)
    assert '<span class="pill bad">FAILED</span> winning rate ω 0.25' in html
    unassessable = AltTest(0.2, 0.05, [], {"ann-1": 4, "ann-2": 3}, None, None, None, "fewer than two annotators share 5 instances")
    agreement = dataclasses.replace(full_agreement(), humans=humans(unassessable))
    html, markdown = render(tmp_path, agreement)
    assert "Alt-Test not assessable: fewer than two annotators share 5 instances" in html and "PASSED" not in section(html)
    assert "Alt-Test: not assessable: fewer than two annotators share 5 instances" in markdown


def reliability_svg(html: str) -> ET.Element:
    start = html.index("<svg ")
    return ET.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])


def markers(svg: ET.Element, gid: str) -> int:
    group = svg.find(f".//{SVG}g[@id='{gid}']")
    assert group is not None, gid
    return len(group.findall(f".//{SVG}use"))


def test_calibration_figures_and_a_real_reliability_diagram(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, full_agreement())
    part = section(html)
    assert "0.081 (95% CI +0.060 to +0.110) <span class=\"pill warn\">the certificate reads this</span></td><td>0.034" in part
    assert "0.190 (95% CI +0.170 to +0.220)" in part and "5 folds, cross-fitted" in part
    svg = reliability_svg(part)
    assert svg.get("viewBox") and float(svg.get("viewBox", "").split()[2]) > 300
    assert markers(svg, "raw-bins") == 9  # one empty bin of ten: no point for it
    assert markers(svg, "recalibrated-bins") == 10
    assert svg.find(f".//{SVG}g[@id='diagonal']") is not None
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"31", "80", "52", "9"} <= set(labels)  # bin counts written on their bars
    assert "Reliability of the judge's P(A)" in labels
    assert "The certificate reads the raw ECE." in markdown and "| 0.2–0.3 | 0 | — | — | 11 |" in markdown


def test_score_agreement_and_categories(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, full_agreement())
    part = section(html)
    assert "Spearman ρ, judge against the mean human score</th><td>0.61 (95% CI +0.50 to +0.70)</td><td>60</td>" in part
    assert "Human ceiling: weighted κ between two annotators</th><td>0.58" in part
    assert "Scale use, judge: 1 to 10, 6 points used, standard deviation 21.0% of the scale, 34.0% on the most used point" in part
    assert "Scale use, humans: 1 to 5, 5 points used" in markdown
    assert '<th scope="row">safety</th><td>67.0%</td><td class="l">55.0%–77.0%</td><td>62</td><td>0.37</td><td>no annotations</td>' in part
    assert "| helpfulness | 74.0% | 65.0%–82.0% | 80 | 0.45 | 70.0% |" in markdown


def test_the_disagreements_show_the_instance_texts(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, full_agreement())
    part = section(html)
    probes = {p.instance_id: p for p in PROBES if p.condition == CONTROL and p.bias is None and p.order == "chosen_first"}
    for instance_id in disagreeing_ids():
        probe = probes[instance_id]
        assert f"<span>{instance_id}</span>" in part
        assert str(escape(shorten(probe.prompt).preview)) in part and str(escape(shorten(probe.response_a).preview)) in part
        assert str(escape(shorten(probe.response_b).preview)) in part
        assert f"  - chosen: {escape(one_line(probe.response_a))}" in markdown and f"  - rejected: {escape(one_line(probe.response_b))}" in markdown
    assert part.count('<article class="disagreement">') == 3
    assert '<details class="disagreements" open>' in part and "7 instances where the judge's order-averaged verdict differs" in part.replace("&#39;", "'")
    assert "chosen shown first → <b>rejected</b>; chosen shown second → <b>not scored</b>" in part
    assert "4 more not shown (7 in all)." in part and "4 more not shown (7 in all)." in markdown
    assert "human majority (3 of 4)" in markdown


def test_long_texts_are_shortened_in_a_details_element(tmp_path: Path) -> None:
    first = disagreeing_ids()[0]
    long_text = "word " * 299 + "END"
    rows = [
        (dataclasses.replace(p, response_b=long_text) if p.instance_id == first and p.condition == CONTROL and p.correct == "A" else p, j)
        for p, j in control_rows()
    ]
    view = validity_view(full_agreement(), rows)
    texts = view.disagreements[0].texts
    assert texts is not None and texts.rejected.shortened and not texts.prompt.shortened and not texts.chosen.shortened
    assert len(texts.rejected.preview) <= 402 and texts.rejected.preview.endswith(" …")
    write_reports(tmp_path, dataclasses.replace(base_summary(), agreement=full_agreement()), MANIFEST, rows)
    part = section((tmp_path / "report.html").read_text())
    assert f"<details><summary>Rejected response, whole ({len(long_text)} characters)</summary><div class=\"resp\">{long_text}</div></details>" in part
    assert part.count("END") == 1  # the preview stops before the end; the whole text is in the details


def test_a_summary_without_agreement_says_so_and_passes_nothing(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, None)
    part = section(html)
    assert "not assessable: this summary carries no agreement figures" in part
    assert "PASSED" not in part and "<svg" not in part
    assert "not assessable: this summary carries no agreement figures." in markdown


def test_gold_alone_names_why_every_other_figure_is_absent(tmp_path: Path) -> None:
    html, markdown = render(tmp_path, gold_only())
    part = section(html)
    assert "Gold from <b>labels</b>" in part
    assert '<p class="absent">not assessable: the data carries no human annotations</p>' in part
    assert '<p class="absent">not assessable: the judge gives verdicts only (no logprobs)</p>' in part
    assert "not assessable: the judge compares two responses; it scores none alone" in part
    assert "PASSED" not in part and "FAILED" not in part and "<svg" not in part and "confusion" in part
    assert "No instance where the judge disagrees" in part
    for reason in ("the data carries no human annotations", "the judge gives verdicts only (no logprobs)"):
        assert f"not assessable: {reason}." in markdown


def test_missing_figures_inside_a_record_say_why(tmp_path: Path) -> None:
    partial = dataclasses.replace(humans(None), ceiling=None, gap=None, alpha_humans=None, alpha_with_judge=None)
    reasons = {"agreement between annotators": "each instance has a single annotation", "kappa against gold": "all verdicts unscored", "extra": "a reason no part names"}
    no_kappa = dataclasses.replace(gold(), kappa=Estimate(None, (None, None), 0))
    agreement = dataclasses.replace(gold_only(), gold=no_kappa, humans=partial, not_assessable=reasons)
    html, markdown = render(tmp_path, agreement)
    part = section(html)
    assert "Human ceiling: an annotator = another</th><td class=\"l absent\" colspan=\"3\">not assessable: each instance has a single annotation" in part
    assert part.count("not assessable: each instance has a single annotation") == 4  # ceiling, gap and both alphas
    assert "not assessable: fewer than two annotators could be tested" in part  # the Alt-Test, by the usual reason
    assert "(A, B, tie as shown; position-following scores near 0)</th><td class=\"l absent\" colspan=\"3\">not assessable: all verdicts unscored" in part
    assert "- Cohen's κ: not assessable: all verdicts unscored" in markdown.replace("&#39;", "'")
    assert "agreement between annotators" not in part and "kappa against gold" not in part  # named where they belong, not again
    assert "<li>extra: a reason no part names</li>" in part and "- extra: a reason no part names" in markdown


def terminal_text(summary: Summary) -> str:
    buffer = io.StringIO()
    print_summary(summary, "reports/x", Console(file=buffer, width=400, color_system=None))
    return buffer.getvalue()


def test_the_terminal_line_names_the_figures_before_the_bias_table() -> None:
    summary = dataclasses.replace(base_summary(), agreement=full_agreement())
    line = agreement_line(summary)
    assert line == (
        "Validity: accuracy 71.0% [64.2%–77.1%] vs gold (labels) · κ 0.42 · humans: majority 68.3%, ceiling 66.0% "
        "(gap +2.3 points [-3.1 to +7.5]) · Alt-Test PASSED (ω 0.75, ε 0.2) · ECE 0.081 · Spearman 0.61"
    )
    text = terminal_text(summary)
    assert text.index("Validity: accuracy 71.0%") < text.index("Bias audit of")


def test_the_terminal_line_names_what_is_not_assessable() -> None:
    gold_alone = agreement_line(dataclasses.replace(base_summary(), agreement=gold_only()))
    assert gold_alone == "Validity: accuracy 71.0% [64.2%–77.1%] vs gold (labels) · κ 0.42 · not assessable: humans, calibration"
    assert agreement_line(dataclasses.replace(base_summary(), agreement=None)) == "Validity: not assessable (this summary carries no agreement figures)"
    untested = AltTest(0.2, 0.05, [], {}, None, None, None, "one annotator")
    rewards = dataclasses.replace(calibration(), decided_on="recalibrated_ece")
    other = dataclasses.replace(full_agreement(), humans=dataclasses.replace(humans(untested), ceiling=None, gap=None), calibration=rewards, scores=None)
    line = agreement_line(dataclasses.replace(base_summary(), agreement=other, mode="reward"))
    assert line.endswith("humans: majority 68.3% · Alt-Test not assessable · recalibrated ECE 0.034 · not assessable: scores")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: the browser check of the report needs one")
def test_the_validity_section_renders_in_a_real_browser(tmp_path: Path) -> None:
    render(tmp_path, full_agreement())
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"]
    done = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", (tmp_path / "report.html").as_uri()], capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert dom.strip().endswith("</html>"), done.stderr[-2000:]
    assert dom.index('id="validity"') < dom.index('id="bias-verbosity"')
    svg = reliability_svg(section(dom))
    assert markers(svg, "raw-bins") == 9 and markers(svg, "recalibrated-bins") == 10
    assert dom.count('<article class="disagreement">') == 3 and "4 more not shown" in dom
    assert dom.count('<table class="cats confusion">') == 2
