"""The engine: every analysis is a per-partition step and a combine step; the engine chooses how the steps run.

A corpus is one partition (``engine="memory"``), a store is many
(``"stream"``: one after the other in this process; ``"dask"``: the very same
step functions with ``dask.bag`` on a ``distributed.Client``). The combine step
always runs here, on the partitions' results in input order, so every engine
gives the same bytes. :func:`as_source` turns what a user passes — a
:class:`~tifa.corpus.Corpus`, a :class:`~tifa.store.Store` or a path — into a
:class:`Source`; for a path, ``"auto"`` loads corpora up to
``config.STREAM_THRESHOLD_MB`` into memory and streams larger ones through a
store (so memory stays a small multiple of one partition).

An analysis is written once::

    def count_things(source, *, engine=None):
        source = as_source(source, engine=engine)
        results = source.map(functools.partial(count_step, ...), desc="things")   # per partition
        return combine(results, source.docvars)                                   # here
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from tifa import config
from tifa.corpus import Corpus, load_corpus
from tifa.errors import InputError
from tifa.readers import source_files, source_kind
from tifa.store import Store, build_store
from tifa.util.processes import worker_pool

log = logging.getLogger(__name__)

ENGINES = ("memory", "stream", "dask")


@dataclass(frozen=True)
class Engine:
    """How the steps of an analysis run: ``name`` (``auto``, ``memory``, ``stream``, ``dask``) and its settings.

    ``store``: folder of the store a path is cleaned into (default under
    ``config.STORE_DIR``); ``cache=False`` reads and writes no store for an
    in-memory run (the corpus is cleaned again); ``scheduler``/``client``: a Dask
    cluster (default: a local cluster of ``config.DASK_WORKERS`` processes on the
    loopback, no dashboard).
    """

    name: str = "auto"
    scheduler: str | None = None
    client: Any = field(default=None, compare=False, repr=False)
    store: str | Path | None = None
    partition_rows: int = config.STORE_PARTITION_ROWS
    progress: bool | None = None
    cache: bool = True
    workers: int | None = None  # processes of the stream engine; None: every core above config.PARALLEL_MIN_MB of input, else 1

    def __post_init__(self) -> None:
        if self.name not in ("auto", *ENGINES):
            raise InputError(f"engine must be 'auto' or one of {ENGINES}, not {self.name!r}")


def engine_of(engine: str | Engine | None) -> Engine:
    """An :class:`Engine` from a name, an Engine, or ``None`` (auto)."""
    if engine is None:
        return Engine()
    return engine if isinstance(engine, Engine) else Engine(engine)


@dataclass(frozen=True)
class CorpusPartition:
    """An in-memory corpus as the one partition of the engine (the same reading interface as a store's partition)."""

    corpus: Corpus = field(repr=False)
    key: str = "memory"

    @property
    def n_docs(self) -> int:
        return len(self.corpus)

    def docs(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        docs = self.corpus.docs
        return docs if columns is None else docs[list(columns)]

    def units(self) -> pd.DataFrame:
        return self.corpus.units


@dataclass
class Source:
    """What an analysis runs on: partitions, the docvars of all documents, a label, and the engine that runs the steps."""

    partitions: list
    docvars: pd.DataFrame
    label: str
    engine: Engine
    corpus: Corpus | None = None
    store: Store | None = None

    def __len__(self) -> int:
        return len(self.docvars)

    @property
    def problems(self) -> pd.DataFrame:
        return self.corpus.problems if self.corpus is not None else self.store.problems

    def map(self, step: Callable, *, desc: str = "partitions", items: Sequence | None = None) -> list:
        """``step(partition)`` (or ``step(item)`` for ``items`` aligned with the partitions) for every partition, in order."""
        work = list(self.partitions if items is None else items)
        reading = self.store.reading() if self.store is not None else nullcontext()
        with reading:
            return map_partitions(step, work, engine=self.engine, desc=desc)

    def to_corpus(self) -> Corpus:
        """The documents in memory (for analyses that need the whole corpus at once: topic models, discovery)."""
        return self.corpus if self.corpus is not None else self.store.to_corpus()


def as_source(
    x: Corpus | Store | Source | str | Path | None,
    *,
    engine: str | Engine | None = None,
    text_field: str = "text",
    id_field: str = "doc_id",
) -> Source:
    """The :class:`Source` of a corpus, a store or a path (``None``: the embedded corpus).

    For a path, the engine ``auto`` loads it into memory up to
    ``config.STREAM_THRESHOLD_MB`` of input and streams it through a store above;
    ``memory`` always loads it, ``stream`` and ``dask`` always build (or re-use) its store.
    A path is cleaned once per content: its store (cleaned text, paragraphs,
    audit, keyed by content hash and pipeline version) is re-used by the next
    command, also when it runs in memory (``engine.cache=False``: clean afresh, keep nothing).
    """
    engine = engine_of(engine)
    if isinstance(x, Source):
        return x
    if isinstance(x, Corpus):
        return Source([CorpusPartition(x, _corpus_key(x))], x.docvars, x.source, _resolved(engine, "memory"), corpus=x)
    if isinstance(x, Store):
        return _store_source(x, _resolved(engine, "stream"))
    path = Path(x) if x is not None else config.DATA_DIR
    name = choose_engine(engine.name, path)
    if name == "memory" and not engine.cache:
        corpus = load_corpus(path, text_field=text_field, id_field=id_field, progress=engine.progress)
        return as_source(corpus, engine=engine)
    workers = engine.workers if engine.workers is not None else (os.cpu_count() or 1) if corpus_size(path) > config.PARALLEL_MIN_MB * 1_000_000 else 1
    store = build_store(path, Path(engine.store) if engine.store is not None else default_store_dir(path, engine.partition_rows),
                        text_field=text_field, id_field=id_field, partition_rows=engine.partition_rows, progress=engine.progress, workers=workers)
    if name == "memory":
        return as_source(store.to_corpus(), engine=engine)
    return _store_source(store, replace(_resolved(engine, name), workers=workers))


def _store_source(store: Store, engine: Engine) -> Source:
    return Source(store.partitions(), store.docvars, store.source, engine, store=store)


def _resolved(engine: Engine, default: str) -> Engine:
    return engine if engine.name != "auto" else replace(engine, name=default)


def _corpus_key(corpus: Corpus) -> str:
    digest = hashlib.sha256()
    for doc_id, text in zip(corpus.docs["doc_id"], corpus.docs["text"]):
        digest.update(f"{doc_id}\0{len(text)}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


# --- running steps -------------------------------------------------------------------------


def map_partitions(step: Callable, partitions: Sequence, *, engine: Engine | str = "stream", desc: str = "partitions") -> list:
    """``step(partition)`` for every partition, in order: in this process (``memory``, ``stream``), in ``engine.workers``
    processes (``stream``; results in input order, so the same bytes as one process) or on Dask (``dask``)."""
    engine = engine_of(engine)
    if engine.name in ("memory", "stream", "auto"):
        disable = (len(partitions) < 2) if engine.progress is None else not engine.progress
        if engine.name == "stream" and (engine.workers or 1) > 1 and len(partitions) > 1:
            with worker_pool(min(engine.workers, len(partitions))) as pool:
                return list(tqdm(pool.map(step, partitions), total=len(partitions), desc=desc, unit="partition", disable=disable))
        return [step(p) for p in tqdm(partitions, desc=desc, unit="partition", disable=disable)]
    import dask.bag as db

    with dask_client(engine.client, engine.scheduler) as active:
        bag = db.from_sequence(list(partitions), npartitions=max(1, len(partitions))).map(step)
        return bag.compute(scheduler=active.get)


@contextmanager
def dask_client(client=None, scheduler: str | None = None) -> Iterator[object]:
    """The ``distributed.Client`` to run on: ``client``, else one connected to ``scheduler``, else a local cluster (closed afterwards).

    The local cluster listens on the loopback only, serves no dashboard (its
    HTTP server has no routes) and speaks TLS with a certificate made for this
    run (``Security.temporary``), so no other local process can join it or submit work.
    """
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
    import dask
    from distributed.security import Security

    security = Security.temporary()
    quiet = {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
    with dask.config.set(quiet), LocalCluster(
        n_workers=config.DASK_WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1", protocol="tls://", security=security,
        dashboard_address=None, worker_dashboard_address=None, scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster, security=security) as local:
        yield local


# --- choosing an engine and a store ----------------------------------------------------------


def corpus_size(path: str | Path | None) -> int:
    """Bytes of a corpus: the file, or ``metadata.csv`` and the texts it lists (not caches kept in the folder, such as data/processed)."""
    path = Path(path) if path is not None else config.DATA_DIR
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in source_files(path) if p.is_file())


def choose_engine(engine: str, corpus: str | Path | None) -> str:
    """``engine``, with ``"auto"`` resolved: ``"stream"`` above ``config.STREAM_THRESHOLD_MB`` of input, else ``"memory"``."""
    if engine == "auto":
        source_kind(Path(corpus) if corpus is not None else config.DATA_DIR)
        return "stream" if corpus_size(corpus) > config.STREAM_THRESHOLD_MB * 1_000_000 else "memory"
    if engine not in ENGINES:
        raise InputError(f"engine must be 'auto' or one of {ENGINES}, not {engine!r}")
    return engine


def default_store_dir(corpus: str | Path | None, partition_rows: int = config.STORE_PARTITION_ROWS) -> Path:
    """Where the store of a corpus is kept: ``config.STORE_DIR/<name>-<hash of its path and partition size>``."""
    path = (Path(corpus) if corpus is not None else config.DATA_DIR).resolve()
    return config.STORE_DIR / f"{path.stem}-{hashlib.sha256(f'{path}|{partition_rows}'.encode()).hexdigest()[:12]}"

