"""The ``judgeaudit import`` command: ``register(app)`` adds it to a typer app."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from judgeaudit.cli_errors import one_line_errors
from judgeaudit.errors import JudgeAuditError


def audit_command(verdicts: Path, dataset: Path, biases: tuple[str, ...], failures: int) -> str:
    """The one command that audits the imported files. Failed calls recorded in a log cannot be asked
    again, so where there are some the run is told to accept them (they are still counted as failed)."""
    accept = ["--max-failed", "1"] if failures else []
    return shlex.join([
        "judgeaudit", "run", "--judge", f"replay:{verdicts}", "--dataset", str(dataset), "--mode", "pairwise", "--bias", ",".join(biases), *accept,
    ])


def _options(kind: str, answers: Optional[Path], questions: Optional[Path], references: Optional[Path], provider: Optional[str],
             order: Optional[str], seed: int) -> dict[str, Any]:
    """The options ``kind``'s reader takes; one given to another kind is an error."""
    given = {"--answers": answers, "--questions": questions, "--references": references, "--provider": provider, "--order": order}
    takes = {"mt-bench": ("--answers", "--questions", "--references"), "promptfoo": ("--provider",), "alpacaeval": ("--order",)}.get(kind, ())
    stray = [name for name, value in given.items() if value is not None and name not in takes]
    if stray:
        raise JudgeAuditError(f"{', '.join(stray)} do not apply to {kind} logs")
    options: dict[str, Any] = {name.lstrip("-"): value for name, value in given.items() if name in takes}
    if kind == "alpacaeval":
        options = {"order": order or "seeded", "seed": seed}
    return options


def register(app: typer.Typer) -> None:
    """Add ``import`` to ``app``."""

    @app.command("import")
    @one_line_errors
    def import_log(
        kind: Annotated[str, typer.Argument(help="mt-bench | judgebench | alpacaeval | promptfoo | inspect")],
        file: Annotated[Path, typer.Argument(help="The log: gpt-4_pair.jsonl, outputs/*.jsonl, annotations.json, results.json, a .eval log.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for dataset.jsonl and verdicts.jsonl.")] = Path("imported"),
        answers: Annotated[Optional[Path], typer.Option("--answers", help="mt-bench: FastChat's model_answer folder.")] = None,
        questions: Annotated[Optional[Path], typer.Option("--questions", help="mt-bench: FastChat's question.jsonl.")] = None,
        references: Annotated[Optional[Path], typer.Option("--references", help="mt-bench: reference_answer/<judge>.jsonl (math, reasoning, coding).")] = None,
        provider: Annotated[Optional[str], typer.Option("--provider", help="promptfoo: the provider (label or id) whose results to import.")] = None,
        order: Annotated[Optional[str], typer.Option("--order", help="alpacaeval, where the file does not say: seeded (AlpacaEval's random switch, the default) or listed (output_1 first).")] = None,
        seed: Annotated[int, typer.Option("--seed", help="alpacaeval: the annotator's seed for --order seeded.")] = 0,
    ) -> None:
        """Another tool's recorded judge verdicts as a dataset and a replay file, and the command that audits them."""
        from judgeaudit.importers import read_log, write
        from judgeaudit.importers.records import FAILED

        log = read_log(kind, file, **_options(kind, answers, questions, references, provider, order, seed))
        dataset, verdicts = write(log, out)
        typer.echo(f"{kind}: {len(log.instances)} instances, {len(log.records)} verdicts of {log.judge}")
        typer.echo(f"wrote {dataset} and {verdicts}")
        for note in log.notes:
            typer.echo(f"note: {note}")
        for line in log.cannot:
            typer.echo(f"cannot: {line}")
        typer.echo("audit them with:")
        typer.echo(f"  {audit_command(verdicts, dataset, log.biases, sum(r.verdict == FAILED for r in log.records))}")
