"""Command-line interface: ``tifa corpus``, ``tifa build``.

Every subcommand takes the same corpus options (``--corpus PATH``,
``--text-field NAME``) and, where it prints a table, ``--format table|csv``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import pandas as pd

from tifa import __version__, config
from tifa.corpus import Corpus, CorpusError, load_corpus, write_processed

log = logging.getLogger("tifa")


def _corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", default=None, help="corpus folder (with metadata.csv), .jsonl, .csv or .parquet (default: the embedded corpus in data/)")
    parser.add_argument("--text-field", default="text", help="name of the text field in JSONL/CSV/Parquet (default: text)")
    parser.add_argument("--id-field", default="doc_id", help="name of the document id field (default: doc_id; rows are numbered when absent)")


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "csv"), default="table", help="output format (default: table)")


def _load(args: argparse.Namespace) -> Corpus:
    corpus = load_corpus(args.corpus, text_field=args.text_field, id_field=args.id_field)
    for row in corpus.problems.itertuples():
        print(f"note: {row.where}: {row.problem}", file=sys.stderr)
    return corpus


def _emit(table: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            print(table.astype(object).where(table.notna(), "").to_string(index=False))


def cmd_corpus(args: argparse.Namespace) -> int:
    _emit(_load(args).summary(), args.format)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    corpus = _load(args)
    written = write_processed(corpus, args.out)
    removed = int(corpus.summary()["n_lines_removed"].sum())
    print(f"cleaned {len(corpus)} documents ({removed} lines removed, audit: {len(corpus.audit)} edits); wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tifa", description="Comparative discourse analysis of Chinese government texts.")
    parser.add_argument("--version", action="version", version=f"tifa {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="one row per document: docvars, size, what cleaning did")
    _corpus_options(p)
    _format_option(p)
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("build", help="clean the corpus and write it under data/processed/ (Parquet, audit, one .txt per document)")
    _corpus_options(p)
    p.add_argument("--out", default=str(config.PROCESSED_DIR), help="output folder (default: data/processed)")
    p.set_defaults(func=cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
