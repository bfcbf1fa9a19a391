"""``certificate.json``: the decisions, the evidence and the hashes that tie them to one run.

``verify`` checks a certificate against a run folder: the run's files still hash as certified, and
the decisions re-derived from that run under the certificate's own policy are the ones it states.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from judgeaudit import __version__
from judgeaudit.biases import load_registry
from judgeaudit.certification.decide import decide
from judgeaudit.certification.decision import Decisions
from judgeaudit.certification.policy import Policy, policy_from_record
from judgeaudit.errors import JudgeAuditError
from judgeaudit.formulations import Formulation
from judgeaudit.runs.folder import JUDGMENTS, MANIFEST, SUMMARY, read_json, write_json
from judgeaudit.runs.labels import stale_units
from judgeaudit.schema import stable_hash

CERTIFICATE = "certificate.json"
CERTIFICATE_VERSION = 2
CERTIFIED_FILES = (MANIFEST, SUMMARY, JUDGMENTS)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_run(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    missing = [name for name in CERTIFIED_FILES if not (run_dir / name).is_file()]
    if missing:
        raise JudgeAuditError(f"{run_dir}: not a finished run folder (missing {', '.join(missing)})")
    summary = read_json(run_dir / SUMMARY)
    if stale := stale_units(run_dir, summary):
        raise JudgeAuditError(stale)
    return read_json(run_dir / MANIFEST), summary


def inapplicable_biases(manifest: dict[str, Any], summary: dict[str, Any]) -> dict[str, str]:
    """The skipped biases that have no meaning in the run's formulation (they block no policy)."""
    extra = [Path(p) for p in manifest["config"].get("bias_dirs", [])]
    registry = load_registry(extra) if all(p.is_dir() for p in extra) else load_registry()
    formulation = Formulation(summary.get("mode", "pairwise"))
    return {
        name: why
        for name in summary.get("skipped_biases", {})
        if name in registry and (why := formulation.not_applicable(registry[name]))
    }


def _decisions(manifest: dict[str, Any], summary: dict[str, Any], policy: Policy) -> Decisions:
    return decide(summary, policy, inapplicable_biases(manifest, summary), manifest["seed"])


def build_certificate(run_dir: Path, policy: Policy) -> dict[str, Any]:
    """The certificate of the run in ``run_dir`` under ``policy``."""
    manifest, summary = _read_run(run_dir)
    decisions = _decisions(manifest, summary, policy)
    return {
        "certificate_version": CERTIFICATE_VERSION,
        "verdict": decisions.overall,
        "exit_code": decisions.exit_code,
        "issued_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool": {"name": "judgeaudit", "version": __version__},
        "run": {
            "run_id": summary["run_id"],
            "judge": summary["judge"],
            "mode": summary.get("mode", "pairwise"),
            "n_instances": summary["n_instances"],
            "grouping": summary.get("grouping"),
            "files_sha256": {name: _sha256(run_dir / name) for name in CERTIFIED_FILES},
        },
        "hashes": {
            "dataset_sha256": manifest["dataset"]["sha256"],
            "bias_templates": {spec["name"]: spec["text_hash"] for spec in manifest["biases"]},
            "judge_config": stable_hash(manifest["identity"]["judge"]),
            "prompt_template": manifest["prompt_template"],
            "tool_version": manifest["tool"]["version"],
        },
        "policy": policy.record(),
        "validity": {name: asdict(decision) for name, decision in decisions.validity.items()},
        "biases": {name: asdict(decision) for name, decision in decisions.biases.items()},
        "not_applicable": decisions.not_applicable,
    }


def write_certificate(run_dir: Path, certificate: dict[str, Any], out: Path | None = None) -> Path:
    path = out or run_dir / CERTIFICATE
    write_json(path, certificate)
    return path


def verify(certificate_path: Path, run_dir: Path) -> list[str]:
    """What does not match between a certificate and a run (empty: it matches)."""
    try:
        certificate = read_json(certificate_path)
    except (OSError, ValueError) as exc:
        raise JudgeAuditError(f"{certificate_path}: not a readable certificate ({exc})") from None
    if not isinstance(certificate, dict) or certificate.get("certificate_version") != CERTIFICATE_VERSION:
        raise JudgeAuditError(f"{certificate_path}: not a judgeaudit certificate (version {CERTIFICATE_VERSION})")
    manifest, summary = _read_run(run_dir)
    problems = [
        f"{name} differs from the certified run (sha256 {_sha256(run_dir / name)[:12]}…, certified {certified[:12]}…)"
        for name, certified in certificate["run"]["files_sha256"].items()
        if _sha256(run_dir / name) != certified
    ]
    if problems:
        return problems
    decisions = _decisions(manifest, summary, policy_from_record(certificate["policy"]))
    if decisions.overall != certificate["verdict"]:
        problems.append(f"the run gives {decisions.overall} under the certificate's policy, the certificate says {certificate['verdict']}")
    for section in ("validity", "biases"):
        for name, decision in getattr(decisions, section).items():
            stated = certificate[section].get(name, {}).get("decision")
            if stated != decision.decision:
                problems.append(f"{name}: the run gives {decision.decision}, the certificate says {stated}")
    return problems
