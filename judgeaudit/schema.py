"""The records that flow through an audit: Instance -> Probe -> JudgeRequest -> Judgment."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Verdict = Literal["A", "B", "tie", "unparseable", "error", "text", "score"]
"""``text``: the answer to a request for text (an LLM rewrite); ``score``: a score of one response
(pointwise, reward model), in ``Judgment.score``. Neither is a verdict until a formulation combines them."""
Task = Literal["verdict", "score", "reward", "text"]
"""What a request asks: a pairwise verdict, a score of one response on a scale, a reward model's score
of one response, or free text (a rewrite)."""
Order = Literal["chosen_first", "chosen_second"]
Label = Literal["chosen", "rejected", "tie"]
"""Which response of an instance is better, in the data's frame: its chosen one, its rejected one, or neither."""
Condition = Literal[
    "control", "repeat", "edit_on_worse", "edit_on_better", "cue_on_worse", "cue_on_better", "placebo_on_worse", "placebo_on_better"
]
CONTROL: Condition = "control"
REPEAT: Condition = "repeat"
EDIT_ON_WORSE: Condition = "edit_on_worse"
"""Shared by every bias: the worse response with one break changed (a line break for a space, or the
reverse), an edit that changes nothing of its content or size; the placebo of cues whose essence is size."""
EDIT_ON_BETTER: Condition = "edit_on_better"
CUE_ON_WORSE: Condition = "cue_on_worse"
CUE_ON_BETTER: Condition = "cue_on_better"
PLACEBO_ON_WORSE: Condition = "placebo_on_worse"
"""Neutral text of the cue's size at the cue's place (or a neutral note or header) on the worse response."""
PLACEBO_ON_BETTER: Condition = "placebo_on_better"
CONDITIONS: tuple[Condition, ...] = (
    CONTROL, REPEAT, EDIT_ON_WORSE, EDIT_ON_BETTER, CUE_ON_WORSE, CUE_ON_BETTER, PLACEBO_ON_WORSE, PLACEBO_ON_BETTER
)
SHARED_CONDITIONS: tuple[Condition, ...] = (CONTROL, REPEAT, EDIT_ON_WORSE, EDIT_ON_BETTER)
"""The conditions every bias shares, asked once per instance (their probes carry no bias)."""
LEGACY_CONDITIONS = {"placebo": PLACEBO_ON_WORSE}
"""Condition names of older run folders and replay files, as read today."""


def stable_hash(payload: Any, length: int = 64) -> str:
    """SHA-256 of the canonical JSON form of ``payload``."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Annotation:
    """One person's judgment of an instance: which response is better and/or a score of each."""

    annotator: str
    verdict: Label | None = None
    """chosen / rejected / tie; None where only scores were given (the higher one then wins)."""
    chosen_score: float | None = None
    rejected_score: float | None = None
    confidence: float | None = None

    @property
    def preference(self) -> Label | None:
        """The verdict, or the one its scores imply (equal scores: a tie)."""
        if self.verdict is not None or self.chosen_score is None or self.rejected_score is None:
            return self.verdict
        if self.chosen_score == self.rejected_score:
            return "tie"
        return "chosen" if self.chosen_score > self.rejected_score else "rejected"


@dataclass(frozen=True)
class Instance:
    """One evaluation item: a prompt with a better (chosen) and a worse (rejected) response.

    ``gold`` is the data's own label where it has one: ``chosen`` (the loader puts the better response
    in ``chosen``) or ``tie``; None means the chosen/rejected split is the only label. ``annotations``
    are the human judgments of the pair. Neither changes what the judge is asked, so neither is part
    of the run's identity (``identity_fields``).
    """

    id: str
    prompt: str
    chosen: str
    rejected: str
    category: str = "uncategorized"
    reference: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    gold: Literal["chosen", "tie"] | None = None
    gold_source: str = ""
    """Where ``gold`` comes from: ``labels`` (the data's label field) or ``human majority``."""
    annotations: tuple[Annotation, ...] = ()

    def identity_fields(self) -> dict[str, Any]:
        """The fields that decide what the judge is asked (the labels are left out)."""
        return {name: getattr(self, name) for name in _ASKED_FIELDS}

    @property
    def labelled(self) -> bool:
        return self.gold is not None or bool(self.annotations)


@dataclass(frozen=True)
class Probe:
    """One instance under one condition, in one presentation order.

    ``bias`` is None for the conditions every bias shares (the control and its repeat).
    ``response_a``/``response_b`` are the texts actually shown; ``correct`` is the label of the better
    (chosen) response; ``edited`` is the label of the response the condition's edit concerns (the cue's
    or placebo's side; None for the control and the repeat). ``prompt_note`` is extra text placed in
    the judge prompt after the responses (e.g. a bandwagon statement). ``variant`` names the wording
    chosen for the edit; ``replicate`` distinguishes repeated asks of the same content.
    """

    instance_id: str
    bias: str | None
    condition: Condition
    variant: str
    order: Order
    prompt: str
    response_a: str
    response_b: str
    correct: Literal["A", "B"]
    edited: Literal["A", "B"] | None = None
    prompt_note: str = ""
    reference: str | None = None
    category: str = "uncategorized"
    replicate: int = 0
    attribution_a: str = ""
    attribution_b: str = ""


@dataclass(frozen=True)
class JudgeRequest:
    """Everything that determines the judge's answer. Its hash is the cache and journal key."""

    backend: str
    model: str
    messages: tuple[dict[str, str], ...]
    params: dict[str, Any]
    template_hash: str
    replicate: int = 0
    task: Task = "verdict"

    @cached_property
    def key(self) -> str:
        """The hash of every field (computed once: a request's fields are never changed)."""
        identity = {
            "backend": self.backend,
            "model": self.model,
            "messages": list(self.messages),
            "params": self.params,
            "template": self.template_hash,
            "replicate": self.replicate,
        }
        if self.task != "verdict":  # verdict keys stay as they were before tasks existed
            identity["task"] = self.task
        return stable_hash(identity)


@dataclass
class Judgment:
    """The judge's parsed answer to one request, with its cost and provenance."""

    verdict: Verdict
    p_a: float | None = None
    raw: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = None
    truncated: bool = False
    resolved_model: str | None = None
    """The model name the provider reports having answered with (e.g. a dated snapshot), when it says."""
    score: float | None = None
    """A score of one response (pointwise or reward model), or the score difference A - B once combined."""
    scores: tuple[float, float] | None = None
    """Once combined from two scores: the scores of A and of B themselves (what agreement with human
    scores reads). Written only when set, so files of verdict judges stay as they were."""

    @property
    def ok(self) -> bool:
        """True when the call succeeded (the verdict may still be unparseable)."""
        return self.verdict != "error"

    @property
    def cacheable(self) -> bool:
        """Errors and truncated answers are never cached."""
        return self.ok and not self.truncated

    def to_dict(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in _JUDGMENT_FIELDS}  # flat fields: no deep copy needed
        if self.scores is None:
            del fields["scores"]
        else:
            fields["scores"] = list(self.scores)
        return fields

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Judgment:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        if known.get("scores") is not None:
            known["scores"] = tuple(known["scores"])
        return cls(**known)


_ASKED_FIELDS = ("id", "prompt", "chosen", "rejected", "category", "reference", "metadata")
_JUDGMENT_FIELDS = tuple(Judgment.__dataclass_fields__)
