"""Command-line interface: ``tifa corpus|build|freq|keyness|compounds|slogans|kwic|discover|anachronisms|topics|panel|adoption|model|hazard|reuse|study|report|provenance``.

Every subcommand takes the same corpus options (``--corpus PATH``,
``--text-field NAME``, ``--id-field NAME``); the analyses take the engine options
(``--engine auto|memory|stream|dask`` …) and run through :func:`tifa.engine.as_source`,
so each prints the same bytes on every engine; where a command prints a table,
``--format table|csv``. Data problems are stated in one summary line (``-v``: the list).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Sequence

import pandas as pd

from tifa import __version__, config
from tifa.errors import TifaError
from tifa.lexicon_options import add_lexicon_options, lexicon_matcher, write_discovered

log = logging.getLogger("tifa")


def positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1."""
    return _whole_number(text, 1, "a positive whole number")


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number ≥ 0."""
    return _whole_number(text, 0, "a non-negative whole number")


def seed_int(text: str) -> int:
    """An argparse type: a random seed, 0 ≤ seed < 2³² (what numpy accepts)."""
    return _whole_number(text, 0, "a seed (a whole number from 0 to 4294967295)", high=2**32 - 1)


def _whole_number(text: str, low: int, what: str, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


# --- shared options --------------------------------------------------------------------------------


def _corpus_options(parser: argparse.ArgumentParser, *, cache: bool = False) -> None:
    parser.add_argument("--corpus", default=None, help="corpus folder (with metadata.csv), .jsonl, .csv or .parquet (default: the embedded corpus in data/)")
    parser.add_argument("--text-field", default="text", help="name of the text field in JSONL/CSV/Parquet (default: text)")
    parser.add_argument("--id-field", default="doc_id", help="name of the document id field (default: doc_id; rows are numbered when absent)")
    if cache:
        parser.add_argument("--no-cache", action="store_true", help="clean and segment afresh: read and write no cached corpus or tokens")


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("auto", "memory", "stream", "dask"), default="auto", help=f"memory: load the corpus whole; stream: partitioned store, one partition in memory at a time; dask: the same steps on a Dask cluster; auto (default): stream above {config.STREAM_THRESHOLD_MB} MB of input")
    parser.add_argument("--store", default=None, help="folder of the corpus store for stream/dask (default: under data/processed/stores/); re-used partitions are not cleaned again")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786) for --engine dask; default: a local cluster of 2 processes on the loopback")
    parser.add_argument("--partition-rows", type=positive_int, default=config.STORE_PARTITION_ROWS, help=f"documents per store partition (default: {config.STORE_PARTITION_ROWS})")


def _parts_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--include-parts", nargs="+", default=None, metavar="PART", help="parts counted and whose characters are the exposure: front body appendix, or all (default: front body)")


def _segment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("rjieba", "jieba"), default="rjieba", help="segmenter (default rjieba: jieba's tokens without HMM, ~15x faster)")
    parser.add_argument("--hmm", dest="hmm", action="store_true", default=False, help="turn on jieba's HMM for unknown words (off by default: lower F1 on gold standards)")
    parser.add_argument("--no-hmm", dest="hmm", action="store_false", help="HMM off (the default)")


def _places_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exclude-places", action="store_true", help="drop place names (jieba's ns words, the gazetteer's names) from the terms")


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "csv"), default="table", help="output format (default: table)")


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "csv", "parquet", "dta"), default="table", help="table or csv on standard output; csv, parquet or dta (Stata 14+, labelled) into --output")
    parser.add_argument("--output", default=None, help="write to this file (format from --format, else from its suffix: .csv, .parquet, .dta)")


def _parts(args: argparse.Namespace):
    parts = getattr(args, "include_parts", None)
    return "all" if parts == ["all"] else parts


def _source(args: argparse.Namespace):
    """The corpus of the command as a :class:`tifa.engine.Source`, its data problems stated in one line."""
    from tifa.engine import Engine, as_source

    engine = Engine(getattr(args, "engine", "memory"), scheduler=getattr(args, "scheduler", None), store=getattr(args, "store", None),
                    partition_rows=getattr(args, "partition_rows", config.STORE_PARTITION_ROWS), cache=not getattr(args, "no_cache", False))
    source = as_source(args.corpus, engine=engine, text_field=args.text_field, id_field=args.id_field)
    _report_problems(source.problems, args.verbose)
    return source


def _report_problems(problems: pd.DataFrame, verbose: bool) -> None:
    """One line on standard error: how many data problems, of which kinds (``-v`` lists each)."""
    if problems.empty:
        return
    kinds = Counter(p.split(" (")[0].split(":")[0] for p in problems["problem"])
    summary = "; ".join(f"{n} × {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    print(f"note: {len(problems)} data problems ({summary}); " + ("listed below" if verbose else "-v lists them, corpus.problems in Python"), file=sys.stderr)
    if verbose:
        for row in problems.itertuples():
            print(f"note: {row.where}: {row.problem}", file=sys.stderr)


def _segmenter(args: argparse.Namespace):
    from tifa.segment import Segmenter

    return Segmenter(args.backend, hmm=args.hmm)


def _token_filter(args: argparse.Namespace):
    from tifa.filters import without_places

    return without_places() if args.exclude_places else None


def _cache_dir(args: argparse.Namespace):
    return None if getattr(args, "no_cache", False) else config.TOKEN_CACHE_DIR


def _emit(table: pd.DataFrame, fmt: str) -> None:
    if table.empty and fmt == "table":
        print("  ".join(map(str, table.columns)) + "\n(no rows)")
    elif fmt == "csv":
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            print(table.astype(object).where(table.notna(), "").to_string(index=False))


def _emit_or_write(table: pd.DataFrame, args: argparse.Namespace, title: str) -> None:
    """Print ``table`` (table, csv) or write it to ``--output`` (csv, parquet, dta)."""
    from tifa.export import write_table

    if args.output:
        path = write_table(table, args.output, format=None if args.format == "table" else args.format, title=title)
        print(f"wrote {len(table)} rows to {path}", file=sys.stderr)
    elif args.format in ("parquet", "dta"):
        raise TifaError(f"--format {args.format} writes a binary file: give --output PATH (e.g. --output panel.{args.format})")
    else:
        _emit(table, args.format)


def _display(path) -> str:
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(config.PROJECT_ROOT))
    except ValueError:
        return str(path)


# --- commands ------------------------------------------------------------------------------------


def cmd_corpus(args: argparse.Namespace) -> int:
    _emit(_source(args).to_corpus().summary(), args.format)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    if args.store:
        from tifa.store import build_store

        store = build_store(args.corpus or config.DATA_DIR, args.out, text_field=args.text_field, id_field=args.id_field, partition_rows=args.partition_rows)
        _report_problems(store.problems, args.verbose)
        print(f"stored {len(store)} documents in {len(store.partitions())} partitions under {args.out}", file=sys.stderr)
        return 0
    from tifa.corpus import load_corpus, write_processed

    corpus = load_corpus(args.corpus, text_field=args.text_field, id_field=args.id_field)
    _report_problems(corpus.problems, args.verbose)
    written = write_processed(corpus, args.out, corpus_path=args.corpus or config.DATA_DIR)
    removed = int(corpus.summary()["n_lines_removed"].sum())
    print(f"cleaned {len(corpus)} documents ({removed} lines removed, audit: {len(corpus.audit)} edits); wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0


def cmd_freq(args: argparse.Namespace) -> int:
    from tifa.features import build_dfm
    from tifa.stats import textstat_frequency

    x = build_dfm(_source(args), segmenter=_segmenter(args), token_filter=_token_filter(args), cache_dir=_cache_dir(args))
    _emit(textstat_frequency(x, by=args.by, n=args.top), args.format)
    return 0


def cmd_keyness(args: argparse.Namespace) -> int:
    from tifa.features import build_dfm
    from tifa.stats import textstat_keyness

    x = build_dfm(_source(args), segmenter=_segmenter(args), token_filter=_token_filter(args), cache_dir=_cache_dir(args))
    _emit(textstat_keyness(x, args.target, by=args.by, reference=args.reference, min_count=args.min_count).head(args.top), args.format)
    return 0


def cmd_compounds(args: argparse.Namespace) -> int:
    from tifa.compounds import propose_compounds

    table = propose_compounds(_source(args).to_corpus(), _segmenter(args), n=args.top, min_count=args.min_count, cache_dir=_cache_dir(args))
    _emit(table.round(3), args.format)
    return 0


def cmd_slogans(args: argparse.Namespace) -> int:
    from tifa.slogans import count_slogans

    table = count_slogans(_source(args), by=args.by, category=args.category, drop_zero=not args.all, forms=args.forms, include_parts=_parts(args), matcher=lexicon_matcher(args))
    by = [args.by] if isinstance(args.by, str) else args.by
    forms = ["form"] if args.forms else []
    _emit(table[[*by, "slogan", *forms, "count", "per_10k", "slogan_id", "en", "category"]], args.format)
    return 0


def cmd_kwic(args: argparse.Namespace) -> int:
    from tifa.slogans import kwic

    hits = kwic(_source(args), args.pattern, window=args.window, regex=args.regex, include_parts=_parts(args), matcher=lexicon_matcher(args))
    renamed = hits.attrs.get("renamed_docvars", {})
    extra = [renamed.get(c, c) for c in ("province", "city", "year") if renamed.get(c, c) in hits]
    _emit(hits[["doc_id", *extra, "paragraph_id", "left", "match", "right"]], args.format)
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from tifa.discovery import discover_slogans

    table = discover_slogans(_source(args), n=args.top, min_count=args.min_count, matcher=(matcher := lexicon_matcher(args)))
    write_discovered(args, table, matcher)
    _emit(table, args.format)
    return 0


def cmd_anachronisms(args: argparse.Namespace) -> int:
    from tifa.slogans import anachronisms

    table = anachronisms(_source(args), lexicon_matcher(args))
    _emit(table, args.format)
    print(f"{len(table)} anachronistic mentions", file=sys.stderr)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from tifa.features import tokens
    from tifa.topics import fit_topics, topic_labels, topic_prevalence, topic_units

    corpus = _source(args).to_corpus()
    segmenter = _segmenter(args)
    units = topic_units(corpus, tokens(corpus, segmenter, cache_dir=_cache_dir(args)), unit=args.unit, segmenter=segmenter)
    if args.method == "stm":  # covariate effects on prevalence: tifa.effects
        from tifa.effects import topics_stm_table

        table, summary = topics_stm_table(units, args, corpus_name=corpus.source)
        print(summary, file=sys.stderr)
        _emit(table, args.format)
        return 0
    model = fit_topics(units, k=args.k, method=args.method, random_state=args.seed)
    labels = topic_labels(model, corpus=corpus.source)
    if args.by:
        by = units.attrs.get("renamed_docvars", {}).get(args.by, args.by)
        if by != args.by:
            print(f"note: the docvar {args.by!r} is named like a column of the topic units: grouped by it as {by!r}", file=sys.stderr)
        table = topic_prevalence(model, by=by, random_state=args.seed)
        table.insert(table.columns.get_loc("topic") + 1, "label", table["topic"].map(labels))
    else:
        top = model.top_terms(10).groupby("topic")["term"].agg(" ".join)
        share = model.doc_topic.mean(axis=0)
        table = pd.DataFrame({"topic": top.index, "label": [labels[t] for t in top.index], "prevalence": share[top.index], "top_terms": top.to_numpy()})
    print(f"{model.name}: {len(units)} {args.unit} units ({units.attrs['n_dropped']} too short), {len(model.features)} terms", file=sys.stderr)
    _emit(table, args.format)
    return 0


def cmd_panel(args: argparse.Namespace) -> int:
    from tifa.panel import slogan_panel

    table = slogan_panel(_source(args), by=args.by, slogans=args.slogans, include_parts=_parts(args), matcher=lexicon_matcher(args))
    _emit_or_write(table, args, f"tifa slogan panel by {' x '.join(args.by)}")
    return 0


def cmd_adoption(args: argparse.Namespace) -> int:
    from tifa.adoption import adoption_events, slogan_adoption

    table = slogan_adoption(_source(args), by=args.by, time=args.time, central=args.central, slogans=args.slogans,
                            central_text_field=args.central_text_field, include_parts=_parts(args), matcher=lexicon_matcher(args))
    if args.events:
        table = adoption_events(table)
    _emit_or_write(table, args, f"tifa slogan {'adoption events' if args.events else 'adoption'} by {args.by}")
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    from tifa.study import run_study

    figures = run_study(args.corpus, text_field=args.text_field, id_field=args.id_field, out=args.out, n_jobs=args.jobs, params=args.params, cache=not args.no_cache)
    print(f"figures, tables, README.md and provenance.json in {_display(figures)}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from tifa.study import write_report

    executed = args.notebooks or (f"{args.out}/notebooks" if args.out else str(config.BUILD_DIR / "notebooks"))
    path = write_report(executed, args.html or (f"{args.out}/report/tifa_study.html" if args.out else config.REPORT_HTML))
    print(f"wrote {_display(path)}", file=sys.stderr)
    return 0


def cmd_provenance(args: argparse.Namespace) -> int:
    import json

    from tifa.readers import source_files
    from tifa.study import provenance

    source_files(args.corpus or config.DATA_DIR)  # metadata.csv read with the readers' checks: a bad one names its line
    print(json.dumps(provenance(args.corpus, text_field=args.text_field, id_field=args.id_field), ensure_ascii=False, indent=2, sort_keys=True))
    return 0


# --- the parser --------------------------------------------------------------------------------------


def _command(sub, name: str, func, help: str, *, segment: bool = False, table: bool = True, engine: bool = True, parts: bool = False) -> argparse.ArgumentParser:
    """A subcommand with the shared options: corpus, engine, optionally segmentation and parts, and the output format."""
    parser = sub.add_parser(name, help=help)
    _corpus_options(parser, cache=engine)
    if engine:
        _engine_options(parser)
    if segment:
        _segment_options(parser)
    if parts:
        _parts_option(parser)
    if table:
        _format_option(parser)
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tifa", description="Comparative discourse analysis of Chinese government texts.")
    parser.add_argument("--version", action="version", version=f"tifa {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details, list every data problem; on an error also print its traceback")
    sub = parser.add_subparsers(dest="command", required=True)

    _command(sub, "corpus", cmd_corpus, "one row per document: docvars, size, what cleaning did")

    p = _command(sub, "freq", cmd_freq, "term frequencies (count, per 10,000 tokens, document frequency, Gries' DP), optionally by a docvar", segment=True)
    p.add_argument("--by", default=None, help="docvar to group by (e.g. province, year, level)")
    p.add_argument("--top", type=positive_int, default=20, help="terms per group (default: 20)")
    _places_option(p)

    p = _command(sub, "keyness", cmd_keyness, "key terms of one group against the rest (G², log ratio, corrected p)", segment=True)
    p.add_argument("--by", required=True, help="docvar that defines the groups")
    p.add_argument("--target", required=True, help="the group to characterise (e.g. 湖南省, 2025)")
    p.add_argument("--reference", default=None, help="compare with this group instead of all others")
    p.add_argument("--min-count", type=non_negative_int, default=config.KEYNESS_MIN_COUNT, help="leave out terms rarer than this in target + reference")
    p.add_argument("--top", type=positive_int, default=30, help="rows to print (default: 30)")
    _places_option(p)

    p = _command(sub, "compounds", cmd_compounds, "candidate multiword expressions of the genre (bound, free-edged runs of tokens) for data/lexicon/compounds.txt", segment=True)
    p.add_argument("--top", type=positive_int, default=50, help="candidates to print (default: 50)")
    p.add_argument("--min-count", type=positive_int, default=config.COMPOUND_MIN_COUNT, help=f"minimum occurrences (default: {config.COMPOUND_MIN_COUNT})")

    p = _command(sub, "slogans", cmd_slogans, "slogan counts and rates per 10,000 characters by document or docvar (long format)", parts=True)
    p.add_argument("--by", default="doc_id", help="doc_id or a docvar (province, year, level …); default: doc_id")
    p.add_argument("--category", default=None, help="only slogans of this lexicon category")
    p.add_argument("--all", action="store_true", help="also print zero counts")
    p.add_argument("--forms", action="store_true", help="count each written form apart (column form: 新发展理念, 五大发展理念 …)")

    p = _command(sub, "kwic", cmd_kwic, "keywords in context: a lexicon entry (all its variants), a string or a regex", parts=True)
    p.add_argument("pattern", help="slogan (zh or id), literal string, or regex with --regex")
    p.add_argument("--window", type=non_negative_int, default=15, help="characters of context on each side (default: 15)")
    p.add_argument("--regex", action="store_true", help="treat PATTERN as a regular expression")

    p = _command(sub, "discover", cmd_discover, "candidate slogans missing from the lexicon (numbered formulae, quoted phrases)")
    p.add_argument("--top", type=positive_int, default=30, help="candidates to print (default: 30)")
    p.add_argument("--min-count", type=non_negative_int, default=2, help="minimum occurrences (default: 2)")

    _command(sub, "anachronisms", cmd_anachronisms, "slogan mentions in documents dated before the slogan's first official use")

    p = _command(sub, "topics", cmd_topics, "topic model (NMF, LDA or STM) on paragraphs: top terms, prevalence by a docvar with bootstrap intervals, or STM covariate effects", segment=True)
    p.add_argument("--k", type=positive_int, required=True, help="number of topics")
    p.add_argument("--method", choices=("nmf", "lda", "stm"), default="nmf", help="nmf (tf-idf), lda (counts) or stm (structural topic model: prints the effects of --prevalence); default: nmf")
    p.add_argument("--by", default=None, help="print prevalence by this docvar (province, year, level …)")
    p.add_argument("--unit", choices=("paragraph", "sentence", "document"), default=config.TOPIC_UNIT, help="modelling unit (default: paragraph)")
    p.add_argument("--seed", type=seed_int, default=config.RANDOM_STATE, help=f"random state (default: {config.RANDOM_STATE})")
    from tifa.effects import add_stm_options

    add_stm_options(p)

    p = _command(sub, "panel", cmd_panel, "balanced slogan panel: every combination of the --by levels x every slogan, counts, exposure, rates with exact intervals", table=False, parts=True)
    p.add_argument("--by", nargs="+", default=["province", "year"], help="docvars that define the cells (default: province year)")
    p.add_argument("--slogans", nargs="+", default=None, help="lexicon ids or canonical forms (default: every entry)")
    _export_options(p)

    p = _command(sub, "adoption", cmd_adoption, "first use of each slogan in each group, lag behind first official use and behind a central reference; never-adopters kept (censored)", table=False, parts=True)
    p.add_argument("--by", default="province", help="docvar of the groups (default: province)")
    p.add_argument("--time", default="year", help="docvar of time (default: year)")
    p.add_argument("--central", default=None, help="central reference: 'national' (the packaged national reports) or a corpus path")
    p.add_argument("--central-text-field", default="text", help="text field of a --central JSONL/CSV/Parquet file (default: text)")
    p.add_argument("--slogans", nargs="+", default=None, help="lexicon ids or canonical forms (default: every entry)")
    p.add_argument("--events", action="store_true", help="event-history rows instead: one per province x slogan x year at risk (risk_start, duration, event, neighbour_share); left-censored pairs excluded")
    _export_options(p)

    from tifa import hazard, models  # these commands live with their analyses
    models.add_model_command(sub)
    hazard.add_hazard_command(sub)
    add_lexicon_options(sub)  # --lexicon, --lexicon-mode on the commands that count slogans

    from tifa.reuse import add_reuse_command

    add_reuse_command(sub)

    p = sub.add_parser("study", help="run every notebook (papermill) on a corpus; write figures, tables, index and provenance")
    _corpus_options(p)
    p.add_argument("--out", default=None, help="output folder (figures/, notebooks/ and processed/ inside); default: figures/ and build/")
    p.add_argument("--params", default=None, help="YAML file of study parameters: grouping, unit, K grid, terms, KWIC terms, label language (defaults: src/tifa/resources/study_params.yaml)")
    p.add_argument("--jobs", type=positive_int, default=2, help="notebooks run at once (default: 2; outputs do not depend on it)")
    p.add_argument("--no-cache", action="store_true", help="execute every notebook and clean the corpus again, even when their inputs are unchanged since a cached run")
    p.set_defaults(func=cmd_study)

    p = sub.add_parser("report", help="one HTML page of the executed notebooks (after tifa study)")
    p.add_argument("--out", default=None, help="the --out folder of tifa study (default: build/)")
    p.add_argument("--notebooks", default=None, help="folder of executed notebooks (overrides --out)")
    p.add_argument("--html", default=None, help="the HTML file to write")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("provenance", help="versions, input checksums and random seeds behind the figures (JSON)")
    _corpus_options(p)
    p.set_defaults(func=cmd_provenance)

    p = _command(sub, "build", cmd_build, "clean the corpus and write it under data/processed/ (Parquet, audit, one .txt per document)", table=False, engine=False)
    p.add_argument("--out", default=str(config.PROCESSED_DIR), help="output folder (default: data/processed)")
    p.add_argument("--store", action="store_true", help="write a partitioned corpus store (tifa.store) into --out instead, streaming the corpus (large corpora)")
    p.add_argument("--partition-rows", type=positive_int, default=config.STORE_PARTITION_ROWS, help=f"with --store: documents per partition (default: {config.STORE_PARTITION_ROWS})")
    return parser


EXPECTED_IO = (errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EFBIG, errno.ELOOP, errno.ENAMETOOLONG)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(signal, "SIGXFSZ") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past a file-size limit (ulimit -f) a write fails with EFBIG: an error with the path, not a kill
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except TifaError as exc:  # bad input: the message says what and where; anything else is a bug and keeps its traceback
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno not in EXPECTED_IO:  # not a path the system refuses: a bug, shown with its traceback
            raise
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        what = f"{exc.filename}: {exc.strerror}" if exc.filename is not None and exc.strerror else str(exc)
        print(f"error: {what}. Check that the path exists, that you may read or write it, and that the disk has space (-v shows the traceback).", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
