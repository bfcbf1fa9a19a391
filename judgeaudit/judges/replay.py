"""Replay recorded verdicts: audit judgments a team already has, without calling any model.

``--judge replay:verdicts.jsonl`` (or ``.csv``) with the dataset the verdicts were given on. One
record per judged probe:

- ``instance_id`` (or ``id``): the instance, as in the dataset;
- the order shown: ``order`` (``chosen_first`` / ``chosen_second``), or ``first`` (``chosen`` /
  ``rejected``: which response was shown first), or ``chosen_position`` (``A`` / ``B``);
- the verdict: ``verdict`` (``A`` / ``B`` / ``tie``, ``unparseable`` for an answer the recording tool
  could not read, or the judge's raw text, read by ``parse_verdict``), or ``winner`` (``chosen`` / ``rejected`` / ``tie``); optionally ``p_a``; or,
  for a call that failed (no answer to read), ``error`` with what went wrong;
- optionally which probe: ``bias`` and ``condition`` (``control`` by default; ``repeat``,
  ``edit_on_worse``, ``edit_on_better`` (shared: no bias), ``cue_on_worse``, ``cue_on_better``,
  ``placebo_on_worse``, ``placebo_on_better``; an older file's ``placebo`` is ``placebo_on_worse``),
  ``replicate``.

Only recorded probes are audited: the control in both orders gives position consistency and
accuracy; a bias is audited when its probes were recorded, and left out, with the reason, when not.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from judgeaudit.datasets import read_rows
from judgeaudit.errors import JudgeAuditError, located
from judgeaudit.judges.base import Judge
from judgeaudit.judges.options import JudgeOptions
from judgeaudit.prompts.parse import parse_verdict
from judgeaudit.prompts.templates import REPLAY
from judgeaudit.schema import CONDITIONS, LEGACY_CONDITIONS, SHARED_CONDITIONS, JudgeRequest, Judgment, Probe

ProbeKey = tuple[str, str | None, str, str, int]


class ReplayJudge(Judge):
    """Recorded verdicts as a judge (see the module docstring)."""

    backend = "replay"
    recorded_only = True

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.model = self.path.name
        self.template = REPLAY
        self.tasks = frozenset({"verdict"})
        self.recorded = _load(self.path)
        self.readout = "logits" if all(j.p_a is not None for j in self.recorded.values()) else "text"
        self.params: dict[str, Any] = {"file_sha256": hashlib.sha256(self.path.read_bytes()).hexdigest()}

    def covers(self, probe: Probe) -> bool:
        """Whether a verdict was recorded for ``probe``."""
        return _key(probe) in self.recorded

    async def judge(self, request: JudgeRequest) -> Judgment:
        named = json.loads(request.messages[-1]["content"])
        key = (named["instance_id"], named["bias"], named["condition"], named["order"], named["replicate"])
        if key not in self.recorded:
            raise JudgeAuditError(f"{self.path}: no verdict recorded for {key}")
        return Judgment(**self.recorded[key].to_dict())

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "path": str(self.path), "params": self.params}


def _key(probe: Probe) -> ProbeKey:
    return (probe.instance_id, probe.bias, probe.condition, probe.order, probe.replicate)


def _load(path: Path) -> dict[ProbeKey, Judgment]:
    recorded: dict[ProbeKey, Judgment] = {}
    lines: dict[ProbeKey, int] = {}
    for line_no, row in read_rows(path, "recorded verdicts"):
        if not isinstance(row, dict):
            raise located(path, line_no, f"expected an object with instance_id, order and verdict, got {type(row).__name__}")
        key, judgment = _record(path, line_no, row)
        if key in lines:
            raise located(path, line_no, f"a second verdict for the same probe (first on line {lines[key]})")
        recorded[key], lines[key] = judgment, line_no
    if not recorded:
        raise JudgeAuditError(f"{path}: no recorded verdicts found")
    return recorded


def _record(path: Path, line_no: int, row: dict[str, Any]) -> tuple[ProbeKey, Judgment]:
    def field(*names: str) -> Any:
        return next((row[n] for n in names if row.get(n) not in (None, "")), None)

    instance_id = field("instance_id", "id")
    if instance_id is None:
        raise located(path, line_no, "missing field 'instance_id' (or 'id')")
    order = _order(path, line_no, field("order"), field("first"), field("chosen_position"))
    condition = str(field("condition") or "control")
    condition = LEGACY_CONDITIONS.get(condition, condition)
    if condition not in CONDITIONS:
        raise located(path, line_no, f"'condition' must be one of {', '.join(CONDITIONS)}; got {condition!r}")
    bias = field("bias")
    if condition not in SHARED_CONDITIONS and bias is None:
        raise located(path, line_no, f"condition {condition!r} needs the 'bias' it belongs to")
    replicate = int(field("replicate") or (1 if condition == "repeat" else 0))
    key = (str(instance_id), None if condition in SHARED_CONDITIONS else str(bias), condition, order, replicate)
    error = field("error")
    if error is not None and field("verdict", "winner") is None:
        return key, Judgment(verdict="error", error=str(error))
    chosen_label = "A" if order == "chosen_first" else "B"
    verdict = _verdict(path, line_no, field("verdict"), field("winner"), chosen_label)
    p_a = field("p_a")
    judgment = Judgment(verdict=verdict, p_a=float(p_a) if p_a is not None else None, raw=str(field("verdict", "winner")))  # type: ignore[arg-type]
    return key, judgment


def _order(path: Path, line_no: int, order: Any, first: Any, chosen_position: Any) -> str:
    if order in ("chosen_first", "chosen_second"):
        return str(order)
    if first in ("chosen", "rejected"):
        return "chosen_first" if first == "chosen" else "chosen_second"
    if str(chosen_position or "").upper() in ("A", "B"):
        return "chosen_first" if str(chosen_position).upper() == "A" else "chosen_second"
    raise located(
        path, line_no,
        "which response was shown first is missing: give 'order' (chosen_first/chosen_second), "
        "'first' (chosen/rejected) or 'chosen_position' (A/B)",
    )


def _verdict(path: Path, line_no: int, verdict: Any, winner: Any, chosen_label: str) -> str:
    if winner is not None:
        other = "B" if chosen_label == "A" else "A"
        mapped = {"chosen": chosen_label, "rejected": other, "tie": "tie"}.get(str(winner).lower())
        if mapped is None:
            raise located(path, line_no, f"'winner' must be chosen, rejected or tie; got {winner!r}")
        return mapped
    if verdict is None:
        raise located(path, line_no, "missing field 'verdict' (or 'winner', or 'error' for a failed call)")
    return "unparseable" if verdict == "unparseable" else parse_verdict(str(verdict))


def from_spec(path: str, options: JudgeOptions) -> ReplayJudge:
    """``replay:<verdicts.jsonl|csv>``."""
    return ReplayJudge(Path(path).expanduser())
