"""Slogan matching speed: the national reports' cleaned texts repeated to at least 100 MB.

Prints MB/s (UTF-8 bytes) of SloganMatcher.count over the whole lexicon (target:
≥ 100 MB/s on a 2-core machine): the Aho-Corasick pass alone, and count() with
the regex and exclude context checks, in one process and in two (count_many). Run: make bench
"""

from __future__ import annotations

import logging
import sys
import time

from tifa import config, load_corpus
from tifa.slogans import SloganMatcher

TARGET_MB = 100
REPEATS = 3


def _best_of(repeats: int, func) -> tuple[float, int]:
    """Shortest wall time of ``repeats`` runs, and the run's result."""
    best, result = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)
    if not config.GOV_REPORTS_JSONL.is_file():
        print(f"skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
        return 0
    texts = list(load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False).docs["text"])
    size = sum(len(t.encode("utf-8")) for t in texts)
    repeats = -(-TARGET_MB * 1_000_000 // size)
    corpus = texts * repeats
    megabytes = size * repeats / 1e6
    matcher = SloganMatcher()
    print(f"{len(matcher.slogans)} lexicon entries; {len(corpus)} texts, {megabytes:.0f} MB ({repeats} × the national reports)")
    matcher.count("预热")
    automaton, automaton_hits = _best_of(REPEATS, lambda: sum(1 for t in corpus for _ in matcher._automaton.iter(t)))
    unanchored = sum(anchor is None for _, _, anchor, _ in matcher._anchored)
    whole, total = _best_of(REPEATS, lambda: sum(int(matcher.count(t).sum()) for t in corpus))
    print(f"regex forms: {len(matcher._anchored)}, without a literal anchor (extra pass): {unanchored}")
    print(f"automaton pass alone:         {megabytes / automaton:7.1f} MB/s  ({automaton_hits} literal and anchor hits)")
    print(f"count() with context checks:  {megabytes / whole:7.1f} MB/s  ({total} mentions, {whole:.2f} s, best of {REPEATS})")
    parallel, counts = _best_of(REPEATS, lambda: matcher.count_many(corpus, n_jobs=2))
    assert int(counts.sum()) == total, "parallel counting must give the same counts"
    print(f"count_many(n_jobs=2):         {megabytes / parallel:7.1f} MB/s  ({parallel:.2f} s, best of {REPEATS}, both cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
