"""Build probes: the shared control, its repeat and a size-free edit; per bias the cue placed on the
worse and, mirrored, on the better response, and a placebo of the cue's size and place on each; every
condition in both orders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from judgeaudit.biases.perturb import derived_rng, insert_at, neutral_text, reflow, render_edit
from judgeaudit.biases.placebo import DEFAULT_PLACEBO
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.schema import (
    CONTROL,
    CUE_ON_BETTER,
    CUE_ON_WORSE,
    EDIT_ON_BETTER,
    EDIT_ON_WORSE,
    PLACEBO_ON_BETTER,
    PLACEBO_ON_WORSE,
    REPEAT,
    Condition,
    Instance,
    Order,
    Probe,
)

ORDERS: tuple[Order, Order] = ("chosen_first", "chosen_second")
SIDES = ("rejected", "chosen")
REPEAT_REPLICATE = 1
PLACEBO_SIZE_STEP = 10
"""A placebo's size is the cue's rounded to this many characters, so biases whose cues add about as
much text at the same place share one placebo (asked once: the same request)."""


def labels(order: Order) -> tuple[str, str]:
    """(label of the better response, label of the worse) in this order."""
    return ("A", "B") if order == "chosen_first" else ("B", "A")


def _other(side: str) -> str:
    return "rejected" if side == "chosen" else "chosen"


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


def size_free_edits(instance: Instance) -> dict[str, str]:
    """Each response with one break changed (``reflow``), by side."""
    return {side: reflow(getattr(instance, side)) for side in SIDES}


def shared_probes(instance: Instance) -> list[Probe]:
    """The unperturbed pair in both orders, the same asked again as a separate replicate, and the
    size-free edit on the worse and on the better response."""
    probes = [
        _probe(instance, None, condition, variant, order, instance.chosen, instance.rejected, replicate=replicate)
        for condition, variant, replicate in ((CONTROL, "original", 0), (REPEAT, "replicate1", REPEAT_REPLICATE))
        for order in ORDERS
    ]
    edited = size_free_edits(instance)
    for condition, side in ((EDIT_ON_WORSE, "rejected"), (EDIT_ON_BETTER, "chosen")):
        texts = {"chosen": instance.chosen, "rejected": instance.rejected, side: edited[side]}
        probes += [_probe(instance, None, condition, "reflow", o, texts["chosen"], texts["rejected"], side) for o in ORDERS]
    return probes


Rewrites = Mapping[str, Mapping[tuple[str, str], str]]
"""Accepted LLM rewrites per rewritten bias, by (instance id, role): ``cue:chosen``, ``cue:rejected``,
``placebo:chosen`` or ``placebo:rejected``. A bias in the mapping takes its cue from it (an instance
without both cue rewrites is skipped) and its placebo where both paraphrases were accepted; a bias not
in it is rendered from its template."""


@dataclass(frozen=True)
class Edit:
    """What one condition changes: the edited response's new text (or the note, or the attribution
    naming it), the other response's new text when a counterpart is rendered, and the wording drawn."""

    text: str
    other: str | None
    variant: str


def _render(instance: Instance, spec: BiasSpec, side: str, order: Order, seed: int) -> Edit:
    """The cue rendered onto one response (``side``) and ``spec.counterpart`` onto the other.

    The random draws depend on (seed, instance, bias), not on the side or the order, so the same
    wording goes on either response and both orders show the same text; the counterpart draws from a
    copy of the same stream, so paired lists pair item by item.
    """
    stream = (seed, instance.id, spec.name, "cue")
    label, other_label = _label(side, order), _label(_other(side), order)
    rendered = render_edit(spec, spec.template, getattr(instance, side), label, derived_rng(*stream))
    if not spec.counterpart:
        return Edit(rendered.text, None, rendered.variant)
    other = render_edit(spec, spec.counterpart, getattr(instance, _other(side)), other_label, derived_rng(*stream))
    return Edit(rendered.text, other.text, f"{rendered.variant}/{other.variant}")


def _edited_probe(instance: Instance, spec: BiasSpec, condition: Condition, side: str, order: Order, edit: Edit) -> Probe:
    """The probe that shows ``edit`` of the ``side`` response (chosen or rejected) in ``order``."""
    texts = {"chosen": instance.chosen, "rejected": instance.rejected}
    note, attributions = "", {"chosen": "", "rejected": ""}
    if spec.apply_to == "response":
        texts[side] = edit.text
    elif spec.apply_to == "prompt_note":
        note = edit.text
    else:
        attributions[side] = edit.text
    if edit.other is not None:
        texts[_other(side)] = edit.other
    probe = _probe(instance, spec.name, condition, edit.variant, order, texts["chosen"], texts["rejected"], side, note)
    first, second = ("chosen", "rejected") if order == "chosen_first" else ("rejected", "chosen")
    return replace(probe, attribution_a=attributions[first], attribution_b=attributions[second])


def _cue_edits(instance: Instance, spec: BiasSpec, seed: int, rewrites: Rewrites | None) -> dict[tuple[str, Order], Edit] | None:
    """The cue's edit per (side, order); None when the cue does not apply to this instance."""
    edits: dict[tuple[str, Order], Edit] = {}
    for side in SIDES:
        for order in ORDERS:
            if spec.method == "self" or spec.name in (rewrites or {}):
                text = (rewrites or {}).get(spec.name, {}).get((instance.id, f"cue:{side}"))
                if text is None:
                    return None
                edit = Edit(text, None, "rewrite")
            else:
                edit = _render(instance, spec, side, order, seed)
            if spec.apply_to == "response" and edit.text == getattr(instance, side):
                return None  # e.g. a one-sentence response cannot be reordered
            edits[side, order] = edit
    return edits


def uses_size_free_placebo(spec: BiasSpec) -> bool:
    """Whether the bias's placebo is the shared size-free edit: its cue is size itself (verbosity), or
    a response edit that adds nothing (a reordering)."""
    return spec.apply_to == "response" and (spec.placebo_size == "none" or spec.edit == "reorder")


def _neutral_at(response: str, place: str, size: int, seed: int, instance_id: str) -> tuple[str, str]:
    """``response`` with neutral text of about ``size`` characters added at ``place`` (where the cue's
    edit adds its text), and the wording drawn. The draw depends on (seed, instance, place, size) only,
    so the same text goes on either response and is shared by every bias of that place and size."""
    rng = derived_rng(seed, instance_id, "placebo", place, size)
    if place == "prepend":
        return f"{neutral_text(rng, size - 1)} {response}", f"neutral{size}@start"
    if place == "insert":
        return insert_at(response, neutral_text(rng, size - 1), "middle"), f"neutral{size}@middle"
    if place == "wrap":
        head = neutral_text(rng, size // 2 - 1)
        return f"{head} {response} {neutral_text(rng, size - len(head) - 2)}", f"neutral{size}@both"
    return f"{response}\n\n{neutral_text(rng, size - 2)}", f"neutral{size}@end"


def _added(original: str, edited: str) -> int:
    """Characters an edit added, rounded to PLACEBO_SIZE_STEP (0: it added none)."""
    return round(max(0, len(edited) - len(original)) / PLACEBO_SIZE_STEP) * PLACEBO_SIZE_STEP


def _label(side: str, order: Order) -> str:
    """The letter ``side`` (chosen or rejected) is shown under in ``order``."""
    return labels(order)[0] if side == "chosen" else labels(order)[1]


def _placebo_edit(instance: Instance, spec: BiasSpec, cue: Edit, side: str, order: Order, seed: int) -> Edit | None:
    """The placebo of one placement: the bias file's own ``placebo`` template; else for a note or a
    header a neutral one naming the response; else neutral text of the cue's size at its place on that
    side (and of the counterpart's size on the other side). None when the cue adds no text there."""
    response = getattr(instance, side)
    if spec.placebo:
        added = max(1, len(cue.text) - (len(response) if spec.apply_to == "response" else 0))
        rendered = render_edit(spec, spec.placebo, response, _label(side, order), derived_rng(seed, instance.id, spec.name, "placebo"), added=added)
        return Edit(rendered.text, None, rendered.variant)
    if spec.apply_to != "response":
        stream = derived_rng(seed, instance.id, "placebo", spec.apply_to)
        rendered = render_edit(spec, DEFAULT_PLACEBO[spec.apply_to], response, _label(side, order), stream)
        return Edit(rendered.text, None, rendered.variant)
    size = _added(response, cue.text)
    if size == 0:
        return None
    text, variant = _neutral_at(response, spec.edit, size, seed, instance.id)
    if cue.other is None:
        return Edit(text, None, variant)
    other = getattr(instance, _other(side))
    other_size = _added(other, cue.other)
    other_text, other_variant = _neutral_at(other, spec.edit, other_size, seed, instance.id) if other_size else (other, "none")
    return Edit(text, other_text, f"{variant}/{other_variant}")


def _placebo_edits(instance: Instance, spec: BiasSpec, cue: dict[tuple[str, Order], Edit], seed: int) -> dict[tuple[str, Order], Edit] | None:
    """The placebo per (side, order); None when the cue adds no text on a side (the stats then take the
    shared size-free edit as this instance's placebo)."""
    edits = {(side, order): _placebo_edit(instance, spec, cue[side, order], side, order, seed) for side in SIDES for order in ORDERS}
    return None if None in edits.values() else edits  # type: ignore[return-value]


def _rewritten_placebo(instance: Instance, spec: BiasSpec, rewrites: Rewrites | None) -> dict[tuple[str, Order], Edit] | None:
    """The rewriter's cue-free paraphrases as the placebo, where both were accepted."""
    texts = {side: (rewrites or {}).get(spec.name, {}).get((instance.id, f"placebo:{side}")) for side in SIDES}
    if any(text is None for text in texts.values()):
        return None
    return {(side, order): Edit(texts[side], None, "paraphrase") for side in SIDES for order in ORDERS}  # type: ignore[arg-type]


def bias_probes(instance: Instance, spec: BiasSpec, seed: int, rewrites: Rewrites | None = None) -> list[Probe]:
    """Cue and placebo probes of one instance for one bias.

    None for ``swap`` (which reuses every probe) and none when the cue does not apply to the instance
    or its rewrite is missing (failed, or rejected by the meaning check). A bias whose placebo is the
    shared size-free edit (``uses_size_free_placebo``, or a cue that adds no text) has cue probes only.
    """
    if spec.method == "swap":
        return []
    cue = _cue_edits(instance, spec, seed, rewrites)
    if cue is None:
        return []
    probes = [
        _edited_probe(instance, spec, condition, side, order, cue[side, order])
        for condition, side in ((CUE_ON_WORSE, "rejected"), (CUE_ON_BETTER, "chosen"))
        for order in ORDERS
    ]
    if uses_size_free_placebo(spec):
        return probes
    placebo = _rewritten_placebo(instance, spec, rewrites) or _placebo_edits(instance, spec, cue, seed)
    if placebo is None:
        return probes
    return probes + [
        _edited_probe(instance, spec, condition, side, order, placebo[side, order])
        for condition, side in ((PLACEBO_ON_WORSE, "rejected"), (PLACEBO_ON_BETTER, "chosen"))
        for order in ORDERS
    ]


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
