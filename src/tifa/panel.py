"""Slogans across groups and time: the balanced panel of counts, exposure and exact rates.

Everything starts from one documents × slogans count matrix
(:func:`tifa.slogans.slogan_dfm`, quanteda's ``dfm_lookup``: the lexicon is the
dictionary), built by the engine over the ``include_parts`` paragraphs, whose Han
characters are the exposure, and summed by group with the grouping core of
:mod:`tifa.dfm`. The panel is balanced: every combination of the grouping levels
present (e.g. province × year) × every lexicon entry, with zero counts and zero
exposure (``n_docs = 0``) where no document falls, so that a Stata or R user can
model it directly.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tifa import config
from tifa.dfm import DFM, group_keys, group_rows, group_sums, group_values, refuse_output_names
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.places import PROVINCE_COLUMNS, add_province_columns
from tifa.slogans import SloganMatcher, lexicon_table, slogan_dfm
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

PER = 10_000  # rates per 10,000 Han characters


# --- choosing slogans and checking docvars -------------------------------------------------


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


def _check_docvars(docvars: pd.DataFrame, names: Sequence[str], what: str, source: str = "") -> None:
    """Refuse grouping docvars that are absent or without any value, and docvars that never have all of ``names`` at once."""
    missing = [n for n in names if n not in docvars.columns or not docvars[n].notna().any()]
    where = f"{source}: " if source else ""
    if missing:
        raise InputError(f"{where}no docvar {missing} to {what}; available: {sorted(c for c in docvars.columns if c != 'n_chars')}. Add it to the corpus metadata or choose another.")
    if not docvars[list(names)].notna().all(axis=1).any():
        raise InputError(f"{where}no document has all of {list(names)} to {what}; fill them in the corpus metadata or choose other docvars.")


# --- the panel ------------------------------------------------------------------------


def poisson_interval(counts: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a Poisson mean given observed ``counts``: χ² quantiles, lower bound 0 for a zero count."""
    from scipy import stats  # imported here: scipy.stats costs a second at the start of every command

    if not 0 < conf < 1:
        raise InputError(f"conf must lie between 0 and 1, not {conf!r}")
    k = np.asarray(counts, dtype=np.float64)
    tail = (1 - conf) / 2
    low = np.where(k > 0, stats.chi2.ppf(tail, np.maximum(2 * k, 1)) / 2, 0.0)
    high = stats.chi2.ppf(1 - tail, 2 * k + 2) / 2
    return low, high


PANEL_COLUMNS = ("n_docs", "n_chars", "slogan_id", "slogan", "en", "category", "first_used", "count", "per_10k", "ci_low", "ci_high", *PROVINCE_COLUMNS)


def slogan_panel(
    x,
    by: str | Sequence[str] = ("province", "year"),
    slogans: str | Sequence[str] | None = None,
    *,
    matcher: SloganMatcher | None = None,
    conf: float = config.PANEL_CONF,
    include_parts: str | Sequence[str] | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Balanced panel: every combination of the ``by`` levels present × every (chosen) lexicon entry.

    Columns: ``<by>…, n_docs, n_chars, slogan_id, slogan, en, category, first_used,
    count, per_10k, ci_low, ci_high``. ``n_chars`` (Han characters of the group's
    counted paragraphs, those of ``include_parts``) is the exposure; ``per_10k`` is count per 10,000 of them with an
    exact Poisson (Garwood) ``conf`` interval on the same scale. A combination
    without documents has ``n_docs = 0``, ``n_chars = 0``, ``count = 0`` and no rate
    (NaN). Documents missing a ``by`` value are left out (logged). Rows: groups in
    sorted order of their levels, then lexicon order. Grouped by ``province``, the
    panel also carries ``province_code`` (GB/T 2260), ``province_en`` and ``region``
    after it, so covariates merge by code.
    """
    source = as_source(x, engine=engine)
    by = _as_list(by)
    refuse_output_names(by, PANEL_COLUMNS, "panel")
    _check_docvars(source.docvars.reset_index(), by, "build the panel by", source.label)
    matcher = matcher or SloganMatcher()
    keep = select_slogans(matcher, slogans)
    matrix = slogan_dfm(source, matcher, include_parts=include_parts)
    table = panel_from_dfm(matrix, by, keep, matcher=matcher, conf=conf, source=source.label)
    return add_province_columns(table) if "province" in by else table


def panel_from_dfm(x: DFM, by: Sequence[str], keep: np.ndarray, *, matcher: SloganMatcher, conf: float = config.PANEL_CONF, source: str = "") -> pd.DataFrame:
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


def widespread_slogans(panel: pd.DataFrame, n: int = 6, *, group: str = "province") -> list[str]:
    """Ids of the ``n`` slogans used by the most groups (ties: more mentions, then id); slogans never used are left out."""
    used = panel[panel["count"] > 0]
    spread = used.groupby("slogan_id", sort=True).agg(n_groups=(group, "nunique"), count=("count", "sum")).reset_index()
    return list(sort_table(spread, ["n_groups", "count", "slogan_id"], ascending=[False, False, True])["slogan_id"].head(n))
