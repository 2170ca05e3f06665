"""Docvars: ids, dates and years checked record by record, and one typing of every docvar for every engine.

A docvar's type is decided from all its values in the corpus, the same way for
an in-memory corpus (one partition) and for a store (many partitions, typed
when the manifest is written): text, integer (``Int64``), float, or boolean;
a docvar that mixes text with numbers (or other JSON values) is read as text,
and the corpus reports it. Numbers written as text take their shortest form
(``2``, ``1.5``), so a value reads the same whichever partition holds it. A
docvar absent from some documents (or whole partitions) is null there.
"""

from __future__ import annotations

import datetime
import json
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from tifa import config
from tifa.errors import CorpusError
from tifa.readers import Record, is_missing

KIND_DTYPES = {"text": "str", "integer": "Int64", "float": "float64", "boolean": "boolean"}
FIXED_KINDS = {"year": "integer", "date": "text"}  # docvars tifa parses itself

_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_YEAR = re.compile(r"^([0-9]+)(?:\.0*)?$")


def _year_in_range(year: int, value: object, where: str, what: str = "year") -> int:
    low, high = config.YEAR_RANGE
    if not low <= year <= high:
        raise CorpusError(f"{where}: {what} {value!r} is outside {low}–{high} (config.YEAR_RANGE). Correct it or leave it empty.")
    return year


def parse_year(value: object, where: str) -> int | None:
    """A ``year`` docvar as an integer: whole numbers (``2016``, ``2016.0``, ``"２０１６"``) within ``config.YEAR_RANGE``."""
    if is_missing(value):
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


def parse_date(value: object, where: str) -> str | None:
    """A ``date`` docvar as an ISO string (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) of a day that exists."""
    if is_missing(value):
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


def check_id(rec: Record) -> None:
    """Refuse ids with control, invisible or separator characters (they would corrupt messages and tables)."""
    bad = [c for c in rec.doc_id if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise CorpusError(f"{rec.where}: doc_id {rec.doc_id!r} contains control or invisible characters ({codes}). Remove them from the id.")


def docvar_rows(records: Sequence[Record], seen: dict[str, tuple[str, bool]]) -> tuple[list[dict], list[dict]]:
    """Checked docvars of a batch of records (ids, dates, years) and the problems to report.

    ``seen`` maps the ids of earlier batches to their place (and whether they
    were numbered); a repeated id is an error naming both places. ``date``
    becomes ISO text, ``year`` an integer derived from ``date`` when absent.
    """
    rows, problems = [], []
    for rec in records:
        check_id(rec)
        if rec.doc_id in seen:
            first_where, first_numbered = seen[rec.doc_id]
            numbered = " (rows without an id are numbered <file stem>-<line or row>; give the rows distinct ids)" if rec.numbered or first_numbered else ""
            raise CorpusError(f"{rec.where}: duplicate doc_id {rec.doc_id!r} (first at {first_where}). doc_ids must be unique{numbered}.")
        seen[rec.doc_id] = (rec.where, rec.numbered)
        dv = {k: (None if is_missing(v) else v) for k, v in rec.docvars.items()}
        date = parse_date(dv.get("date"), rec.where)
        date_year = None
        if date is not None:
            date_year = int(date[:4])
            dv["date"] = date
        year = parse_year(dv.get("year"), rec.where)
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
    return rows, problems


# --- one type per docvar -------------------------------------------------------------------------


def value_kind(value: object) -> str | None:
    """``text``, ``integer``, ``float``, ``boolean`` or ``other`` (lists, mappings, dates); ``None`` for a missing value."""
    if value is None or is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "integer"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "text"
    return "other"


def row_kinds(rows: Iterable[dict]) -> dict[str, set[str]]:
    """The kinds of the values of every docvar in ``rows`` (columns in first-seen order; an all-missing column has none)."""
    kinds: dict[str, set[str]] = {}
    for row in rows:
        for name, value in row.items():
            if name in ("doc_id", "text", "n_chars"):  # written by tifa, not docvars
                continue
            seen = kinds.setdefault(name, set())
            kind = value_kind(value)
            if kind is not None:
                seen.add(kind)
    return kinds


def merge_kinds(*parts: dict[str, Iterable[str]]) -> dict[str, set[str]]:
    """The union of several ``row_kinds`` results, columns in first-seen order."""
    merged: dict[str, set[str]] = {}
    for part in parts:
        for name, kinds in part.items():
            merged.setdefault(name, set()).update(kinds)
    return merged


def decide_kinds(kinds: dict[str, set[str]]) -> dict[str, str]:
    """One kind per docvar: its only kind; integers with floats are float; anything else mixed is text."""
    out = {}
    for name, seen in kinds.items():
        if name in FIXED_KINDS:
            out[name] = FIXED_KINDS[name]
        elif len(seen) == 1 and "other" not in seen:
            out[name] = next(iter(seen))
        elif seen == {"integer", "float"}:
            out[name] = "float"
        else:
            out[name] = "text"
    return out


def mixed_problems(kinds: dict[str, set[str]], where: str) -> list[dict]:
    """Problems to report for docvars read as text although they hold other values."""
    out = []
    for name, seen in kinds.items():
        if name not in FIXED_KINDS and (len(seen) > 1 and seen != {"integer", "float"} or "other" in seen):
            out.append({"doc_id": "", "where": where, "problem": f"docvar {name!r} mixes kinds of values ({', '.join(sorted(seen))}): read as text"})
    return out


def as_text(value: object) -> str | None:
    """A docvar value as text: numbers in their shortest form (``2``, ``1.5``), JSON values as JSON, dates as ISO."""
    if value is None or is_missing(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _column(values: list, kind: str) -> pd.Series:
    if kind == "text":
        return pd.Series([as_text(v) for v in values], dtype="str")
    if kind == "integer":
        return pd.Series([None if v is None or is_missing(v) else int(v) for v in values], dtype="Int64")
    if kind == "float":
        return pd.Series([np.nan if v is None or is_missing(v) else float(v) for v in values], dtype="float64")
    return pd.Series([None if v is None or is_missing(v) else bool(v) for v in values], dtype="boolean")


def docvars_frame(rows: Sequence[dict], kinds: dict[str, str]) -> pd.DataFrame:
    """The docvars table of ``rows``: ``doc_id`` then every docvar of ``kinds`` (in its order), each of its decided type."""
    frame = pd.DataFrame({"doc_id": pd.Series([r["doc_id"] for r in rows], dtype="str")})
    for name, kind in kinds.items():
        frame[name] = _column([r.get(name) for r in rows], kind)
    return frame


def cast_docvars(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """A partition's docvars (as stored) cast to the corpus-wide ``kinds``; docvars it lacks are added as null, in order."""
    out = pd.DataFrame({"doc_id": frame["doc_id"].astype("str")}, index=frame.index)
    for name, kind in kinds.items():
        if name in frame:
            column = frame[name]
            if str(column.dtype) == KIND_DTYPES[kind]:
                out[name] = column
            else:
                out[name] = _column(column.astype(object).where(column.notna(), None).tolist(), kind).to_numpy()
                out[name] = out[name].astype(KIND_DTYPES[kind])
        else:
            out[name] = pd.Series([None] * len(frame), index=frame.index, dtype=KIND_DTYPES[kind])
    return out
