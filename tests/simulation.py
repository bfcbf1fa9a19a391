"""Simulated judges for validating the statistics through the real code (probes -> stats).

Each scenario answers the probes that judgeaudit's own probe builder makes for synthetic instances;
the real statistics then decide. Used by tests/stats/test_simulation.py (fast) and benchmarks/simulate.py.

- ``noisy``: sampling noise only, every probe drawn independently (a text judge at temperature > 0).
- ``knife_edge``: a judge with no direction whose verdict any edit may upset: each instance has a
  coin-flip verdict on the unchanged pair; each edited condition redraws it with probability
  ``upset``, the same redraw in both orders of the instance (clustered).
- ``pulled``: a true pull toward every cue: P(better wins) = a_i + tau * s, s = -1 with the cue on the
  worse response, +1 on the better, 0 otherwise, a_i ~ U(0.3, 0.7) per instance; the two orders
  share one uniform draw with probability ``rho`` (clustered). The true effect is exactly 2 * tau.
- ``edit_averse``: no interest in any cue, but whichever response differs from the original (cue,
  placebo or size-free edit alike) loses ``penalty`` of its chance to win.
- ``length_loving``: no interest in any cue, but P(better wins) = a_i + k * tanh(d / 60), d the better
  response's length minus the worse's in characters as shown: it likes longer text, whatever it says.
- ``tie_always``, ``always_a``, ``random_verdicts``: content-blind judges.
- ``reward_model``: scores each shown response, q_i(better) - q_i(worse) ~ N(0.4, 1) per instance plus
  ``pull`` for the response carrying a cue of the CONTENT_BIASES, plus per-probe noise, all times
  ``scale``; the verdict is the higher score, P(A) = sigmoid(score A - score B). Rescaling every score
  changes P(A) and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.schema import CUE_ON_BETTER, CUE_ON_WORSE, Instance, Judgment, Probe, stable_hash
from judgeaudit.stats import Settings, summarize_biases

SIMULATED_BIASES = ("position", "verbosity", "authority", "markdown", "bandwagon", "gender", "sentiment_negative")
"""Every kind of test: two-sided position; toward the cue (response and note); either way with a
contrasting counterpart (identity); away from the cue."""
CONTENT_BIASES = ("verbosity", "authority", "markdown", "bandwagon", "gender")
"""The biases ``pulled`` pulls toward their cue (sentiment_negative stays a null, tested for a penalty)."""
Judge = Callable[[list[Probe], np.random.Generator], list[Judgment]]


def instances(n: int) -> list[Instance]:
    """Synthetic instances: distinct prompts with a better and a worse response."""
    return [
        Instance(
            id=f"sim-{i:03d}",
            prompt=f"Question {i}: what is {i} plus {i}?",
            chosen=f"{i} plus {i} is {2 * i}. Adding the two gives {2 * i}.",
            rejected=f"{i} plus {i} is {2 * i + 1}. Adding the two gives {2 * i + 1}.",
            category=("arithmetic", "reasoning")[i % 2],
        )
        for i in range(n)
    ]


def probes_for(n_instances: int) -> list[Probe]:
    """The real probes of a run over the simulated biases."""
    return build_probes(instances(n_instances), specs(), seed=0)


def specs() -> list:
    registry = load_registry()
    return [registry[name] for name in SIMULATED_BIASES]


def _verdict(better: bool, probe: Probe) -> Judgment:
    worse = "B" if probe.correct == "A" else "A"
    return Judgment(verdict=probe.correct if better else worse)


def noisy(accuracy: float = 0.7) -> Judge:
    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        draws = rng.random(len(probes))
        return [_verdict(draw < accuracy, probe) for draw, probe in zip(draws, probes, strict=True)]

    return answer


def _unit(rng_seed: int, *parts: object) -> float:
    return int(stable_hash([rng_seed, *map(str, parts)], length=12), 16) / 16**12


def knife_edge(upset: float = 0.5) -> Judge:
    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            better = _unit(salt, probe.instance_id, "base") < 0.5
            if probe.condition not in ("control", "repeat") and _unit(salt, probe.instance_id, probe.bias, probe.condition, "upset") < upset:
                better = _unit(salt, probe.instance_id, probe.bias, probe.condition, "redraw") < 0.5
            judgments.append(_verdict(better, probe))
        return judgments

    return answer


def pulled(tau: float | dict[str, float], rho: float = 0.6, base: tuple[float, float] = (0.3, 0.7)) -> Judge:
    """``tau`` for every content bias, or per bias (a mapping; the others get none); each instance's
    P(better) before the pull is drawn uniformly from ``base``."""
    low, high = base
    taus = tau if isinstance(tau, dict) else dict.fromkeys(CONTENT_BIASES, tau)

    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            p_better = low + (high - low) * _unit(salt, probe.instance_id, "a")
            sign = {CUE_ON_WORSE: -1, CUE_ON_BETTER: 1}.get(probe.condition, 0)
            key = (salt, probe.instance_id, probe.bias, probe.condition, probe.replicate)
            shared = _unit(*key, "shared-or-not") < rho
            draw = _unit(*key, "u") if shared else _unit(*key, probe.order, "u")
            judgments.append(_verdict(draw < p_better + taus.get(probe.bias or "", 0.0) * sign, probe))
        return judgments

    return answer


def prompt_pulled(tau: float, group_size: int, base: tuple[float, float] = (0.3, 0.7)) -> Judge:
    """Several pairs per prompt (instances ``group_size`` at a time form one group, ``group_of``): each
    prompt has one P(better) before the pull, drawn uniformly from ``base``, and one pull per content
    bias, +tau or -tau with equal chance, shared by all its pairs. No pull on average (every test's null
    holds), but a prompt's pairs move together: a test that counts pairs as independent flags too often."""
    low, high = base

    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            group = group_of(probe.instance_id, group_size)
            p_better = low + (high - low) * _unit(salt, group, "a")
            sign = {CUE_ON_WORSE: -1, CUE_ON_BETTER: 1}.get(probe.condition, 0)
            pull = tau if _unit(salt, group, probe.bias, "direction") < 0.5 else -tau
            judgments.append(_drawn(salt, probe, p_better + pull * sign * (probe.bias in CONTENT_BIASES)))
        return judgments

    return answer


def group_of(instance_id: str, group_size: int) -> str:
    """The prompt group of a simulated instance when ``group_size`` consecutive instances share a prompt."""
    return f"prompt-{int(instance_id.rsplit('-', 1)[1]) // group_size:03d}"


_ORIGINALS: dict[str, tuple[str, str]] = {}


def _original(instance_id: str) -> tuple[str, str]:
    """(chosen, rejected) of a simulated instance as written, before any edit."""
    if instance_id not in _ORIGINALS:
        index = int(instance_id.rsplit("-", 1)[1])
        made = instances(index + 1)[index]
        _ORIGINALS[instance_id] = (made.chosen, made.rejected)
    return _ORIGINALS[instance_id]


def _shown(probe: Probe) -> tuple[str, str, str, str]:
    """(better text, worse text, better header, worse header) as the probe shows them."""
    if probe.correct == "A":
        return probe.response_a, probe.response_b, probe.attribution_a, probe.attribution_b
    return probe.response_b, probe.response_a, probe.attribution_b, probe.attribution_a


def _drawn(salt: int, probe: Probe, p_better: float) -> Judgment:
    """A verdict for the better response with probability ``p_better``; one draw per probe."""
    key = (salt, probe.instance_id, probe.bias, probe.condition, probe.order, probe.replicate, probe.variant)
    return _verdict(_unit(*key, "u") < p_better, probe)


def edit_averse(penalty: float = 0.25) -> Judge:
    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            better, worse, better_header, worse_header = _shown(probe)
            chosen, rejected = _original(probe.instance_id)
            edited_better, edited_worse = (better != chosen or bool(better_header)), (worse != rejected or bool(worse_header))
            base = 0.45 + 0.4 * _unit(salt, probe.instance_id, "a")
            judgments.append(_drawn(salt, probe, base - penalty * edited_better + penalty * edited_worse))
        return judgments

    return answer


def length_loving(k: float = 0.35) -> Judge:
    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            better, worse, _, _ = _shown(probe)
            base = 0.45 + 0.4 * _unit(salt, probe.instance_id, "a")
            judgments.append(_drawn(salt, probe, base + k * float(np.tanh((len(better) - len(worse)) / 60))))
        return judgments

    return answer


def tie_always() -> Judge:
    return lambda probes, rng: [Judgment(verdict="tie") for _ in probes]


def always_a() -> Judge:
    return lambda probes, rng: [Judgment(verdict="A") for _ in probes]


def random_verdicts() -> Judge:
    return lambda probes, rng: [Judgment(verdict="A" if draw < 0.5 else "B") for draw in rng.random(len(probes))]


def reward_model(pull: float, scale: float = 1.0, noise: float = 0.5) -> Judge:
    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            quality = 0.4 + _gaussian(salt, probe.instance_id, "quality")
            cue = {CUE_ON_WORSE: -pull, CUE_ON_BETTER: pull}.get(probe.condition, 0.0) if probe.bias in CONTENT_BIASES else 0.0
            key = (salt, probe.instance_id, probe.bias, probe.condition, probe.order, probe.replicate)
            margin = scale * (quality + cue + noise * _gaussian(*key))  # score(better) - score(worse)
            score_a = margin if probe.correct == "A" else -margin
            judgments.append(Judgment(verdict="A" if score_a > 0 else "B", p_a=float(1 / (1 + np.exp(-score_a))), score=score_a))
        return judgments

    return answer


def _gaussian(*parts: object) -> float:
    return float(np.sqrt(-2 * np.log(max(_unit(*parts, "g1"), 1e-12))) * np.cos(2 * np.pi * _unit(*parts, "g2")))


def summary_of(
    rows: list[tuple[Probe, Judgment]], seed: int, mode: str = "pairwise", specs_used: list | None = None, labels: dict | None = None
) -> dict:
    """summary.json of an audit of these answered probes (with the instances' ``labels``), built by the real ``build_summary``."""
    from judgeaudit.stats import build_summary

    manifest = {
        "config": {"alpha": 0.05, "min_instances": 10, "seed": seed}, "run_id": "simulated", "mode": mode,
        "judge": {"backend": "simulated", "model": "judge"}, "dataset": {"name": "simulated", "n_instances": len({p.instance_id for p, _ in rows})},
    }
    return build_summary(manifest, specs_used or specs(), rows, {}, labels=labels).to_dict()


@dataclass
class Tally:
    """Per bias over repeated audits: how often flagged, and how often the interval held the truth."""

    audits: int = 0
    flagged: dict[str, int] | None = None
    covered: dict[str, int] | None = None


def run_audits(judge: Judge, probes: list[Probe], audits: int, seed: int, true_effect: float | None = None) -> Tally:
    """Answer the same probes ``audits`` times with fresh randomness and tally the decisions."""
    simulated = specs()
    tally = Tally(audits, {s.name: 0 for s in simulated}, {s.name: 0 for s in simulated})
    rng = np.random.default_rng(seed)
    for audit in range(audits):
        rows = list(zip(probes, judge(probes, rng), strict=True))
        results = summarize_biases(simulated, rows, Settings(seed=audit))
        for name, result in results.items():
            tally.flagged[name] += result.flagged
            low, high = result.effect_ci
            if true_effect is not None and low is not None and low <= true_effect <= high:
                tally.covered[name] += 1
    return tally


def soft(taus: dict[str, float], noise: float = 0.1) -> Judge:
    """A judge that reads out probabilities: P(better) = a_i + tau_b * s + e, s = -1 / +1 with the cue on
    the worse / better response of a content bias b, a_i ~ U(0.3, 0.7) per instance, e ~ N(0, noise)
    per probe; clipped to [0.01, 0.99]. The true effect of bias b is 2 * tau_b (before clipping)."""

    def answer(probes: list[Probe], rng: np.random.Generator) -> list[Judgment]:
        salt = int(rng.integers(1 << 30))
        judgments = []
        for probe in probes:
            base = 0.3 + 0.4 * _unit(salt, probe.instance_id, "a")
            sign = {CUE_ON_WORSE: -1, CUE_ON_BETTER: 1}.get(probe.condition, 0)
            key = (salt, probe.instance_id, probe.bias, probe.condition, probe.order, probe.replicate)
            gaussian = float(np.sqrt(-2 * np.log(max(_unit(*key, "u1"), 1e-12))) * np.cos(2 * np.pi * _unit(*key, "u2")))
            p_better = min(0.99, max(0.01, base + taus.get(probe.bias or "", 0.0) * sign + noise * gaussian))
            p_a = p_better if probe.correct == "A" else 1 - p_better
            judgments.append(Judgment(verdict="A" if p_a > 0.5 else "B", p_a=p_a))
        return judgments

    return answer


@dataclass
class Design:
    """One audit, fixed or sequential: its decisions, its reported intervals and the probes it asked."""

    states: dict[str, str]
    intervals: dict[str, tuple[float, float]]
    probes_asked: int


def fixed_design(specs: list, probes: list[Probe], judgments: list[Judgment], policy, seed: int) -> Design:
    """Every bias on every instance, decided once at the end."""
    from judgeaudit.certification.decide import settled

    results = {name: asdict(r) for name, r in summarize_biases(specs, list(zip(probes, judgments, strict=True)), Settings(seed=seed)).items()}
    decided = settled(results, policy, 0, family=len(specs))
    return Design(
        {name: decided[name].state if name in decided else "UNDECIDED" for name in results},
        {name: tuple(r["effect_ci"]) for name, r in results.items()},
        len(probes),
    )


def sequential_design(specs: list, probes: list[Probe], judgments: list[Judgment], policy, seed: int, batch: int = 10) -> Design:
    """As ``judgeaudit run --sequential``: batches of whole instances in the seeded order, each bias
    stopped once ``settled``; the reported interval is what the certificate reports after stopping: the
    confidence sequence's bounds (each one-sided at the policy's confidence), at the end."""
    from judgeaudit.certification.decide import settled
    from judgeaudit.stats.equivalence import instance_sequence

    order = instance_sequence(sorted({p.instance_id for p in probes}), 0)
    active, states, asked = {s.name for s in specs}, {}, []
    for start in range(0, len(order), batch):
        batch_ids = set(order[start : start + batch])
        asked += [(p, j) for p, j in zip(probes, judgments, strict=True) if p.instance_id in batch_ids and (p.bias is None or p.bias in active)]
        results = {n: asdict(r) for n, r in summarize_biases([s for s in specs if s.name in active], asked, Settings(seed=seed)).items()}
        for name, test in settled(results, policy, 0, family=len(specs)).items():
            states[name] = test.state
            active.discard(name)
        if not active:
            break
    final = {n: asdict(r) for n, r in summarize_biases(specs, asked, Settings(seed=seed)).items()}
    return Design(
        {s.name: states.get(s.name, "UNDECIDED") for s in specs},
        {name: _sequence_bounds(result, policy, len(specs)) for name, result in final.items()},
        len(asked),
    )


def _sequence_bounds(result: dict, policy, family: int) -> tuple[float, float]:
    from judgeaudit.certification.decide import effect_range_of
    from judgeaudit.stats.equivalence import equivalence, in_sequence

    limits = policy.limits_for(result["name"], result["dimension"])
    test = equivalence(in_sequence(result["instance_effects"], 0), "either", limits.max_effect, policy.confidence, family, effect_range_of(result))
    return (test.lower, test.upper)
