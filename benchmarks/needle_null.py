"""How often the needle analysis claims a position effect for judges that have none, and finds one that has.

Simulated judges (tests/needle/test_needle_analysis.py) answer the bundled long-form material's real design
(12 items, 4 lengths x 8 position bins x ``--per-cell`` trials, a fresh seeded design per audit), and
the real analysis writes its sentence (score bootstrap, Bonferroni over the three terms). For comparison,
the same bootstrap p-values with Holm in place of Bonferroni, and the same fits read with the
item-clustered (CR1) standard errors on a t reference with items - 1 df and on a normal reference (the
rule before), both with Holm.
Usage: python -m benchmarks.needle_null [--audits 500] [--power-audits 200] [--per-cell 10] [--judge "length only"]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from judgeaudit.needle import balanced_design, bundled_longform, candidates, load_longform
from judgeaudit.needle.placement import LENGTH_BUCKETS, POSITION_BINS, count_words
from judgeaudit.stats.needle import NeedleAnalysis
from tests.needle.test_needle_analysis import (
    NULL_JUDGES,
    claims_position,
    guesses_in_the_middle,
    middle_blind,
    quoted_beyond_cells,
    simulated_audit,
)

ALPHA = 0.05


def wald_claims(analysis: NeedleAnalysis, reference: str) -> bool:
    """Would the position terms be claimed from the CR1 Wald test on this reference (Holm over the three terms)?"""
    if analysis.regression is None:
        return False
    df = analysis.n_items - 1
    terms = [analysis.regression[t] for t in ("position", "edges", "log2_length")]
    se = [(c.ci[1] - c.ci[0]) / (2 * stats.t.ppf(0.975, df)) for c in terms]  # type: ignore[operator]
    z = np.abs([c.estimate / s for c, s in zip(terms, se, strict=True)])
    p = 2 * (stats.norm.sf(z) if reference == "normal" else stats.t.sf(z, df))
    holm = multipletests(p, method="holm")[1]
    return bool(min(holm[0], holm[1]) < ALPHA)


def holm_claims(analysis: NeedleAnalysis) -> bool:
    """Would the position terms be claimed with Holm over the three terms in place of Bonferroni?"""
    if analysis.regression is None:
        return False
    holm = multipletests([analysis.regression[t].p_value for t in ("position", "edges", "log2_length")], method="holm")[1]
    return bool(min(holm[0], holm[1]) < ALPHA)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=500)
    parser.add_argument("--power-audits", type=int, default=200)
    parser.add_argument("--per-cell", type=int, default=10)
    parser.add_argument("--judge", default="", help="only the judges whose name contains this")
    args = parser.parse_args()
    grid = candidates(load_longform(bundled_longform()), LENGTH_BUCKETS, POSITION_BINS, count_words)
    judges = [(name, judge, args.audits) for name, judge in NULL_JUDGES.items()]
    judges += [("middle-blind (the tests' planted judge)", middle_blind, args.power_audits),
               ("guesses in the middle of long responses", guesses_in_the_middle, args.power_audits)]
    print(f"bundled material, {args.per_cell} trials per cell, alpha {ALPHA}; share of audits whose sentence claims a position effect\n")
    print("| judge | audits | the sentence (score bootstrap, Bonferroni) | score bootstrap, Holm | CR1, t on items - 1 df, Holm | CR1, normal, Holm (before) "
          "| the sentence claims length | quoted rate outside its cells, or a ratio | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for index, (name, judge, audits) in enumerate(judges):
        if args.judge not in name:
            continue
        started = time.perf_counter()
        rng = np.random.default_rng(1000 + index)
        tally = np.zeros(6, dtype=int)
        for audit in range(audits):
            trials, _ = balanced_design(grid, args.per_cell, seed=audit)
            analysis = simulated_audit(trials, judge, rng)
            tally += [claims_position(analysis), holm_claims(analysis), wald_claims(analysis, "t"), wald_claims(analysis, "normal"),
                      "length matters" in analysis.statement, bool(quoted_beyond_cells(analysis)) or "times" in analysis.statement]
        rates = " | ".join(f"{count / audits:.3f}" for count in tally[:5])
        print(f"| {name} | {audits} | {rates} | {tally[5]} | {time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
