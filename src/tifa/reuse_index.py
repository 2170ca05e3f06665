"""Text reuse, the machinery: the index of the central documents and the per-partition step (public API: :mod:`tifa.reuse`).

The method of Wilkerson, Smith & Stramp (2015) and Linder et al. (2020), on
characters (Chinese needs no segmentation for this):

1. **Index** (:func:`build_index`, once): every central document's skeleton
   (letters, digits, Han characters; :func:`tifa.align.skeleton`) is cut into
   character ``n``-gram shingles; shingles found in many central documents
   (document frequency ≥ ``formulaic_df``) are *formulaic* and left out of the
   sketches; windows of ``width`` shingles every ``stride`` get a MinHash
   signature and go into a datasketch ``MinHashLSH`` of ``bands`` × ``rows``.
2. **Per-partition step** (:func:`partition_reuse`): the windows of each local
   document query the index; candidate windows of one central document that
   touch along both texts are chained into regions; each region (with a
   ``margin``) is aligned by Smith–Waterman (:func:`tifa.align.align`), best
   alignment first, then the rest of the region on either side, while an
   alignment scores ≥ ``min_score``; overlapping alignments keep the best.
3. **Combine** (:func:`tifa.reuse.combine_reuse`): the partitions' passages in input order,
   with both sides' docvars and the lag (local year − central year).

A passage is **formulaic** when fewer than ``min_chars`` of its Han characters
are specific: outside slogans of the lexicon and outside formulaic shingles.
Formulaic passages stay in the table (``formulaic = True``) and out of every share.
Text made only of formulaic shingles gives no candidate, so it is not aligned at
all: it is counted apart, per document, as ``formulaic_chars`` (Han characters in
formulaic shingles or slogan mentions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from tqdm import tqdm

from tifa.align import EMPTY, BandIndex, Scoring, align_many, shingle_hashes, skeleton, window_signatures, window_starts
from tifa.errors import InputError
from tifa.text import HAN_RE

log = logging.getLogger(__name__)

PASSAGE_COLUMNS = [
    "local_doc", "central_doc", "local_start", "local_end", "central_start", "central_end",
    "chars", "reused_chars", "central_reused_chars", "score", "identity", "formulaic", "local_text", "central_text",
]
DOCUMENT_COLUMNS = ["doc_id", "han_chars", "reused_chars", "formulaic_chars"]
PAIR_COLUMNS = ["local_doc", "central_doc", "n_passages", "reused_chars", "central_reused_chars"]


@dataclass(frozen=True)
class ReuseParams:
    """Parameters of text reuse; the defaults were chosen by measurement (``bench/reuse.py``, README "Text reuse")."""

    n: int = 6  # characters per shingle
    width: int = 32  # shingles per window
    stride: int = 16  # shingles between window starts (width is a multiple of it)
    num_perm: int = 64  # MinHash permutations
    bands: int = 32  # LSH bands × rows ≤ num_perm
    rows: int = 2
    seed: int = 1  # MinHash permutations (datasketch)
    match: int = 1  # Smith–Waterman scores
    mismatch: int = -1
    gap: int = 1
    min_score: int = 25  # an alignment scoring less is no passage
    min_chars: int = 25  # specific Han characters a passage needs not to be formulaic
    margin: int = 48  # skeleton characters aligned around a region of candidate windows
    min_shared: int = 8  # distinct non-formulaic shingles a region's two texts must share to be aligned
    formulaic_share: float = 0.1  # a shingle in this share of the reference documents (at least formulaic_min_docs) is formulaic
    formulaic_min_docs: int = 5

    def __post_init__(self):
        if self.width % self.stride or self.bands * self.rows > self.num_perm or min(self.n, self.width, self.stride, self.bands, self.rows) < 1:
            raise InputError(f"reuse parameters {self}: width must be a multiple of stride, bands × rows ≤ num_perm, sizes ≥ 1")
        if self.match <= 0 or self.mismatch >= 0 or self.gap <= 0:
            raise InputError(f"reuse scores: match > 0, mismatch < 0 and gap > 0 (a cost), not {self.match}, {self.mismatch}, {self.gap}")

    @property
    def scoring(self) -> Scoring:
        return Scoring(self.match, self.mismatch, self.gap)

    def formulaic_df(self, n_docs: int) -> int:
        """Document frequency from which a shingle is formulaic, for a reference of ``n_docs`` documents."""
        return max(self.formulaic_min_docs, int(np.ceil(self.formulaic_share * n_docs)))


# --- the index of the central documents ----------------------------------------------------


@dataclass
class ReuseIndex:
    """The central documents prepared once: skeletons, shingle document frequencies, window sketches in an LSH index (picklable).

    ``within``: the index is of the local corpus itself (each pair of documents once).
    ``skip_local``: local documents that are in the index are not queried (a central
    group taken out of the local corpus). ``specific``: per central document, the
    running count of its specific Han characters (outside slogans and formulaic shingles).
    """

    params: ReuseParams
    doc_ids: list[str]
    docvars: pd.DataFrame  # keyed by doc_id, without text
    texts: list[str]
    codes: list[np.ndarray]
    offsets: list[np.ndarray]
    specific: list[np.ndarray]
    df_hashes: np.ndarray  # sorted distinct shingle hashes of the central documents
    df_counts: np.ndarray  # in how many central documents each occurs
    lsh: BandIndex | None = None  # MinHash LSH of the windows
    window_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    window_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    perms: tuple[np.ndarray, np.ndarray] | None = None  # the MinHash permutations, drawn once (workers need not import datasketch)
    within: bool = False
    skip_local: bool = False
    slogans: tuple = ()
    label: str = ""

    @cached_property
    def position(self) -> dict[str, int]:
        return {doc_id: i for i, doc_id in enumerate(self.doc_ids)}

    @property
    def formulaic_df(self) -> int:
        return self.params.formulaic_df(len(self.doc_ids))

    def df(self, hashes: np.ndarray) -> np.ndarray:
        """Document frequency in the central documents of each shingle hash (0: absent)."""
        if not len(self.df_hashes):
            return np.zeros(len(hashes), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.df_hashes, hashes), len(self.df_hashes) - 1)
        return np.where(self.df_hashes[pos] == hashes, self.df_counts[pos], 0)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("position", None)
        return state


def permutations(params: ReuseParams) -> tuple[np.ndarray, np.ndarray]:
    """The MinHash permutations ``(a, b)`` datasketch draws for ``num_perm`` and ``seed`` (scheme ``affine32``)."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=params.num_perm, seed=params.seed, scheme="affine32").permutations
    return np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)


_MATCHERS: dict[tuple, object] = {}


def _matcher(slogans: tuple):
    from tifa.matcher import SloganMatcher

    key = tuple(s.id for s in slogans)
    if key not in _MATCHERS:
        _MATCHERS[key] = SloganMatcher(slogans)
    return _MATCHERS[key]


def _mask(length: int, spans: Iterable[tuple[int, int]]) -> np.ndarray:
    """Characters of a text of ``length`` covered by any of ``spans``."""
    mask = np.zeros(length + 1, dtype=np.int64)
    for start, end in spans:
        mask[start] += 1
        mask[end] -= 1
    return np.cumsum(mask[:-1]) > 0


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ``[start, end)`` spans merged, in order."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def han_mask(text: str) -> np.ndarray:
    """Which characters of ``text`` are Han characters."""
    han = np.zeros(len(text), dtype=bool)
    han[[m.start() for m in HAN_RE.finditer(text)]] = True
    return han


def specific_mask(text: str, offsets: np.ndarray, frequent: np.ndarray, n: int, slogans: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Han characters of ``text``, and those of them that are specific: outside slogan mentions and outside formulaic shingles (``frequent``)."""
    where = np.flatnonzero(frequent)
    mentions = [(m.start, m.end) for m in _matcher(slogans).find(text)]
    boiler = _mask(len(text), mentions) | _mask(len(text), zip(offsets[where], offsets[where + n - 1] + 1))
    han = han_mask(text)
    return han, han & ~boiler


def build_index(docs: Iterable[pd.DataFrame], *, params: ReuseParams = ReuseParams(), within: bool = False, skip_local: bool = False, slogans: Sequence | None = None, label: str = "", progress: bool | None = None) -> ReuseIndex:
    """The index of central documents given as tables (``doc_id``, docvars, ``text``): a corpus's ``docs``, or a store's partitions one by one.

    ``slogans``: the lexicon whose matches do not count as reuse (default: tifa's).
    """
    from tifa.lexicon import load_slogans

    doc_ids, texts, codes, offsets, hashes, frames = [], [], [], [], [], []
    for frame in docs:
        frames.append(frame.drop(columns=["text"]))
        for doc_id, text in zip(frame["doc_id"], frame["text"]):
            c, o = skeleton(text)
            doc_ids.append(str(doc_id))
            texts.append(text)
            codes.append(c)
            offsets.append(o.astype(np.int32))
            hashes.append(shingle_hashes(c, params.n))
    if not doc_ids:
        raise InputError("the central reference has no documents; check the corpus or the docvar=value that selects it")
    df_hashes, df_counts = np.unique(np.concatenate([np.unique(h) for h in hashes]), return_counts=True)
    index = ReuseIndex(params, doc_ids, pd.concat(frames, ignore_index=True).set_index("doc_id"), texts, codes, offsets, [],
                       df_hashes.astype(np.uint32), df_counts.astype(np.int32), within=within, skip_local=skip_local,
                       slogans=tuple(load_slogans() if slogans is None else slogans), label=label)
    perms = index.perms = permutations(params)
    window_doc, window_start, signatures = [], [], []
    disable = (len(doc_ids) < 50) if progress is None else not progress
    for d, h in enumerate(tqdm(hashes, desc="reuse index", unit="doc", disable=disable)):
        frequent = index.df(h) >= index.formulaic_df
        _, specific = specific_mask(texts[d], offsets[d], frequent, params.n, index.slogans)
        index.specific.append(np.concatenate(([0], np.cumsum(specific))).astype(np.int32))
        sig = window_signatures(h, ~frequent, params.width, params.stride, perms)
        used = sig[:, 0] != EMPTY
        signatures.append(sig[used])
        window_doc.append(np.full(int(used.sum()), d, dtype=np.int32))
        window_start.append(window_starts(len(h), params.width, params.stride)[used].astype(np.int32))
    index.lsh = BandIndex.build(np.concatenate(signatures), params.bands, params.rows)
    index.window_doc = np.concatenate(window_doc)
    index.window_start = np.concatenate(window_start)
    return index


# --- the per-partition step ------------------------------------------------------------------


@dataclass
class _Region:
    l0: int
    l1: int
    c0: int
    c1: int


def candidate_regions(pairs: list[tuple[int, int, int]], width: int, reach: int | None = None) -> dict[int, list[_Region]]:
    """Chain candidate window pairs ``(central doc, local start, central start)`` that touch on both texts into regions, per central document;
    then regions less than ``reach`` apart on both texts (their aligned spans, margins included, overlap) become one."""
    reach = width if reach is None else reach
    regions: dict[int, list[_Region]] = {}
    for c, ls, cs in sorted(pairs):
        open_regions = regions.setdefault(c, [])
        for r in open_regions:
            if ls <= r.l1 + width and r.c0 - width <= cs <= r.c1 + width:
                r.l1, r.c0, r.c1 = max(r.l1, ls), min(r.c0, cs), max(r.c1, cs)
                break
        else:
            open_regions.append(_Region(ls, ls, cs, cs))
    for c, found in regions.items():  # regions that grew into each other on both texts become one
        merged: list[_Region] = []
        for r in sorted(found, key=lambda r: (r.l0, r.c0, r.l1, r.c1)):
            for m in merged:
                if r.l0 <= m.l1 + reach and m.l0 <= r.l1 + reach and r.c0 <= m.c1 + reach and m.c0 <= r.c1 + reach:
                    m.l0, m.l1, m.c0, m.c1 = min(m.l0, r.l0), max(m.l1, r.l1), min(m.c0, r.c0), max(m.c1, r.c1)
                    break
            else:
                merged.append(r)
        regions[c] = merged
    return regions


def region_alignments(problems: Sequence[tuple[np.ndarray, np.ndarray]], params: ReuseParams) -> list[list[tuple[int, int, int, int, int, int, int]]]:
    """Local alignments of each pair ``(a, b)``: the best, then the best of ``a`` on either side of it, while they score ≥ ``min_score``.

    Per pair, rows ``(score, a_start, a_end, b_start, b_end, matches, columns)`` in skeleton positions. All pairs
    are aligned together, round by round (:func:`tifa.align.align_many`).
    """
    out: list[list[tuple]] = [[] for _ in problems]
    pending = [(k, 0, len(a)) for k, (a, _) in enumerate(problems)]
    while pending:
        pending = [(k, lo, hi) for k, lo, hi in pending if (hi - lo) * params.match >= params.min_score]
        results = align_many([(problems[k][0][lo:hi], problems[k][1]) for k, lo, hi in pending], params.scoring)
        following = []
        for (k, lo, hi), found in zip(pending, results):
            if found is None or found.score < params.min_score:
                continue
            out[k].append((found.score, lo + found.a_start, lo + found.a_end, found.b_start, found.b_end, found.matches, found.columns))
            following += [(k, lo, lo + found.a_start), (k, lo + found.a_end, hi)]
        pending = following
    return out


def _best_first(rows: list[tuple]) -> list[tuple]:
    """Of alignments that overlap on both texts (same central document), the highest score (then the earliest) stays."""
    kept: list[tuple] = []
    for row in sorted(rows, key=lambda r: (-r[1], r[2], r[0], r[4], r[3], r[5])):
        c, _, ls, le, cs, ce = row[:6]
        if not any(k[0] == c and ls < k[3] and k[2] < le and cs < k[5] and k[4] < ce for k in kept):
            kept.append(row)
    return sorted(kept, key=lambda r: (r[2], r[0], r[4], r[3], r[5]))


def doc_regions(codes: np.ndarray, hashes: np.ndarray, keep: np.ndarray, index: ReuseIndex, *, after: int | None = None) -> list[tuple[int, int, int, int, int]]:
    """Regions of one local document to align: ``(central doc, local start, local end, central start, central end)`` in skeleton positions.

    Windows query the LSH index; candidate windows of a central document are chained
    (:func:`candidate_regions`), widened by ``margin`` and kept when both texts share
    ``min_shared`` distinct non-formulaic shingles. ``after``: in a within-corpus
    index, only documents after this position (each pair once).
    """
    params = index.params
    signatures = window_signatures(hashes, keep, params.width, params.stride, index.perms)
    starts = window_starts(len(hashes), params.width, params.stride)
    used = np.flatnonzero(signatures[:, 0] != EMPTY)
    rows, keys = index.lsh.query(signatures[used])
    c = index.window_doc[keys]
    wanted = c > after if after is not None else np.ones(len(c), dtype=bool)
    pairs = list(zip(c[wanted].tolist(), starts[used[rows[wanted]]].tolist(), index.window_start[keys[wanted]].tolist()))
    span = params.width + params.n - 1 + params.margin
    out = []
    for c, regions in candidate_regions(pairs, params.width, params.width + params.n - 1 + 2 * params.margin).items():
        central = index.codes[c]
        for r in regions:
            l0, l1 = max(r.l0 - params.margin, 0), min(r.l1 + span, len(codes))
            c0, c1 = max(r.c0 - params.margin, 0), min(r.c1 + span, len(central))
            local_set = hashes[l0 : l1 - params.n + 1][keep[l0 : l1 - params.n + 1]]
            if np.intersect1d(local_set, shingle_hashes(central[c0:c1], params.n)).size >= params.min_shared:
                out.append((c, l0, l1, c0, c1))
    return out


def partition_reuse(partition, index: ReuseIndex) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The per-partition step: the passages of the partition's documents found in the index, per document its Han,
    reused and formulaic characters, and per pair of documents the reused characters (small tables).

    ``partition`` has ``.docs(columns)`` (``doc_id``, ``text``). A local document is not
    aligned with a central document of the same id.
    """
    params = index.params
    docs = partition.docs(["doc_id", "text"])
    prepared, problems, owners = [], [], []
    for doc_id, text in zip(docs["doc_id"], docs["text"]):
        own = index.position.get(str(doc_id))
        if index.within and own is None:
            raise InputError(f"document {doc_id!r} is not in the within-corpus index; build the index of the same corpus")
        if index.skip_local and own is not None:
            continue
        codes, offsets = skeleton(text)
        hashes = shingle_hashes(codes, params.n)
        frequent = index.df(hashes) >= index.formulaic_df
        for c, l0, l1, c0, c1 in doc_regions(codes, hashes, ~frequent, index, after=own if index.within else None):
            if c != own:
                problems.append((codes[l0:l1], index.codes[c][c0:c1]))
                owners.append((len(prepared), c, l0, c0))
        prepared.append((str(doc_id), text, offsets, frequent))
    rows: list[list[tuple]] = [[] for _ in prepared]
    for (d, c, l0, c0), found in zip(owners, region_alignments(problems, params)):
        rows[d] += [(c, score, l0 + a0, l0 + a1, c0 + b0, c0 + b1, matches, columns) for score, a0, a1, b0, b1, matches, columns in found]
    passages, documents, pairs = [], [], []
    for (doc_id, text, offsets, frequent), found in zip(prepared, rows):
        passages += _passages(doc_id, text, offsets, frequent, _best_first(found), index, documents, pairs)
    return pd.DataFrame(passages, columns=PASSAGE_COLUMNS), pd.DataFrame(documents, columns=DOCUMENT_COLUMNS), pd.DataFrame(pairs, columns=PAIR_COLUMNS)


def _passages(doc_id: str, text: str, offsets: np.ndarray, frequent: np.ndarray, found: list[tuple], index: ReuseIndex, documents: list, pairs: list) -> list[tuple]:
    """Passage rows of one document (offsets into the texts, specific characters, formulaic or not); its rows of ``documents`` and ``pairs`` are appended."""
    params = index.params
    han, specific = specific_mask(text, offsets, frequent, params.n, index.slogans)
    passages, kept, central_kept = [], {}, {}
    for c, score, a0, a1, b0, b1, matches, columns in found:
        ls, le = int(offsets[a0]), int(offsets[a1 - 1]) + 1
        cs, ce = int(index.offsets[c][b0]), int(index.offsets[c][b1 - 1]) + 1
        reused = int(specific[ls:le].sum())
        formulaic = reused < params.min_chars
        if not formulaic:
            kept.setdefault(c, []).append((ls, le))
            central_kept.setdefault(c, []).append((cs, ce))
        central_reused = int(index.specific[c][ce] - index.specific[c][cs])
        passages.append((doc_id, index.doc_ids[c], ls, le, cs, ce, int(han[ls:le].sum()), reused, central_reused, score, round(matches / columns, 6), formulaic, text[ls:le], index.texts[c][cs:ce]))
    for c in sorted(kept):
        central = sum(int(index.specific[c][e] - index.specific[c][b]) for b, e in _merged(central_kept[c]))
        pairs.append((doc_id, index.doc_ids[c], len(kept[c]), int((specific & _mask(len(text), kept[c])).sum()), central))
    every = [span for spans in kept.values() for span in spans]
    documents.append((doc_id, int(han.sum()), int((specific & _mask(len(text), every)).sum()), int((han & ~specific).sum())))
    return passages


def exhaustive_alignments(codes: np.ndarray, index: ReuseIndex, c: int) -> list[tuple]:
    """The passages of a local skeleton in central document ``c`` found without candidates: the whole texts aligned,
    with the same extraction as :func:`partition_reuse` (best first, then either side). Slow: the reference for small samples."""
    found = region_alignments([(codes, index.codes[c])], index.params)[0]
    return _best_first([(c, score, a0, a1, b0, b1, matches, columns) for score, a0, a1, b0, b1, matches, columns in found])
