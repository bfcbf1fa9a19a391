"""How the verdict parser reads the judge-output corpora: right, wrong, missed and invented, per format.

Usage: python -m benchmarks.parse_corpus [tests/data/verdict_corpus.jsonl ...] (default: all three corpora)
"wrong" is a different verdict than the one written (the failure that must never happen); "missed" is
unparseable where a careful reader finds a verdict; "false verdict" is a verdict read where there is
none. Per file: wrong verdicts, the share of clear verdicts read, and false verdicts.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from judgeaudit.prompts.parse import parse_verdict

ROOT = Path(__file__).resolve().parent.parent

DEFAULT = (
    "tests/data/verdict_corpus.jsonl",
    "tests/data/verdict_corpus_heldout.jsonl",
    "tests/data/verdict_corpus_heldout2.jsonl",
)


def outcome(expected: str, got: str) -> str:
    """right, wrong (another verdict than the one given), missed, or false (a verdict where none is)."""
    if got == expected:
        return "right"
    if expected == "unparseable":
        return "false"
    return "missed" if got == "unparseable" else "wrong"


def main() -> None:
    for name in sys.argv[1:] or DEFAULT:
        rows = [json.loads(line) for line in (ROOT / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        tally: dict[str, Counter] = {}
        for row in rows:
            got = parse_verdict(row["text"])
            counts = tally.setdefault(row["format"], Counter())
            counts[outcome(row["expected"], got)] += 1
            counts["clear"] += row["expected"] != "unparseable"
            counts["unparseable"] += got == "unparseable"
        print(f"\n{name}: {len(rows)} outputs\n")
        print("| format | outputs | read right | wrong | missed | false verdict | returned unparseable |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for fmt, c in sorted(tally.items()):
            n = c["right"] + c["wrong"] + c["missed"] + c["false"]
            print(f"| {fmt} | {n} | {c['right']} | {c['wrong']} | {c['missed']} | {c['false']} | {100 * c['unparseable'] / n:.0f}% |")
        total = sum(tally.values(), Counter())
        clear_right = total["clear"] - total["wrong"] - total["missed"]
        print(
            f"\ntotal: {total['wrong']} wrong; {clear_right} of {total['clear']} clear verdicts read "
            f"({100 * clear_right / max(total['clear'], 1):.1f}%); {total['false']} false verdicts"
        )


if __name__ == "__main__":
    main()
