"""Inputs that escaped as tracebacks, silent losses or wrong messages (issue #21), one test each."""

from __future__ import annotations

import errno
import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from .harness import CLEAN, SUCCESS, run_cli

CLASHING = {"position": "x", "part": "p", "section": "s", "paragraph_id": "q", "left": "l", "match": "m", "right": "r",
            "tokens": "t", "sentence_id": 1, "term": "tt", "count": 3, "rank": 1, "unit_id": "u", "topic": 0}
SENTENCES = ["要坚持绿水青山就是金山银山，推进生态文明建设。", "坚持以人民为中心的发展思想，贯彻新发展理念，推动高质量发展。",
             "打好污染防治攻坚战，改善生态环境质量。", "加强党风廉政建设，落实主体责任。", "推进国家治理体系和治理能力现代化。", "深化放管服改革，优化营商环境。"]


def _jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def _clashing_corpus(tmp_path: Path, n: int = 6) -> Path:
    docs = [{"doc_id": f"d{i}", "text": "同志们：\n" + "\n".join(SENTENCES[(i + j) % 6] * 2 for j in range(3)),
             "province": ["湖南省", "河北省"][i % 2], "year": 2018 + i % 2, **CLASHING, "position": f"p{i % 2}"} for i in range(n)]
    return _jsonl(tmp_path / "c.jsonl", docs)


def _engines(tmp_path: Path) -> dict[str, list[str]]:
    return {"memory": ["--engine", "memory", "--no-cache"], "stream": ["--engine", "stream", "--no-cache", "--store", str(tmp_path / "store"), "--partition-rows", "2"]}


@pytest.mark.parametrize("engine", ["memory", "stream"])
def test_kwic_renames_docvars_named_like_its_columns_and_says_so(tmp_path, engine):
    out = run_cli(["kwic", "绿水青山就是金山银山", "--corpus", _clashing_corpus(tmp_path), *_engines(tmp_path)[engine], "--format", "csv"])
    assert out.kind == SUCCESS, out
    table = pd.read_csv(pd.io.common.StringIO(out.stdout))
    assert list(table.columns) == ["doc_id", "province", "year", "paragraph_id", "left", "match", "right"]
    assert set(table["match"]) == {"绿水青山就是金山银山"}
    assert "renamed" in out.stderr and "left_docvar" in out.stderr


def test_topic_units_rename_docvars_named_position_or_tokens(tmp_path):
    out = run_cli(["topics", "--k", "2", "--unit", "document", "--by", "year", "--corpus", _clashing_corpus(tmp_path), "--no-cache", "--format", "csv"])
    assert out.kind == SUCCESS, out
    assert "position_docvar" in out.stderr and "tokens_docvar" in out.stderr


def test_topic_prevalence_by_a_renamed_docvar_groups_by_the_docvar_and_says_so(tmp_path):
    out = run_cli(["topics", "--k", "2", "--unit", "document", "--by", "position", "--corpus", _clashing_corpus(tmp_path), "--no-cache", "--format", "csv"])
    assert out.kind == SUCCESS, out
    table = pd.read_csv(pd.io.common.StringIO(out.stdout))
    assert sorted(set(table["position_docvar"])) == ["p0", "p1"]  # the docvar's values, not paragraph positions
    assert "grouped by it as 'position_docvar'" in out.stderr


def test_topic_prevalence_by_a_docvar_named_like_its_columns_is_refused(tmp_path):
    out = run_cli(["topics", "--k", "2", "--unit", "document", "--by", "topic", "--corpus", _clashing_corpus(tmp_path), "--no-cache"])
    assert out.kind == CLEAN, out
    assert "cannot group the topic prevalence table by the docvar 'topic'" in out.stderr


@pytest.mark.parametrize("by", ["term", "count", "rank"])
def test_freq_by_a_docvar_named_like_its_columns_is_refused(tmp_path, by):
    out = run_cli(["freq", "--by", by, "--corpus", _clashing_corpus(tmp_path), "--no-cache"])
    assert out.kind == CLEAN, out
    assert f"docvar {by!r}" in out.stderr and "rename the docvar" in out.stderr


def test_slogans_by_a_docvar_named_count_or_rank(tmp_path):
    for by in ("count", "rank"):
        out = run_cli(["slogans", "--by", by, "--corpus", _clashing_corpus(tmp_path), "--no-cache", "--format", "csv"])
        assert out.kind in (SUCCESS, CLEAN), out


def test_a_text_that_is_only_the_salutation_gives_the_same_outcome_on_both_engines(tmp_path):
    corpus = _jsonl(tmp_path / "only.jsonl", [{"doc_id": "a", "text": "同志们："}])
    outcomes = {e: run_cli(["freq", "--corpus", corpus, *options]) for e, options in _engines(tmp_path).items()}
    assert outcomes["memory"].kind == outcomes["stream"].kind == SUCCESS, outcomes
    assert outcomes["memory"].stdout == outcomes["stream"].stdout
    assert "(no rows)" in outcomes["memory"].stdout


def test_panel_without_a_document_with_both_province_and_year_is_a_clean_error(tmp_path):
    corpus = _jsonl(tmp_path / "p.jsonl", [{"doc_id": "a", "text": SENTENCES[0], "province": "湖南省"}, {"doc_id": "b", "text": SENTENCES[1], "year": 2019}])
    for options in _engines(tmp_path).values():
        out = run_cli(["panel", "--corpus", corpus, *options, "--format", "csv"])
        assert out.kind in (SUCCESS, CLEAN), out


@pytest.mark.parametrize("metadata, message", [
    ("doc_id,province\na,湖南省\n".encode(), "column 'file' is missing"),
    ("doc_id,file,province\na,a.txt,湖南省\n".encode("gbk"), "line 2: bytes that are not UTF-8"),
    ("doc_id,file\na,a.txt,extra\n".encode(), "line 2: 3 fields, but the header has 2"),
])
def test_provenance_of_a_folder_with_a_bad_metadata_csv_names_the_file_and_line(tmp_path, metadata, message):
    (tmp_path / "a.txt").write_text("同志们：\n好。", encoding="utf-8")
    (tmp_path / "metadata.csv").write_bytes(metadata)
    out = run_cli(["provenance", "--corpus", tmp_path])
    assert out.kind == CLEAN, out
    assert "metadata.csv" in out.stderr and message in out.stderr


@pytest.mark.parametrize("pattern", ["a{99999999999}", "a{1,99999999999}", "(?P<x>", "["])
def test_kwic_with_a_regex_python_cannot_compile_is_a_clean_error(tmp_path, pattern):
    out = run_cli(["kwic", "--regex", "--corpus", _clashing_corpus(tmp_path, 2), "--no-cache", "--", pattern])
    assert out.kind == CLEAN, out
    assert "invalid regular expression" in out.stderr


def _no_space(self, path, *args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


@pytest.mark.parametrize("store", [True, False])
def test_a_full_disk_during_a_build_says_disk_full_with_the_path(tmp_path, monkeypatch, store):
    corpus = _clashing_corpus(tmp_path, 3)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _no_space)
    out = run_cli(["build", *(["--store", "--partition-rows", "1"] if store else []), "--corpus", corpus, "--out", tmp_path / "out"])
    assert out.kind == CLEAN, out
    assert "disk full" in out.stderr and str(tmp_path / "out") in out.stderr
    assert "mixes kinds" not in out.stderr


def test_a_full_disk_as_pyarrow_reports_it_says_disk_full():
    from tifa.errors import write_failure

    assert write_failure(OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")) == "disk full"
    assert write_failure(OSError(errno.ENOSPC, "No space left on device", "/x/y")) == "disk full (No space left on device): /x/y"


def test_a_province_outside_the_gazetteer_is_left_out_of_province_models_with_a_warning(caplog):
    from tifa.places import add_province_columns

    with caplog.at_level(logging.WARNING):
        out = add_province_columns(pd.DataFrame({"province": ["湖南省", "火星省"], "year": [2018, 2019]}))
    assert out["province_code"].isna().tolist() == [False, True]
    assert "火星省" in caplog.text


def test_a_province_outside_the_gazetteer_is_left_off_the_map_with_a_warning(caplog):
    import matplotlib.pyplot as plt

    from tifa.figures.labels import Labeller
    from tifa.figures.maps import plot_province_tiles
    from tifa.places import load_regions

    with caplog.at_level(logging.WARNING):
        fig = plot_province_tiles(pd.Series({"湖南省": 1.0, "火星省": 2.0}), labeller=Labeller(places=load_regions()))
    plt.close(fig)
    assert "火星省" in caplog.text and "left out of the map" in caplog.text


def test_spreadsheet_safe_neutralises_formulas_and_keeps_numbers():
    from tifa.export import spreadsheet_safe

    table = pd.DataFrame({"name": ["=SUM(A1:A2)", "+cmd", "-x", "@SUM(1)", "-3", "+1.5", "湖南省", None], "n": range(8)})
    safe = spreadsheet_safe(table)
    assert safe["name"].tolist()[:7] == ["'=SUM(A1:A2)", "'+cmd", "'-x", "'@SUM(1)", "-3", "+1.5", "湖南省"]
    assert pd.isna(safe["name"].iloc[7])
    assert safe["n"].tolist() == list(range(8))
    assert table["name"].iloc[0] == "=SUM(A1:A2)"  # the input is not changed


@pytest.mark.parametrize("argv, message", [
    (["slogans", "--by", "slogan"], "cannot group the slogan count table by the docvar 'slogan'"),
    (["slogans", "--by", "per_10k"], "cannot group the slogan count table by the docvar 'per_10k'"),
    (["panel", "--by", "count", "--format", "csv"], "cannot group the panel table by the docvar 'count'"),
    (["panel", "--by", "n_docs", "--format", "csv"], "cannot group the panel table by the docvar 'n_docs'"),
    (["adoption", "--by", "slogan_id", "--time", "year", "--format", "csv"], "cannot group the adoption table by the docvar 'slogan_id'"),
    (["adoption", "--by", "province", "--time", "province", "--format", "csv"], "--by and --time are both 'province'"),
])
def test_grouping_by_a_docvar_named_like_an_output_column_is_refused_on_both_engines(tmp_path, argv, message):
    docs = [{"doc_id": f"d{i}", "text": SENTENCES[i % 3], "province": ["湖南省", "河北省"][i % 2], "year": 2018 + i % 3,
             "slogan": "x", "per_10k": 2, "count": i, "n_docs": 1, "slogan_id": "s"} for i in range(6)]
    corpus = _jsonl(tmp_path / "h.jsonl", docs)
    for options in _engines(tmp_path).values():  # before: duplicated columns (slogans, panel) or a traceback (adoption)
        out = run_cli([*argv, "--corpus", corpus, *options])
        assert out.kind == CLEAN, out
        assert message in out.stderr


def test_reuse_renames_docvars_that_become_its_columns_once_prefixed(tmp_path):
    text = SENTENCES[0] * 3 + SENTENCES[1]
    docs = [{"doc_id": f"d{i}", "text": text + SENTENCES[2 + i % 2], "province": ["湖南省", "中央"][i % 2], "year": 2018,
             "doc": "x", "start": 1, "end": 2, "chars": 3} for i in range(4)]
    corpus = _jsonl(tmp_path / "r.jsonl", docs)
    for table in ("passages", "documents", "pairs"):  # before: "columns overlap but no suffix specified" (a traceback)
        out = run_cli(["reuse", "--central", "province: 中央", "--table", table, "--format", "csv", "--corpus", corpus, "--engine", "memory"])
        assert out.kind == SUCCESS, out
        header = out.stdout.splitlines()[0].split(",")
        assert len(header) == len(set(header))
        assert "renamed" in out.stderr


@pytest.mark.parametrize("forms", [[], ["--forms"]])
def test_slogans_by_a_docvar_no_document_has_is_an_empty_table_as_in_freq(tmp_path, forms):
    corpus = _jsonl(tmp_path / "n.jsonl", [{"doc_id": "a", "text": "同志们：", "province": "湖南省"}])
    outcomes = {e: run_cli(["slogans", "--by", "year", *forms, "--format", "csv", "--corpus", corpus, *options]) for e, options in _engines(tmp_path).items()}
    for outcome in outcomes.values():  # before: "No objects to concatenate" (found by the fuzz suite)
        assert outcome.kind == SUCCESS, outcome
        assert outcome.stdout.splitlines() == [f"year,slogan,{'form,' if forms else ''}count,per_10k,slogan_id,en,category"]


def test_reuse_takes_the_engine_options_of_the_other_analyses(tmp_path):
    docs = [{"doc_id": f"d{i}", "text": SENTENCES[0] * 3 + SENTENCES[1 + i % 2], "province": "湖南省"} for i in range(3)]
    corpus = _jsonl(tmp_path / "w.jsonl", docs)
    outcomes = {e: run_cli(["reuse", "--within", "--format", "csv", "--corpus", corpus, *options]) for e, options in _engines(tmp_path).items()}
    for outcome in outcomes.values():  # before: "unrecognized arguments: --store … --partition-rows 2" (found by the fuzz suite)
        assert outcome.kind == SUCCESS, outcome
    assert outcomes["memory"].stdout == outcomes["stream"].stdout
    assert (tmp_path / "store" / "store.json").is_file()


def test_adoption_by_a_time_docvar_whose_columns_clash_is_refused(tmp_path):
    corpus = _jsonl(tmp_path / "t.jsonl", [{"doc_id": "a", "text": SENTENCES[0], "province": "湖南省", "doc": 2018}])
    out = run_cli(["adoption", "--by", "province", "--time", "doc", "--format", "csv", "--corpus", corpus, "--engine", "memory", "--no-cache"])
    assert out.kind == CLEAN, out  # before: KeyError 'first_doc' (found by the fuzz suite)
    assert "--time 'doc'" in out.stderr and "first_doc" in out.stderr
