"""Text reuse: the passages a document takes from central documents (or from the other documents of its corpus), aligned.

:func:`find_reuse` builds the index of the central documents once
(:func:`tifa.reuse_index.build_index`), runs the per-partition step
(:func:`tifa.reuse_index.partition_reuse`) over the local corpus, in memory, streamed
from a store or on Dask, and combines the partitions' tables (:func:`combine_reuse`).
The method (character shingles, MinHash LSH, Smith–Waterman) is described in
:mod:`tifa.reuse_index`; aggregates (shares by group, by central document, lags,
who copies whom) are below.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from tifa.errors import InputError
from tifa.reuse_index import DOCUMENT_COLUMNS, PAIR_COLUMNS, PASSAGE_COLUMNS, ReuseIndex, ReuseParams, build_index, partition_reuse
from tifa.units import join_docvars

log = logging.getLogger(__name__)


# --- sources, the combine step and the public function ---------------------------------------


def _source(x, *, engine=None, text_field: str = "text"):
    """The engine's :class:`~tifa.engine.Source` of a corpus, a store, a path, or ``"national"`` (the packaged national reports)."""
    from tifa.engine import as_source

    if isinstance(x, str) and x in CENTRAL_DATASETS:
        from tifa.datasets import national_reports

        x = national_reports()
    return as_source(x, engine=engine, text_field=text_field)


CENTRAL_DATASETS = ("national",)


def _group(central: str, docvars: pd.DataFrame) -> pd.Index | None:
    """The documents of a central group of the corpus, ``"<docvar>: <value>"`` (as :func:`tifa.adoption.central_group`) or
    ``"docvar=value"`` (``None`` when ``central`` is no such expression)."""
    from pathlib import Path

    from tifa.adoption import central_group

    if central in CENTRAL_DATASETS or Path(central).exists():
        return None
    name, sep, value = central.partition("=")
    found = (name.strip(), value.strip()) if sep and "/" not in central and ":" not in name else central_group(central, list(docvars.columns))
    if found is None:
        return None
    name, value = found
    if name not in docvars.columns:
        raise InputError(f"central group {central!r}: no docvar {name!r}; docvars: {sorted(map(str, docvars.columns))}")
    chosen = docvars.index[docvars[name].astype(str) == value]
    if not len(chosen):
        raise InputError(f"central group {central!r}: no document has {name} = {value}; values: {sorted(docvars[name].dropna().astype(str).unique())[:10]}")
    return chosen


def _filtered(partitions: list, ids: pd.Index) -> Iterable[pd.DataFrame]:
    wanted = set(map(str, ids))
    for p in partitions:
        docs = p.docs()
        yield docs[docs["doc_id"].astype(str).isin(wanted)]


@dataclass
class Reuse:
    """Text reuse found by :func:`find_reuse`: ``passages`` (one row per aligned passage), ``documents`` (per local
    document: Han characters, reused and formulaic ones, share) and ``pairs`` (reused characters per local × central document)."""

    passages: pd.DataFrame
    documents: pd.DataFrame
    pairs: pd.DataFrame
    params: ReuseParams
    within: bool
    central: str


def _concat(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """The partitions' rows in order; a partition without rows (untyped columns) does not turn the others' numbers into objects."""
    full = [f for f in frames if len(f)]
    if full:
        return pd.concat(full, ignore_index=True)
    return frames[0].iloc[:0].reset_index(drop=True) if frames else pd.DataFrame(columns=columns)


def combine_reuse(results: Sequence[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]], index: ReuseIndex, docvars: pd.DataFrame) -> Reuse:
    """The combine step: the partitions' tables in input order, with both sides' docvars and the lag (local year − central year)."""
    from tifa.util.tables import sort_table

    passages, documents, pairs = (_concat([r[i] for r in results], columns) for i, columns in enumerate((PASSAGE_COLUMNS, DOCUMENT_COLUMNS, PAIR_COLUMNS)))
    local_vars = docvars.drop(columns=["n_chars"], errors="ignore")
    central_vars = index.docvars.drop(columns=["n_chars"], errors="ignore")
    order = {doc_id: i for i, doc_id in enumerate(map(str, docvars.index))}
    for table, key in ((passages, "local_doc"), (pairs, "local_doc")):
        table["_local"] = table[key].map(order)
        table["_central"] = table["central_doc"].map(index.position)
    passages = sort_table(passages, ["_local", "local_start", "_central", "central_start", "local_end", "central_end"])
    pairs = sort_table(pairs, ["_local", "_central"])
    for name, table in (("passages", passages), ("pairs", pairs)):
        table = join_docvars(join_docvars(table, local_vars.add_prefix("local_"), on="local_doc"), central_vars.add_prefix("central_"), on="central_doc")
        if "local_year" in table and "central_year" in table:
            table["lag"] = (table["local_year"].astype("Float64") - table["central_year"].astype("Float64")).astype("Int64")
        table = table.drop(columns=["_local", "_central"]).reset_index(drop=True)
        if name == "passages":
            texts = ["local_text", "central_text"]
            passages = table[[c for c in table.columns if c not in texts] + texts]
        else:
            pairs = table
    documents = join_docvars(documents, local_vars)
    documents["share"] = documents["reused_chars"] / documents["han_chars"].where(documents["han_chars"] > 0)
    return Reuse(passages, documents.reset_index(drop=True), pairs, index.params, index.within, index.label)


def find_reuse(
    local,
    central="national",
    *,
    params: ReuseParams = ReuseParams(),
    text_field: str = "text",
    central_text_field: str = "text",
    engine=None,
    index: ReuseIndex | None = None,
    progress: bool | None = None,
) -> Reuse:
    """The passages the documents of ``local`` take from ``central``: a :class:`Reuse` (``.passages``, ``.documents``, ``.pairs``).

    ``local``: a :class:`~tifa.corpus.Corpus`, a store or a path (read as
    :func:`tifa.engine.as_source` reads it). ``central``: ``"national"`` (the packaged
    national reports), a corpus, store or path, ``"<docvar>: <value>"`` or ``"docvar=value"`` (those
    documents of ``local`` are the centre, the others are local), or ``None``: reuse between the
    documents of ``local`` (each pair once). The index of the centre is built once (or
    given: ``index``) and every partition of ``local`` is queried against it by the
    ``engine`` (``"memory"``, ``"stream"``, ``"dask"`` or a :class:`tifa.engine.Engine`), with the same output.
    """
    from tifa.lexicon import load_slogans

    source = _source(local, engine=engine, text_field=text_field)
    if index is None:
        slogans = load_slogans()
        if central is None:
            index = build_index((p.docs() for p in source.partitions), params=params, within=True, slogans=slogans, label="within", progress=progress)
        elif isinstance(central, str) and (group := _group(central, source.docvars)) is not None:
            index = build_index(_filtered(source.partitions, group), params=params, skip_local=True, slogans=slogans, label=central, progress=progress)
        else:
            centre = _source(central, engine="memory" if not isinstance(central, (str,)) or central in CENTRAL_DATASETS else None, text_field=central_text_field)
            index = build_index((p.docs() for p in centre.partitions), params=params, slogans=slogans, label=str(central if isinstance(central, str) else centre.label), progress=progress)
    results = source.map(_Step(index), desc="text reuse")
    return combine_reuse(results, index, source.docvars)


class _Step:
    """``partition -> partition_reuse(partition, index)``, picklable (Dask ships it with the index to the workers)."""

    def __init__(self, index: ReuseIndex):
        self.index = index

    def __call__(self, partition):
        return partition_reuse(partition, self.index)


# --- aggregates ------------------------------------------------------------------------------


def _by(by: str | Sequence[str] | None) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def reuse_shares(reuse: Reuse, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Share of the local documents' Han characters reused (non-formulaic passages, slogans and formulaic phrases left out), per document or per group of docvars ``by``.

    Columns: ``<by> | doc_id``, ``n_docs``, ``han_chars``, ``reused_chars``, ``share``,
    ``formulaic_chars`` (Han characters in slogans and in phrases of many central documents, counted apart), ``formulaic_share``.
    """
    from tifa.util.tables import sort_table

    docs = reuse.documents
    keys = _by(by) or ["doc_id"]
    missing = [k for k in keys if k not in docs.columns]
    if missing:
        raise InputError(f"no docvar {missing} to group reuse by; docvars: {sorted(c for c in docs.columns if c not in DOCUMENT_COLUMNS + ['share'])}")
    table = docs.groupby(keys, sort=False, dropna=False).agg(n_docs=("doc_id", "size"), han_chars=("han_chars", "sum"), reused_chars=("reused_chars", "sum"), formulaic_chars=("formulaic_chars", "sum")).reset_index()
    table["share"] = table["reused_chars"] / table["han_chars"].where(table["han_chars"] > 0)
    table["formulaic_share"] = table["formulaic_chars"] / table["han_chars"].where(table["han_chars"] > 0)
    table = table[keys + ["n_docs", "han_chars", "reused_chars", "share", "formulaic_chars", "formulaic_share"]]
    return sort_table(table, keys).reset_index(drop=True) if by is not None else table


def reuse_by_central(reuse: Reuse) -> pd.DataFrame:
    """Per local document and central document: passages, reused Han characters, their share of the local document, and the lag."""
    docs = reuse.documents.set_index("doc_id")["han_chars"]
    table = reuse.pairs.copy()
    table.insert(5, "share", table["reused_chars"] / table["local_doc"].map(docs).where(lambda x: x > 0))
    return table


def reuse_lags(reuse: Reuse, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Reused Han characters by lag (local year − central year), per group ``by``: ``<by>, lag, n_pairs, reused_chars, share``
    (of the group's reused characters) and, apart, ``formulaic_chars`` (Han characters of formulaic passages at that lag)."""
    from tifa.util.tables import sort_table

    if "lag" not in reuse.pairs.columns or "lag" not in reuse.passages.columns:
        raise InputError("no lag: both the local and the central documents need a year docvar")
    keys = [f"local_{b}" for b in _by(by)]
    pairs = reuse.pairs[reuse.pairs["lag"].notna()]
    table = pairs.groupby(keys + ["lag"], sort=False).agg(n_pairs=("local_doc", "size"), reused_chars=("reused_chars", "sum")).reset_index()
    formulaic = reuse.passages[reuse.passages["formulaic"] & reuse.passages["lag"].notna()]
    formulaic = formulaic.groupby(keys + ["lag"], sort=False)["chars"].sum().rename("formulaic_chars").reset_index()
    table = table.merge(formulaic, on=keys + ["lag"], how="outer")
    table[["n_pairs", "reused_chars", "formulaic_chars"]] = table[["n_pairs", "reused_chars", "formulaic_chars"]].fillna(0).astype("int64")
    totals = table.groupby(keys)["reused_chars"].transform("sum") if keys else table["reused_chars"].sum()
    table["share"] = table["reused_chars"] / (totals.where(totals > 0) if keys else (totals or float("nan")))
    table = table[keys + ["lag", "n_pairs", "reused_chars", "share", "formulaic_chars"]].rename(columns={k: k.removeprefix("local_") for k in keys})
    return sort_table(table, [k.removeprefix("local_") for k in keys] + ["lag"]).reset_index(drop=True)


def reuse_matrix(reuse: Reuse, by: str = "province") -> pd.DataFrame:
    """Who shares text with whom: groups (rows) × groups (columns), the share of the row group's Han characters found in the column group's documents.

    Within a corpus (``central=None``) every pair was aligned once and counts in both
    directions (each side's own reused characters); against a centre, columns are the
    central documents' ``by`` (or ids). The diagonal holds reuse between documents of one group.
    """
    pairs = reuse.pairs
    local, central = f"local_{by}", f"central_{by}" if f"central_{by}" in pairs.columns else "central_doc"
    if local not in pairs.columns:
        raise InputError(f"no docvar {by!r} on the local documents to build the matrix by")
    cells = pairs[[local, central, "reused_chars"]].set_axis(["row", "column", "chars"], axis=1)
    if reuse.within:
        back = pairs[[central, local, "central_reused_chars"]].set_axis(["row", "column", "chars"], axis=1)
        cells = pd.concat([cells, back], ignore_index=True)
    han = reuse.documents.groupby(by, sort=False)["han_chars"].sum()
    table = cells.groupby(["row", "column"], sort=False)["chars"].sum().unstack("column", fill_value=0)
    groups = list(han.index)
    columns = groups if reuse.within else sorted(table.columns)
    table = table.reindex(index=groups, columns=columns, fill_value=0)
    out = table.div(han.reindex(groups).where(lambda x: x > 0), axis=0)
    out.index.name, out.columns.name = by, by if reuse.within else central
    return out


# --- command line ----------------------------------------------------------------------------

REUSE_TABLES = ("passages", "documents", "pairs")


def add_reuse_command(sub) -> None:
    """``tifa reuse``: register the subcommand."""
    p = sub.add_parser("reuse", help="text reuse: passages of each document aligned with central documents (or with each other: --within), shares, lags")
    p.add_argument("--corpus", default=None, help="the local corpus: folder (with metadata.csv), .jsonl, .csv, .parquet or a store folder (default: the embedded corpus)")
    p.add_argument("--text-field", default="text", help="text field of the local corpus (default: text)")
    p.add_argument("--central", default="national", help="national (the packaged national reports, default), a corpus path, or a group of the corpus as '<docvar>: <value>' (or docvar=value): those documents are the centre")
    p.add_argument("--central-text-field", default="text", help="text field of a --central file (default: text)")
    p.add_argument("--within", action="store_true", help="reuse between the documents of the corpus (each pair once) instead of from a centre")
    p.add_argument("--table", choices=REUSE_TABLES, default="passages", help="passages (default), documents (share of each document reused) or pairs (per local x central document)")
    p.add_argument("--format", choices=("table", "csv", "parquet"), default="csv", help="csv (default) or table on standard output; parquet (or csv) into --output")
    p.add_argument("--output", default=None, help="write to this file (.csv or .parquet)")
    p.add_argument("--engine", choices=("auto", "memory", "stream", "dask"), default="auto", help="memory, stream (a store, one partition at a time), dask (a local cluster, or --scheduler); auto (default): stream above the size threshold")
    p.add_argument("--scheduler", default=None, help="address of a running Dask scheduler for --engine dask")
    p.add_argument("--store", default=None, help="folder of the corpus store for stream/dask (default: under data/processed/stores/), as for the other analyses")
    p.add_argument("--partition-rows", type=int, default=None, help="documents per store partition (default: the store's default)")
    p.add_argument("--no-cache", action="store_true", help="read and write no cached corpus")
    p.set_defaults(func=cmd_reuse)


def cmd_reuse(args) -> int:
    """Run ``tifa reuse``: the chosen table, to standard output or ``--output``."""
    import sys

    from tifa import config
    from tifa.export import write_table

    if args.within and args.central != "national":
        raise InputError("--within finds reuse inside the corpus: leave out --central")
    from tifa.engine import Engine

    engine = Engine(args.engine, scheduler=args.scheduler, store=args.store, partition_rows=args.partition_rows or config.STORE_PARTITION_ROWS, cache=not args.no_cache)
    reuse = find_reuse(args.corpus or config.DATA_DIR, None if args.within else args.central, text_field=args.text_field,
                       central_text_field=args.central_text_field, engine=engine)
    table = {"passages": reuse.passages, "documents": reuse.documents, "pairs": reuse_by_central(reuse)}[args.table]
    if args.output:
        path = write_table(table, args.output, format=None if args.format == "table" else args.format)
        print(f"wrote {len(table)} rows to {path}", file=sys.stderr)
    elif args.format == "parquet":
        raise InputError("--format parquet writes a binary file: give --output PATH (e.g. --output reuse.parquet)")
    elif args.format == "csv":
        from tifa.util.tables import format_table

        format_table(table, decimals=config.PANEL_DECIMALS).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            print(table.drop(columns=["local_text", "central_text"], errors="ignore").to_string(index=False))
    return 0
