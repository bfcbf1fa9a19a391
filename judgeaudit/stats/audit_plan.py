"""The plan of an audit (``judgeaudit plan``): per bias, the instances it needs at a power, and the
calls, tokens and dollars a design of that size costs."""

from __future__ import annotations

from dataclasses import dataclass

from judgeaudit.pricing import Prices


@dataclass(frozen=True)
class BiasPlan:
    """What one bias needs."""

    name: str
    expected: str
    delta: float
    effects_from: str
    to_certify: int | None
    """Instances to certify the effect below δ at the power (None: not within the simulated range)."""
    to_fail: int | None
    """Instances to show the effect above δ (a FAIL) at the power, were it as the effects say."""
    to_detect: int | None
    """Instances to detect an effect of the planned size at the power."""
    calls_per_instance: float
    """This bias's requests per instance (the shared control and repeat not included; a placebo it
    shares with other biases counted here too)."""


@dataclass(frozen=True)
class ValidityPlan:
    """What one validity criterion of the policy needs."""

    criterion: str
    """The policy's key (``min_accuracy``, ``min_kappa``, ...)."""
    limit: float
    assumed: str
    """The judge it is sized for: assumed, or measured in the pilot."""
    method: str
    """How the instances were found."""
    instances: int | None
    """Instances to PASS at the power (None: not within ``MAX_INSTANCES``: the judge as assumed is at or beyond the limit)."""


@dataclass(frozen=True)
class AuditPlan:
    """The plan of a whole audit."""

    judge: str
    mode: str
    power: float
    confidence: float
    detect: float
    instances_available: int
    calls_per_instance: float
    """Every request of the run per instance (control, repeat, cues, placebos shared across biases once)."""
    shared_calls_per_instance: float
    prompt_tokens_per_call: float
    completion_tokens_per_call: float
    tokens_measured: bool
    prices: Prices
    biases: list[BiasPlan]
    validity: tuple[ValidityPlan, ...] = ()
    """The instances each validity criterion of the policy needs."""
    unit: str = "instances"
    """What every count of the plan counts: instances, or prompt groups where the data has several pairs per prompt."""

    @property
    def instances_to_certify_all(self) -> int | None:
        needs = [b.to_certify for b in self.biases]
        return None if not needs or None in needs else max(needs)  # type: ignore[type-var]

    def cost(self, instances: int) -> tuple[int, int, float]:
        """Calls, tokens and dollars of a fixed design that asks every bias on ``instances`` instances."""
        calls = round(self.calls_per_instance * instances)
        prompt, completion = calls * self.prompt_tokens_per_call, calls * self.completion_tokens_per_call
        return calls, round(prompt + completion), prompt * self.prices.prompt + completion * self.prices.completion

    @property
    def instances_for_validity(self) -> int | None:
        """The most instances any validity criterion needs (None: one cannot pass within the simulated range)."""
        needs = [v.instances for v in self.validity]
        return None if not needs or None in needs else max(n for n in needs if n is not None)
