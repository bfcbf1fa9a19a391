"""Build probes: the shared control and its repeat; per bias the cue placed on the worse and,
mirrored, on the better response, and a placebo edit on the worse; every condition in both orders."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from judgeaudit.biases.perturb import derived_rng, render_edit
from judgeaudit.biases.placebo import DEFAULT_PLACEBO
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.schema import (
    CONTROL,
    CUE_ON_BETTER,
    CUE_ON_WORSE,
    PLACEBO,
    REPEAT,
    Condition,
    Instance,
    Order,
    Probe,
)

ORDERS: tuple[Order, Order] = ("chosen_first", "chosen_second")
REPEAT_REPLICATE = 1


def labels(order: Order) -> tuple[str, str]:
    """(label of the better response, label of the worse) in this order."""
    return ("A", "B") if order == "chosen_first" else ("B", "A")


def _probe(
    instance: Instance,
    bias: str | None,
    condition: Condition,
    variant: str,
    order: Order,
    chosen: str,
    rejected: str,
    edited_side: str | None = None,
    note: str = "",
    replicate: int = 0,
) -> Probe:
    chosen_label, rejected_label = labels(order)
    a, b = (chosen, rejected) if order == "chosen_first" else (rejected, chosen)
    edited = {None: None, "chosen": chosen_label, "rejected": rejected_label}[edited_side]
    return Probe(
        instance_id=instance.id,
        bias=bias,
        condition=condition,
        variant=variant,
        order=order,
        prompt=instance.prompt,
        response_a=a,
        response_b=b,
        correct=chosen_label,  # type: ignore[arg-type]
        edited=edited,  # type: ignore[arg-type]
        prompt_note=note,
        reference=instance.reference,
        category=instance.category,
        replicate=replicate,
    )


def shared_probes(instance: Instance) -> list[Probe]:
    """The unperturbed pair in both orders, and the same asked again as a separate replicate."""
    return [
        _probe(instance, None, condition, variant, order, instance.chosen, instance.rejected, replicate=replicate)
        for condition, variant, replicate in ((CONTROL, "original", 0), (REPEAT, "replicate1", REPEAT_REPLICATE))
        for order in ORDERS
    ]


Rewrites = Mapping[str, Mapping[tuple[str, str], str]]
"""Accepted LLM rewrites per rewritten bias, by (instance id, role): ``cue:chosen``, ``cue:rejected``
or ``placebo``. A bias in the mapping takes its cue from it (an instance without both cue rewrites is
skipped); a bias not in it is rendered from its template."""


@dataclass(frozen=True)
class Edit:
    """What one condition changes: the edited response's new text (or the note, or the attribution
    naming it), the other response's new text when a counterpart is rendered, and the wording drawn."""

    text: str
    other: str | None
    variant: str


def _render(
    instance: Instance, spec: BiasSpec, template: str, side: str, order: Order, stream: tuple[object, ...], added: int
) -> Edit:
    """``template`` rendered onto one response (``side``) and ``spec.counterpart`` onto the other.

    The random draws depend on (seed, instance, bias, cue or placebo), not on the side or the order,
    so the same wording goes on either response and both orders show the same text; the counterpart
    draws from a copy of the same stream, so paired lists pair item by item.
    """
    other_side = "rejected" if side == "chosen" else "chosen"
    label, other_label = labels(order) if side == "chosen" else labels(order)[::-1]
    rendered = render_edit(spec, template, getattr(instance, side), label, derived_rng(*stream), added=added)
    if not spec.counterpart or stream[-1] == PLACEBO:
        return Edit(rendered.text, None, rendered.variant)
    other = render_edit(spec, spec.counterpart, getattr(instance, other_side), other_label, derived_rng(*stream))
    return Edit(rendered.text, other.text, f"{rendered.variant}/{other.variant}")


def _edited_probe(instance: Instance, spec: BiasSpec, condition: Condition, side: str, order: Order, edit: Edit) -> Probe:
    """The probe that shows ``edit`` of the ``side`` response (chosen or rejected) in ``order``."""
    texts = {"chosen": instance.chosen, "rejected": instance.rejected}
    other_side = "rejected" if side == "chosen" else "chosen"
    note, attributions = "", {"chosen": "", "rejected": ""}
    if spec.apply_to == "response":
        texts[side] = edit.text
    elif spec.apply_to == "prompt_note":
        note = edit.text
    else:
        attributions[side] = edit.text
    if edit.other is not None:
        texts[other_side] = edit.other
    probe = _probe(instance, spec.name, condition, edit.variant, order, texts["chosen"], texts["rejected"], side, note)
    first, second = ("chosen", "rejected") if order == "chosen_first" else ("rejected", "chosen")
    return replace(probe, attribution_a=attributions[first], attribution_b=attributions[second])


def _cue_edits(instance: Instance, spec: BiasSpec, seed: int, rewrites: Rewrites | None) -> dict[tuple[str, Order], Edit] | None:
    """The cue's edit per (side, order); None when the cue does not apply to this instance."""
    edits: dict[tuple[str, Order], Edit] = {}
    for side in ("rejected", "chosen"):
        for order in ORDERS:
            if spec.method == "self" or spec.name in (rewrites or {}):
                text = (rewrites or {}).get(spec.name, {}).get((instance.id, f"cue:{side}"))
                if text is None:
                    return None
                edit = Edit(text, None, "rewrite")
            else:
                edit = _render(instance, spec, spec.template, side, order, (seed, instance.id, spec.name, "cue"), 0)
            if spec.apply_to == "response" and edit.text == getattr(instance, side):
                return None  # e.g. a one-sentence response cannot be reordered
            edits[side, order] = edit
    return edits


PLACEBO_SIZE_STEP = 40
"""The default placebo's size is the cue's rounded up to this many characters, so biases whose cues
add about as much text share one placebo (asked once: the same request)."""


def _default_placebo(instance: Instance, spec: BiasSpec, order: Order, seed: int, added: int) -> Edit:
    """Neutral text at the cue's place, of the cue's size rounded up to PLACEBO_SIZE_STEP.

    The draw depends on (seed, instance, place, size), not on the bias: placebos of the same place and
    size are the same text for every bias.
    """
    size = max(1, math.ceil(added / PLACEBO_SIZE_STEP)) * PLACEBO_SIZE_STEP
    stream = (seed, instance.id, spec.apply_to, size, PLACEBO)
    return _render(instance, spec, DEFAULT_PLACEBO[spec.apply_to], "rejected", order, stream, size)


def bias_probes(instance: Instance, spec: BiasSpec, seed: int, rewrites: Rewrites | None = None) -> list[Probe]:
    """Cue and placebo probes of one instance for one bias.

    None for ``swap`` (which reuses every probe) and none when the cue does not apply to the instance
    or its rewrite is missing (failed, or rejected by the meaning check).
    """
    if spec.method == "swap":
        return []
    edits = _cue_edits(instance, spec, seed, rewrites)
    if edits is None:
        return []
    probes = [
        _edited_probe(instance, spec, condition, side, order, edits[side, order])
        for condition, side in ((CUE_ON_WORSE, "rejected"), (CUE_ON_BETTER, "chosen"))
        for order in ORDERS
    ]
    cue_on_worse = edits["rejected", ORDERS[0]]
    added = len(cue_on_worse.text) - (len(instance.rejected) if spec.apply_to == "response" else 0)
    rewritten_placebo = (rewrites or {}).get(spec.name, {}).get((instance.id, "placebo"))
    for order in ORDERS:
        if rewritten_placebo is not None:
            placebo = Edit(rewritten_placebo, None, "paraphrase")
        elif spec.placebo:
            stream = (seed, instance.id, spec.name, PLACEBO)
            placebo = _render(instance, spec, spec.placebo, "rejected", order, stream, max(added, 1))
        else:
            placebo = _default_placebo(instance, spec, order, seed, added)
        probes.append(_edited_probe(instance, spec, PLACEBO, "rejected", order, placebo))
    return probes


def _prefix_order(probe: Probe) -> tuple[int, str, str, str, int]:
    return (ORDERS.index(probe.order), probe.response_a, probe.response_b, probe.prompt_note, probe.replicate)


def build_probes(
    instances: Iterable[Instance], specs: list[BiasSpec], seed: int, rewrites: Rewrites | None = None
) -> list[Probe]:
    """All probes of a run, instance by instance and order by order; ``rewrites`` (LLM rewrites of
    responses) replace the templates of the biases that have a rewrite instruction.

    Within an order, probes are sorted by the texts shown, so neighbours share the longest prompt
    prefix (same question, same first response), which local judges reuse from their KV cache.
    """
    probes: list[Probe] = []
    for instance in instances:
        of_instance = shared_probes(instance)
        for spec in specs:
            of_instance.extend(bias_probes(instance, spec, seed, rewrites))
        probes.extend(sorted(of_instance, key=_prefix_order))
    return probes
