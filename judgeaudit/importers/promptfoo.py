"""promptfoo results (``promptfoo eval -o results.json``, results version 3) of a pairwise judge.

The provider is the judge: each test's ``vars`` hold the question (``question``, ``prompt``,
``instruction`` or ``input``), the response shown as A (``response_a``, ``answer_a`` or ``output_1``)
and as B (``response_b``, ``answer_b`` or ``output_2``), optionally ``id`` and the gold label as shown
(``better``, ``label`` or ``gold``: A / B / tie); ``response.output`` is the judge's text, read by the
verdict parser. A result with ``failureReason`` 2 (an error, not a failed assertion) or no output is a
failed call. Tests that show a pair in both orders give position consistency.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgeaudit.errors import JudgeAuditError
from judgeaudit.importers.records import ImportedLog, limits
from judgeaudit.importers.shown import ShownJudgment, gather

PROMPT_VARS = ("question", "prompt", "instruction", "input")
A_VARS = ("response_a", "answer_a", "output_1")
B_VARS = ("response_b", "answer_b", "output_2")
GOLD_VARS = ("better", "label", "gold")
ERROR = 2
"""promptfoo's ResultFailureReason.ERROR (1 is a failed assertion)."""


def _var(variables: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((variables[n] for n in names if variables.get(n) not in (None, "")), None)


def _judge(result: dict[str, Any]) -> str:
    provider = result.get("provider") or {}
    name = provider.get("label") or provider.get("id") if isinstance(provider, dict) else provider
    return f"{name} / {(result.get('prompt') or {}).get('label', '')}"


def read(path: Path, provider: str | None = None) -> ImportedLog:
    """The instances and verdicts of a promptfoo results file (one provider and prompt)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        results = document["results"]["results"]
    except FileNotFoundError:
        raise JudgeAuditError(f"{path}: promptfoo results file not found") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise JudgeAuditError(f"{path}: not a promptfoo results file ({type(exc).__name__}: {exc}); write one with promptfoo eval -o results.json") from None
    if provider is not None:
        results = [r for r in results if provider in _judge(r).split(" / ")[0] or provider == (r.get("provider") or {}).get("id")]
    judges = sorted({_judge(r) for r in results})
    if len(judges) > 1:
        raise JudgeAuditError(f"{path}: results of {len(judges)} judges ({'; '.join(judges)}); pick one provider with --provider")
    judgments = [_judgment(path, index, result) for index, result in enumerate(results)]
    instances, records, skipped = gather(path, judgments)
    cannot = limits(instances, records)
    notes = [f"{skipped} results left out: a pair with an empty or identical response cannot be a dataset instance"] if skipped else []
    return ImportedLog("promptfoo", path, judges[0] if judges else "", instances, records, cannot, notes)


def _judgment(path: Path, index: int, result: Any) -> ShownJudgment:
    where = f"{path}: result {index}"
    if not isinstance(result, dict):
        raise JudgeAuditError(f"{where}: expected an object, got {type(result).__name__}")
    variables = result.get("vars") or (result.get("testCase") or {}).get("vars") or {}
    prompt, shown_a, shown_b = (_var(variables, names) for names in (PROMPT_VARS, A_VARS, B_VARS))
    for what, value, names in (("question", prompt, PROMPT_VARS), ("response A", shown_a, A_VARS), ("response B", shown_b, B_VARS)):
        if not isinstance(value, str):
            raise JudgeAuditError(f"{where} (test {result.get('testIdx')}): no {what} in vars (one of {', '.join(names)}); vars: {', '.join(sorted(variables))}")
    response = result.get("response") or {}
    output = response.get("output") if isinstance(response, dict) else None
    failed = result.get("failureReason") == ERROR or output is None
    instance_id = variables.get("id") or variables.get("instance_id")
    return ShownJudgment(
        f"{where} (test {result.get('testIdx')})", prompt, shown_a, shown_b,
        None if failed else output if isinstance(output, str) else json.dumps(output),
        _var(variables, GOLD_VARS), str(instance_id) if instance_id not in (None, "") else None,
        str(variables.get("category") or "uncategorized"),
    )
