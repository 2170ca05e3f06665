"""Throughput of load + clean on the national government work reports (../shared).

Prints characters per second for reading, for each cleaning step and for the
whole of load_corpus, and each step's share of the cleaning time. Run: make bench
"""

from __future__ import annotations

import logging
import sys
import time
from collections import defaultdict

from tifa import config, load_corpus
from tifa.clean import default_pipeline
from tifa.corpus import read_records

REPEATS = 3


def main() -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)  # the year-less records are reported by the tests
    path = config.GOV_REPORTS_JSONL
    if not path.is_file():
        print(f"skipped: {path} is absent", file=sys.stderr)
        return 0
    start = time.perf_counter()
    records = read_records(path, text_field="content")
    read_seconds = time.perf_counter() - start
    n_chars = sum(len(r.text) for r in records)

    per_step: dict[str, float] = defaultdict(float)
    steps = default_pipeline()
    for _ in range(REPEATS):
        for rec in records:
            text = rec.text
            for step in steps:
                t0 = time.perf_counter()
                text, _ = step.run(text)
                per_step[step.name] += time.perf_counter() - t0
    clean_seconds = sum(per_step.values()) / REPEATS

    timings = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        load_corpus(path, text_field="content", progress=False)
        timings.append(time.perf_counter() - t0)
    total = min(timings)

    print(f"corpus: {len(records)} documents, {n_chars / 1e6:.2f} M characters ({path.name})")
    print(f"read + decode:        {n_chars / read_seconds / 1e6:8.2f} Mchar/s")
    print(f"clean (all steps):    {n_chars / clean_seconds / 1e6:8.2f} Mchar/s")
    print(f"load_corpus (total):  {n_chars / total / 1e6:8.2f} Mchar/s  ({total:.2f} s, best of {REPEATS})")
    print("share of cleaning time per step:")
    for name, seconds in sorted(per_step.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<28} {seconds / REPEATS / clean_seconds:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
