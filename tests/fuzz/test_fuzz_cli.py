"""Generated hostile corpora through every reader and the command line: each call succeeds or stops with a clean
error, no document is lost without a report, and the memory and stream engines print the same bytes."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from . import harness
from .corpora import HOSTILE_NAMES, Doc, Spec, specs
from .harness import CLEAN, SUCCESS, TRACEBACK, run_cli
from .profiles import FUZZ, fuzz_settings

HOSTILE_PATTERNS = ("a{99999999999}", "a{1,99999999999}", "(a*)*b", "[", "(?P<x>", "\\", "", ".*", "(?<=a+)b", "a{2}{3}",
                    "(?i)绿水", "\\p{Han}", "(?#", "*", "同志们：", "$", "^", "(?=", "\\1", "\x00", "x" * 500)


NO_CACHE_OPTION = ()  # commands without --no-cache (they write no cache)


def _engines(tmp: Path, partition_rows: int, command: str = "") -> dict[str, list[str]]:
    no_cache = [] if command in NO_CACHE_OPTION else ["--no-cache"]
    return {"memory": ["--engine", "memory", *no_cache],
            "stream": ["--engine", "stream", *no_cache, "--store", str(tmp / "store"), "--partition-rows", str(partition_rows)]}


def _check(outcome: harness.Outcome, argv: list[str]) -> None:
    assert outcome.kind != TRACEBACK, f"tifa {' '.join(argv)}: {outcome}"
    if outcome.kind == CLEAN:
        assert outcome.stderr.strip(), argv
    if outcome.kind == SUCCESS and "csv" in argv and outcome.stdout.strip():  # a table with two columns of one name is ambiguous
        header = next(csv.reader(io.StringIO(outcome.stdout)))
        repeated = sorted({c for c in header if header.count(c) > 1})
        if repeated:
            harness.record("ambiguous tables")
        assert not repeated, f"tifa {' '.join(argv)}: columns {repeated} appear twice in the output"


def _agree(outcomes: dict[str, harness.Outcome], argv: list[str]) -> None:
    memory, stream = outcomes["memory"], outcomes["stream"]
    same = memory.kind == stream.kind and (memory.kind != SUCCESS or memory.stdout == stream.stdout)
    if not same:
        harness.record("engine disagreements")
    assert same, f"tifa {' '.join(argv)}: memory {memory}\n\nstream {stream}"


def _run_on_engines(argv: list[str], corpus: Path, tmp: Path, partition_rows: int) -> dict[str, harness.Outcome]:
    outcomes = {}
    for engine, options in _engines(tmp, partition_rows, argv[0]).items():
        full = [*argv, "--corpus", str(corpus), *options]
        outcomes[engine] = outcome = run_cli(full)
        _check(outcome, full)
    _agree(outcomes, argv)
    return outcomes


def _names(spec: Spec) -> list[str]:
    return list(dict.fromkeys(["province", "year", *(n for d in spec.docs for n in d.docvars)]))


# --- every document kept or reported ----------------------------------------------------------------


def _lost(spec: Spec, corpus: Path, shown: int) -> int:
    """Input documents neither in the corpus (as ``tifa corpus`` shows it: ``shown`` rows) nor named in its problems."""
    from tifa import load_corpus

    loaded = load_corpus(corpus)
    kept = set(loaded.docs["doc_id"])
    assert shown == len(kept), f"tifa corpus shows {shown} documents, load_corpus holds {len(kept)}"
    reported = set(loaded.problems["doc_id"]) - kept - {""}
    return len(spec.docs) - len(kept) - len(reported)


@given(spec=specs(), partition_rows=st.integers(1, 3))
@fuzz_settings(ci=12, fuzz=1500)
@example(spec=Spec([Doc("a", "同志们：", {"position": 1, "part": "x", "section": None, "paragraph_id": "p"})], "jsonl"), partition_rows=1)
@example(spec=Spec([Doc("a", "同志们：\n绿水青山就是金山银山", {"province": "湖南省"}), Doc("b", "", {"province": 3})], "folder", newline="\r", gbk=True), partition_rows=1)
@example(spec=Spec([Doc(None, "綠水青山就是金山銀山", {"year": None}), Doc("x", "同志们：", {"year": 2019})], "csv", newline="\r\n"), partition_rows=2)
def test_every_document_is_kept_or_reported_and_the_engines_agree(spec, partition_rows):
    harness.record("inputs")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        corpus = spec.write(tmp)
        outcomes = _run_on_engines(["corpus", "--format", "csv"], corpus, tmp, partition_rows)
        if outcomes["memory"].kind == SUCCESS:
            shown = len(pd.read_csv(io.StringIO(outcomes["memory"].stdout), dtype=str, keep_default_na=False))
            lost = _lost(spec, corpus, shown)
            if lost:
                harness.record("silent losses")
            assert lost == 0, f"{lost} of {len(spec.docs)} documents lost without a report: {spec}"


# --- the analyses on both engines --------------------------------------------------------------------


@st.composite
def commands(draw, spec: Spec) -> list[str]:
    names = _names(spec)
    by = st.sampled_from([*names, "doc_id"])
    fmt = draw(st.sampled_from((["--format", "table"], ["--format", "csv"])))
    kind = draw(st.sampled_from(("freq", "keyness", "slogans", "kwic", "panel", "anachronisms", "discover", "topics", "adoption", "reuse")))
    if kind == "freq":
        return ["freq", "--top", "5", *(["--by", draw(by)] if draw(st.booleans()) else []), *fmt]
    if kind == "keyness":
        values = [str(v) for d in spec.docs for v in d.docvars.values()] + ["湖南省", "2018"]
        return ["keyness", "--by", draw(by), "--target", draw(st.sampled_from(values)), "--min-count", "0", *fmt]
    if kind == "slogans":
        return ["slogans", *(["--by", draw(by)] if draw(st.booleans()) else []), *(["--forms"] if draw(st.booleans()) else []),
                *(["--all"] if draw(st.booleans()) else []), *fmt]
    if kind == "kwic":
        regex = draw(st.booleans())
        pattern = draw(st.sampled_from(HOSTILE_PATTERNS) if regex else st.sampled_from(("绿水青山就是金山银山", "lvshui_qingshan", "同志们", "a", "：")))
        return ["kwic", "--window", str(draw(st.integers(0, 5))), *(["--regex"] if regex else []), *fmt, "--", pattern]
    if kind == "panel":
        return ["panel", "--by", *draw(st.lists(by, min_size=1, max_size=2, unique=True)), "--format", "csv"]
    if kind == "topics":
        return ["topics", "--k", "2", *(["--by", draw(by)] if draw(st.booleans()) else []), *fmt]
    if kind == "adoption":
        return ["adoption", "--by", draw(by), "--time", draw(st.sampled_from(("year", *names))), "--format", "csv"]
    if kind == "reuse":
        central = draw(st.sampled_from((["--within"], ["--central", "province: 中央"], ["--central", "province: 湖南省"])))
        return ["reuse", *central, "--table", draw(st.sampled_from(("passages", "documents", "pairs"))), "--format", "csv"]
    return [kind, *fmt]


PARTS = st.one_of(st.just([]), st.lists(st.sampled_from(("front", "body", "appendix", "all", "preface")), min_size=1, max_size=3).map(lambda p: ["--include-parts", *p]))
COUNTING = ("slogans", "kwic", "panel", "adoption")  # the commands with --include-parts


@given(data=st.data(), spec=specs(), partition_rows=st.integers(1, 3))
@fuzz_settings(ci=14, fuzz=3000)
@example(data=None, spec=Spec([Doc("a", "同志们：", {})], "jsonl"), partition_rows=1).via("only 同志们： (freq)")
def test_every_command_succeeds_or_stops_cleanly_alike_on_both_engines(data, spec, partition_rows):
    harness.record("inputs")
    argv = ["freq"] if data is None else data.draw(commands(spec), label="argv")
    if argv[0] in COUNTING and data is not None:
        argv = [argv[0], *data.draw(PARTS, label="parts"), *argv[1:]]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        corpus = spec.write(tmp)
        *command, pattern = argv if argv[-2:-1] == ["--"] else (*argv, None)
        if pattern is not None:  # the pattern comes after the options (it may start with '-')
            command, pattern = argv[:-2], argv[-1]
            _run_on_engines_with_tail(command, pattern, corpus, tmp, partition_rows)
        else:
            _run_on_engines(argv, corpus, tmp, partition_rows)


def _run_on_engines_with_tail(command: list[str], pattern: str, corpus: Path, tmp: Path, partition_rows: int) -> None:
    outcomes = {}
    for engine, options in _engines(tmp, partition_rows, command[0]).items():
        full = [*command, "--corpus", str(corpus), *options, "--", pattern]
        outcomes[engine] = outcome = run_cli(full)
        _check(outcome, full)
    _agree(outcomes, [*command, "--", pattern])


# --- building: the processed corpus and the store ----------------------------------------------------


@given(spec=specs(), partition_rows=st.integers(1, 3))
@fuzz_settings(ci=6, fuzz=600)
def test_build_and_store_build_succeed_or_stop_cleanly_alike(spec, partition_rows):
    harness.record("inputs")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        corpus = spec.write(tmp)
        built = run_cli(argv := ["build", "--corpus", str(corpus), "--out", str(tmp / "out")])
        _check(built, argv)
        stored = run_cli(argv := ["build", "--store", "--corpus", str(corpus), "--out", str(tmp / "store"), "--partition-rows", str(partition_rows)])
        _check(stored, argv)
        assert built.kind == stored.kind, f"build {built}\n\nbuild --store {stored}"
        if spec.fmt == "folder":
            _check(run_cli(argv := ["provenance", "--corpus", str(corpus)]), argv)


# --- Dask: only in the long profile (a cluster takes seconds to start) ---------------------------------


if FUZZ:
    @given(spec=specs(formats=("jsonl", "parquet")), kind=st.sampled_from(("slogans", "freq", "corpus")))
    @fuzz_settings(ci=0, fuzz=25)
    def test_dask_prints_what_memory_prints(spec, kind):
        harness.record("inputs")
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            corpus = spec.write(tmp)
            memory = run_cli(a := [kind, "--corpus", str(corpus), "--engine", "memory", "--no-cache", "--format", "csv"])
            _check(memory, a)
            dask = run_cli(a := [kind, "--corpus", str(corpus), "--engine", "dask", "--no-cache", "--store", str(tmp / "store"), "--format", "csv"])
            _check(dask, a)
            _agree({"memory": memory, "stream": dask}, [kind, "(dask)"])
