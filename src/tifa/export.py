"""Tables for Stata, R and spreadsheets: CSV, Parquet and labelled Stata ``.dta`` with byte-stable output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tifa import config
from tifa.errors import InputError
from tifa.util.tables import format_table

LABELS = {
    "n_docs": "documents in the cell (0: no document)",
    "n_chars": "exposure: Han characters of the cell's documents",
    "slogan_id": "slogan id (tifa lexicon)",
    "slogan": "slogan, canonical Chinese form",
    "en": "slogan, English gloss",
    "category": "slogan category",
    "first_used": "date of first official use (lexicon)",
    "count": "mentions of the slogan",
    "per_10k": "mentions per 10,000 Han characters",
    "ci_low": "rate per 10k: exact Poisson lower bound",
    "ci_high": "rate per 10k: exact Poisson upper bound",
    "province_code": "GB/T 2260 code of the province (e.g. 440000)",
    "province_en": "province, English name",
    "region": "NBS region: East, Central, West, Northeast",
    "first_observed": "first period with a document of the group",
    "last_observed": "last period with a document of the group",
    "missing_years": "years inside the window without a document (;-separated)",
    "adopted": "1: the group used the slogan while observed",
    "left_censored": "1: in use in the first observed year, slogan older: adopted at or before",
    "right_censored": "1: never used up to last_observed",
    "lag_is_bound": "1: the lags are upper bounds (left-censored)",
    "first_year": "year of first use in the group",
    "first_doc": "document of first use",
    "count_first_year": "mentions in the year of first use",
    "first_used_year": "year of first official use (lexicon)",
    "lag_vs_first_used": "first year - year of first official use",
    "early_vs_first_used": "1: used before the first official use",
    "central_first_year": "year of first use in the central reference",
    "lag_vs_central": "first year - central first year",
    "early_vs_central": "1: used before the central reference",
    "origin": "year the slogan became available (central first use, else lexicon)",
    "risk_start": "first year at risk: later of first_observed and origin",
    "duration": "years since origin",
    "event": "1: first use in this year",
    "after_gap": "1: the previous year has no document of the group",
    "n_neighbours": "contiguous provinces observed by the previous year",
    "neighbour_share": "share of those that had used the slogan by the previous year",
    "no_neighbour": "1: no contiguous province observed (e.g. Hainan): share set to 0",
}

_STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip str strL using with".split()
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets read as the start of a formula
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas: a cell starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return gets a leading ``'`` (OWASP's CSV-injection advice).

    Only text is changed: numeric columns, and text cells that are plain numbers (``-3``, ``+1.5``), stay as they
    are. For tables opened in a spreadsheet (``figures/tables/*.csv``); data exports for Stata and R keep the raw values.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.where(values.map(lambda v: isinstance(v, str)))
        risky = text.str.startswith(FORMULA_STARTS, na=False) & ~text.str.match(_NUMBER, na=False)
        if risky.any():
            out[column] = values.mask(risky, "'" + text)
    return out


def stata_names(columns: Sequence[str]) -> dict[str, str]:
    """Names Stata accepts (letters, digits, ``_``; ≤ 32 characters; not reserved; unique), for each column."""
    import re

    out, used = {}, set()
    for col in columns:
        name = re.sub(r"\W", "_", str(col), flags=re.ASCII).strip("_") or "v"
        if name[0].isdigit() or name in _STATA_RESERVED:
            name = f"v_{name}"
        name = name[:32]
        base, i = name, 2
        while name.lower() in used:
            name = f"{base[: 32 - len(str(i)) - 1]}_{i}"
            i += 1
        used.add(name.lower())
        out[col] = name
    return out


def stata_frame(table: pd.DataFrame, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """``table`` as Stata can hold it, with variable labels: names sanitised, booleans 0/1, missing strings empty, floats rounded."""
    names = stata_names(table.columns)
    labels = {**LABELS, **(labels or {})}
    frame = pd.DataFrame(index=range(len(table)))
    for col, name in names.items():
        values = table[col].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(np.int8)
        elif pd.api.types.is_integer_dtype(values):
            values = values.astype(np.float64) if values.isna().any() else values.astype(np.int64)
        elif pd.api.types.is_float_dtype(values):
            values = values.astype(np.float64).round(config.PANEL_DECIMALS)
        else:
            values = values.astype(object).where(values.notna(), "").astype(str)
        frame[name] = values
    variable_labels = {}
    for col, name in names.items():
        label = labels.get(str(col), str(col))
        if name != col and str(col) not in label:
            label = f"{col}: {label}"  # the original (e.g. Chinese) name survives in the label
        variable_labels[name] = label[:80]
    return frame, variable_labels


EXPORT_FORMATS = ("csv", "parquet", "dta")


def write_table(table: pd.DataFrame, path: str | Path, *, format: str | None = None, labels: dict[str, str] | None = None, title: str = "") -> Path:
    """Write a panel, adoption or event table as CSV, Parquet or Stata ``.dta`` (version 118: Unicode, variable labels).

    ``format`` defaults to the file's suffix. Floats are rounded to
    ``config.PANEL_DECIMALS`` decimals (same bytes on every CPU); the Stata file
    carries a fixed time stamp, so the same table gives the same bytes.
    """
    from datetime import datetime

    from tifa.errors import OutputError

    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"{path}: cannot tell the format; use a file ending in {', '.join('.' + f for f in EXPORT_FORMATS)} or pass format=")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            format_table(table, decimals=config.PANEL_DECIMALS).to_csv(path, index=False, lineterminator="\n")
        elif fmt == "parquet":
            out = table.copy()
            for col in out.columns:
                if pd.api.types.is_float_dtype(out[col]):
                    out[col] = out[col].round(config.PANEL_DECIMALS)
            out.attrs = {}
            out.to_parquet(path, index=False)
        else:
            frame, variable_labels = stata_frame(table, labels)
            frame.to_stata(path, write_index=False, version=118, variable_labels=variable_labels, data_label=(title or "tifa table")[:80], time_stamp=datetime(2000, 1, 1))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc}). Choose a writable path.") from exc
    return path


