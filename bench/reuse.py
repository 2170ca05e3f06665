"""Text reuse: recall and precision on planted passages, the nothing-planted check, exact against fast alignment, speed and scaling.

What is measured on what (no real 2026 provincial reports exist yet):

- **Planted reuse.** 31 synthetic "provincial reports" (``tifa.plant.plant_reuse``): the
  paragraphs of the national reports 1954–1988 shuffled and dealt out to the 31
  provinces, each given 10 passages of 50–500 Han characters from the national reports
  2000–2025 with 0–15 % edits (insertions, deletions, substitutions, punctuation changes).
  Central reference: the 26 reports 2000–2025. Recall and precision are counted Han
  character by Han character on the planted spans (``tifa.plant.score_planted``).
- **Nothing planted.** The reports of 1954–1960 against the reports 2000–2025: every
  non-formulaic passage found is a false positive.
- **Exact against fast.** For a few planted documents, every central document aligned whole
  (no candidates; ``exhaustive_alignments``) against the fast path: same passages, same scores.
- **Speed.** The 31 planted provinces against all 72 national reports (index included; their
  base paragraphs come from the national reports, so about 85 % of their text is reuse: the
  worst case), streamed in one process and on a 2-worker Dask cluster; and the planted
  provinces at 1×, 10× and 100× (distinct seeds) against the 2000–2025 reports.

    python bench/reuse.py                  # everything, scaling up to 100x (several minutes)
    python bench/reuse.py --scales 1 10    # shorter
    python bench/reuse.py --sweep          # the parameter measurements behind the defaults (README "Text reuse")
    python bench/reuse.py --aligners       # rapidfuzz's alignment against Smith-Waterman (needs rapidfuzz)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace

import pandas as pd

from tifa.corpus import Corpus
from tifa.datasets import national_reports
from tifa.plant import plant_reuse, score_planted
from tifa.engine import CorpusPartition
from tifa.reuse import find_reuse
from tifa.reuse_index import ReuseParams, build_index, exhaustive_alignments, partition_reuse

SEED = 20261


def as_corpus(docs: pd.DataFrame, source: str) -> Corpus:
    from tifa.text import count_han

    docs = docs.reset_index(drop=True).assign(n_chars=[count_han(t) for t in docs["text"]])
    return Corpus(docs=docs, audit=pd.DataFrame(columns=["doc_id"]), problems=pd.DataFrame(columns=["doc_id", "where", "problem"]), source=source)


def reports() -> pd.DataFrame:
    return national_reports().docs


def between(docs: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    year = docs["year"]
    return docs[year.notna() & (year >= first) & (year <= last)].reset_index(drop=True)


def planted(docs: pd.DataFrame, *, seed: int = SEED, n_docs: int = 31) -> tuple[pd.DataFrame, pd.DataFrame]:
    return plant_reuse(between(docs, 1954, 1988), between(docs, 2000, 2025), n_docs=n_docs, seed=seed)


def measure(docs: pd.DataFrame, params: ReuseParams) -> dict:
    """Planted recall and precision, and the passages found in unplanted 1950s reports, with these parameters."""
    local, truth = planted(docs)
    central = as_corpus(between(docs, 2000, 2025), "national 2000-2025")
    start = time.perf_counter()
    index = build_index([central.docs], params=params, progress=False)
    indexed = time.perf_counter()
    reuse = find_reuse(as_corpus(local, "planted"), index=index, progress=False)
    done = time.perf_counter()
    texts = local.set_index("doc_id")["text"]
    kept = reuse.passages[~reuse.passages["formulaic"]]
    scores = score_planted(kept, truth, texts)
    anywhere = score_planted(reuse.passages, truth, texts)
    null = find_reuse(as_corpus(between(docs, 1954, 1960), "1950s"), index=index, progress=False).passages
    return {
        "recall": scores["recall"], "precision": scores["precision"], "recall_any": anywhere["recall"],
        "null_passages": int((~null["formulaic"]).sum()), "null_formulaic": int(null["formulaic"].sum()),
        "index_s": indexed - start, "step_s": done - indexed,
    }


def exact_check(docs: pd.DataFrame, params: ReuseParams, n_docs: int = 2) -> tuple[int, int]:
    """(passages of the fast path, passages equal in the exhaustive alignment) on short planted documents."""
    local, _ = plant_reuse(between(docs, 1954, 1960), between(docs, 2023, 2025), n_docs=60, passages_per_doc=2, seed=SEED)
    local = local.head(n_docs)
    index = build_index([between(docs, 2023, 2025)], params=params, progress=False)
    from tifa.align import shingle_hashes, skeleton
    from tifa.reuse_index import doc_regions, region_alignments, _best_first

    same = total = 0
    for text in local["text"]:
        codes, _ = skeleton(text)
        hashes = shingle_hashes(codes, params.n)
        frequent = index.df(hashes) >= index.formulaic_df
        regions = doc_regions(codes, hashes, ~frequent, index)
        found = region_alignments([(codes[l0:l1], index.codes[c][c0:c1]) for c, l0, l1, c0, c1 in regions], params)
        fast = _best_first([(c, s, l0 + a0, l0 + a1, c0 + b0, c0 + b1, m, k) for (c, l0, _, c0, _), rows in zip(regions, found) for s, a0, a1, b0, b1, m, k in rows])
        exact = [row for c in range(len(index.doc_ids)) for row in exhaustive_alignments(codes, index, c)]
        total += len(set(exact) | set(fast))
        same += len(set(exact) & set(fast))
    return total, same


def timing(docs: pd.DataFrame, params: ReuseParams) -> None:
    import tempfile
    from pathlib import Path

    from tifa.store import build_store

    local, _ = planted(docs)
    start, cpu = time.perf_counter(), time.process_time()
    reuse = find_reuse(as_corpus(local, "planted"), as_corpus(docs, "national"), params=params, progress=False)
    print(f"31 planted provinces vs 72 national reports, one process: {time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
          f"(index included; {len(reuse.passages)} passages, mean share {reuse.documents['share'].mean():.2f}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "planted.jsonl"
        local.to_json(path, orient="records", lines=True, force_ascii=False)
        store = build_store(path, Path(tmp) / "store", partition_rows=8, progress=False)
        start = time.perf_counter()
        dask = find_reuse(store, as_corpus(docs, "national"), params=params, engine="dask", progress=False)  # a local cluster of 2 workers
        core = ["local_doc", "central_doc", "local_start", "local_end", "central_start", "central_end", "score", "identity", "formulaic"]
        same = dask.passages[core].reset_index(drop=True).equals(reuse.passages[core].reset_index(drop=True))
        print(f"31 planted provinces vs 72 national reports, Dask (2 workers, {len(store.partitions())} partitions): {time.perf_counter() - start:.1f} s (cluster start included); same passages as in memory: {same}")


def scaling(docs: pd.DataFrame, params: ReuseParams, scales: list[int]) -> None:
    index = build_index([between(docs, 2000, 2025)], params=params, progress=False)
    for scale in scales:
        local = pd.concat([planted(docs, seed=SEED + k)[0].assign(doc_id=lambda d, k=k: d["doc_id"] + f"-{k}") for k in range(scale)], ignore_index=True)
        start, cpu = time.perf_counter(), time.process_time()
        result = partition_reuse(CorpusPartition(as_corpus(local, "planted")), index)
        took, used = time.perf_counter() - start, time.process_time() - cpu
        print(f"{scale:>4}x: {len(local):>5} documents, {local['text'].str.len().sum() / 1e6:6.1f} M characters: {took:7.1f} s wall, {used:7.1f} s CPU "
              f"({used / scale:.2f} s CPU per 31 documents), {len(result[0])} passages; load average {os.getloadavg()[0]:.1f}", flush=True)


def aligners(docs: pd.DataFrame) -> None:
    """rapidfuzz's ``partial_ratio_alignment`` against tifa's Smith–Waterman on each planted passage with 100 characters of context on both sides."""
    try:
        from rapidfuzz import fuzz
    except ImportError:
        print("aligners: skipped, rapidfuzz is not installed (pip install rapidfuzz to compare)")
        return
    import numpy as np

    from tifa.align import align_many, skeleton

    local, truth = planted(docs, seed=SEED + 1)
    texts, sources = local.set_index("doc_id")["text"], docs.set_index("doc_id")["text"]
    pairs, spans = [], []
    for r in truth.itertuples():
        l0, c0 = max(r.start - 100, 0), max(r.source_start - 100, 0)
        pairs.append((texts[r.doc_id][l0 : r.end + 100], sources[r.source_doc][c0 : r.source_end + 100]))
        spans.append((r.start - l0, r.end - l0))

    def overlap(found, true):
        inter = max(0, min(found[1], true[1]) - max(found[0], true[0]))
        return inter / max(found[1] - found[0], 1), inter / (true[1] - true[0])

    start = time.perf_counter()
    rf = [fuzz.partial_ratio_alignment(a, b) for a, b in pairs]
    t_rf = time.perf_counter() - start
    codes = [(skeleton(a), skeleton(b)) for a, b in pairs]
    start = time.perf_counter()
    sw = align_many([(a[0], b[0]) for a, b in codes])
    t_sw = time.perf_counter() - start
    p_rf = np.array([overlap((x.src_start, x.src_end), s) for x, s in zip(rf, spans)]).mean(axis=0)
    p_sw = np.array([overlap((int(a[1][x.a_start]), int(a[1][x.a_end - 1]) + 1), s) for x, (a, _), s in zip(sw, codes, spans)]).mean(axis=0)
    print(f"aligners on {len(pairs)} planted passages with 100 characters of context: rapidfuzz partial_ratio_alignment {t_rf:.2f} s, "
          f"local span precision {p_rf[0]:.3f}, recall {p_rf[1]:.3f}; Smith-Waterman (tifa.align) {t_sw:.2f} s, precision {p_sw[0]:.3f}, recall {p_sw[1]:.3f}")


SWEEP = {
    "n": [4, 5, 6, 8],
    "bands_rows": [(16, 2), (32, 2), (21, 3), (32, 1)],
    "min_shared": [2, 4, 8],
    "min_score": [20, 25, 30],
    "scores": [(1, -1, 1), (2, -3, 3), (1, -2, 2)],
    "formulaic_share": [0.05, 0.1, 0.2],
}


def sweep(docs: pd.DataFrame, base: ReuseParams) -> None:
    print("parameter   value        recall  precision  recall(any)  null  null(formulaic)  index s  step s")
    for name, values in SWEEP.items():
        for value in values:
            if name == "bands_rows":
                params = replace(base, bands=value[0], rows=value[1])
            elif name == "scores":
                params = replace(base, match=value[0], mismatch=value[1], gap=value[2])
            else:
                params = replace(base, **{name: value})
            m = measure(docs, params)
            print(f"{name:<11} {str(value):<12} {m['recall']:.4f}  {m['precision']:.4f}     {m['recall_any']:.4f}      {m['null_passages']:>4}  {m['null_formulaic']:>6}          {m['index_s']:6.1f}  {m['step_s']:6.1f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="measure each parameter around the defaults")
    parser.add_argument("--aligners", action="store_true", help="compare rapidfuzz's partial_ratio_alignment with Smith-Waterman (needs rapidfuzz)")
    parser.add_argument("--scales", nargs="*", type=int, default=[1, 10, 100], help="local corpus sizes, in copies of the 31 provinces")
    parser.add_argument("--only", choices=("checks", "timing", "scaling"), default=None, help="run one part only")
    args = parser.parse_args(argv)
    logging.getLogger("tifa").setLevel(logging.ERROR)
    docs = reports()
    params = ReuseParams()
    if args.sweep:
        sweep(docs, params)
        return 0
    if args.aligners:
        aligners(docs)
        return 0
    if args.only in (None, "checks"):
        m = measure(docs, params)
        print(f"planted reuse (31 provinces, 310 passages of 50-500 Han characters, 0-15 % edits): recall {m['recall']:.4f}, precision {m['precision']:.4f} "
              f"(non-formulaic passages; recall counting formulaic ones too: {m['recall_any']:.4f})")
        print(f"nothing planted (reports 1954-1960 vs 2000-2025): {m['null_passages']} non-formulaic passages ({m['null_formulaic']} formulaic)")
        total, same = exact_check(docs, params)
        print(f"exact vs fast alignment: {same} of {total} passages identical (offsets, score, matches, columns)", flush=True)
    if args.only in (None, "timing"):
        timing(docs, params)
    if args.only in (None, "scaling") and args.scales:
        scaling(docs, params, args.scales)
    return 0


if __name__ == "__main__":
    sys.exit(main())
