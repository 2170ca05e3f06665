"""Readers: one registry by format (folder, JSONL, CSV, Parquet), each yielding raw records with one set of checks.

Every corpus source goes through :func:`iter_records`, for :func:`tifa.corpus.load_corpus`
and for the partitioned store alike: a reader yields :class:`Record` objects one
at a time (Parquet in batches), so nothing needs the whole input in memory, and
every problem is a :class:`~tifa.errors.CorpusError` that names the file, the
line or row, and the fix. Paths and open file objects (``format=`` then names
the kind) are accepted. Line endings may be ``\\n``, ``\\r\\n`` or ``\\r``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tifa.errors import CorpusError

RESERVED_DOCVARS = ("doc_id", "text", "n_chars", "decade", "encoding")  # columns tifa writes itself
TEXT_SUFFIXES = (".txt",)
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as decoded with errors="surrogateescape"
_UTF8_FIX = "Re-save the file as UTF-8 (e.g. from GBK in a text editor, or with iconv -f GB18030 -t UTF-8)."


@dataclass
class Record:
    """One raw document before cleaning; ``where`` names its file and line/row for errors."""

    doc_id: str
    text: str
    docvars: dict
    where: str
    numbered: bool = False  # the id was generated (<file stem>-<line/row>): the source had none


Reader = Callable[..., Iterator[Record]]
READERS: dict[str, Reader] = {}


def register_reader(kind: str) -> Callable[[Reader], Reader]:
    """Register ``func(source, name, *, text_field, id_field, batch_rows)`` as the reader of ``kind`` (``folder``, ``jsonl`` …)."""

    def add(func: Reader) -> Reader:
        READERS[kind] = func
        return func

    return add


def source_kind(source: str | Path | IO, format: str | None = None) -> str:
    """The reader kind of a source: ``format`` if given, else the folder or the file suffix; unknown kinds are refused."""
    if format is not None:
        if format not in READERS:
            raise CorpusError(f"{_name(source)}: unknown corpus format {format!r}. Use one of {sorted(READERS)}.")
        return format
    if not isinstance(source, (str, Path)):
        raise CorpusError(f"{_name(source)}: a file object needs format= ({', '.join(sorted(set(FORMATS.values())))}).")
    path = Path(source)
    if path.is_dir():
        if not (path / "metadata.csv").is_file():
            raise CorpusError(f"{path}: no metadata.csv. A corpus folder needs metadata.csv with columns doc_id, file (and optional docvars).")
        return "folder"
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder. Pass a corpus folder (with metadata.csv), a .jsonl, .csv or .parquet file.")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise CorpusError(f"{path}: unsupported corpus format {path.suffix.lower()!r}. Use a folder with metadata.csv, .jsonl, .csv or .parquet.")
    return kind


def check_source(path: str | Path) -> Path:
    """A corpus path that exists and is of a supported kind (not yet read); else :class:`CorpusError`."""
    source_kind(path)
    return Path(path)


def iter_records(source: str | Path | IO, *, text_field: str = "text", id_field: str = "doc_id", format: str | None = None, batch_rows: int = 1000) -> Iterator[Record]:
    """Raw documents of a source, one at a time, in the order of the source."""
    kind = source_kind(source, format)
    yield from READERS[kind](source, _name(source), text_field=text_field, id_field=id_field, batch_rows=batch_rows)


def source_files(path: str | Path) -> list[Path]:
    """The input files of a corpus: ``metadata.csv`` and the texts it lists, or the one JSONL/CSV/Parquet file.

    ``metadata.csv`` is read with the reader's checks (UTF-8, one field per column, a ``file`` column):
    a bad one is a :class:`CorpusError` naming its line, as when the corpus is read.
    """
    path = Path(path)
    if source_kind(path) != "folder":
        return [path]
    meta = path / "metadata.csv"
    files: set[Path] = set()
    for header, _line, row in csv_rows(meta, str(meta)):
        if "file" not in header:
            raise CorpusError(f"{meta}: column 'file' is missing (found {header}). Add it.")
        if row["file"]:
            files.add(path / row["file"])
    return [meta, *sorted(files)]


def _name(source: str | Path | IO) -> str:
    return str(source) if isinstance(source, (str, Path)) else str(getattr(source, "name", "<stream>"))


def _open_text(source: str | Path | IO, *, newline: str | None) -> IO[str]:
    """A text handle on a path or file object: UTF-8 (BOM allowed), bytes that are not UTF-8 kept as escapes for the error."""
    if isinstance(source, (str, Path)):
        return open(source, encoding="utf-8-sig", errors="surrogateescape", newline=newline)
    if isinstance(source, io.TextIOBase):
        return source
    return io.TextIOWrapper(source, encoding="utf-8-sig", errors="surrogateescape", newline=newline)


def _check_utf8(text: str, where: str) -> None:
    bad = _NOT_UTF8.search(text)
    if bad is not None:
        raw = text[bad.start() : bad.start() + 4].encode("utf-8", "surrogateescape")
        raise CorpusError(f"{where}: bytes that are not UTF-8 ({raw!r}). {_UTF8_FIX}")


# --- checks shared by every reader ---------------------------------------------------------------


def is_missing(value: object) -> bool:
    """Whether a value is absent: None, NaN, pd.NA, NaT, an empty or whitespace-only string."""
    if isinstance(value, str):
        return not value.strip()
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def check_names(names, where: str, what: str) -> None:
    """Refuse docvar names that tifa writes itself (``text``, ``n_chars`` …): they would be overwritten."""
    clash = [str(n) for n in names if n in RESERVED_DOCVARS]
    if clash:
        raise CorpusError(f"{where}: {what} {clash[0]!r} is a name tifa writes itself ({', '.join(RESERVED_DOCVARS)}). Rename it in the file.")


def id_string(value: object, where: str) -> str | None:
    """A record's ``doc_id`` as text; ``None`` when it is missing (the record is then numbered)."""
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        raise CorpusError(f"{where}: doc_id {value!r} is a {type(value).__name__}; an id must be a string or a whole number. Fix the record.")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        if not math.isfinite(value) or not float(value).is_integer():
            raise CorpusError(f"{where}: doc_id {value!r} is not a whole number. Use a string or a whole number as id.")
        return str(int(value))  # 7.0 from a Parquet column with nulls is 7
    return value


def record_from_mapping(obj: dict, where: str, text_field: str, id_field: str, default_id: str) -> Record:
    """A record of a JSONL line or table row; without an id (absent, null, NaN, blank) it is numbered ``default_id``."""
    if text_field not in obj:
        raise CorpusError(f"{where}: no text field {text_field!r} (fields: {sorted(map(str, obj))}). Pass --text-field NAME.")
    text = obj.pop(text_field)
    if not isinstance(text, str):
        what = "empty (null)" if is_missing(text) else f"{type(text).__name__}, not a string"
        raise CorpusError(f"{where}: text field {text_field!r} is {what}. Fix the record.")
    doc_id = id_string(obj.pop(id_field, None), where)
    check_names(list(obj), where, "field")
    if doc_id is None:
        return Record(default_id, text, obj, where, numbered=True)
    return Record(doc_id, text, obj, where)


def _check_columns(columns: list, text_field: str, id_field: str, where: str) -> None:
    if text_field not in columns:
        raise CorpusError(f"{where}: no text column {text_field!r} (columns: {[str(c) for c in columns]}). Pass --text-field NAME.")
    check_names([c for c in columns if c not in (text_field, id_field)], where, "column")


def _stem(name: str) -> str:
    return Path(name).stem


# --- JSONL ---------------------------------------------------------------------------------------

_JSON_KINDS = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string", list: "list"}
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        repeated = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(repeated)
    return obj


def json_line_record(line: str, where: str, text_field: str, id_field: str, default_id: str) -> Record:
    """The record of one JSONL line: a JSON object with distinct keys, refused (naming the file and line) otherwise."""
    try:
        obj = json.loads(line, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise CorpusError(f"{where}: the key {exc.args[0]!r} appears twice in the object; JSON keeps only the last. Remove or rename one.") from exc
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg}). Each line must hold one JSON object.") from exc
    except RecursionError as exc:
        raise CorpusError(f"{where}: JSON nested too deeply. Each line must hold one flat JSON object.") from exc
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: a JSON {_JSON_KINDS.get(type(obj), type(obj).__name__)}, not an object. Each line must hold one JSON object such as {{\"{text_field}\": \"…\"}}.")
    if _SURROGATE.search(line) and _has_lone_surrogate(obj):
        raise CorpusError(f"{where}: an escape \\ud800-\\udfff that is half of a character (a lone surrogate). Fix the text of the record.")
    return record_from_mapping(obj, where, text_field, id_field, default_id)


def _has_lone_surrogate(obj: dict) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@register_reader("jsonl")
def read_jsonl(source, name: str, *, text_field: str, id_field: str, batch_rows: int) -> Iterator[Record]:
    """One JSON object per line (blank lines skipped); UTF-8 with or without BOM."""
    with _open_text(source, newline=None) as handle:
        for line_no, line in enumerate(handle, start=1):
            where = f"{name}, line {line_no}"
            _check_utf8(line, where)
            if line.strip():
                yield json_line_record(line, where, text_field, id_field, f"{_stem(name)}-{line_no:04d}")


# --- CSV -----------------------------------------------------------------------------------------


def check_csv_header(name: str, header: list[str] | None) -> list[str]:
    """The header of a CSV file, refused (naming the file) when absent, with an empty name or a repeated one."""
    if header is None:
        raise CorpusError(f"{name}: the file is empty. It needs a header line (e.g. doc_id,text) and one line per document.")
    _check_utf8(",".join(header), f"{name}, line 1")
    for i, column in enumerate(header, start=1):
        if not column.strip():
            raise CorpusError(f"{name}, line 1: column {i} of the header has no name. Name it, or remove the trailing comma.")
        if header.index(column) != i - 1:
            raise CorpusError(f"{name}, line 1: column {column!r} appears twice in the header. Rename or remove one.")
    return header


def csv_rows(source, name: str) -> Iterator[tuple[list[str], int, dict[str, str]]]:
    """``(header, line, row)`` of every non-blank row of a CSV file, each with the line where it starts.

    A row with more or fewer fields than the header, broken quoting and bytes
    that are not UTF-8 are errors that name the line.
    """
    limit = csv.field_size_limit(2**31 - 1)  # a document's text is one field: no 128 KiB cap
    start = 1
    try:
        with _open_text(source, newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = check_csv_header(name, next(reader, None))
            start = reader.line_num + 1
            for fields in reader:
                if fields:
                    where = f"{name}, line {start}"
                    if len(fields) != len(header):
                        raise CorpusError(
                            f"{where}: {len(fields)} fields, but the header has {len(header)}. "
                            "Quote fields that contain commas (\"a, b\") and fill in empty fields with nothing between commas."
                        )
                    for field in fields:
                        _check_utf8(field, where)
                    yield header, start, dict(zip(header, fields))
                start = reader.line_num + 1
    except csv.Error as exc:
        raise CorpusError(f"{name}, line {start}: {exc}. Fix the quoting: a quoted field must end with a quote followed by a comma or the end of the line.") from exc
    finally:
        csv.field_size_limit(limit)


@register_reader("csv")
def read_csv(source, name: str, *, text_field: str, id_field: str, batch_rows: int) -> Iterator[Record]:
    """A header line, then one document per row (quoted fields may span lines); UTF-8 with or without BOM."""
    checked = False
    for header, line, row in csv_rows(source, name):
        if not checked:
            _check_columns(header, text_field, id_field, f"{name}, line 1")
            checked = True
        yield record_from_mapping(row, f"{name}, line {line}", text_field, id_field, f"{_stem(name)}-{line:04d}")


# --- Parquet -------------------------------------------------------------------------------------


@register_reader("parquet")
def read_parquet(source, name: str, *, text_field: str, id_field: str, batch_rows: int) -> Iterator[Record]:
    """A Parquet table read in batches of ``batch_rows`` rows."""
    import pyarrow
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(source)
        columns = handle.schema_arrow.names
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise CorpusError(f"{name}: cannot read the file as Parquet ({exc}). Check that it is a complete Parquet file.") from exc
    _check_columns(columns, text_field, id_field, name)
    row = 0
    try:
        for batch in handle.iter_batches(batch_size=batch_rows):
            for obj in batch.to_pylist():
                row += 1
                yield record_from_mapping(obj, f"{name}, row {row}", text_field, id_field, f"{_stem(name)}-{row:04d}")
    except (OSError, pyarrow.ArrowException) as exc:
        raise CorpusError(f"{name}, row {row + 1}: cannot read the file as Parquet ({exc}). Check that it is a complete Parquet file.") from exc


# --- a folder of text files with metadata.csv -----------------------------------------------------


@register_reader("folder")
def read_folder(source, name: str, *, text_field: str, id_field: str, batch_rows: int) -> Iterator[Record]:
    """The documents of a corpus folder one by one, in the order of ``metadata.csv`` (errors name the row).

    Files are named relative to the folder and must stay inside it (also
    through symbolic links); every ``.txt`` beside a listed file needs a row.
    """
    from tifa.decoding import read_text_file
    from tifa.util.hashing import file_digest

    folder = Path(source)
    root = folder.resolve()
    meta_path = folder / "metadata.csv"
    listed: set[Path] = set()
    checked = False
    for header, line, entry in csv_rows(meta_path, str(meta_path)):
        if not checked:
            for col in ("doc_id", "file"):
                if col not in header:
                    raise CorpusError(f"{meta_path}: column {col!r} is missing (found {header}). Add it.")
            check_names([c for c in header if c not in ("doc_id", "file", "sha256")], f"{meta_path}, line 1", "column")
            checked = True
        where = f"{meta_path}, line {line}"
        if not entry["doc_id"].strip():
            raise CorpusError(f"{where}: the doc_id is empty. Fill it in (every row of metadata.csv names its document).")
        if not entry["file"]:
            raise CorpusError(f"{where}: document {entry['doc_id']!r} has no file. Fill in the 'file' column.")
        relative = Path(entry["file"])
        outside = f"{where}: file {entry['file']!r} is outside the corpus folder {folder}. Give a path inside the folder, relative to it and without '..' (copy the file in if needed)."
        if relative.is_absolute() or ".." in relative.parts:
            raise CorpusError(outside)
        path = folder / relative
        if not path.resolve().is_relative_to(root):
            raise CorpusError(f"{outside} (it is a symbolic link that leads out of the folder)")
        if not path.is_file():
            raise CorpusError(f"{where}: file {entry['file']!r} does not exist. Fix the path (relative to {folder}) or remove the row.")
        expected = entry.pop("sha256", "")
        if expected and file_digest(path) != expected:
            raise CorpusError(f"{where}: {entry['file']} does not match its sha256 {expected[:12]}…; raw files must not change. Restore the file or update the checksum deliberately.")
        listed.add(path.resolve())
        text, encoding = read_text_file(path)
        doc_id = entry.pop("doc_id")
        file = entry.pop("file")
        yield Record(doc_id, text, {"file": file, "encoding": encoding, **entry}, where)
    for directory in sorted({p.parent for p in listed}):
        for path in sorted(directory.iterdir()):
            if path.suffix in TEXT_SUFFIXES and path.resolve() not in listed:
                raise CorpusError(f"{path}: text file without a row in {meta_path}. Add a row for it (doc_id, file, docvars) or move it out of {directory}.")
