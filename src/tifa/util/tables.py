"""Tables: one total order that is the same on every CPU, and one way to format numbers for files."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tifa import config

P_VALUE_COLUMNS = ("p", "p_adj", "p_value")


def sort_table(table: pd.DataFrame, by: Sequence[str], ascending: bool | Sequence[bool] = True) -> pd.DataFrame:
    """Rows in a total order that is the same on every CPU: a stable sort on ``by`` (end it with a unique tie-breaker).

    Float keys are compared rounded to ``config.SORT_DECIMALS`` decimals: numpy's
    SIMD paths (and BLAS kernels) differ by CPU in the last bits, which would
    otherwise reorder rows whose statistics are equal (e.g. terms with the same counts).
    """
    return table.sort_values(list(by), ascending=ascending, kind="stable", key=_rounded)


def _rounded(column: pd.Series) -> pd.Series:
    return column.round(config.SORT_DECIMALS) if pd.api.types.is_float_dtype(column) else column


def format_table(table: pd.DataFrame, *, decimals: int = config.TABLE_DECIMALS) -> pd.DataFrame:
    """A table as it is written: floats rounded to ``decimals``, p-values as ``1.23e-04``, integers as integers.

    Rounding also makes the files the same on every CPU (the last bits of logs and
    BLAS sums differ between SIMD paths).
    """
    out = table.copy()
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        if col in P_VALUE_COLUMNS:
            out[col] = [f"{v:.2e}" if pd.notna(v) else "" for v in out[col]]
        else:
            out[col] = [f"{v:.{decimals}f}" if pd.notna(v) else "" for v in out[col]]
    return out
