"""The Summary: a typed record built by ``stats`` and only rendered by ``report`` and ``certify``.

``summary.json`` is ``asdict(Summary)``; its field names are a contract (see DESIGN.md). Intervals are
``(low, high)`` pairs; every figure is None where there is nothing to compute it from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 8

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
class Estimate:
    """A statistic over instances (a kappa, an alpha, a calibration error...) with its 95% interval,
    from a bootstrap over instances (``stats.resampling``) where no closed form is honest."""

    value: float | None
    ci: Interval
    n_instances: int


@dataclass(frozen=True)
class Confusion:
    """Scored control probes counted by the reference label (rows) and the judge's verdict (columns),
    both in the data's frame: chosen, rejected, tie; ``unscored`` counts the probes without a verdict."""

    reference: str
    """What the rows are: ``gold`` or ``human majority``."""
    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    unscored: tuple[int, ...]


@dataclass(frozen=True)
class GoldAgreement:
    """The judge against the gold label on the unchanged pairs (the control probes, both orders)."""

    source: str
    """Where the gold label comes from: ``labels`` (the data's label field), ``human majority``, ``chosen/rejected``
    (the data's split is the label), or several of them with their counts."""
    n_instances: int
    n_tie_gold: int
    accuracy: Rate
    """Per instance over its scored orders, gold ties left out: the gold-better response wins (a tie verdict is not a win)."""
    accuracy_by_order: dict[str, Rate]
    """The same in each order alone (``chosen_first``, ``chosen_second``)."""
    accuracy_averaged: Rate
    """The order-averaged verdict (the mean of the two orders' 1 / 0.5 / 0: above a half chosen, below
    rejected, a half a tie) equals gold; gold ties included, instances scored in both orders."""
    agreement_with_ties: Rate
    """Three classes, gold ties included: per instance over its scored orders."""
    kappa: Estimate
    """Cohen's kappa of the judge against gold over every scored control probe, three classes as shown
    (A, B, tie): a judge that follows position rather than content scores near 0."""
    confusion: Confusion


@dataclass(frozen=True)
class AnnotatorTest:
    """The Alt-Test's comparison of the judge with one held-out annotator."""

    annotator: str
    n_instances: int
    judge_advantage: float
    """rho_f: the share of this annotator's instances on which the judge agrees with the other annotators at
    least as well as this annotator does."""
    human_advantage: float
    """rho_h: the same the other way round."""
    test: str
    """``t-test`` (at least 30 instances, as the paper asks) or ``Wilcoxon signed-rank`` (fewer)."""
    p_value: float
    """One-sided, before the Benjamini-Yekutieli adjustment."""
    won: bool
    """The null hypothesis rho_f <= rho_h - epsilon is rejected after the Benjamini-Yekutieli procedure."""


@dataclass(frozen=True)
class AltTest:
    """Can the judge replace an annotator (Calderon, Reichart & Dror, 2025)? Leave one annotator out at a time."""

    epsilon: float
    q: float
    annotators: list[AnnotatorTest]
    skipped: dict[str, int]
    """Annotators left out (too few instances shared with another annotator), with their instance counts."""
    winning_rate: float | None
    """omega: the share of tested annotators the judge wins against; it passes at 0.5 or more."""
    advantage_probability: float | None
    """rho: the mean of rho_f over the tested annotators (to compare judges)."""
    passed: bool | None
    """None: not assessable (fewer than two annotators could be tested)."""
    reason: str


@dataclass(frozen=True)
class HumanAgreement:
    """The judge against human annotators, beside the humans against each other (the ceiling)."""

    n_instances: int
    n_annotators: int
    n_annotations: int
    no_majority: int
    """Instances whose annotations split with no label ahead (left out of ``majority`` and ``kappa``)."""
    majority: Rate
    """The judge's verdict equals the annotators' majority (per instance over its scored orders)."""
    random_annotator: Rate
    """The judge's verdict equals a randomly drawn annotator's (per instance: the share of annotators it matches)."""
    ceiling: Rate | None
    """An annotator's verdict equals another, randomly drawn one's (instances with two or more annotations):
    the human-human agreement, computed the same way as ``random_annotator``."""
    gap: Estimate | None
    """``random_annotator`` minus ``ceiling`` on the instances with two or more annotations (paired per instance)."""
    kappa: Estimate
    """Cohen's kappa of the judge against the majority, three classes as shown."""
    alpha_humans: Estimate | None
    """Krippendorff's alpha (nominal: chosen, rejected, tie) over the annotators."""
    alpha_with_judge: Estimate | None
    """The same with the judge as one more annotator (its order-averaged verdict)."""
    alt_test: AltTest | None
    confusion: Confusion


@dataclass(frozen=True)
class ScaleUse:
    """How a rater uses its scale."""

    low: float
    high: float
    """The scale's ends as observed (scores are compared after mapping these ends onto each other, so no
    figure depends on a score's units)."""
    points_used: int
    sd_share: float
    """The scores' standard deviation over the width of the scale."""
    top_share: float
    """The share of scores on the most used point."""


@dataclass(frozen=True)
class ScoreAgreement:
    """A judge that scores each response alone, against human scores of the same responses."""

    n_instances: int
    n_responses: int
    spearman: Estimate
    """Judge score against the mean human score of each response (both responses of an instance resampled together)."""
    kendall: Estimate
    weighted_kappa: Estimate
    """Quadratic-weighted kappa, the judge's score mapped linearly onto the human scale and rounded, against
    each human score."""
    human_weighted_kappa: Estimate | None
    """The same between two annotators of a response (the ceiling)."""
    judge_scale: ScaleUse
    human_scale: ScaleUse


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability diagram: stated probability against observed frequency."""

    low: float
    high: float
    n: int
    mean_p: float | None
    frequency: float | None


@dataclass(frozen=True)
class Calibration:
    """Is the judge's probability of A right as often as it says (every scored control probe, as shown)?"""

    source: str
    """``probabilities`` (a pairwise judge's logits or logprobs) or ``score differences`` (a reward model's or
    a pointwise judge's two scores: the sigmoid of their difference is a convention, so only the
    recalibrated figures are free of the score's units)."""
    target: str
    """``gold`` or ``human majority``."""
    n_instances: int
    n_probes: int
    ece: Estimate
    brier: Estimate
    bins: list[ReliabilityBin]
    recalibrated_ece: Estimate
    """After a logistic recalibration fitted on the other folds of units (instances, or prompt groups; cross-fitted)."""
    recalibrated_brier: Estimate
    recalibrated_bins: list[ReliabilityBin]
    folds: int
    decided_on: str
    """Which error the certificate reads: ``ece`` for probabilities, ``recalibrated_ece`` for score differences."""


@dataclass(frozen=True)
class Disagreement:
    """An instance the judge gets wrong where the reference is clear (gold, or annotators who agree)."""

    instance_id: str
    category: str
    reference: str
    reference_source: str
    verdicts: tuple[str | None, str | None]
    """The judge's verdict with the chosen response shown first, then second (None: not scored)."""


@dataclass(frozen=True)
class CategoryAgreement:
    """One category's agreement figures."""

    accuracy: Rate
    kappa: Estimate
    majority: Rate | None


@dataclass(frozen=True)
class AgreementEvidence:
    """The per-unit values behind the figures a certificate decides on, so that it can bound them at its
    own confidence (``stats.agreement`` has the functions that do). A unit is an instance, or a prompt
    group where one prompt gave several (``stats.units``); units are in order of their first instance's id."""

    gold_confusions: list[list[int]] = field(default_factory=list)
    """Per unit (``stats.units``: an instance, or a prompt group), its instances' scored control probes as one
    3 x 3 table flattened row by row: gold (A, B, tie as shown) by the judge's verdict (A, B, tie)."""
    majority_confusions: list[list[int]] = field(default_factory=list)
    """The same against the annotators' majority (per unit, its instances with one)."""
    gap: list[float] = field(default_factory=list)
    """Per unit, the mean over its instances with two or more annotations of the judge's agreement with a
    random annotator minus an annotator's with another."""
    calibration: list[list[float]] = field(default_factory=list)
    """Per scored probe with a probability: [unit position, P(A), cross-fitted recalibrated P(A), 1 if A is right else 0]."""
    alt_test: dict[str, list[int]] = field(default_factory=dict)
    """Per annotator (every one, so that recomputing skips the same ones): per instance it shares with another
    annotator, W_h - W_f (-1, 0 or 1); ``stats.agreement.alt_test_from_differences`` recomputes the test."""
    alt_test_units: dict[str, list[int]] = field(default_factory=dict)
    """Per annotator, where instances form prompt groups, the unit of each of its ``alt_test`` entries
    (empty without groups): the test then runs over units (``stats.alt_test.tested_values``)."""


@dataclass(frozen=True)
class Agreement:
    """Is the judge right: against gold, against humans, its scores and its probabilities."""

    gold: GoldAgreement | None
    humans: HumanAgreement | None
    scores: ScoreAgreement | None
    calibration: Calibration | None
    disagreements: list[Disagreement]
    """The first ``DISAGREEMENTS_KEPT`` (``stats.agreement``), in id order."""
    n_disagreements: int
    by_category: dict[str, CategoryAgreement]
    not_assessable: dict[str, str]
    """Figures that could not be computed, with why (no annotations, no probabilities, too few instances)."""
    evidence: AgreementEvidence = field(default_factory=AgreementEvidence)


@dataclass(frozen=True)
class HeadlineScore:
    """A public benchmark's own headline metric from the run's judgments (``stats.headline``)."""

    benchmark: str
    metric: str
    score: float | None
    """The number its leaderboard shows, computed its way."""
    parts: dict[str, float | None]
    """The figures the leaderboard lists beside it (sections, categories, easy / normal / hard)."""
    rates: dict[str, Rate]
    """Those with their intervals over instances (or prompt groups), where an interval is honest."""
    n_instances: int
    note: str = ""


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


@dataclass(frozen=True)
class Grouping:
    """Where one prompt gave several instances (a ``group`` tag): the prompt group is the unit of every
    interval and test (``stats.units``), and ``BiasResult.instance_effects`` is keyed by it."""

    n_groups: int
    """Units under a group tag (a group with one instance in the run counts too)."""
    n_grouped_instances: int
    """The instances in those groups."""
    n_units: int
    """Every unit of the run: the groups and the instances that are their own unit."""
    largest: int
    """Instances in the largest group."""


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
    agreement: Agreement | None = None
    """Is the judge right: gold, humans, scores, calibration (``stats.agreement``)."""
    headline: HeadlineScore | None = None
    """A public benchmark's own headline metric, where the data is one (``stats.headline``)."""
    grouping: Grouping | None = None
    """None: every instance is its own unit; else the prompt groups the statistics take as units."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """The typed Summary of a ``summary.json`` (``Summary.from_dict(s.to_dict()) == s``), of this
        schema or an older one: a field an older schema did not have takes its default, or None, or an
        empty collection (``stats.reading.build``); keys a newer schema added are ignored."""
        from judgeaudit.stats.reading import build  # the reader resolves these records' annotations

        return build(cls, data)

    @property
    def by_status(self) -> dict[str, list[str]]:
        """Bias names grouped by status, in the order of the run."""
        grouped: dict[str, list[str]] = {"BIASED": [], "NOT_DETECTED": [], "INCONCLUSIVE": []}
        for name, result in self.biases.items():
            grouped[result.status].append(name)
        return grouped
