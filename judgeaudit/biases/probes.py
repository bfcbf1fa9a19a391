"""Build probes: the shared unperturbed controls and one perturbed probe per bias and order."""

from __future__ import annotations

from collections.abc import Iterable

from judgeaudit.biases.perturb import derived_rng, render_perturbation
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.schema import CONTROL, Instance, Order, Probe

ORDERS: tuple[Order, Order] = ("chosen_first", "chosen_second")
DEFAULT_VARIANT = "default"


def _labels(order: Order) -> tuple[str, str]:
    """(label of chosen, label of rejected) in this order."""
    return ("A", "B") if order == "chosen_first" else ("B", "A")


def _probe(instance: Instance, bias: str, order: Order, chosen: str, rejected: str, note: str = "") -> Probe:
    chosen_label, rejected_label = _labels(order)
    a, b = (chosen, rejected) if order == "chosen_first" else (rejected, chosen)
    return Probe(
        instance_id=instance.id,
        bias=bias,
        variant=DEFAULT_VARIANT,
        order=order,
        prompt=instance.prompt,
        response_a=a,
        response_b=b,
        correct=chosen_label,  # type: ignore[arg-type]
        target=None if bias == CONTROL else rejected_label,  # type: ignore[arg-type]
        prompt_note=note,
        reference=instance.reference,
        category=instance.category,
    )


def control_probes(instance: Instance) -> list[Probe]:
    """The unperturbed pair in both orders; every bias of the run compares against these."""
    return [_probe(instance, CONTROL, order, instance.chosen, instance.rejected) for order in ORDERS]


def bias_probes(instance: Instance, spec: BiasSpec, seed: int) -> list[Probe]:
    """Perturbed probes of one instance for one bias, in both orders (none for ``swap``)."""
    if spec.method == "swap":
        return []
    probes = []
    for order in ORDERS:
        # The random draw depends on (seed, instance, bias, variant), not on the order, so both
        # orders show the same perturbed text.
        rng = derived_rng(seed, instance.id, spec.name, DEFAULT_VARIANT)
        _, rejected_label = _labels(order)
        rendered = render_perturbation(spec, instance.rejected, rejected_label, rng)
        if spec.apply_to == "response":
            probes.append(_probe(instance, spec.name, order, instance.chosen, rendered))
        else:
            probes.append(_probe(instance, spec.name, order, instance.chosen, instance.rejected, note=rendered))
    return probes


def _prefix_order(probe: Probe) -> tuple[int, str, str, str]:
    return (ORDERS.index(probe.order), probe.response_a, probe.response_b, probe.prompt_note)


def build_probes(instances: Iterable[Instance], specs: list[BiasSpec], seed: int) -> list[Probe]:
    """All probes of a run, ordered instance by instance and order by order.

    Within an order, probes are sorted by the texts shown, so neighbours share the longest prompt
    prefix (same question, same first response), which local judges reuse from their KV cache.
    """
    probes: list[Probe] = []
    for instance in instances:
        of_instance = control_probes(instance)
        for spec in specs:
            of_instance.extend(bias_probes(instance, spec, seed))
        probes.extend(sorted(of_instance, key=_prefix_order))
    return probes
