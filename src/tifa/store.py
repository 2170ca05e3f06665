"""The corpus store: the processed corpus as partitioned Parquet, written while the input is streamed.

:func:`build_store` reads a corpus with the readers of :mod:`tifa.readers` in
batches of ``partition_rows`` documents (fewer when their text reaches
``config.STORE_PARTITION_MB``), cleans each batch with the one
cleaning loop of :func:`tifa.corpus.process_records` and writes one partition
per batch: documents with docvars (``docs/``), paragraphs with their part and
section (``units/``), the cleaning audit (``audit/``) and the problems
(``problems/``). A partition's name is the hash of its documents (id, raw text,
docvars, where) and of the cleaning pipeline's version, so a rerun on the same
input cleans nothing again and re-uses every partition whose documents did not
change. Docvars are typed once for the whole store (:mod:`tifa.docvars`): a
partition is read with the corpus-wide types, a docvar it lacks is null.

Layout of a store folder::

    store.json                     manifest: pipeline version, source, docvar kinds, partitions in order
    docs/<key>.parquet             doc_id, docvars, text, n_chars
    units/<key>.parquet            doc_id, paragraph_id, position, part, section, text
    audit/<key>.parquet            doc_id, step, kind, line, rule, before, after
    problems/<key>.parquet         doc_id, where, problem

A build holds the store's lock exclusively; reading (:meth:`Store.reading`)
holds it shared, so a build never removes partitions another run is reading.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from tifa import __version__, config
from tifa.clean import Step, default_pipeline
from tifa.corpus import (
    AUDIT_COLUMNS,
    PROBLEM_COLUMNS,
    Corpus,
    audit_frame,
    display_path,
    docs_frame,
    problems_frame,
    process_records,
)
from tifa.docvars import (
    KIND_DTYPES,
    cast_docvars,
    decide_kinds,
    docvar_rows,
    merge_kinds,
    mixed_problems,
    row_kinds,
)
from tifa.errors import CorpusError, MissingFileError, OutputError, write_failure
from tifa.readers import Record, iter_records, source_files, source_kind
from tifa.units import UNIT_COLUMNS
from tifa.util.files import atomic_path, atomic_write
from tifa.util.processes import worker_pool

log = logging.getLogger(__name__)

STORE_FORMAT = 2  # layout version of a store folder
KINDS = ("docs", "units", "audit", "problems")
MANIFEST = "store.json"
LOCK = ".lock"
_ARROW_KINDS = {"string": "text", "large_string": "text", "int64": "integer", "double": "float", "bool": "boolean"}


# --- versions and keys -------------------------------------------------------------------


PIPELINE_MODULES = ("clean", "boilerplate", "spans", "scrapes", "traditional", "util.literals", "decoding", "corpus", "docvars", "readers", "text", "units")
PIPELINE_RESOURCES = ("boilerplate.yaml", "t2s_changes.txt")


def pipeline_version(steps: Sequence[Step] | None = None) -> str:
    """Hash of everything that decides a cleaned document: tifa's version, the corpus layer's code and resources, the steps."""
    import importlib

    digest = hashlib.sha256()
    digest.update(f"{STORE_FORMAT}\0{__version__}\0".encode())
    files = [Path(importlib.import_module(f"tifa.{name}").__file__) for name in PIPELINE_MODULES]
    files += [config.RESOURCES_DIR / name for name in PIPELINE_RESOURCES] + [Path(config.__file__)]
    for source in files:
        digest.update(source.read_bytes())
    names = [s.name for s in (default_pipeline() if steps is None else steps)]
    digest.update(json.dumps(names).encode())
    return digest.hexdigest()


def _partition_key(version: str, records: Sequence[Record], source: Path) -> str:
    """Name of a partition: its documents (id, raw text, docvars, where without the folder) and the pipeline version."""
    digest = hashlib.sha256(version.encode())
    prefix = str(source.parent) + os.sep
    for rec in records:
        docvars = json.dumps(rec.docvars, ensure_ascii=False, sort_keys=True, default=str)
        digest.update(json.dumps([rec.doc_id, rec.where.replace(prefix, ""), docvars], ensure_ascii=False).encode("utf-8", "surrogatepass"))
        digest.update(hashlib.sha256(rec.text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()[:32]


# --- the store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """One partition of a store: a batch of documents, readable kind by kind (``docs``, ``units``, ``audit``, ``problems``).

    ``kinds`` are the corpus-wide docvar types (``(name, kind)`` pairs, in column
    order): every partition is read with the same columns and types.
    """

    root: str
    key: str
    n_docs: int
    kinds: tuple[tuple[str, str], ...] = ()

    def path(self, kind: str) -> Path:
        return Path(self.root) / kind / f"{self.key}.parquet"

    def read(self, kind: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        frame = pd.read_parquet(self.path(kind), columns=list(columns) if columns is not None else None)
        if kind == "audit":
            frame["line"] = frame["line"].astype("Int64")
        return frame

    def docs(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Documents (``doc_id``, docvars, ``text``, ``n_chars``) with the store's docvar types; ``columns`` chooses."""
        kinds = dict(self.kinds)
        wanted = list(columns) if columns is not None else ["doc_id", *kinds, "text", "n_chars"]
        stored = _stored_columns(self.path("docs"))
        frame = pd.read_parquet(self.path("docs"), columns=[c for c in dict.fromkeys(["doc_id", *wanted]) if c in stored])
        typed = cast_docvars(frame, {k: v for k, v in kinds.items() if k in wanted})
        for extra in ("text", "n_chars"):
            if extra in wanted:
                typed[extra] = frame[extra]
        return typed[wanted]

    def units(self) -> pd.DataFrame:
        return self.read("units")


def _stored_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return pq.read_schema(path).names


def _partition_kinds(path: Path) -> dict[str, set[str]]:
    """Docvar kinds of a written partition, from its Parquet schema (an all-null column has none)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    out: dict[str, set[str]] = {}
    for name, kind in zip(schema.names, schema.types):
        if name not in ("doc_id", "text", "n_chars"):
            out[name] = {_ARROW_KINDS[str(kind)]} if str(kind) in _ARROW_KINDS else set()
    return out


class Store:
    """A corpus store written by :func:`build_store`: partitions in order, docvars and audit read on demand."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            raise MissingFileError(f"{self.path}: no {MANIFEST}; this is not a corpus store. Build one first (tifa.store.build_store or tifa build --store).")
        self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        if self.manifest.get("format") != STORE_FORMAT:
            raise CorpusError(f"{self.path}: store format {self.manifest.get('format')!r}, this tifa reads {STORE_FORMAT}. Build the store again.")

    def __repr__(self) -> str:
        return f"<Store of {len(self)} documents in {len(self.manifest['partitions'])} partitions at {self.path}>"

    def __len__(self) -> int:
        return int(self.manifest["n_docs"])

    @property
    def source(self) -> str:
        return self.manifest["source"]

    @property
    def kinds(self) -> dict[str, str]:
        return dict(self.manifest["kinds"])

    def partitions(self) -> list[Partition]:
        """The partitions, in the order of the input."""
        kinds = tuple(self.manifest["kinds"])
        return [Partition(str(self.path), p["key"], p["n_docs"], tuple(map(tuple, kinds))) for p in self.manifest["partitions"]]

    @cached_property
    def docvars(self) -> pd.DataFrame:
        """Docvars of every document keyed by ``doc_id`` (no text: one small row per document)."""
        columns = ["doc_id", *self.kinds, "n_chars"]
        return pd.concat([p.docs(columns) for p in self.partitions()], ignore_index=True).set_index("doc_id")

    def _concat(self, kind: str, columns: list[str]) -> pd.DataFrame:
        frames = [p.read(kind) for p in self.partitions()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    @property
    def audit(self) -> pd.DataFrame:
        """Every edit cleaning made (one row per edit, as ``Corpus.audit``)."""
        return self._concat("audit", AUDIT_COLUMNS).astype({"line": "Int64"})

    @property
    def problems(self) -> pd.DataFrame:
        """Problems of the documents (in input order), then those of the whole corpus (docvars read as text)."""
        table = pd.concat([self._concat("problems", PROBLEM_COLUMNS), pd.DataFrame(self.manifest["problems"], columns=PROBLEM_COLUMNS)], ignore_index=True)
        return table.astype({c: "str" for c in PROBLEM_COLUMNS})

    def iter_docs(self) -> Iterator[pd.DataFrame]:
        """Documents (``doc_id``, docvars, ``text``, ``n_chars``), one partition at a time."""
        for partition in self.partitions():
            yield partition.docs()

    def to_corpus(self) -> Corpus:
        """The whole store as an in-memory :class:`Corpus` (for corpora that fit in memory)."""
        docs = pd.concat(list(self.iter_docs()), ignore_index=True)
        units = pd.concat([p.units() for p in self.partitions()], ignore_index=True)
        return Corpus(docs=docs, audit=self.audit, problems=self.problems, source=self.source, _units=units)

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """Hold the store's lock shared while its partitions are read: a build waits until the readers are done."""
        with _lock(self.path, fcntl.LOCK_SH):
            yield self


@contextmanager
def _lock(folder: Path, mode: int) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(path: str | Path) -> Store:
    """The store at ``path`` (see :func:`build_store`)."""
    return Store(path)


def build_store(
    path: str | Path,
    out: str | Path,
    *,
    text_field: str = "text",
    id_field: str = "doc_id",
    partition_rows: int = config.STORE_PARTITION_ROWS,
    steps: Sequence[Step] | None = None,
    progress: bool | None = None,
    workers: int = 1,
) -> Store:
    """Stream the corpus at ``path`` into a store at ``out``: cleaned once per content hash and pipeline version.

    Documents are read one at a time and cleaned in partitions of
    ``partition_rows`` documents (the last may be smaller); only one partition
    is in memory. Partitions that exist already under the same key (same
    documents, same pipeline) are not cleaned again; partitions no longer part
    of the corpus are removed once the new manifest is written. Bad input stops
    with the same messages as :func:`tifa.corpus.load_corpus` (file and line or row).
    Two builds of one store run one after the other (a lock), and wait for runs reading it.
    With ``workers`` > 1 partitions are cleaned in that many processes while the
    input is read here (in order: the same store, and the same first error, as one process).
    """
    if partition_rows < 1:
        raise CorpusError(f"partition_rows must be at least 1, not {partition_rows!r}")
    source_kind(path)
    source = Path(path)
    out = Path(out)
    _check_store_out(out, source)
    with _lock(out, fcntl.LOCK_EX):
        return _build(source, out, text_field, id_field, partition_rows, steps, progress, workers)


def _build(source: Path, out: Path, text_field: str, id_field: str, partition_rows: int, steps, progress, workers: int) -> Store:
    for kind in KINDS:
        (out / kind).mkdir(parents=True, exist_ok=True)
    given = steps  # the default pipeline is rebuilt in each worker; given steps (closures) are run here
    steps = tuple(default_pipeline() if steps is None else steps)
    version = pipeline_version(steps)
    seen: dict[str, tuple[str, bool]] = {}
    partitions: list[dict] = []
    kinds: list[dict[str, set[str]]] = []
    n_reused = 0
    disable = None if progress is None else not progress
    records = iter_records(source, text_field=text_field, id_field=id_field, batch_rows=partition_rows)
    pool = worker_pool(workers) if workers > 1 and given is None else None
    pending: deque = deque()  # (partition, future of its kinds, or its kinds), in input order

    def settle(until: int) -> None:
        while len(pending) > until:
            part, result = pending.popleft()
            kinds.append(result.result() if isinstance(result, Future) else result)
            n_problems.append(pd.read_parquet(part.path("problems"), columns=["problem"])["problem"])
            bar.update(part.n_docs)

    n_problems: list[pd.Series] = []
    try:
        with tqdm(desc="cleaning into the store", unit="doc", disable=disable) as bar:
            try:
                for batch in _batches(records, partition_rows):
                    key = _partition_key(version, batch, source)
                    part = Partition(str(out), key, len(batch))
                    docvar_rows(batch, seen)  # ids across partitions, dates and years: checked here, in input order
                    if all(part.path(kind).is_file() for kind in KINDS):
                        n_reused += 1
                        pending.append((part, _partition_kinds(part.path("docs"))))
                    elif pool is not None:
                        pending.append((part, pool.submit(_write_partition, part, batch, None, {}, source)))
                    else:
                        pending.append((part, _write_partition(part, batch, steps, {}, source)))
                    partitions.append({"key": key, "n_docs": len(batch)})
                    settle(2 * workers)
            except BaseException:
                settle(0)  # an earlier partition's error comes first, as in one process
                raise
            settle(0)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the store ({write_failure(exc)}). Free space or choose a writable store folder; a rerun re-uses the partitions already written.") from exc
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    n_yearless = int(sum(p.str.startswith("no year").sum() for p in n_problems))
    if not partitions:
        raise CorpusError(f"{source}: the corpus has no documents.")
    merged = merge_kinds(*kinds)
    decided = decide_kinds(merged)
    problems = problems_frame(mixed_problems(merged, str(source)), source)
    manifest = {
        "format": STORE_FORMAT,
        "pipeline": version,
        "source": display_path(source),
        "text_field": text_field,
        "id_field": id_field,
        "partition_rows": partition_rows,
        "n_docs": sum(p["n_docs"] for p in partitions),
        "kinds": [[name, kind] for name, kind in decided.items()],
        "problems": problems.to_dict("records"),
        "partitions": partitions,
    }
    atomic_write(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    _remove_stale(out, {p["key"] for p in partitions})
    log.info("store %s: %d documents in %d partitions, %d re-used", out, manifest["n_docs"], len(partitions), n_reused)
    if n_yearless:
        log.warning("%d of %d documents have no year or date; they are kept (see store.problems)", n_yearless, manifest["n_docs"])
    return Store(out)


def _batches(records: Iterator[Record], size: int, max_bytes: int = config.STORE_PARTITION_MB * 2**20) -> Iterator[list[Record]]:
    """Consecutive records, ``size`` at a time or fewer when their texts reach ``max_bytes`` (a document is never split)."""
    batch: list[Record] = []
    n_bytes = 0
    for rec in records:
        batch.append(rec)
        n_bytes += len(rec.text.encode("utf-8", "surrogatepass"))
        if len(batch) == size or n_bytes >= max_bytes:
            yield batch
            batch = []
            n_bytes = 0
    if batch:
        yield batch


def _write_partition(part: Partition, batch: list[Record], steps: tuple[Step, ...] | None, seen: dict, source: Path) -> dict[str, set[str]]:
    """Clean a batch (``steps=None``: the default pipeline) and write its four files (each written to a temporary name, then renamed); returns its docvar kinds."""
    steps = tuple(default_pipeline()) if steps is None else steps
    processed = process_records(batch, steps, seen)
    kinds = row_kinds(processed.rows)
    frames = {
        "docs": docs_frame(processed.rows, decide_kinds(kinds)),
        "units": processed.units,
        "audit": audit_frame(processed.audit),
        "problems": problems_frame(processed.problems, source),
    }
    for kind, frame in frames.items():
        with atomic_path(part.path(kind)) as tmp:
            frame.to_parquet(tmp, index=False)
    return kinds


def _check_store_out(out: Path, source: Path) -> None:
    """Refuse a store folder that is or holds the corpus, lies among its text files or in the raw data, or holds other files."""
    resolved, src = out.resolve(), source.resolve()
    texts = {f.resolve().parent for f in source_files(source)[1:]} if src.is_dir() else set()  # the folders of a corpus folder's texts
    for folder in sorted({config.RAW_DIR.resolve(), *texts}):
        if resolved == folder or resolved.is_relative_to(folder) or folder.is_relative_to(resolved):
            raise OutputError(f"{out}: the store would be written among the corpus texts ({folder}). Choose a store folder outside it.")
    if resolved == src or src.is_relative_to(resolved):
        raise OutputError(f"{out}: the store would replace or hold the corpus ({src}). Choose another folder.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: a file, not a folder. Choose a folder for the store.")
    entries = {e.name for e in out.iterdir()} if out.is_dir() else set()
    if entries and MANIFEST not in entries and not entries <= {*KINDS, LOCK}:
        raise OutputError(f"{out}: the folder holds files that are not a corpus store ({', '.join(sorted(entries)[:3])}). Choose a new or empty folder, or an earlier store.")


def _remove_stale(out: Path, keys: set[str]) -> None:
    """Delete partition files that the manifest no longer lists, and temporary files of killed builds."""
    for kind in KINDS:
        for path in (out / kind).iterdir():
            if (path.suffix == ".parquet" and path.stem not in keys) or path.name.endswith(".tmp"):
                path.unlink()


__all__ = ["KIND_DTYPES", "UNIT_COLUMNS", "Partition", "Store", "build_store", "open_store", "pipeline_version"]
