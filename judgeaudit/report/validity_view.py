"""What the Validity section shows: the Summary's agreement records as text, why each absent figure is
absent, the reliability diagram, and the disagreements beside their texts. Formatting only."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from judgeaudit.report.formatting import interval, pct
from judgeaudit.schema import CONTROL, Judgment, Probe
from judgeaudit.stats.records import Agreement, AltTest, Disagreement, Estimate, Rate, ReliabilityBin, ScaleUse

REASONS: dict[str, tuple[tuple[str, ...], str]] = {
    "agreement": ((), "this summary carries no agreement figures"),
    "gold": (("gold", "gold agreement"), "no instance has a gold label"),
    "gold_kappa": (("gold_kappa", "kappa against gold"), "the gold labels and the verdicts never differ in class, or are all unscored"),
    "humans": (("humans", "human agreement"), "the data carries no human annotations"),
    "human_kappa": (("human_kappa", "kappa against the majority"), "no instance has a majority label"),
    "ceiling": (("ceiling", "agreement between annotators"), "no instance has two or more human annotations"),
    "gap": (("gap", "agreement between annotators"), "no instance has two or more human annotations"),
    "alpha": (("alpha", "agreement between annotators"), "too few annotations to compute it"),
    "alt_test": (("alt_test", "Alt-Test"), "fewer than two annotators could be tested"),
    "scores": (("scores", "score agreement"), "the judge does not score each response alone, or the data carries no human scores"),
    "human_weighted_kappa": (("human_weighted_kappa",), "no response has two human scores"),
    "calibration": (("calibration",), "the judge gives verdicts only, no probabilities"),
}
"""Per figure: the names the summary's ``not_assessable`` may give it, and why it is absent where it does not say."""
ORDER_NAMES = {"chosen_first": "chosen shown first", "chosen_second": "chosen shown second"}
PREVIEW_CHARS = 400


def number(value: float | None, digits: int = 2) -> str:
    """A statistic with ``digits`` decimals; an em dash when there is none."""
    return "—" if value is None else f"{value:.{digits}f}"


def estimate(value: Estimate, digits: int = 2) -> str:
    """A statistic with its 95% interval, e.g. '0.42 (95% CI +0.31 to +0.53)'."""
    if value.value is None:
        return "—"
    return f"{number(value.value, digits)} (95% CI {interval(value.ci, digits=digits)})"


def rate(value: Rate) -> str:
    """A share with its 95% interval and instance count."""
    return f"{pct(value.rate)} (95% CI {interval(value.ci, True)}, {value.n_instances} instances)"


def points_ci(value: Estimate) -> str:
    """The 95% interval of a difference of two shares, in percentage points."""
    low, high = value.ci
    return "—" if low is None or high is None else interval((100 * low, 100 * high), digits=1)


def points(value: Estimate) -> str:
    """A difference of two shares in percentage points with its 95% interval."""
    return "—" if value.value is None else f"{100 * value.value:+.1f} points (95% CI {points_ci(value)})"


def scale_use(use: ScaleUse) -> str:
    """How a rater uses its scale, in words."""
    return (
        f"{use.low:g} to {use.high:g}, {use.points_used} points used, standard deviation {pct(use.sd_share)} of the scale, "
        f"{pct(use.top_share)} on the most used point"
    )


def alt_verdict(test: AltTest) -> str:
    """PASSED, FAILED or not assessable."""
    return "not assessable" if test.passed is None else "PASSED" if test.passed else "FAILED"


@dataclass(frozen=True)
class Text:
    """A text as shown: whole, and its start where it is long."""

    full: str
    preview: str

    @property
    def shortened(self) -> bool:
        return self.preview != self.full


def shorten(text: str, limit: int = PREVIEW_CHARS) -> Text:
    """The text, its preview cut at a word boundary before ``limit`` characters with an ellipsis."""
    if len(text) <= limit:
        return Text(text, text)
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return Text(text, cut.rstrip() + " …")


def one_line(text: str, limit: int = 160) -> str:
    """The text on one line (runs of white space as one space), cut with an ellipsis after ``limit`` characters."""
    return shorten(re.sub(r"\s+", " ", text).strip(), limit).preview


@dataclass(frozen=True)
class Texts:
    """What the judge was shown of an instance: the prompt, the chosen and the rejected response."""

    prompt: Text
    chosen: Text
    rejected: Text


@dataclass(frozen=True)
class ShownDisagreement:
    """A disagreement with its instance's texts (None where the run's rows lack its control probe)."""

    record: Disagreement
    texts: Texts | None

    @property
    def verdicts(self) -> dict[str, str]:
        """The judge's verdict in each order, in words."""
        return {ORDER_NAMES[order]: verdict or "not scored" for order, verdict in zip(ORDER_NAMES, self.record.verdicts, strict=True)}


@dataclass(frozen=True)
class ValidityView:
    """Everything the Validity section renders."""

    agreement: Agreement | None
    reliability_svg: Markup | None
    disagreements: list[ShownDisagreement]

    def why(self, key: str) -> str:
        """'not assessable: <reason>' for a figure: the summary's reason, else the usual one."""
        names, usual = REASONS[key]
        given = self.agreement.not_assessable if self.agreement else {}
        reason = next((given[name] for name in names if given.get(name)), usual)
        return reason if reason.lower().startswith("not assessable") else f"not assessable: {reason}"

    @property
    def more_disagreements(self) -> int:
        """Disagreements counted but not listed."""
        return self.agreement.n_disagreements - len(self.disagreements) if self.agreement else 0

    @property
    def other_reasons(self) -> dict[str, str]:
        """The summary's not-assessable figures that no part of the section names."""
        named = {name for names, _ in REASONS.values() for name in names}
        return {key: why for key, why in (self.agreement.not_assessable.items() if self.agreement else ()) if key not in named}


def _control_texts(rows: Iterable[tuple[Probe, Judgment]], wanted: set[str]) -> dict[str, Texts]:
    """Per wanted instance, the texts of its control probe (the chosen-first one where both were asked)."""
    texts: dict[str, Texts] = {}
    for probe, _ in rows:
        if probe.instance_id not in wanted or probe.condition != CONTROL or probe.bias is not None or probe.replicate != 0:
            continue
        if probe.instance_id in texts and probe.order != "chosen_first":
            continue
        chosen, rejected = (probe.response_a, probe.response_b) if probe.correct == "A" else (probe.response_b, probe.response_a)
        texts[probe.instance_id] = Texts(shorten(probe.prompt), shorten(chosen), shorten(rejected))
    return texts


def _points(bins: list[ReliabilityBin]) -> tuple[list[float], list[float]]:
    """The stated probability and the observed frequency of each non-empty bin."""
    pairs = [(b.mean_p, b.frequency) for b in bins if b.n and b.mean_p is not None and b.frequency is not None]
    return [p for p, _ in pairs if p is not None], [f for _, f in pairs if f is not None]


def reliability_svg(raw: list[ReliabilityBin], recalibrated: list[ReliabilityBin], target: str) -> Markup:
    """The reliability diagram as inline SVG (matplotlib): the diagonal, the raw and the recalibrated bins
    (groups ``diagonal``, ``raw-bins``, ``recalibrated-bins``: one marker per non-empty bin), and below,
    each bin's probe count as a labelled bar (raw left, recalibrated right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "judgeaudit-reliability", "font.size": 9}):
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(5.6, 5.4), height_ratios=(3, 1.1), sharex=True)
        top.plot([0, 1], [0, 1], linestyle="--", color="#9aa3b2", label="perfectly calibrated", gid="diagonal")
        for bins, name, color, marker, side in ((raw, "raw", "#c62828", "o", -1), (recalibrated, "recalibrated", "#3b5bdb", "s", 1)):
            x, y = _points(bins)
            top.plot(x, y, color=color, marker=marker, label=f"{name} bins", gid=f"{name}-bins")
            filled = [b for b in bins if b.n]
            bars = bottom.bar(
                [(b.low + b.high) / 2 + side * (b.high - b.low) / 5 for b in filled],
                [b.n for b in filled],
                width=[(b.high - b.low) * 0.4 for b in filled],
                color=color,
                alpha=0.75,
                label=name,
                gid=f"{name}-counts",
            )
            bottom.bar_label(bars, fontsize=7)
        top.set(xlim=(0, 1), ylim=(0, 1), ylabel=f"share where A is right ({target})", title="Reliability of the judge's P(A)")
        top.legend(loc="upper left", fontsize=8)
        bottom.set(xlabel="stated probability that A is better, P(A)", ylabel="probes per bin")
        bottom.margins(y=0.35)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(figure)
    svg = buffer.getvalue()
    return Markup(svg[svg.index("<svg") :].replace("<svg ", '<svg class="plot" aria-hidden="true" focusable="false" ', 1))


def validity_view(agreement: Agreement | None, rows: Iterable[tuple[Probe, Judgment]]) -> ValidityView:
    """The Validity section of a summary's agreement, with the listed disagreements' texts from the run's rows."""
    if agreement is None:
        return ValidityView(None, None, [])
    texts = _control_texts(rows, {d.instance_id for d in agreement.disagreements})
    calibration = agreement.calibration
    diagram = reliability_svg(calibration.bins, calibration.recalibrated_bins, calibration.target) if calibration else None
    return ValidityView(agreement, diagram, [ShownDisagreement(d, texts.get(d.instance_id)) for d in agreement.disagreements])
