"""``judgeaudit export`` on a fresh typer app: every table in every format, read back equal to the API's
DataFrames; bad input is one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import judgeaudit
from judgeaudit.cli_export import register
from judgeaudit.runs.export import AGREEMENT_COLUMNS, BIAS_COLUMNS, EFFECT_COLUMNS, JUDGMENT_COLUMNS

COLUMNS = {"biases": BIAS_COLUMNS, "instance_effects": EFFECT_COLUMNS, "judgments": JUDGMENT_COLUMNS, "agreement": AGREEMENT_COLUMNS}


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """A group, so that ``export`` is a subcommand as in judgeaudit's app."""

    return app


def _export(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), ["export", *args])
    return result.exit_code, result.output


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_every_table_in_every_format(fmt: str, annotated_run: judgeaudit.AuditResult, tmp_path: Path) -> None:
    code, output = _export(str(annotated_run.run_dir), "--format", fmt, "--out", str(tmp_path))
    assert code == 0, output
    names = ("biases", "instance_effects", "judgments", "agreement")
    assert output.splitlines() == [str(tmp_path / f"{name}.{fmt}") for name in names]
    run = judgeaudit.load_run(annotated_run)
    for name in names:
        table = _read(tmp_path / f"{name}.{fmt}")
        assert tuple(table.columns) == COLUMNS[name]
        assert len(table) == len(getattr(run, name))
    effects = _read(tmp_path / f"instance_effects.{fmt}")
    assert dict(zip(effects["instance_id"].astype(str), effects["effect"], strict=True)) == annotated_run.summary.biases["authority"].instance_effects
    biases = _read(tmp_path / f"biases.{fmt}")
    authority = annotated_run.summary.biases["authority"]
    assert biases.loc[0, "status"] == authority.status and biases.loc[0, "n"] == authority.n
    assert biases.loc[0, "effect_ci_low"] == pytest.approx(authority.effect_ci[0])
    judgments = _read(tmp_path / f"judgments.{fmt}")
    assert list(judgments["verdict"]) == list(run.judgments["verdict"])


def test_the_default_folder_and_no_agreement_table_without_figures(fair_run: judgeaudit.AuditResult) -> None:
    run_files = {path.name: path.read_bytes() for path in fair_run.run_dir.iterdir() if path.is_file()}
    code, output = _export(str(fair_run.run_dir), "--format", "JSONL")
    assert code == 0, output
    assert output.splitlines()[0] == str(fair_run.run_dir / "export" / "biases.jsonl")
    assert {path.name: path.read_bytes() for path in fair_run.run_dir.iterdir() if path.is_file()} == run_files  # judgments.jsonl kept
    code, output = _export(str(fair_run.run_dir), "--format", "jsonl", "--out", str(fair_run.run_dir))
    assert code == 2 and "is the run folder" in output and output.count("\n") == 1


def test_no_agreement_table_without_agreement_figures(fair_run: judgeaudit.AuditResult, tmp_path: Path) -> None:
    from judgeaudit.runs import SUMMARY, read_json, write_json

    older = tmp_path / "older"
    older.mkdir()
    for path in fair_run.run_dir.iterdir():
        if path.is_file():
            (older / path.name).write_bytes(path.read_bytes())
    write_json(older / SUMMARY, {k: v for k, v in read_json(older / SUMMARY).items() if k != "agreement"} | {"schema_version": 6})
    code, output = _export(str(older), "--format", "csv")
    assert code == 0, output
    assert [Path(line).name for line in output.splitlines()] == ["biases.csv", "instance_effects.csv", "judgments.csv"]
    assert judgeaudit.load_run(older).agreement is None


def test_bad_input_is_one_line(tmp_path: Path, fair_run: judgeaudit.AuditResult, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _export(str(tmp_path))
    assert code == 2 and output == f"error: {tmp_path}: not a judgeaudit run folder (no manifest.json)\n"
    code, output = _export(str(tmp_path / "nowhere"))
    assert code == 2 and output.startswith("error:") and output.count("\n") == 1
    code, output = _export(str(fair_run.run_dir), "--format", "xlsx")
    assert code == 2 and output == "error: unknown export format 'xlsx': choose one of csv, parquet, jsonl\n"
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    code, output = _export(str(fair_run.run_dir), "--format", "parquet", "--out", str(tmp_path / "p"))
    assert code == 2 and output.startswith("error: the parquet format needs pyarrow") and output.count("\n") == 1
