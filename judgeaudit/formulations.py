"""Formulations: how a probe is put to the judge, and how its answers become one judgment.

- ``pairwise``: both responses in one prompt; the judge's verdict (A / B / tie).
- ``pointwise``: each response scored alone on a scale; the verdict is the score difference (equal
  scores are a tie). Both orders of a probe ask the same two requests.
- ``pairwise-reference`` / ``pointwise-reference``: the same, with the reference answer shown.
- ``reward``: a reward model scores each response (the conversation of prompt and response); the
  higher score wins and the score difference is the soft preference.

Where a formulation gives a bias no meaning, ``not_applicable`` says why (position when each response
is seen alone; a note naming a response when there is no shared prompt; a header for a reward model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError
from judgeaudit.judges.base import Judge
from judgeaudit.schema import JudgeRequest, Judgment, Probe

MODES = ("pairwise", "pointwise", "pairwise-reference", "pointwise-reference", "reward")
LABELS = ("A", "B")


@dataclass(frozen=True)
class Formulation:
    """One of MODES."""

    mode: str

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise JudgeAuditError(f"unknown --mode {self.mode!r}; valid: {', '.join(MODES)}")

    @property
    def kind(self) -> str:
        """pairwise, pointwise or reward."""
        return self.mode.removesuffix("-reference")

    @property
    def shows_reference(self) -> bool:
        return self.mode.endswith("-reference")

    @property
    def task(self) -> str:
        """What each request asks the backend."""
        return {"pairwise": "verdict", "pointwise": "score", "reward": "reward"}[self.kind]

    def not_applicable(self, spec: BiasSpec) -> str | None:
        """Why ``spec`` has no meaning under this formulation (None: it applies)."""
        if self.kind == "pairwise":
            return None
        alone = "each response is scored alone" if self.kind == "pointwise" else "a reward model scores each response alone"
        if spec.method == "swap":
            return f"not measured in {self.mode} mode: {alone}, so there is no order to swap"
        if spec.apply_to == "prompt_note":
            return f"not measured in {self.mode} mode: its note names one of two responses shown together, and {alone}"
        if spec.apply_to == "attribution" and self.kind == "reward":
            return "not measured in reward mode: a reward model sees the conversation, with no header to name an author"
        return None

    def requests(self, judge: Judge, probe: Probe) -> tuple[JudgeRequest, ...]:
        """The requests that put ``probe`` to ``judge``: one pairwise, one per response otherwise."""
        if self.kind == "pairwise":
            return (self._request(judge, judge.template.messages(probe, show_reference=self.shows_reference), probe),)
        if self.kind == "pointwise":
            return tuple(
                self._request(judge, judge.template.messages(probe, label, self.shows_reference), probe) for label in LABELS
            )
        return tuple(self._request(judge, _conversation(probe, label), probe) for label in LABELS)

    def _request(self, judge: Judge, messages: tuple[dict[str, str], ...], probe: Probe) -> JudgeRequest:
        return JudgeRequest(
            backend=judge.backend,
            model=judge.model,
            messages=messages,
            params=dict(judge.params),
            template_hash=judge.template.hash if self.kind != "reward" else "reward-conversation",
            replicate=probe.replicate,
            task=self.task,  # type: ignore[arg-type]
        )

    def combine(self, judgments: list[Judgment], soft_scores: bool) -> Judgment:
        """The probe's judgment from its requests' answers.

        Pairwise: the one answer. Otherwise the two scores: failed, cut off or unreadable if either
        is; else the higher wins (equal: tie) and, where the scores are continuous (``soft_scores``:
        a reward model, a judge read from its logits), P(A) = sigmoid(score A - score B).
        """
        if self.kind == "pairwise":
            (judgment,) = judgments
            return judgment
        first, second = judgments
        usage: dict[str, Any] = {
            "prompt_tokens": first.prompt_tokens + second.prompt_tokens,
            "completion_tokens": first.completion_tokens + second.completion_tokens,
            "cost_usd": first.cost_usd + second.cost_usd,
            "latency_s": first.latency_s + second.latency_s,
            "cached": first.cached and second.cached,
            "resolved_model": first.resolved_model or second.resolved_model,
        }
        raw = f"A: {_shown(first)} | B: {_shown(second)}"
        if not first.ok or not second.ok:
            error = first.error if not first.ok else second.error
            return Judgment(verdict="error", raw=raw, error=error, **usage)
        if first.truncated or second.truncated or first.score is None or second.score is None:
            return Judgment(verdict="unparseable", raw=raw, truncated=first.truncated or second.truncated, **usage)
        difference = first.score - second.score
        verdict = "A" if difference > 0 else "B" if difference < 0 else "tie"
        p_a = 1.0 / (1.0 + math.exp(-difference)) if soft_scores else None
        return Judgment(verdict=verdict, p_a=p_a, raw=raw, score=difference, scores=(first.score, second.score), **usage)  # type: ignore[arg-type]


def _conversation(probe: Probe, label: str) -> tuple[dict[str, str], ...]:
    """What a reward model scores: the user's prompt and one response as the assistant's turn."""
    response = probe.response_a if label == "A" else probe.response_b
    return ({"role": "user", "content": probe.prompt}, {"role": "assistant", "content": response})


def _shown(judgment: Judgment) -> str:
    if judgment.score is not None:
        return f"{judgment.score:g}"
    return judgment.verdict if judgment.verdict != "score" else "?"


PAIRWISE = Formulation("pairwise")


def default_mode(embedded: bool, references: bool) -> str:
    """``pairwise`` for a judge you name; for the embedded judge, its least degenerate formulation.

    Measured on the 65 sample pairs (benchmarks/formulation_accuracy.py): pairwise it answers "A" to
    every pair (50% accuracy, the same winner in both orders never), pointwise 56.9% and pointwise
    with the reference answer shown 64.6%; so pointwise-reference where every instance has a
    reference, else pointwise.
    """
    if not embedded:
        return "pairwise"
    return "pointwise-reference" if references else "pointwise"
