"""Figures of slogan diffusion: the group × year panel heatmap, adoption curves over the risk set, lags behind the centre.

Builders take the tables of :mod:`tifa.panel` and :mod:`tifa.adoption` and what
they draw (the years observed, a :class:`~tifa.figures.labels.Labeller`) from the
caller and return Figures; they never load data. Time axes are numeric years:
years without a document are shaded and break lines. Rows and lines keep a
total order (stable sorts with tie-breakers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.collections import PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from tifa import config
from tifa.figures.labels import Labeller
from tifa.figures.maps import MISSING_COLOUR, MISSING_HATCH, MISSING_HATCH_COLOUR
from tifa.figures.style import label_size, page_size, pages, row_height
from tifa.figures.timeaxis import (
    missing_years,
    on_span,
    set_year_ticks,
    shade_missing,
    year_span,
)
from tifa.util.tables import sort_table

MAX_DOTS = 6  # at most this many groups with the same lag of one slogan are dots side by side; more: a histogram per slogan


def _title_lang(labeller: Labeller) -> str:
    return "zh" if labeller.lang == "zh" else "both"


def plot_panel_heatmap(
    panel: pd.DataFrame,
    *,
    slogans: Sequence[str],
    years: Iterable | None = None,
    group: str = "province",
    time: str = "year",
    labeller: Labeller = Labeller(),
    ncols: int = 2,
) -> plt.Figure:
    """One panel per slogan: groups (rows, in ``labeller.order``) × every year of the span (columns), colour = mentions per
    10,000 characters; cells without documents (``n_docs = 0``, and every cell of a year not in ``years``) hatched grey.

    The colour scale (square root) is shared by all panels, so panels compare.
    """
    slogans = list(slogans)
    groups = labeller.order(panel[group], group)
    observed = [int(y) for y in (panel.loc[panel["n_docs"] > 0, time] if years is None else years)]
    span = year_span(observed, panel[time])
    ncols = max(1, min(ncols, len(slogans)))
    nrows = -(-len(slogans) // ncols)
    height = min(9.2, nrows * (0.16 * len(groups) + 1.0) + 0.9)
    width = min(7.4, ncols * (0.22 * len(span) + 1.6) + 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained")
    rates = panel.loc[panel["slogan_id"].isin(slogans) | panel["slogan"].isin(slogans), "per_10k"]
    vmax = float(rates.max()) if rates.notna().any() and rates.max() > 0 else 1.0
    norm = mcolors.PowerNorm(0.5, vmin=0, vmax=vmax)
    cmap = plt.get_cmap("Blues")
    for ax in axes.ravel()[len(slogans):]:
        ax.set_visible(False)
    seen = set(observed)
    for ax, slogan in zip(axes.ravel(), slogans):
        part = panel[(panel["slogan_id"] == slogan) | (panel["slogan"] == slogan)]
        values = part.pivot_table(index=group, columns=time, values="per_10k", aggfunc="first", dropna=False).reindex(index=groups, columns=span)
        docs = part.pivot_table(index=group, columns=time, values="n_docs", aggfunc="first").reindex(index=groups, columns=span).fillna(0)
        docs.loc[:, [y not in seen for y in span]] = 0
        values = values.where(docs > 0)
        extent = (span[0] - 0.5, span[-1] + 0.5, len(groups) - 0.5, -0.5)
        ax.imshow(np.ma.masked_invalid(values.to_numpy(dtype=float)), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest", extent=extent)
        empty = [Rectangle((span[j] - 0.5, i - 0.5), 1, 1) for (i, j), n in np.ndenumerate(docs.to_numpy()) if n == 0]
        ax.add_collection(PatchCollection(empty, facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, edgecolor=MISSING_HATCH_COLOUR, linewidth=0))
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_yticks(range(len(groups)), [labeller.group(g, group) for g in groups], fontsize=label_size(min(0.16, 9.0 / max(len(groups) * nrows, 1))))
        set_year_ticks(ax, span)
        ax.tick_params(axis="x", labelsize=6)
        name = part["slogan"].iloc[0] if len(part) else slogan
        ax.set_title(labeller.term(name, lang=_title_lang(labeller)), fontsize=8)
        ax.grid(False)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes.ravel().tolist(), shrink=0.6, label=labeller.text("Mentions per 10,000 characters"))
    fig.legend(handles=[Patch(facecolor=MISSING_COLOUR, hatch=MISSING_HATCH, edgecolor=MISSING_HATCH_COLOUR, label=labeller.text("no document"))], loc="outside lower left", fontsize=7, frameon=False)
    return fig


def plot_adoption_curves(
    curves: pd.DataFrame,
    *,
    years: Iterable | None = None,
    central: pd.Series | None = None,
    time: str = "year",
    labeller: Labeller = Labeller(),
    ncols: int = 3,
) -> list[plt.Figure]:
    """Small multiples, one panel per slogan: the share of the groups observed in a year (the risk set) that have used
    the slogan by then; a dot per observed year, lines only between consecutive observed years, years without a
    document shaded (``years``: the years observed; else those with ``n_at_risk > 0``, else every year of ``curves``).

    ``curves`` (:func:`tifa.adoption.adoption_curves`): ``slogan_id, slogan, <time>, share`` and, when present,
    ``n_at_risk`` (years with none break the line; without it the share is read as one of all groups, and the axis
    says so) and ``share_left_censored`` (the part of the share made of groups already using the slogan when first
    observed: hatched). ``central``: slogan id → first central period (dotted line; an arrow and the year when it lies
    outside the years observed). No offsets: panels share their axes.
    """
    order = sort_table(curves[["slogan_id", "slogan"]].drop_duplicates("slogan_id"), ["slogan", "slogan_id"])
    if years is None:
        years = curves.loc[curves["n_at_risk"] > 0, time] if "n_at_risk" in curves else curves[time]
    observed = sorted({int(y) for y in years if not pd.isna(y)})
    span = year_span(observed)
    gaps = missing_years(observed, span)
    figures = []
    for page in pages(list(order.itertuples(index=False)), config.PANELS_PER_PAGE):
        n = len(page)
        cols = max(1, min(ncols, n))
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=page_size(2.4 * cols + 0.4, 1.9 * rows + 1.1), squeeze=False, sharex=True, sharey=True, layout="constrained")
        flat = list(axes.ravel())
        for ax in flat[n:]:
            ax.set_visible(False)
        for ax, row in zip(flat, page):
            part = curves[curves["slogan_id"] == row.slogan_id].set_index(time)
            share = on_span(part["share"], span, observed)
            if "n_at_risk" in part:
                share[on_span(part["n_at_risk"], span).fillna(0).to_numpy() == 0] = np.nan
            shade_missing(ax, gaps, labeller)
            ax.plot(span, share.to_numpy(), "-o", color="C0", linewidth=1.2, markersize=2.2, label=labeller.text("share (dots: years observed)"))
            censored = on_span(part["share_left_censored"], span).where(share.notna()) if "share_left_censored" in part else None
            if censored is not None and (censored > 0).any():
                ax.fill_between(span, (share - censored).to_numpy(), share.to_numpy(), facecolor="none", edgecolor="C1", hatch="////", linewidth=0,
                                label=labeller.text("of which already using it when first observed (left-censored)"))
            first_central = central.get(row.slogan_id) if central is not None else None
            if first_central is not None and pd.notna(first_central) and span[0] <= first_central <= span[-1]:
                ax.axvline(float(first_central), color="C3", linestyle=":", linewidth=1.0, label=labeller.text("first use in the central reference"))
            elif first_central is not None and pd.notna(first_central):  # before (or after) the years observed: said, not drawn off the axis
                ax.text(0.02 if first_central < span[0] else 0.98, 0.96, f"{'←' if first_central < span[0] else '→'} {int(first_central)}", transform=ax.transAxes,
                        ha="left" if first_central < span[0] else "right", va="top", fontsize=6.5, color="C3")
            ax.set_title(labeller.term(row.slogan, lang=_title_lang(labeller)), fontsize=7.5)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlim(span[0] - 0.5, span[-1] + 0.5)
            set_year_ticks(ax, span, most=4)
            ax.tick_params(labelsize=6.5)
        fig.supxlabel(labeller.text("Year"), fontsize=8)
        risk_set = "n_at_risk" in curves
        fig.supylabel(labeller.text("Share of the groups observed that year that have used it" if risk_set else "Share of all groups that have used it"), fontsize=8)
        handles = {}
        for ax in flat[:n]:
            for handle, text in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(text, handle)
        fig.legend(handles.values(), handles.keys(), loc="outside upper center", ncols=2, fontsize=7, frameon=False)
        figures.append(fig)
    return figures


def lag_skip_reason(adoption: pd.DataFrame, *, lag: str = "lag_vs_central", years: Iterable = ()) -> str:
    """Why a lag figure would mislead (empty when it is worth drawing): one year observed, no lags, only bounds, one value."""
    years = {int(y) for y in years if not pd.isna(y)}
    if len(years) == 1:
        return f"the corpus has one year ({years.pop()}): every first use falls in the group's first observed year, so no lag can be dated"
    data = adoption[adoption[lag].notna()] if lag in adoption else adoption.iloc[0:0]
    if data.empty:
        return "no followed slogan is used both by a group and by the reference"
    if "lag_is_bound" in data and data["lag_is_bound"].fillna(False).astype(bool).all():
        return "every lag is a bound (each group already used the slogan when first observed)"
    values = data[lag].astype(float).unique()
    if len(values) == 1:
        return f"every lag is {values[0]:g}: a distribution of one value"
    return ""


def plot_lag_distribution(
    adoption: pd.DataFrame,
    *,
    lag: str = "lag_vs_central",
    group: str = "province",
    labeller: Labeller = Labeller(),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Lag of each group's first use (x, years; < 0: ahead) per slogan (rows). Every mark stays inside its row: dots side by
    side when at most :data:`MAX_DOTS` groups share a lag, else a histogram per slogan (bar height: number of groups).
    Lags that are only upper bounds (``lag_is_bound``: already using it when first observed) are hollow; the bar marks the
    median of the exact lags.
    """
    data = adoption[adoption[lag].notna()].copy()
    data["_lag"] = data[lag].astype(float)
    data["_bound"] = data["lag_is_bound"].fillna(False).astype(bool) if "lag_is_bound" in data else False
    exact = data[~data["_bound"]]
    medians = (exact if len(exact) else data).groupby("slogan", sort=True)["_lag"].median().reindex(sorted(data["slogan"].unique())).rename("median").reset_index()
    order = list(sort_table(medians.fillna(np.inf), ["median", "slogan"])["slogan"])
    per_row = row_height(len(order), preferred=0.5, frame=1.6)
    if ax is None:
        _, ax = plt.subplots(figsize=page_size(6.0, per_row * len(order) + 1.6), layout="constrained")
    rows = {s: i for i, s in enumerate(order)}
    stacks = data.groupby(["slogan", "_lag"]).size()
    histogram = int(stacks.max()) > MAX_DOTS
    for slogan, part in data.groupby("slogan", sort=True):
        part = sort_table(part, ["_lag", "_bound", group])
        y = rows[slogan]
        if histogram:
            _draw_bars(ax, part, y, float(stacks.max()))
        else:
            offsets = part.groupby("_lag", sort=False).cumcount().to_numpy(dtype=float)
            sizes = part.groupby("_lag", sort=False)["_lag"].transform("size").to_numpy(dtype=float)
            spacing = 0.8 / MAX_DOTS  # row units: MAX_DOTS dots fill 0.8 of the row
            size = min(25.0, (0.85 * spacing * per_row * 72) ** 2)  # points²: neighbours touch at most
            y_dots = y + (offsets - (sizes - 1) / 2) * spacing
            bound = part["_bound"].to_numpy()
            ax.scatter(part["_lag"][~bound], y_dots[~bound], s=size, color="C0", linewidths=0, zorder=3)
            ax.scatter(part["_lag"][bound], y_dots[bound], s=size, facecolors="white", edgecolors="C0", linewidths=0.9, zorder=3)
        part_exact = part[~part["_bound"]]
        if len(part_exact):
            ax.plot([part_exact["_lag"].median()] * 2, [y - 0.45, y + 0.45], color="C3", linewidth=1.4, zorder=4)
    ax.axvline(0, color="black", linewidth=0.7)
    ax.set_yticks(range(len(order)), [labeller.term(s) for s in order], fontsize=label_size(per_row))
    for i in range(len(order) + 1):  # row bands
        ax.axhline(i - 0.5, color="0.85", linewidth=0.5)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(labeller.text("Years after the central reference" if lag == "lag_vs_central" else "Years after first official use"))
    ax.grid(axis="y", visible=False)
    bound_label = labeller.text("lag is an upper bound (already using it when first observed)")
    if histogram:
        handles = [Patch(facecolor="C0", edgecolor="C0", label=f"{labeller.text('groups (bar height: number)')}; {labeller.text('tallest bar')}: {int(stacks.max())}")]
        bound_handle = Patch(facecolor="white", edgecolor="C0", label=bound_label)
    else:
        handles = [Line2D([], [], marker="o", linestyle="", color="C0", markersize=4, label=labeller.text("one group"))]
        bound_handle = Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="C0", markersize=4, label=bound_label)
    if data["_bound"].any():
        handles.append(bound_handle)
    handles.append(Line2D([], [], color="C3", linewidth=1.4, label=labeller.text("median of the exact lags")))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, fontsize=7, frameon=False)
    return ax


def _draw_bars(ax: plt.Axes, part: pd.DataFrame, y: int, tallest: float) -> None:
    """A histogram inside row ``y``: per lag, a bar of exact lags with the bound lags stacked above it, the tallest 0.8 high."""
    for value, at in part.groupby("_lag", sort=True):
        n_exact, n_bound = int((~at["_bound"]).sum()), int(at["_bound"].sum())
        base = y + 0.4
        for n, hollow in ((n_exact, False), (n_bound, True)):
            if n:
                height = 0.8 * n / tallest
                ax.add_patch(Rectangle((value - 0.4, base - height), 0.8, height, facecolor="white" if hollow else "C0", edgecolor="C0", linewidth=0.6, zorder=3))
                base -= height
