"""Features: from units to tokens to count matrices — the one path of ``tokens()``, ``build_dfm()`` and every engine.

Each partition's paragraphs are segmented (or read from the token cache, keyed by
text, segmenter and user dictionary: :mod:`tifa.token_cache`), filtered once per
distinct word, and counted straight into a sparse documents × features matrix
against the partition's own sorted vocabulary (words become integer codes as they
are read: no Python list of the whole partition's tokens is kept). The combine
step merges vocabularies and stacks rows in input order, so a corpus in memory
(one partition), a store streamed partition by partition and a Dask cluster give
the same matrix. :func:`tokens` is the view that keeps each paragraph's tokens as
lists (for topic models, compounds, notebooks; it holds them in memory).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from tifa import config
from tifa.dfm import DFM
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.filters import TokenFilter
from tifa.segment import Segmenter
from tifa.text import split_paragraphs
from tifa.token_cache import TokenCache, cache_key
from tifa.units import check_parts

log = logging.getLogger(__name__)

UNITS = ("document", "paragraph")


@dataclass(frozen=True)
class TokenSpec:
    """What decides a partition's features (picklable: the segmenter is rebuilt, once, in each process)."""

    backend: str = "rjieba"
    hmm: bool = False
    user_words: tuple[tuple[str, str], ...] | None = None  # None: the project's user dictionary
    token_filter: TokenFilter | None = None
    parts: tuple[str, ...] = config.DEFAULT_PARTS
    cache_dir: str | None = str(config.TOKEN_CACHE_DIR)

    @property
    def filter(self) -> TokenFilter:
        return self.token_filter or _default_filter()

    @property
    def pos(self) -> bool:
        return self.token_filter is not None and self.token_filter.pos is not None


@functools.lru_cache(maxsize=1)
def _default_filter() -> TokenFilter:
    return TokenFilter()


def token_spec(segmenter: Segmenter | None = None, token_filter: TokenFilter | None = None, include_parts=None, cache_dir: str | Path | None = config.TOKEN_CACHE_DIR) -> TokenSpec:
    """The :class:`TokenSpec` of a segmenter, a filter, the parts and the cache folder (``None``: no cache read or written)."""
    segmenter = segmenter or segmenter_of(TokenSpec())
    default = segmenter_of(TokenSpec(segmenter.backend, segmenter.hmm))
    user_words = None if segmenter.user_words == default.user_words else segmenter.user_words
    _SEGMENTERS.setdefault((segmenter.backend, segmenter.hmm, user_words), segmenter)
    return TokenSpec(segmenter.backend, segmenter.hmm, user_words, token_filter, check_parts(include_parts), str(cache_dir) if cache_dir is not None else None)


_SEGMENTERS: dict[tuple, Segmenter] = {}


def segmenter_of(spec: TokenSpec) -> Segmenter:
    """The segmenter of a spec, built once per process."""
    key = (spec.backend, spec.hmm, spec.user_words)
    if key not in _SEGMENTERS:
        _SEGMENTERS[key] = Segmenter(spec.backend, hmm=spec.hmm, user_words=spec.user_words)
    return _SEGMENTERS[key]


# --- raw segmentation of a partition, through the cache ---------------------------------------------


@dataclass
class Counts:
    """Documents segmented in a step and documents read from the cache."""

    segmented: int = 0
    cached: int = 0


def segmented_documents(units: pd.DataFrame, spec: TokenSpec, counts: Counts | None = None) -> Iterator[tuple[str, list[str], list[list]]]:
    """``(doc_id, parts, paragraphs' raw tokens)`` of every document of a partition's units, in order.

    Raw tokens are words (or ``[word, tag]`` pairs with a part-of-speech filter)
    of every paragraph, all parts; read from the cache when valid, else segmented
    and written to it (in batches).
    """
    counts = counts if counts is not None else Counts()
    segmenter = segmenter_of(spec)
    cache = TokenCache(spec.cache_dir) if spec.cache_dir is not None else None
    run = segmenter.tag if spec.pos else segmenter.cut
    doc_ids = units["doc_id"].to_numpy(dtype=object)
    bounds = np.flatnonzero(np.r_[True, doc_ids[1:] != doc_ids[:-1], True]) if len(doc_ids) else np.array([0])
    texts, parts = units["text"].tolist(), units["part"].tolist()
    try:
        for spans in _document_batches(bounds, texts):
            keys = {int(a): cache_key("\n\n".join(texts[a:b]), segmenter.fingerprint, pos=spec.pos) for a, b in spans}
            found = cache.get_many(list(keys.values()), {keys[int(a)]: texts[a:b] for a, b in spans}, pos=spec.pos) if cache is not None else {}
            new = []
            for a, b in spans:
                key = keys[int(a)]
                paragraphs = found.get(key)
                if paragraphs is None:
                    paragraphs = [[list(p) for p in run(t)] if spec.pos else run(t) for t in texts[a:b]]
                    new.append((key, paragraphs))
                    counts.segmented += 1
                else:
                    counts.cached += 1
                yield doc_ids[a], parts[a:b], paragraphs
            if cache is not None and new:
                cache.put_many(new)
    finally:
        if cache is not None:
            cache.close()


def _document_batches(bounds: np.ndarray, texts: list[str], max_docs: int = 200, max_chars: int = 500_000) -> Iterator[list[tuple[int, int]]]:
    """Spans of consecutive documents looked up in and written to the cache together: at most ``max_docs`` documents or ``max_chars`` characters (their tokens are held as Python lists meanwhile)."""
    batch: list[tuple[int, int]] = []
    n_chars = 0
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        batch.append((a, b))
        n_chars += sum(len(t) for t in texts[a:b])
        if len(batch) == max_docs or n_chars >= max_chars:
            yield batch
            batch, n_chars = [], 0
    if batch:
        yield batch


def segment_document(text: str, segmenter: Segmenter, *, pos: bool = False) -> list[list]:
    """Segment each paragraph of a cleaned text separately (paragraphs never share a token)."""
    run = segmenter.tag if pos else segmenter.cut
    return [run(paragraph) for paragraph in split_paragraphs(text)]


# --- tokens to a matrix: the per-partition step and the combine step -----------------------------------


class _Encoder:
    """Words counted row by row (in C), then integer codes for the distinct words at once, the filter once per distinct word, sorted features."""

    def __init__(self, token_filter: TokenFilter, pos: bool):
        self.filter, self.pos = token_filter, pos
        self.rows: list[np.ndarray] = []
        self.words: list = []  # the distinct words of each row, row after row
        self.counts: list[int] = []

    def add(self, row: int, token_lists: Iterable[list]) -> None:
        """Count the words of one row (a document or paragraph) at once: a partition's tokens are never held together."""
        counter: Counter = Counter()
        for items in token_lists:
            counter.update(map(tuple, items) if self.pos else items)
        self.words.extend(counter)
        self.counts.extend(counter.values())
        self.rows.append(np.full(len(counter), row, dtype=np.int64))

    def matrix(self, n_rows: int) -> tuple[np.ndarray, sparse.csr_matrix]:
        """The sorted features kept by the filter and the rows × features counts."""
        words = np.empty(len(self.words), dtype=object)
        words[:] = self.words  # (word, tag) tuples stay whole
        codes, distinct = pd.factorize(words)
        mapped = list(map(self.filter.kept_form, distinct))  # the filter remembers its decisions from partition to partition
        features = np.array(sorted({w for w in mapped if w is not None}), dtype=object)
        position = {w: i for i, w in enumerate(features)}
        column_of = np.array([position[w] if w is not None else -1 for w in mapped], dtype=np.int64)
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)
        counts = np.asarray(self.counts, dtype=np.int64)
        columns = column_of[codes] if len(codes) else np.zeros(0, dtype=np.int64)
        kept = columns >= 0
        matrix = sparse.csr_matrix((counts[kept], (rows[kept], columns[kept])), shape=(n_rows, len(features)))
        matrix.sum_duplicates()
        return features, matrix


def partition_dfm(partition, spec: TokenSpec) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Per-partition step of the dfm: the partition's sorted vocabulary and its documents × vocabulary counts."""
    doc_ids = partition.docs(["doc_id"])["doc_id"].tolist()
    row_of = {d: i for i, d in enumerate(doc_ids)}
    encoder = _Encoder(spec.filter, spec.pos)
    for doc_id, parts, paragraphs in segmented_documents(partition.units(), spec):
        encoder.add(row_of[doc_id], (items for part, items in zip(parts, paragraphs) if part in spec.parts))
    return encoder.matrix(len(doc_ids))


def combine_dfm(results: Sequence[tuple[np.ndarray, sparse.csr_matrix]], docvars: pd.DataFrame) -> DFM:
    """Combine step of the dfm: one sorted vocabulary (the union of the partitions'), rows stacked in input order."""
    features = np.array(sorted(set().union(*(set(f) for f, _ in results))), dtype=object)
    position = {w: i for i, w in enumerate(features)}
    blocks = []
    for local, matrix in results:
        remap = np.array([position[w] for w in local], dtype=np.int64)
        block = sparse.csr_matrix((matrix.data, remap[matrix.indices] if len(remap) else matrix.indices, matrix.indptr), shape=(matrix.shape[0], len(features)))
        block.sort_indices()
        blocks.append(block)
    matrix = sparse.vstack(blocks, format="csr", dtype=np.int64) if blocks else sparse.csr_matrix((0, len(features)), dtype=np.int64)
    return DFM(matrix, features, docvars)


# --- the list view: tokens of every paragraph -----------------------------------------------------------


@dataclass
class Tokens:
    """Tokens of a corpus, one row per paragraph (``doc_id``, ``paragraph_id``, ``part``, ``tokens``), with docvars by ``doc_id``.

    ``parts`` are the parts of the documents the units come from (``include_parts`` of :func:`tokens`).
    """

    units: pd.DataFrame
    docvars: pd.DataFrame
    segmenter: str
    filter: TokenFilter
    n_segmented: int = 0  # documents segmented in this call
    n_cached: int = 0  # documents read from the cache
    parts: tuple[str, ...] = config.DEFAULT_PARTS

    def documents(self) -> pd.Series:
        """All tokens of each document, in order, indexed by ``doc_id``."""
        joined = self.units.groupby("doc_id", sort=False)["tokens"].agg(lambda s: [t for toks in s for t in toks])
        joined = joined.reindex(self.docvars.index)
        return joined.map(lambda toks: toks if isinstance(toks, list) else [])  # a document without units of the parts

    def __len__(self) -> int:
        return int(self.units["tokens"].map(len).sum())


def partition_tokens(partition, spec: TokenSpec) -> tuple[pd.DataFrame, Counts]:
    """Per-partition step of :func:`tokens`: the filtered tokens of each paragraph of the chosen parts."""
    counts = Counts()
    units = partition.units()
    token_filter = spec.filter
    kept_tokens: list[list[str]] = []
    for _, parts, paragraphs in segmented_documents(units, spec, counts):
        for part, items in zip(parts, paragraphs):
            if part in spec.parts:
                kept_tokens.append(token_filter.apply([tuple(i) for i in items] if spec.pos else items))
    kept = units[units["part"].isin(spec.parts)]
    frame = pd.DataFrame({"doc_id": kept["doc_id"].to_numpy(), "paragraph_id": kept["paragraph_id"].to_numpy(), "part": kept["part"].to_numpy(), "tokens": kept_tokens})
    return frame, counts


def tokens(
    corpus,
    segmenter: Segmenter | None = None,
    *,
    token_filter: TokenFilter | None = None,
    cache_dir: str | Path | None = config.TOKEN_CACHE_DIR,
    progress: bool | None = None,
    include_parts: Sequence[str] | None = None,
    engine: str | Engine | None = None,
) -> Tokens:
    """Segment and filter every document of a corpus (a :class:`~tifa.corpus.Corpus`, a store or a path).

    Units are the paragraphs of ``include_parts`` (default ``config.DEFAULT_PARTS``:
    front matter and body; appendices such as 名词解释 are left out). Raw
    segmentations are cached per document under ``cache_dir`` (see
    :mod:`tifa.token_cache`); ``cache_dir=None`` reads and writes no cache. The
    tokens are held in memory as lists (for counts on large corpora use
    :func:`build_dfm` on the corpus, which never does).
    """
    source = as_source(corpus, engine=Engine("auto", progress=progress) if engine is None else engine)
    spec = token_spec(segmenter, token_filter, include_parts, cache_dir)
    results = source.map(functools.partial(partition_tokens, spec=spec), desc="segmenting")
    units = pd.concat([frame for frame, _ in results], ignore_index=True) if results else pd.DataFrame(columns=["doc_id", "paragraph_id", "part", "tokens"])
    n_segmented, n_cached = sum(c.segmented for _, c in results), sum(c.cached for _, c in results)
    log.info("segmented %d documents, %d from cache (%s)", n_segmented, n_cached, segmenter_of(spec))
    return Tokens(units, source.docvars, repr(segmenter_of(spec)), spec.filter, n_segmented, n_cached, spec.parts)


def build_dfm(
    x,
    *,
    unit: str = "document",
    segmenter: Segmenter | None = None,
    token_filter: TokenFilter | None = None,
    include_parts: Sequence[str] | None = None,
    cache_dir: str | Path | None = config.TOKEN_CACHE_DIR,
    engine: str | Engine | None = None,
) -> DFM:
    """Count matrix (features sorted) by ``unit`` (``"document"`` or ``"paragraph"``) of :class:`Tokens`, or of a corpus, store or path.

    From a corpus, store or path the matrix is built partition by partition
    (:func:`partition_dfm`, :func:`combine_dfm`) with the segmenter, filter,
    parts and cache given; from :class:`Tokens` those were chosen when they were made.
    """
    if unit not in UNITS:
        raise InputError(f"unit must be 'document' or 'paragraph', not {unit!r}")
    if isinstance(x, Tokens):
        return _dfm_of_tokens(x, unit)
    if unit == "paragraph":
        return _dfm_of_tokens(tokens(x, segmenter, token_filter=token_filter, cache_dir=cache_dir, include_parts=include_parts, engine=engine), unit)
    source = as_source(x, engine=engine)
    spec = token_spec(segmenter, token_filter, include_parts, cache_dir)
    return combine_dfm(source.map(functools.partial(partition_dfm, spec=spec), desc="tokens and counts"), source.docvars)


def _dfm_of_tokens(toks: Tokens, unit: str) -> DFM:
    if unit == "document":
        lists, docvars = toks.documents(), toks.docvars
    else:
        lists = toks.units.set_index("paragraph_id")["tokens"]
        docvars = toks.units[["paragraph_id", "doc_id"]].join(toks.docvars, on="doc_id").set_index("paragraph_id")
    encoder = _Encoder(TokenFilter(remove_stopwords=False, remove_punct=False, remove_numbers=False, min_chars=0, lowercase=False, stopwords=frozenset()), False)
    for row, items in enumerate(lists):
        encoder.add(row, [items])
    features, matrix = encoder.matrix(len(lists))
    return DFM(matrix, features, docvars)

