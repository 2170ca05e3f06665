"""Word-segmentation F1 of jieba and rjieba, HMM on and off, on the SIGHAN 2005 gold sets (PKU and MSR test sets).

The gold data (icwb2-data: ``gold/pku_test_gold.utf8``, ``gold/msr_test_gold.utf8``,
one sentence a line, words separated by spaces) is not shipped by any PyPI
package we could find, and this bench downloads nothing. Point it at a local
copy:

    TIFA_SIGHAN_DIR=/path/to/icwb2-data python bench/segment_f1.py

Without it the bench prints that it is skipped. Scores are the standard
word-level precision, recall and F1 (a word counts when both its boundaries
match); the segmenters use jieba's dictionary only (no project user words).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

GOLD = {"PKU": "gold/pku_test_gold.utf8", "MSR": "gold/msr_test_gold.utf8"}


def spans(words: list[str]) -> set[tuple[int, int]]:
    """Character spans of the words of one sentence."""
    out, pos = set(), 0
    for word in words:
        out.add((pos, pos + len(word)))
        pos += len(word)
    return out


def score(gold: list[list[str]], predicted: list[list[str]]) -> tuple[float, float, float]:
    """Precision, recall and F1 over all words of all sentences."""
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, predicted):
        a, b = spans(g), spans(p)
        tp += len(a & b)
        n_gold += len(a)
        n_pred += len(b)
    precision, recall = tp / n_pred, tp / n_gold
    return precision, recall, 2 * precision * recall / (precision + recall)


def main() -> int:
    root = os.environ.get("TIFA_SIGHAN_DIR")
    if not root or not all((Path(root) / f).is_file() for f in GOLD.values()):
        print("skipped: no SIGHAN 2005 gold data (set TIFA_SIGHAN_DIR to a local icwb2-data folder); nothing is downloaded")
        return 0
    from tifa.tokens import Segmenter

    print("corpus  backend  hmm    precision  recall  f1     seconds")
    for name, rel in GOLD.items():
        gold = [line.split() for line in (Path(root) / rel).read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = ["".join(words) for words in gold]
        for backend in ("jieba", "rjieba"):
            for hmm in (False, True):
                seg = Segmenter(backend, hmm=hmm, user_words=[])
                seg.cut("预热")
                start = time.perf_counter()
                predicted = [seg.cut(t) for t in texts]
                seconds = time.perf_counter() - start
                p, r, f = score(gold, predicted)
                print(f"{name:7} {backend:8} {str(hmm):6} {p:9.3f}  {r:6.3f}  {f:5.3f}  {seconds:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
