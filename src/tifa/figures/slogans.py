"""Figures of slogans (提法): rates by group, timeline, positions in documents, co-occurrence."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa import config
from tifa.figures.labels import group_label, group_order, term_label
from tifa.figures.style import label_size, new_axes, page_size, row_height
from tifa.places import Lang
from tifa.util.tables import sort_table

MAX_SLOGAN_ROWS = 40  # a heatmap shows at most this many slogans (the most used); the table has them all


def plot_slogan_heatmap(
    counts: pd.DataFrame,
    *,
    by: str,
    value: str = "per_10k_chars",
    lang: Lang = "en",
    labels: pd.Series | None = None,
    top: int = MAX_SLOGAN_ROWS,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Slogans (rows) × groups (columns), coloured by ``value`` (default: mentions per 10,000 Han characters).

    Only the ``top`` slogans with the highest total are drawn (never-mentioned
    ones are left out); groups in the order readers expect; values written in
    cells large enough to read. Rates, not counts: documents differ in length.
    """
    table = counts.pivot_table(index="slogan", columns=by, values=value, aggfunc="sum", sort=False).fillna(0)
    totals = counts.groupby("slogan")["count"].sum()
    table = table[totals.reindex(table.index).fillna(0).to_numpy() > 0]
    order = table.sum(axis=1).rename("total").rename_axis("slogan").reset_index()
    table = table.loc[sort_table(order, ["total", "slogan"], ascending=[False, True])["slogan"].head(top)]
    table = table[group_order(table.columns, by)] if labels is None else table
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
    columns = [labels.get(c, c) if labels is not None else group_label(c, by, lang) for c in table.columns]
    ax.set_xticks(range(n_cols), columns, rotation=90 if per_col < 0.3 else 30, ha="center" if per_col < 0.3 else "right", fontsize=label_size(per_col * 0.8))
    ax.set_yticks(range(n_rows), [term_label(s, lang) for s in table.index], fontsize=label_size(per_row))
    ax.grid(False)
    unit = "Mentions per 10,000 Han characters" if value == "per_10k_chars" else value.replace("_", " ")
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.6, pad=0.02, label=f"{unit} (log scale)")
    ticks = [t for t in (0, 1, 2, 5, 10, 20, 50, 100, 200) if t <= max(values.max(), 1)]
    bar.set_ticks(np.log1p(ticks), labels=[str(t) for t in ticks])
    return ax


def plot_slogan_timeline(counts: pd.DataFrame, lexicon: pd.DataFrame, *, lang: Lang = "en", ax: plt.Axes | None = None) -> plt.Axes:
    """Slogans (rows) by year (x): dots sized by mentions per 10,000 characters; ▼ marks the entry's ``first_used`` year.

    ``counts`` is :func:`tifa.slogans.count_slogans` by ``year``; slogans never
    mentioned are left out; rows shrink to fit the page.
    """
    used = counts[counts["count"] > 0]
    first_year = used.groupby("slogan")["year"].min().rename("first").reset_index()
    order = list(sort_table(first_year, ["first", "slogan"])["slogan"])
    per_row = row_height(len(order), preferred=0.26, frame=1.5)
    ax = new_axes(ax, (6.5, per_row * len(order) + 1.5))
    rows = {s: i for i, s in enumerate(order)}
    scale = 120 * min(1.0, per_row / 0.26) / max(used["per_10k_chars"].max(), 1e-9)
    ax.scatter(used["year"].astype(int), used["slogan"].map(rows), s=used["per_10k_chars"] * scale + 4, color="C0", alpha=0.8, label="mentions (area: per 10,000 characters)")
    first = lexicon.set_index("slogan").loc[order, "first_used"].str[:4].astype(int)
    ax.scatter(first.to_numpy(), range(len(order)), marker="v", s=18, color="C1", label="first official use (lexicon)")
    ax.set_yticks(range(len(order)), [term_label(s, lang) for s in order], fontsize=label_size(per_row))
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("Year")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.75 / ax.figure.get_figheight()), ncols=2)
    return ax


def plot_slogan_xray(mentions: pd.DataFrame, lengths: pd.Series, *, slogans: list[str], labels: pd.Series | None = None, lang: Lang = "en") -> plt.Figure:
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
        ax.set_title(term_label(slogan, lang), loc="left", fontsize=9)
        ax.grid(axis="y", visible=False)
    axes[-1, 0].set_xlabel("Relative position in the document")
    return fig


def plot_cooccurrence(matrix: pd.DataFrame, *, lang: Lang = "en", ax: plt.Axes | None = None, value_label: str = "units with both") -> plt.Axes:
    """Symmetric slogan × slogan matrix (e.g. number of sentences holding both); values written in cells large enough."""
    n = len(matrix)
    cell = min(0.42, 4.6 / max(n, 1))
    ax = new_axes(ax, (cell * n + 3.0, cell * n + 2.0))
    values = matrix.to_numpy()
    image = ax.imshow(values, cmap="Purples", vmin=0)
    if cell >= config.ANNOTATE_MIN_CELL[0]:
        for (i, j), v in np.ndenumerate(values):
            if v:
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=7)
    names = [term_label(s, lang) for s in matrix.index]
    ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=label_size(cell))
    ax.set_yticks(range(n), names, fontsize=label_size(cell))
    ax.grid(False)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.7, label=value_label)
    bar.locator = matplotlib.ticker.MaxNLocator(integer=True)
    bar.update_ticks()
    return ax
