"""Figures of slogan diffusion: the province × year panel heatmap, cumulative adoption curves, lags behind the centre.

Builders take the tables of :mod:`tifa.panel` and return a Figure; they never load
corpus data. Provinces are ordered by NBS region (:func:`tifa.figures.maps.region_order`);
rows and lines keep a total order (stable sorts with tie-breakers).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.patches import Patch

from tifa.figures.labels import group_label, group_order, term_label
from tifa.figures.maps import MISSING_COLOUR, MISSING_HATCH, MISSING_HATCH_COLOUR
from tifa.places import Lang
from tifa.util.tables import sort_table


def plot_panel_heatmap(panel: pd.DataFrame, *, slogans: Sequence[str], group: str = "province", time: str = "year", lang: Lang = "en", ncols: int = 2) -> plt.Figure:
    """One panel per slogan: groups (rows, by region) × periods (columns), colour = mentions per 10,000 characters.

    Cells without documents (``n_docs = 0``) are hatched grey; the colour scale
    (square-root) is shared by all panels, so panels compare.
    """
    slogans = list(slogans)
    groups = group_order(panel[group], group)
    periods = sorted(panel[time].dropna().unique().tolist())
    ncols = max(1, min(ncols, len(slogans)))
    nrows = -(-len(slogans) // ncols)
    height = min(9.2, nrows * (0.16 * len(groups) + 1.0) + 0.9)
    width = min(7.4, ncols * (0.22 * len(periods) + 1.6) + 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained")
    rates = panel.loc[panel["slogan_id"].isin(slogans) | panel["slogan"].isin(slogans), "per_10k"]
    vmax = float(rates.max()) if rates.notna().any() and rates.max() > 0 else 1.0
    norm = mcolors.PowerNorm(0.5, vmin=0, vmax=vmax)
    cmap = plt.get_cmap("Blues")
    for ax in axes.ravel()[len(slogans):]:
        ax.set_visible(False)
    for ax, slogan in zip(axes.ravel(), slogans):
        part = panel[(panel["slogan_id"] == slogan) | (panel["slogan"] == slogan)]
        values = part.pivot_table(index=group, columns=time, values="per_10k", aggfunc="first", dropna=False).reindex(index=groups, columns=periods)
        docs = part.pivot_table(index=group, columns=time, values="n_docs", aggfunc="first").reindex(index=groups, columns=periods).fillna(0)
        ax.imshow(np.ma.masked_invalid(values.to_numpy(dtype=float)), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        for (i, j), n in np.ndenumerate(docs.to_numpy()):
            if n == 0:
                ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, hatchcolor=MISSING_HATCH_COLOUR, edgecolor="none"))
        ax.set_yticks(range(len(groups)), [group_label(g, group, lang) for g in groups], fontsize=6)
        step = max(1, -(-len(periods) // 8))
        ax.set_xticks(range(0, len(periods), step), [str(p) for p in periods[::step]], fontsize=6, rotation=90 if len(periods) > 8 else 0)
        name = part["slogan"].iloc[0] if len(part) else slogan
        ax.set_title(term_label(name, "both" if lang != "zh" else "zh"), fontsize=8)
        ax.grid(False)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes.ravel().tolist(), shrink=0.6, label="Mentions per 10,000 characters")
    fig.legend(handles=[Patch(facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, hatchcolor=MISSING_HATCH_COLOUR, label="no document")], loc="outside lower left", fontsize=7, frameon=False)
    return fig


def plot_adoption_curves(curves: pd.DataFrame, *, time: str = "year", lang: Lang = "en", central: pd.Series | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """Share of groups that have used each slogan, by period (steps, shifted by < 0.03 so that equal curves stay apart); ``central``: slogan id → first central period (dotted line)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
    order = sort_table(curves[["slogan_id", "slogan"]].drop_duplicates(), ["slogan", "slogan_id"])
    for i, row in enumerate(order.itertuples(index=False)):
        part = sort_table(curves[curves["slogan_id"] == row.slogan_id], [time])
        colour = f"C{i % 10}"
        shift = (i - (len(order) - 1) / 2) * 0.008  # equal curves stay visible side by side
        ax.step(part[time].astype(float), part["share"] + shift, where="post", color=colour, linewidth=1.3, label=term_label(row.slogan, lang))
        if central is not None and pd.notna(central.get(row.slogan_id)):
            ax.axvline(float(central[row.slogan_id]), color=colour, linestyle=":", linewidth=0.9)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("Share of groups that have used it")
    ax.set_xlabel(time.capitalize())
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if central is not None:
        ax.set_title("Dotted: first use in the central reference", fontsize=8, loc="left")
    return ax


def plot_lag_distribution(adoption: pd.DataFrame, *, lag: str = "lag_vs_central", group: str = "province", lang: Lang = "en", ax: plt.Axes | None = None) -> plt.Axes:
    """Lag of each group's first use (x, periods; < 0: ahead) per slogan (rows): one dot per adopting group, median marked."""
    data = adoption[adoption[lag].notna()]
    medians = data.groupby("slogan", sort=True)[lag].median().rename("median").reset_index()
    order = list(sort_table(medians, ["median", "slogan"])["slogan"])
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, min(9.0, 0.3 * len(order) + 1.3)), layout="constrained")
    rows = {s: i for i, s in enumerate(order)}
    for slogan, part in data.groupby("slogan", sort=True):
        values = sort_table(part, [lag, group])[lag].astype(float).to_numpy()
        # dots of equal lag side by side: offsets −, +, −−, ++ … around the row
        offsets = np.zeros(len(values))
        for value in np.unique(values):
            same = np.flatnonzero(values == value)
            offsets[same] = (np.arange(len(same)) - (len(same) - 1) / 2) * 0.12
        ax.scatter(values, rows[slogan] + offsets, s=14, color="C0", alpha=0.8, linewidths=0)
        ax.scatter([np.median(values)], [rows[slogan]], marker="|", s=160, color="C3")
    ax.axvline(0, color="black", linewidth=0.7)
    ax.set_yticks(range(len(order)), [term_label(s, lang) for s in order], fontsize=7)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    what = "the central reference" if lag == "lag_vs_central" else "first official use"
    ax.set_xlabel(f"Years after {what} (dots: {group}s; bar: median)")
    ax.grid(axis="y", visible=False)
    return ax
