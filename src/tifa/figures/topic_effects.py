"""Figures of a structural topic model: prevalence along year and by place with the model's uncertainty, contrasts, the choice of K."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa import config
from tifa.figures.labels import Labeller
from tifa.figures.style import label_size, pages, panel_grid, row_height
from tifa.figures.timeaxis import missing_years, shade_missing, year_span
from tifa.util.tables import sort_table

BAND = "95% interval: topic-model and between-document uncertainty"
DRAWN_DECIMALS = 6  # values are drawn rounded: the last bits differ between CPUs' SIMD paths, pixels must not


def _drawn(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """The table with its float columns rounded to ``DRAWN_DECIMALS`` (far below a pixel), so every CPU draws the same image."""
    if table is None:
        return None
    floats = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    return table.assign(**{c: table[c].round(DRAWN_DECIMALS) for c in floats})


def _title(topic: int, labels: dict[int, str]) -> str:
    return f"T{topic}: {labels.get(topic, '')}"


def plot_topic_effects_over_time(
    effects: pd.DataFrame, labels: dict[int, str], *, time: str = "year", observed: pd.DataFrame | None = None, years: Sequence[int] | None = None, ncols: int = 3
) -> list[plt.Figure]:
    """One panel per topic: expected prevalence along ``time`` with its 95 % band (``topic_effects`` rows of that covariate).

    ``observed`` (``time, topic, prevalence``, e.g. ``topic_prevalence(model, by="year")``)
    adds each period's mean share as grey dots, so the curve can be read against the data.
    Years without a document (``years``: those observed, default the periods of ``observed``)
    are shaded; there the curve is dashed and has no band: it is the spline's interpolation,
    not an estimate from documents of that year. The y axis is shared: topics are compared on one scale.
    """
    rows, observed = _drawn(effects[effects["covariate"] == time]), _drawn(observed)
    if years is None and observed is not None:
        years = observed[time].dropna().astype(int).unique()
    seen = None if years is None else {int(y) for y in years}
    topics = sorted(rows["topic"].unique().tolist())
    ncols = ncols if len(topics) <= 9 else 4
    top = float(np.nanmax([rows["ci_high"].max(), rows["estimate"].max(), observed["prevalence"].max() if observed is not None else 0]))
    bottom = min(0.0, float(np.nanmin([rows["ci_low"].min(), rows["estimate"].min()])))  # a linear model can go below 0: show it
    figures = []
    for page in pages(topics, config.PANELS_PER_PAGE if ncols == 3 else 16):
        fig, axes = panel_grid(len(page), ncols=ncols, panel=(7.2 / ncols, 1.9 if ncols == 3 else 1.7))
        for ax, topic in zip(axes, page):
            curve = sort_table(rows[rows["topic"] == topic], ["value"])
            colour = f"C{topic % 8}"
            if observed is not None:
                dots = observed[observed["topic"] == topic]
                ax.scatter(dots[time].astype(float), dots["prevalence"], s=4, color="0.55", linewidths=0, zorder=1)
            at = curve["value"].astype(float)
            if seen is None:
                ax.fill_between(at, curve["ci_low"], curve["ci_high"], color=colour, alpha=0.25, linewidth=0, zorder=2)
                ax.plot(at, curve["estimate"], color=colour, linewidth=1.2, zorder=3)
            else:
                shade_missing(ax, missing_years(seen, year_span(seen)), Labeller(), label=False)
                known = at.round().astype(int).isin(seen).to_numpy()
                ax.plot(at, curve["estimate"], color=colour, linewidth=0.8, linestyle=(0, (2, 1.5)), zorder=3)
                ax.fill_between(at, curve["ci_low"], curve["ci_high"], where=known, color=colour, alpha=0.25, linewidth=0, zorder=2)
                ax.plot(at, curve["estimate"].where(known), color=colour, linewidth=1.2, zorder=3)
            ax.set_ylim(bottom - 0.02 * (top - bottom), top + 0.05 * (top - bottom))
            if bottom < 0:
                ax.axhline(0, color="0.6", linewidth=0.6)
            ax.set_title(_title(topic, labels), fontsize=7.5)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=4))
            ax.tick_params(labelsize=6.5)
        fig.supxlabel(time.capitalize(), fontsize=9)
        fig.supylabel("Expected topic share", fontsize=9)
        gaps = "" if seen is None or not missing_years(seen, year_span(seen)) else f"\nshaded: {time}s without a document (dashed: the spline between observed {time}s)"
        fig.suptitle(f"Line: expected share; band: {BAND}" + (f"; dots: mean share of each {time}'s units" if observed is not None else "") + gaps, fontsize=7.5)
        figures.append(fig)
    return figures


def _order(levels, by: str, labeller: Labeller) -> list:
    if by == "region":
        rank = {r: i for i, r in enumerate(config.REGION_ORDER)}
        return sorted(levels, key=lambda r: (rank.get(r, len(rank)), str(r)))
    return labeller.order(levels, by)


def plot_topic_effects_by_group(effects: pd.DataFrame, labels: dict[int, str], *, by: str, labeller: Labeller = Labeller()) -> list[plt.Figure]:
    """One panel per topic: expected prevalence at each level of ``by`` (dot) with its 95 % interval (whisker), levels in reading order (provinces by region).

    A level of a single document has no interval: drawn as an open circle.
    """
    rows = _drawn(effects[effects["covariate"] == by])
    levels = _order(rows["level"].unique(), by, labeller)
    topics = sorted(rows["topic"].unique().tolist())
    many = len(levels) > 12
    ncols = 5 if many else 4
    per_page = 2 * ncols if many else 3 * ncols
    per_row = row_height(len(levels), preferred=0.16, frame=1.2, height=(config.PAGE_SIZE[1] - 1.2) / (2 if many else 3))
    size = label_size(per_row)
    figures = []
    for page in pages(topics, per_page):
        fig, axes = panel_grid(len(page), ncols=ncols, panel=(7.2 / ncols, per_row * len(levels) + 0.6))
        for i, (ax, topic) in enumerate(zip(axes, page)):
            table = rows[rows["topic"] == topic].set_index("level").loc[levels]
            y = np.arange(len(levels))[::-1]
            has = table["ci_low"].notna().to_numpy()
            colour = f"C{topic % 8}"
            ax.hlines(y[has], table["ci_low"][has], table["ci_high"][has], color=colour, linewidth=1)
            ax.scatter(table["estimate"][has], y[has], s=9, color=colour, zorder=3)
            ax.scatter(table["estimate"][~has], y[~has], s=9, facecolors="white", edgecolors=colour, linewidths=0.8, zorder=3)
            ax.set_yticks(y, [labeller.group(v, by) for v in levels] if i % ncols == 0 else [], fontsize=size)
            ax.set_ylim(-0.7, len(levels) - 0.3)
            lowest = float(np.nanmin([table["ci_low"].min(), table["estimate"].min()]))
            if lowest < 0:  # a linear model's expected share can fall below 0: show it, with the 0 line
                ax.axvline(0, color="0.6", linewidth=0.6)
            else:
                ax.set_xlim(left=0)
            ax.set_title(_title(topic, labels), fontsize=7)
            ax.tick_params(axis="x", labelsize=6)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=3))
            ax.grid(axis="y", visible=False)
        fig.supxlabel(f"Expected topic share ({BAND}; open circle: one document, no interval)", fontsize=7.5)
        figures.append(fig)
    return figures


def plot_topic_contrast(contrast: pd.DataFrame, labels: dict[int, str], *, labeller: Labeller = Labeller()) -> plt.Figure:
    """Difference in expected prevalence between two values of a covariate, per topic (ordered by the difference), with 95 % intervals."""
    table = sort_table(_drawn(contrast), ["estimate", "topic"], ascending=[True, True]).reset_index(drop=True)
    covariate = str(table["covariate"].iloc[0])
    first, second = str(table["level"].iloc[0]).split(" − ")
    if covariate in ("province", "city", "level"):
        first, second = labeller.group(first, covariate), labeller.group(second, covariate)
    per_row = row_height(len(table), preferred=0.3, frame=1.4)
    fig, ax = plt.subplots(figsize=(5.6, per_row * len(table) + 1.4))
    y = np.arange(len(table))
    has = table["ci_low"].notna().to_numpy()
    colours = [f"C{t % 8}" for t in table["topic"]]
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.hlines(y[has], table["ci_low"][has], table["ci_high"][has], colors=np.array(colours)[has], linewidth=1.2)
    ax.scatter(table["estimate"], y, s=14, c=colours, zorder=3)
    ax.set_yticks(y, [_title(t, labels) for t in table["topic"]], fontsize=label_size(per_row, largest=7.5))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"Difference in expected topic share: {first} − {second} ({covariate})", fontsize=8)
    if not has.all():
        ax.set_title("No interval: a level with a single document", fontsize=7.5)
    return fig


def plot_stm_k_search(selection: pd.DataFrame, *, chosen: int | None = None) -> plt.Figure:
    """stm's searchK diagnostics against K: held-out likelihood, semantic coherence, exclusivity, residual dispersion; the chosen K circled."""
    metrics = [("heldout", "Held-out log-likelihood"), ("semcoh", "Semantic coherence"), ("exclusivity", "Exclusivity"), ("dispersion", "Residual dispersion")]
    table = sort_table(_drawn(selection), ["k"])
    fig, axes = plt.subplots(1, 4, figsize=(7.2, 2.2))
    for ax, (column, title) in zip(axes, metrics):
        ax.plot(table["k"], table[column], "o-", color="C0", markersize=3)
        if chosen is not None:
            pick = table[table["k"] == chosen]
            ax.scatter(pick["k"], pick[column], s=90, facecolors="none", edgecolors="C3", linewidths=1.2)
        if column == "dispersion":
            ax.axhline(1, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_title(title, fontsize=8.5)
        ax.set_xlabel("K", fontsize=8)
        ax.tick_params(labelsize=6.5)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return fig


def plot_coherence_exclusivity(selection: pd.DataFrame, *, chosen: int | None = None) -> plt.Figure:
    """Semantic coherence against exclusivity, one point per K (labelled); better models lie up and to the right; the chosen K circled."""
    selection = _drawn(selection)
    fig, ax = plt.subplots(figsize=(3.8, 3.2))
    ax.plot(selection["semcoh"], selection["exclusivity"], "o", color="C0", markersize=4)
    for row in selection.itertuples():
        ax.annotate(f"K={int(row.k)}", (row.semcoh, row.exclusivity), textcoords="offset points", xytext=(4, 3), fontsize=7)
    if chosen is not None:
        pick = selection[selection["k"] == chosen]
        ax.scatter(pick["semcoh"], pick["exclusivity"], s=120, facecolors="none", edgecolors="C3", linewidths=1.2)
    ax.set_xlabel("Semantic coherence (mean over topics)", fontsize=8)
    ax.set_ylabel("Exclusivity (mean over topics)", fontsize=8)
    ax.tick_params(labelsize=7)
    return fig
