"""Tile-grid map of China's provinces: one square per provincial-level division in its approximate position.

The grid positions are data (``tile_row``, ``tile_col`` in ``resources/regions.csv``),
not code; there is no boundary data, and the caller passes the gazetteer in (a
:class:`~tifa.figures.labels.Labeller`). The 31 mainland provinces carry an NBS
region (East, Central, West, Northeast); Hong Kong, Macao and Taiwan have none and
are drawn with a dashed outline. :func:`plot_province_tiles` colours the tiles by
any per-province value (a rate, an adoption year, a lag), sequential or diverging
(centred at 0); provinces with documents but no value and provinces without a
document are told apart, each with a legend entry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from tifa import config
from tifa.errors import InputError
from tifa.figures.labels import Labeller
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

MISSING_COLOUR = "0.88"
MISSING_HATCH = "///"
MISSING_HATCH_COLOUR = "0.72"


MAX_CATEGORIES = 8  # whole-number values (years, lags) with at most this many distinct values get a legend, not a colour bar
NEVER_HATCH = "...."


def province_tiles(places: pd.DataFrame, *, others: bool = True) -> pd.DataFrame:
    """Provincial-level divisions of the gazetteer ``places`` (:func:`tifa.places.load_regions`) with their grid cell:
    ``name_zh, short_zh, name_en, iso_3166_2, region, tile_row, tile_col, mainland``; ``others=False`` leaves out
    Hong Kong, Macao and Taiwan (no NBS region)."""
    regions = places.drop_duplicates("name_zh")
    if not {"tile_row", "tile_col", "region"} <= set(regions.columns):
        raise InputError(f"the gazetteer has no tile_row, tile_col and region columns; restore them from the package ({config.REGIONS_CSV.name})")
    tiles = regions[(regions["level"] == "province") & (regions["tile_row"] != "")].copy()
    tiles["tile_row"] = tiles["tile_row"].astype(int)
    tiles["tile_col"] = tiles["tile_col"].astype(int)
    tiles["mainland"] = tiles["region"] != ""
    if not others:
        tiles = tiles[tiles["mainland"]]
    columns = ["name_zh", "short_zh", "name_en", "iso_3166_2", "region", "tile_row", "tile_col", "mainland"]
    return sort_table(tiles[columns], ["tile_row", "tile_col"]).reset_index(drop=True)


def plot_province_tiles(
    values: pd.Series | Mapping,
    *,
    labeller: Labeller,
    observed: Iterable | None = None,
    bounds: Iterable = (),
    never: str = "documents, never used",
    diverging: bool = False,
    center: float = 0.0,
    cmap: str | None = None,
    label: str = "",
    title: str = "",
    note: str = "",
    fmt: str = "{:g}",
    others: bool = True,
    integer: bool = False,
    figsize: tuple[float, float] = (6.0, 6.4),
) -> plt.Figure:
    """Tile-grid map of a per-province value (keys: full or short Chinese names); returns the Figure.

    Three states, each with its legend entry: a value (coloured; the label in
    the tile), ``observed`` provinces without a value (white, dotted: ``never``,
    e.g. documents that never use the slogan) and provinces without a document
    (grey, hatched). ``observed`` defaults to the keys of ``values`` (NaN values
    included). ``bounds``: provinces whose value is only an upper bound (a first use
    in the first year observed: left-censored), written ``≤2016``. Sequential values use ``viridis``; ``diverging=True`` uses
    ``RdBu_r`` symmetric around ``center``. ``integer`` (years, lags): at most
    :data:`MAX_CATEGORIES` distinct values get one legend entry each, more a
    colour bar in whole-number steps. Keys that are no province of the gazetteer
    (``中央``, a city) are left out and named under the map (``note`` adds a line
    of the caller's, e.g. the slogans a rate pools). Hong Kong, Macao and Taiwan
    (``others``) have dashed outlines.
    """
    if labeller.places is None:
        raise InputError("the tile map needs the gazetteer: pass labeller=Labeller(places=tifa.places.load_regions(), …) (study.labeller)")
    series = pd.Series(values, dtype="float64") if not isinstance(values, pd.Series) else values.astype("float64")
    tiles = province_tiles(labeller.places, others=others)
    drawn = set(tiles["name_zh"])
    keys = {name: labeller.province(name) for name in dict.fromkeys([*series.index, *(observed if observed is not None else [])])}
    outside = [str(name) for name, key in keys.items() if key not in drawn]
    if outside:
        log.warning("left out of the map (not a province of the gazetteer%s): %s", "" if others else " or outside the NBS regions", ", ".join(outside))
    by_key = {keys[name]: value for name, value in series.items() if keys[name] in drawn}
    seen = {keys[name] for name in (observed if observed is not None else series.index) if keys[name] in drawn}
    tiles["value"] = tiles["name_zh"].map(by_key).astype("float64")
    bounded = {labeller.province(name) for name in bounds} & set(by_key)
    tiles["state"] = np.where(tiles["value"].notna(), "value", np.where(tiles["name_zh"].isin(seen), "never", "none"))
    present = tiles["value"].dropna()
    colour_of, norm, cmap, categories = _colours(present, diverging=diverging, center=center, cmap=cmap, integer=integer)

    n_rows, n_cols = int(tiles["tile_row"].max()) + 1, int(tiles["tile_col"].max()) + 1
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    gap = 0.06
    for tile in tiles.itertuples(index=False):
        x, y = tile.tile_col, n_rows - 1 - tile.tile_row
        face = colour_of(tile.value) if tile.state == "value" else ("white" if tile.state == "never" else MISSING_COLOUR)
        hatch = {"value": None, "never": NEVER_HATCH, "none": MISSING_HATCH}[tile.state]
        ax.add_patch(
            Rectangle(
                (x + gap / 2, y + gap / 2), 1 - gap, 1 - gap, facecolor=face, edgecolor="0.35" if tile.mainland else "0.2",
                linewidth=0.6 if tile.mainland else 0.9, linestyle="-" if tile.mainland else (0, (2, 1.5)), hatch=hatch, hatchcolor=MISSING_HATCH_COLOUR,
            )
        )
        text_colour = "white" if tile.state == "value" and _luminance(face) <= 0.5 else "black"
        ax.text(x + 0.5, y + 0.62, _wrap(labeller.place(tile.name_zh)), ha="center", va="center", fontsize=6.5 if labeller.lang != "both" else 5.5, color=text_colour)
        if tile.state == "value":
            ax.text(x + 0.5, y + 0.26, ("≤" if tile.name_zh in bounded else "") + fmt.format(tile.value), ha="center", va="center", fontsize=7.5, color=text_colour)
    ax.set_xlim(0, n_cols)
    ax.set_ylim(0, n_rows)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    handles = [Patch(facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, hatchcolor=MISSING_HATCH_COLOUR, edgecolor="0.35", linewidth=0.6, label=labeller.text("no document"))]
    if (tiles["state"] == "never").any():
        handles.append(Patch(facecolor="white", hatch=NEVER_HATCH, hatchcolor=MISSING_HATCH_COLOUR, edgecolor="0.35", linewidth=0.6, label=labeller.text(never)))
    if others:
        handles.append(Patch(facecolor="white", edgecolor="0.2", linestyle=(0, (2, 1.5)), linewidth=0.9, label=labeller.text("HK, Macao, Taiwan (outside the NBS regions)")))
    ax.add_artist(ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False))  # the grid's empty north-west corner
    if categories:
        values_legend = [Patch(facecolor=colour_of(v), edgecolor="0.35", linewidth=0.6, label=fmt.format(v)) for v in categories]
        ax.legend(handles=values_legend, title=label or None, loc="lower right", fontsize=7, title_fontsize=7, frameon=False)  # the empty south-east corner
    elif len(present):
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, label=label, location="right")
        if integer:
            bar.locator = MaxNLocator(integer=True)
            bar.update_ticks()
    lines = [note] if note else []
    if bounded:
        lines.append(labeller.text("≤: an upper bound (already in use when first observed)"))
    if outside:
        lines.append(labeller.listing("Not drawn (not a province of the gazetteer)", outside))
    if lines:
        fig.text(0.02, 0.005, "\n".join(lines), ha="left", va="bottom", fontsize=7, wrap=True)
        fig.get_layout_engine().set(rect=(0, 0.03 * len(lines) + 0.01, 1, 1 - 0.03 * len(lines) - 0.01))
    return fig


def _colours(present: pd.Series, *, diverging: bool, center: float, cmap: str | None, integer: bool):
    """``(value → colour, norm, colormap, categories)``; ``categories`` lists the values of a categorical legend (else empty)."""
    colormap = plt.get_cmap(cmap or ("RdBu_r" if diverging else "viridis"))
    distinct = sorted(present.unique().tolist())
    if integer and 0 < len(distinct) <= MAX_CATEGORIES:
        if diverging:
            span = max(abs(v - center) for v in distinct) or 1.0
            positions = {v: 0.5 + 0.4 * (v - center) / span for v in distinct}
        else:
            positions = {distinct[0]: 0.5} if len(distinct) == 1 else {v: 0.1 + 0.8 * i / (len(distinct) - 1) for i, v in enumerate(distinct)}
        return (lambda v: colormap(positions[v])), None, colormap, distinct
    if diverging:
        span = float(np.nanmax(np.abs(present - center))) if len(present) else 1.0
        span = span or 1.0
        norm = mcolors.TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
    elif integer and len(distinct):
        norm = mcolors.BoundaryNorm(np.arange(distinct[0] - 0.5, distinct[-1] + 1.5), colormap.N)
    else:
        lo, hi = (float(present.min()), float(present.max())) if len(present) else (0.0, 1.0)
        if lo == hi:  # one value: a scale around it that never shows negative values for a non-negative quantity
            lo, hi = (max(lo - 0.5, 0.0) if lo >= 0 else lo - 0.5), hi + 0.5
        norm = mcolors.Normalize(vmin=lo, vmax=hi)
    return (lambda v: colormap(norm(v))), norm, colormap, []


def _luminance(colour) -> float:
    r, g, b = mcolors.to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


def _wrap(name: str) -> str:
    """Two lines for long English names (``Inner\\nMongolia``) so that they fit a tile."""
    if len(name) > 9 and " " in name:
        head, _, tail = name.partition(" ")
        return f"{head}\n{tail}"
    return name
