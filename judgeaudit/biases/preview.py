"""A bias's cue on one instance, as what changed between the control and the cue probe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from judgeaudit.biases.probes import bias_probes, shared_probes
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import CUE_ON_WORSE, Instance, Probe

_SHOWN = (
    ("response_a", "Response A"),
    ("response_b", "Response B"),
    ("attribution_a", "header of Response A"),
    ("attribution_b", "header of Response B"),
    ("prompt_note", "note after the responses"),
)


@dataclass(frozen=True)
class Change:
    """One part of the judge's prompt before and after the cue."""

    where: str
    before: str
    after: str


@dataclass(frozen=True)
class Preview:
    """The cue placed on the worse response of ``instance`` (better shown first); no changes for
    biases that need a model to inject (``needs_model`` says which)."""

    instance: Instance
    probe: Probe | None
    changes: tuple[Change, ...]
    needs_model: str = ""


def preview(spec: BiasSpec, instances: Sequence[Instance], seed: int) -> Preview:
    """The first instance the cue applies to, with every part of the prompt the cue changed."""
    if spec.method == "swap":
        control, swapped = shared_probes(instances[0])[:2]
        return Preview(instances[0], swapped, (Change("order", "better response shown first", "better response shown second"),))
    if spec.method == "self":
        return Preview(instances[0], None, (), "the judge's own rewrite (needs a judge that generates text)")
    for instance in instances:
        cued = [p for p in bias_probes(instance, spec, seed) if p.condition == CUE_ON_WORSE and p.order == "chosen_first"]
        if cued:
            control = shared_probes(instance)[0]
            changes = tuple(
                Change(where, getattr(control, field), getattr(cued[0], field))
                for field, where in _SHOWN
                if getattr(control, field) != getattr(cued[0], field)
            )
            return Preview(instance, cued[0], changes)
    raise JudgeAuditError(f"bias {spec.name!r}: its cue applies to none of the {len(instances)} instances")
