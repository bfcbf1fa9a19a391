"""The ``judgeaudit`` command line. Heavy imports happen inside the commands."""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from judgeaudit import cli_options as opt
from judgeaudit.cli_errors import fail, one_line_errors
from judgeaudit.cli_export import register as register_export
from judgeaudit.cli_import import register as register_import

if TYPE_CHECKING:
    from judgeaudit.config import RunConfig
    from judgeaudit.stats import Summary

app = typer.Typer(
    add_completion=False,
    help="Audit LLM-as-judge systems for bias.",
    pretty_exceptions_show_locals=False,  # locals may hold API keys
)

DEFAULT_OUT = Path("reports")
EXIT_BUDGET = 4
"""``run`` stopped by ``--max-cost``: what was answered is kept, a rerun with a larger budget continues."""


@app.command()
@one_line_errors
def run(
    judge: opt.Judge = "smollm2",
    api_base: opt.ApiBase = None,
    mode: Annotated[Optional[str], typer.Option("--mode", "-m", help="pairwise | pointwise | pairwise-reference | pointwise-reference | reward (default: pairwise; the embedded judge: pointwise, with the reference where every instance has one).")] = None,
    prompt: Annotated[Optional[str], typer.Option("--prompt", help="A built-in prompt (pairwise_verdict, pairwise_json, pointwise_score, ...) or your own prompt file (YAML with user/system/kind, or a Jinja text).")] = None,
    structured: Annotated[bool, typer.Option("--structured", help="Ask an OpenAI-compatible server for the verdict as JSON by schema (with --prompt pairwise_json).")] = False,
    logprobs: opt.Logprobs = True,
    dataset: Annotated[Optional[Path], typer.Option("--dataset", "-d", help="JSONL/JSON/CSV/Parquet file, a datasets save_to_disk folder (FOLDER#SPLIT) or hf:OWNER/NAME, with prompt, chosen, rejected (optional label, annotations); or NAME:PATH for a public layout (judgebench, rewardbench, rewardbench2, rm-bench, llmbar, evalbiasbench, helpsteer2, mt-bench-human), detected when no --field is given.")] = None,
    field_map: Annotated[list[str], typer.Option("--field", help="Field mapping CANONICAL=SOURCE, e.g. prompt=instruction, chosen=conversation_a.1.content, label=preference, annotator=judge.")] = [],  # noqa: B006 - typer's way
    biases: Annotated[list[str], typer.Option("--bias", "-b", help="Biases to audit, e.g. verbosity,authority (repeatable); default: all.")] = [],  # noqa: B006
    dimensions: Annotated[list[str], typer.Option("--dimension", help="Audit every bias of these dimensions, e.g. tone,social.")] = [],  # noqa: B006
    exclude: Annotated[list[str], typer.Option("--exclude", help="Leave these biases out, e.g. position.")] = [],  # noqa: B006
    bias_dirs: Annotated[list[Path], typer.Option("--bias-dir", help="Extra folder of bias YAML files.")] = [],  # noqa: B006
    rewriter: opt.Rewriter = None,
    rewriter_api_base: opt.RewriterApiBase = None,
    rewrite_checks: Annotated[str, typer.Option("--rewrite-check", help="Meaning checks of a rewrite: llm (a second call), numbers (numbers and code kept), both, or none.")] = "llm,numbers",
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", help="Audit N instances, taken round-robin across categories (default: all; 15 for the embedded judge on the bundled sample).")] = None,
    seed: opt.Seed = 0,
    concurrency: opt.Concurrency = 16,
    max_retries: opt.MaxRetries = 5,
    timeout_s: opt.Timeout = 60.0,
    temperature: opt.Temperature = 0.0,
    max_tokens: opt.MaxTokens = 4096,
    alpha: Annotated[float, typer.Option("--alpha", help="FDR level: a bias is BIASED when q < alpha.")] = 0.05,
    alt_epsilon: Annotated[float, typer.Option("--alt-epsilon", min=0.0, max=1.0, help="Alt-Test margin: 0.2 expert annotators, 0.15 skilled, 0.1 crowd workers.")] = 0.2,
    min_instances: Annotated[int, typer.Option("--min-instances", min=1, help="Fewer assessable instances: INCONCLUSIVE.")] = 10,
    sequential: Annotated[bool, typer.Option("--sequential", help="Ask in batches of whole instances and stop each bias as soon as the equivalence test decides it at the policy's margin (anytime-valid: as reliable as asking everything).")] = False,
    batch_instances: Annotated[int, typer.Option("--batch-instances", min=1, help="Instances (prompt groups, where the data groups pairs by prompt) per batch with --sequential.")] = 10,
    policy: Annotated[Optional[Path], typer.Option("--policy", "-p", help="Policy YAML whose margins --sequential stops at (default: the bundled policy).")] = None,
    max_failed_rate: Annotated[float, typer.Option("--max-failed", min=0.0, max=1.0, help="Exit 3 when more calls than this share failed.")] = 0.05,
    out: opt.Out = DEFAULT_OUT,
    cache: opt.Cache = None,
    no_cache: opt.NoCache = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count the probes, calls, tokens and dollars (litellm's offline price table), call nothing.")] = False,
    rpm: Annotated[Optional[float], typer.Option("--rpm", min=0.001, help="Requests per minute allowed to this provider key and model (shared by runs in this process).")] = None,
    tpm: Annotated[Optional[float], typer.Option("--tpm", min=1, help="Tokens per minute allowed to this provider key and model.")] = None,
    max_cost_usd: Annotated[Optional[float], typer.Option("--max-cost", min=0.0, help="Stop asking before the calls would cost more than this many dollars (litellm's price table); rerun with a larger budget to continue.")] = None,
    batch: Annotated[bool, typer.Option("--batch", help="Ask through the provider's batch API (OpenAI Batch, Anthropic Message Batches; about half the price, answers within 24 h). Rerun to resume polling.")] = False,
    poll_interval_s: Annotated[float, typer.Option("--poll-interval", min=0.01, help="Seconds between polls of a provider batch.")] = 60.0,
) -> None:
    """Audit a judge: place each cue on the worse and the better response, with a placebo and a repeat,
    ask every probe in both orders, and measure the pull toward each cue. Rerun the same command to resume.

    Exit codes: 0 the audit completed (whatever it found); 2 bad input or a judge that cannot be used;
    3 nothing assessable or too many failed calls (outputs are still written); 4 the --max-cost budget
    stopped it (answers so far are kept: rerun with a larger budget to continue); 130 interrupted.
    """
    import asyncio

    from judgeaudit.auditing import run_audit
    from judgeaudit.engine import default_cache_path
    from judgeaudit.engine.budget import BudgetReached
    from judgeaudit.judges import DEFAULT_JUDGE
    from judgeaudit.prepare import EMBEDDED_SAMPLE_LIMIT
    from judgeaudit.report.progress import AuditProgress
    from judgeaudit.report.terminal import print_summary

    try:
        config = _run_config(locals())
        cache_path = None if no_cache else (cache or default_cache_path())
        if dry_run:
            _print_dry_run(config, out, cache_path)
            return
        note = None
        if judge == DEFAULT_JUDGE and dataset is None and limit is None:
            note = (
                f"embedded judge on the bundled sample: {EMBEDDED_SAMPLE_LIMIT} instances (3 per category) for every bias "
                "by default, pass --limit N (up to 65) for more; asked pointwise with the reference answer, its least "
                "degenerate formulation (pairwise it answers A to every pair: --mode pairwise to see it)"
            )
        with AuditProgress(note=note) as progress:
            result = asyncio.run(
                run_audit(config, out, cache_path, on_start=progress.start, on_answer=progress.advance, on_total=progress.set_total)
            )
    except BudgetReached as exc:
        fail(str(exc), code=EXIT_BUDGET)
    except KeyboardInterrupt:
        typer.echo("interrupted: answers so far are kept; rerun the same command to resume", err=True)
        raise typer.Exit(code=130) from None
    print_summary(result.summary, str(result.run_dir))
    _exit_if_incomplete(result.summary, max_failed_rate)


def _run_config(params: dict[str, Any]) -> RunConfig:
    """The RunConfig from the parsed options of ``run`` (also what ``plan`` parses)."""
    from judgeaudit.biases.rewrite import parse_checks
    from judgeaudit.config import RunConfig
    from judgeaudit.datasets import parse_field_map

    return _config(
        RunConfig, params, field_map=parse_field_map(params["field_map"]), rewrite_checks=parse_checks(params["rewrite_checks"])
    )


_C = TypeVar("_C")


def _config(kind: type[_C], params: dict[str, Any], **parsed: Any) -> _C:
    """A config dataclass from the options named as its fields (paths as text, lists as tuples) and
    the values ``parsed`` from the others."""
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]

    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return tuple(plain(item) for item in value)
        return str(value) if isinstance(value, Path) else value

    return kind(**{name: plain(value) for name, value in params.items() if name in names} | parsed)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@one_line_errors
def plan(
    ctx: typer.Context,
    pilot: Optional[Path] = typer.Option(None, "--pilot", help="A finished run whose per-instance effects (and token counts) stand for the judge's."),
    power: float = typer.Option(0.8, "--power", help="The chance the planned audit reaches its decision."),
    detect: float = typer.Option(0.10, "--detect", help="The effect the BIASED test should detect."),
    assume_effect: float = typer.Option(0.0, "--assume-effect", help="Without a pilot: each bias's true effect."),
    assume_sd: float = typer.Option(0.3, "--assume-sd", help="Without a pilot: the per-instance effects' standard deviation."),
    answer_tokens: int = typer.Option(200, "--answer-tokens", help="Without a pilot: tokens a text judge writes per answer."),
) -> None:
    """Per bias, the instances needed to certify it below the policy's δ, or to detect an effect, at a
    given power, and what that costs in calls, tokens and dollars, before any call. Takes every option
    of `judgeaudit run` (judge, dataset, biases, --policy, ...)."""
    import click

    from judgeaudit.planning import plan_audit
    from judgeaudit.report.plan_view import print_plan
    from judgeaudit.stats.power import EffectModel

    run_command = typer.main.get_command(app).get_command(ctx, "run")  # type: ignore[attr-defined]
    try:
        params = run_command.make_context("judgeaudit plan", list(ctx.args)).params
    except click.ClickException as exc:
        fail(exc.format_message())
    audit_plan = plan_audit(
        _run_config(params), params["out"], pilot, power, detect, EffectModel(mean=assume_effect, sd=assume_sd), answer_tokens
    )
    print_plan(audit_plan)


def _print_dry_run(config: "RunConfig", out: Path, cache_path: Optional[Path]) -> None:
    from judgeaudit.planning import run_cost

    cost = run_cost(config, out, cache_path)
    price = f"${cost.dollars:,.2f} ({cost.prices.source})" if cost.prices.known else f"$? ({cost.prices.source})"
    typer.echo(
        f"dry run: {cost.instances} instances, {cost.biases} biases, {cost.probes} probes, {cost.requests} requests "
        f"({cost.already_answered} already answered, free); to ask: {cost.requests - cost.already_answered} calls, "
        f"about {cost.prompt_tokens:,} prompt + {cost.completion_tokens:,} answer tokens, {price}"
        + (f"; first {cost.rewrites} LLM rewrites and their meaning checks (not priced here)" if cost.rewrites else "")
        + ". Nothing was called."
    )


def _exit_if_incomplete(summary: Summary, max_failed: float) -> None:
    """Exit 3 with one line when the audit could not assess anything or too many calls failed."""
    calls = summary.calls
    if not summary.assessable:
        typer.echo("error: nothing could be assessed: no bias has a scored answer for any instance", err=True)
        raise typer.Exit(code=3)
    if calls.total and calls.failed / calls.total > max_failed:
        typer.echo(
            f"error: {calls.failed} of {calls.total} judge calls failed (more than {100 * max_failed:g}%); "
            "the outputs are written, rerun the same command to retry the failed calls",
            err=True,
        )
        raise typer.Exit(code=3)


@app.command()
@one_line_errors
def report(run_dir: Path = typer.Argument(..., help="A run folder, e.g. reports/<run-id>.")) -> None:
    """Rebuild summary.json, report.html and report.md from a run folder, without calling any judge."""
    from judgeaudit.auditing import rebuild
    from judgeaudit.report.terminal import print_summary

    summary = rebuild(run_dir)
    print_summary(summary, str(run_dir))


@app.command()
@one_line_errors
def certify(
    run_dir: Path = typer.Argument(..., help="A finished run folder, e.g. reports/<run-id>."),
    policy: Optional[Path] = typer.Option(None, "--policy", "-p", help="Policy YAML (default: the bundled policy, see README)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the certificate (default: RUN/certificate.json)."),
) -> None:
    """Decide PASS / FAIL / INCONCLUSIVE per bias and overall under a policy, write certificate.json,
    and exit 0 / 1 / 2 accordingly (a deployment gate can run exactly this)."""
    from judgeaudit.certification import build_certificate, load_policy, write_certificate
    from judgeaudit.report.certificate_view import print_certificate

    certificate = build_certificate(run_dir, load_policy(policy))
    path = write_certificate(run_dir, certificate, out)
    print_certificate(certificate, str(path))
    raise typer.Exit(code=certificate["exit_code"])


@app.command()
@one_line_errors
def verify(
    certificate: Path = typer.Argument(..., help="A certificate.json."),
    run_dir: Path = typer.Argument(..., help="The run folder it claims to certify."),
) -> None:
    """Check that a certificate matches its run: the run's files are the certified ones and its
    decisions follow from them under the certificate's policy. Exit 0 if so, 1 if not."""
    from judgeaudit.certification import verify as verify_certificate

    problems = verify_certificate(certificate, run_dir)
    for problem in problems:
        typer.echo(f"mismatch: {problem}", err=True)
    if problems:
        raise typer.Exit(code=1)
    typer.echo(f"{certificate} matches {run_dir}")


@app.command()
@one_line_errors
def compare(
    run_a: Path = typer.Argument(..., help="The first run folder (A)."),
    run_b: Path = typer.Argument(..., help="The second run folder (B)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for compare.html and compare.json (default: reports/compare__A__B)."),
    alpha: float = typer.Option(0.05, "--alpha", help="FDR level across biases for calling a difference."),
) -> None:
    """Two judges, or two versions of one judge or prompt, on the same probes: per bias, which is less
    biased, by a paired test over the instances both runs assessed."""
    from judgeaudit.certification.compare import compare_runs
    from judgeaudit.report.compare_view import print_comparison, write_comparison

    comparison = compare_runs(run_a, run_b, alpha)
    page = write_comparison(comparison, out or DEFAULT_OUT / f"compare__{run_a.name}__{run_b.name}")
    print_comparison(comparison, page)


@app.command()
@one_line_errors
def needle(
    judge: opt.Judge = "smollm2",
    api_base: opt.ApiBase = None,
    mode: Annotated[Optional[str], typer.Option("--mode", "-m", help="pairwise (both orders) | pointwise | reward (default: pairwise; the embedded judge: pointwise).")] = None,
    material: Annotated[list[Path], typer.Option("--material", help="Your long-form JSONL (prompt, long response, modifications); default: the bundled material.")] = [],  # noqa: B006
    buckets: Annotated[str, typer.Option("--buckets", help="Response lengths in words.")] = "300,800,1500,3000",
    bins: Annotated[int, typer.Option("--bins", min=2, help="Position bins.")] = 8,
    per_cell: Annotated[Optional[int], typer.Option("--per-cell", min=1, help="Trials per (length, position) cell (default 10; the embedded judge 1).")] = None,
    seed: opt.Seed = 0,
    context_tokens: Annotated[Optional[int], typer.Option("--context", min=256, help="Context tokens of a local GGUF model (default 8192 for the embedded judge).")] = None,
    rewriter: opt.Rewriter = None,
    rewriter_api_base: opt.RewriterApiBase = None,
    rewrite_checks: Annotated[str, typer.Option("--rewrite-check", help="llm (a second call must pick out the false sentence) or none (format checks only).")] = "llm",
    concurrency: opt.Concurrency = 16,
    max_retries: opt.MaxRetries = 5,
    timeout_s: opt.Timeout = 60.0,
    temperature: opt.Temperature = 0.0,
    max_tokens: opt.MaxTokens = 4096,
    logprobs: opt.Logprobs = True,
    out: opt.Out = DEFAULT_OUT,
    cache: opt.Cache = None,
    no_cache: opt.NoCache = False,
) -> None:
    """Needle in a haystack: plant one error (and, for the better response, a true passage instead) at
    controlled positions in long responses of several lengths, and measure where the judge misses it."""
    import asyncio

    from judgeaudit.engine import default_cache_path
    from judgeaudit.needle.run import NeedleConfig, run_needle
    from judgeaudit.report.needle_view import print_needle, write_needle_report
    from judgeaudit.report.progress import AuditProgress

    try:
        lengths = tuple(int(b) for b in buckets.split(",") if b.strip())
    except ValueError:
        fail(f"--buckets must be whole numbers of words separated by commas, got {buckets!r}")
    config = _config(NeedleConfig, locals(), buckets=lengths, rewrite_checks=() if rewrite_checks == "none" else ("llm",))
    try:
        with AuditProgress() as progress:
            result = asyncio.run(run_needle(config, out, None if no_cache else (cache or default_cache_path()), progress.start, progress.advance))
        write_needle_report(result)
    except KeyboardInterrupt:
        typer.echo("interrupted: answers so far are kept; rerun the same command to resume", err=True)
        raise typer.Exit(code=130) from None
    print_needle(result)


cache_app = typer.Typer(help="The response cache shared by all runs: its size, and removing entries.")
app.add_typer(cache_app, name="cache")
_CACHE_HELP = "SQLite cache file (default: $JUDGEAUDIT_CACHE or ~/.cache/judgeaudit/responses.sqlite)."
_DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _open_cache(path: Optional[Path]):  # noqa: ANN202 - the return type is imported lazily
    from judgeaudit.engine import ResponseCache, default_cache_path

    return ResponseCache(path or default_cache_path())


@cache_app.command("stats")
@one_line_errors
def cache_stats(cache: Optional[Path] = typer.Option(None, "--cache", help=_CACHE_HELP)) -> None:
    """Entries, size on disk, age, and entries per judge."""
    from datetime import datetime, timezone

    stats = _open_cache(cache).stats()

    def when(stamp: float | None) -> str:
        return "–" if stamp is None else datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")

    typer.echo(f"{stats['path']}: {stats['entries']} entries, {stats['bytes'] / 1e6:.1f} MB; oldest {when(stats['oldest'])}, newest {when(stats['newest'])}")
    for row in stats["by_model"]:
        typer.echo(f"  {row['entries']:>8}  {row['backend']}:{row['model']}")


@cache_app.command("clear")
@one_line_errors
def cache_clear(
    cache: Optional[Path] = typer.Option(None, "--cache", help=_CACHE_HELP),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete every cached answer (run folders keep theirs: a rerun resumes from its journal)."""
    store = _open_cache(cache)
    if not yes and not typer.confirm(f"delete all {len(store)} cached answers in {store.path}?"):
        raise typer.Exit(code=1)
    typer.echo(f"deleted {store.clear()} cached answers")


@cache_app.command("prune")
@one_line_errors
def cache_prune(
    older_than: str = typer.Option(..., "--older-than", help="An age such as 30d, 12h, 90m or 2w."),
    cache: Optional[Path] = typer.Option(None, "--cache", help=_CACHE_HELP),
) -> None:
    """Delete the answers cached longer ago than an age."""
    number, unit = older_than[:-1], older_than[-1:]
    if unit not in _DURATION or not number.replace(".", "", 1).isdigit():
        fail(f"--older-than must be a number followed by s, m, h, d or w (e.g. 30d), got {older_than!r}")
    typer.echo(f"deleted {_open_cache(cache).prune(float(number) * _DURATION[unit])} cached answers older than {older_than}")


biases_app = typer.Typer(help="The bias taxonomy: list it, or show one bias with a before/after example.")
app.add_typer(biases_app, name="biases")
_BIAS_DIR_HELP = "Extra folder of bias YAML files (adds or overrides biases by name)."


def _registry(bias_dir: list[Path]):  # noqa: ANN202 - the return type is imported lazily
    from judgeaudit.biases import load_registry

    return load_registry(bias_dir)


@biases_app.command("list")
@one_line_errors
def list_biases(bias_dir: list[Path] = typer.Option([], "--bias-dir", help=_BIAS_DIR_HELP)) -> None:
    """A table of every bias, grouped by dimension."""
    from rich.console import Console

    from judgeaudit.report.taxonomy import taxonomy_table

    Console().print(taxonomy_table(_registry(bias_dir)))


@biases_app.command("show")
@one_line_errors
def show_bias(
    name: str = typer.Argument(..., help="A bias name (see `judgeaudit biases list`)."),
    bias_dir: list[Path] = typer.Option([], "--bias-dir", help=_BIAS_DIR_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed of the wording drawn for the example."),
) -> None:
    """A bias's description, method and references, and its cue on one bundled instance, highlighted."""
    from rich.console import Console

    from judgeaudit.biases import select_biases
    from judgeaudit.biases.preview import preview
    from judgeaudit.datasets import load_instances, sample_path
    from judgeaudit.report.taxonomy import bias_panel

    (spec,) = select_biases(_registry(bias_dir), [name])
    example = preview(spec, load_instances(sample_path()), seed)
    Console().print(bias_panel(spec, example))


register_import(app)
register_export(app)


def main() -> None:
    """Entry point of the ``judgeaudit`` script."""
    try:
        app()
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
