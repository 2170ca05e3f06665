"""First adoption of slogans by groups: observation windows, censoring, lags, risk-set curves and event-history rows.

Each group (province) is observed from ``first_observed`` to ``last_observed``, with
the years inside that window without any document listed in ``missing_years``.

- **Left-censored**: the group already uses the slogan in its first observed year
  while the slogan is older than that year (its lexicon date or its first use in the
  central reference is earlier). Adoption happened at or before ``first_observed``;
  the lags are then upper bounds (``lag_is_bound``), not values.
- **Right-censored**: never used up to ``last_observed``.
- **Event history** (:func:`adoption_events`): one row per group × slogan × observed
  year at risk, from the later of ``first_observed`` and the slogan's first central use
  (its lexicon date without a central reference) until the year of first use. Left-
  censored pairs, pairs adopted before that start and groups not observed after it are
  excluded from the risk set; ``attrs["excluded"]`` counts them and ``attrs["notes"]``
  says why.
- **Curves** (:func:`adoption_curves`): per year, the share of the groups observed
  that year (``n_at_risk``) that had used the slogan by then; left-censored groups are
  counted apart (``n_left_censored``). A corpus with one year gets no curves: an empty
  table whose ``attrs["skipped"]`` gives the reason.

Negative lags (a province ahead of the centre, or a mis-dated document) are kept and
flagged, never clipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tifa.corpus import Corpus, load_corpus
from tifa.dfm import DFM, refuse_output_names
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.matcher import SloganMatcher, lexicon_table
from tifa.panel import _as_list, _check_docvars, select_slogans
from tifa.places import PROVINCE_COLUMNS, add_province_columns, province_neighbours
from tifa.slogans import slogan_dfm
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

CENTRAL_DATASETS = ("national",)  # names accepted by slogan_adoption(central=...)
Central = str | Path | Corpus | tuple[str, object] | None
MISSING_SEP = ";"  # missing_years as text: "2015;2017" (one column in CSV and Stata)


# --- the central reference --------------------------------------------------------------


def central_group(central: Central, columns: Sequence[str]) -> tuple[str, str] | None:
    """``(docvar, value)`` when ``central`` names a group of the corpus (``"province: 中央"`` or a pair), else None."""
    if isinstance(central, tuple):
        if len(central) != 2 or central[0] not in columns:
            raise InputError(f"central {central!r}: give (docvar, value) with a docvar of the corpus, one of {sorted(c for c in columns if c not in ('text', 'doc_id'))}")
        return str(central[0]), str(central[1])
    if not isinstance(central, str) or central in CENTRAL_DATASETS or Path(central).exists():
        return None
    for sep in (":", "："):
        if sep in central:
            docvar, value = (part.strip() for part in central.split(sep, 1))
            if docvar not in columns:
                raise InputError(f"central {central!r}: the corpus has no docvar {docvar!r} (and no such file exists); name a group as '<docvar>: <value>', e.g. 'province: 中央', or give 'national' or a corpus path")
            return docvar, value
    return None


def _central_corpus(central: str | Path | Corpus, text_field: str) -> Corpus:
    if isinstance(central, Corpus):
        return central
    if isinstance(central, str) and central in CENTRAL_DATASETS:
        from tifa.datasets import national_reports

        return national_reports()
    if isinstance(central, str) and not Path(central).exists() and not any(c in central for c in "/\\."):
        raise InputError(f"central {central!r} is neither a packaged dataset {list(CENTRAL_DATASETS)}, a group of the corpus ('province: 中央') nor a corpus path; pass one of those")
    return load_corpus(central, text_field=text_field)


def first_periods(x: DFM, time: str, keep: np.ndarray) -> pd.Series:
    """Per chosen slogan (index: slogan id), the earliest ``time`` value of a document that mentions it (NA: never)."""
    times = x.docvars[time]
    rows, cols = x.matrix[:, keep].nonzero()
    hits = pd.DataFrame({"slogan_id": x.features[keep][cols], "t": times.to_numpy()[rows]}).dropna()
    first = hits.groupby("slogan_id", sort=True)["t"].min()
    return first.reindex(x.features[keep]).astype(times.dtype)


# --- the adoption table -------------------------------------------------------------------


def adoption_columns(time: str) -> tuple[str, ...]:
    """Columns :func:`slogan_adoption` and :func:`adoption_events` write besides the group and time (a docvar may not take their names)."""
    return ("slogan_id", "slogan", "en", "first_used", "n_docs", "first_observed", "last_observed", f"missing_{time}s", f"first_{time}", "first_doc",
            f"count_first_{time}", "adopted", "left_censored", "right_censored", "lag_is_bound", "first_used_year", "lag_vs_first_used",
            "early_vs_first_used", f"central_first_{time}", "lag_vs_central", "early_vs_central", "origin", "risk_start", "duration", "event",
            "after_gap", "n_neighbours", "neighbour_share", "no_neighbour", *PROVINCE_COLUMNS)


def slogan_adoption(
    corpus,
    by: str = "province",
    time: str = "year",
    central: Central = None,
    *,
    slogans: str | Sequence[str] | None = None,
    matcher: SloganMatcher | None = None,
    central_text_field: str = "text",
    include_parts: str | Sequence[str] | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """First use of every slogan in every group, with the group's observation window and censoring: one row per group × slogan.

    ``corpus``: a corpus, a store or a path. ``central``: ``"national"`` (the packaged
    national reports), a :class:`Corpus`, a corpus path (read with
    ``central_text_field``), or a group of this corpus, ``"<docvar>: <value>"`` or
    ``(docvar, value)`` (e.g. ``"province: 中央"``: those documents are the centre and
    not a group). Columns: see :func:`adoption_from_dfm`.
    """
    source = as_source(corpus, engine=engine)
    if by == time:
        raise InputError(f"--by and --time are both {by!r}: adoption needs groups and a time apart (e.g. --by province --time year)")
    refuse_output_names([by, time], adoption_columns(time), "adoption")
    columns = adoption_columns(time)
    if len(set(columns)) < len(columns):  # e.g. --time doc: its first_doc is the column of the first document
        raise InputError(f"--time {time!r} would name a column of the adoption table twice ({sorted({c for c in columns if columns.count(c) > 1})[0]!r}); rename the docvar in the corpus")
    _check_docvars(source.docvars.reset_index(), [by, time], "date adoption by", source.label)
    matcher = matcher or SloganMatcher()
    keep = select_slogans(matcher, slogans)
    x = slogan_dfm(source, matcher, include_parts=include_parts)
    reference: DFM | tuple[str, str] | None = central_group(central, list(source.docvars.reset_index().columns))
    label = f"{reference[0]}: {reference[1]}" if reference is not None else ""
    if central is not None and reference is None:
        other = _central_corpus(central, central_text_field)
        _check_docvars(other.docvars.reset_index(), [time], "date the central reference by", other.source)
        reference, label = slogan_dfm(other, matcher, include_parts=include_parts), other.source
    return adoption_from_dfm(x, by, time, keep, matcher=matcher, central=reference, central_label=label, source=source.label)


def _window(docvars: pd.DataFrame, by: str, time: str) -> pd.DataFrame:
    """Per group: ``n_docs, first_observed, last_observed, missing_<time>s`` (whole periods without a document, as text)."""
    window = docvars.groupby(by, sort=True).agg(n_docs=("doc_id", "size"), first_observed=(time, "min"), last_observed=(time, "max")).reset_index()
    missing_col = f"missing_{time}s"
    values = docvars[time]
    if pd.api.types.is_numeric_dtype(values) and (values.dropna() % 1 == 0).all():
        seen = docvars.groupby(by, sort=True)[time].agg(lambda s: set(s.astype(int)))
        window[missing_col] = [
            MISSING_SEP.join(str(t) for t in range(int(lo), int(hi) + 1) if t not in seen[g])
            for g, lo, hi in zip(window[by], window["first_observed"], window["last_observed"])
        ]
        window[missing_col] = window[missing_col].astype("string")
    else:
        window[missing_col] = pd.array([pd.NA] * len(window), dtype="string")
    return window


def adoption_from_dfm(
    x: DFM,
    by: str,
    time: str,
    keep: np.ndarray,
    *,
    matcher: SloganMatcher,
    central: DFM | tuple[str, str] | None = None,
    central_label: str = "",
    source: str = "",
) -> pd.DataFrame:
    """The adoption table from a documents × slogans matrix and its docvars (the combine step of every engine).

    ``central``: the documents × slogans matrix of a central reference, or
    ``(docvar, value)`` naming the rows of ``x`` that are the centre (left out of the
    groups). Columns: ``<by>`` (with ``province_code, province_en, region`` when ``by``
    is ``province``), ``slogan_id, slogan, en, first_used, n_docs, first_observed,
    last_observed, missing_<time>s, first_<time>`` (NA: never used), ``first_doc`` (the
    smallest id among the documents of that period that use it), ``count_first_<time>,
    adopted, left_censored, right_censored, lag_is_bound``; with ``time="year"`` also
    ``first_used_year, lag_vs_first_used, early_vs_first_used``; with a central reference
    ``central_first_<time>, lag_vs_central, early_vs_central``. Rows: groups in order, then
    lexicon order.
    """
    docvars = x.docvars.reset_index()
    central_first = None
    if isinstance(central, tuple):
        docvar, value = central
        is_centre = (docvars[docvar].astype("string") == value).fillna(False).to_numpy()
        if not is_centre.any():
            values = sorted(docvars[docvar].dropna().astype(str).unique())[:10]
            raise InputError(f"{source}: no document has {docvar} = {value!r} to serve as the central reference; values include {values}")
        centre = DFM(x.matrix[np.flatnonzero(is_centre)], x.features, x.docvars.iloc[np.flatnonzero(is_centre)])
        central_first = first_periods(centre, time, keep)
        x = DFM(x.matrix[np.flatnonzero(~is_centre)], x.features, x.docvars.iloc[np.flatnonzero(~is_centre)])
        docvars = x.docvars.reset_index()
        log.info("%d documents with %s = %s are the central reference, not a group", int(is_centre.sum()), docvar, value)
    elif isinstance(central, DFM):
        if time not in central.docvars.columns:
            raise InputError(f"{central_label}: the central reference has no {time!r} docvar to date first use by")
        central_first = first_periods(central, time, keep)
    usable = docvars[by].notna().to_numpy() & docvars[time].notna().to_numpy()
    if not usable.all():
        log.warning("%d documents without %s or %s are left out of adoption", int((~usable).sum()), by, time)
    if not usable.any():
        raise InputError(f"{source}: no document has both {by} and {time}; adoption needs both")
    docvars = docvars[usable].reset_index(drop=True)
    matrix = x.matrix[np.flatnonzero(usable)][:, keep].tocoo()
    ids = x.features[keep]
    first_col, count_col = f"first_{time}", f"count_first_{time}"

    hits = pd.DataFrame({by: docvars[by].to_numpy()[matrix.row], "t": docvars[time].to_numpy()[matrix.row], "doc_id": docvars["doc_id"].to_numpy()[matrix.row], "slogan_id": ids[matrix.col], "count": matrix.data})
    hits = hits[hits["count"] > 0]
    first = hits.groupby([by, "slogan_id"], sort=True)["t"].min().rename(first_col).reset_index()
    in_first = hits.merge(first, on=[by, "slogan_id"])
    in_first = in_first[in_first["t"] == in_first[first_col]]
    first = first.merge(in_first.groupby([by, "slogan_id"], sort=True).agg(first_doc=("doc_id", "min"), **{count_col: ("count", "sum")}).reset_index(), on=[by, "slogan_id"])

    window = _window(docvars, by, time)
    lexicon = lexicon_table(matcher).iloc[keep].reset_index(drop=True)[["slogan_id", "slogan", "en", "first_used"]]
    table = window[[by]].merge(lexicon, how="cross").merge(window, on=by)
    table = table.merge(first, on=[by, "slogan_id"], how="left")
    table[first_col] = table[first_col].astype(docvars[time].dtype)
    table[count_col] = table[count_col].fillna(0).astype(np.int64)
    table["adopted"] = table[first_col].notna()
    table["right_censored"] = ~table["adopted"]
    numeric = pd.api.types.is_numeric_dtype(docvars[time])
    older = pd.Series(False, index=table.index)
    if time == "year":
        table["first_used_year"] = pd.to_numeric(table["first_used"].astype("string").str[:4], errors="coerce").astype("Int64")
        table["lag_vs_first_used"] = (table[first_col].astype("Int64") - table["first_used_year"]).astype("Int64")
        table["early_vs_first_used"] = (table["lag_vs_first_used"] < 0).fillna(False).astype(bool)
        older |= (table["first_used_year"] < table["first_observed"]).fillna(False).astype(bool)
    if central_first is not None:
        central_col = f"central_first_{time}"
        table[central_col] = table["slogan_id"].map(central_first).astype(docvars[time].dtype)
        if numeric:
            table["lag_vs_central"] = (table[first_col].astype("Float64") - table[central_col].astype("Float64")).astype("Int64")
            table["early_vs_central"] = (table["lag_vs_central"] < 0).fillna(False).astype(bool)
        older |= (table[central_col] < table["first_observed"]).fillna(False).astype(bool)
    table["left_censored"] = (table["adopted"] & (table[first_col] == table["first_observed"]).fillna(False) & older).astype(bool)
    table["lag_is_bound"] = table["left_censored"]

    order = {sid: i for i, sid in enumerate(ids)}
    table["_order"] = table["slogan_id"].map(order)
    table = sort_table(table, [by, "_order"]).drop(columns="_order").reset_index(drop=True)
    columns = [by, "slogan_id", "slogan", "en", "first_used", "n_docs", "first_observed", "last_observed", f"missing_{time}s", first_col, "first_doc", count_col, "adopted", "left_censored", "right_censored", "lag_is_bound"]
    table = table[columns + [c for c in table.columns if c not in columns]]
    if by == "province":
        table = add_province_columns(table, by)
    table.attrs.update(by=by, time=time, source=source, central=central_label or None)
    n_left = int(table["left_censored"].sum())
    if n_left:
        log.info("%d %s-slogan pairs are left-censored (already in use in the first observed %s): their lags are bounds", n_left, by, time)
    return table


# --- curves ------------------------------------------------------------------------------


def adoption_skip_reason(adoption: pd.DataFrame) -> str | None:
    """Why adoption curves, lags and hazards say nothing on this table (it covers one period), else None."""
    time = adoption.attrs.get("time", "year")
    periods = sorted(set(adoption["first_observed"]) | set(adoption["last_observed"]))
    if len(periods) <= 1:
        return f"the corpus covers one {time} ({periods[0] if periods else 'none'}): adoption over time needs two or more"
    return None


def observed_periods(adoption: pd.DataFrame) -> pd.DataFrame:
    """Per group, every period it is observed in (window minus ``missing_<time>s``): ``<by>, <time>``."""
    by, time = adoption.attrs.get("by", "province"), adoption.attrs.get("time", "year")
    windows = adoption.drop_duplicates(by)
    missing_col = f"missing_{time}s"
    rows = []
    for g, lo, hi, missing in zip(windows[by], windows["first_observed"], windows["last_observed"], windows[missing_col]):
        if pd.api.types.is_number(lo) and missing is not pd.NA and not (isinstance(missing, float) and np.isnan(missing)):
            gaps = {int(t) for t in str(missing).split(MISSING_SEP) if t}
            rows += [(g, t) for t in range(int(lo), int(hi) + 1) if t not in gaps]
        else:
            rows += [(g, lo), (g, hi)] if lo != hi else [(g, lo)]
    return pd.DataFrame(rows, columns=[by, time])


def adoption_curves(adoption: pd.DataFrame, *, slogans: str | Sequence[str] | None = None, periods: Sequence | None = None) -> pd.DataFrame:
    """Cumulative adoption among the groups observed each period: ``n_at_risk, n_adopted, n_left_censored, share, share_left_censored``.

    ``n_at_risk``: groups with a document in that period; ``n_adopted``: of them, those
    that had used the slogan by then; ``n_left_censored``: of those, the left-censored
    (adopted at or before their first observed period: draw them apart). ``share`` is NA
    in a period without any group observed. ``periods`` default to every whole period
    from the earliest to the latest observed one (numeric time). When
    :func:`adoption_skip_reason` gives a reason, the table is empty and
    ``attrs["skipped"]`` holds it.
    """
    by, time = adoption.attrs.get("by", "province"), adoption.attrs.get("time", "year")
    columns = ["slogan_id", "slogan", "en", time, "n_groups", "n_at_risk", "n_adopted", "n_left_censored", "share", "share_left_censored"]
    reason = adoption_skip_reason(adoption)
    groups = adoption[by].dropna().unique()
    if reason is None and len(groups) < 2:
        reason = f"one {by} ({', '.join(map(str, groups)) or 'none'}): a share of {by}s that have adopted needs two or more"
    if reason is not None:
        log.warning("no adoption curves: %s", reason)
        empty = pd.DataFrame(columns=columns)
        empty.attrs.update(adoption.attrs, skipped=reason)
        return empty
    first_col = f"first_{time}"
    table = adoption if slogans is None else adoption[adoption["slogan_id"].isin(_as_list(slogans)) | adoption["slogan"].isin(_as_list(slogans))]
    seen = observed_periods(adoption)
    if periods is None:
        periods = list(range(int(seen[time].min()), int(seen[time].max()) + 1)) if pd.api.types.is_numeric_dtype(seen[time]) else sorted(seen[time].unique())
    at_risk = {t: set(seen.loc[seen[time] == t, by]) for t in periods}
    rows = []
    for slogan_id, part in table.groupby("slogan_id", sort=False):
        first = dict(zip(part.loc[part["adopted"], by], part.loc[part["adopted"], first_col]))
        left = set(part.loc[part["left_censored"], by])
        for t in periods:
            groups = at_risk[t]
            adopted = {g for g in groups if g in first and first[g] <= t}
            n = len(groups)
            rows.append((slogan_id, part["slogan"].iloc[0], part["en"].iloc[0], t, part[by].nunique(), n, len(adopted), len(adopted & left), len(adopted) / n if n else np.nan, len(adopted & left) / n if n else np.nan))
    out = pd.DataFrame(rows, columns=columns)
    out.attrs.update(adoption.attrs)
    return out


# --- event history ---------------------------------------------------------------------------


def adoption_events(adoption: pd.DataFrame) -> pd.DataFrame:
    """Event-history (person-period) rows: one per group × slogan × observed period at risk, ``event`` 1 in the period of first use.

    Columns: ``<by>`` (and province columns), ``slogan_id, slogan, <time>, origin``
    (when the slogan became available: its first central use, else its lexicon year),
    ``risk_start`` (the later of ``first_observed`` and ``origin``: entry is delayed,
    not back-filled), ``duration`` (``<time>`` − ``origin``), ``event``, ``after_gap``
    (1: the previous period was not observed, so a first use here may have happened
    in the gap); with provinces also ``n_neighbours`` (contiguous provinces observed
    by the previous period), ``neighbour_share`` (the share of them that had used the
    slogan by the previous period) and ``no_neighbour`` (1: none, e.g. Hainan, whose
    share is set to 0). Missing periods inside a window get no row. Left-censored pairs,
    pairs adopted before ``risk_start`` and groups not observed from ``risk_start`` on
    are excluded from the risk set: ``attrs["excluded"]`` counts them, ``attrs["notes"]``
    says so.
    """
    by, time = adoption.attrs.get("by", "province"), adoption.attrs.get("time", "year")
    first_col, central_col = f"first_{time}", f"central_first_{time}"
    if not pd.api.types.is_numeric_dtype(adoption["first_observed"]):
        raise InputError(f"event-history rows need a numeric {time} (years), not {adoption['first_observed'].dtype}")
    pairs = adoption.copy()
    origin = pd.Series(pd.NA, index=pairs.index, dtype="Float64")
    if central_col in pairs:
        origin = pairs[central_col].astype("Float64")
    if "first_used_year" in pairs:
        origin = origin.fillna(pairs["first_used_year"].astype("Float64"))
    pairs["origin"] = origin.fillna(pairs["first_observed"].astype("Float64")).astype("Int64")
    pairs["risk_start"] = np.maximum(pairs["first_observed"].astype("Int64"), pairs["origin"])
    exit_ = pairs[first_col].astype("Float64").fillna(pairs["last_observed"].astype("Float64")).astype("Int64")
    reasons = {
        "left_censored": pairs["left_censored"].to_numpy(dtype=bool),
        "adopted_before_risk_start": (~pairs["left_censored"] & pairs["adopted"] & (exit_ < pairs["risk_start"]).fillna(False)).to_numpy(dtype=bool),
        "not_observed_at_risk": (~pairs["adopted"] & (pairs["last_observed"] < pairs["risk_start"]).fillna(False)).to_numpy(dtype=bool),
    }
    excluded = reasons["left_censored"] | reasons["adopted_before_risk_start"] | reasons["not_observed_at_risk"]
    kept = pairs[~excluded].assign(exit=exit_[~excluded]).reset_index(drop=True)
    lengths = (kept["exit"] - kept["risk_start"] + 1).to_numpy(dtype=np.int64)
    rows = kept.loc[np.repeat(np.arange(len(kept)), lengths)].reset_index(drop=True)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows[time] = (rows["risk_start"].to_numpy(dtype=np.int64) + offsets).astype(np.int64)
    seen = observed_periods(adoption)
    seen[time] = seen[time].astype(np.int64)
    rows = rows.merge(seen, on=[by, time], how="inner")  # missing periods inside a window: no row
    seen_set = set(zip(seen[by], seen[time]))
    rows["event"] = (rows[time] == rows[first_col]).fillna(False).astype(np.int8)
    rows["duration"] = (rows[time] - rows["origin"]).astype(np.int64)
    rows["after_gap"] = np.array([t > lo and (g, t - 1) not in seen_set for g, t, lo in zip(rows[by], rows[time], rows["first_observed"])], dtype=np.int8)
    extra = [c for c in PROVINCE_COLUMNS if c in rows]
    out = rows[[by, *extra, "slogan_id", "slogan", time, "origin", "risk_start", "duration", "event", "after_gap"]]
    if by == "province" and "province_code" in out:
        out = _neighbour_terms(out, adoption, time)
    order = {sid: i for i, sid in enumerate(dict.fromkeys(adoption["slogan_id"]))}
    out = sort_table(out.assign(_order=out["slogan_id"].map(order)), [by, "_order", time]).drop(columns="_order").reset_index(drop=True)
    counts = {k: int(v.sum()) for k, v in reasons.items()}
    notes = [
        f"{counts['left_censored']} {by}-slogan pairs left-censored (already using the slogan in their first observed {time}; adoption date unknown): excluded from the risk set",
        f"{counts['adopted_before_risk_start']} pairs adopted before the slogan's first central use (or lexicon date): excluded from the risk set",
        f"{counts['not_observed_at_risk']} pairs never observed from the slogan's first central use on: excluded",
    ]
    out.attrs.update(adoption.attrs, excluded=counts, notes=[n for n, c in zip(notes, counts.values()) if c], origin="first central use" if central_col in adoption else "lexicon first_used")
    return out


def _neighbour_terms(rows: pd.DataFrame, adoption: pd.DataFrame, time: str) -> pd.DataFrame:
    """``n_neighbours``, ``neighbour_share`` and ``no_neighbour`` of each event row (adoption by contiguous provinces up to t − 1)."""
    neighbours = province_neighbours()
    first_col = f"first_{time}"
    known = adoption[adoption["province_code"].notna()]
    entry = dict(zip(known["province_code"].astype(int), known["first_observed"]))
    first = {(int(c), s): t for c, s, t, a in zip(known["province_code"], known["slogan_id"], known[first_col], known["adopted"]) if a}
    n_obs, n_adopted = [], []
    for code, slogan, t in zip(rows["province_code"], rows["slogan_id"], rows[time]):
        near = [n for n in neighbours.get(int(code), ()) if n in entry and entry[n] <= t - 1] if pd.notna(code) else []
        n_obs.append(len(near))
        n_adopted.append(sum(1 for n in near if (n, slogan) in first and first[(n, slogan)] <= t - 1))
    out = rows.copy()
    out["n_neighbours"] = np.array(n_obs, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["neighbour_share"] = np.where(out["n_neighbours"] > 0, np.array(n_adopted) / np.maximum(out["n_neighbours"], 1), 0.0)
    out["no_neighbour"] = (out["n_neighbours"] == 0).astype(np.int8)
    return out
