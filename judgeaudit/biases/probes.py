"""Build probes: the shared control and its repeat; per bias the cue placed on the worse and,
mirrored, on the better response, and a placebo edit on the worse; every condition in both orders."""

from __future__ import annotations

from collections.abc import Iterable

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


def _edited_probe(
    instance: Instance, spec: BiasSpec, condition: Condition, template: str, side: str, order: Order, seed: int,
    added: int = 0,
) -> Probe:
    """``template`` rendered onto one response (``side``: chosen or rejected), shown in ``order``.

    The random draw depends on (seed, instance, bias, cue or placebo), not on the side or the order,
    so the same wording goes on either response and both orders show the same text.
    """
    rng = derived_rng(seed, instance.id, spec.name, "placebo" if condition == PLACEBO else "cue")
    label = labels(order)[0 if side == "chosen" else 1]
    rendered = render_edit(spec, template, getattr(instance, side), label, rng, added=added)
    texts = {"chosen": instance.chosen, "rejected": instance.rejected}
    note = ""
    if spec.apply_to == "response":
        texts[side] = rendered.text
    else:
        note = rendered.text
    return _probe(instance, spec.name, condition, rendered.variant, order, texts["chosen"], texts["rejected"], side, note)


def bias_probes(instance: Instance, spec: BiasSpec, seed: int) -> list[Probe]:
    """Cue and placebo probes of one instance for one bias (none for ``swap``, which reuses all probes)."""
    if spec.method == "swap":
        return []
    probes = [
        _edited_probe(instance, spec, condition, spec.template, side, order, seed)
        for condition, side in ((CUE_ON_WORSE, "rejected"), (CUE_ON_BETTER, "chosen"))
        for order in ORDERS
    ]
    cue_on_worse = probes[0]
    if spec.apply_to == "response":
        added = len(cue_on_worse.response_b) - len(instance.rejected)
    else:
        added = len(cue_on_worse.prompt_note)
    placebo = spec.placebo or DEFAULT_PLACEBO[spec.apply_to]
    probes += [_edited_probe(instance, spec, PLACEBO, placebo, "rejected", order, seed, added) for order in ORDERS]
    return probes


def _prefix_order(probe: Probe) -> tuple[int, str, str, str, int]:
    return (ORDERS.index(probe.order), probe.response_a, probe.response_b, probe.prompt_note, probe.replicate)


def build_probes(instances: Iterable[Instance], specs: list[BiasSpec], seed: int) -> list[Probe]:
    """All probes of a run, instance by instance and order by order.

    Within an order, probes are sorted by the texts shown, so neighbours share the longest prompt
    prefix (same question, same first response), which local judges reuse from their KV cache.
    """
    probes: list[Probe] = []
    for instance in instances:
        of_instance = shared_probes(instance)
        for spec in specs:
            of_instance.extend(bias_probes(instance, spec, seed))
        probes.extend(sorted(of_instance, key=_prefix_order))
    return probes
