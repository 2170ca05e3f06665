"""Figures of term statistics: top terms, keyness, word clouds, similarity — page-sized whatever the number of groups."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa import config
from tifa.errors import InputError
from tifa.figures.labels import Labeller
from tifa.figures.style import (
    current_font_path,
    label_size,
    new_axes,
    page_size,
    pages,
    panel_grid,
)
from tifa.util.tables import sort_table


def plot_top_terms(freq: pd.DataFrame, *, by: str, n: int = 10, labeller: Labeller = Labeller(), ncols: int = 3) -> list[plt.Figure]:
    """Small multiples: the ``n`` most frequent terms of each group (bars: per 10,000 tokens), with a shared x axis.

    Groups in ``labeller.order`` (places by region); terms as written; at most
    ``config.PANELS_PER_PAGE`` panels per figure, so many groups give numbered figures.
    """
    groups = labeller.order(freq[by], by)
    top = freq.groupby(by, sort=False).head(n)
    limit = float(top["per_10k"].max()) * 1.05 if len(top) else 1.0
    figures = []
    for page in pages(groups, config.PANELS_PER_PAGE):
        per_panel = 0.16 * n + 0.7
        fig, axes = panel_grid(len(page), ncols=ncols, panel=(2.4, per_panel))
        for ax, group in zip(axes, page):
            rows = top[top[by] == group]
            ax.barh(range(len(rows)), rows["per_10k"], color="C0")
            ax.set_yticks(range(len(rows)), list(rows["term"]), fontsize=7)
            ax.set_ylim(n - 0.5, -0.5)
            ax.set_xlim(0, limit)
            ax.set_title(labeller.group(group, by), fontsize=9)
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="x", labelsize=7)
        fig.supxlabel(labeller.text("Occurrences per 10,000 tokens"), fontsize=9)
        figures.append(fig)
    return figures


def plot_keyness(keyness: pd.DataFrame, *, n: int = 10, ax: plt.Axes | None = None, title: str = "") -> plt.Axes:
    """Diverging bars of signed G²: the ``n`` most over-used terms of the target (right) and most under-used (left), as written."""
    ax = new_axes(ax, (3.4, 0.2 * 2 * n + 1.0))
    over = keyness[keyness["g2"] > 0].head(n)
    under = sort_table(keyness[keyness["g2"] < 0], ["g2", "term"]).head(n)
    rows = pd.concat([over, under.iloc[::-1]])
    colors = ["C1" if g > 0 else "C0" for g in rows["g2"]]
    ax.barh(range(len(rows)), rows["g2"], color=colors)
    ax.set_yticks(range(len(rows)), list(rows["term"]))
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("Signed G² (target vs reference)")
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    return ax


def plot_keyness_grid(tables: dict, *, by: str, n: int = 8, labeller: Labeller = Labeller(), ncols: int = 3, reference: str | int | None = None) -> list[plt.Figure]:
    """One keyness panel per target group (each against the rest, or the ``reference`` group), at most ``config.PANELS_PER_PAGE`` per figure."""
    groups = labeller.order(tables, by)
    against = labeller.text("vs rest") if reference is None else f"{labeller.text('vs')} {labeller.group(reference, by)}"
    figures = []
    per_page = min(config.PANELS_PER_PAGE, ncols * max(1, int(config.PAGE_SIZE[1] // (0.14 * 2 * n + 0.8))))
    for page in pages(groups, per_page):
        fig, axes = panel_grid(len(page), ncols=ncols, panel=(2.4, 0.14 * 2 * n + 0.8))
        for ax, group in zip(axes, page):
            plot_keyness(tables[group], n=n, ax=ax, title=f"{labeller.group(group, by)} {against}")
            ax.set_xlabel("")
            ax.tick_params(labelsize=6.5)
            ax.title.set_fontsize(8.5)
        fig.supxlabel(f"Signed G² (positive: used more than in {'the other documents' if reference is None else labeller.group(reference, by)})", fontsize=9)
        figures.append(fig)
    return figures


def plot_wordclouds(freq: pd.DataFrame, *, by: str, n: int = 60, labeller: Labeller = Labeller(), ncols: int = 3, random_state: int = config.RANDOM_STATE) -> plt.Figure:
    """One word cloud per group from its term counts, drawn with the configured CJK font (fixed ``random_state``).

    Meant for a few groups (``config.WORDCLOUD_MAX_GROUPS``): select groups before calling.
    """
    from wordcloud import WordCloud

    groups = labeller.order(freq[by], by)
    if len(groups) > config.WORDCLOUD_MAX_GROUPS:
        raise InputError(f"{len(groups)} word clouds would not say much; select at most {config.WORDCLOUD_MAX_GROUPS} groups")
    font = str(current_font_path())
    fig, axes = panel_grid(len(groups), ncols=ncols, panel=(2.4, 1.8))
    for ax, group in zip(axes, groups):
        top = freq[freq[by] == group].head(n)
        cloud = WordCloud(font_path=font, width=600, height=400, background_color="white", random_state=random_state, prefer_horizontal=1.0)
        cloud.generate_from_frequencies(dict(zip(top["term"], top["count"])))
        ax.imshow(cloud.to_array(), interpolation="bilinear")
        ax.set_title(labeller.group(group, by))
        ax.set_axis_off()
    return fig


def plot_similarity(similarity: pd.DataFrame, linkage, *, labels: pd.Series | None = None) -> plt.Figure:
    """Heatmap of cosine similarity, ordered by hierarchical clustering, with the dendrogram above.

    The colour scale spans the off-diagonal values (the diagonal is 1 by
    definition); values are written in the cells only when there are few rows.
    """
    from mpl_toolkits.axes_grid1 import make_axes_locatable
    from scipy.cluster.hierarchy import dendrogram

    n = len(similarity)
    names = [labels.get(i, i) for i in similarity.index] if labels is not None else list(similarity.index)
    size = min(6.5, max(5.2, 0.16 * n + 2.5))
    fig, ax = plt.subplots(figsize=page_size(size, size), layout="none")
    divider = make_axes_locatable(ax)
    top = divider.append_axes("top", size="22%", pad=0.05)
    cax = divider.append_axes("right", size="4%", pad=0.1)
    tree = dendrogram(linkage, ax=top, no_labels=True, color_threshold=0, above_threshold_color="0.3")
    top.set_xlim(0, 10 * len(tree["leaves"]))  # leaves sit at 5, 15, …: one heatmap column each
    top.set_axis_off()
    order = tree["leaves"]
    values = similarity.to_numpy()[np.ix_(order, order)]
    off = values[~np.eye(n, dtype=bool)] if n > 1 else values.ravel()
    low, high = float(off.min()), float(off.max())
    if high <= low:
        low, high = 0.0, 1.0
    image = ax.imshow(values, cmap="viridis", vmin=low, vmax=high)
    fontsize = label_size((size * 0.7) / max(n, 1))
    ax.set_xticks(range(n), [names[i] for i in order], rotation=90 if n > 12 else 40, ha="center" if n > 12 else "right", fontsize=fontsize)
    ax.set_yticks(range(n), [names[i] for i in order], fontsize=fontsize)
    if n <= 12:
        middle = (low + high) / 2
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < middle else "black")
    ax.grid(False)
    fig.colorbar(image, cax=cax, label="Cosine similarity (tf-idf); colours span the off-diagonal range")
    return fig
