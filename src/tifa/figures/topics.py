"""Figures of topic models: K selection, top terms, prevalence by group and over time."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa import config
from tifa.figures.labels import Labeller
from tifa.figures.style import label_size, new_axes, pages, panel_grid, row_height
from tifa.figures.timeaxis import (
    missing_years,
    on_span,
    set_year_ticks,
    shade_missing,
    year_span,
)
from tifa.util.tables import sort_table


def plot_topic_terms(top_terms: pd.DataFrame, labels: dict[int, str], *, ncols: int = 3) -> list[plt.Figure]:
    """One panel per topic: its top terms by weight (``TopicModel.top_terms``), titled with the topic's label; numbered figures beyond a page."""
    topics = sorted(top_terms["topic"].unique().tolist())
    n_terms = int(top_terms.groupby("topic").size().max())
    ncols = ncols if len(topics) <= 9 else 4
    figures = []
    for page in pages(topics, config.PANELS_PER_PAGE if ncols == 3 else 16):
        fig, axes = panel_grid(len(page), ncols=ncols, panel=(7.2 / ncols, 0.16 * n_terms + 0.7))
        for ax, topic in zip(axes, page):
            rows = top_terms[top_terms["topic"] == topic]
            ax.barh(range(len(rows)), rows["weight"], color=f"C{topic % 8}")
            ax.set_yticks(range(len(rows)), rows["term"], fontsize=7)
            ax.invert_yaxis()
            ax.set_title(f"T{topic}: {labels.get(topic, '')}", fontsize=7.5)
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="x", labelsize=6.5)
        fig.supxlabel("Weight in the topic", fontsize=9)
        figures.append(fig)
    return figures


def plot_prevalence_heatmap(prevalence: pd.DataFrame, labels: dict[int, str], *, by: str, labeller: Labeller = Labeller(), ax: plt.Axes | None = None) -> plt.Axes:
    """Groups (rows, in the order readers expect) × topics (columns): mean topic share; values written in cells large enough."""
    table = prevalence.pivot(index=by, columns="topic", values="prevalence")
    table = table.loc[labeller.order(table.index, by)]
    per_row = row_height(len(table), preferred=0.42, frame=2.2)
    per_col = min(0.9, (config.PAGE_SIZE[0] - 2.4) / max(table.shape[1], 1))
    ax = new_axes(ax, (per_col * table.shape[1] + 2.4, per_row * len(table) + 2.2))
    values = table.to_numpy()
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=max(float(np.nanmax(values)), 0.05), aspect="auto")
    if per_col >= config.ANNOTATE_MIN_CELL[0] and per_row >= config.ANNOTATE_MIN_CELL[1]:
        middle = float(np.nanmax(values)) * 0.6
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5, color="white" if v < middle else "black")
    ax.set_xticks(range(table.shape[1]), [f"T{t}: {labels.get(t, '')}" for t in table.columns], rotation=35, ha="right", fontsize=label_size(per_col * 0.6, largest=7))
    ax.set_yticks(range(len(table)), [labeller.group(g, by) for g in table.index], fontsize=label_size(per_row))
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label=labeller.text("Mean topic share of the units"))
    return ax


def plot_prevalence_by(prevalence: pd.DataFrame, labels: dict[int, str], *, by: str, years: Iterable | None = None, labeller: Labeller = Labeller(), ncols: int = 3) -> list[plt.Figure]:
    """One panel per topic: prevalence by ``by`` (e.g. year) with bootstrap intervals where they were computed (groups of ≥ 2 units).

    ``by="year"`` (or any ``years`` given) is a time axis in whole years: every year of the span has its place, years
    not observed (``years``: the years with documents; else those of the table) are shaded and break the line and the band.
    """
    topics = sorted(prevalence["topic"].unique().tolist())
    ncols = ncols if len(topics) <= 9 else 4
    numeric = pd.api.types.is_numeric_dtype(prevalence[by]) and (by == "year" or years is not None)
    observed = [int(y) for y in (prevalence[by] if years is None else years) if not pd.isna(y)] if numeric else []
    span = year_span(observed, prevalence[by]) if numeric else None
    gaps = missing_years(observed, span) if numeric else []
    figures = []
    for page in pages(topics, config.PANELS_PER_PAGE if ncols == 3 else 16):
        fig, axes = panel_grid(len(page), ncols=ncols, panel=(7.2 / ncols, 1.9 if ncols == 3 else 1.7))
        for ax, topic in zip(axes, page):
            rows = sort_table(prevalence[prevalence["topic"] == topic], [by])
            if numeric:
                indexed = rows.set_index(by)
                x = span
                y, low, high = (on_span(indexed[c], span, observed).to_numpy() for c in ("prevalence", "ci_low", "ci_high"))
                shade_missing(ax, gaps, labeller)
            else:
                x = rows[by].astype(float).to_numpy() if pd.api.types.is_numeric_dtype(rows[by]) else np.arange(len(rows))
                y, low, high = rows["prevalence"].to_numpy(), rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
            ax.plot(x, y, "o-", color=f"C{topic % 8}", markersize=2.5, linewidth=1)
            ax.fill_between(x, low, high, color=f"C{topic % 8}", alpha=0.2, linewidth=0)
            ax.set_ylim(0, 1)
            ax.set_title(f"T{topic}: {labels.get(topic, '')}", fontsize=7.5)
            if numeric:
                set_year_ticks(ax, span, most=4)
            else:
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=4))
            ax.tick_params(labelsize=6.5)
        fig.supxlabel(labeller.text("Year") if by == "year" else by.capitalize(), fontsize=9)
        fig.supylabel(labeller.text("Topic share (band: 95% bootstrap interval over documents)"), fontsize=9)
        figures.append(fig)
    return figures


def plot_k_selection(selection: pd.DataFrame, *, chosen: dict[str, int] | None = None) -> plt.Figure:
    """Coherence (NPMI, UMass) and stability across subsamples against K, one line per method; the chosen K circled."""
    metrics = [("npmi", "NPMI coherence"), ("umass", "UMass coherence"), ("stability", "Stability across subsamples")]
    fig, axes = plt.subplots(1, 3, figsize=(7.0, 2.4))
    for ax, (column, title) in zip(axes, metrics):
        for i, (method, rows) in enumerate(selection.groupby("method", sort=True)):
            ax.plot(rows["k"], rows[column], "o-", color=f"C{i}", label=method.upper(), markersize=3)
            if chosen and method in chosen:
                pick = rows[rows["k"] == chosen[method]]
                ax.scatter(pick["k"], pick[column], s=90, facecolors="none", edgecolors=f"C{i}", linewidths=1.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("K")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0].legend()
    return fig

