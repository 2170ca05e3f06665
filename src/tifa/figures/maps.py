"""Tile-grid map of China's provinces: one square per provincial-level division in its approximate position.

The grid positions are data (``tile_row``, ``tile_col`` in ``resources/regions.csv``),
not code; there is no boundary data. The 31 mainland provinces carry an NBS
region (East, Central, West, Northeast); Hong Kong, Macao and Taiwan have none and
are drawn with a dashed outline. :func:`plot_province_tiles` colours the tiles by
any per-province value (a rate, an adoption year, a lag), sequential or diverging
(centred at 0); provinces without a value are hatched grey, with a legend entry.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.patches import Patch, Rectangle

from tifa import config
from tifa.errors import InputError
from tifa.places import Lang, load_regions, place_label
from tifa.util.tables import sort_table

MISSING_COLOUR = "0.88"
MISSING_HATCH = "///"
MISSING_HATCH_COLOUR = "0.72"


def province_tiles(*, others: bool = True) -> pd.DataFrame:
    """Provincial-level divisions with their grid cell: ``name_zh, short_zh, name_en, iso_3166_2, region, tile_row, tile_col, mainland``.

    ``others=False`` leaves out Hong Kong, Macao and Taiwan (no NBS region).
    """
    regions = load_regions().drop_duplicates("name_zh")
    if not {"tile_row", "tile_col", "region"} <= set(regions.columns):
        raise InputError(f"{config.REGIONS_CSV}: no tile_row, tile_col and region columns; restore them from the package")
    tiles = regions[(regions["level"] == "province") & (regions["tile_row"] != "")].copy()
    tiles["tile_row"] = tiles["tile_row"].astype(int)
    tiles["tile_col"] = tiles["tile_col"].astype(int)
    tiles["mainland"] = tiles["region"] != ""
    if not others:
        tiles = tiles[tiles["mainland"]]
    columns = ["name_zh", "short_zh", "name_en", "iso_3166_2", "region", "tile_row", "tile_col", "mainland"]
    return sort_table(tiles[columns], ["tile_row", "tile_col"]).reset_index(drop=True)


def province_key(name: str) -> str:
    """The gazetteer's full name (``湖南省``) of a province given by full or short name (``湖南``)."""
    regions = load_regions()
    if name not in regions.index:
        raise InputError(f"{name!r} is not a province of {config.REGIONS_CSV.name}; use a full (湖南省) or short (湖南) provincial name")
    row = regions.loc[name]
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0]
    if row["level"] != "province":
        raise InputError(f"{name!r} is a {row['level']}, not a province; aggregate to provinces (its parent is {row['parent_zh']})")
    return row["name_zh"]


def region_order(provinces) -> list:
    """Provinces ordered by NBS region (``config.REGION_ORDER``), then north to south, west to east; others last, by name."""
    tiles = province_tiles().set_index("name_zh")
    rank = {r: i for i, r in enumerate(config.REGION_ORDER)}
    rows = []
    for p in dict.fromkeys(provinces):
        known = p in load_regions().index and (load_regions().loc[[p], "level"] == "province").any()
        key = province_key(p) if known else None
        if key is not None and key in tiles.index and tiles.loc[key, "region"] in rank:
            t = tiles.loc[key]
            rows.append((rank[t["region"]], int(t["tile_row"]), int(t["tile_col"]), str(p), p))
        else:
            rows.append((len(rank), 99, 99, str(p), p))
    table = pd.DataFrame(rows, columns=["region", "row", "col", "name", "value"])
    return list(sort_table(table, ["region", "row", "col", "name"])["value"])


def plot_province_tiles(
    values: pd.Series | Mapping,
    *,
    diverging: bool = False,
    center: float = 0.0,
    cmap: str | None = None,
    lang: Lang = "en",
    label: str = "",
    title: str = "",
    fmt: str = "{:g}",
    others: bool = True,
    integer: bool = False,
    figsize: tuple[float, float] = (6.0, 6.2),
) -> plt.Figure:
    """Tile-grid map of a per-province value (keys: full or short Chinese names); returns the Figure.

    Sequential values use ``viridis``; ``diverging=True`` uses ``RdBu_r`` with a
    scale symmetric around ``center`` (e.g. 0 for lags: blue earlier, red later).
    Each tile shows the province's label and its value formatted by ``fmt``.
    Provinces without a value (absent or NaN) are hatched grey and named in the
    legend; Hong Kong, Macao and Taiwan (``others``) have dashed outlines.
    ``integer``: colour-bar ticks on whole numbers (years, lags).
    """
    series = pd.Series(values, dtype="float64") if not isinstance(values, pd.Series) else values.astype("float64")
    by_key = {}
    for name, value in series.items():
        by_key[province_key(str(name))] = value
    tiles = province_tiles(others=others)
    tiles["value"] = tiles["name_zh"].map(by_key).astype("float64")
    known = set(tiles["name_zh"])
    outside = sorted(set(by_key) - known)
    if outside:
        raise InputError(f"values for {outside} cannot be drawn with others=False; pass others=True or drop them")
    present = tiles["value"].dropna()
    if diverging:
        span = float(np.nanmax(np.abs(present - center))) if len(present) else 1.0
        span = span or 1.0
        norm = mcolors.TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
        cmap = plt.get_cmap(cmap or "RdBu_r")
    else:
        lo, hi = (float(present.min()), float(present.max())) if len(present) else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        norm = mcolors.Normalize(vmin=lo, vmax=hi)
        cmap = plt.get_cmap(cmap or "viridis")
    n_rows, n_cols = int(tiles["tile_row"].max()) + 1, int(tiles["tile_col"].max()) + 1
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    gap = 0.06
    for tile in tiles.itertuples(index=False):
        x, y = tile.tile_col, n_rows - 1 - tile.tile_row
        missing = np.isnan(tile.value)
        face = MISSING_COLOUR if missing else cmap(norm(tile.value))
        ax.add_patch(
            Rectangle(
                (x + gap / 2, y + gap / 2), 1 - gap, 1 - gap, facecolor=face, edgecolor="0.35" if tile.mainland else "0.2",
                linewidth=0.6 if tile.mainland else 0.9, linestyle="-" if tile.mainland else (0, (2, 1.5)), hatch=MISSING_HATCH if missing else None, hatchcolor=MISSING_HATCH_COLOUR,
            )
        )
        text_colour = "black" if missing or _luminance(face) > 0.5 else "white"
        name = place_label(tile.name_zh, lang)
        ax.text(x + 0.5, y + 0.62, _wrap(name), ha="center", va="center", fontsize=6.5 if lang != "both" else 5.5, color=text_colour)
        if not missing:
            ax.text(x + 0.5, y + 0.26, fmt.format(tile.value), ha="center", va="center", fontsize=7.5, color=text_colour)
    ax.set_xlim(0, n_cols)
    ax.set_ylim(0, n_rows)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    handles = [Patch(facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, hatchcolor=MISSING_HATCH_COLOUR, edgecolor="0.35", linewidth=0.6, label="no data")]
    if others:
        handles.append(Patch(facecolor="white", edgecolor="0.2", linestyle=(0, (2, 1.5)), linewidth=0.9, label="HK, Macao, Taiwan (outside the NBS regions)"))
    ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False)  # the grid's empty north-west corner
    if len(present):
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, label=label, location="right")
        if integer:
            from matplotlib.ticker import MaxNLocator

            bar.locator = MaxNLocator(integer=True)
            bar.update_ticks()
    return fig


def _luminance(colour) -> float:
    r, g, b = mcolors.to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


def _wrap(name: str) -> str:
    """Two lines for long English names (``Inner\\nMongolia``) so that they fit a tile."""
    if len(name) > 9 and " " in name:
        head, _, tail = name.partition(" ")
        return f"{head}\n{tail}"
    return name
