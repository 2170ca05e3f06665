"""Engines: the analyses of a corpus store as a per-partition step and a combine step, run in a loop or on Dask.

``engine="stream"`` runs the per-partition steps one after the other in this
process (memory: one partition plus the combined, compact result);
``engine="dask"`` runs the very same step functions with ``dask.bag`` on a
``distributed.Client`` (a ``LocalCluster`` of ``config.DASK_WORKERS`` processes,
one thread each, no dashboard, unless a client or a scheduler address is given).
The combine step always runs here, on the partitions' results in input order,
so both engines give the same bytes, and the same tables as the in-memory
functions (:func:`tifa.stats.textstat_frequency` …) on the same corpus.

Tokens are kept compact: the raw segmentation of every paragraph is written once
per partition and segmenter as Arrow/Parquet (``list<string>``, dictionary-encoded),
filters are applied to each partition's distinct words, and each partition
becomes a sparse documents × features matrix against its own sorted vocabulary;
the combine step merges the vocabularies (a one-pass union, then a re-indexing
of each partition's columns) and stacks the rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from tqdm import tqdm

from tifa import config
from tifa.corpus import check_parts
from tifa.errors import InputError
from tifa.slogans import Slogan, SloganMatcher, lexicon_table, slogan_count_table
from tifa.dfm import DFM
from tifa.store import Partition, Store, open_store
from tifa.tokens import Segmenter, TokenFilter

log = logging.getLogger(__name__)

ENGINES = ("memory", "stream", "dask")
KEYNESS_GROUP = "__keyness_group__"


# --- running steps -------------------------------------------------------------------------


@contextmanager
def dask_client(client=None, scheduler: str | None = None) -> Iterator[object]:
    """The ``distributed.Client`` to run on: ``client``, else one connected to ``scheduler``, else a local cluster (closed afterwards)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is pinned in the lock
        raise InputError("engine 'dask' needs dask and distributed: pip install 'tifa[dask]' (make env installs them)") from exc
    if client is not None:
        yield client
        return
    if scheduler:
        with Client(scheduler) as connected:
            yield connected
        return
    with LocalCluster(n_workers=config.DASK_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as local:
        yield local


def map_partitions(step: Callable, partitions: Sequence[Partition], *, engine: str = "stream", client=None, scheduler: str | None = None, desc: str = "partitions", progress: bool | None = None) -> list:
    """``step(partition)`` for every partition, in order: in this process (``"stream"``) or on Dask (``"dask"``)."""
    if engine == "stream":
        disable = (len(partitions) < 2) if progress is None else not progress
        return [step(p) for p in tqdm(partitions, desc=desc, unit="partition", disable=disable)]
    if engine == "dask":
        import dask.bag as db

        with dask_client(client, scheduler) as active:
            bag = db.from_sequence(list(partitions), npartitions=max(1, len(partitions))).map(step)
            return bag.compute(scheduler=active.get) if hasattr(active, "get") else bag.compute()
    raise InputError(f"engine must be one of {ENGINES[1:]} for a store, not {engine!r}")


def _as_store(store: Store | str | Path) -> Store:
    return store if isinstance(store, Store) else open_store(store)


# --- tokens: raw segmentation per partition, as Arrow ----------------------------------------


@dataclass(frozen=True)
class TokenSpec:
    """What decides a partition's features: the segmenter (rebuilt in each worker), the filter and the parts."""

    backend: str = "rjieba"
    hmm: bool = False
    user_words: tuple[tuple[str, str], ...] | None = None
    token_filter: TokenFilter | None = None
    parts: tuple[str, ...] = config.DEFAULT_PARTS


_SEGMENTERS: dict[tuple, Segmenter] = {}


def _segmenter(spec: TokenSpec) -> Segmenter:
    key = (spec.backend, spec.hmm, spec.user_words)
    if key not in _SEGMENTERS:
        _SEGMENTERS[key] = Segmenter(spec.backend, hmm=spec.hmm, user_words=spec.user_words)
    return _SEGMENTERS[key]


def partition_tokens(partition: Partition, spec: TokenSpec):
    """Raw tokens of every paragraph of a partition (``doc_id``, ``part``, ``tokens`` as ``list<string>``): read from the store's cache, else segmented and written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    segmenter = _segmenter(spec)
    path = Path(partition.root) / "tokens" / segmenter.fingerprint[:16] / f"{partition.key}.parquet"
    if path.is_file():
        return pq.read_table(path)
    units = partition.units()
    chunks = []
    for _, paragraphs in units.groupby("doc_id", sort=False)["text"]:  # one document's paragraphs at a time: no Python lists of the whole partition
        chunks.append(pa.array([segmenter.cut(text) for text in paragraphs], type=pa.list_(pa.string())))
    tokens = pa.chunked_array(chunks, type=pa.list_(pa.string())) if chunks else pa.chunked_array([], type=pa.list_(pa.string()))
    table = pa.table({"doc_id": pa.array(units["doc_id"].to_numpy(dtype=object), pa.string()), "part": pa.array(units["part"].to_numpy(dtype=object), pa.string()), "tokens": tokens})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return table


def partition_dfm(partition: Partition, spec: TokenSpec) -> tuple[np.ndarray, sparse.csr_matrix]:
    """The per-partition step of the dfm: the partition's sorted vocabulary and its documents × vocabulary counts."""
    import pyarrow.compute as pc

    token_filter = spec.token_filter or TokenFilter()
    doc_ids = partition.docs(["doc_id"])["doc_id"]
    table = partition_tokens(partition, spec)
    table = table.filter(pc.is_in(table["part"], value_set=_pa_strings(spec.parts)))
    row = pd.Index(doc_ids).get_indexer(table["doc_id"].to_numpy(zero_copy_only=False))
    lists = table["tokens"].combine_chunks()
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(pc.list_flatten(lists))
    words = encoded.dictionary.to_pylist()
    mapped = [(w.lower() if token_filter.lowercase else w) if token_filter.keep(w) else None for w in words]  # the filter, once per distinct word
    features = np.array(sorted({w for w in mapped if w is not None}), dtype=object)
    position = {w: i for i, w in enumerate(features)}
    column_of_word = np.array([position[w] if w is not None else -1 for w in mapped], dtype=np.int64)
    columns = column_of_word[encoded.indices.to_numpy(zero_copy_only=False)] if len(words) else np.zeros(0, dtype=np.int64)
    rows = np.repeat(row, lengths)
    kept = columns >= 0
    matrix = sparse.csr_matrix(
        (np.ones(int(kept.sum()), dtype=np.int64), (rows[kept], columns[kept])), shape=(len(doc_ids), len(features))
    )
    matrix.sum_duplicates()
    return features, matrix


def _pa_strings(values: Sequence[str]):
    import pyarrow as pa

    return pa.array(list(values), pa.string())


def combine_dfm(results: Sequence[tuple[np.ndarray, sparse.csr_matrix]], docvars: pd.DataFrame) -> DFM:
    """The combine step of the dfm: one sorted vocabulary (union of the partitions'), rows stacked in input order."""
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


def _token_spec(segmenter: Segmenter | None, token_filter: TokenFilter | None, include_parts) -> TokenSpec:
    if token_filter is not None and token_filter.pos is not None:
        raise InputError("part-of-speech filters (pos=…) run in memory only: use engine='memory', or a filter without pos")
    segmenter = segmenter or Segmenter()
    user_words = None if segmenter.user_words == Segmenter().user_words else segmenter.user_words
    return TokenSpec(segmenter.backend, segmenter.hmm, user_words, token_filter, check_parts(include_parts))


# --- analyses: per-partition step + combine step ----------------------------------------------


class _Step:
    """A picklable ``partition -> result`` function with fixed arguments (Dask ships it to the workers)."""

    def __init__(self, func: Callable, *args):
        self.func, self.args = func, args

    def __call__(self, partition: Partition):
        return self.func(partition, *self.args)


def store_dfm(
    store: Store | str | Path,
    segmenter: Segmenter | None = None,
    *,
    token_filter: TokenFilter | None = None,
    include_parts: Sequence[str] | None = None,
    engine: str = "stream",
    client=None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> DFM:
    """Documents × features counts of a store, the same matrix as ``build_dfm(tokens(corpus))`` (default filter and parts)."""
    store = _as_store(store)
    spec = _token_spec(segmenter, token_filter, include_parts)
    results = map_partitions(_Step(partition_dfm, spec), store.partitions(), engine=engine, client=client, scheduler=scheduler, desc="tokens and counts", progress=progress)
    return combine_dfm(results, store.docvars)


def textstat_frequency(store: Store | str | Path, *, by: str | Sequence[str] | None = None, n: int | None = None, segmenter: Segmenter | None = None, engine: str = "stream", client=None, scheduler: str | None = None, progress: bool | None = None) -> pd.DataFrame:
    """:func:`tifa.stats.textstat_frequency` of a store: the dfm built per partition and stacked, then the same statistics."""
    from tifa import stats

    x = store_dfm(store, segmenter, engine=engine, client=client, scheduler=scheduler, progress=progress)
    return stats.textstat_frequency(x, by=by, n=n)


def _partition_sums(item: tuple[Partition, np.ndarray, np.ndarray], spec: TokenSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per-partition step of keyness: the summed counts of the target's and of the reference's documents, on the partition's vocabulary."""
    partition, target, reference = item
    features, matrix = partition_dfm(partition, spec)
    sums = sparse.csr_matrix(np.vstack([target, reference]).astype(np.int64)) @ matrix
    return features, np.asarray(sums.toarray(), dtype=np.int64)


def combine_sums(results: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Combine step of keyness: the union vocabulary (sorted) and the rows of every partition added on it."""
    features = np.array(sorted(set().union(*(set(f) for f, _ in results))), dtype=object)
    position = {w: i for i, w in enumerate(features)}
    n_rows = results[0][1].shape[0] if results else 2
    total = np.zeros((n_rows, len(features)), dtype=np.int64)
    for local, sums in results:
        if len(local):
            total[:, [position[w] for w in local]] += sums  # a partition's vocabulary has no repeats
    return features, total


def textstat_keyness(
    store: Store | str | Path,
    target: str | int,
    *,
    by: str | Sequence[str],
    reference: str | int | None = None,
    min_count: int = config.KEYNESS_MIN_COUNT,
    correction: str | None = "bh",
    segmenter: Segmenter | None = None,
    engine: str = "stream",
    client=None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """:func:`tifa.stats.textstat_keyness` of a store: only the two groups' summed counts are combined (memory: two rows × vocabulary)."""
    from tifa import stats

    store = _as_store(store)
    spec = _token_spec(segmenter, None, None)
    target_key = str(target)
    in_target, in_reference = stats.keyness_rows(store.docvars, target, by=by, reference=reference)
    partitions = store.partitions()
    bounds = np.cumsum([0] + [p.n_docs for p in partitions])
    items = [(p, in_target[lo:hi], in_reference[lo:hi]) for p, lo, hi in zip(partitions, bounds[:-1], bounds[1:])]
    results = map_partitions(_Step(_partition_sums, spec), items, engine=engine, client=client, scheduler=scheduler, desc="tokens and counts", progress=progress)
    features, sums = combine_sums(results)
    x = DFM(sparse.csr_matrix(sums), features, pd.DataFrame({KEYNESS_GROUP: ["target", "reference"]}))
    if sums[0].sum() == 0 or sums[1].sum() == 0:
        empty = target_key if sums[0].sum() == 0 else "the reference"
        raise InputError(f"{empty} has no tokens (after filtering): keyness is undefined; compare groups that have tokens")
    return stats.textstat_keyness(x, "target", by=KEYNESS_GROUP, min_count=min_count, correction=correction)


# --- slogans ---------------------------------------------------------------------------------

_MATCHERS: dict[tuple, SloganMatcher] = {}


def _matcher(slogans: tuple[Slogan, ...]) -> SloganMatcher:
    key = tuple(s.id for s in slogans)
    if key not in _MATCHERS or _MATCHERS[key].slogans != slogans:
        _MATCHERS[key] = SloganMatcher(slogans)
    return _MATCHERS[key]


def partition_slogans(partition: Partition, slogans: tuple[Slogan, ...], parts: tuple[str, ...] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-partition step of slogan counts: documents × lexicon entries and Han characters per document.

    ``parts=None`` counts the whole cleaned text (as :func:`tifa.panel.slogan_dfm`); otherwise the paragraphs of ``parts`` (as :func:`tifa.slogans.count_slogans`).
    """
    from tifa.text import count_han
    from tifa.corpus import text_of_parts

    matcher = _matcher(slogans)
    docs = partition.docs(["text", "n_chars"])
    texts = list(docs["text"]) if parts is None else [text_of_parts(t, parts) for t in docs["text"]]
    counts = matcher.count_many(texts)
    n_chars = docs["n_chars"].to_numpy(dtype=np.float64) if parts is None else np.array([count_han(t) for t in texts], dtype=np.float64)
    return counts, n_chars


def _slogan_counts(store: Store, matcher: SloganMatcher, parts, engine, client, scheduler, progress) -> tuple[np.ndarray, np.ndarray]:
    results = map_partitions(_Step(partition_slogans, tuple(matcher.slogans), parts), store.partitions(), engine=engine, client=client, scheduler=scheduler, desc="slogans", progress=progress)
    counts = np.vstack([c for c, _ in results]) if results else np.zeros((0, len(matcher.slogans)), dtype=np.int64)
    return counts.astype(np.int64), np.concatenate([n for _, n in results])


def count_slogans(
    store: Store | str | Path,
    *,
    by: str | Sequence[str] = "doc_id",
    category: str | None = None,
    matcher: SloganMatcher | None = None,
    drop_zero: bool = False,
    include_parts: Sequence[str] | None = None,
    engine: str = "stream",
    client=None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """:func:`tifa.slogans.count_slogans` of a store (written forms apart, ``forms=True``, run in memory only)."""
    store = _as_store(store)
    matcher = matcher or SloganMatcher()
    counts, n_chars = _slogan_counts(store, matcher, check_parts(include_parts), engine, client, scheduler, progress)
    table = lexicon_table(matcher).drop(columns=["first_used"])
    return slogan_count_table(counts, n_chars, store.docvars, table, by=by, category=category, drop_zero=drop_zero)


def slogan_panel(
    store: Store | str | Path,
    by: str | Sequence[str] = ("province", "year"),
    slogans: str | Sequence[str] | None = None,
    *,
    matcher: SloganMatcher | None = None,
    conf: float = 0.95,
    engine: str = "stream",
    client=None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """:func:`tifa.panel.slogan_panel` of a store: the documents × slogans matrix per partition, stacked, then the same panel."""
    from tifa.panel import panel_from_dfm, select_slogans

    store = _as_store(store)
    by = [by] if isinstance(by, str) else list(by)
    docvars = store.docvars
    missing = [b for b in by if (b not in docvars.columns and b != docvars.index.name) or not (docvars.reset_index()[b].notna().any())]
    if missing:
        raise InputError(f"{store.source}: no docvar {missing} to build the panel by; available: {sorted(docvars.columns)}. Add it to the corpus metadata or choose another.")
    matcher = matcher or SloganMatcher()
    keep = select_slogans(matcher, slogans)
    counts, _ = _slogan_counts(store, matcher, None, engine, client, scheduler, progress)
    x = DFM(sparse.csr_matrix(counts, dtype=np.int64), np.array([s.id for s in matcher.slogans], dtype=object), docvars)
    return panel_from_dfm(x, by, keep, matcher=matcher, conf=conf, source=store.source)


# --- choosing an engine and a store (the command line) ----------------------------------------


def corpus_size(path: str | Path | None) -> int:
    """Bytes of a corpus: the file, or every file in the folder (recursively)."""
    path = Path(path) if path is not None else config.DATA_DIR
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def choose_engine(engine: str, corpus: str | Path | None) -> str:
    """``engine``, with ``"auto"`` resolved: ``"stream"`` above ``config.STREAM_THRESHOLD_MB`` of input, else ``"memory"``."""
    if engine == "auto":
        return "stream" if corpus_size(corpus) > config.STREAM_THRESHOLD_MB * 1_000_000 else "memory"
    if engine not in ENGINES:
        raise InputError(f"engine must be 'auto' or one of {ENGINES}, not {engine!r}")
    return engine


def default_store_dir(corpus: str | Path | None) -> Path:
    """Where the command line keeps the store of a corpus: ``config.STORE_DIR/<name>-<hash of its path>``."""
    import hashlib

    path = (Path(corpus) if corpus is not None else config.DATA_DIR).resolve()
    return config.STORE_DIR / f"{path.stem}-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"


def corpus_store(corpus: str | Path | None, store: str | Path | None = None, *, text_field: str = "text", id_field: str = "doc_id", partition_rows: int = config.STORE_PARTITION_ROWS, progress: bool | None = None) -> Store:
    """The store of ``corpus`` at ``store`` (default :func:`default_store_dir`), built or brought up to date (unchanged partitions are re-used)."""
    from tifa.store import build_store

    path = Path(corpus) if corpus is not None else config.DATA_DIR
    return build_store(path, Path(store) if store is not None else default_store_dir(path), text_field=text_field, id_field=id_field, partition_rows=partition_rows, progress=progress)
