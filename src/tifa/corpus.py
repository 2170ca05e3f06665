"""The corpus layer: read documents and docvars from any supported source, clean them, keep the audit.

Sources (:func:`load_corpus`): a folder with ``metadata.csv`` (``doc_id``,
``file``, optional docvars) and text files; a JSONL file; a CSV or Parquet
table. Every problem names the file and the line or row, and says what to do.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
import math
import numbers
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from tifa import config
from tifa.clean import LONG_PARAGRAPH, Step, clean_text, default_pipeline
from tifa.text import HAN_RE, PARTS, count_han, paragraph_structure, split_paragraphs, split_sentences
from tifa.errors import CorpusError, InputError, MissingFileError, OutputError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt",)
AUDIT_COLUMNS = ["doc_id", "step", "kind", "line", "rule", "before", "after"]


# --- units: paragraph ids and parts, defined once ------------------------------------


def paragraph_id(doc_id: str, n: int) -> str:
    """Id of the ``n``-th paragraph (from 1) of a document: ``<doc_id>:p0001``. Numbers count every part."""
    return f"{doc_id}:p{n:04d}"


def paragraph_number(pid: str) -> int:
    """The paragraph's number in its document, read back from :func:`paragraph_id` (``x:p0003`` → 3)."""
    return int(pid.rsplit(":p", 1)[1])


def check_parts(include_parts: Sequence[str] | None) -> tuple[str, ...]:
    """The parts to keep (``None``: ``config.DEFAULT_PARTS``); unknown names are an :class:`InputError`."""
    parts = tuple(config.DEFAULT_PARTS if include_parts is None else ([include_parts] if isinstance(include_parts, str) else include_parts))
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise InputError(f"include_parts {list(parts)!r}: parts are {PARTS}; give one or more of them")
    return parts


def document_paragraphs(text: str) -> list[tuple[int, str, str, str]]:
    """``(number, part, section, paragraph)`` of every paragraph of a cleaned text, numbered from 1."""
    paragraphs = split_paragraphs(text)
    return [(i, u.part, u.section, para) for i, (para, u) in enumerate(zip(paragraphs, paragraph_structure(paragraphs)), start=1)]


def text_of_parts(text: str, include_parts: Sequence[str] | None = None) -> str:
    """The paragraphs of a cleaned text that belong to ``include_parts`` (default ``config.DEFAULT_PARTS``), one per line."""
    parts = check_parts(include_parts)
    return "\n\n".join(para for _, part, _, para in document_paragraphs(text) if part in parts)


# --- decoding ------------------------------------------------------------------


def decode_bytes(data: bytes, source: str | Path) -> tuple[str, str]:
    """Decode a text file's bytes; returns ``(text, encoding)``.

    UTF-8 (with or without BOM) is tried first; otherwise charset-normalizer
    detects among the Chinese encodings GB18030 (a superset of GBK/GB2312) and
    Big5. Short GBK texts are often valid Big5 too (环保 reads 遠悵): when the
    bytes are valid GB18030, a Big5 guess is kept only if its share of common
    characters beats GB18030's by ``config.BIG5_MARGIN``. Bytes that fit none
    of them raise :class:`CorpusError`.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf_8_sig"
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5"]).best()
    if best is None or count_han(str(best)) == 0:
        raise CorpusError(
            f"{source}: cannot decode the file as UTF-8, GB18030/GBK or Big5. "
            "Check that it is a text file and re-save it as UTF-8."
        )
    if best.encoding == "big5":
        try:
            gb = data.decode("gb18030")
        except UnicodeDecodeError:
            gb = None
        if gb is not None and _common_share(str(best), "big5") - _common_share(gb, "gb2312") < config.BIG5_MARGIN:
            return gb, "gb18030"
    return str(best), best.encoding


_COMMON = {"gb2312": (0xB0A1, 0xD7FE), "big5": (0xA440, 0xC67E)}  # GB2312 level 1; Big5's frequently used characters


def _common_share(text: str, codec: str, sample: int = 2000) -> float:
    """Share of the (first ``sample``) Han characters of ``text`` that are among the common characters of ``codec``."""
    low, high = _COMMON[codec]
    han = HAN_RE.findall(text)[:sample]
    common = 0
    for char in han:
        try:
            code = int.from_bytes(char.encode(codec), "big")
        except UnicodeEncodeError:
            continue
        common += low <= code <= high
    return common / len(han) if han else 0.0


def read_text_file(path: Path) -> tuple[str, str]:
    """Read and decode one text file (see :func:`decode_bytes`)."""
    return decode_bytes(path.read_bytes(), path)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_utf8(path: Path) -> str:
    """Text of a data file (JSONL, CSV, metadata.csv) in UTF-8, BOM allowed; other bytes are an error naming the line."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CorpusError(
            f"{path}, line {line}: bytes that are not UTF-8 ({data[exc.start : exc.start + 4]!r}). "
            "Re-save the file as UTF-8 (e.g. from GBK in a text editor, or with iconv -f GB18030 -t UTF-8)."
        ) from exc


def check_csv_header(path: Path, header: list[str] | None) -> list[str]:
    """The header of a CSV file, refused (naming the file) when absent, with an empty name or a repeated one."""
    if header is None:
        raise CorpusError(f"{path}: the file is empty. It needs a header line (e.g. doc_id,text) and one line per document.")
    for i, name in enumerate(header, start=1):
        if not name.strip():
            raise CorpusError(f"{path}, line 1: column {i} of the header has no name. Name it, or remove the trailing comma.")
        if header.index(name) != i - 1:
            raise CorpusError(f"{path}, line 1: column {name!r} appears twice in the header. Rename or remove one.")
    return header


def _read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows of a CSV file, each row with the line where it starts (quoted fields may span lines).

    A row with more or fewer fields than the header, a header with an empty or
    repeated name and broken quoting are errors that name the line.
    """
    reader = csv.reader(io.StringIO(_read_utf8(path), newline=""), strict=True)
    start = 1
    limit = csv.field_size_limit(2**31 - 1)  # a document's text is one field: no 128 KiB cap
    try:
        header = check_csv_header(path, next(reader, None))
        rows = []
        start = reader.line_num + 1
        for fields in reader:
            if fields:  # blank lines are skipped
                if len(fields) != len(header):
                    raise CorpusError(
                        f"{path}, line {start}: {len(fields)} fields, but the header has {len(header)}. "
                        "Quote fields that contain commas (\"a, b\") and fill in empty fields with nothing between commas."
                    )
                rows.append((start, dict(zip(header, fields))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CorpusError(f"{path}, line {start}: {exc}. Fix the quoting: a quoted field must end with a quote followed by a comma or the end of the line.") from exc
    finally:
        csv.field_size_limit(limit)
    return header, rows


# --- the corpus object ---------------------------------------------------------


@dataclass
class Corpus:
    """Cleaned documents with their docvars, the cleaning audit and the problems found.

    ``docs`` has one row per document: ``doc_id``, the docvars, ``text``
    (cleaned) and ``n_chars`` (Han characters). ``audit`` has one row per edit
    a cleaning step made. ``problems`` lists what was reported but not fatal
    (e.g. documents without a year); nothing is dropped silently.
    """

    docs: pd.DataFrame
    audit: pd.DataFrame
    problems: pd.DataFrame
    source: str

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

    def paragraphs(self, *, include_parts: Sequence[str] | None = PARTS) -> pd.DataFrame:
        """One row per paragraph: ``doc_id``, ``paragraph_id`` (``<doc_id>:p0001``), ``position``, ``part``, ``section``, ``text`` and the docvars.

        ``part`` is ``front`` (title, delivery line), ``body`` or ``appendix``
        (名词解释 …); ``section`` the heading path. All parts by default; ids
        and positions count every part, so they do not change with ``include_parts``.
        """
        parts = check_parts(include_parts)
        rows = [
            (doc_id, paragraph_id(doc_id, i), i, part, section, para)
            for doc_id, text in zip(self.docs["doc_id"], self.docs["text"])
            for i, part, section, para in document_paragraphs(text)
            if part in parts
        ]
        units = pd.DataFrame(rows, columns=["doc_id", "paragraph_id", "position", "part", "section", "text"])
        return units.join(self.docvars.drop(columns=["n_chars"]), on="doc_id")

    def sentences(self, *, include_parts: Sequence[str] | None = PARTS) -> pd.DataFrame:
        """One row per sentence: ``paragraph_id``, ``sentence_id`` (``<doc_id>:p0001:s001``), ``part``, ``text`` and the docvars."""
        paras = self.paragraphs(include_parts=include_parts)
        rows = [
            (doc_id, pid, f"{pid}:s{j:03d}", part, sent)
            for doc_id, pid, part, para in zip(paras["doc_id"], paras["paragraph_id"], paras["part"], paras["text"])
            for j, sent in enumerate(split_sentences(para), start=1)
        ]
        units = pd.DataFrame(rows, columns=["doc_id", "paragraph_id", "sentence_id", "part", "text"])
        return units.join(self.docvars.drop(columns=["n_chars"]), on="doc_id")


LINE_REMOVING_STEPS = ("remove_boilerplate", "remove_duplicate_paragraphs")


# --- reading sources -----------------------------------------------------------


@dataclass
class _Record:
    """One raw document before cleaning; ``where`` names its file and line/row for errors."""

    doc_id: str
    text: str
    docvars: dict
    where: str
    numbered: bool = False  # the id was generated (<file stem>-<line/row>): the source had none


RESERVED_DOCVARS = ("doc_id", "text", "n_chars", "decade", "encoding")  # columns tifa writes itself


def _is_missing(value: object) -> bool:
    """Whether a docvar value is absent: None, NaN, pd.NA, NaT, an empty or whitespace-only string."""
    if isinstance(value, str):
        return not value.strip()
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _check_names(names: Sequence[object], where: str, what: str) -> None:
    """Refuse docvar names that tifa writes itself (``text``, ``n_chars`` …): they would be overwritten."""
    clash = [str(n) for n in names if n in RESERVED_DOCVARS]
    if clash:
        raise CorpusError(f"{where}: {what} {clash[0]!r} is a name tifa writes itself ({', '.join(RESERVED_DOCVARS)}). Rename it in the file.")


def _id_string(value: object, where: str) -> str | None:
    """A record's ``doc_id`` as text; ``None`` when it is missing (the record is then numbered)."""
    if _is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        raise CorpusError(f"{where}: doc_id {value!r} is a {type(value).__name__}; an id must be a string or a whole number. Fix the record.")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        if not float(value).is_integer():
            raise CorpusError(f"{where}: doc_id {value!r} is not a whole number. Use a string or a whole number as id.")
        return str(int(value))  # 7.0 from a Parquet column with nulls is 7
    return value


def iter_folder(folder: Path) -> Iterator[_Record]:
    """The documents of a corpus folder one by one, in the order of ``metadata.csv`` (errors name the row)."""
    meta_path = folder / "metadata.csv"
    columns, rows = _read_csv_rows(meta_path)
    for col in ("doc_id", "file"):
        if col not in columns:
            raise CorpusError(f"{meta_path}: column {col!r} is missing (found {columns}). Add it.")
    _check_names([c for c in columns if c not in ("doc_id", "file", "sha256")], f"{meta_path}, line 1", "column")
    listed: set[Path] = set()
    for line, entry in rows:
        where = f"{meta_path}, line {line}"
        if not entry["doc_id"].strip():
            raise CorpusError(f"{where}: the doc_id is empty. Fill it in (every row of metadata.csv names its document).")
        if not entry["file"]:
            raise CorpusError(f"{where}: document {entry['doc_id']!r} has no file. Fill in the 'file' column.")
        relative = Path(entry["file"])
        if relative.is_absolute() or ".." in relative.parts:
            raise CorpusError(f"{where}: file {entry['file']!r} is outside the corpus folder {folder}. Give a path inside the folder, relative to it and without '..' (copy the file in if needed).")
        path = (folder / relative).resolve()
        if not path.is_file():
            raise CorpusError(f"{where}: file {entry['file']!r} does not exist. Fix the path (relative to {folder}) or remove the row.")
        expected = entry.pop("sha256", "")
        if expected and sha256_file(path) != expected:
            raise CorpusError(f"{where}: {entry['file']} does not match its sha256 {expected[:12]}…; raw files must not change. Restore the file or update the checksum deliberately.")
        listed.add(path)
        text, encoding = read_text_file(path)
        doc_id = entry.pop("doc_id")
        file = entry.pop("file")
        yield _Record(doc_id, text, {"file": file, "encoding": encoding, **entry}, where)
    for directory in sorted({p.parent for p in listed}):
        for path in sorted(directory.iterdir()):
            if path.suffix in TEXT_SUFFIXES and path.resolve() not in listed:
                raise CorpusError(f"{path}: text file without a row in {meta_path}. Add a row for it (doc_id, file, docvars) or move it out of {directory}.")


def _read_folder(folder: Path, text_field: str) -> list[_Record]:
    return list(iter_folder(folder))


def _read_jsonl(path: Path, text_field: str, id_field: str) -> list[_Record]:
    records = []
    with io.StringIO(_read_utf8(path), newline=None) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            records.append(json_line_record(line, path, line_no, text_field, id_field))
    return records


def json_line_record(line: str, path: Path, line_no: int, text_field: str, id_field: str) -> _Record:
    """The record of one JSONL line: a JSON object, refused (naming the file and line) otherwise."""
    where = f"{path}, line {line_no}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg}). Each line must hold one JSON object.") from exc
    except RecursionError as exc:
        raise CorpusError(f"{where}: JSON nested too deeply. Each line must hold one flat JSON object.") from exc
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: a JSON {_JSON_KINDS.get(type(obj), type(obj).__name__)}, not an object. Each line must hold one JSON object such as {{\"{text_field}\": \"…\"}}.")
    if _SURROGATE.search(line) and _has_lone_surrogate(obj):
        raise CorpusError(f"{where}: an escape \\ud800-\\udfff that is half of a character (a lone surrogate). Fix the text of the record.")
    return _record_from_mapping(obj, where, text_field, id_field, default_id=f"{path.stem}-{line_no:04d}")


_JSON_KINDS = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string", list: "list"}
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(obj: dict) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _read_table(path: Path, text_field: str, id_field: str) -> list[_Record]:
    if path.suffix.lower() == ".parquet":
        table = _read_parquet(path)
        columns, header = list(table.columns), str(path)
        rows = [(f"row {i}", i, obj) for i, obj in enumerate(table.to_dict("records"), start=1)]
    else:
        columns, lines = _read_csv_rows(path)
        header = f"{path}, line 1"
        rows = [(f"line {line}", line, obj) for line, obj in lines]
    if text_field not in columns:
        raise CorpusError(f"{header}: no text column {text_field!r} (columns: {[str(c) for c in columns]}). Pass --text-field NAME.")
    _check_names([c for c in columns if c not in (text_field, id_field)], header, "column")
    return [_record_from_mapping(obj, f"{path}, {where}", text_field, id_field, default_id=f"{path.stem}-{n:04d}") for where, n, obj in rows]


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow

    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise CorpusError(f"{path}: cannot read the file as Parquet ({exc}). Check that it is a complete Parquet file.") from exc


def _record_from_mapping(obj: dict, where: str, text_field: str, id_field: str, default_id: str) -> _Record:
    """A record of a JSONL line or table row; without an id (absent, null, NaN, blank) it is numbered ``default_id``."""
    if text_field not in obj:
        raise CorpusError(f"{where}: no text field {text_field!r} (fields: {sorted(map(str, obj))}). Pass --text-field NAME.")
    text = obj.pop(text_field)
    if not isinstance(text, str):
        what = "empty (null)" if _is_missing(text) else f"{type(text).__name__}, not a string"
        raise CorpusError(f"{where}: text field {text_field!r} is {what}. Fix the record.")
    doc_id = _id_string(obj.pop(id_field, None), where)
    _check_names(list(obj), where, "field")
    if doc_id is None:
        return _Record(default_id, text, obj, where, numbered=True)
    return _Record(doc_id, text, obj, where)


# --- docvars -------------------------------------------------------------------

_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_YEAR = re.compile(r"^([0-9]+)(?:\.0*)?$")


def _year_in_range(year: int, value: object, where: str, what: str = "year") -> int:
    low, high = config.YEAR_RANGE
    if not low <= year <= high:
        raise CorpusError(f"{where}: {what} {value!r} is outside {low}–{high} (config.YEAR_RANGE). Correct it or leave it empty.")
    return year


def _parse_year(value: object, where: str) -> int | None:
    """A ``year`` docvar as an integer: whole numbers (``2016``, ``2016.0``, ``"２０１６"``) within ``config.YEAR_RANGE``."""
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        raise CorpusError(f"{where}: year {value!r} is a boolean, not a year. Correct it or leave it empty.")
    if isinstance(value, numbers.Integral):
        return _year_in_range(int(value), value, where)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value) or not float(value).is_integer():
            raise CorpusError(f"{where}: year {value!r} is not a whole number. Correct it or leave it empty.")
        return _year_in_range(int(value), value, where)
    match = _YEAR.match(unicodedata.normalize("NFKC", value).strip()) if isinstance(value, str) else None
    if match is None:
        raise CorpusError(f"{where}: year {value!r} is not a year (a whole number such as 2016). Correct it or leave it empty.")
    return _year_in_range(int(match.group(1)), value, where)


def _parse_date(value: object, where: str) -> str | None:
    """A ``date`` docvar as an ISO string (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) of a day that exists."""
    if _is_missing(value):
        return None
    if isinstance(value, datetime.datetime):  # also pd.Timestamp: a Parquet timestamp column
        date = value.date().isoformat()
    elif isinstance(value, datetime.date):  # a Parquet date column
        date = value.isoformat()
    elif isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and float(value).is_integer():
        date = str(int(value))  # a year given as date
    else:
        date = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits to ASCII
    match = _DATE.match(date)
    if match is None:
        raise CorpusError(f"{where}: date {value!r} is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY). Correct it.")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    _year_in_range(year, value, where, "date")
    try:
        datetime.date(year, month, day)
    except ValueError as exc:
        raise CorpusError(f"{where}: date {date!r} does not exist ({exc}). Correct it.") from exc
    return date


def _check_id(rec: _Record) -> None:
    """Refuse ids with control, invisible or separator characters (they would corrupt messages and tables)."""
    bad = [c for c in rec.doc_id if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise CorpusError(f"{rec.where}: doc_id {rec.doc_id!r} contains control or invisible characters ({codes}). Remove them from the id.")


def _normalise_docvars(records: Sequence[_Record]) -> tuple[pd.DataFrame, list[dict]]:
    """Docvars table (``date`` ISO string, ``year`` Int64 derived from ``date`` when absent)."""
    problems: list[dict] = []
    rows = []
    seen: dict[str, _Record] = {}
    for rec in records:
        _check_id(rec)
        if rec.doc_id in seen:
            first = seen[rec.doc_id]
            numbered = " (rows without an id are numbered <file stem>-<line or row>; give the rows distinct ids)" if rec.numbered or first.numbered else ""
            raise CorpusError(f"{rec.where}: duplicate doc_id {rec.doc_id!r} (first at {first.where}). doc_ids must be unique{numbered}.")
        seen[rec.doc_id] = rec
        dv = {k: (None if _is_missing(v) else v) for k, v in rec.docvars.items()}
        date = _parse_date(dv.get("date"), rec.where)
        date_year = None
        if date is not None:
            date_year = int(date[:4])
            dv["date"] = date
        year = _parse_year(dv.get("year"), rec.where)
        if year is not None:
            if date_year is not None and year != date_year:
                raise CorpusError(f"{rec.where}: year {year} contradicts date {date}. Make them agree (year is the event year).")
        else:
            year = date_year
        dv["year"] = year
        if year is None:
            title = f" ({dv['title']})" if dv.get("title") else ""
            problems.append({"doc_id": rec.doc_id, "where": rec.where, "problem": f"no year or date{title}: kept, but left out of analyses by year"})
        rows.append({"doc_id": rec.doc_id, **dv})
    table = pd.DataFrame(rows)
    table["year"] = table["year"].astype("Int64")
    return table, problems


# --- public entry points ---------------------------------------------------------


def check_source(path: str | Path) -> Path:
    """A corpus path that exists and is of a supported kind (not yet read); else :class:`CorpusError`."""
    path = Path(path)
    if path.is_dir():
        if not (path / "metadata.csv").is_file():
            raise CorpusError(f"{path}: no metadata.csv. A corpus folder needs metadata.csv with columns doc_id, file (and optional docvars).")
        return path
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder. Pass a corpus folder (with metadata.csv), a .jsonl, .csv or .parquet file.")
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".csv", ".parquet"):
        raise CorpusError(f"{path}: unsupported corpus format {path.suffix.lower()!r}. Use a folder with metadata.csv, .jsonl, .csv or .parquet.")
    return path


def read_records(path: str | Path, *, text_field: str = "text", id_field: str = "doc_id") -> list[_Record]:
    """Raw documents of a source, undecoded problems raised as :class:`CorpusError`."""
    path = check_source(path)
    if path.is_dir():
        return _read_folder(path, text_field)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return _read_jsonl(path, text_field, id_field)
    return _read_table(path, text_field, id_field)


def load_corpus(
    path: str | Path | None = None,
    *,
    text_field: str = "text",
    id_field: str = "doc_id",
    steps: Sequence[Step] | None = None,
    progress: bool | None = None,
) -> Corpus:
    """Read a corpus, clean every document and return a :class:`Corpus`.

    ``path`` defaults to the embedded corpus in ``data/``. ``steps`` defaults to
    :func:`tifa.clean.default_pipeline`. Documents without a year are kept and
    reported in ``corpus.problems`` (and logged); a document that is empty
    after cleaning is an error.
    """
    path = Path(path) if path is not None else config.DATA_DIR
    records = read_records(path, text_field=text_field, id_field=id_field)
    if not records:
        raise CorpusError(f"{path}: the corpus has no documents.")
    table, problems = _normalise_docvars(records)
    steps = tuple(default_pipeline() if steps is None else steps)
    texts, audit_rows = [], []
    disable = None if progress is None else not progress
    for rec in tqdm(records, desc="cleaning", unit="doc", disable=disable or len(records) < 50):
        text, audit, found = clean_record(rec, steps)
        texts.append(text)
        audit_rows.extend(audit)
        problems.extend(found)
    table["text"] = texts
    table["n_chars"] = [count_han(text_of_parts(t)) for t in texts]
    audit = pd.DataFrame(audit_rows, columns=AUDIT_COLUMNS).astype({"line": "Int64"})
    for p in problems:
        log.info("%s: %s", p["where"], p["problem"])
    base = f"{path if path.is_dir() else path.parent}{os.sep}"  # the table names files within the corpus: no machine paths in outputs
    problems_table = pd.DataFrame(problems, columns=["doc_id", "where", "problem"])
    problems_table["where"] = problems_table["where"].str.removeprefix(base)
    n_yearless = sum(p["problem"].startswith("no year") for p in problems)
    if n_yearless:
        log.warning("%d of %d documents have no year or date; they are kept (see corpus.problems)", n_yearless, len(table))
    return Corpus(docs=table, audit=audit, problems=problems_table, source=display_path(path))


def clean_record(rec: _Record, steps: Sequence[Step]) -> tuple[str, list[tuple], list[dict]]:
    """Clean one raw document: its text, its audit rows (``AUDIT_COLUMNS``) and the problems to report; empty after cleaning is an error."""
    result = clean_text(rec.text, steps)
    if count_han(result.text) == 0:
        raise CorpusError(f"{rec.where}: document {rec.doc_id!r} is empty after cleaning (no Chinese text left). Check the file, or its boilerplate rules in the audit log.")
    audit = [(rec.doc_id, step, e.kind, e.line, e.rule, e.before, e.after) for step, e in result.audit]
    return result.text, audit, _structure_problems(rec, result)


def _structure_problems(rec: _Record, result) -> list[dict]:
    """Problems worth a look in a cleaned document: over-long lines that had to be split, appendices left out of counts."""
    problems = []
    splits = [e for step, e in result.audit if e.kind == "split"]
    if splits:
        chunks = sum(e.rule == LONG_PARAGRAPH for e in splits)
        problems.append({"doc_id": rec.doc_id, "where": rec.where, "problem": (
            f"lines over {config.PARAGRAPH_MAX_CHARS} characters (a one-line scrape) split into paragraphs: {len(splits) - chunks} splits at "
            f"headings, sentence ends and the delivery line, {chunks} cuts of long paragraphs into chunks of "
            f"{config.PARAGRAPH_CHUNK_SENTENCES} sentences (audit: step split_paragraphs)")})
    appendix = [para for _, part, _, para in document_paragraphs(result.text) if part == "appendix"]
    if appendix:
        problems.append({"doc_id": rec.doc_id, "where": rec.where, "problem": (
            f"appendix ({appendix[0][:12]}…, {len(appendix)} paragraphs, {count_han(chr(10).join(appendix))} Han characters) "
            f"kept, but left out of n_chars, tokens, slogan counts and topic units by default (include_parts)")})
    return problems


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
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        except OSError as exc:
            raise OutputError(f"{out}: cannot write into {out.parent} ({exc.strerror or exc}). Choose a writable --out folder.") from exc
        try:
            written = _write_outputs(corpus, names, tmp)
            _replace_folder(tmp, out)
        except OSError as exc:
            raise OutputError(f"{out}: writing failed ({exc}); the previous output is unchanged. Free space or choose a writable --out folder.") from exc
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    return [out / path.relative_to(tmp) for path in written]


def _write_outputs(corpus: Corpus, names: Sequence[str], folder: Path) -> list[Path]:
    import pyarrow

    texts_dir = folder / "texts"
    texts_dir.mkdir()
    written = [folder / "corpus.parquet", folder / "audit.csv", folder / "problems.csv"]
    try:
        corpus.docs.to_parquet(written[0], index=False)
    except pyarrow.ArrowException as exc:
        raise CorpusError(f"{corpus.source}: cannot write corpus.parquet ({exc}). A docvar mixes kinds of values (e.g. numbers and text): make each docvar one kind in the source.") from exc
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


@contextmanager
def _output_lock(out: Path) -> Iterator[None]:
    """Hold ``.<out>.lock`` beside ``out`` (POSIX ``flock``); a second build fails at once with a message."""
    import fcntl

    lock_path = out.parent / f".{out.name}.lock"
    try:
        handle = lock_path.open("a")
    except OSError as exc:
        raise OutputError(f"{out}: cannot write into {out.parent} ({exc.strerror or exc}). Choose a writable --out folder.") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise OutputError(f"{out}: another tifa build is writing this folder (lock file {lock_path}). Wait until it has finished, then run again.") from exc
        for stale in out.parent.iterdir():  # left by a build that was killed: nobody else holds the lock
            if stale.name.startswith((f".{out.name}.tmp-", f".{out.name}.old-")) and stale.is_dir():
                shutil.rmtree(stale)
        yield


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
    if entries and "corpus.parquet" not in entries and not entries <= {*OUTPUT_ENTRIES, "token_cache"}:
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
    problems = pd.read_csv(out_dir / "problems.csv", keep_default_na=False)
    return Corpus(docs=docs, audit=audit, problems=problems, source=display_path(out_dir))


def _safe_name(doc_id: str) -> str:
    """File name (without ``.txt``) of a document: the id when it is a safe, short name; else its safe part, ``~`` and a hash.

    No unchanged id contains ``~``, so two ids never share a file (``x/y`` → ``x_y~<hash>``, ``x_y`` → ``x_y``).
    """
    safe = _UNSAFE.sub("_", doc_id)
    if safe == doc_id and not doc_id.startswith(".") and len(doc_id.encode("utf-8")) <= MAX_NAME_BYTES:
        return doc_id
    digest = hashlib.sha256(doc_id.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]
    stem = safe.encode("utf-8", errors="surrogatepass")[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").lstrip(".")
    return f"{stem}~{digest}"
