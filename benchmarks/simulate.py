"""Validate the statistics by simulation, in full: false-flag rates, interval coverage and power.

Through the real probe builder and statistics (see tests/simulation.py for the simulated judges).
Usage: python benchmarks/simulate.py [--audits 1000] [--instances 60]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.simulation import CONTENT_BIASES, SIMULATED_BIASES, knife_edge, noisy, probes_for, pulled, run_audits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=60)
    args = parser.parse_args()
    probes = probes_for(args.instances)
    print(f"{args.audits} audits of {args.instances} instances each, alpha 0.05\n")
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
        tally = run_audits(judge, probes, args.audits, seed=100 + seed, true_effect=truth)
        rates = [tally.flagged[name] / args.audits for name in SIMULATED_BIASES]
        print(f"| {label} | " + " | ".join(f"{r:.3f}" for r in rates) + f" |  ({time.perf_counter() - started:.0f} s)")
        if truth is not None:
            covered = [f"{tally.covered[name] / args.audits:.3f}" if name in CONTENT_BIASES else "—" for name in SIMULATED_BIASES]
            pooled = sum(tally.covered[name] for name in CONTENT_BIASES) / (args.audits * len(CONTENT_BIASES))
            print(f"| {label.split(':')[0]}: coverage of the 95% interval | " + " | ".join(covered) + f" |  (pooled {pooled:.3f})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
