"""LLM rewrites of responses (JudgeBiasBench's injection by rewriting) and the check that a rewrite
keeps the original's meaning. Requests are built here; the engine asks them (cached, journaled)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from judgeaudit.biases.perturb import derived_rng, render_edit
from judgeaudit.biases.probes import uses_size_free_placebo
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.schema import Instance, JudgeRequest, Judgment, stable_hash

PARAPHRASE = (
    "Rewrite the answer below in different words. Keep every fact, number, step, piece of code and the "
    "conclusion exactly as they are, and keep its tone and format. Add nothing and leave nothing out. "
    "Output only the rewritten answer.\n\n[Answer]\n{{ response }}"
)
"""The placebo of a rewritten cue: a paraphrase that carries no cue, by the same rewriter."""

MEANING_CHECK = (
    "Two versions of an answer to the same question follow. Do they make the same claims, with the same "
    "numbers, steps, code and conclusion, so that one is correct exactly when the other is? Differences "
    "in tone, wording, length or formatting do not matter. Reply with YES or NO only.\n\n"
    "[Question]\n{prompt}\n\n[Version 1]\n{original}\n\n[Version 2]\n{rewrite}"
)
CHECKS = ("llm", "numbers")
"""``llm``: a second call asks the checker whether the rewrite keeps the meaning; ``numbers``: every
number and code block of the original appears unchanged in the rewrite."""


def parse_checks(text: str) -> tuple[str, ...]:
    """``llm,numbers`` -> ("llm", "numbers"); ``none`` -> (); unknown names are an error."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip() and n.strip() != "none"))
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise JudgeAuditError(f"unknown rewrite check {unknown[0]!r}; valid: {', '.join(CHECKS)} or none")
    return names


FAILED = "the rewrite failed (error, or cut off at the token limit)"
NUMBERS_CHANGED = "the rewrite changed a number or code (numbers check)"
REJECTED = "the meaning check said the rewrite changes the meaning"
CHECK_UNREADABLE = "the meaning check gave no YES or NO"
CHECK_FAILED = "the meaning check failed (error)"


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*")
_CODE = re.compile(r"```.*?```", re.DOTALL)
_YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
_ROLES = ("cue:rejected", "cue:chosen", "placebo:rejected", "placebo:chosen")


@dataclass(frozen=True)
class RewriteTask:
    """One response to rewrite: for which instance, bias and role, by which writer, with which request."""

    instance: Instance
    bias: str
    role: str
    original: str
    request: JudgeRequest
    writer: Judge

    @property
    def slot(self) -> tuple[str, str, str]:
        return (self.instance.id, self.bias, self.role)


def _request(writer: Judge, instruction: str, template: str, original: str) -> JudgeRequest:
    max_tokens = 128 + len(original) // 2  # about twice the original's tokens
    return JudgeRequest(
        backend=writer.backend,
        model=writer.model,
        messages=({"role": "user", "content": instruction},),
        params=writer.generation_params(max_tokens),
        template_hash=stable_hash(template, length=16),
        task="text",
    )


def rewrite_tasks(
    instances: Iterable[Instance], specs: Iterable[BiasSpec], seed: int, rewriter: Judge | None, judge: Judge | None
) -> list[RewriteTask]:
    """The rewrites a run needs: the cue on each response and a cue-free paraphrase of each as the
    placebo (none where the placebo is the shared size-free edit).

    Biases with a ``rewrite`` instruction are rewritten by ``rewriter`` (none without one); ``self``
    biases by the judge itself (``judge`` None: it cannot write), their placebo by the rewriter.
    Both responses of an instance get the same drawn wording.
    """
    tasks = []
    for spec in specs:
        cue_writer = judge if spec.method == "self" else rewriter if spec.rewrite else None
        if cue_writer is None:
            continue
        for instance in instances:
            for role in _ROLES:
                placebo = role.startswith("placebo")
                writer = rewriter if placebo else cue_writer
                if writer is None or (placebo and uses_size_free_placebo(spec)):
                    continue
                original = instance.chosen if role.endswith(":chosen") else instance.rejected
                template = PARAPHRASE if placebo else spec.rewrite
                rng = derived_rng(seed, instance.id, spec.name, "rewrite")
                instruction = render_edit(spec, template, original, "", rng).text
                tasks.append(RewriteTask(instance, spec.name, role, original, _request(writer, instruction, template, original), writer))
    return tasks


def numbers_kept(original: str, rewrite: str) -> bool:
    """Every number and every fenced code block of ``original`` is still in ``rewrite``."""
    kept_numbers = Counter(_NUMBER.findall(original)) - Counter(_NUMBER.findall(rewrite))
    return not kept_numbers and all(block in rewrite for block in _CODE.findall(original))


def check_request(task: RewriteTask, rewrite: str, checker: Judge) -> JudgeRequest:
    """The meaning-check call for one rewrite."""
    question = MEANING_CHECK.format(prompt=task.instance.prompt, original=task.original, rewrite=rewrite)
    return JudgeRequest(
        backend=checker.backend,
        model=checker.model,
        messages=({"role": "user", "content": question},),
        params=checker.generation_params(8),
        template_hash=stable_hash(MEANING_CHECK, length=16),
        task="text",
    )


def read_yes_no(text: str) -> bool | None:
    """YES -> True, NO -> False, from the first yes/no word; None when there is none."""
    match = _YES_NO.search(text)
    return None if match is None else match.group(1).lower() == "yes"


@dataclass
class RewriteOutcome:
    """The accepted rewrites by slot, and per bias how many instances lost a cue rewrite and why."""

    texts: dict[str, dict[tuple[str, str], str]]
    skipped: dict[str, dict[str, int]]
    placebo_fallbacks: dict[str, int]


def precheck(task: RewriteTask, answer: Judgment, checks: tuple[str, ...]) -> str | None:
    """Why a rewrite is refused before any meaning-check call (None: it goes on)."""
    if not answer.ok or answer.truncated or not answer.raw.strip():
        return FAILED
    if "numbers" in checks and not numbers_kept(task.original, answer.raw):
        return NUMBERS_CHANGED
    return None


def verdict_of_check(answer: Judgment | None) -> str | None:
    """Why the meaning check refuses a rewrite (None: accepted)."""
    if answer is None:
        return None
    if not answer.ok:
        return CHECK_FAILED
    kept = read_yes_no(answer.raw)
    return CHECK_UNREADABLE if kept is None else None if kept else REJECTED


def tally(tasks: list[RewriteTask], refusals: Mapping[tuple[str, str, str], str | None], texts: Mapping[tuple[str, str, str], str]) -> RewriteOutcome:
    """Accepted rewrites; an instance loses a bias when either cue rewrite is refused (first reason
    counted), and falls back to the template placebo when only a paraphrase is."""
    skipped: dict[str, dict[str, int]] = {}
    fallbacks: dict[str, int] = {}
    accepted: dict[str, dict[tuple[str, str], str]] = {task.bias: {} for task in tasks}
    for (instance_id, bias, role), reason in refusals.items():
        if reason is None:
            accepted[bias][instance_id, role] = texts[instance_id, bias, role]
    instances = {(t.instance.id, t.bias) for t in tasks}
    for instance_id, bias in sorted(instances):
        reasons = [refusals.get((instance_id, bias, role)) for role in ("cue:rejected", "cue:chosen")]
        reason = next((r for r in reasons if r is not None), None)
        if reason is not None:
            counts = skipped.setdefault(bias, {})
            counts[reason] = counts.get(reason, 0) + 1
        elif any(refusals.get((instance_id, bias, role)) is not None for role in ("placebo:rejected", "placebo:chosen")):
            fallbacks[bias] = fallbacks.get(bias, 0) + 1
    return RewriteOutcome(accepted, skipped, fallbacks)
