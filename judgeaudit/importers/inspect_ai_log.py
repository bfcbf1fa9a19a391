"""inspect_ai eval logs (``.eval`` or ``.json``) of a pairwise judging task, read with
``inspect_ai.log.read_eval_log`` (``pip install 'judgeaudit[inspect]'``).

Each sample is one judged prompt: its ``metadata`` holds ``prompt``, ``response_a`` and ``response_b``
(the texts shown as A and B), optionally ``instance_id`` and ``category``; its ``target`` is the better
response as shown (``A`` / ``B`` / ``tie``; empty: no gold); the judge's answer is the sample's
``output.completion`` (read by the verdict parser), else its first score's ``answer``; a sample with an
``error`` is a failed call. Epoch 1 is the control, later epochs are repeats. A pair shown in both
orders (two samples) is one instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.importers.records import ImportedLog, limits
from judgeaudit.importers.shown import ShownJudgment, gather

INSTALL = "reading inspect_ai logs needs inspect_ai: pip install 'judgeaudit[inspect]'"


def read(path: Path) -> ImportedLog:
    """The instances and verdicts of an inspect_ai eval log."""
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise JudgeAuditError(INSTALL) from None
    if not path.is_file():
        raise JudgeAuditError(f"{path}: inspect_ai log file not found")
    try:
        log = read_eval_log(str(path))
    except Exception as exc:  # noqa: BLE001 - any failure to read is the file's: one line naming it
        raise JudgeAuditError(f"{path}: not an inspect_ai eval log ({type(exc).__name__}: {exc})") from None
    samples = sorted(log.samples or [], key=lambda s: (s.epoch, str(s.id)))
    if not samples:
        raise JudgeAuditError(f"{path}: the log holds no samples (status {log.status})")
    judgments = [_judgment(path, sample) for sample in samples]
    instances, records, skipped = gather(path, judgments)
    cannot = limits(instances, records)
    notes = [f"{skipped} samples left out: a pair with an empty or identical response cannot be a dataset instance"] if skipped else []
    if log.status != "success":
        notes.append(f"the eval's status is {log.status}: only the samples it logged are imported")
    return ImportedLog("inspect", path, f"{log.eval.model} / {log.eval.task}", instances, records, cannot, notes)


def _judgment(path: Path, sample: Any) -> ShownJudgment:
    where = f"{path}: sample {sample.id} epoch {sample.epoch}"
    metadata = sample.metadata or {}
    texts = [metadata.get(name) for name in ("prompt", "response_a", "response_b")]
    if not all(isinstance(text, str) for text in texts):
        missing = [n for n, t in zip(("prompt", "response_a", "response_b"), texts, strict=True) if not isinstance(t, str)]
        raise JudgeAuditError(f"{where}: metadata has no {', '.join(missing)} (the texts shown as the question, A and B)")
    target = sample.target if isinstance(sample.target, str) else "".join(sample.target or [])
    completion = sample.output.completion if sample.output is not None else ""
    if not completion and sample.scores:
        completion = str(next(iter(sample.scores.values())).answer or "")
    instance_id = metadata.get("instance_id")
    return ShownJudgment(
        where, texts[0], texts[1], texts[2], None if sample.error is not None else completion, target or None,  # type: ignore[arg-type]
        str(instance_id) if instance_id not in (None, "") else None, str(metadata.get("category") or "uncategorized"),
    )
