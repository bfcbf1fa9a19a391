"""The embedded judge's control accuracy under each formulation, on the whole sample set.

Only the unchanged pairs are asked (both orders); accuracy is per instance over its orders, with a
Wilson interval at the effective sample size (as the audit reports it). Used to choose the embedded
judge's default formulation (README, "What the default audit shows").

    python -m benchmarks.formulation_accuracy [--modes pairwise,pointwise,...] [--judge smollm2]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from judgeaudit.biases.probes import shared_probes
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.formulations import Formulation
from judgeaudit.judges import resolve_judge
from judgeaudit.schema import CONTROL
from judgeaudit.stats.cells import cell_frame
from judgeaudit.stats.inference import clustered_rate


async def accuracy(judge_spec: str, mode: str) -> str:
    formulation = Formulation(mode)
    judge = resolve_judge(judge_spec, kind=formulation.kind)
    probes = [p for i in load_instances(sample_path()) for p in shared_probes(i) if p.condition == CONTROL]
    asked = [formulation.requests(judge, probe) for probe in probes]
    answers = {}
    started = time.perf_counter()
    for request in (r for requests in asked for r in requests):
        if request.key not in answers:
            answers[request.key] = await judge.judge(request)
    elapsed = time.perf_counter() - started
    soft = judge.readout != "text"
    rows = [(p, formulation.combine([answers[r.key] for r in requests], soft)) for p, requests in zip(probes, asked, strict=True)]
    await judge.aclose()
    frame = cell_frame(rows)
    per_instance = frame.assign(right=(frame["outcome"] == "better").astype(int)).groupby("instance_id")["right"]
    rate = clustered_rate(per_instance.sum(), per_instance.size())
    ties = int((frame["outcome"] == "tie").sum())
    consistent = frame.pivot(index="instance_id", columns="order", values="outcome").nunique(axis=1).eq(1).mean()
    return (
        f"| {mode} | {100 * rate.rate:.1f}% | {100 * rate.ci[0]:.1f}–{100 * rate.ci[1]:.1f}% | {ties} | "
        f"{100 * consistent:.0f}% | {len(answers)} | {elapsed:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="pairwise,pointwise,pairwise-reference,pointwise-reference")
    parser.add_argument("--judge", default="smollm2")
    args = parser.parse_args()
    print("| mode | control accuracy | 95% CI | ties (probes) | same outcome in both orders | requests | time |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for mode in args.modes.split(","):
        print(asyncio.run(accuracy(args.judge, mode)), flush=True)


if __name__ == "__main__":
    main()
