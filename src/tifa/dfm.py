"""The document-feature matrix and the grouping core every analysis shares.

A :class:`DFM` is any units × features count matrix with docvars aligned to
its rows: words (a dfm proper), slogans (quanteda's ``dfm_lookup``), topics.
Grouping is one core on integer codes (:func:`group_rows`: one factorisation,
one stable sort), used for summing, rates and keyness alike.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from tifa.errors import InputError
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

GROUP_SEP = " | "


@dataclass
class DFM:
    """Document-feature matrix: ``matrix`` (rows × features, sparse counts), ``features``, ``docvars`` (rows, aligned)."""

    matrix: sparse.csr_matrix
    features: np.ndarray
    docvars: pd.DataFrame

    def __post_init__(self) -> None:
        if self.matrix.shape != (len(self.docvars), len(self.features)):
            raise ValueError(f"matrix {self.matrix.shape} does not fit {len(self.docvars)} rows × {len(self.features)} features")

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    @property
    def row_totals(self) -> np.ndarray:
        return np.asarray(self.matrix.sum(axis=1)).ravel()

    def to_frame(self) -> pd.DataFrame:
        """Dense DataFrame (rows × features); for small matrices."""
        return pd.DataFrame(self.matrix.toarray(), index=self.docvars.index, columns=self.features)

    def __repr__(self) -> str:
        return f"<DFM {self.shape[0]} rows × {self.shape[1]} features, {int(self.matrix.sum())} tokens>"


def _as_list(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def refuse_output_names(by: str | Sequence[str] | None, columns: Sequence[str], what: str) -> None:
    """Grouping by a docvar named like a column of the output table would give two columns of one name: refused."""
    clash = [b for b in ([] if by is None else _as_list(by)) if b in columns]
    if clash:
        raise InputError(f"cannot group the {what} table by the docvar {clash[0]!r}: the table has a column of that name ({', '.join(columns)}); rename the docvar in the corpus")


def group_keys(docvars: pd.DataFrame, by: str | Sequence[str]) -> pd.Series:
    """Group label per row (``"湖南省"``, ``"prefecture | 2016"``); NA where a grouping docvar is missing."""
    by = _as_list(by)
    missing = [b for b in by if b not in docvars.columns and b != docvars.index.name]
    if missing:
        raise InputError(f"no docvar {missing} to group by; available: {sorted(docvars.columns)}")
    frame = docvars.reset_index()[by] if docvars.index.name in by else docvars[by]
    values = frame.astype("string")
    key = values.iloc[:, 0]
    for col in values.columns[1:]:
        key = key + GROUP_SEP + values[col]
    return pd.Series(key.to_numpy(), index=docvars.index, dtype="string")


def dfm_group(x: DFM, by: str | Sequence[str], *, fill: bool = False) -> DFM:
    """Sum rows by docvar(s). Rows with a missing grouping value are left out (logged).

    ``fill=True`` keeps empty groups: every combination of the observed values of
    each ``by`` docvar gets a row, with zero counts where no document falls.
    """
    by = _as_list(by)
    keys = group_keys(x.docvars, by)
    present = keys.notna().to_numpy()
    if not present.all():
        log.warning("%d rows without %s are left out of the grouping", int((~present).sum()), "/".join(by))
    frame = x.docvars.reset_index()
    if fill:
        levels = [sorted(frame.loc[present, b].dropna().unique()) for b in by]
        combos = pd.DataFrame(list(itertools.product(*levels)), columns=by)
    else:
        combos = sort_table(frame.loc[present, by].drop_duplicates(), by).reset_index(drop=True)
    combo_keys = group_keys(combos, by).to_numpy()
    position = {k: i for i, k in enumerate(combo_keys)}
    rows = np.flatnonzero(present)
    indicator = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), ([position[k] for k in keys.to_numpy()[rows]], rows)),
        shape=(len(combo_keys), x.shape[0]),
    )
    docvars = combos.copy()
    docvars["n_docs"] = np.asarray(indicator.sum(axis=1)).ravel()
    docvars.index = pd.Index(combo_keys, name=GROUP_SEP.join(by))
    return DFM((indicator @ x.matrix).tocsr(), x.features, docvars)


def dfm_subset(x: DFM, keep: np.ndarray | pd.Series) -> DFM:
    """The rows of ``x`` where the boolean ``keep`` is true (quanteda's ``dfm_subset``); features are kept, zero columns too."""
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (x.shape[0],):
        raise ValueError(f"keep has {keep.shape} values for {x.shape[0]} rows")
    return DFM(x.matrix[keep], x.features, x.docvars[keep])


def dfm_trim(x: DFM, *, min_count: int = 1, min_docfreq: int = 1) -> DFM:
    """Keep features with at least ``min_count`` tokens and ``min_docfreq`` rows."""
    counts = np.asarray(x.matrix.sum(axis=0)).ravel()
    docfreq = np.asarray((x.matrix > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero((counts >= min_count) & (docfreq >= min_docfreq))
    return DFM(x.matrix[:, keep], x.features[keep], x.docvars)


def group_rows(docvars: pd.DataFrame, by: str | Sequence[str], *, what: str = "rows") -> dict[str, np.ndarray]:
    """Row positions of each group (groups sorted by label, rows in order); rows missing a grouping value are left out and logged.

    The grouping core: one factorisation into integer codes and one stable sort,
    O(rows log rows) whatever the number of groups.
    """
    keys = group_keys(docvars, by)
    codes, labels = pd.factorize(keys, sort=True)  # missing keys get code -1
    n_missing = int((codes < 0).sum())
    if n_missing:
        log.warning("%d %s without %s are left out", n_missing, what, "/".join(_as_list(by)))
    order = np.argsort(codes, kind="stable")[n_missing:]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes[codes >= 0], minlength=len(labels)))])
    return {str(label): order[bounds[i] : bounds[i + 1]] for i, label in enumerate(labels)}


def group_values(docvars: pd.DataFrame, groups: dict[str, np.ndarray], by: str | Sequence[str]) -> pd.DataFrame:
    """The grouping docvars' values of each group of :func:`group_rows`, one row per group (in its order)."""
    by = _as_list(by)
    frame = docvars.reset_index() if docvars.index.name in by else docvars
    first = np.array([rows[0] for rows in groups.values()], dtype=np.int64)
    return frame[by].iloc[first].reset_index(drop=True)


def group_sums(values: np.ndarray | sparse.spmatrix, groups: dict[str, np.ndarray]) -> np.ndarray:
    """Column sums of ``values`` (rows × columns) over the rows of each group: groups × columns."""
    codes = np.full(values.shape[0], -1, dtype=np.int64)
    for i, rows in enumerate(groups.values()):
        codes[rows] = i
    kept = np.flatnonzero(codes >= 0)
    indicator = sparse.csr_matrix((np.ones(len(kept)), (codes[kept], kept)), shape=(len(groups), values.shape[0]))
    summed = indicator @ values
    return np.asarray(summed.toarray() if sparse.issparse(summed) else summed)


