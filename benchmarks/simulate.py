"""Validate the statistics and the certificate by simulation, in full: false-flag rates, coverage, power,
judges that misbehave systematically, content-blind judges, rescaled scores and unreadable answers.

Through the real probe builder, statistics and certificate (see tests/simulation.py for the judges).
Usage: python -m benchmarks.simulate [--audits 200] [--instances 60] [--part all|noise|coverage|systematic|certificate|missing]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.certification.decide import decide
from judgeaudit.certification.policy import load_policy
from judgeaudit.schema import Judgment
from judgeaudit.stats import Settings, summarize_biases
from tests.simulation import (
    CONTENT_BIASES,
    SIMULATED_BIASES,
    always_a,
    edit_averse,
    instances,
    knife_edge,
    length_loving,
    noisy,
    probes_for,
    pulled,
    random_verdicts,
    reward_model,
    run_audits,
    summary_of,
    tie_always,
)

SYSTEMATIC = ("verbosity", "markdown", "gender", "bandwagon", "authority", "sycophancy", "distraction",
              "self_reflection", "sentiment_positive", "sentiment_negative", "answer_first", "verdict_injection")


def _row(label: str, values: list[str], started: float) -> None:
    print(f"| {label} | " + " | ".join(values) + f" |  ({time.perf_counter() - started:.0f} s)")
    sys.stdout.flush()


def noise_and_power(audits: int, n: int) -> None:
    probes = probes_for(n)
    print(f"\n### False flags and power: {audits} audits of {n} instances, alpha 0.05\n")
    print("| scenario | " + " | ".join(SIMULATED_BIASES) + " |")
    print("|---|" + "---:|" * len(SIMULATED_BIASES))
    scenarios = [
        ("(a) sampling noise only: false-flag rate", noisy(), None),
        ("(b) knife-edge, upset by any edit (p=0.5): false-flag rate", knife_edge(0.5), None),
        ("(b) knife-edge, upset by any edit (p=0.2): false-flag rate", knife_edge(0.2), None),
        ("(c) true pull, effect 0.30: power", pulled(0.15), 0.30),
        ("(c) true pull, effect 0.10: power", pulled(0.05), 0.10),
    ]
    for seed, (label, judge, truth) in enumerate(scenarios):
        started = time.perf_counter()
        tally = run_audits(judge, probes, audits, seed=100 + seed, true_effect=truth)
        _row(label, [f"{tally.flagged[name] / audits:.3f}" for name in SIMULATED_BIASES], started)
        if truth is not None:
            covered = [f"{tally.covered[name] / audits:.3f}" if name in CONTENT_BIASES else "—" for name in SIMULATED_BIASES]
            pooled = sum(tally.covered[name] for name in CONTENT_BIASES) / (audits * len(CONTENT_BIASES))
            _row(f"{label.split(':')[0]}: coverage of the 95% interval (pooled {pooled:.3f})", covered, started)


def coverage(audits: int) -> None:
    print(f"\n### Coverage of the cue-specific pull's 95% interval, {audits} audits per cell (pooled over {len(CONTENT_BIASES)} biases)\n")
    print("| true effect | n = 15 | n = 30 | n = 60 |")
    print("|---|---:|---:|---:|")
    for tau in (0.0, 0.05, 0.15):
        started, cells = time.perf_counter(), []
        for n in (15, 30, 60):
            tally = run_audits(pulled(tau), probes_for(n), audits, seed=300 + n, true_effect=2 * tau)
            cells.append(f"{sum(tally.covered[b] for b in CONTENT_BIASES) / (audits * len(CONTENT_BIASES)):.3f}")
        _row(f"{2 * tau:.2f}", cells, started)


def _flag_rates(judge, audits: int, n: int, seed: int) -> dict[str, float]:
    registry = load_registry()
    specs = [registry[name] for name in SYSTEMATIC]
    probes, rng = build_probes(instances(n), specs, seed=0), np.random.default_rng(seed)
    flagged = dict.fromkeys(SYSTEMATIC, 0)
    for audit in range(audits):
        for name, result in summarize_biases(specs, list(zip(probes, judge(probes, rng), strict=True)), Settings(seed=audit)).items():
            flagged[name] += result.flagged
    return {name: count / audits for name, count in flagged.items()}


def systematic(audits: int, n: int) -> None:
    print(f"\n### Judges that misbehave systematically: share of {audits} audits of {n} instances with the bias BIASED (either direction)\n")
    print("| judge | " + " | ".join(SYSTEMATIC) + " |")
    print("|---|" + "---:|" * len(SYSTEMATIC))
    for seed, (label, judge) in enumerate([("edit-averse (the edited response loses 0.25)", edit_averse(0.25)), ("length-loving (0.35 tanh(Δchars/60))", length_loving(0.35))]):
        started = time.perf_counter()
        rates = _flag_rates(judge, audits, n, seed=400 + seed)
        _row(label, [f"{rates[name]:.3f}" for name in SYSTEMATIC], started)


def certificate(audits: int) -> None:
    policy, probes = load_policy(), probes_for(130)
    print(f"\n### The certificate: {audits} audits of 130 instances each, bundled policy\n")
    print("| judge | PASS | FAIL | INCONCLUSIVE | accuracy criterion FAIL |")
    print("|---|---:|---:|---:|---:|")
    for seed, (label, judge) in enumerate([("tie to every pair", tie_always()), ('always "A"', always_a()), ("random verdicts", random_verdicts())]):
        started, counts, accuracy_failed = time.perf_counter(), {"PASS": 0, "FAIL": 0, "INCONCLUSIVE": 0}, 0
        rng = np.random.default_rng(500 + seed)
        for audit in range(audits):
            decisions = decide(summary_of(list(zip(probes, judge(probes, rng), strict=True)), audit), policy, {}, seed=0)
            counts[decisions.overall] += 1
            accuracy_failed += decisions.validity["accuracy"].decision == "FAIL"
        _row(label, [str(counts["PASS"]), str(counts["FAIL"]), str(counts["INCONCLUSIVE"]), str(accuracy_failed)], started)
    print(f"\n| reward model, cue pull 0.4 on {len(CONTENT_BIASES)} biases, 60 instances | audits | same overall decision at scores ×1, ×0.05, ×20 | same per-bias decisions | FAIL at ×1 |")
    print("|---|---:|---:|---:|---:|")
    started, same_overall, same_biases, failed = time.perf_counter(), 0, 0, 0
    probes = probes_for(60)
    for audit in range(audits):
        decided = []
        for scale in (1.0, 0.05, 20.0):
            answers = reward_model(pull=0.4, scale=scale)(probes, np.random.default_rng(audit))
            decisions = decide(summary_of(list(zip(probes, answers, strict=True)), audit, mode="reward"), policy, {}, seed=0)
            decided.append((decisions.overall, {name: d.decision for name, d in decisions.biases.items()}))
        same_overall += len({d[0] for d in decided}) == 1
        same_biases += all(d[1] == decided[0][1] for d in decided)
        failed += decided[0][0] == "FAIL"
    _row("sigmoid(score A − score B)", [str(audits), f"{same_overall}", f"{same_biases}", f"{failed}"], started)


def _unreadable(judge, rate: float, refusing: str | None = None):
    def answer(probes, rng):
        draws = rng.random(len(probes))
        return [
            Judgment(verdict="unparseable")
            if d < rate or (refusing and p.bias == refusing and p.condition.startswith("cue") and d < 0.2) else j
            for p, j, d in zip(probes, judge(probes, rng), draws, strict=True)
        ]

    return answer


def missing(audits: int) -> None:
    print(f"\n### Unscored answers: share of {audits} audits with the bias INCONCLUSIVE for that reason\n")
    print("| judge, instances | " + " | ".join(SIMULATED_BIASES) + " |")
    print("|---|" + "---:|" * len(SIMULATED_BIASES))
    from tests.simulation import specs

    for n, refusing in ((60, None), (200, None), (60, "authority")):
        started, probes, rng = time.perf_counter(), probes_for(n), np.random.default_rng(600 + n)
        counts = dict.fromkeys(SIMULATED_BIASES, 0)
        judge = _unreadable(noisy(0.8), 0.05, refusing)
        for audit in range(audits):
            for name, result in summarize_biases(specs(), list(zip(probes, judge(probes, rng), strict=True)), Settings(seed=audit)).items():
                counts[name] += "unscored answers differ" in result.reason
        label = f"5% unreadable at random, n = {n}" + (f"; {refusing}'s cue also refused 20% of the time" if refusing else "")
        _row(label, [f"{counts[name] / audits:.3f}" for name in SIMULATED_BIASES], started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=200)
    parser.add_argument("--instances", type=int, default=60)
    parser.add_argument("--part", default="all", choices=("all", "noise", "coverage", "systematic", "certificate", "missing"))
    args = parser.parse_args()
    parts = {
        "noise": lambda: noise_and_power(args.audits, args.instances),
        "coverage": lambda: coverage(args.audits),
        "systematic": lambda: systematic(args.audits, args.instances),
        "certificate": lambda: certificate(args.audits),
        "missing": lambda: missing(args.audits),
    }
    for name, part in parts.items():
        if args.part in ("all", name):
            part()


if __name__ == "__main__":
    main()
