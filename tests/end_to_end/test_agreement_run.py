"""Agreement with human labels through the real command: AlpacaFarm-layout cross-annotations audited
with a judge that reads only length, every figure checked against a computation made here from the
fixture file alone; the rebuild and the certificate read the labels the run folder keeps."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from tests.cli import error_lines, finish, judgeaudit, run_python_judges

FIXTURE = Path(__file__).parent.parent / "data" / "human_judgments" / "alpaca_farm_crossannotations.json"
FIELDS = ("--field", "prompt=instruction", "--field", "chosen=output_1", "--field", "rejected=output_2",
          "--field", "annotator=annotator_index", "--field", "annotation=preference", "--field", "category=dataset")


def _independent() -> dict[str, object]:
    """From the fixture alone: per pair the majority (1, 2 or split) and what a longer-wins judge says."""
    pairs: dict[tuple[str, str, str], list[int]] = {}
    for record in json.loads(FIXTURE.read_text()):
        pairs.setdefault((record["instruction"], record["output_1"], record["output_2"]), []).append(record["preference"])
    agree, majority_known, table = 0, 0, np.zeros((3, 3))
    random_annotator = []
    for (_, first, second), votes in pairs.items():
        judge = 1 if len(" ".join(first.split())) > len(" ".join(second.split())) else 2
        random_annotator.append(votes.count(judge) / len(votes))
        counts = Counter(votes).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            continue
        majority_known += 1
        agree += judge == counts[0][0]
        # As shown, both orders: the majority's pick and the judge's pick are A when shown first.
        for shown_first in (True, False):
            reference = (0 if counts[0][0] == 1 else 1) if shown_first else (1 if counts[0][0] == 1 else 0)
            said = (0 if judge == 1 else 1) if shown_first else (1 if judge == 1 else 0)
            table[reference, said] += 1
    return {"n": len(pairs), "majority": agree / majority_known, "with_majority": majority_known,
            "random": float(np.mean(random_annotator)), "kappa": cohens_kappa(table[:2, :2]).kappa}


def test_agreement_with_cross_annotations_through_the_command(tmp_path: Path) -> None:
    expected = _independent()
    run = run_python_judges(tmp_path, ("longer_wins",), "--dataset", str(FIXTURE), *FIELDS, "--mode", "pairwise", "--bias", "authority")["longer_wins"]
    summary = json.loads((run / "summary.json").read_text())
    agreement = summary["agreement"]
    humans = agreement["humans"]
    assert humans["n_instances"] == expected["n"] == 20
    assert humans["no_majority"] == 20 - expected["with_majority"] == 6
    assert humans["majority"]["rate"] == expected["majority"]
    assert abs(humans["random_annotator"]["rate"] - expected["random"]) < 1e-12
    assert abs(humans["kappa"]["value"] - expected["kappa"]) < 1e-12
    assert agreement["gold"]["source"] == "human majority" and agreement["gold"]["n_tie_gold"] == 6
    assert summary["validity"]["accuracy"]["n_instances"] == 14  # gold ties are not counted as wrong or right
    assert (run / "labels.jsonl").exists()
    assert json.loads((run / "manifest.json").read_text())["dataset"]["labels"]["annotations"] == 80
    html = (run / "report.html").read_text()
    assert html.index("Validity") < html.index("authority")
    # A rebuild reads the labels the run folder keeps: the same figures, no dataset needed.
    code, _, err = finish(judgeaudit("report", str(run)))
    assert code == 0, err
    assert json.loads((run / "summary.json").read_text())["agreement"] == agreement


def test_criteria_that_need_annotations_are_not_assessable_without_them(tmp_path: Path) -> None:
    run = run_python_judges(tmp_path, ("fair_verdict",), "--mode", "pairwise", "--bias", "authority", "--limit", "12")["fair_verdict"]
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: humans\nmin_instances: 5\nvalidity: {min_human_kappa: 0.2, min_accuracy: 0.6}\n")
    code, out, err = finish(judgeaudit("certify", str(run), "--policy", str(policy), "--out", str(tmp_path / "cert.json")))
    assert code == 2, out + err  # INCONCLUSIVE, never a silent PASS
    certificate = json.loads((tmp_path / "cert.json").read_text())
    assert "not assessable" in json.dumps(certificate["validity"])


def test_a_benchmark_detected_by_its_layout_reports_its_own_headline_metric(tmp_path: Path) -> None:
    """JudgeBench's file, detected: its two-game pair accuracy computed from the run's judgments equals a
    count made here from the file alone, for a judge that prefers the longer response."""
    fixture = Path(__file__).parent.parent / "data" / "benchmarks" / "judgebench" / "judgebench.jsonl"
    records = [json.loads(line) for line in fixture.read_text().splitlines() if line.strip()]
    correct = 0
    for record in records:
        a, b = (len(" ".join(record[k].split())) for k in ("response_A", "response_B"))
        longer = "A" if a > b else "B" if b > a else None
        correct += longer is not None and record["label"] == f"{longer}>{'B' if longer == 'A' else 'A'}"
    run = run_python_judges(tmp_path, ("longer_wins",), "--dataset", str(fixture), "--mode", "pairwise", "--bias", "authority")["longer_wins"]
    summary = json.loads((run / "summary.json").read_text())
    assert json.loads((run / "manifest.json").read_text())["dataset"]["layout"] == "judgebench (detected)"
    assert summary["headline"]["benchmark"] == "judgebench"
    assert summary["headline"]["score"] == correct / len(records)
    assert "judgebench: its own headline metric" in (run / "report.html").read_text()


def test_rewardbench2_pairs_count_once_per_prompt_through_the_command(tmp_path: Path) -> None:
    """RewardBench 2's file, detected: one instance per (chosen, rejected) pair, and the statistics count
    prompts: the bias table's n, the keys of the instance effects, the terminal and the report say so."""
    fixture = Path(__file__).parent.parent / "data" / "benchmarks" / "rewardbench2" / "test.jsonl"
    records = [json.loads(line) for line in fixture.read_text().splitlines() if line.strip()]
    pairs = sum(len(r["chosen"]) * len(r["rejected"]) for r in records)
    out = tmp_path / "out"
    code, terminal, err = finish(judgeaudit("run", "--judge", "python:tests.python_judges:longer_wins", "--dataset", str(fixture),
                                            "--mode", "pairwise", "--bias", "authority,position", "--out", str(out), "--no-cache"))
    assert code == 0, err
    (run,) = [path for path in out.iterdir() if path.is_dir()]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["n_instances"] == pairs > len(records)
    assert summary["grouping"] == {"n_groups": len(records), "n_grouped_instances": pairs, "n_units": len(records),
                                   "largest": max(len(r["chosen"]) * len(r["rejected"]) for r in records)}
    for bias in summary["biases"].values():
        assert bias["n_instances"] <= len(records) and set(bias["instance_effects"]) <= {f"group:{r['id']}" for r in records}
    assert summary["position"]["consistency"]["n_instances"] == len(records) and summary["position"]["n_pairs"] == pairs
    assert summary["validity"]["accuracy"] == summary["agreement"]["gold"]["accuracy"]  # one figure, by two paths
    assert f"Units: {pairs} instances in {len(records)} units" in " ".join(terminal.split())
    assert 'id="units"' in (run / "report.html").read_text()
    assert "Several pairs share a prompt" in (run / "report.md").read_text()
    code, printed, err = finish(judgeaudit("certify", str(run)))
    certificate = json.loads((run / "certificate.json").read_text())
    assert certificate["run"]["grouping"] == summary["grouping"]
    assert f"{pairs} instances in {len(records)} units" in " ".join(printed.split()), err
    code, printed, err = finish(judgeaudit("plan", "--judge", "python:tests.python_judges:longer_wins", "--dataset", str(fixture),
                                           "--mode", "pairwise", "--bias", "authority", "--out", str(tmp_path / "plan")))
    assert code == 0, err
    assert f"this dataset: {len(records)} prompt groups" in " ".join(printed.split())
    code, printed, err = finish(judgeaudit("export", str(run), "--format", "csv", "--out", str(tmp_path / "export")))
    assert code == 0, err
    judgments = pd.read_csv(tmp_path / "export" / "judgments.csv")
    effects = pd.read_csv(tmp_path / "export" / "instance_effects.csv")
    assert set(effects["instance_id"]) <= set(judgments["unit"]) and judgments.groupby("unit")["instance_id"].nunique().max() > 1

    older = json.loads((run / "summary.json").read_text()) | {"schema_version": 7, "grouping": None}
    (run / "summary.json").write_text(json.dumps(older))
    for command in (("certify", str(run)), ("compare", str(run), str(run))):
        code, _, err = finish(judgeaudit(*command))
        assert code != 0 and error_lines(err) == [f"error: {run}: its summary (schema 7) counts each pair of a prompt as independent; "
                                                  f"rebuild it with `judgeaudit report {run}` to count prompt groups"], (command, err)
    code, _, err = finish(judgeaudit("report", str(run)))
    assert code == 0 and json.loads((run / "summary.json").read_text())["grouping"] == summary["grouping"], err
    (run / "certificate.json").unlink()
    code, _, err = finish(judgeaudit("certify", str(run)))
    assert not error_lines(err) and json.loads((run / "certificate.json").read_text())["run"]["grouping"] == summary["grouping"], err
