"""The terminal summary: one rich table of biases, the noise floor, then the call accounting."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from judgeaudit.report.formatting import interval, ordered_biases, pct, pval, signed
from judgeaudit.report.validity_view import alt_verdict, number, points_ci
from judgeaudit.stats import Summary
from judgeaudit.stats.records import AltTest, Grouping, HeadlineScore

_STATUS_STYLE = {"BIASED": "[bold red]BIASED[/]", "INCONCLUSIVE": "[yellow]INCONCLUSIVE[/]", "NOT_DETECTED": "[green]not detected[/]"}


def bias_table(summary: Summary) -> Table:
    """The per-bias statistics as a rich table: BIASED first, then INCONCLUSIVE."""
    table = Table(title=f"Bias audit of {summary.judge} on {summary.dataset}, {summary.mode}", title_justify="left")
    for header, justify in (
        ("bias", "left"),
        ("status", "left"),
        ("n", "right"),
        ("cue itself [95% CI]", "right"),
        ("total", "right"),
        ("placebo's", "right"),
        ("flips", "right"),
        ("acc ctrl→cue", "right"),
        ("q", "right"),
    ):
        table.add_column(header, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for name, b in ordered_biases(summary):
        table.add_row(
            name,
            _STATUS_STYLE[b.status],
            str(b.n_instances),
            f"{signed(b.effect, 2)} [{interval(b.effect_ci, digits=2)}]",
            signed(b.total_pull.mean, 2) if b.total_pull else "–",
            signed(b.edit_pull.mean, 2) if b.edit_pull else "–",
            pct(b.flip_rate),
            f"{pct(b.accuracy_control)}→{pct(b.accuracy_perturbed)}",
            pval(b.q_value),
        )
    return table


def print_summary(summary: Summary, run_dir: str, console: Console | None = None) -> None:
    """Print the bias table, each finding, the judge-level views, the call accounting, the overall
    verdict and where the outputs are."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=130)
    if summary.grouping is not None:
        console.print(grouping_line(summary.grouping, summary.n_instances))
    console.print(agreement_line(summary))
    if summary.headline is not None:
        console.print(headline_line(summary.headline))
    console.print(bias_table(summary))
    for name, b in ordered_biases(summary):
        if b.status != "NOT_DETECTED" or b.direction == "away":
            console.print(f"  {name}: {escape(b.finding)}")
    for name, why in summary.skipped_biases.items():
        console.print(f"  [yellow]{name}: not run[/] — {escape(why)}")
    for line in (_sequential_line(summary), _position_line(summary), _length_line(summary)):
        if line:
            console.print(line)
    if summary.edits:
        console.print(_edits_line(summary.edits))
        for finding in summary.edits.findings:
            console.print(f"  [yellow]{escape(finding)}[/]")
    for line in (_validity_line(summary), *_calls_lines(summary), _verdict_line(summary), _not_right_line(summary)):
        if line:
            console.print(line)
    console.print(f"report: {run_dir}/report.html")


def agreement_line(summary: Summary) -> str:
    """One line on whether the judge is right: gold, humans, Alt-Test, calibration, scores, as far as they exist."""
    agreement = summary.agreement
    if agreement is None:
        return "Validity: not assessable (this summary carries no agreement figures)"
    parts, absent = [], []
    if agreement.gold:
        gold = agreement.gold
        parts.append(f"accuracy {pct(gold.accuracy.rate)} [{interval(gold.accuracy.ci, True)}] vs gold ({escape(gold.source)}) · κ {number(gold.kappa.value)}")
    humans = agreement.humans
    if humans:
        ceiling = f", ceiling {pct(humans.ceiling.rate)}" if humans.ceiling else ""
        gap = f" (gap {signed(100 * humans.gap.value, 1)} points [{points_ci(humans.gap)}])" if humans.gap and humans.gap.value is not None else ""
        parts.append(f"humans: majority {pct(humans.majority.rate)}{ceiling}{gap}")
        parts.append(_alt_test_part(humans.alt_test))
    calibration = agreement.calibration
    if calibration:
        recalibrated = calibration.decided_on == "recalibrated_ece"
        error = calibration.recalibrated_ece if recalibrated else calibration.ece
        parts.append(f"{'recalibrated ' if recalibrated else ''}ECE {number(error.value, 3)}")
    if agreement.scores:
        parts.append(f"Spearman {number(agreement.scores.spearman.value)}")
    for name, record in (("gold", agreement.gold), ("humans", humans), ("calibration", calibration)):
        if record is None:
            absent.append(name)
    if agreement.scores is None and summary.mode != "pairwise":
        absent.append("scores")
    if absent:
        parts.append(f"not assessable: {', '.join(absent)}")
    return "Validity: " + " · ".join(parts)


def grouping_line(grouping: Grouping, n_instances: int) -> str:
    """What the statistics count where several pairs share a prompt."""
    return (
        f"Units: {n_instances} instances in {grouping.n_units} units ({grouping.n_groups} prompt groups, up to {grouping.largest} "
        "pairs each): every interval and test counts units, not pairs, and so does the bias table's n"
    )


def headline_line(score: HeadlineScore) -> str:
    """One line of a public benchmark's own headline metric and the parts its leaderboard lists."""
    parts = " · ".join(f"{escape(name)} {pct(value)}" for name, value in score.parts.items())
    return f"{escape(score.benchmark)}, its own metric ({escape(score.metric)}): {pct(score.score)}" + (f" · {parts}" if parts else "")


def _alt_test_part(test: AltTest | None) -> str:
    if test is None or test.passed is None:
        return "Alt-Test not assessable"
    return f"Alt-Test {alt_verdict(test)} (ω {number(test.winning_rate)}, ε {test.epsilon:g})"


def _sequential_line(summary: Summary) -> str | None:
    sequential = summary.sequential
    if not sequential:
        return None
    stops = ", ".join(f"{name} {stop['state'].replace('_', ' ').lower()} after {stop['after_instances']}" for name, stop in sequential["stopped"].items())
    return (
        f"sequential (policy {sequential['policy']}, batches of {sequential['batch_instances']}): "
        f"{sequential['requests_asked']} of {sequential['requests_fixed_design']} requests asked"
        + (f"; stopped: {stops}" if stops else "; no bias decided early")
    )


def _position_line(summary: Summary) -> str | None:
    p = summary.position
    if not p:
        return None
    return (
        f"position (unchanged pairs, {p.n_pairs} instances): consistency {pct(p.consistency.rate)} · primacy "
        f"{pct(p.primacy.rate)} · recency {pct(p.recency.rate)} · preference fairness {p.preference_fairness.mean:+.2f}"
        + (f" · repetition stability {pct(p.repetition_stability.mean)}" if p.repetition_stability else "")
    )


def _length_line(summary: Summary) -> str | None:
    length = summary.length
    if not length:
        return None
    return (
        f"length, observed: the preference moves {length.slope:+.3f} (95% CI {length.slope_ci[0]:+.3f} to "
        f"{length.slope_ci[1]:+.3f}) per unit of length advantage; {pct(length.length_controlled_preference)} at equal length"
    )


def _edits_line(edits: Any) -> str:
    return (
        f"edits without a cue: edit pull {edits.edit_pull.mean:+.3f} (p={pval(edits.edit_p)})"
        + (f" · size pull {edits.size_pull.mean:+.3f} (p={pval(edits.size_p)})" if edits.size_pull else "")
        + (f" · the size-free edit changes {pct(edits.fragility.rate)} of verdicts" if edits.fragility else "")
    )


def _validity_line(summary: Summary) -> str | None:
    validity = summary.validity
    if not validity:
        return None
    consistency = f" · position consistency {pct(validity.position_consistency.rate)}" if validity.position_consistency else ""
    return (
        f"is it right? accuracy {pct(validity.accuracy.rate)} (95% CI {interval(validity.accuracy.ci, True)}, "
        f"{validity.accuracy.n_instances} {'units' if summary.grouping else 'instances'}) · ties {pct(validity.tie_rate.rate)}{consistency} · readout {validity.readout} "
        "(effects on verdicts)"
    )


def _calls_lines(summary: Summary) -> list[str]:
    calls = summary.calls
    lines = [
        f"requests {calls.total} "
        f"(cached {calls.cached}, failed {calls.failed}, unparseable {calls.unparseable}, truncated {calls.truncated}) · "
        f"cost ${summary.cost_usd:.4f}"
    ]
    invocation = summary.this_invocation
    if invocation:
        tokens = invocation.get("prompt_tokens", 0) + invocation.get("completion_tokens", 0)
        lines.append(
            f"this run: {invocation['judge_calls']} judge calls, {invocation['cache_hits']} cache hits, "
            f"{invocation['resumed_from_journal']} resumed, {invocation['retries']} retries"
            + (f", {tokens:,} tokens, ${invocation.get('cost_usd', 0.0):.4f}" if tokens else "")
        )
    return lines


def _verdict_line(summary: Summary) -> str:
    grouped = summary.by_status
    if grouped["BIASED"]:
        verdict = f"biased (the preference moves with the cue, q < {summary.alpha}): {', '.join(grouped['BIASED'])}"
    elif not summary.assessable:
        verdict = "nothing could be assessed"
    else:
        verdict = "no bias detected (see the intervals for how large a pull is still possible)"
    if grouped["INCONCLUSIVE"]:
        verdict += f"; inconclusive: {', '.join(grouped['INCONCLUSIVE'])}"
    return f"[bold]{verdict}[/]"


def _not_right_line(summary: Summary) -> str | None:
    validity = summary.validity
    if not (validity and validity.accuracy.ci[0] is not None and validity.accuracy.ci[0] <= 0.5):
        return None
    return (
        f"[bold red]not shown to be right:[/] the better response wins {pct(validity.accuracy.rate)} of the unchanged pairs "
        f"(95% CI {interval(validity.accuracy.ci, True)}), no better than a coin as far as these instances show"
    )
