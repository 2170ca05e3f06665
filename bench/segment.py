"""Segmentation speed on the national government work reports (../shared).

Prints MB/s (UTF-8 bytes of cleaned text) of jieba and of rjieba, both without
HMM (the mode in which their tokens are identical), their ratio, and the time of
a rerun served from the token cache. Run: make bench
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time

from tifa import config, load_corpus
from tifa.tokens import Segmenter, tokens


def _best_of(repeats: int, func) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)
    if not config.GOV_REPORTS_JSONL.is_file():
        print(f"skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
        return 0
    corpus = load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False)
    texts = list(corpus.docs["text"])
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} documents, {megabytes:.2f} MB UTF-8, {sum(map(len, texts)) / 1e6:.2f} M characters")
    speeds = {}
    for backend in ("jieba", "rjieba"):
        seg = Segmenter(backend, hmm=False)
        seg.cut("预热")  # dictionary loading is not segmentation
        seconds = _best_of(2, lambda: [seg.cut(t) for t in texts])
        speeds[backend] = megabytes / seconds
        print(f"{backend:<7} hmm=False: {speeds[backend]:6.2f} MB/s ({seconds:.2f} s)")
    print(f"rjieba / jieba: {speeds['rjieba'] / speeds['jieba']:.1f}x")
    with tempfile.TemporaryDirectory() as cache:
        seg = Segmenter("jieba", hmm=False)
        cold = _best_of(1, lambda: tokens(corpus, seg, cache_dir=cache, progress=False))
        warm = _best_of(3, lambda: tokens(corpus, seg, cache_dir=cache, progress=False))
    print(f"tokens(): first run {cold:.2f} s, cached rerun {warm:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
