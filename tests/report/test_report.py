"""The reports render the Summary: every status, its finding, the noise floor and the flipped examples."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from judgeaudit.biases import build_probes, load_registry, select_biases
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.report.outputs import write_reports
from judgeaudit.runs import spec_record
from judgeaudit.schema import CUE_ON_BETTER, CUE_ON_WORSE, Judgment, Probe
from judgeaudit.stats import build_summary

SPECS = select_biases(load_registry(), ["authority", "bandwagon", "markdown", "position", "verbosity"])
PROBES = build_probes(load_instances(sample_path()), SPECS, seed=0)
MANIFEST = {
    "run_id": "test__0",
    "config": {"alpha": 0.05, "min_instances": 10, "seed": 0},
    "judge": {"backend": "fake", "model": "planted"},
    "dataset": {"name": "sample", "n_instances": 65, "sha256": "0" * 64},
    "biases": [spec_record(spec) for spec in SPECS],
    "tool": {"version": "test"},
    "prompt_template": {"name": "t", "hash": "h"},
    "seed": 0,
    "finished_at": None,
}


def planted(probe: Probe) -> Judgment:
    """Follows padding (biased), avoids citations (moves away), refuses under bandwagon notes."""
    honest = Judgment(verdict=probe.correct)
    cued = probe.condition in (CUE_ON_WORSE, CUE_ON_BETTER)
    if probe.bias == "verbosity" and cued:
        return Judgment(verdict=probe.edited)
    if probe.bias == "authority" and cued:
        return Judgment(verdict="B" if probe.edited == "A" else "A")
    if probe.bias == "bandwagon" and probe.condition == CUE_ON_WORSE:
        return Judgment(verdict="unparseable", raw="<b>I will not</b> follow notes")
    return honest


def test_every_status_is_rendered_with_its_finding(tmp_path: Path) -> None:
    rows = [(p, planted(p)) for p in PROBES]
    summary = build_summary(MANIFEST, SPECS, rows, {str(i): j for i, (_, j) in enumerate(rows)})
    assert summary.by_status == {"BIASED": ["verbosity"], "NOT_DETECTED": ["authority", "markdown", "position"], "INCONCLUSIVE": ["bandwagon"]}
    write_reports(tmp_path, summary, MANIFEST, rows)
    html = (tmp_path / "report.html").read_text()
    markdown = (tmp_path / "report.md").read_text()
    assert "Biased: verbosity" in html and "Inconclusive: bandwagon" in html
    assert "The judge moves toward the verbosity cue itself" in html and "The judge penalizes the authority cue itself" in html
    assert "toward the verbosity cue, of which +0.000 an edit that changes no size gets; the cue itself +1.000" in html
    assert "Is the judge right?" in html and "What edits that carry no cue do to this judge" in html
    assert "**Is the judge right?** Accuracy 100.0%" in markdown and "| the cue itself [95% CI] | total pull |" in markdown
    assert "Not shown to be right" not in html
    assert "unscored answers differ" in html and "cue on the better response, better shown" in html
    assert "placebo" in html.lower() and "<b>I will not</b>" not in html
    assert "| verbosity | presentation | BIASED |" in markdown and "| bandwagon | social | INCONCLUSIVE |" in markdown


def test_a_judge_not_shown_to_be_right_is_said_so_first(tmp_path: Path) -> None:
    rows = [(p, Judgment(verdict="A")) for p in PROBES]  # "A" to every pair: right half of the time
    summary = build_summary(MANIFEST, SPECS, rows, {str(i): j for i, (_, j) in enumerate(rows)})
    write_reports(tmp_path, summary, MANIFEST, rows)
    html = (tmp_path / "report.html").read_text()
    assert html.index("Not shown to be right") < html.index("Is the judge right?")
    assert "Not shown to be right" in (tmp_path / "report.md").read_text()


CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: the browser check of the report needs one")
def test_the_whole_taxonomy_report_renders_in_a_real_browser(tmp_path: Path) -> None:
    """Headless Chromium loads the report of a whole-taxonomy run: every bias has its section, the
    coverage table lists every dimension, and a header attribution is shown and marked."""
    specs = [spec for spec in load_registry().values() if spec.method != "self"]
    probes = build_probes(load_instances(sample_path())[:12], specs, seed=0)

    def follows_named_models(probe: Probe) -> Judgment:
        if probe.bias == "compassion_fade" and probe.condition in (CUE_ON_WORSE, CUE_ON_BETTER):
            return Judgment(verdict=probe.edited)
        return Judgment(verdict=probe.correct)

    rows = [(p, follows_named_models(p)) for p in probes]
    manifest = MANIFEST | {"biases": [spec_record(s) for s in specs], "skipped_biases": {"self_enhancement": "cannot write"}}
    summary = build_summary(manifest, specs, rows, {str(i): j for i, (_, j) in enumerate(rows)})
    write_reports(tmp_path, summary, manifest, rows)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"]
    done = subprocess.run([CHROMIUM, *flags, "--dump-dom", (tmp_path / "report.html").as_uri()], capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert dom.strip().endswith("</html>"), done.stderr[-2000:]
    assert all(f'id="bias-{spec.name}"' in dom for spec in specs)
    assert "Coverage by dimension" in dom and all(f"<b>{d}</b>" in dom for d in ("presentation", "tone", "social", "identity", "integrity"))
    assert "Biased: compassion_fade" in dom and "Not run: self_enhancement" in dom
    assert "<ins>written by" in dom  # the attribution in the response header, marked as inserted
