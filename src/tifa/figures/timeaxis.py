"""Time axes in numeric years: every year of the span has its place, years without a document are marked and break lines.

A series over the years observed (1954 … 1964, 1975 …) is reindexed onto every
whole year of its span with NaN where nothing was observed, so that matplotlib
breaks lines and bands there instead of drawing a straight line across the gap;
the gaps themselves are shaded (one span per run of missing years).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tifa.figures.labels import Labeller

GAP_COLOUR = "0.92"


def year_span(*years: Iterable) -> np.ndarray:
    """Every whole year from the earliest to the latest of ``years`` (any number of iterables; NaN ignored)."""
    values = [int(y) for group in years for y in group if not pd.isna(y)]
    if not values:
        return np.array([], dtype=int)
    return np.arange(min(values), max(values) + 1)


def missing_years(observed: Iterable, span: Sequence[int] | None = None) -> list[int]:
    """Years of ``span`` (default: the span of ``observed``) in which nothing was observed."""
    seen = {int(y) for y in observed if not pd.isna(y)}
    span = year_span(seen) if span is None else span
    return [int(y) for y in span if int(y) not in seen]


def on_span(values: pd.Series, span: Sequence[int], observed: Iterable | None = None) -> pd.Series:
    """``values`` (indexed by year) on every year of ``span``: NaN where absent or, with ``observed``, where not observed."""
    out = pd.Series(values.to_numpy(dtype=float), index=[int(y) for y in values.index]).groupby(level=0).first().reindex(span)
    if observed is not None:
        seen = {int(y) for y in observed if not pd.isna(y)}
        out[[y not in seen for y in out.index]] = np.nan
    return out


def runs(years: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of consecutive years: ``[1965, 1966, 1970]`` → ``[(1965, 1966), (1970, 1970)]``."""
    out: list[tuple[int, int]] = []
    for y in sorted(years):
        if out and y == out[-1][1] + 1:
            out[-1] = (out[-1][0], y)
        else:
            out.append((y, y))
    return out


def shade_missing(ax: plt.Axes, gaps: Sequence[int], labeller: Labeller, *, label: bool = True) -> None:
    """Shade each run of years without a document (``[first − 0.5, last + 0.5]``); one legend entry for all."""
    for i, (first, last) in enumerate(runs(gaps)):
        ax.axvspan(first - 0.5, last + 0.5, color=GAP_COLOUR, linewidth=0, zorder=0, label=labeller.text("year without a document") if label and i == 0 else None)


def set_year_ticks(ax: plt.Axes, span: Sequence[int], *, most: int = 6) -> None:
    """Whole-year ticks on the x axis: every 1, 2, 5, 10, 20, 25 or 50 years, at most ``most`` of them (one year: that year)."""
    if len(span) == 0:
        return
    first, last = int(span[0]), int(span[-1])
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if (last // s - (first + s - 1) // s + 1) <= most), 100)
    ax.set_xticks([y for y in range(first, last + 1) if y % step == 0] or [first])
