"""Sequential stopping against the fixed design, on simulated judges, through the real code.

A judge that gives verdicts (tests/simulation.py ``pulled``), right and consistent on nearly every
instance (P(better) uniform on [0.95, 1] before any pull), with one strong bias (authority, tau 0.25:
true effect 0.275, since a probability cannot pass 1) and four absent ones. Two fixed designs ask every bias on the instances
``judgeaudit plan`` gives for certifying the absent biases at power 0.8: planned from its default
assumption (effects with sd 0.3; a team without a pilot) and planned from a 200-instance pilot of
this very judge (the best a fixed design can do). The sequential design asks the same answers in
batches of instances, in the seeded order, and stops each bias once decided (as ``run --sequential``
does). Reported: probes asked (one probe is one call pairwise), how often the sequential decision is
the fixed design's, error rates under repeated looks (a judge whose every bias sits exactly at δ must
not be certified below it more than 5% of the time; a judge with no bias must not be failed), and
the coverage of the interval the certificate reports with stopping on (the confidence sequence's
bounds, each one-sided at 95%: 90% for the pair).

    python -m benchmarks.sequential [--replications 200] [--batch 10] [--rows 1,2,3,s]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.certification import Limits, Policy
from judgeaudit.stats import Settings, summarize_biases
from judgeaudit.stats.effects import CUE_RANGE
from judgeaudit.stats.equivalence import instance_sequence
from judgeaudit.stats.power import EffectModel, instances_to_certify
from tests.simulation import edit_averse, fixed_design, instances, length_loving, pulled, sequential_design

BIASES = ("verbosity", "authority", "markdown", "bandwagon", "gender")
STRONG = {"authority": 0.25}
AT_DELTA = 0.075  # the tau whose true effect is exactly δ = 0.10 for this judge
DELTA = 0.10
JUDGE_BASE = (0.95, 1.0)  # P(better) before the pull: a judge right and consistent on nearly every instance
POLICY = Policy(name="benchmark", min_instances=20, defaults=Limits(max_effect=DELTA))  # bounded both ways


def planned_instances(specs: list, seed: int) -> tuple[int, int]:
    """The fixed designs' sizes: the plan's instances to certify every absent bias at power 0.8, from the
    plan's default assumption and from a pilot of the judge."""
    probes = build_probes(instances(200), specs, seed=0)
    pilot = summarize_biases(specs, list(zip(probes, pulled(STRONG, base=JUDGE_BASE)(probes, np.random.default_rng(seed)), strict=True)), Settings())
    absent = [r for name, r in pilot.items() if name not in STRONG]

    def needed(model_of) -> int:
        return max(
            instances_to_certify(model_of(r), "either", DELTA, POLICY.confidence, 0.8, family=len(specs), effect_range=CUE_RANGE) or 4000
            for r in absent
        )

    return needed(lambda r: EffectModel(mean=0.0, sd=0.3)), needed(lambda r: EffectModel(pilot=tuple(r.instance_effects.values())))


def true_effect(tau: float) -> float:
    """The cue's pull net of the placebo's for ``pulled`` at JUDGE_BASE: the mean over instances of
    P(better | cue on better) − P(better | cue on worse), each probability clipped to [0, 1]."""
    grid = np.linspace(*JUDGE_BASE, 100_001)
    return float(np.mean(np.clip(grid + tau, 0, 1) - np.clip(grid - tau, 0, 1)))


def compare(specs: list, sizes: tuple[int, int], taus: dict[str, float], replications: int, batch: int, seed: int) -> dict[str, float]:
    pool = instances(max(sizes))
    probes = build_probes(pool, specs, seed=0)
    first = instance_sequence([i.id for i in pool], 0)[: sizes[1]]  # the pilot-planned design's instances
    per_instance = len(probes) / len(pool)
    rng = np.random.default_rng(seed)
    tally: dict[str, float] = {"fixed": 0, "fixed_pilot": 0, "sequential": 0, "same": 0, "decisions": 0, "covered": 0, "intervals": 0, "false_fail": 0, "false_certify": 0}
    planned = set(first)
    for replication in range(replications):
        answers = pulled(taus, base=JUDGE_BASE)(probes, rng)
        kept = [(p, a) for p, a in zip(probes, answers, strict=True) if p.instance_id in planned]
        fixed = fixed_design(specs, [p for p, _ in kept], [a for _, a in kept], POLICY, replication)
        stepwise = sequential_design(specs, probes, answers, POLICY, replication, batch=batch)
        tally["fixed"] += per_instance * sizes[0]
        tally["fixed_pilot"] += fixed.probes_asked
        tally["sequential"] += stepwise.probes_asked
        for name in stepwise.states:
            truth = round(true_effect(taus.get(name, 0.0)), 9)
            tally["decisions"] += 1
            tally["same"] += stepwise.states[name] == fixed.states[name] or fixed.states[name] == "UNDECIDED"
            low, high = stepwise.intervals[name]
            tally["intervals"] += 1
            tally["covered"] += low <= truth <= high
            tally["false_fail"] += stepwise.states[name] == "SHOWN_ABOVE" and truth <= DELTA
            tally["false_certify"] += stepwise.states[name] == "CERTIFIED_BELOW" and truth >= DELTA
    return tally


def systematic(specs: list, replications: int, batch: int, pool: int = 300) -> None:
    """Judges that misbehave systematically, stopped sequentially on a pool of ``pool`` instances: how
    often each bias ends SHOWN_ABOVE δ, CERTIFIED_BELOW it, or undecided. Neither judge cares about a cue;
    the length-lover's preference is the verbosity cue itself."""
    probes = build_probes(instances(pool), specs, seed=0)
    print(f"\n| judge ({replications} replications, pool {pool} instances) | " + " | ".join(s.name for s in specs) + " |")
    print("|---|" + "---:|" * len(specs))
    for label, judge in (("edit-averse (the edited response loses 0.25)", edit_averse(0.25)), ("length-loving (0.35 tanh(Δchars/60))", length_loving(0.35))):
        rng = np.random.default_rng(5)
        states: dict[str, list[str]] = {spec.name: [] for spec in specs}
        for replication in range(replications):
            for name, state in sequential_design(specs, probes, judge(probes, rng), POLICY, replication, batch=batch).states.items():
                states[name].append(state)
        cells = (f"{s.count('SHOWN_ABOVE')} above / {s.count('CERTIFIED_BELOW')} below" for s in states.values())
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rows", default="1,2,3,s", help="which judges to simulate: rows 1-3 of the table, s the systematic judges")
    args = parser.parse_args()
    registry = load_registry()
    specs = [registry[name] for name in BIASES]
    sizes = planned_instances(specs, seed=1)
    print(
        f"fixed designs (plan, power 0.8): {sizes[0]} instances from the default assumption (sd 0.3), {sizes[1]} from a "
        f"200-instance pilot; sequential batches of {args.batch}; {args.replications} replications\n"
    )
    scenarios = [
        (f"one strong bias (authority, effect {true_effect(STRONG['authority']):.3f}), four absent", STRONG),
        ("no bias at all", {}),
        (f"every bias exactly at δ (effect {true_effect(AT_DELTA):.3f})", dict.fromkeys(BIASES, AT_DELTA)),
    ]
    print("| judge | probes, fixed (assumed sd) | probes, fixed (pilot) | probes, sequential | saved vs assumed / vs pilot | same decision as fixed (pilot), where that one decided | false FAIL (effect ≤ δ) | false PASS (effect ≥ δ) | coverage of the certificate's interval (90%) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = set(args.rows.split(","))
    for seed, (label, taus) in enumerate(scenarios):
        if str(seed + 1) not in rows:
            continue
        started = time.perf_counter()
        t = compare(specs, sizes, taus, args.replications, args.batch, seed=10 + seed)
        decisions, r = t["decisions"], args.replications
        print(
            f"| {label} | {t['fixed'] / r:,.0f} | {t['fixed_pilot'] / r:,.0f} | {t['sequential'] / r:,.0f} | "
            f"{1 - t['sequential'] / t['fixed']:.1%} / {1 - t['sequential'] / t['fixed_pilot']:.1%} | {t['same'] / decisions:.3f} | {t['false_fail'] / decisions:.4f} | "
            f"{t['false_certify'] / decisions:.4f} | {t['covered'] / t['intervals']:.3f} |  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

    if "s" in rows:
        systematic(specs, args.replications, args.batch)

if __name__ == "__main__":
    main()
