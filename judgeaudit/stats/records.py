"""The Summary: a typed record built by ``stats`` and only rendered by ``report`` and ``certify``.

``summary.json`` is ``asdict(Summary)``; its field names are a contract (see DESIGN.md). Intervals are
``(low, high)`` pairs; every figure is None where there is nothing to compute it from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 6

Status = Literal["BIASED", "NOT_DETECTED", "INCONCLUSIVE"]
Interval = tuple[float, float] | tuple[None, None]
NO_INTERVAL: Interval = (None, None)


@dataclass(frozen=True)
class Rate:
    """A share with its instance-clustered 95% interval, over ``n_instances`` instances."""

    rate: float | None
    ci: Interval
    n_instances: int
    n_effective: float | None = None
    """The effective sample size the interval is computed at (between the instances and the probes)."""


@dataclass(frozen=True)
class Effect:
    """A mean of per-instance values with its 95% interval over instances."""

    mean: float | None
    ci: Interval
    n_instances: int


@dataclass(frozen=True)
class AnswerStates:
    """How the probes of some conditions were answered: scored, or why not."""

    probes: int = 0
    scored: int = 0
    unparseable: int = 0
    failed: int = 0
    truncated: int = 0

    @property
    def missing_rate(self) -> float:
        """The share of probes that could not be scored."""
        return 1.0 - self.scored / self.probes if self.probes else 0.0


@dataclass(frozen=True)
class NoiseFloor:
    """How much the verdict moves without a cue: a content-neutral edit (placebo) and asking again (repeat)."""

    placebo: Rate | None
    placebo_shift: Effect | None
    repeat: Rate | None
    repeat_shift: Effect | None


@dataclass(frozen=True)
class CategoryResult:
    """One instance category's share of the bias."""

    n: int
    flips: int
    flip_rate: float | None
    flip_ci: Interval
    effect: float | None


@dataclass(frozen=True)
class FlipExample:
    """A probe whose winning response differs from its baseline: which one, and how it moved."""

    instance_id: str
    condition: str
    order: str
    baseline_condition: str
    baseline_order: str
    from_outcome: str
    to_outcome: str


@dataclass
class BiasResult:
    """Everything measured about one bias, at the instance level.

    ``effect`` is the cue-specific pull on the verdict scale (the total pull net of the placebo's; see
    ``stats.effects``), in ``effect_range``; ``status`` is BIASED only when the judge moves with the
    cue in the direction tested and the move survives the false-discovery control; ``reason`` says in
    words why a bias is INCONCLUSIVE.
    """

    name: str
    dimension: str
    method: str
    description: str
    status: Status
    reason: str
    finding: str
    direction: str
    n: int
    n_instances: int
    n_instances_total: int
    effect: float | None
    effect_ci: Interval
    p_value: float | None
    q_value: float | None
    flagged: bool
    pull_on_worse: Effect
    pull_on_better: Effect | None
    flips: int
    flip_rate: float | None
    flip_ci: Interval
    flip_rate_on_better: Rate | None
    toward_bias: int
    away_from_bias: int
    accuracy_control: float | None
    accuracy_control_ci: Interval
    accuracy_perturbed: float | None
    accuracy_perturbed_ci: Interval
    pref_shift: float | None
    pref_shift_ci: Interval
    pref_shift_p: float | None
    pref_source: str
    noise_floor: NoiseFloor
    answers: dict[str, AnswerStates]
    n_unparseable: int
    n_failed: int
    n_truncated: int
    expected: str = "toward"
    """Which way the test looks: toward the cue, away from it, or either (two-sided)."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Instances left out of this bias, by reason (the cue does not apply, a rewrite was rejected...)."""
    position_consistency: Rate | None = None
    instance_effects: dict[str, float] = field(default_factory=dict)
    """Each assessed instance's effect, by instance id: what equivalence, comparison and planning use."""
    by_category: dict[str, CategoryResult] = field(default_factory=dict)
    flipped_examples: list[FlipExample] = field(default_factory=list)
    total_pull: Effect | None = None
    """Moving the cue from the worse to the better response: the swing of the preference, placebo included."""
    edit_pull: Effect | None = None
    """The same for the placebo (an edit of the cue's size and place carrying no cue)."""
    placebo_kind: str = ""
    """What the placebo is: same size and place, size-free edit, neutral note, neutral header."""
    effect_range: tuple[float, float] = (-1.0, 1.0)
    """The range of a per-instance effect (the cue-specific pull is a difference of two swings: -2..2)."""
    soft_effect: Effect | None = None
    """The cue-specific pull on the judge's own probabilities, where every probe gives one (described, not decided on)."""
    soft_p: float | None = None


@dataclass(frozen=True)
class CallCounts:
    """Counts over the run's unique requests, and its probes."""

    total: int
    cached: int
    failed: int
    unparseable: int
    truncated: int
    probes: int


@dataclass(frozen=True)
class ControlAccuracy:
    """How often the judge prefers the better response on the unperturbed pairs."""

    n: int
    accuracy: float | None
    ci: Interval
    by_category: dict[str, Rate]


@dataclass(frozen=True)
class Validity:
    """Is the judge right, before whether it is unbiased: on the unchanged pairs, against the gold label."""

    accuracy: Rate
    """How often the better response wins (per instance over its scored orders; a tie is not a win)."""
    tie_rate: Rate
    """How often the judge calls the unchanged pair a tie."""
    position_consistency: Rate | None
    """The share of instances with the same winner in both orders (pairwise modes; None where each
    response is scored alone, consistent by construction)."""
    readout: str
    """Where the judge's preferences came from: verdicts, probabilities (logits, logprobs), scores
    (ratings, rewards) or mixed. Every effect is decided on verdicts, the scale common to all."""


@dataclass(frozen=True)
class RunFacts:
    """What a summary says about its run beyond the judgments: the last invocation's counts and time,
    the spend per bias, the sequential stops, and the run's cost where the judgments cannot give it."""

    elapsed_s: float | None = None
    this_invocation: dict[str, Any] = field(default_factory=dict)
    spend: dict[str, dict] | None = None
    sequential: dict[str, Any] | None = None
    cost_usd: float | None = None
    """None: summed from the answers."""

    @classmethod
    def of_summary(cls, summary: dict[str, Any]) -> RunFacts:
        """The facts a written summary.json recorded (none where there is none)."""
        return cls(summary.get("elapsed_s"), summary.get("this_invocation", {}), summary.get("spend"), summary.get("sequential"), summary.get("cost_usd"))


@dataclass
class Summary:
    """The result of an audit, as every output reads it."""

    schema_version: int
    run_id: str
    judge: str
    dataset: str
    n_instances: int
    calls: CallCounts
    cost_usd: float
    alpha: float
    min_instances: int
    control: ControlAccuracy
    noise_floor: NoiseFloor
    biases: dict[str, BiasResult]
    assessable: bool
    mode: str = "pairwise"
    """The formulation the judge was asked in."""
    skipped_biases: dict[str, str] = field(default_factory=dict)
    """Biases selected but not run on this judge, with the reason (e.g. it cannot generate text)."""
    position: Any = None
    """Position consistency, preference fairness and repetition stability (``stats.position``; pairwise modes)."""
    length: Any = None
    """The observational length bias on the unchanged pairs (``stats.length``), beside injected verbosity."""
    sequential: dict[str, Any] | None = None
    """With ``--sequential``: the policy, the batch size, each stopped bias with its decision and the
    instances it took, and the requests asked against the fixed design's."""
    elapsed_s: float | None = None
    this_invocation: dict[str, int] = field(default_factory=dict)
    validity: Validity | None = None
    edits: Any = None
    """What edits that carry no cue do to the judge (``stats.edits``): edit pull, size pull, fragility."""
    spend: dict[str, dict] | None = None
    """Requests, cache hits, tokens and dollars per bias (``stats.spend``): what each bias alone asked,
    ``shared`` for the control, repeat and shared placebos, and the ``total``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def by_status(self) -> dict[str, list[str]]:
        """Bias names grouped by status, in the order of the run."""
        grouped: dict[str, list[str]] = {"BIASED": [], "NOT_DETECTED": [], "INCONCLUSIVE": []}
        for name, result in self.biases.items():
            grouped[result.status].append(name)
        return grouped
