"""Slogans across groups and time: the balanced panel, first adoption and lag behind the centre, event history, count models.

Everything starts from one documents × slogans count matrix (:func:`slogan_dfm`,
quanteda's ``dfm_lookup``: the lexicon is the dictionary) summed by group with the
grouping core of :mod:`tifa.stats`. The panel is balanced: every combination of
the grouping levels present (e.g. province × year) × every lexicon entry, with
zero counts and zero exposure (``n_docs = 0``) where no document falls, so that
a Stata or R user can model it directly. Adoption tables keep groups that never
use a slogan (right-censored) and negative lags (a province ahead of the centre,
or a mis-dated document) instead of clipping them.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse, stats

from tifa import config
from tifa.corpus import Corpus, load_corpus
from tifa.errors import InputError
from tifa.slogans import SloganMatcher, lexicon_table
from tifa.stats import DFM, group_keys, group_rows, group_sums, group_values, sort_table

log = logging.getLogger(__name__)

PER = 10_000  # rates per 10,000 Han characters
CENTRAL_DATASETS = ("national",)  # names accepted by slogan_adoption(central=...)


# --- the count matrix ---------------------------------------------------------------


def slogan_dfm(corpus: Corpus, matcher: SloganMatcher | None = None, *, n_jobs: int = 1) -> DFM:
    """Documents × lexicon entries (features: slogan ids), sparse counts, docvars by ``doc_id`` (quanteda's ``dfm_lookup``)."""
    matcher = matcher or SloganMatcher()
    counts = matcher.count_many(list(corpus.docs["text"]), n_jobs=n_jobs)
    return DFM(sparse.csr_matrix(counts, dtype=np.int64), np.array([s.id for s in matcher.slogans], dtype=object), corpus.docvars)


def select_slogans(matcher: SloganMatcher, slogans: str | Sequence[str] | None) -> np.ndarray:
    """Positions in the lexicon of ``slogans`` (ids or canonical forms; ``None``: every entry), in lexicon order."""
    if slogans is None:
        return np.arange(len(matcher.slogans))
    wanted = [slogans] if isinstance(slogans, str) else list(slogans)
    known = {key: i for i, s in enumerate(matcher.slogans) for key in (s.id, s.zh)}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InputError(f"slogans {unknown} are not in the lexicon ({config.SLOGANS_YAML.name}); give ids or canonical forms, e.g. {[s.id for s in matcher.slogans[:3]]}, or add the entries to the lexicon")
    return np.array(sorted({known[w] for w in wanted}), dtype=np.int64)


def _as_list(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _check_docvars(corpus: Corpus, names: Sequence[str], what: str) -> None:
    missing = [n for n in names if n not in corpus.docs.columns or not corpus.docs[n].notna().any()]
    if missing:
        raise InputError(f"{corpus.source}: no docvar {missing} to {what}; available: {sorted(c for c in corpus.docs.columns if c not in ('text', 'doc_id'))}. Add it to the corpus metadata or choose another.")


# --- the panel ------------------------------------------------------------------------


def poisson_interval(counts: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a Poisson mean given observed ``counts``: χ² quantiles, lower bound 0 for a zero count."""
    if not 0 < conf < 1:
        raise InputError(f"conf must lie between 0 and 1, not {conf!r}")
    k = np.asarray(counts, dtype=np.float64)
    tail = (1 - conf) / 2
    low = np.where(k > 0, stats.chi2.ppf(tail, np.maximum(2 * k, 1)) / 2, 0.0)
    high = stats.chi2.ppf(1 - tail, 2 * k + 2) / 2
    return low, high


def slogan_panel(
    corpus: Corpus,
    by: str | Sequence[str] = ("province", "year"),
    slogans: str | Sequence[str] | None = None,
    *,
    matcher: SloganMatcher | None = None,
    conf: float = 0.95,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Balanced panel: every combination of the ``by`` levels present × every (chosen) lexicon entry.

    Columns: ``<by>…, n_docs, n_chars, slogan_id, slogan, en, category, first_used,
    count, per_10k, ci_low, ci_high``. ``n_chars`` (Han characters of the group's
    documents) is the exposure; ``per_10k`` is count per 10,000 of them with an
    exact Poisson (Garwood) ``conf`` interval on the same scale. A combination
    without documents has ``n_docs = 0``, ``n_chars = 0``, ``count = 0`` and no rate
    (NaN). Documents missing a ``by`` value are left out (logged). Rows: groups in
    sorted order of their levels, then lexicon order.
    """
    by = _as_list(by)
    _check_docvars(corpus, by, "build the panel by")
    matcher = matcher or SloganMatcher()
    keep = select_slogans(matcher, slogans)
    x = slogan_dfm(corpus, matcher, n_jobs=n_jobs)
    return panel_from_dfm(x, by, keep, matcher=matcher, conf=conf, source=corpus.source)


def panel_from_dfm(x: DFM, by: Sequence[str], keep: np.ndarray, *, matcher: SloganMatcher, conf: float = 0.95, source: str = "") -> pd.DataFrame:
    """The balanced panel of :func:`slogan_panel` from a documents × slogans matrix (the combine step of every engine)."""
    groups = group_rows(x.docvars, by, what="documents")
    counts = group_sums(x.matrix[:, keep], groups).astype(np.int64)  # present groups × slogans
    n_chars = group_sums(x.docvars["n_chars"].to_numpy(dtype=np.float64)[:, None], groups).ravel().astype(np.int64)
    n_docs = np.array([len(rows) for rows in groups.values()], dtype=np.int64)
    present = group_values(x.docvars, groups, by)

    levels = [sorted(present[b].unique().tolist()) for b in by]
    grid = pd.DataFrame(list(itertools.product(*levels)), columns=by)
    for b in by:
        grid[b] = grid[b].astype(present[b].dtype)
    where = pd.Index(group_keys(grid, by).to_numpy()).get_indexer(list(groups))
    full_counts = np.zeros((len(grid), len(keep)), dtype=np.int64)
    full_counts[where] = counts
    full_chars = np.zeros(len(grid), dtype=np.int64)
    full_chars[where] = n_chars
    full_docs = np.zeros(len(grid), dtype=np.int64)
    full_docs[where] = n_docs

    n_slogans = len(keep)
    lexicon = lexicon_table(matcher).iloc[keep].reset_index(drop=True)[["slogan_id", "slogan", "en", "category", "first_used"]]
    table = grid.loc[np.repeat(np.arange(len(grid)), n_slogans)].reset_index(drop=True)
    table["n_docs"] = np.repeat(full_docs, n_slogans)
    table["n_chars"] = np.repeat(full_chars, n_slogans)
    table = pd.concat([table, pd.concat([lexicon] * len(grid), ignore_index=True)], axis=1)
    count = full_counts.ravel()
    exposure = table["n_chars"].to_numpy(dtype=np.float64)
    low, high = poisson_interval(count, conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(exposure > 0, PER / exposure, np.nan)
    table["count"] = count
    table["per_10k"] = count * scale
    table["ci_low"] = low * scale
    table["ci_high"] = high * scale
    table.attrs.update(by=by, conf=conf, source=source)
    return table


# --- adoption -------------------------------------------------------------------------


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
    _check_docvars(corpus, [by, time], "date adoption by")
    matcher = matcher or SloganMatcher()
    keep = select_slogans(matcher, slogans)
    x = slogan_dfm(corpus, matcher)
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
        _check_docvars(reference, [time], "date the central reference by")
        central_first = first_periods(slogan_dfm(reference, matcher), time, keep)
        table[f"central_first_{time}"] = table["slogan_id"].map(central_first).astype(docvars[time].dtype)
        table["lag_vs_central"] = (table[first_col].astype("Float64") - table[f"central_first_{time}"].astype("Float64")).astype("Int64") if pd.api.types.is_numeric_dtype(docvars[time]) else pd.NA
        table["early_vs_central"] = (table["lag_vs_central"] < 0).fillna(False).astype(bool)
        table.attrs["central"] = reference.source
    order = {sid: i for i, sid in enumerate(ids)}
    table["_order"] = table["slogan_id"].map(order)
    table = sort_table(table, [by, "_order"]).drop(columns="_order").reset_index(drop=True)
    columns = [by, "slogan_id", "slogan", "en", "first_used", "n_docs", "entry", "last", first_col, "first_doc", count_col, "adopted", "censored"]
    table = table[columns + [c for c in table.columns if c not in columns]]
    table.attrs.update(by=by, time=time, source=corpus.source)
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


# --- export for Stata and R -----------------------------------------------------------

LABELS = {
    "n_docs": "documents in the cell (0: no document)",
    "n_chars": "exposure: Han characters of the cell's documents",
    "slogan_id": "slogan id (tifa lexicon)",
    "slogan": "slogan, canonical Chinese form",
    "en": "slogan, English gloss",
    "category": "slogan category",
    "first_used": "date of first official use (lexicon)",
    "count": "mentions of the slogan",
    "per_10k": "mentions per 10,000 Han characters",
    "ci_low": "rate per 10k: exact Poisson lower bound",
    "ci_high": "rate per 10k: exact Poisson upper bound",
    "entry": "first observed period of the group",
    "last": "last observed period of the group",
    "exit": "period of first use, or last observed (censored)",
    "event": "1: the group adopted the slogan",
    "censored": "1: never adopted while observed (right-censored)",
    "adopted": "1: the group adopted the slogan",
    "duration": "exit - entry, in periods",
    "first_year": "year of first use in the group",
    "first_doc": "document of first use",
    "count_first_year": "mentions in the year of first use",
    "lag_vs_first_used": "first year - year of first official use",
    "early_vs_first_used": "1: used before the first official use",
    "central_first_year": "year of first use in the central reference",
    "lag_vs_central": "first year - central first year",
    "early_vs_central": "1: used before the central reference",
    "first_used_year": "year of first official use (lexicon)",
    "start": "at risk from: years since first official use",
    "stop": "end of exit year: years since first official use",
    "at_risk": "1: observed while the slogan existed",
    "early": "1: adopted before the first official use",
}

_STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip str strL using with".split()
)


def stata_names(columns: Sequence[str]) -> dict[str, str]:
    """Names Stata accepts (letters, digits, ``_``; ≤ 32 characters; not reserved; unique), for each column."""
    import re

    out, used = {}, set()
    for col in columns:
        name = re.sub(r"\W", "_", str(col), flags=re.ASCII).strip("_") or "v"
        if name[0].isdigit() or name in _STATA_RESERVED:
            name = f"v_{name}"
        name = name[:32]
        base, i = name, 2
        while name.lower() in used:
            name = f"{base[: 32 - len(str(i)) - 1]}_{i}"
            i += 1
        used.add(name.lower())
        out[col] = name
    return out


def stata_frame(table: pd.DataFrame, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """``table`` as Stata can hold it, with variable labels: names sanitised, booleans 0/1, missing strings empty, floats rounded."""
    names = stata_names(table.columns)
    labels = {**LABELS, **(labels or {})}
    frame = pd.DataFrame(index=range(len(table)))
    for col, name in names.items():
        values = table[col].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(np.int8)
        elif pd.api.types.is_integer_dtype(values):
            values = values.astype(np.float64) if values.isna().any() else values.astype(np.int64)
        elif pd.api.types.is_float_dtype(values):
            values = values.astype(np.float64).round(config.PANEL_DECIMALS)
        else:
            values = values.astype(object).where(values.notna(), "").astype(str)
        frame[name] = values
    variable_labels = {}
    for col, name in names.items():
        label = labels.get(str(col), str(col))
        if name != col and str(col) not in label:
            label = f"{col}: {label}"  # the original (e.g. Chinese) name survives in the label
        variable_labels[name] = label[:80]
    return frame, variable_labels


EXPORT_FORMATS = ("csv", "parquet", "dta")


def write_table(table: pd.DataFrame, path: str | Path, *, format: str | None = None, labels: dict[str, str] | None = None, title: str = "") -> Path:
    """Write a panel, adoption or event table as CSV, Parquet or Stata ``.dta`` (version 118: Unicode, variable labels).

    ``format`` defaults to the file's suffix. Floats are rounded to
    ``config.PANEL_DECIMALS`` decimals (same bytes on every CPU); the Stata file
    carries a fixed time stamp, so the same table gives the same bytes.
    """
    from datetime import datetime

    from tifa.errors import OutputError
    from tifa.study import format_table

    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"{path}: cannot tell the format; use a file ending in {', '.join('.' + f for f in EXPORT_FORMATS)} or pass format=")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            format_table(table, decimals=config.PANEL_DECIMALS).to_csv(path, index=False, lineterminator="\n")
        elif fmt == "parquet":
            out = table.copy()
            for col in out.columns:
                if pd.api.types.is_float_dtype(out[col]):
                    out[col] = out[col].round(config.PANEL_DECIMALS)
            out.attrs = {}
            out.to_parquet(path, index=False)
        else:
            frame, variable_labels = stata_frame(table, labels)
            frame.to_stata(path, write_index=False, version=118, variable_labels=variable_labels, data_label=(title or "tifa table")[:80], time_stamp=datetime(2000, 1, 1))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc}). Choose a writable path.") from exc
    return path


# --- count models ---------------------------------------------------------------------

EFFECTS = ("fe", "region", "trend", None)


def province_regions(provinces: Sequence[str]) -> pd.Series:
    """The NBS region (East, Central, West, Northeast) of each province, from the gazetteer (full or short name)."""
    from tifa.places import load_regions

    regions = load_regions()
    out = {}
    for p in dict.fromkeys(provinces):
        row = regions.loc[p] if p in regions.index else None
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        region = "" if row is None else row.get("region", "")
        if not region:
            raise InputError(f"province {p!r} has no region in {config.REGIONS_CSV.name}; add it (East, Central, West or Northeast) or use group effects 'fe'")
        out[p] = region
    return pd.Series(out, name="region")


def _model_data(panel: pd.DataFrame, group: str, time: str, group_effects, time_effects, slogans) -> tuple[pd.DataFrame, list[str], int]:
    """Rows with exposure, the categorical effects, and rows dropped because a level never has a mention."""
    data = panel[panel["n_chars"] > 0].copy()
    if slogans is not None:
        data = data[data["slogan_id"].isin(_as_list(slogans)) | data["slogan"].isin(_as_list(slogans))]
    if data.empty:
        raise InputError("the panel has no cell with exposure (n_chars > 0) for these slogans")
    categorical = []
    if data["slogan_id"].nunique() > 1:
        categorical.append("slogan_id")
    if group_effects == "fe":
        categorical.append(group)
    elif group_effects == "region":
        data["region"] = data[group].map(province_regions(list(data[group].unique())))
        categorical.append("region")
    if time_effects == "fe":
        categorical.append(time)
    # a level whose cells never hold a mention has an estimate of −∞ (separation): leave its cells out, as fixest does
    n_before = len(data)
    while True:
        bad = np.zeros(len(data), dtype=bool)
        for col in categorical:
            totals = data.groupby(col, sort=True)["count"].transform("sum").to_numpy()
            bad |= totals == 0
        if not bad.any():
            break
        data = data[~bad]
    if data.empty or data["count"].sum() == 0:
        raise InputError("no mention of these slogans in any cell with exposure: nothing to model")
    return data.reset_index(drop=True), categorical, n_before - len(data)


def _design(data: pd.DataFrame, categorical: list[str], time: str, time_effects) -> pd.DataFrame:
    design = pd.DataFrame({"Intercept": np.ones(len(data))})
    for col in categorical:
        levels = sorted(data[col].unique().tolist())
        name = "slogan" if col == "slogan_id" else col
        for level in levels[1:]:  # the first level is the reference
            design[f"{name}[{level}]"] = (data[col] == level).to_numpy(dtype=np.float64)
    if time_effects == "trend":
        t = data[time].astype(np.float64)
        design[f"{time} (trend)"] = (t - t.min()).to_numpy()
    return design


def slogan_model(
    panel: pd.DataFrame,
    *,
    slogans: str | Sequence[str] | None = None,
    family: str = "poisson",
    group: str = "province",
    time: str = "year",
    group_effects: str | None = "fe",
    time_effects: str | None = "fe",
    cluster: str | None = "province",
    conf: float = 0.95,
    alpha: float | None = None,
) -> pd.DataFrame:
    """Poisson or negative-binomial (NB2) regression of a panel's counts with offset log(``n_chars``), by statsmodels' GLM.

    ``group_effects``: ``"fe"`` (one effect per group), ``"region"`` (NBS region of
    the province) or ``None``; ``time_effects``: ``"fe"``, ``"trend"`` (linear, in
    periods since the first) or ``None``; with several slogans each gets its own
    effect. Cells without exposure are left out, as are cells of a level that never
    has a mention (its estimate would be −∞). Standard errors are clustered by
    ``cluster`` (statsmodels' small-sample correction) unless ``None`` or there is a
    single cluster (then model-based; ``attrs["cluster"]`` is None). For
    ``"negbin"`` the dispersion ``alpha`` is estimated by maximum likelihood
    unless given. With group effects and clusters by the same groups, the groups'
    own clustered errors are degenerate (each effect lives inside one cluster):
    read the other terms. Returns ``term, coef, se, z, p, ci_low, ci_high`` (log scale);
    ``attrs`` hold ``n_obs``, ``n_clusters``, ``n_dropped``, ``alpha``, ``family``.
    """
    import statsmodels.api as sm

    if family not in ("poisson", "negbin"):
        raise InputError(f"family must be 'poisson' or 'negbin', not {family!r}")
    if group_effects not in ("fe", "region", None) or time_effects not in ("fe", "trend", None):
        raise InputError(f"group_effects must be 'fe', 'region' or None and time_effects 'fe', 'trend' or None, not {group_effects!r}, {time_effects!r}")
    data, categorical, n_dropped = _model_data(panel, group, time, group_effects, time_effects, slogans)
    design = _design(data, categorical, time, time_effects)
    n_params = design.shape[1]
    rank = np.linalg.matrix_rank(design.to_numpy())
    if rank < n_params or len(data) <= n_params:
        raise InputError(
            f"the model with {group} effects {group_effects!r} and {time} effects {time_effects!r} is not identified on this panel "
            f"({len(data)} cells, {n_params} parameters, rank {rank}); e.g. each {group} is seen in one {time} only. "
            "Use group_effects='region' or time_effects='trend' (choose_effects picks the richest identified one)."
        )
    y = data["count"].to_numpy(dtype=np.float64)
    offset = np.log(data["n_chars"].to_numpy(dtype=np.float64))
    fit_kw = {}
    n_clusters = None
    if cluster is not None:
        codes = pd.factorize(data[cluster], sort=True)[0]
        n_clusters = int(codes.max()) + 1
        if n_clusters >= 2:
            fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
        else:  # one cluster: clustered errors are undefined
            log.warning("one %s only: model-based standard errors instead of clustered ones", cluster)
            cluster = None
    alpha_row = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if family == "negbin":
            if alpha is None:
                nb = sm.NegativeBinomial(y, design, offset=offset, loglike_method="nb2").fit(method="bfgs", maxiter=1000, disp=0)
                alpha = float(nb.params.iloc[-1])
                if not (nb.mle_retvals.get("converged") and np.isfinite(alpha) and alpha > 0):
                    raise InputError(f"the negative-binomial dispersion could not be estimated on this panel (alpha = {alpha}); pass alpha= or use family='poisson'")
                alpha_row = ("alpha (dispersion)", alpha, float(nb.bse.iloc[-1]))
            glm_family = sm.families.NegativeBinomial(alpha=alpha)
        else:
            glm_family = sm.families.Poisson()
        result = sm.GLM(y, design, family=glm_family, offset=offset).fit(**fit_kw)
    ci = np.asarray(result.conf_int(alpha=1 - conf))

    def tidy(values) -> np.ndarray:  # 12 decimals: no −0.0 for a zero estimate, whatever the CPU's last bits
        return np.round(np.asarray(values, dtype=np.float64), 12) + 0.0

    table = pd.DataFrame(
        {
            "term": design.columns,
            "coef": tidy(result.params),
            "se": tidy(result.bse),
            "z": tidy(result.tvalues),
            "p": np.asarray(result.pvalues),
            "ci_low": tidy(ci[:, 0]),
            "ci_high": tidy(ci[:, 1]),
        }
    )
    if alpha_row is not None:
        z = stats.norm.ppf(1 - (1 - conf) / 2)
        name, value, se = alpha_row
        table.loc[len(table)] = (name, value, se, np.nan, np.nan, value - z * se, value + z * se)
    table.attrs.update(
        family=family, group_effects=group_effects, time_effects=time_effects, cluster=cluster,
        n_obs=len(data), n_clusters=n_clusters, n_dropped=n_dropped, alpha=alpha, result=result,
    )
    return table


SPECIFICATIONS = (("fe", "fe"), ("region", "fe"), ("fe", "trend"), ("region", "trend"), (None, "trend"), (None, None))


def choose_effects(panel: pd.DataFrame, *, slogans: str | Sequence[str] | None = None, group: str = "province", time: str = "year") -> dict[str, str | None] | None:
    """The richest identified specification, in the order of ``SPECIFICATIONS`` (group × time fixed effects first); None if none is."""
    for group_effects, time_effects in SPECIFICATIONS:
        try:
            data, categorical, _ = _model_data(panel, group, time, group_effects, time_effects, slogans)
        except InputError as exc:
            log.info("%s/%s: %s", group_effects, time_effects, exc)
            continue
        design = _design(data, categorical, time, time_effects)
        if np.linalg.matrix_rank(design.to_numpy()) == design.shape[1] and len(data) > design.shape[1]:
            return {"group_effects": group_effects, "time_effects": time_effects}
    return None


def widespread_slogans(panel: pd.DataFrame, n: int = 6, *, group: str = "province") -> list[str]:
    """Ids of the ``n`` slogans used by the most groups (ties: more mentions, then id); slogans never used are left out."""
    used = panel[panel["count"] > 0]
    spread = used.groupby("slogan_id", sort=True).agg(n_groups=(group, "nunique"), count=("count", "sum")).reset_index()
    return list(sort_table(spread, ["n_groups", "count", "slogan_id"], ascending=[False, False, True])["slogan_id"].head(n))
