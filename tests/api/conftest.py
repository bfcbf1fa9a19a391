"""Runs shared by the API and export tests: audited once per module through the Python API."""

from __future__ import annotations

from pathlib import Path

import pytest

import judgeaudit

FAIR = "python:tests.python_judges:fair_verdict"
ANNOTATED = Path(__file__).parent.parent / "data" / "human_judgments" / "alpaca_farm_crossannotations.json"
ANNOTATED_FIELDS = {"prompt": "instruction", "chosen": "output_1", "rejected": "output_2", "annotator": "annotator_index",
                    "annotation": "preference", "category": "dataset"}


@pytest.fixture(scope="module")
def fair_run(tmp_path_factory: pytest.TempPathFactory) -> judgeaudit.AuditResult:
    """The fair judge on 6 bundled instances, verbosity only, uncached."""
    return judgeaudit.audit(judge=FAIR, limit=6, biases="verbosity", no_cache=True, out=tmp_path_factory.mktemp("fair"))


@pytest.fixture(scope="module")
def annotated_run(tmp_path_factory: pytest.TempPathFactory) -> judgeaudit.AuditResult:
    """A judge that reads only length on AlpacaFarm cross-annotations: gold, human agreement and the Alt-Test."""
    return judgeaudit.audit(
        judge="python:tests.python_judges:longer_wins", dataset=ANNOTATED, field_map=ANNOTATED_FIELDS, mode="pairwise",
        biases=["authority"], no_cache=True, out=tmp_path_factory.mktemp("annotated"),
    )
