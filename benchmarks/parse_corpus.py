"""How the verdict parser reads the judge-output corpora: right, wrong and missed, per format.

Usage: python benchmarks/parse_corpus.py [tests/data/verdict_corpus.jsonl ...]
"wrong" is a different verdict than the one written (the failure that must never happen); "missed"
is unparseable where a careful reader finds a verdict.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judgeaudit.prompts.parse import parse_verdict

DEFAULT = ("tests/data/verdict_corpus.jsonl", "tests/data/verdict_corpus_heldout.jsonl")


def main() -> None:
    for name in sys.argv[1:] or DEFAULT:
        rows = [json.loads(line) for line in (ROOT / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        tally: dict[str, Counter] = {}
        for row in rows:
            got = parse_verdict(row["text"])
            outcome = "right" if got == row["expected"] else "missed" if got == "unparseable" else "wrong"
            tally.setdefault(row["format"], Counter())[outcome] += 1
            tally.setdefault(row["format"], Counter())["unparseable"] += got == "unparseable"
        print(f"\n{name}: {len(rows)} outputs\n")
        print("| format | outputs | read right | wrong | missed | returned unparseable |")
        print("|---|---:|---:|---:|---:|---:|")
        for fmt, c in sorted(tally.items()):
            n = c["right"] + c["wrong"] + c["missed"]
            print(f"| {fmt} | {n} | {c['right']} | {c['wrong']} | {c['missed']} | {100 * c['unparseable'] / n:.0f}% |")


if __name__ == "__main__":
    main()
