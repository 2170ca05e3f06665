"""First adoption of slogans by groups, lags behind the lexicon's date and behind a central reference, event history.

Adoption tables keep groups that never use a slogan (right-censored) and negative
lags (a province ahead of the centre, or a mis-dated document) instead of
clipping them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tifa.corpus import Corpus, load_corpus
from tifa.dfm import DFM
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.matcher import SloganMatcher, lexicon_table
from tifa.panel import _as_list, _check_docvars, select_slogans
from tifa.slogans import slogan_dfm
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

CENTRAL_DATASETS = ("national",)  # names accepted by slogan_adoption(central=...)


def _central_corpus(central: str | Path | Corpus, text_field: str) -> Corpus:
    if isinstance(central, Corpus):
        return central
    if isinstance(central, str) and central in CENTRAL_DATASETS:
        from tifa.datasets import national_reports

        return national_reports()
    if isinstance(central, str) and not Path(central).exists() and not any(c in central for c in "/\\."):
        raise InputError(f"central {central!r} is neither a packaged dataset {list(CENTRAL_DATASETS)} nor a corpus path; pass 'national' or the path of a corpus")
    return load_corpus(central, text_field=text_field)


def first_periods(x: DFM, time: str, keep: np.ndarray) -> pd.Series:
    """Per chosen slogan (index: slogan id), the earliest ``time`` value of a document that mentions it (NA: never)."""
    times = x.docvars[time]
    rows, cols = x.matrix[:, keep].nonzero()
    hits = pd.DataFrame({"slogan_id": x.features[keep][cols], "t": times.to_numpy()[rows]}).dropna()
    first = hits.groupby("slogan_id", sort=True)["t"].min()
    return first.reindex(x.features[keep]).astype(times.dtype)


def slogan_adoption(
    corpus: Corpus,
    by: str = "province",
    time: str = "year",
    central: str | Path | Corpus | None = None,
    *,
    slogans: str | Sequence[str] | None = None,
    matcher: SloganMatcher | None = None,
    central_text_field: str = "text",
    include_parts: str | Sequence[str] | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """First use of every slogan in every group: one row per group × slogan (groups that never adopt included).

    Columns: ``<by>, slogan_id, slogan, en, first_used, n_docs, entry, last`` (the
    group's documents and first and last observed ``time``), ``first_<time>``
    (earliest period with a mention; NA when never: right-censored at ``last``),
    ``first_doc`` (the document of that period that mentions it; the smallest id
    when several do), ``count_first_<time>``, ``adopted``, ``censored``; with
    ``time="year"`` also ``lag_vs_first_used`` (years after the lexicon's date of
    first official use) and ``early_vs_first_used``; with a ``central`` corpus
    (``"national"``: the packaged national reports; a :class:`Corpus`; or a corpus
    path read with ``central_text_field``) also ``central_first_<time>``,
    ``lag_vs_central`` and ``early_vs_central``. Negative lags are kept and flagged.
    """
    source = as_source(corpus, engine=engine)
    _check_docvars(source.docvars.reset_index(), [by, time], "date adoption by", source.label)
    matcher = matcher or SloganMatcher()
    keep = select_slogans(matcher, slogans)
    x = slogan_dfm(source, matcher, include_parts=include_parts)
    docvars = x.docvars.reset_index()
    usable = docvars[by].notna().to_numpy() & docvars[time].notna().to_numpy()
    if not usable.all():
        log.warning("%d documents without %s or %s are left out of adoption", int((~usable).sum()), by, time)
    docvars = docvars[usable].reset_index(drop=True)
    matrix = x.matrix[np.flatnonzero(usable)][:, keep].tocoo()
    ids = x.features[keep]
    first_col, count_col = f"first_{time}", f"count_first_{time}"

    per_group = docvars.groupby(by, sort=True).agg(n_docs=("doc_id", "size"), entry=(time, "min"), last=(time, "max")).reset_index()
    hits = pd.DataFrame({by: docvars[by].to_numpy()[matrix.row], "t": docvars[time].to_numpy()[matrix.row], "doc_id": docvars["doc_id"].to_numpy()[matrix.row], "slogan_id": ids[matrix.col], "count": matrix.data})
    hits = hits[hits["count"] > 0]
    first = hits.groupby([by, "slogan_id"], sort=True)["t"].min().rename(first_col).reset_index()
    in_first = hits.merge(first, on=[by, "slogan_id"])
    in_first = in_first[in_first["t"] == in_first[first_col]]
    first = first.merge(in_first.groupby([by, "slogan_id"], sort=True).agg(first_doc=("doc_id", "min"), **{count_col: ("count", "sum")}).reset_index(), on=[by, "slogan_id"])

    lexicon = lexicon_table(matcher).iloc[keep].reset_index(drop=True)[["slogan_id", "slogan", "en", "first_used"]]
    table = per_group[[by]].merge(lexicon, how="cross").merge(per_group, on=by)
    table = table.merge(first, on=[by, "slogan_id"], how="left")
    table[first_col] = table[first_col].astype(docvars[time].dtype)
    table[count_col] = table[count_col].fillna(0).astype(np.int64)
    table["adopted"] = table[first_col].notna()
    table["censored"] = ~table["adopted"]
    if time == "year":
        used_year = table["first_used"].str[:4].astype("Int64")
        table["lag_vs_first_used"] = (table[first_col].astype("Int64") - used_year).astype("Int64")
        table["early_vs_first_used"] = (table["lag_vs_first_used"] < 0).fillna(False).astype(bool)
    if central is not None:
        reference = _central_corpus(central, central_text_field)
        _check_docvars(reference.docvars.reset_index(), [time], "date the central reference by", reference.source)
        central_first = first_periods(slogan_dfm(reference, matcher, include_parts=include_parts), time, keep)
        table[f"central_first_{time}"] = table["slogan_id"].map(central_first).astype(docvars[time].dtype)
        table["lag_vs_central"] = (table[first_col].astype("Float64") - table[f"central_first_{time}"].astype("Float64")).astype("Int64") if pd.api.types.is_numeric_dtype(docvars[time]) else pd.NA
        table["early_vs_central"] = (table["lag_vs_central"] < 0).fillna(False).astype(bool)
        table.attrs["central"] = reference.source
    order = {sid: i for i, sid in enumerate(ids)}
    table["_order"] = table["slogan_id"].map(order)
    table = sort_table(table, [by, "_order"]).drop(columns="_order").reset_index(drop=True)
    columns = [by, "slogan_id", "slogan", "en", "first_used", "n_docs", "entry", "last", first_col, "first_doc", count_col, "adopted", "censored"]
    table = table[columns + [c for c in table.columns if c not in columns]]
    table.attrs.update(by=by, time=time, source=source.label)
    return table


def adoption_curves(adoption: pd.DataFrame, *, slogans: str | Sequence[str] | None = None, periods: Sequence | None = None) -> pd.DataFrame:
    """Cumulative adoption: per slogan and period, ``n_groups``, ``n_adopted`` (first use at or before it) and ``share``.

    The denominator is every group of the adoption table (also those never
    adopting). ``periods`` default to every whole period from the earliest
    ``entry`` to the latest ``last`` (numeric time), else the observed values.
    """
    by, time = adoption.attrs.get("by", "province"), adoption.attrs.get("time", "year")
    first_col = f"first_{time}"
    table = adoption if slogans is None else adoption[adoption["slogan_id"].isin(_as_list(slogans)) | adoption["slogan"].isin(_as_list(slogans))]
    if periods is None:
        if pd.api.types.is_numeric_dtype(adoption["entry"]):
            periods = list(range(int(adoption["entry"].min()), int(adoption["last"].max()) + 1))
        else:
            periods = sorted(set(adoption["entry"]) | set(adoption["last"]))
    rows = []
    for slogan_id, part in table.groupby("slogan_id", sort=False):
        first = part[first_col].dropna().to_numpy()
        n_groups = part[by].nunique()
        for t in periods:
            n = int((first <= t).sum())
            rows.append((slogan_id, part["slogan"].iloc[0], part["en"].iloc[0], t, n_groups, n, n / n_groups if n_groups else np.nan))
    return pd.DataFrame(rows, columns=["slogan_id", "slogan", "en", time, "n_groups", "n_adopted", "share"])


def adoption_events(adoption: pd.DataFrame) -> pd.DataFrame:
    """Event-history rows, one per group × slogan: ``entry, exit, event, censored, duration`` (and years since first official use).

    ``exit`` is the period of first use, or the group's last observed period when
    it never uses the slogan (``event = 0``, ``censored = 1``); ``duration = exit −
    entry`` (periods observed before the event or censoring). With yearly time, the
    group is at risk in the years from max(entry, first-use year) to ``exit``;
    ``start``/``stop`` give that interval in years since the slogan's first
    official use (``stop`` = exit − first-use year + 1: the end of the exit year),
    the counting-process form of left-truncated survival models. ``at_risk = 0``
    marks groups observed only before the slogan existed (never at risk), and
    ``early = 1`` an adoption before the official first use; neither is clipped.
    """
    by, time = adoption.attrs.get("by", "province"), adoption.attrs.get("time", "year")
    first_col = f"first_{time}"
    out = adoption[[by, "slogan_id", "slogan", "entry"]].copy()
    out["exit"] = adoption[first_col].where(adoption["adopted"], adoption["last"])
    out["event"] = adoption["adopted"].astype(np.int8)
    out["censored"] = adoption["censored"].astype(np.int8)
    if pd.api.types.is_numeric_dtype(adoption["entry"]):
        out["duration"] = out["exit"] - out["entry"]
    if time == "year":
        used = adoption["first_used"].str[:4].astype("Int64")
        out["first_used_year"] = used
        start = np.maximum(out["entry"].astype("Int64"), used)
        out["start"] = start - used
        out["stop"] = out["exit"].astype("Int64") - used + 1
        out["at_risk"] = (out["exit"].astype("Int64") >= start).astype(np.int8)
        out["early"] = ((out["event"] == 1) & (out["exit"].astype("Int64") < used)).astype(np.int8)
    out.attrs.update(adoption.attrs)
    return out


