"""The corpus store: the processed corpus as partitioned Parquet, written while the input is streamed.

:func:`build_store` reads a corpus (folder with ``metadata.csv``, JSONL, CSV or
Parquet) in batches of ``partition_rows`` documents, cleans each batch with the
same pipeline as :func:`tifa.corpus.load_corpus` and writes one partition per
batch: documents with docvars (``docs/``), paragraphs with their part and
section (``units/``), the cleaning audit (``audit/``) and the problems
(``problems/``). A partition's name is the hash of its documents (id, raw text,
docvars, where) and of the cleaning pipeline's version, so a rerun on the same
input cleans nothing again and re-uses every partition whose documents did not
change. Nothing needs the whole corpus in memory: readers iterate partitions.

Layout of a store folder::

    store.json                     manifest: pipeline version, source, partitions in order
    docs/<key>.parquet             doc_id, docvars, n_chars, text
    units/<key>.parquet            doc_id, paragraph_id, position, part, section, text
    audit/<key>.parquet            doc_id, step, kind, line, rule, before, after
    problems/<key>.parquet         doc_id, where, problem
    tokens/<segmenter>/<key>.parquet   raw segmentation of every paragraph (written by tifa.engine)
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from tifa import __version__, config
from tifa.clean import Step, default_pipeline
from tifa.text import count_han
from tifa.corpus import (
    AUDIT_COLUMNS,
    Corpus,
    _check_names,
    _normalise_docvars,
    _Record,
    _record_from_mapping,
    check_csv_header,
    clean_record,
    check_source,
    display_path,
    document_paragraphs,
    iter_folder,
    json_line_record,
    paragraph_id,
    text_of_parts,
)
from tifa.errors import CorpusError, MissingFileError, OutputError

log = logging.getLogger(__name__)

STORE_FORMAT = 1  # layout version of a store folder
KINDS = ("docs", "units", "audit", "problems")
MANIFEST = "store.json"
UNIT_COLUMNS = ["doc_id", "paragraph_id", "position", "part", "section", "text"]
PROBLEM_COLUMNS = ["doc_id", "where", "problem"]


# --- streaming readers: the records of a source, one at a time -----------------------------


def iter_records(path: str | Path, *, text_field: str = "text", id_field: str = "doc_id", batch_rows: int = 1000) -> Iterator[_Record]:
    """Raw documents of a source, one at a time, with the same checks and messages (file and line/row) as :func:`tifa.corpus.read_records`.

    JSONL and CSV are read line by line, Parquet in batches of ``batch_rows``
    rows, a folder one text file at a time (``metadata.csv`` is read whole).
    """
    path = check_source(path)
    if path.is_dir():
        yield from iter_folder(path)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from _iter_jsonl(path, text_field, id_field)
    elif path.suffix.lower() == ".parquet":
        yield from _iter_parquet(path, text_field, id_field, batch_rows)
    else:
        yield from _iter_csv(path, text_field, id_field)


def _iter_jsonl(path: Path, text_field: str, id_field: str) -> Iterator[_Record]:
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            where = f"{path}, line {line_no}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorpusError(
                    f"{where}: bytes that are not UTF-8 ({raw[exc.start : exc.start + 4]!r}). "
                    "Re-save the file as UTF-8 (e.g. from GBK in a text editor, or with iconv -f GB18030 -t UTF-8)."
                ) from exc
            if not line.strip():
                continue
            yield json_line_record(line, path, line_no, text_field, id_field)


def _iter_csv(path: Path, text_field: str, id_field: str) -> Iterator[_Record]:
    limit = csv.field_size_limit(2**31 - 1)  # a document's text is one field
    start = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = check_csv_header(path, next(reader, None))
            if text_field not in header:
                raise CorpusError(f"{path}, line 1: no text column {text_field!r} (columns: {header}). Pass --text-field NAME.")
            _check_names([c for c in header if c not in (text_field, id_field)], f"{path}, line 1", "column")
            start = reader.line_num + 1
            for fields in reader:
                if fields:
                    if len(fields) != len(header):
                        raise CorpusError(
                            f"{path}, line {start}: {len(fields)} fields, but the header has {len(header)}. "
                            "Quote fields that contain commas (\"a, b\") and fill in empty fields with nothing between commas."
                        )
                    yield _record_from_mapping(dict(zip(header, fields)), f"{path}, line {start}", text_field, id_field, default_id=f"{path.stem}-{start:04d}")
                start = reader.line_num + 1
    except csv.Error as exc:
        raise CorpusError(f"{path}, line {start}: {exc}. Fix the quoting: a quoted field must end with a quote followed by a comma or the end of the line.") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}, near line {start}: bytes that are not UTF-8. Re-save the file as UTF-8 (e.g. with iconv -f GB18030 -t UTF-8).") from exc
    finally:
        csv.field_size_limit(limit)


def _iter_parquet(path: Path, text_field: str, id_field: str, batch_rows: int) -> Iterator[_Record]:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        columns = handle.schema_arrow.names
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise CorpusError(f"{path}: cannot read the file as Parquet ({exc}). Check that it is a complete Parquet file.") from exc
    if text_field not in columns:
        raise CorpusError(f"{path}: no text column {text_field!r} (columns: {columns}). Pass --text-field NAME.")
    _check_names([c for c in columns if c not in (text_field, id_field)], str(path), "column")
    row = 0
    for batch in handle.iter_batches(batch_size=batch_rows):
        for obj in pyarrow.Table.from_batches([batch]).to_pandas().to_dict("records"):
            row += 1
            yield _record_from_mapping(obj, f"{path}, row {row}", text_field, id_field, default_id=f"{path.stem}-{row:04d}")


# --- versions and keys -------------------------------------------------------------------


def pipeline_version(steps: Sequence[Step] | None = None) -> str:
    """Hash of everything that decides a cleaned document: tifa's version, the cleaning code, the boilerplate rules, the steps."""
    from tifa import clean, corpus

    digest = hashlib.sha256()
    digest.update(f"{STORE_FORMAT}\0{__version__}\0".encode())
    for source in (clean.__file__, corpus.__file__, config.BOILERPLATE_YAML, config.__file__):
        digest.update(Path(source).read_bytes())
    names = [s.name for s in (default_pipeline() if steps is None else steps)]
    digest.update(json.dumps(names).encode())
    return digest.hexdigest()


def _partition_key(version: str, records: Sequence[_Record], source: Path) -> str:
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
    """One partition of a store: a batch of documents, readable kind by kind (``docs``, ``units``, ``audit``, ``problems``)."""

    root: str
    key: str
    n_docs: int

    def path(self, kind: str) -> Path:
        return Path(self.root) / kind / f"{self.key}.parquet"

    def read(self, kind: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        frame = pd.read_parquet(self.path(kind), columns=list(columns) if columns is not None else None)
        if kind == "audit":
            frame["line"] = frame["line"].astype("Int64")
        return frame

    def docs(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        return self.read("docs", columns)

    def units(self) -> pd.DataFrame:
        return self.read("units")


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

    def partitions(self) -> list[Partition]:
        """The partitions, in the order of the input."""
        return [Partition(str(self.path), p["key"], p["n_docs"]) for p in self.manifest["partitions"]]

    @cached_property
    def docvars(self) -> pd.DataFrame:
        """Docvars of every document keyed by ``doc_id`` (no text: one small row per document)."""
        columns = [c for c in self.manifest["doc_columns"] if c != "text"]
        frames = [p.docs(columns) for p in self.partitions()]
        return pd.concat(frames, ignore_index=True).set_index("doc_id")

    def _concat(self, kind: str, columns: list[str]) -> pd.DataFrame:
        frames = [p.read(kind) for p in self.partitions()]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        return frame

    @property
    def audit(self) -> pd.DataFrame:
        """Every edit cleaning made (one row per edit, as ``Corpus.audit``)."""
        return self._concat("audit", AUDIT_COLUMNS).astype({"line": "Int64"})

    @property
    def problems(self) -> pd.DataFrame:
        return self._concat("problems", PROBLEM_COLUMNS)

    def iter_docs(self) -> Iterator[pd.DataFrame]:
        """Documents (``doc_id``, docvars, ``n_chars``, ``text``), one partition at a time."""
        for partition in self.partitions():
            yield partition.docs()

    def to_corpus(self) -> Corpus:
        """The whole store as an in-memory :class:`Corpus` (for corpora that fit in memory)."""
        docs = pd.concat(list(self.iter_docs()), ignore_index=True)
        if "year" in docs:
            docs["year"] = docs["year"].astype("Int64")
        return Corpus(docs=docs, audit=self.audit, problems=self.problems, source=self.source)


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
) -> Store:
    """Stream the corpus at ``path`` into a store at ``out``: cleaned once per content hash and pipeline version.

    Documents are read one at a time and cleaned in partitions of
    ``partition_rows`` documents (the last may be smaller); only one partition
    is in memory. Partitions that exist already under the same key (same
    documents, same pipeline) are not cleaned again; partitions no longer part
    of the corpus are removed once the new manifest is written. Bad input stops
    with the same messages as :func:`tifa.corpus.load_corpus` (file and line or row).
    """
    import pyarrow.parquet as pq

    if partition_rows < 1:
        raise CorpusError(f"partition_rows must be at least 1, not {partition_rows!r}")
    source = check_source(path)
    out = Path(out)
    _check_store_out(out, source)
    for kind in KINDS:
        (out / kind).mkdir(parents=True, exist_ok=True)
    steps = tuple(default_pipeline() if steps is None else steps)
    version = pipeline_version(steps)
    seen: dict[str, _Record] = {}
    partitions: list[dict] = []
    doc_columns: list[str] = []
    n_reused = n_yearless = 0
    disable = None if progress is None else not progress
    records = iter_records(source, text_field=text_field, id_field=id_field, batch_rows=partition_rows)
    with tqdm(desc="cleaning into the store", unit="doc", disable=disable) as bar:
        for batch in _batches(records, partition_rows):
            table, problems = _check_batch(batch, seen)
            n_yearless += sum(p["problem"].startswith("no year") for p in problems)
            key = _partition_key(version, batch, source)
            part = Partition(str(out), key, len(batch))
            if all(part.path(kind).is_file() for kind in KINDS):
                n_reused += 1
                columns = pq.read_schema(part.path("docs")).names
            else:
                columns = _write_partition(part, batch, table, problems, steps)
            for column in columns:
                if column not in doc_columns:
                    doc_columns.append(column)
            partitions.append({"key": key, "n_docs": len(batch)})
            bar.update(len(batch))
    if not partitions:
        raise CorpusError(f"{path}: the corpus has no documents.")
    manifest = {
        "format": STORE_FORMAT,
        "pipeline": version,
        "source": display_path(source),
        "text_field": text_field,
        "id_field": id_field,
        "partition_rows": partition_rows,
        "n_docs": sum(p["n_docs"] for p in partitions),
        "doc_columns": [c for c in doc_columns if c not in ("n_chars", "text")] + ["n_chars", "text"],
        "partitions": partitions,
    }
    tmp = out / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(out / MANIFEST)
    _remove_stale(out, {p["key"] for p in partitions})
    log.info("store %s: %d documents in %d partitions, %d re-used", out, manifest["n_docs"], len(partitions), n_reused)
    if n_yearless:
        log.warning("%d of %d documents have no year or date; they are kept (see store.problems)", n_yearless, manifest["n_docs"])
    return Store(out)


def _batches(records: Iterator[_Record], size: int) -> Iterator[list[_Record]]:
    batch: list[_Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _check_batch(batch: list[_Record], seen: dict[str, _Record]) -> tuple[pd.DataFrame, list[dict]]:
    """Docvars of a batch (as ``load_corpus`` normalises them); a doc_id seen in an earlier batch is an error naming both places."""
    for rec in batch:
        first = seen.get(rec.doc_id)
        if first is not None:
            numbered = " (rows without an id are numbered <file stem>-<line or row>; give the rows distinct ids)" if rec.numbered or first.numbered else ""
            raise CorpusError(f"{rec.where}: duplicate doc_id {rec.doc_id!r} (first at {first.where}). doc_ids must be unique{numbered}.")
    table, problems = _normalise_docvars(batch)
    for rec in batch:
        seen[rec.doc_id] = _Record(rec.doc_id, "", {}, rec.where, rec.numbered)  # the text is not kept
    return table, problems


def _write_partition(part: Partition, batch: list[_Record], table: pd.DataFrame, problems: list[dict], steps: tuple[Step, ...]) -> list[str]:
    """Clean a batch and write its four files (each written to a temporary name, then renamed)."""
    texts, audit_rows, unit_rows = [], [], []
    for rec in batch:
        text, audit, found = clean_record(rec, steps)
        texts.append(text)
        audit_rows.extend(audit)
        problems.extend(found)
        unit_rows.extend((rec.doc_id, paragraph_id(rec.doc_id, i), i, p, section, para) for i, p, section, para in document_paragraphs(text))
    table["text"] = texts
    table["n_chars"] = [count_han(text_of_parts(t)) for t in texts]
    frames = {
        "docs": table,
        "units": pd.DataFrame(unit_rows, columns=UNIT_COLUMNS),
        "audit": pd.DataFrame(audit_rows, columns=AUDIT_COLUMNS).astype({"line": "Int64"}),
        "problems": pd.DataFrame(problems, columns=PROBLEM_COLUMNS),
    }
    for kind, frame in frames.items():
        target = part.path(kind)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            frame.to_parquet(tmp, index=False)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for mixed columns
            tmp.unlink(missing_ok=True)
            raise CorpusError(f"{batch[0].where}: cannot write the partition ({exc}). A docvar mixes kinds of values (e.g. numbers and text): make each docvar one kind in the source.") from exc
        tmp.replace(target)
    return table.columns.tolist()


def _check_store_out(out: Path, source: Path) -> None:
    """Refuse a store folder that is, holds or lies in the corpus or the raw data, or that holds other files."""
    resolved, src = out.resolve(), source.resolve()
    guarded = [config.RAW_DIR.resolve()] + ([src] if src.is_dir() else [])  # a corpus file's folder may hold the store
    for folder in guarded:
        if resolved == folder or resolved.is_relative_to(folder) or folder.is_relative_to(resolved):
            raise OutputError(f"{out}: the store would be written into or over the corpus ({folder}). Choose a store folder outside it.")
    if resolved == src:
        raise OutputError(f"{out}: the store would replace the corpus file. Choose another folder.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: a file, not a folder. Choose a folder for the store.")
    entries = {e.name for e in out.iterdir()} if out.is_dir() else set()
    if entries and MANIFEST not in entries and not entries <= {*KINDS, "tokens"}:
        raise OutputError(f"{out}: the folder holds files that are not a corpus store ({', '.join(sorted(entries)[:3])}). Choose a new or empty folder, or an earlier store.")


def _remove_stale(out: Path, keys: set[str]) -> None:
    """Delete partition files (and cached tokens) that the manifest no longer lists."""
    folders = [out / kind for kind in KINDS] + ([d for d in (out / "tokens").iterdir() if d.is_dir()] if (out / "tokens").is_dir() else [])
    for folder in folders:
        for path in folder.iterdir():
            if path.suffix == ".parquet" and path.stem not in keys:
                path.unlink()
            elif path.name.endswith(".tmp"):
                path.unlink()
