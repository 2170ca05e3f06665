"""Figures of slogans (提法): rates by group, timeline, positions in documents, co-occurrence."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa import config
from tifa.figures.labels import Labeller
from tifa.figures.maps import MISSING_COLOUR, MISSING_HATCH, MISSING_HATCH_COLOUR
from tifa.figures.style import label_size, new_axes, page_size, row_height
from tifa.figures.timeaxis import (
    missing_years,
    set_year_ticks,
    shade_missing,
    year_span,
)
from tifa.util.tables import sort_table

MAX_SLOGAN_ROWS = 40  # a heatmap shows at most this many slogans (the most used); the table has them all


def plot_slogan_heatmap(
    counts: pd.DataFrame,
    *,
    by: str,
    value: str = "per_10k",
    labeller: Labeller = Labeller(),
    labels: pd.Series | None = None,
    top: int = MAX_SLOGAN_ROWS,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Slogans (rows) × groups (columns), coloured by ``value`` (default: mentions per 10,000 Han characters).

    Only the ``top`` slogans with the highest total are drawn (never-mentioned
    ones are left out); groups in ``labeller.order`` (or as ``labels``, a label per
    column value, gives them); values written in cells large enough to read, white
    on dark cells. Rates, not counts: documents differ in length.
    """
    table = counts.pivot_table(index="slogan", columns=by, values=value, aggfunc="sum", sort=False).fillna(0)
    totals = counts.groupby("slogan")["count"].sum()
    table = table[totals.reindex(table.index).fillna(0).to_numpy() > 0]
    order = table.sum(axis=1).rename("total").rename_axis("slogan").reset_index()
    table = table.loc[sort_table(order, ["total", "slogan"], ascending=[False, True])["slogan"].head(top)]
    table = table[labeller.order(table.columns, by)] if labels is None else table
    n_rows, n_cols = table.shape
    per_row = row_height(n_rows, preferred=0.26, frame=1.6)
    per_col = min(0.9, (config.PAGE_SIZE[0] - 2.6) / max(n_cols, 1))
    ax = new_axes(ax, (per_col * n_cols + 2.6, per_row * n_rows + 1.6))
    values = table.to_numpy(dtype=float)
    image = ax.imshow(np.log1p(values), cmap="Blues", aspect="auto", vmin=0)
    if per_col >= config.ANNOTATE_MIN_CELL[0] and per_row >= config.ANNOTATE_MIN_CELL[1]:
        dark = np.log1p(values).max() * 0.6
        for (i, j), v in np.ndenumerate(values):
            if v:
                ax.text(j, i, f"{v:.1f}" if value != "count" else f"{v:.0f}", ha="center", va="center", fontsize=6.5, color="white" if np.log1p(v) >= dark else "black")
    columns = [labels.get(c, c) if labels is not None else labeller.group(c, by) for c in table.columns]
    ax.set_xticks(range(n_cols), columns, rotation=90 if per_col < 0.3 else 30, ha="center" if per_col < 0.3 else "right", fontsize=label_size(per_col * 0.8))
    ax.set_yticks(range(n_rows), [labeller.term(s) for s in table.index], fontsize=label_size(per_row))
    ax.grid(False)
    unit = labeller.text("Mentions per 10,000 Han characters") if value == "per_10k" else value.replace("_", " ")
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.6, pad=0.02, label=f"{unit} (log scale)")
    ticks = [t for t in (0, 1, 2, 5, 10, 20, 50, 100, 200) if t <= max(values.max(), 1)]
    bar.set_ticks(np.log1p(ticks), labels=[str(t) for t in ticks])
    return ax


def plot_slogan_timeline(counts: pd.DataFrame, lexicon: pd.DataFrame, *, years: Iterable | None = None, labeller: Labeller = Labeller(), ax: plt.Axes | None = None) -> plt.Axes:
    """Slogans (rows) by year (x): dots sized by mentions per 10,000 characters; ▼ marks the entry's ``first_used`` year
    (entries without a date have none); the years of the span without a document (``years``: the years observed,
    default those of ``counts``) are shaded.

    ``counts`` is :func:`tifa.slogans.count_slogans` by ``year``; ``lexicon`` has ``slogan, first_used``; slogans never
    mentioned are left out; rows shrink to fit the page.
    """
    used = counts[counts["count"] > 0]
    first_year = used.groupby("slogan")["year"].min().rename("first").reset_index()
    order = list(sort_table(first_year, ["first", "slogan"])["slogan"])
    per_row = row_height(len(order), preferred=0.26, frame=1.5)
    ax = new_axes(ax, (6.5, per_row * len(order) + 1.5))
    rows = {s: i for i, s in enumerate(order)}
    observed = [int(y) for y in (counts["year"] if years is None else years) if not pd.isna(y)]
    shade_missing(ax, missing_years(observed, year_span(observed)), labeller)
    scale = 120 * min(1.0, per_row / 0.26) / max(used["per_10k"].max(), 1e-9)
    ax.scatter(used["year"].astype(int), used["slogan"].map(rows), s=used["per_10k"] * scale + 4, color="C0", alpha=0.8, label=labeller.text("mentions (area: per 10,000 characters)"))
    first = lexicon.drop_duplicates("slogan").set_index("slogan").reindex(order)["first_used"].str[:4].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    span = year_span(observed)
    inside = (first >= span[0]) & (first <= span[-1])
    ax.scatter(first[inside], np.arange(len(order))[inside], marker="v", s=18, color="C1", label=labeller.text("first official use (lexicon)"))
    for row in np.flatnonzero(~np.isnan(first) & ~inside):  # a date outside the years observed is written beside the axes, not stretching them
        ax.annotate(f"▼ {first[row]:.0f}", xy=(1.01, row), xycoords=("axes fraction", "data"), color="C1", fontsize=label_size(per_row) - 1, va="center", ha="left")
    ax.set_yticks(range(len(order)), [textwrap.fill(labeller.term(s), 30) for s in order], fontsize=label_size(per_row))
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlim(span[0] - 0.8, span[-1] + 0.8)
    set_year_ticks(ax, span, most=6)
    ax.set_xlabel(labeller.text("Year"))
    handles, texts = ax.get_legend_handles_labels()  # below the figure, in columns only when they fit its width (bilingual labels are long)
    ax.figure.legend(handles, texts, loc="outside lower center", ncols=3 if sum(map(len, texts)) < 100 else 1)
    return ax


def plot_slogan_xray(mentions: pd.DataFrame, lengths: pd.Series, *, slogans: list[str], labels: pd.Series | None = None, labeller: Labeller = Labeller()) -> plt.Figure:
    """Lexical dispersion ("x-ray"): where in each document (x: relative position) each slogan occurs; one panel per slogan."""
    docs = list(lengths.index)
    per_row = row_height(len(docs) * len(slogans), preferred=0.3, frame=1.0 + 0.35 * len(slogans))
    fig, axes = plt.subplots(len(slogans), 1, figsize=page_size(6.5, per_row * len(docs) * len(slogans) + 1.0 + 0.35 * len(slogans)), sharex=True, squeeze=False)
    for ax, slogan in zip(axes[:, 0], slogans):
        hits = mentions[mentions["slogan"] == slogan]
        y = hits["doc_id"].map({d: i for i, d in enumerate(docs)})
        x = hits["start"] / hits["doc_id"].map(lengths)
        ax.scatter(x, y, marker="|", s=min(120, 400 * per_row), color="C0")
        ax.set_yticks(range(len(docs)), [labels.get(d, d) if labels is not None else d for d in docs], fontsize=label_size(per_row))
        ax.set_ylim(len(docs) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_title(labeller.term(slogan), loc="left", fontsize=9)
        ax.grid(axis="y", visible=False)
    axes[-1, 0].set_xlabel("Relative position in the document")
    return fig


def plot_cooccurrence(matrix: pd.DataFrame, *, labeller: Labeller = Labeller(), ax: plt.Axes | None = None, value_label: str = "units with both") -> plt.Axes:
    """Symmetric slogan × slogan matrix (e.g. number of sentences holding both); values written in cells large enough
    (white on dark cells). NaN off the diagonal means a pair not shown (e.g. outside the top pairs): hatched, with a
    legend entry, never drawn as 0. The diagonal (a slogan with itself) is plain grey."""
    n = len(matrix)
    cell = min(0.42, 4.6 / max(n, 1))
    ax = new_axes(ax, (cell * n + 3.0, cell * n + 2.0))
    values = matrix.to_numpy(dtype=float).copy()
    np.fill_diagonal(values, np.nan)
    hidden = np.isnan(values) & ~np.eye(n, dtype=bool)
    vmax = max(float(np.nanmax(values)) if np.isfinite(values).any() else 1.0, 1.0)
    cmap = plt.get_cmap("Purples")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=vmax)
    for i in range(n):  # a slogan with itself: no pair, grey
        ax.add_patch(matplotlib.patches.Rectangle((i - 0.5, i - 0.5), 1, 1, facecolor="0.85", edgecolor="none"))
    for i, j in zip(*np.nonzero(hidden)):
        ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, hatchcolor=MISSING_HATCH_COLOUR, edgecolor="none"))
    if cell >= config.ANNOTATE_MIN_CELL[0]:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v) and v:
                r, g, b, _ = cmap(v / vmax)
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=7, color="white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black")
    names = [labeller.term(s) for s in matrix.index]
    ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=label_size(cell))
    ax.set_yticks(range(n), names, fontsize=label_size(cell))
    ax.grid(False)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.7, label=labeller.text(value_label))
    bar.locator = matplotlib.ticker.MaxNLocator(integer=True)
    bar.update_ticks()
    if hidden.any():
        ax.legend(handles=[matplotlib.patches.Patch(facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, hatchcolor=MISSING_HATCH_COLOUR, label=labeller.text("not drawn: outside the pairs shown"))],
                  loc="upper center", bbox_to_anchor=(0.5, -0.25), fontsize=7, frameon=False)
    return ax
