"""Place names for figure labels: English, Chinese or both.

Provincial-level names and ISO 3166-2:CN codes come from ``resources/regions.csv``
(schema: ``name_zh, short_zh, name_en, iso_3166_2, level, parent_zh``).
Places not listed there are romanised with pypinyin (``商洛市`` → ``Shangluo``)
and logged, so a researcher can add the official English name to the file.
"""

from __future__ import annotations

import logging
import re
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
