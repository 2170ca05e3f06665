"""Labels and orders that readers expect: places in English, Chinese or both, by region; levels in words; slogan glosses."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from tifa.places import Lang, load_regions, place_label

LEVELS = {"province": ("Provincial", "省级"), "prefecture": ("Prefecture", "地级"), "county": ("County", "县级")}
PLACE_DOCVARS = ("province", "city")


def level_label(level: str, lang: Lang = "en") -> str:
    """An administrative level in words (``Provincial``, ``省级``)."""
    en, zh = LEVELS.get(level, (str(level), str(level)))
    return {"en": en, "zh": zh, "both": f"{en} {zh}"}[lang]


def term_label(term: str, lang: Lang = "zh") -> str:
    """A term as written; slogans of the lexicon get their English gloss with ``lang="en"`` or ``"both"``."""
    from tifa.lexicon import load_slogans

    gloss = {s.zh: s.en for s in load_slogans()}.get(term)
    if gloss is None or lang == "zh":
        return term
    return gloss if lang == "en" else f"{term} ({gloss})"


def group_label(value, by: str, lang: Lang = "en") -> str:
    """Label of a group value: place names through the gazetteer, levels in words, other values as text."""
    if by in PLACE_DOCVARS:
        return place_label(value, lang)
    if by == "level":
        return level_label(value, lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_order(values: Iterable, by: str) -> list:
    """Group values in the order readers expect: provinces by region, then north to south and west to east (gazetteer);
    cities by region, then English name; other values sorted."""
    values = list(dict.fromkeys(v for v in values if not pd.isna(v)))
    if by not in PLACE_DOCVARS:
        return sorted(values, key=lambda v: (str(type(v)), v))
    if by == "province":
        from tifa.figures.maps import region_order

        return region_order(values)
    regions = load_regions()
    order = {name: i for i, name in enumerate(dict.fromkeys(regions.get("region", pd.Series(dtype=str))))}

    def key(place):
        region = regions.loc[place, "region"] if "region" in regions and place in regions.index else None
        if isinstance(region, pd.Series):
            region = region.iloc[0]
        return (order.get(region, len(order)), place_label(place, "en"), str(place))

    return sorted(values, key=key)


def document_labels(docvars: pd.DataFrame, lang: Lang = "en") -> pd.Series:
    """Short readable label per ``doc_id``: the city (or province) and the year, e.g. ``Hengshui 2016``."""
    labels = {}
    for doc_id, row in docvars.iterrows():
        place = row.get("city") if isinstance(row.get("city"), str) and row.get("city") else row.get("province")
        year = "" if pd.isna(row.get("year")) else f" {int(row['year'])}"
        labels[doc_id] = (place_label(place, lang) if isinstance(place, str) else str(doc_id)) + year
    return pd.Series(labels, name="label")
