"""Figures of text reuse: share of text reused by group, lag distribution, group × group matrix, and passage pairs side by side (HTML).

Builders take the tables of :mod:`tifa.reuse` and the order and labels of the
groups from their caller; they never load data. The side-by-side view is HTML
from a Jinja2 template in the package (``resources/reuse_pairs.html.j2``, every
text escaped), with the differences found by :mod:`difflib`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa.util.tables import sort_table

REUSED_COLOUR = "C0"
FORMULAIC_COLOUR = "0.78"


def plot_reuse_shares(shares: pd.DataFrame, *, group: str, order: Sequence, labels: Mapping | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars per group (in ``order``, e.g. provinces by region): the share of its Han characters in specific reused
    passages, and apart (grey, stacked after it) the share in slogans and phrases found in many central documents."""
    table = shares.set_index(group).reindex(list(order))
    labels = labels or {}
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, min(9.0, 0.2 * len(table) + 1.4)), layout="constrained")
    y = np.arange(len(table))
    reused = table["share"].fillna(0).to_numpy() * 100
    formulaic = table["formulaic_share"].fillna(0).to_numpy() * 100
    ax.barh(y, reused, color=REUSED_COLOUR, label="specific text reused from the centre")
    ax.barh(y, formulaic, left=reused, color=FORMULAIC_COLOUR, label="slogans and formulaic phrases (apart)")
    ax.set_yticks(y, [labels.get(g, str(g)) for g in table.index], fontsize=7 if len(table) > 12 else 8)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel("Share of the Han characters (%)")
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False)
    ax.grid(axis="y", visible=False)
    return ax


def plot_reuse_lags(lags: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Han characters reused by lag (local year − year of the central document): specific text (blue) and, stacked apart, formulaic passages (grey)."""
    table = sort_table(lags.groupby("lag", sort=True)[["reused_chars", "formulaic_chars"]].sum().reset_index(), ["lag"])
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.2), layout="constrained")
    x = table["lag"].astype(float).to_numpy()
    ax.bar(x, table["reused_chars"], width=0.85, color=REUSED_COLOUR, label="specific text")
    ax.bar(x, table["formulaic_chars"], bottom=table["reused_chars"], width=0.85, color=FORMULAIC_COLOUR, label="formulaic passages (apart)")
    ax.set_xlabel("Lag: year of the document − year of the central document it reuses (years)")
    ax.set_ylabel("Han characters in passages")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=REUSED_COLOUR, label="specific text"), Patch(color=FORMULAIC_COLOUR, label="formulaic passages (apart)")], fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0.0, 1.12), ncol=2)
    if (table["lag"] < 0).any():  # documents dated before the central text they share
        ax.axvline(-0.5, color="0.3", linewidth=0.6, linestyle=":")
    return ax


def plot_reuse_matrix(matrix: pd.DataFrame, *, order: Sequence, labels: Mapping | None = None, columns: Sequence | None = None, column_labels: Mapping | None = None, title: str = "") -> plt.Figure:
    """Heatmap of groups (rows, in ``order``) × groups or central documents (columns): the share (%) of the row group's Han
    characters found in the column's documents. Square-root colours; values written where the cells are large enough."""
    from matplotlib import colors as mcolors

    columns = list(order) if columns is None else list(columns)
    table = matrix.reindex(index=list(order), columns=columns).astype(float) * 100
    labels, column_labels = labels or {}, column_labels if column_labels is not None else (labels or {})
    side = min(7.4, 0.22 * max(len(table.columns), len(table)) + 2.2)
    fig, ax = plt.subplots(figsize=(side, min(9.2, side * len(table) / max(len(table.columns), 1) + 0.8)), layout="constrained")
    top = float(np.nanmax(table.to_numpy())) if table.size and np.isfinite(table.to_numpy()).any() else 0.0
    norm = mcolors.PowerNorm(0.5, vmin=0, vmax=top or 1.0)
    image = ax.imshow(np.ma.masked_invalid(table.to_numpy()), cmap="Blues", norm=norm, aspect="auto", interpolation="nearest")
    size = 6 if len(table) > 12 else 7
    ax.set_yticks(range(len(table)), [labels.get(g, str(g)) for g in table.index], fontsize=size)
    ax.set_xticks(range(len(table.columns)), [column_labels.get(g, str(g)) for g in table.columns], fontsize=size, rotation=90)
    ax.set_ylabel("Text of (rows)")
    ax.set_xlabel("found in the documents of (columns)")
    ax.grid(False)
    if len(table) <= 12 and len(table.columns) <= 12:
        for (i, j), value in np.ndenumerate(table.to_numpy()):
            if np.isfinite(value) and value > 0:
                ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=6, color="white" if norm(value) > 0.6 else "black")
    fig.colorbar(image, ax=ax, shrink=0.6, label="Share of the row's Han characters (%)")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


# --- passages side by side --------------------------------------------------------------------


def diff_segments(local: str, central: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The two texts cut into ``(kind, text)`` segments by :class:`difflib.SequenceMatcher` (no junk heuristic):
    ``same``, ``changed`` (replaced), ``added`` (only in this text)."""
    matcher = difflib.SequenceMatcher(None, local, central, autojunk=False)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(("same", local[i1:i2]))
            right.append(("same", central[j1:j2]))
        elif tag == "replace":
            left.append(("changed", local[i1:i2]))
            right.append(("changed", central[j1:j2]))
        elif tag == "delete":
            left.append(("added", local[i1:i2]))
        else:
            right.append(("added", central[j1:j2]))
    return left, right


def reuse_pairs_html(passages: pd.DataFrame, *, title: str = "Text reuse: passages side by side", local_label: str = "local_doc", central_label: str = "central_doc") -> str:
    """An HTML page showing each passage (row of ``find_reuse(...).passages``) beside the central text it reuses, differences
    marked: changed characters highlighted, characters on one side only underlined. Every text is escaped."""
    import jinja2

    from tifa.config import RESOURCES_DIR

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(RESOURCES_DIR), autoescape=True, keep_trailing_newline=True)
    template = environment.get_template("reuse_pairs.html.j2")
    pairs = []
    for row in passages.to_dict("records"):
        left, right = diff_segments(str(row["local_text"]), str(row["central_text"]))
        pairs.append({
            "local": str(row.get(local_label, row["local_doc"])), "central": str(row.get(central_label, row["central_doc"])),
            "local_doc": str(row["local_doc"]), "central_doc": str(row["central_doc"]),
            "local_span": f"{row['local_start']}–{row['local_end']}", "central_span": f"{row['central_start']}–{row['central_end']}",
            "chars": int(row["chars"]), "reused": int(row["reused_chars"]), "score": int(row["score"]), "identity": f"{100 * float(row['identity']):.1f}",
            "lag": "" if pd.isna(row.get("lag", np.nan)) else int(row["lag"]), "formulaic": bool(row["formulaic"]), "left": left, "right": right,
        })
    return template.render(title=title, pairs=pairs)
