"""judgeaudit from Python: run an audit, read a run folder as typed records and DataFrames, certify it.

```python
import judgeaudit

result = judgeaudit.audit(judge="openai/gpt-4o-mini", biases=["verbosity", "authority"], limit=50)
run = judgeaudit.load_run(result.run_dir)
run.summary.biases["verbosity"].status      # a typed Summary (judgeaudit.stats.records)
run.judgments                               # pandas: one row per probe
certificate = judgeaudit.certify(run, policy="policy.yaml", write=True)
```

``audit`` takes the options of ``judgeaudit run``, named as its parameters (the ``RunConfig`` fields,
plus ``out``, ``cache`` and ``no_cache``), with the same defaults and the same checks: they are read by
the ``run`` command's own option parser. It is synchronous and may be called inside a running event
loop (a Jupyter cell): the audit then runs on a worker thread with its own loop. ``audit_async`` is the
coroutine. Unlike the command, it raises rather than exits: ``JudgeAuditError`` for bad input or an
unusable judge, ``BudgetReached`` when ``max_cost_usd`` stops it; a finished audit that assessed nothing
or had too many failed calls is returned (see ``summary.assessable`` and ``summary.calls``).

The column names of the DataFrames are documented in ``judgeaudit.runs.export``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from judgeaudit.errors import JudgeAuditError

if TYPE_CHECKING:
    import pandas as pd

    from judgeaudit.auditing import AuditResult
    from judgeaudit.certification import Policy
    from judgeaudit.config import RunConfig
    from judgeaudit.stats import Summary

__all__ = ["Run", "UnknownOptionError", "audit", "audit_async", "certify", "load_run"]

StrPath = Union[str, "PathLike[str]"]
NOT_OPTIONS = frozenset({"dry_run"})
"""Options of ``judgeaudit run`` that are not an audit (``judgeaudit plan`` and ``run --dry-run`` count and price one)."""


class UnknownOptionError(JudgeAuditError, TypeError):
    """``audit`` was given options that ``judgeaudit run`` does not have (a TypeError, as for any unknown keyword)."""


@dataclass(frozen=True)
class _Prepared:
    config: RunConfig
    out: Path
    cache_path: Path | None


def _as_option(name: str, value: Any) -> Any:
    """A Python value as the ``run`` command's parser takes it: one value or a list for a repeatable
    option, a mapping for ``field_map``, a list for ``rewrite_checks``."""
    if name == "field_map" and isinstance(value, Mapping):
        return [f"{key}={source}" for key, source in value.items()]
    if name == "rewrite_checks" and isinstance(value, (list, tuple)):
        return ",".join(value) or "none"
    if name in ("biases", "dimensions", "exclude", "field_map", "bias_dirs") and isinstance(value, (str, PathLike)):
        return [value]
    return value


def _prepare(options: dict[str, Any]) -> _Prepared:
    """The run's config, out folder and cache path from ``options``: ``judgeaudit run``'s defaults,
    checks and conversions, by its own parser."""
    import typer

    from judgeaudit import cli
    from judgeaudit.engine import default_cache_path

    command = typer.main.get_command(cli.app).commands["run"]  # type: ignore[attr-defined]
    by_name = {param.name: param for param in command.params if param.name not in NOT_OPTIONS}
    unknown = sorted(set(options) - set(by_name))
    if unknown:
        raise UnknownOptionError(
            f"judgeaudit.audit() got unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"it takes the options of `judgeaudit run`: {', '.join(sorted(by_name))}"
        )
    ctx = command.make_context("judgeaudit.auditing", [])
    params = dict(ctx.params)
    for name, value in options.items():
        try:
            params[name] = by_name[name].process_value(ctx, _as_option(name, value))
        except typer.BadParameter as exc:
            raise JudgeAuditError(f"option {name}={value!r}: {exc.message}") from None
    config = cli._run_config(params)
    cache_path = None if params["no_cache"] else (params["cache"] or default_cache_path())
    return _Prepared(config, Path(params["out"]), cache_path)


async def _audit(prepared: _Prepared) -> AuditResult:
    from judgeaudit.auditing import run_audit

    return await run_audit(prepared.config, prepared.out, prepared.cache_path)


async def audit_async(**options: Any) -> AuditResult:
    """Run (or resume) an audit with the options of ``judgeaudit run``; its run folder, Summary and counts."""
    return await _audit(_prepare(options))


def audit(**options: Any) -> AuditResult:
    """Run (or resume) an audit with the options of ``judgeaudit run``, e.g. ``judge="openai/gpt-4o-mini",
    biases=["verbosity"], limit=50, out="reports", no_cache=True``; its run folder, Summary and counts.

    Safe inside a running event loop (Jupyter): there the audit runs to its end on a worker thread with
    its own event loop while this thread waits.
    """
    prepared = _prepare(options)  # bad options raise here, in the caller's thread
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_audit(prepared))
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="judgeaudit-audit") as worker:
        return worker.submit(context.run, asyncio.run, _audit(prepared)).result()


@dataclass
class Run:
    """A run folder, read lazily: each attribute is read from its files when first used, then kept."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """manifest.json: the config, tool version, judge, dataset and template hashes, seed, start and end."""
        from judgeaudit.runs import MANIFEST, read_json

        manifest: dict[str, Any] = read_json(self.path / MANIFEST)
        return manifest

    @cached_property
    def summary(self) -> Summary:
        """summary.json as the typed Summary (an older schema's too)."""
        from judgeaudit.runs.export import read_summary

        return read_summary(self.path)

    @cached_property
    def judgments(self) -> pd.DataFrame:
        """One row per probe: its fields and its judgment's (columns: ``runs.export.JUDGMENT_COLUMNS``)."""
        from judgeaudit.runs import JUDGMENTS, LABELS, read_judgments, read_labels
        from judgeaudit.runs.export import judgments_frame, units_of

        return judgments_frame(*read_judgments(self.path / JUDGMENTS), units_of(read_labels(self.path / LABELS)))

    @cached_property
    def instance_effects(self) -> pd.DataFrame:
        """One row per (bias, assessed instance): bias, instance_id, effect."""
        from judgeaudit.runs.export import instance_effects_frame

        return instance_effects_frame(self.summary)

    @cached_property
    def biases(self) -> pd.DataFrame:
        """The summary table: one row per bias (columns: ``runs.export.BIAS_COLUMNS``)."""
        from judgeaudit.runs.export import biases_frame

        return biases_frame(self.summary)

    @cached_property
    def labels(self) -> pd.DataFrame | None:
        """One row per annotation of a labelled instance (None: the run's data had no labels)."""
        from judgeaudit.runs import LABELS, read_labels
        from judgeaudit.runs.export import labels_frame

        labels = read_labels(self.path / LABELS)
        return labels_frame(labels) if labels else None

    @cached_property
    def agreement(self) -> pd.DataFrame | None:
        """Per instance: its labels beside the judge's verdicts (None where the summary has no agreement figures)."""
        from judgeaudit.runs import JUDGMENTS, LABELS, read_judgments, read_labels
        from judgeaudit.runs.export import agreement_frame

        if self.summary.agreement is None:
            return None
        rows, _ = read_judgments(self.path / JUDGMENTS)
        return agreement_frame(rows, read_labels(self.path / LABELS))


def load_run(path: StrPath | AuditResult) -> Run:
    """A run folder (or an ``audit`` result's) as a ``Run``; nothing is read until used."""
    from judgeaudit.runs.export import check_run_folder

    folder = path if isinstance(path, (str, PathLike)) else path.run_dir
    return Run(check_run_folder(Path(folder)))


def certify(
    run: Run | AuditResult | StrPath, policy: Policy | StrPath | None = None, *, write: bool = False, out: StrPath | None = None
) -> dict[str, Any]:
    """The certificate ``judgeaudit certify`` writes for the run under ``policy`` (a Policy, a policy YAML,
    or None: the bundled one): ``verdict``, ``exit_code``, the decisions per bias and validity criterion.
    ``write=True`` writes it as RUN/certificate.json, ``out`` to that path. The record is the one the file
    holds (JSON types: lists, not tuples)."""
    import json

    from judgeaudit.certification import Policy, build_certificate, load_policy, write_certificate

    run_dir = run.path if isinstance(run, Run) else load_run(run).path
    loaded = policy if isinstance(policy, Policy) else load_policy(None if policy is None else Path(policy))
    certificate: dict[str, Any] = json.loads(json.dumps(build_certificate(run_dir, loaded)))
    if write or out is not None:
        write_certificate(run_dir, certificate, None if out is None else Path(out))
    return certificate
