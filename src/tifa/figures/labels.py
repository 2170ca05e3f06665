"""Labels and orders that readers expect: places in English, Chinese or both, by region; levels in words; slogan glosses.

Builders never load the gazetteer or the lexicon: the caller makes one
:class:`Labeller` (the label language, the gazetteer table of
:func:`tifa.places.load_regions`, the lexicon's glosses) and passes it in; the
study's is ``study.labeller``. Every fixed text a figure draws is in
:data:`TEXTS`, in English and Chinese, so that ``lang="zh"`` figures are Chinese
throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from tifa import config
from tifa.errors import InputError
from tifa.places import Lang, romanise, short_name
from tifa.util.tables import sort_table

LEVELS = {"province": ("Provincial", "省级"), "prefecture": ("Prefecture", "地级"), "county": ("County", "县级")}
PLACE_DOCVARS = ("province", "city")

# every fixed text of a figure: English → Chinese (Labeller.text)
TEXTS = {
    "Year": "年份",
    "Level": "行政级别",
    "no document": "无文档",
    "year without a document": "无文档年份",
    "documents, never used": "有文档，未使用",
    "documents, no mention": "有文档，未提及",
    "HK, Macao, Taiwan (outside the NBS regions)": "港澳台（不属国家统计局四大区域）",
    "Not drawn (not a province of the gazetteer)": "未绘出（不是地名表中的省级行政区）",
    "≤: an upper bound (already in use when first observed)": "≤：上限（首次观察时已在使用）",
    "Mentions per 10,000 characters": "每万字提及次数",
    "Reused from the centre (% of Han characters)": "取自中央文本（占汉字的百分比）",
    "Mentions per 10,000 Han characters": "每万汉字提及次数",
    "First year of use": "首次使用年份",
    "Share of the groups observed that year that have used it": "当年有文档的单位中已使用者的比例",
    "Share of all groups that have used it": "全部单位中已使用者的比例",
    "share (dots: years observed)": "比例（点：有文档的年份）",
    "of which already using it when first observed (left-censored)": "其中首次观察时已在使用（左删失）",
    "first use in the central reference": "中央文本首次使用",
    "first official use (lexicon)": "首次正式使用（词表）",
    "mentions (area: per 10,000 characters)": "提及（面积：每万字）",
    "Years after the central reference": "晚于中央文本的年数",
    "Years after first official use": "晚于首次正式使用的年数",
    "one group": "一个单位",
    "groups (bar height: number)": "单位（柱高：数量）",
    "tallest bar": "最高柱",
    "lag is an upper bound (already using it when first observed)": "滞后为上限（首次观察时已在使用）",
    "median of the exact lags": "确切滞后的中位数",
    "not drawn: outside the pairs shown": "未绘出：不在所示词对之中",
    "Pooled": "合并",
    "Followed slogans, all years": "所跟踪的提法，全部年份",
    "units with both": "同时出现的单位数",
    "sentences with both": "同时出现的句子数",
    "Topic share (band: 95% bootstrap interval)": "主题比例（带：95% 自助法区间）",
    "Mean topic share of the units": "各单元主题比例的均值",
    "Occurrences per 10,000 tokens": "每万词频次",
    "vs rest": "对其余",
    "vs": "对",
}


@dataclass(frozen=True, eq=False)
class Labeller:
    """How figures name things: ``lang`` (``en``, ``zh`` or ``both``), the gazetteer (``places``: a table indexed by full
    and short Chinese names with ``name_zh, short_zh, name_en, level, region, tile_row, tile_col``) and ``glossary``
    (slogan → English gloss). Without a gazetteer, places are romanised (pypinyin) and ordered by name."""

    lang: Lang = "en"
    places: pd.DataFrame | None = None
    glossary: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.lang not in ("en", "zh", "both"):
            raise InputError(f"lang must be 'en', 'zh' or 'both', not {self.lang!r}")

    def text(self, english: str) -> str:
        """A fixed text of a figure in the label language (``both``: English, then Chinese)."""
        chinese = TEXTS.get(english)
        if chinese is None or self.lang == "en":
            return english
        return chinese if self.lang == "zh" else f"{english} {chinese}"

    def listing(self, head: str, items: Iterable[str]) -> str:
        """``head`` (a fixed text) and ``items``: ``Pooled: a; b`` in English (glosses hold commas), ``合并：a、b`` in Chinese."""
        items = [str(i) for i in items]
        if self.lang == "zh":
            return f"{self.text(head)}：{'、'.join(items)}"
        return f"{self.text(head)}: {'; '.join(items)}"

    def _row(self, name) -> pd.Series | None:
        if self.places is None or not isinstance(name, str) or name not in self.places.index:
            return None
        row = self.places.loc[name]
        return row.iloc[0] if isinstance(row, pd.DataFrame) else row

    def place(self, name) -> str:
        """A province or city: ``Hunan``, ``湖南`` or ``Hunan 湖南`` (gazetteer; else pinyin and the name without suffix)."""
        if name is None or (not isinstance(name, str) and pd.isna(name)) or name == "":
            return ""
        row = self._row(name)
        if row is not None:
            english, short = row["name_en"], row["short_zh"]
        else:
            english, short = romanise(str(name)), short_name(str(name))
        return {"en": english, "zh": short, "both": f"{english} {short}"}[self.lang]

    def province(self, name) -> str | None:
        """The gazetteer's full name (``湖南省``) of a province given by full or short name; ``None`` for anything else."""
        row = self._row(name)
        return row["name_zh"] if row is not None and row["level"] == "province" else None

    def level(self, level) -> str:
        """An administrative level in words (``Provincial``, ``省级``)."""
        en, zh = LEVELS.get(level, (str(level), str(level)))
        return {"en": en, "zh": zh, "both": f"{en} {zh}"}[self.lang]

    def term(self, term: str, *, lang: Lang | None = None) -> str:
        """A term as written; slogans of the glossary get their English gloss with ``en`` or ``both``."""
        lang = lang or self.lang
        gloss = self.glossary.get(term)
        if gloss is None or lang == "zh":
            return term
        return gloss if lang == "en" else f"{term} ({gloss})"

    def group(self, value, by: str) -> str:
        """A group value: places through the gazetteer, levels in words, whole-number floats without ``.0``, others as text."""
        if by in PLACE_DOCVARS:
            return self.place(value)
        if by == "level":
            return self.level(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def order(self, values: Iterable, by: str) -> list:
        """Group values in the order readers expect: places by NBS region (``config.REGION_ORDER``), then north to south
        and west to east (provinces) or by English name (cities), places outside the gazetteer last; other values sorted."""
        values = list(dict.fromkeys(v for v in values if not pd.isna(v)))
        if by not in PLACE_DOCVARS:
            return sorted(values, key=lambda v: (str(type(v)), v))
        rank = {r: i for i, r in enumerate(config.REGION_ORDER)}
        rows = []
        for value in values:
            row = self._row(value)
            region = rank.get(row["region"], len(rank)) if row is not None and "region" in row else len(rank) + 1
            tile = (_int(row.get("tile_row")), _int(row.get("tile_col"))) if row is not None and by == "province" else (99, 99)
            rows.append((region, *tile, self.place(value) if by == "city" else "", str(value), value))
        table = pd.DataFrame(rows, columns=["region", "row", "col", "english", "name", "value"])
        return list(sort_table(table, ["region", "row", "col", "english", "name"])["value"])

    def documents(self, docvars: pd.DataFrame) -> pd.Series:
        """Short readable label per ``doc_id``: the city (or province) and the year, e.g. ``Hengshui 2016``."""
        labels = {}
        for doc_id, row in docvars.iterrows():
            place = row.get("city") if isinstance(row.get("city"), str) and row.get("city") else row.get("province")
            year = "" if pd.isna(row.get("year")) else f" {int(row['year'])}"
            labels[doc_id] = (self.place(place) if isinstance(place, str) else str(doc_id)) + year
        return pd.Series(labels, name="label")


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 99
