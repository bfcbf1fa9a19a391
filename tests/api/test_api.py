"""The Python API: an audit from inside a running event loop equals the command's, a run folder read back
as typed records and DataFrames, certificates, options checked as the command checks them, and
Summary.from_dict on real and older summaries."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import judgeaudit
from judgeaudit.errors import JudgeAuditError
from judgeaudit.runs.export import AGREEMENT_COLUMNS, JUDGMENT_COLUMNS, LABEL_COLUMNS
from judgeaudit.stats.records import Summary
from tests.api.conftest import FAIR
from tests.cli import finish, only_run_dir
from tests.cli import judgeaudit as command


def _without_timing(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key != "elapsed_s"}


def test_audit_inside_a_running_loop_equals_the_command(tmp_path: Path) -> None:
    threads: list[str] = []

    async def notebook_cell() -> judgeaudit.AuditResult:
        asyncio.get_running_loop()  # as in Jupyter: a loop runs in this thread
        threads.append(threading.current_thread().name)
        return judgeaudit.audit(judge=FAIR, limit=6, biases="verbosity", no_cache=True, out=tmp_path / "api")

    result = asyncio.run(notebook_cell())
    code, _, err = finish(command("run", "--judge", FAIR, "--limit", "6", "--bias", "verbosity", "--no-cache", "--out", str(tmp_path / "cli")))
    assert code == 0, err
    from_command = only_run_dir(tmp_path / "cli")

    assert result.run_dir.name == from_command.name
    assert result.run_dir.parent == tmp_path / "api"
    written = json.loads((result.run_dir / "summary.json").read_text())
    expected = json.loads((from_command / "summary.json").read_text())
    assert _without_timing(written) == _without_timing(expected)
    assert result.summary == Summary.from_dict(written)
    assert result.summary.biases["verbosity"].effect == expected["biases"]["verbosity"]["effect"]
    assert result.counts.calls == expected["calls"]["total"] == 72
    assert threads == ["MainThread"]


def test_audit_async_resumes_the_same_run(fair_run: judgeaudit.AuditResult, tmp_path: Path) -> None:
    copy = tmp_path / "copy"  # resumed in a copy: the shared run folder stays as the other tests read it
    shutil.copytree(fair_run.run_dir.parent, copy)
    again = asyncio.run(judgeaudit.audit_async(judge=FAIR, limit=6, biases=["verbosity"], no_cache=True, out=copy))
    assert again.run_dir == copy / fair_run.run_dir.name
    assert again.counts.resumed == again.summary.calls.total and again.counts.calls == 0
    assert again.summary.biases == fair_run.summary.biases


def test_options_are_checked_as_the_command_checks_them() -> None:
    with pytest.raises(TypeError, match=r"unknown options 'bogus', 'judge_name'"):
        judgeaudit.audit(judge=FAIR, bogus=1, judge_name="x")
    with pytest.raises(judgeaudit.UnknownOptionError):
        judgeaudit.audit(dry_run=True)  # counting is `judgeaudit plan`, not an audit
    with pytest.raises(JudgeAuditError, match=r"option concurrency=0: .*greater than or equal to 1"):
        judgeaudit.audit(judge=FAIR, concurrency=0)
    with pytest.raises(JudgeAuditError, match=r"option alt_epsilon=2"):
        judgeaudit.audit(judge=FAIR, alt_epsilon=2)
    with pytest.raises(JudgeAuditError, match="no_such_bias"):
        judgeaudit.audit(judge=FAIR, biases="no_such_bias", no_cache=True)


def test_the_config_is_the_commands() -> None:
    from judgeaudit.api import _prepare
    from judgeaudit.config import RunConfig

    prepared = _prepare({"judge": FAIR, "biases": ["verbosity", "authority"], "field_map": {"prompt": "instruction"}, "rewrite_checks": ["numbers"], "limit": "6"})
    assert prepared.config == RunConfig(judge=FAIR, biases=("verbosity", "authority"), field_map={"prompt": "instruction"}, rewrite_checks=("numbers",), limit=6)
    assert prepared.out == Path("reports")
    assert prepared.cache_path is not None and _prepare({"no_cache": True}).cache_path is None


def test_load_run_reads_the_folder(fair_run: judgeaudit.AuditResult) -> None:
    run = judgeaudit.load_run(fair_run.run_dir)
    assert run.run_id == fair_run.run_dir.name and run.manifest["run_id"] == run.run_id
    assert run.summary == fair_run.summary
    judgments = run.judgments
    assert tuple(judgments.columns) == JUDGMENT_COLUMNS and len(judgments) == fair_run.summary.calls.probes
    assert set(judgments["state"]) == {"scored"} and set(judgments["outcome"]) <= {"better", "worse", "tie"}
    assert judgments["bias"].isna().sum() == (judgments["condition"].isin(["control", "repeat", "edit_on_worse", "edit_on_better"])).sum()
    effects = run.instance_effects
    assert list(effects.columns) == ["bias", "instance_id", "effect"]
    assert dict(zip(effects["instance_id"], effects["effect"], strict=True)) == fair_run.summary.biases["verbosity"].instance_effects
    assert run.labels is None  # the bundled sample has no labels
    assert run.agreement is not None and tuple(run.agreement.columns) == AGREEMENT_COLUMNS and len(run.agreement) == 6
    assert list(run.biases["bias"]) == ["verbosity"]


def test_load_run_of_a_labelled_run(annotated_run: judgeaudit.AuditResult) -> None:
    run = judgeaudit.load_run(annotated_run)
    assert run.labels is not None and tuple(run.labels.columns) == LABEL_COLUMNS
    assert len(run.labels) == 80  # one row per annotation
    agreement = run.agreement
    assert agreement is not None and len(agreement) == 20
    assert (agreement["n_annotations"] == 4).all()
    humans = run.summary.agreement.humans if run.summary.agreement else None
    assert humans is not None and agreement["human_majority"].isna().sum() == humans.no_majority == 6


def test_load_run_errors_are_one_line(tmp_path: Path, fair_run: judgeaudit.AuditResult) -> None:
    with pytest.raises(JudgeAuditError, match="not a judgeaudit run folder"):
        judgeaudit.load_run(tmp_path)
    with pytest.raises(JudgeAuditError, match="not a folder"):
        judgeaudit.load_run(tmp_path / "missing")
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "manifest.json").write_text((fair_run.run_dir / "manifest.json").read_text())
    with pytest.raises(JudgeAuditError, match="has not finished"):
        _ = judgeaudit.load_run(unfinished).summary


def test_certify_gives_what_the_command_writes(fair_run: judgeaudit.AuditResult, tmp_path: Path) -> None:
    run = judgeaudit.load_run(fair_run.run_dir)
    certificate = judgeaudit.certify(run)
    assert not (fair_run.run_dir / "certificate.json").exists()
    code, _, err = finish(command("certify", str(fair_run.run_dir), "--out", str(tmp_path / "cli.json")))
    written = json.loads((tmp_path / "cli.json").read_text())
    assert code == written["exit_code"] == certificate["exit_code"], err
    assert {k: v for k, v in certificate.items() if k != "issued_at"} == {k: v for k, v in written.items() if k != "issued_at"}
    judgeaudit.certify(fair_run, write=True)
    assert json.loads((fair_run.run_dir / "certificate.json").read_text())["verdict"] == certificate["verdict"]
    code, _, err = finish(command("verify", str(fair_run.run_dir / "certificate.json"), str(fair_run.run_dir)))
    assert code == 0, err


def test_summary_round_trip_on_real_summaries(fair_run: judgeaudit.AuditResult, annotated_run: judgeaudit.AuditResult) -> None:
    for result in (fair_run, annotated_run):
        assert Summary.from_dict(result.summary.to_dict()) == result.summary
        data = json.loads((result.run_dir / "summary.json").read_text())
        assert Summary.from_dict(data) == result.summary
        assert json.loads(json.dumps(Summary.from_dict(data).to_dict())) == data
    agreement = annotated_run.summary.agreement
    assert agreement is not None and agreement.humans is not None and agreement.humans.alt_test is not None
    assert type(Summary.from_dict(annotated_run.summary.to_dict()).position).__name__ == "PositionMetrics"


def test_an_older_summary_is_read(fair_run: judgeaudit.AuditResult) -> None:
    """A schema-6 summary: no agreement, no n_effective on its rates, an unknown newer key ignored."""
    data = json.loads((fair_run.run_dir / "summary.json").read_text())
    data = {key: value for key, value in data.items() if key != "agreement"} | {"schema_version": 6, "from_the_future": 1}

    def drop_n_effective(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_n_effective(v) for k, v in value.items() if k != "n_effective"}
        return [drop_n_effective(v) for v in value] if isinstance(value, list) else value

    older = Summary.from_dict(drop_n_effective(data))
    assert older.schema_version == 6 and older.agreement is None
    assert older.validity is not None and older.validity.accuracy.n_effective is None
    assert older.biases["verbosity"].effect_ci == fair_run.summary.biases["verbosity"].effect_ci
    with pytest.raises(ValueError, match=r"Summary\.calls is missing"):
        Summary.from_dict({key: value for key, value in data.items() if key != "calls"})


def test_import_judgeaudit_stays_cheap() -> None:
    code = "import sys, judgeaudit; print(sorted(m for m in ('pandas', 'typer', 'judgeaudit.api', 'judgeaudit.auditing', 'typing') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_api_functions_stay_functions_after_the_modules_behind_them_are_imported() -> None:
    import judgeaudit.auditing
    import judgeaudit.certification  # noqa: F401 - imported for the binding it makes on the package

    assert judgeaudit.audit is judgeaudit.api.audit and judgeaudit.certify is judgeaudit.api.certify
