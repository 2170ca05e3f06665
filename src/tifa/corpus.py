"""The corpus layer: read documents and docvars from any supported source, clean them, keep the audit.

Sources are read by :mod:`tifa.readers` (a folder with ``metadata.csv``, JSONL,
CSV, Parquet, or an open file); :func:`process_records` turns a batch of raw
records into cleaned documents, paragraphs (units), audit rows and problems —
the one cleaning loop of :func:`load_corpus` and of the partitioned store. Every
problem names the file and the line or row, and says what to do.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd
from tqdm import tqdm

from tifa import config
from tifa.clean import LONG_PARAGRAPH, Step, clean_text, default_pipeline
from tifa.decoding import (  # noqa: F401 (part of the corpus layer's API)
    decode_bytes,
    read_text_file,
)
from tifa.docvars import (
    decide_kinds,
    docvar_rows,
    docvars_frame,
    mixed_problems,
    row_kinds,
)
from tifa.errors import CorpusError, MissingFileError, OutputError, write_failure
from tifa.readers import (  # noqa: F401
    RESERVED_DOCVARS,
    Record,
    check_source,
    iter_records,
    source_files,
)
from tifa.text import PARTS, count_han
from tifa.units import (  # noqa: F401 (re-exported: units are read through the corpus)
    UNIT_COLUMNS,
    check_parts,
    document_paragraphs,
    join_docvars,
    paragraph_id,
    paragraph_number,
    sentence_units,
    text_of_parts,
    units_frame,
)
from tifa.util.files import file_lock
from tifa.util.hashing import sha256_text

log = logging.getLogger(__name__)

AUDIT_COLUMNS = ["doc_id", "step", "kind", "line", "rule", "before", "after"]
PROBLEM_COLUMNS = ["doc_id", "where", "problem"]
LINE_REMOVING_STEPS = ("remove_boilerplate", "remove_duplicate_paragraphs")


# --- the corpus object ---------------------------------------------------------


@dataclass
class Corpus:
    """Cleaned documents with their docvars, the cleaning audit and the problems found.

    ``docs`` has one row per document: ``doc_id``, the docvars, ``text``
    (cleaned) and ``n_chars`` (Han characters of ``config.DEFAULT_PARTS``).
    ``audit`` has one row per edit a cleaning step made. ``problems`` lists what
    was reported but not fatal (e.g. documents without a year); nothing is
    dropped silently. ``units`` has one row per paragraph (all parts).
    """

    docs: pd.DataFrame
    audit: pd.DataFrame
    problems: pd.DataFrame
    source: str
    _units: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.docs)

    def __repr__(self) -> str:
        return f"<Corpus of {len(self)} documents from {self.source}>"

    @property
    def doc_ids(self) -> list[str]:
        return self.docs["doc_id"].tolist()

    @property
    def docvars(self) -> pd.DataFrame:
        """Docvars keyed by ``doc_id`` (everything except the text)."""
        return self.docs.drop(columns=["text"]).set_index("doc_id")

    @property
    def units(self) -> pd.DataFrame:
        """One row per paragraph of every part: ``doc_id, paragraph_id, position, part, section, text`` (computed once)."""
        if self._units is None:
            self._units = units_frame(self.docs["doc_id"], self.docs["text"])
        return self._units

    def summary(self) -> pd.DataFrame:
        """One row per document: standard docvars, size and what cleaning did.

        ``n_lines_removed`` counts whole lines removed (boilerplate, duplicates),
        ``n_spans_removed`` page chrome removed from inside lines, ``n_splits``
        the line breaks inserted into over-long lines (one-line scrapes).
        """
        audit = self.audit
        removed = audit[(audit["kind"] == "removed") & audit["step"].isin(LINE_REMOVING_STEPS)]
        spans = audit.loc[audit["kind"] == "removed_span", "doc_id"]
        splits = audit.loc[audit["kind"] == "split", "doc_id"]
        converted = audit.loc[audit["step"] == "to_simplified", "doc_id"]
        pinyin = audit.loc[audit["step"] == "strip_pinyin", "doc_id"]
        out = pd.DataFrame({"doc_id": self.docs["doc_id"]})
        for col in ("province", "city", "level", "year", "genre"):
            out[col] = self.docs[col] if col in self.docs else pd.NA
        out["n_chars"] = self.docs["n_chars"].to_numpy()
        out["n_lines_removed"] = out["doc_id"].map(removed["doc_id"].value_counts()).fillna(0).astype(int)
        out["n_pinyin_removed"] = out["doc_id"].map(pinyin.value_counts()).fillna(0).astype(int)
        out["converted_script"] = out["doc_id"].isin(converted)
        out["n_spans_removed"] = out["doc_id"].map(spans.value_counts()).fillna(0).astype(int)
        out["n_splits"] = out["doc_id"].map(splits.value_counts()).fillna(0).astype(int)
        if "title" in self.docs:
            out["title"] = self.docs["title"].to_numpy()
        return out

    def audit_counts(self) -> pd.DataFrame:
        """Number of edits per document (rows, ``doc_id``) and cleaning step (columns, in pipeline order)."""
        pipeline = [s.name for s in default_pipeline()]
        used = set(self.audit["step"])
        order = [s for s in pipeline if s in used] + sorted(used - set(pipeline))
        counts = pd.crosstab(self.audit["doc_id"], self.audit["step"]).reindex(index=self.doc_ids, columns=order, fill_value=0)
        counts.columns.name = "step"
        return counts

    def paragraphs(self, *, include_parts: str | Sequence[str] | None = "all") -> pd.DataFrame:
        """One row per paragraph: ``doc_id``, ``paragraph_id`` (``<doc_id>:p0001``), ``position``, ``part``, ``section``, ``text`` and the docvars.

        ``part`` is ``front`` (title, delivery line), ``body`` or ``appendix``
        (名词解释 …); ``section`` the heading path. All parts by default; ids
        and positions count every part, so they do not change with ``include_parts``.
        """
        parts = check_parts(include_parts)
        units = self.units if len(parts) == len(PARTS) else self.units[self.units["part"].isin(parts)].reset_index(drop=True)
        return join_docvars(units, self.docvars.drop(columns=["n_chars"]))

    def sentences(self, *, include_parts: str | Sequence[str] | None = "all") -> pd.DataFrame:
        """One row per sentence: ``paragraph_id``, ``sentence_id`` (``<doc_id>:p0001:s001``), ``part``, ``text`` and the docvars."""
        parts = check_parts(include_parts)
        units = self.units if len(parts) == len(PARTS) else self.units[self.units["part"].isin(parts)]
        return join_docvars(sentence_units(units), self.docvars.drop(columns=["n_chars"]))


# --- cleaning records: the one loop of load_corpus and the store ------------------------------------


@dataclass
class Batch:
    """A batch of cleaned documents: docvar rows (with ``text`` and ``n_chars``), paragraphs, audit rows, problems."""

    rows: list[dict]
    units: pd.DataFrame
    audit: list[tuple]
    problems: list[dict]


def process_records(records: Sequence[Record], steps: Sequence[Step], seen: dict[str, tuple[str, bool]], *, progress: bool = False) -> Batch:
    """Check, clean and cut into paragraphs a batch of records; ids of earlier batches are in ``seen``.

    Problems come document by document, in input order (a document's missing
    year, then what cleaning reports); a document empty after cleaning is an error.
    """
    rows, year_problems = docvar_rows(records, seen)
    by_doc: dict[str, list[dict]] = {}
    for problem in year_problems:
        by_doc.setdefault(problem["doc_id"], []).append(problem)
    audit: list[tuple] = []
    problems: list[dict] = []
    unit_rows: list[tuple] = []
    for rec, row in tqdm(zip(records, rows), total=len(records), desc="cleaning", unit="doc", disable=not progress):
        result = clean_text(rec.text, steps)
        if count_han(result.text) == 0:
            raise CorpusError(f"{rec.where}: document {rec.doc_id!r} is empty after cleaning (no Chinese text left). Check the file, or its boilerplate rules in the audit log.")
        paragraphs = document_paragraphs(result.text)
        audit.extend((rec.doc_id, step, e.kind, e.line, e.rule, e.before, e.after) for step, e in result.audit)
        problems.extend(by_doc.get(rec.doc_id, []))
        problems.extend(_structure_problems(rec, result, paragraphs))
        unit_rows.extend((rec.doc_id, paragraph_id(rec.doc_id, i), i, part, section, para) for i, part, section, para in paragraphs)
        row["text"] = result.text
        row["n_chars"] = sum(count_han(para) for _, part, _, para in paragraphs if part in config.DEFAULT_PARTS)
    units = pd.DataFrame(unit_rows, columns=UNIT_COLUMNS).astype({"doc_id": "str", "paragraph_id": "str", "position": "int64", "part": "str", "section": "str", "text": "str"})
    return Batch(rows, units, audit, problems)


def _structure_problems(rec: Record, result, paragraphs: list[tuple[int, str, str, str]]) -> list[dict]:
    """Problems worth a look in a cleaned document: over-long lines that had to be split, appendices left out of counts."""
    problems = []
    splits = [e for step, e in result.audit if e.kind == "split"]
    if splits:
        chunks = sum(e.rule == LONG_PARAGRAPH for e in splits)
        problems.append({"doc_id": rec.doc_id, "where": rec.where, "problem": (
            f"lines over {config.PARAGRAPH_MAX_CHARS} characters (a one-line scrape) split into paragraphs: {len(splits) - chunks} splits at "
            f"headings, sentence ends and the delivery line, {chunks} cuts of long paragraphs into chunks of "
            f"{config.PARAGRAPH_CHUNK_SENTENCES} sentences (audit: step split_long_lines)")})
    appendix = [para for _, part, _, para in paragraphs if part == "appendix"]
    if appendix:
        problems.append({"doc_id": rec.doc_id, "where": rec.where, "problem": (
            f"appendix ({appendix[0][:12]}…, {len(appendix)} paragraphs, {count_han(chr(10).join(appendix))} Han characters) "
            f"kept, but left out of n_chars, tokens, slogan counts and topic units by default (include_parts)")})
    return problems


def docs_frame(rows: Sequence[dict], kinds: dict[str, str]) -> pd.DataFrame:
    """The documents table of processed rows: ``doc_id``, the docvars (typed by ``kinds``), ``text``, ``n_chars``."""
    table = docvars_frame(rows, kinds)
    table["text"] = pd.Series([r["text"] for r in rows], dtype="str")
    table["n_chars"] = pd.Series([r["n_chars"] for r in rows], dtype="int64")
    return table


def audit_frame(rows: Iterable[tuple]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=AUDIT_COLUMNS).astype({"line": "Int64"})


def problems_frame(problems: Iterable[dict], source: str | Path) -> pd.DataFrame:
    """The problems table, files named within the corpus (no machine paths in outputs)."""
    path = Path(source)
    base = f"{path if path.is_dir() else path.parent}{os.sep}"
    table = pd.DataFrame(list(problems), columns=PROBLEM_COLUMNS).astype({c: "str" for c in PROBLEM_COLUMNS})
    table["where"] = table["where"].str.removeprefix(base)
    return table


def load_corpus(
    path: str | Path | IO | None = None,
    *,
    text_field: str = "text",
    id_field: str = "doc_id",
    format: str | None = None,
    steps: Sequence[Step] | None = None,
    progress: bool | None = None,
) -> Corpus:
    """Read a corpus, clean every document and return a :class:`Corpus` (one partition of the engine).

    ``path`` defaults to the embedded corpus in ``data/``; an open file needs
    ``format=`` (``jsonl``, ``csv``, ``parquet``). ``steps`` defaults to
    :func:`tifa.clean.default_pipeline`. Documents without a year are kept and
    reported in ``corpus.problems`` (and logged); a document that is empty
    after cleaning is an error.
    """
    path = path if path is not None else config.DATA_DIR
    name = path if isinstance(path, (str, Path)) else getattr(path, "name", "<stream>")
    records = list(iter_records(path, text_field=text_field, id_field=id_field, format=format))
    if not records:
        raise CorpusError(f"{name}: the corpus has no documents.")
    steps = tuple(default_pipeline() if steps is None else steps)
    batch = process_records(records, steps, {}, progress=len(records) >= 50 if progress is None else progress)
    kinds = row_kinds(batch.rows)
    problems = batch.problems + mixed_problems(kinds, str(name))
    docs = docs_frame(batch.rows, decide_kinds(kinds))
    for p in problems:
        log.info("%s: %s", p["where"], p["problem"])
    n_yearless = sum(p["problem"].startswith("no year") for p in problems)
    if n_yearless:
        log.warning("%d of %d documents have no year or date; they are kept (see corpus.problems)", n_yearless, len(docs))
    return Corpus(docs=docs, audit=audit_frame(batch.audit), problems=problems_frame(problems, name), source=display_path(Path(name)), _units=batch.units)


def display_path(path: Path) -> str:
    """The path relative to the project when inside it (no machine paths in outputs)."""
    try:
        return str(path.resolve().relative_to(config.PROJECT_ROOT))
    except ValueError:
        return str(path)


OUTPUT_ENTRIES = ("corpus.parquet", "audit.csv", "problems.csv", "texts")  # what write_processed writes
MAX_NAME_BYTES = 120  # text file names stay well below the 255-byte limit of file systems
_UNSAFE = re.compile(r"[^\w.-]+")


def write_processed(corpus: Corpus, out_dir: str | Path = config.PROCESSED_DIR, *, corpus_path: str | Path | None = None) -> list[Path]:
    """Write the cleaned corpus: ``corpus.parquet`` (docvars + text), ``audit.csv``, ``problems.csv`` and ``texts/<doc_id>.txt``.

    Output is a deterministic function of the input (same corpus → same bytes).
    It is written into a temporary sibling folder that replaces ``out_dir`` only
    after success, under a lock file beside it, so two builds never mix and a
    failed build leaves the previous output; other entries (``token_cache/``)
    are kept, stale texts are not. ``out_dir`` must not be, hold or lie in the
    corpus (``corpus_path``, default: from ``corpus.source``) or ``data/raw``.
    """
    out = Path(out_dir).resolve()
    _check_out_dir(out, corpus, Path(corpus_path) if corpus_path is not None else _source_path(corpus.source))
    names = [_safe_name(doc_id) for doc_id in corpus.docs["doc_id"]]
    if len(set(names)) < len(names):
        raise CorpusError(f"{out}: two doc_ids give the same text file name; make the doc_ids differ in more than punctuation.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the folder ({exc.strerror or exc}). Choose a writable --out folder.") from exc
    with _output_lock(out):
        _remove_stale(out)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        except OSError as exc:
            raise OutputError(f"{out}: cannot write into {out.parent} ({exc.strerror or exc}). Choose a writable --out folder.") from exc
        try:
            written = _write_outputs(corpus, names, tmp)
            _replace_folder(tmp, out)
        except OSError as exc:
            raise OutputError(f"{out}: writing failed ({write_failure(exc)}); the previous output is unchanged. Free space or choose a writable --out folder.") from exc
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    return [out / path.relative_to(tmp) for path in written]


def _write_outputs(corpus: Corpus, names: Sequence[str], folder: Path) -> list[Path]:
    texts_dir = folder / "texts"
    texts_dir.mkdir()
    written = [folder / "corpus.parquet", folder / "audit.csv", folder / "problems.csv"]
    corpus.docs.to_parquet(written[0], index=False)
    corpus.audit.to_csv(written[1], index=False, lineterminator="\n")
    corpus.problems.to_csv(written[2], index=False, lineterminator="\n")
    for name, text in zip(names, corpus.docs["text"]):
        path = texts_dir / f"{name}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def _replace_folder(new: Path, out: Path) -> None:
    """Put the finished folder ``new`` in the place of ``out``; entries of ``out`` that tifa does not write move over."""
    kept = sorted(e.name for e in out.iterdir() if e.name not in OUTPUT_ENTRIES) if out.is_dir() else []
    moved: list[str] = []
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    try:
        for name in kept:
            (out / name).rename(new / name)
            moved.append(name)
        if out.is_dir():
            out.rename(old)
        new.rename(out)
    except OSError:
        if old.is_dir() and not out.exists():
            old.rename(out)
        for name in moved:
            (new / name).rename(out / name)
        raise
    if old.is_dir():
        shutil.rmtree(old)


def _output_lock(out: Path):
    """Hold ``.<out>.lock`` beside ``out``; a second build fails at once with a message."""
    lock_path = out.parent / f".{out.name}.lock"
    return file_lock(lock_path, wait=False, busy=f"{out}: another tifa build is writing this folder (lock file {lock_path}). Wait until it has finished, then run again.")


def _remove_stale(out: Path) -> None:
    """Temporary folders left by a build that was killed (only called while holding the lock: nobody else writes them)."""
    for stale in out.parent.iterdir():
        if stale.name.startswith((f".{out.name}.tmp-", f".{out.name}.old-")) and stale.is_dir():
            shutil.rmtree(stale)


def _check_out_dir(out: Path, corpus: Corpus, corpus_path: Path | None) -> None:
    """Refuse an output folder that would replace or overwrite the corpus or the raw data, or that holds other files."""
    guarded = {config.RAW_DIR.resolve()}
    if corpus_path is not None:
        source = corpus_path.resolve()
        if out == source or source.is_relative_to(out):
            raise OutputError(f"{out}: the output folder would replace the corpus ({source}). Choose an --out folder outside it (default: data/processed).")
        if source.is_dir() and "file" in corpus.docs:
            guarded |= {(source / file).resolve().parent for file in corpus.docs["file"].dropna()}
    for folder in sorted(guarded):
        if out == folder or out.is_relative_to(folder) or folder.is_relative_to(out):
            raise OutputError(f"{out}: the output folder would overwrite the raw texts in {folder}. Choose another --out folder (default: data/processed).")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: a file, not a folder. Choose a folder for --out.")
    entries = {e.name for e in out.iterdir()} if out.is_dir() else set()
    if entries and "corpus.parquet" not in entries and not entries <= {*OUTPUT_ENTRIES, *config.CACHE_ENTRIES}:
        raise OutputError(f"{out}: the folder holds files that tifa build did not write ({', '.join(sorted(entries)[:3])}). Choose a new or empty --out folder, or a previous output of tifa build.")


def _source_path(source: str) -> Path | None:
    """The corpus path behind ``Corpus.source`` (relative to the project, or as given), when it exists."""
    path = Path(source)
    if not path.is_absolute() and (config.PROJECT_ROOT / path).exists():
        return config.PROJECT_ROOT / path
    return path if path.exists() else None


def read_processed(out_dir: str | Path = config.PROCESSED_DIR) -> Corpus:
    """Read a corpus written by :func:`write_processed`."""
    out_dir = Path(out_dir)
    if not (out_dir / "corpus.parquet").is_file():
        raise MissingFileError(f"{out_dir}: no corpus.parquet. Write the processed corpus first (tifa build --out {out_dir}).")
    docs = pd.read_parquet(out_dir / "corpus.parquet")
    audit = pd.read_csv(out_dir / "audit.csv", dtype={"line": "Int64"}, keep_default_na=False)
    problems = pd.read_csv(out_dir / "problems.csv", keep_default_na=False, dtype=str).astype({c: "str" for c in PROBLEM_COLUMNS})
    return Corpus(docs=docs, audit=audit, problems=problems, source=display_path(out_dir))


def _safe_name(doc_id: str) -> str:
    """File name (without ``.txt``) of a document: the id when it is a safe, short name; else its safe part, ``~`` and a hash.

    No unchanged id contains ``~``, so two ids never share a file (``x/y`` → ``x_y~<hash>``, ``x_y`` → ``x_y``).
    """
    safe = _UNSAFE.sub("_", doc_id)
    if safe == doc_id and not doc_id.startswith(".") and len(doc_id.encode("utf-8")) <= MAX_NAME_BYTES:
        return doc_id
    digest = sha256_text(doc_id)[:16]
    stem = safe.encode("utf-8", errors="surrogatepass")[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").lstrip(".")
    return f"{stem}~{digest}"
