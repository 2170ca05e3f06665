"""Engines: the streamed and Dask paths give the tables of the in-memory functions, on the seeds and the national reports."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pandas as pd
import pytest

from tifa import config, engine
from tifa.cli import main
from tifa.errors import InputError
from tifa.panel import slogan_panel
from tifa.slogans import count_slogans
from tifa.stats import build_dfm, textstat_frequency, textstat_keyness
from tifa.store import build_store
from tifa.tokens import TokenFilter, tokens

HUNAN = "湖南省"


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    return build_store(config.DATA_DIR, tmp_path_factory.mktemp("store") / "seeds", partition_rows=2, progress=False)


@pytest.fixture(scope="module")
def seed_dfm(seeds):
    return build_dfm(tokens(seeds, cache_dir=None, progress=False))


def _same_as_in_memory(store, corpus, dfm, *, by, target, panel_by, **kw):
    x = engine.store_dfm(store, **kw)
    assert x.features.tolist() == dfm.features.tolist()
    assert (x.matrix != dfm.matrix).nnz == 0
    for group in (None, by):
        pd.testing.assert_frame_equal(engine.textstat_frequency(store, by=group, **kw), textstat_frequency(dfm, by=group))
    pd.testing.assert_frame_equal(engine.textstat_keyness(store, target, by=by, **kw), textstat_keyness(dfm, target, by=by))
    for group in ("doc_id", by):
        pd.testing.assert_frame_equal(engine.count_slogans(store, by=group, **kw), count_slogans(corpus, by=group))
    pd.testing.assert_frame_equal(engine.slogan_panel(store, by=panel_by, **kw), slogan_panel(corpus, by=panel_by))


def test_the_streamed_engine_gives_the_in_memory_tables_on_the_seeds(seeds, seed_store, seed_dfm):
    assert len(seed_store.partitions()) == 3
    _same_as_in_memory(seed_store, seeds, seed_dfm, by="province", target=HUNAN, panel_by=["province", "year"], engine="stream", progress=False)


@pytest.mark.shared
def test_the_streamed_engine_gives_the_in_memory_tables_on_the_national_reports(tmp_path):
    if not config.GOV_REPORTS_JSONL.is_file():
        pytest.skip(f"{config.GOV_REPORTS_JSONL} is absent")
    from tifa.corpus import load_corpus

    corpus = load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False)
    store = build_store(config.GOV_REPORTS_JSONL, tmp_path / "store", text_field="content", partition_rows=10, progress=False)
    dfm = build_dfm(tokens(corpus, cache_dir=None, progress=False))
    _same_as_in_memory(store, corpus, dfm, by="year", target=2025, panel_by=["year"], engine="stream", progress=False)


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
        yield client


def test_dask_on_a_two_worker_cluster_gives_the_in_memory_tables(seeds, seed_store, seed_dfm, dask_client):
    _same_as_in_memory(seed_store, seeds, seed_dfm, by="province", target=HUNAN, panel_by=["province", "year"], engine="dask", client=dask_client)


def _cli(*argv: str) -> bytes:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue().encode("utf-8")


@pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning")
def test_cli_engines_print_byte_identical_tables(tmp_path):
    store = str(tmp_path / "store")
    for command in (["panel", "--by", "province", "year", "--format", "csv"], ["freq", "--by", "province", "--format", "csv"], ["slogans", "--by", "province", "--format", "csv"]):
        default = _cli(*command)
        assert _cli(*command, "--engine", "stream", "--store", store, "--partition-rows", "2") == default
    keyness = ["keyness", "--by", "province", "--target", HUNAN, "--format", "csv"]
    assert _cli(*keyness, "--engine", "dask", "--store", store, "--partition-rows", "2") == _cli(*keyness)


def test_auto_streams_above_the_threshold(monkeypatch, tmp_path):
    assert engine.choose_engine("auto", config.DATA_DIR) == "memory"
    monkeypatch.setattr(config, "STREAM_THRESHOLD_MB", 0)
    assert engine.choose_engine("auto", config.DATA_DIR) == "stream"
    assert engine.choose_engine("dask", config.DATA_DIR) == "dask"
    with pytest.raises(InputError):
        engine.choose_engine("spark", config.DATA_DIR)


def test_part_of_speech_filters_stay_in_memory(seed_store):
    with pytest.raises(InputError, match="in memory only"):
        engine.store_dfm(seed_store, token_filter=TokenFilter(pos="content"))
