"""Local alignment of texts for text reuse: the text's skeleton, character shingles, MinHash signatures of windows, Smith–Waterman.

Alignment runs on the *skeleton* of a cleaned text: its letters, digits and Han
characters (no punctuation, no spaces), each with its offset in the text, so
that a comma turned into an enumeration mark (，→、) or a dropped full stop is
no edit, and passages are reported as offsets into the cleaned text.

Smith–Waterman here has linear gap costs and is vectorised along one sequence:
each row of the score matrix is a handful of numpy operations (the horizontal
gap chain is a running maximum), and every cell carries the start, matches and
length of the best path into it, so no matrix is stored and no traceback walked.
:func:`align_exact` is the textbook full-matrix version with a traceback, in
plain Python, against which the fast one is tested cell for cell: the same best
cell (first in row-major order), the same path (diagonal before vertical before
horizontal on ties), the same score, matches and length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# --- the skeleton: letters, digits and Han characters with their offsets -------------------


@lru_cache(maxsize=1)
def _kept_bmp() -> np.ndarray:
    """Which code points of the Basic Multilingual Plane are letters or digits (``str.isalnum``)."""
    return np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)


def skeleton(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The letters, digits and Han characters of ``text`` as code points (uint32), and their offsets in ``text`` (int64).

    Characters outside the Basic Multilingual Plane (Han extensions B–I) are kept.
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    keep = np.where(codes < 0x10000, _kept_bmp()[np.minimum(codes, 0xFFFF)], True)
    offsets = np.flatnonzero(keep)
    return codes[offsets], offsets


# --- shingles and MinHash signatures -----------------------------------------------------

_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_BASE = np.uint64(0x100000001B3)


def shingle_hashes(codes: np.ndarray, n: int) -> np.ndarray:
    """A 32-bit hash (uint32) of each run of ``n`` consecutive skeleton characters (``len(codes) - n + 1`` of them).

    A polynomial hash of the code points (wrapping 64-bit arithmetic), mixed with
    SplitMix64's finaliser and cut to its upper 32 bits: the same on every CPU.
    """
    count = len(codes) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    h = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        h = h * _BASE + codes[k : k + count].astype(np.uint64)
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return (h >> np.uint64(32)).astype(np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (element-wise, wrapping uint32): datasketch's pre-mix of the ``affine32`` scheme."""
    h = h.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


EMPTY = np.uint32(0xFFFFFFFF)  # the value of a permutation over an empty set (datasketch's initial hash value)


def window_starts(n_shingles: int, width: int, stride: int) -> np.ndarray:
    """Starts of the windows over ``n_shingles`` shingles: every ``stride``-th, while a window still reaches new shingles."""
    if n_shingles <= 0:
        return np.zeros(0, dtype=np.int64)
    last = -(-max(n_shingles - width, 0) // stride) * stride  # the first start whose window reaches the last shingle
    return np.arange(0, last + 1, stride, dtype=np.int64)


def window_signatures(hashes: np.ndarray, keep: np.ndarray, width: int, stride: int, permutations: tuple[np.ndarray, np.ndarray], *, chunk_blocks: int = 512) -> np.ndarray:
    """MinHash signatures (windows × permutations, uint32) of the kept shingles of each window of :func:`window_starts`.

    A window holds the shingles ``hashes[s : s + width]`` whose ``keep`` is true.
    Its signature is what datasketch's ``MinHash(scheme="affine32")`` gives the same
    set fed through ``update_batch`` with an identity hash function: per permutation
    ``(a, b)``, ``min(a·fmix32(h) + b)`` mod 2³². ``width`` is a multiple of ``stride``:
    windows are minima of ``width / stride`` blocks. Windows without a kept shingle are ``EMPTY``.
    """
    if width % stride:
        raise ValueError(f"width {width} must be a multiple of stride {stride}")
    a, b = (np.asarray(p, dtype=np.uint32) for p in permutations)
    starts = window_starts(len(hashes), width, stride)
    n_blocks = -(-len(hashes) // stride)
    blocks = np.full((n_blocks + width // stride, len(a)), EMPTY, dtype=np.uint32)
    mixed = fmix32(hashes)
    for q in range(0, n_blocks, chunk_blocks):
        lo, hi = q * stride, min((q + chunk_blocks) * stride, len(hashes))
        part = mixed[lo:hi, None] * a[None, :] + b[None, :]
        part[~keep[lo:hi]] = EMPTY
        pad = (-(hi - lo)) % stride
        if pad:
            part = np.vstack([part, np.full((pad, len(a)), EMPTY, dtype=np.uint32)])
        blocks[q : q + len(part) // stride] = part.reshape(-1, stride, len(a)).min(axis=1)
    index = starts // stride
    out = blocks[index].copy()
    for k in range(1, width // stride):
        np.minimum(out, blocks[index + k], out=out)
    return out


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The LSH band keys (bands × windows, uint64) of signatures (windows × permutations): equal keys, equal bands.

    A band of one or two permutations is packed into the key exactly; a longer band
    is hashed (a collision only adds a candidate that the alignment then rejects).
    """
    keys = np.zeros((bands, len(signatures)), dtype=np.uint64)
    for j in range(bands):
        band = signatures[:, j * rows : (j + 1) * rows].astype(np.uint64)
        if rows == 1:
            keys[j] = band[:, 0]
        elif rows == 2:
            keys[j] = (band[:, 0] << np.uint64(32)) | band[:, 1]
        else:
            h = np.zeros(len(signatures), dtype=np.uint64)
            for k in range(rows):
                h = (h ^ band[:, k]) * _MIX1
                h ^= h >> np.uint64(29)
            keys[j] = h
    return keys


@dataclass
class BandIndex:
    """MinHash LSH as sorted arrays: keys that share a band with a query are found by binary search, all queries at once.

    The candidates are those of datasketch's ``MinHashLSH(params=(bands, rows))`` for the same
    signatures (tested); arrays instead of dictionaries of sets make queries a few numpy calls and the
    index small to ship to workers.
    """

    bands: int
    rows: int
    keys: np.ndarray  # bands × windows, each row sorted
    order: np.ndarray  # bands × windows: the window of each sorted key

    @classmethod
    def build(cls, signatures: np.ndarray, bands: int, rows: int) -> BandIndex:
        keys = band_keys(signatures, bands, rows)
        order = np.argsort(keys, axis=1, kind="stable")
        return cls(bands, rows, np.take_along_axis(keys, order, axis=1), order.astype(np.int32))

    def query(self, signatures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(query row, indexed window)`` that share at least one band, each pair once, sorted."""
        keys = band_keys(signatures, self.bands, self.rows)
        queries, windows = [], []
        for j in range(self.bands):
            lo = np.searchsorted(self.keys[j], keys[j], side="left")
            hi = np.searchsorted(self.keys[j], keys[j], side="right")
            counts = hi - lo
            if not counts.any():
                continue
            queries.append(np.repeat(np.arange(len(keys[j])), counts))
            starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
            windows.append(self.order[j][starts + np.arange(counts.sum())])
        if not queries:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        n = max(self.keys.shape[1], 1)
        pairs = np.unique(np.concatenate(queries) * n + np.concatenate(windows))
        return pairs // n, pairs % n


# --- Smith–Waterman with linear gap costs -------------------------------------------------


@dataclass(frozen=True)
class Scoring:
    """Scores of a local alignment: ``match`` (> 0), ``mismatch`` (< 0) and ``gap`` (a cost > 0 per gap character)."""

    match: int = 1
    mismatch: int = -1
    gap: int = 1


@dataclass(frozen=True)
class Alignment:
    """The best local alignment of ``a`` and ``b``: ``a[a_start:a_end]`` with ``b[b_start:b_end]``, its score, identical pairs and columns."""

    score: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    matches: int
    columns: int

    @property
    def identity(self) -> float:
        """Identical pairs per column of the alignment (gaps count as columns)."""
        return self.matches / self.columns if self.columns else 0.0


MAX_CELLS = 20_000_000  # larger score matrices are not stored: the streaming kernel carries each path's start instead
BATCH_CELLS = 4_000_000  # cells of the score matrices aligned together in one batch


def align(a: np.ndarray, b: np.ndarray, scoring: Scoring = Scoring()) -> Alignment | None:
    """The best local alignment of two code sequences (``None`` when no pair matches), vectorised along ``b``.

    Ties: the best cell is the first in row-major order; a cell takes the diagonal
    before the vertical before the horizontal path, and of horizontal paths the one
    with the shortest gap (what :func:`align_exact`'s traceback gives).
    """
    return align_many([(a, b)], scoring)[0]


def align_many(pairs: Sequence[tuple[np.ndarray, np.ndarray]], scoring: Scoring = Scoring()) -> list[Alignment | None]:
    """:func:`align` of many pairs: pairs of similar sizes share one batch of score matrices (padded at their ends, which
    changes no cell of the real matrix), so the cost is a few numpy operations per row of a batch, not of a pair.

    Score matrices beyond ``MAX_CELLS`` cells are streamed (:func:`align_streaming`), with the same result.
    """
    out: list[Alignment | None] = [None] * len(pairs)
    # similar sizes together (rows in steps of 32, then columns): little padding in a batch
    order = sorted((i for i, (a, b) in enumerate(pairs) if len(a) and len(b)), key=lambda i: (len(pairs[i][0]) // 32, len(pairs[i][1]), len(pairs[i][0]), i))
    batch: list[int] = []
    rows = cols = 0  # the batch's largest sizes
    for i in order + [None]:
        if i is not None and len(pairs[i][0]) * len(pairs[i][1]) > MAX_CELLS:
            out[i] = align_streaming(*pairs[i], scoring)
            continue
        m, n = (len(pairs[i][0]), len(pairs[i][1])) if i is not None else (0, 0)
        if batch and (i is None or (len(batch) + 1) * (max(rows, m) + 1) * (max(cols, n) + 1) > BATCH_CELLS):
            for k, found in zip(batch, _align_batch([pairs[k] for k in batch], scoring)):
                out[k] = found
            batch, rows, cols = [], 0, 0
        if i is not None:
            batch.append(i)
            rows, cols = max(rows, m), max(cols, n)
    return out


def _align_batch(pairs: Sequence[tuple[np.ndarray, np.ndarray]], scoring: Scoring) -> list[Alignment | None]:
    match, mismatch, gap = scoring.match, scoring.mismatch, scoring.gap
    k, m, n = len(pairs), max(len(a) for a, _ in pairs), max(len(b) for _, b in pairs)
    A = np.full((k, m), -1, dtype=np.int64)  # padding never equals a code, nor the other side's padding
    B = np.full((k, n), -2, dtype=np.int64)
    for r, (a, b) in enumerate(pairs):
        A[r, : len(a)] = a
        B[r, : len(b)] = b
    # 16-bit cells halve the memory traffic when no value can leave their range (scores ≤ match·m, shifts ≤ gap·n)
    dtype = np.int16 if match * m + gap * (n + 1) + abs(mismatch) < np.iinfo(np.int16).max else np.int32
    steps = np.where(A[:, :, None] == B[:, None, :], match, mismatch).astype(dtype)
    H = np.zeros((k, m + 1, n + 1), dtype=dtype)
    shift = (gap * np.arange(n + 1)).astype(dtype)
    t, up = np.empty((k, n), dtype=dtype), np.empty((k, n), dtype=dtype)
    run = np.zeros((k, n + 1), dtype=dtype)  # column 0 stays 0: the empty prefix
    for i in range(1, m + 1):  # buffers reused row after row: no allocation in the loop
        prev = H[:, i - 1]
        np.add(prev[:, :-1], steps[:, i - 1], out=t)
        np.subtract(prev[:, 1:], gap, out=up)
        np.maximum(t, up, out=t)
        np.maximum(t, 0, out=t)
        np.add(t, shift[1:], out=run[:, 1:])
        np.maximum.accumulate(run, axis=1, out=run)
        np.subtract(run[:, :-1], shift[1:], out=up)
        np.maximum(t, up, out=H[:, i, 1:])
    out = []
    for r, (a, b) in enumerate(pairs):
        sub = H[r, : len(a) + 1, : len(b) + 1]
        best_i, best_j = divmod(int(np.argmax(sub)), len(b) + 1)
        out.append(_traceback(sub, steps[r], best_i, best_j, gap) if sub[best_i, best_j] > 0 else None)
    return out


def _traceback(H: np.ndarray, steps: np.ndarray, i: int, j: int, gap: int) -> Alignment:
    """Follow the best path back from ``(i, j)``: diagonal before vertical before horizontal (as :func:`align_exact`)."""
    end_i, end_j = i, j
    cell = score = H.item(i, j)
    matches = columns = 0
    while cell > 0:
        step = steps.item(i - 1, j - 1)
        diag = H.item(i - 1, j - 1)
        if cell == diag + step:
            matches += step > 0
            i, j, cell = i - 1, j - 1, diag
        else:
            up = H.item(i - 1, j)
            if cell == up - gap:
                i, cell = i - 1, up
            else:
                j, cell = j - 1, H.item(i, j - 1)
        columns += 1
    return Alignment(score, i, end_i, j, end_j, matches, columns)


def align_streaming(a: np.ndarray, b: np.ndarray, scoring: Scoring = Scoring()) -> Alignment | None:
    """:func:`align` without a stored matrix: every cell carries the start, matches and columns of the best path into it."""
    m, n = len(a), len(b)
    if m == 0 or n == 0:
        return None
    match, mismatch, gap = scoring.match, scoring.mismatch, scoring.gap
    cols = np.arange(n + 1, dtype=np.int64)
    h = np.zeros(n + 1, dtype=np.int64)  # scores of the previous row; column 0 is the empty prefix of b
    si = np.zeros(n + 1, dtype=np.int64)  # start row, start column, matches, columns of the best path into each cell
    sj = np.zeros(n + 1, dtype=np.int64)
    mt = np.zeros(n + 1, dtype=np.int64)
    cl = np.zeros(n + 1, dtype=np.int64)
    best = (0, 0, 0)
    best_attrs = None
    bj = b.astype(np.int64)
    for i in range(1, m + 1):
        same = bj == int(a[i - 1])
        diag = h[:-1] + np.where(same, match, mismatch)
        up = h[1:] - gap
        take_diag = diag >= up
        t = np.maximum(np.where(take_diag, diag, up), 0)
        fresh = take_diag & (h[:-1] == 0)  # a diagonal step out of an empty cell starts a path here
        t_si = np.where(fresh, i, np.where(take_diag, si[:-1], si[1:]))
        t_sj = np.where(fresh, cols[1:], np.where(take_diag, sj[:-1], sj[1:]))
        t_mt = np.where(fresh, 0, np.where(take_diag, mt[:-1], mt[1:])) + (take_diag & same)
        t_cl = np.where(fresh, 0, np.where(take_diag, cl[:-1], cl[1:])) + 1
        # horizontal gaps: H[j] = max_{k<j} T[k] - gap·(j−k), the latest k on ties (the shortest gap)
        tv = np.concatenate(([0], t))
        v = tv + gap * cols
        run = np.maximum.accumulate(v)
        origin = np.maximum.accumulate(np.where(v == run, cols, 0))
        chain = run[:-1] - gap * cols[1:]
        k = origin[:-1]
        use_chain = chain > t
        new_h = np.where(use_chain, chain, t)
        empty = new_h <= 0
        ka = np.maximum(k - 1, 0)  # the chain's origin, as an index into the t_* arrays (column k ≥ 1)
        n_si = np.where(use_chain, t_si[ka], t_si)
        n_sj = np.where(use_chain, t_sj[ka], t_sj)
        n_mt = np.where(use_chain, t_mt[ka], t_mt)
        n_cl = np.where(use_chain, t_cl[ka] + (cols[1:] - k), t_cl)
        new_h = np.where(empty, 0, new_h)
        h = np.concatenate(([0], new_h))
        si = np.concatenate(([0], np.where(empty, 0, n_si)))
        sj = np.concatenate(([0], np.where(empty, 0, n_sj)))
        mt = np.concatenate(([0], np.where(empty, 0, n_mt)))
        cl = np.concatenate(([0], np.where(empty, 0, n_cl)))
        j = int(np.argmax(new_h))
        if new_h[j] > best[0]:
            best = (int(new_h[j]), i, j + 1)
            best_attrs = (int(si[j + 1]), int(sj[j + 1]), int(mt[j + 1]), int(cl[j + 1]))
    if best_attrs is None:
        return None
    score, i_end, j_end = best
    s_i, s_j, matches, columns = best_attrs
    return Alignment(score, s_i - 1, i_end, s_j - 1, j_end, matches, columns)


def align_exact(a, b, scoring: Scoring = Scoring()) -> Alignment | None:
    """The textbook Smith–Waterman: the full score matrix in plain Python and a traceback (slow; the reference for :func:`align`)."""
    a, b = [int(x) for x in a], [int(x) for x in b]
    m, n = len(a), len(b)
    if m == 0 or n == 0:
        return None
    match, mismatch, gap = scoring.match, scoring.mismatch, scoring.gap
    H = [[0] * (n + 1) for _ in range(m + 1)]
    best, bi, bj = 0, 0, 0
    for i in range(1, m + 1):
        row, prev = H[i], H[i - 1]
        for j in range(1, n + 1):
            value = max(0, prev[j - 1] + (match if a[i - 1] == b[j - 1] else mismatch), prev[j] - gap, row[j - 1] - gap)
            row[j] = value
            if value > best:
                best, bi, bj = value, i, j
    if best == 0:
        return None
    i, j, matches, columns = bi, bj, 0, 0
    while H[i][j] > 0:
        same = a[i - 1] == b[j - 1]
        if H[i][j] == H[i - 1][j - 1] + (match if same else mismatch):
            matches += same
            i, j = i - 1, j - 1
        elif H[i][j] == H[i - 1][j] - gap:
            i -= 1
        else:
            j -= 1
        columns += 1
    return Alignment(best, i, bi, j, bj, matches, columns)
