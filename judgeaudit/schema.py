"""The records that flow through an audit: Instance -> Probe -> JudgeRequest -> Judgment."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["A", "B", "tie", "unparseable", "error"]
Order = Literal["chosen_first", "chosen_second"]
CONTROL = "control"


def stable_hash(payload: Any, length: int = 64) -> str:
    """SHA-256 of the canonical JSON form of ``payload``."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Instance:
    """One evaluation item: a prompt with a better (chosen) and a worse (rejected) response."""

    id: str
    prompt: str
    chosen: str
    rejected: str
    category: str = "uncategorized"
    reference: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """One instance under one condition, in one presentation order.

    ``bias`` is ``"control"`` for the unperturbed pair. ``response_a``/``response_b`` are the texts
    actually shown; ``correct`` is the label of the chosen response; ``target`` is the label of the
    side the perturbation favours (None for the control). ``prompt_note`` is extra text placed in the
    judge prompt after the responses (e.g. a bandwagon statement).
    """

    instance_id: str
    bias: str
    variant: str
    order: Order
    prompt: str
    response_a: str
    response_b: str
    correct: Literal["A", "B"]
    target: Literal["A", "B"] | None = None
    prompt_note: str = ""
    reference: str | None = None
    category: str = "uncategorized"

    @property
    def key(self) -> str:
        """Identity of the probe within a run (instance, condition, order)."""
        return f"{self.instance_id}|{self.bias}|{self.variant}|{self.order}"

    @property
    def content_key(self) -> tuple[str, str, str, str, str | None]:
        """What the judge sees; probes with equal content share one request."""
        return (self.prompt, self.response_a, self.response_b, self.prompt_note, self.reference)


@dataclass(frozen=True)
class JudgeRequest:
    """Everything that determines the judge's answer. Its hash is the cache and journal key."""

    backend: str
    model: str
    messages: tuple[dict[str, str], ...]
    params: dict[str, Any]
    template_hash: str
    replicate: int = 0

    @property
    def key(self) -> str:
        return stable_hash(
            {
                "backend": self.backend,
                "model": self.model,
                "messages": list(self.messages),
                "params": self.params,
                "template": self.template_hash,
                "replicate": self.replicate,
            }
        )


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

    @property
    def ok(self) -> bool:
        """True when the call succeeded (the verdict may still be unparseable)."""
        return self.verdict != "error"

    @property
    def cacheable(self) -> bool:
        """Errors and truncated answers are never cached."""
        return self.ok and not self.truncated

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Judgment":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)
