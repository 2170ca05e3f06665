"""Covariates of provinces (GDP, leader ties, distance to Beijing …): a user table merged onto panels and event rows by province code and year.

The table is a CSV (UTF-8, a header row) or a DataFrame with ``province_code`` (GB/T
2260, e.g. 440000) or ``province`` (广东省, 广东 or Guangdong) and, for time-varying
covariates, ``year``; every other column is a covariate. A table without ``year``
holds time-invariant covariates. Bad keys are refused with the rows named; a panel
row without covariates is an error naming the missing keys, never a silent drop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tifa import config
from tifa.errors import InputError, MissingFileError
from tifa.places import province_info


def read_covariates(covariates: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, list[str], str]:
    """Covariates keyed by ``province_code`` (GB/T 2260; a ``province`` name column is looked up) and, when present, ``year``.

    Returns the table (with ``province_code``), its keys and a label for messages.
    Unknown provinces, non-numeric codes and duplicated keys are refused with the rows named.
    """
    if isinstance(covariates, pd.DataFrame):
        frame, label = covariates.copy().reset_index(drop=True), "covariates"
    else:
        path = Path(covariates)
        if not path.is_file():
            raise MissingFileError(f"{path}: no such covariates file; give a CSV with province_code (or province) and year columns")
        frame, label = pd.read_csv(path, encoding="utf-8-sig"), str(path)
    row = (lambda i: f"row {i + 2}") if label != "covariates" else (lambda i: f"row {i}")  # CSV: line numbers with the header
    if "province_code" not in frame:
        if "province" not in frame:
            raise InputError(f"{label}: needs a province_code (GB/T 2260, e.g. 440000) or a province column (广东省, 广东 or Guangdong); columns: {list(frame.columns)}")
        info = province_info(frame["province"])
        bad = np.flatnonzero(info["province_code"].isna().to_numpy())
        if len(bad):
            where = ", ".join(f"{row(i)} ({frame['province'].iloc[i]!r})" for i in bad[:5])
            raise InputError(f"{label}: {where} not a province of the gazetteer; use full (广东省), short (广东) or English names, or province_code")
        frame["province_code"] = info["province_code"].to_numpy()
    codes = pd.to_numeric(frame["province_code"], errors="coerce")
    known = set(province_codes())
    bad = [i for i, c in enumerate(codes) if pd.isna(c) or int(c) not in known]
    if bad:
        where = ", ".join(f"{row(i)} (province_code {frame['province_code'].iloc[i]!r})" for i in bad[:5])
        raise InputError(f"{label}: {where} not a GB/T 2260 provincial code (e.g. 110000 Beijing, 440000 Guangdong)")
    frame["province_code"] = codes.astype("Int64")
    keys = ["province_code"] + (["year"] if "year" in frame else [])
    if "year" in frame:
        years = pd.to_numeric(frame["year"], errors="coerce")
        bad = [i for i, y in enumerate(years) if pd.isna(y) or y % 1]
        if bad:
            raise InputError(f"{label}: {', '.join(row(i) for i in bad[:5])}: year is not a whole number")
        frame["year"] = years.astype(np.int64)
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        raise InputError(f"{label}: {', '.join(row(i) for i in rows[:6])} share the same {' and '.join(keys)}; keep one row per key")
    return frame.drop(columns=[c for c in ("province", "province_en", "region") if c in frame]), keys, label


def province_codes() -> list[int]:
    """Every provincial-level GB/T 2260 code of the gazetteer (31 mainland units, Hong Kong, Macao, Taiwan)."""
    table = pd.read_csv(config.REGIONS_CSV, dtype=str, keep_default_na=False)
    return sorted(int(c) for c in table.loc[table["level"] == "province", "province_code"])


def merge_covariates(data: pd.DataFrame, covariates: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, list[str]]:
    """``data`` (with ``province_code``) joined with the covariates; every row must find its covariates (else the missing keys are named)."""
    frame, keys, label = read_covariates(covariates)
    names = [c for c in frame.columns if c not in keys]
    clash = [c for c in names if c in data.columns]
    if clash:
        raise InputError(f"{label}: columns {clash} are already in the panel; rename them in the covariates")
    left = data.assign(province_code=data["province_code"].astype("Int64"))
    if "year" in keys:
        left["year"] = left["year"].astype(np.int64)
    merged = left.merge(frame, on=keys, how="left", indicator=True)
    lacking = merged[merged["_merge"] == "left_only"].drop_duplicates(keys)
    if len(lacking):
        where = ", ".join(" ".join(str(v) for v in r) for r in lacking[["province", *keys]].head(5).itertuples(index=False)) if "province" in lacking else ", ".join(map(str, lacking[keys].head(5).itertuples(index=False)))
        raise InputError(f"{label}: no covariates for {len(lacking)} {' × '.join(keys)} key(s) of the panel, e.g. {where}; add those rows to the covariates or leave those cells out of the panel")
    return merged.drop(columns="_merge"), names
