"""Figures of the corpus: where and when the documents come from, what cleaning did."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa import config
from tifa.figures.labels import Labeller
from tifa.figures.style import label_size, new_axes, row_height

LEVEL_MARKERS = {"province": "s", "prefecture": "o", "county": "^"}


def plot_documents_by_place_and_year(
    summary: pd.DataFrame,
    *,
    place: str = "province",
    labeller: Labeller = Labeller(),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Documents on a place × year grid: marker by administrative level, area by length (Han characters).

    Places are ordered by region (gazetteer), rows shrink so that any number of
    places fits the page.
    """
    data = summary.dropna(subset=["year", place]).copy()
    places = labeller.order(data[place], place)
    per_row = row_height(len(places), preferred=0.3, frame=1.3)
    ax = new_axes(ax, (6.5, per_row * len(places) + 1.3))
    y = {p: i for i, p in enumerate(places)}
    scale = min(600, (per_row * 72 * 0.8) ** 2) / max(data["n_chars"].max(), 1)  # the largest marker fits its row
    for level, group in data.groupby("level", dropna=False, sort=True):
        ax.scatter(
            group["year"].astype(int),
            group[place].map(y),
            s=group["n_chars"] * scale,
            marker=LEVEL_MARKERS.get(level, "D"),
            alpha=0.7,
            label=labeller.level(level),
            edgecolors="black",
            linewidths=0.5,
        )
    ax.set_yticks(range(len(places)), [labeller.place(p) for p in places], fontsize=label_size(per_row))
    ax.set_ylim(len(places) - 0.3, -0.7)
    years = data["year"].astype(int)
    ax.set_xlim(years.min() - 1, years.max() + 1)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(labeller.text("Year"))
    ax.legend(title=labeller.text("Level"), loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=0.5)
    return ax


def plot_cleaning_audit(counts: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Heatmap of edits per document or group (rows) and cleaning step (columns); counts written in cells large enough to read."""
    per_row = row_height(len(counts), preferred=0.4, frame=1.8)
    ax = new_axes(ax, (6.5, per_row * len(counts) + 1.8))
    values = counts.to_numpy()
    ax.imshow(np.log1p(values), cmap="Blues", vmin=0, vmax=max(np.log1p(values).max(), 1) * 1.6, aspect="auto")
    if per_row >= config.ANNOTATE_MIN_CELL[1]:
        for (i, j), n in np.ndenumerate(values):
            ax.text(j, i, str(n), ha="center", va="center", fontsize=min(8, label_size(per_row)))
    ax.set_xticks(range(counts.shape[1]), [c.replace("_", " ") for c in counts.columns], rotation=30, ha="right")
    ax.set_yticks(range(counts.shape[0]), counts.index, fontsize=label_size(per_row))
    ax.grid(False)
    ax.set_title("Edits made by each cleaning step")
    return ax
