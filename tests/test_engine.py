"""The engine: memory (one partition), stream and Dask run the same steps and give the same tables, on the seeds and the national reports."""

from __future__ import annotations

import functools
import io
import shutil
from contextlib import redirect_stdout

import pandas as pd
import pytest

from tifa import config, engine
from tifa.cli import main
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.features import build_dfm, tokens
from tifa.filters import TokenFilter
from tifa.panel import slogan_panel
from tifa.slogans import count_slogans, kwic, slogan_mentions
from tifa.stats import textstat_frequency, textstat_keyness
from tifa.store import build_store

HUNAN = "湖南省"


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    return build_store(config.DATA_DIR, tmp_path_factory.mktemp("store") / "seeds", partition_rows=2, progress=False)


def _same_as_in_memory(store, corpus, *, by, target, panel_by, eng):
    streamed, memory = as_source(store, engine=eng), as_source(corpus)
    x, dfm = build_dfm(streamed, cache_dir=None), build_dfm(memory, cache_dir=None)
    assert x.features.tolist() == dfm.features.tolist() and len(x.features) > 100
    assert (x.matrix != dfm.matrix).nnz == 0
    pd.testing.assert_frame_equal(x.docvars, dfm.docvars)
    for group in (None, by):
        pd.testing.assert_frame_equal(textstat_frequency(streamed, by=group), textstat_frequency(dfm, by=group))
    pd.testing.assert_frame_equal(textstat_keyness(streamed, target, by=by), textstat_keyness(dfm, target, by=by))
    for group in ("doc_id", by):
        pd.testing.assert_frame_equal(count_slogans(streamed, by=group), count_slogans(memory, by=group))
    pd.testing.assert_frame_equal(count_slogans(streamed, by=by, forms=True), count_slogans(memory, by=by, forms=True))
    pd.testing.assert_frame_equal(slogan_panel(streamed, by=panel_by), slogan_panel(memory, by=panel_by))
    pd.testing.assert_frame_equal(slogan_panel(streamed, by=panel_by, include_parts="all"), slogan_panel(memory, by=panel_by, include_parts="all"))
    pd.testing.assert_frame_equal(slogan_mentions(streamed), slogan_mentions(memory))
    pd.testing.assert_frame_equal(kwic(streamed, "生态文明"), kwic(memory, "生态文明"))


def test_the_streamed_engine_gives_the_in_memory_tables_on_the_seeds(seeds, seed_store):
    assert len(seed_store.partitions()) == 3
    _same_as_in_memory(seed_store, seeds, by="province", target=HUNAN, panel_by=["province", "year"], eng="stream")


@pytest.mark.shared
def test_the_streamed_engine_gives_the_in_memory_tables_on_the_national_reports(tmp_path, gov_reports):
    store = build_store(config.GOV_REPORTS_JSONL, tmp_path / "store", text_field="content", partition_rows=10, progress=False)
    _same_as_in_memory(store, gov_reports, by="year", target=2025, panel_by=["year"], eng="stream")


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    with engine.dask_client() as client:
        yield client


def test_dask_on_a_two_worker_cluster_gives_the_in_memory_tables(seeds, seed_store, dask_client):
    _same_as_in_memory(seed_store, seeds, by="province", target=HUNAN, panel_by=["province", "year"], eng=Engine("dask", client=dask_client))


def test_the_local_cluster_listens_on_the_loopback_only_serves_no_dashboard_and_admits_no_stranger(dask_client):
    import urllib.error
    import urllib.request

    from distributed import Client

    info = dask_client.scheduler_info()
    assert info["address"].startswith("tls://127.0.0.1:")
    assert all(w.startswith("tls://127.0.0.1:") for w in info["workers"])
    port = info["services"]["dashboard"]
    assert port != 8787
    for page in ("status", "info/main/workers.html", "metrics"):
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=5)
    with pytest.raises(Exception):  # no certificate: the scheduler does not talk to it
        Client(info["address"].replace("tls://", "tcp://"), timeout=3)


def _toy_step(partition, word: str) -> tuple[list[str], list[int]]:
    """A toy analysis written as the contract asks: what each document says about ``word``, per partition."""
    docs = partition.docs(["doc_id", "text"])
    return docs["doc_id"].tolist(), [text.count(word) for text in docs["text"]]


def _toy_analysis(x, word: str, *, eng=None) -> pd.DataFrame:
    source = as_source(x, engine=eng)
    results = source.map(functools.partial(_toy_step, word=word), desc="toy")
    return pd.DataFrame({"doc_id": [d for ids, _ in results for d in ids], "n": [n for _, ns in results for n in ns]})


def test_a_new_analysis_is_one_step_and_one_combine_and_runs_on_every_engine(seeds, seed_store, dask_client):
    expected = pd.DataFrame({"doc_id": seeds.docs["doc_id"], "n": [t.count("整改") for t in seeds.docs["text"]]})
    assert expected["n"].sum() > 0
    for x, eng in ((seeds, None), (config.DATA_DIR, "memory"), (seed_store, "stream"), (seed_store, Engine("dask", client=dask_client))):
        pd.testing.assert_frame_equal(_toy_analysis(x, "整改", eng=eng), expected)


def _cli(*argv: str) -> bytes:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue().encode("utf-8")


@pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning")
def test_cli_engines_print_byte_identical_tables(tmp_path):
    store = str(tmp_path / "store")
    for command in (["panel", "--by", "province", "year", "--format", "csv"], ["freq", "--by", "province", "--format", "csv"],
                    ["slogans", "--by", "province", "--format", "csv"], ["kwic", "一岗双责", "--format", "csv"]):
        default = _cli(*command)
        assert _cli(*command, "--engine", "stream", "--store", store, "--partition-rows", "2") == default
    keyness = ["keyness", "--by", "province", "--target", HUNAN, "--format", "csv"]
    assert _cli(*keyness, "--engine", "dask", "--store", store, "--partition-rows", "2") == _cli(*keyness)


def test_auto_streams_above_the_threshold(monkeypatch, tmp_path):
    assert engine.choose_engine("auto", config.DATA_DIR) == "memory"
    corpus = tmp_path / "corpus"
    shutil.copytree(config.DATA_DIR / "raw", corpus / "raw")
    shutil.copy(config.DATA_DIR / "metadata.csv", corpus)
    (corpus / "processed").mkdir()
    (corpus / "processed" / "cache.bin").write_bytes(b"\0" * 2_000_000)  # caches beside the texts are not the corpus
    monkeypatch.setattr(config, "STREAM_THRESHOLD_MB", 1)
    assert engine.corpus_size(corpus) == sum(p.stat().st_size for p in [corpus / "metadata.csv", *(corpus / "raw").iterdir()])
    assert engine.choose_engine("auto", corpus) == "memory"
    monkeypatch.setattr(config, "STREAM_THRESHOLD_MB", 0)
    assert engine.choose_engine("auto", config.DATA_DIR) == "stream"
    monkeypatch.setattr(config, "STORE_DIR", tmp_path / "stores")
    source = as_source(config.DATA_DIR)
    assert source.store is not None and source.engine.name == "stream"
    assert engine.choose_engine("dask", config.DATA_DIR) == "dask"
    with pytest.raises(InputError):
        engine.choose_engine("spark", config.DATA_DIR)


def test_part_of_speech_filters_run_on_every_engine(seeds, seed_store):
    nouns = TokenFilter(pos=["ns"])
    streamed = build_dfm(seed_store, token_filter=nouns, cache_dir=None)
    memory = build_dfm(seeds, token_filter=nouns, cache_dir=None)
    assert streamed.features.tolist() == memory.features.tolist() and {"湘江", "洞庭湖"} <= set(memory.features)
    assert (streamed.matrix != memory.matrix).nnz == 0
    listed = tokens(seeds, token_filter=nouns, cache_dir=None)
    assert sorted({t for ts in listed.units["tokens"] for t in ts}) == memory.features.tolist()


def test_the_streamed_engine_in_worker_processes_gives_the_same_tables(seeds, seed_store):
    one, two = as_source(seed_store, engine=Engine("stream", workers=1)), as_source(seed_store, engine=Engine("stream", workers=2))
    pd.testing.assert_frame_equal(textstat_frequency(two, by="province"), textstat_frequency(one, by="province"))
    pd.testing.assert_frame_equal(count_slogans(two, by="province", forms=True), count_slogans(one, by="province", forms=True))
    pd.testing.assert_frame_equal(kwic(two, "党政同责"), kwic(one, "党政同责"))
