"""Place names for figure labels: English, Chinese or both.

Provincial-level names, ISO 3166-2:CN and GB/T 2260 codes come from ``resources/regions.csv``
(schema: ``name_zh, short_zh, name_en, iso_3166_2, level, parent_zh, region, tile_row, tile_col,
province_code``; ``province_code`` is the six-digit GB/T 2260 code of the province, for a prefecture
row that of its parent province). :func:`province_info` and :func:`add_province_columns` give the
keys covariates merge on; :func:`province_neighbours` the land contiguity of the 31 mainland units
(``resources/province_contiguity.csv``, source in its header).
Places not listed there are romanised with pypinyin (``商洛市`` → ``Shangluo``)
and logged, so a researcher can add the official English name to the file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

from tifa import config
from tifa.errors import InputError

log = logging.getLogger(__name__)

Lang = Literal["en", "zh", "both"]
_SUFFIX = re.compile(r"(特别行政区|维吾尔自治区|回族自治区|壮族自治区|自治区|自治州|地区|省|市|县|区|盟)$")


@lru_cache(maxsize=4)
def load_regions(path: str | Path = config.REGIONS_CSV) -> pd.DataFrame:
    """The gazetteer, indexed by both full and short Chinese names."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.concat([table.set_index("name_zh", drop=False), table.set_index("short_zh", drop=False)])


def short_name(name: str) -> str:
    """A Chinese place name without its administrative suffix (``湖南省`` → ``湖南``; a bare suffix stays)."""
    return _SUFFIX.sub("", name) or name


def romanise(name: str) -> str:
    """Pinyin of a Chinese place name without its administrative suffix, capitalised."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(short_name(name))).capitalize()


def place_label(name: str | None, lang: Lang = "en") -> str:
    """Label for a province or city in ``lang`` ("en", "zh" or "both": ``Hunan 湖南``)."""
    if name is None or pd.isna(name) or name == "":
        return ""
    if lang not in ("en", "zh", "both"):
        raise InputError(f"lang must be 'en', 'zh' or 'both', not {lang!r}")
    regions = load_regions()
    if name in regions.index:
        row = regions.loc[name]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        english, short = row["name_en"], row["short_zh"]
    else:
        english, short = romanise(name), short_name(name)
        log.info("%s is not in %s; labelled by pinyin as %r", name, config.REGIONS_CSV.name, english)
    return {"en": english, "zh": short, "both": f"{english} {short}"}[lang]


PROVINCE_COLUMNS = ("province_code", "province_en", "region")


def province_info(names: Iterable) -> pd.DataFrame:
    """``province_code`` (GB/T 2260, Int64), ``province_en`` and ``region`` of provincial-level names, one row per name in order.

    Names may be full (广东省) or short (广东) Chinese names, or the English name
    (Guangdong). Anything else (中央, a prefecture, a typo) gets NA, logged once
    with the list of such names; Hong Kong, Macao and Taiwan have a code but no region.
    """
    names = list(names)
    table = pd.read_csv(config.REGIONS_CSV, dtype=str, keep_default_na=False)
    table = table[table["level"] == "province"]
    lookup = {}
    for row in table.itertuples(index=False):
        for key in (row.name_zh, row.short_zh, row.name_en):
            lookup[key] = (int(row.province_code), row.name_en, row.region or pd.NA)
    found = [lookup.get(n) if isinstance(n, str) else None for n in names]
    unknown = sorted({str(n) for n, f in zip(names, found) if f is None and not (n is None or n is pd.NA or (isinstance(n, float) and n != n))})
    if unknown:
        log.warning("not provinces of %s (no province_code, left out of province models): %s", config.REGIONS_CSV.name, ", ".join(unknown))
    out = pd.DataFrame([f or (pd.NA, pd.NA, pd.NA) for f in found], columns=list(PROVINCE_COLUMNS))
    out["province_code"] = out["province_code"].astype("Int64")
    out["province_en"] = out["province_en"].astype("string")
    out["region"] = out["region"].astype("string")
    return out


def add_province_columns(table: pd.DataFrame, column: str = "province") -> pd.DataFrame:
    """``table`` with ``province_code``, ``province_en`` and ``region`` of its ``column`` right after it (replacing any already there)."""
    if column not in table.columns:
        raise InputError(f"no column {column!r} to look provinces up by; available: {list(table.columns)}")
    out = table.drop(columns=[c for c in PROVINCE_COLUMNS if c in table.columns])
    values = out[column].astype(object).where(out[column].notna(), None)
    uniques = list(dict.fromkeys(values))
    info = province_info(uniques)
    info.index = pd.Index(range(len(uniques)))
    position = pd.Index(uniques).get_indexer(values)
    at = out.columns.get_loc(column) + 1
    for i, col in enumerate(PROVINCE_COLUMNS):
        out.insert(at + i, col, info[col].to_numpy()[position] if len(out) else info[col].iloc[:0].to_numpy())
        out[col] = out[col].astype(info[col].dtype)
    out.attrs.update(table.attrs)
    return out


@lru_cache(maxsize=2)
def province_neighbours(path: str | Path = config.CONTIGUITY_CSV) -> dict[int, tuple[int, ...]]:
    """Land neighbours of each of the 31 mainland provincial-level units, by GB/T 2260 code (Hainan: none)."""
    pairs = pd.read_csv(path, comment="#", dtype={"province_code_a": int, "province_code_b": int})
    regions = pd.read_csv(config.REGIONS_CSV, dtype=str, keep_default_na=False)
    mainland = [int(c) for c in regions.loc[(regions["level"] == "province") & (regions["region"] != ""), "province_code"]]  # HK, Macao, Taiwan: no region
    out: dict[int, set[int]] = {code: set() for code in mainland}
    for a, b in zip(pairs["province_code_a"], pairs["province_code_b"]):
        if a not in out or b not in out:
            raise InputError(f"{path}: pair ({a}, {b}) names a code that is not a mainland province of {config.REGIONS_CSV.name}; fix the code")
        out[a].add(b)
        out[b].add(a)
    return {code: tuple(sorted(n)) for code, n in sorted(out.items())}
