"""Text reuse: planted passages are recovered, nothing is found where nothing was planted, boilerplate and slogans do not count,
the fast path equals the exhaustive alignment, and a corpus, a store and Dask give the same tables."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from tifa.align import shingle_hashes, skeleton
from tifa.cli import main
from tifa.clean import clean_text, default_pipeline
from tifa.corpus import Corpus
from tifa.datasets import national_reports
from tifa.plant import plant_reuse, score_planted
from tifa.reuse import find_reuse, reuse_by_central, reuse_lags, reuse_matrix, reuse_shares
from tifa.reuse_index import ReuseParams, _best_first, build_index, doc_regions, exhaustive_alignments, region_alignments
from tifa.text import count_han


def as_corpus(docs: pd.DataFrame, source: str = "test") -> Corpus:
    docs = docs.reset_index(drop=True).assign(n_chars=[count_han(t) for t in docs["text"]])
    return Corpus(docs=docs, audit=pd.DataFrame(columns=["doc_id"]), problems=pd.DataFrame(columns=["doc_id", "where", "problem"]), source=source)


@lru_cache(maxsize=1)
def reports() -> pd.DataFrame:
    return national_reports().docs


def between(first: int, last: int) -> pd.DataFrame:
    docs = reports()
    return docs[docs["year"].notna() & (docs["year"] >= first) & (docs["year"] <= last)].reset_index(drop=True)


@pytest.fixture(scope="module")
def planted():
    return plant_reuse(between(1954, 1960), between(2021, 2025), n_docs=5, passages_per_doc=6, seed=5)


@pytest.fixture(scope="module")
def recent_index():
    return build_index([between(2021, 2025)], progress=False)


# --- planted corpora -----------------------------------------------------------------------


def test_planted_texts_are_clean_and_hold_the_edited_source_passages(planted):
    docs, truth = planted
    texts = docs.set_index("doc_id")["text"]
    steps = default_pipeline()
    assert all(clean_text(t, steps).text == t for t in texts)  # a fixed point of cleaning: offsets stay valid after load_corpus
    sources = between(2021, 2025).set_index("doc_id")["text"]
    for row in truth.itertuples():
        copy, source = texts[row.doc_id][row.start : row.end], sources[row.source_doc][row.source_start : row.source_end]
        assert 50 <= count_han(source) <= 500 and count_han(copy) == row.han
        same = sum(a == b for a, b in zip(skeleton(copy)[0], skeleton(source)[0]))
        if row.n_edits == 0:
            assert copy == source
        assert row.n_edits <= 0.3 * count_han(source) + 3 and same > 0


def test_planted_passages_are_recovered(planted, recent_index):
    docs, truth = planted
    reuse = find_reuse(as_corpus(docs), index=recent_index, progress=False)
    found = reuse.passages[~reuse.passages["formulaic"]]
    scores = score_planted(found, truth, docs.set_index("doc_id")["text"])
    assert scores["recall"] >= 0.95 and scores["precision"] >= 0.95, scores
    # every planted passage is aligned with its source (formulaic ones included: text found in every central report)
    every = reuse.passages
    for row in truth.itertuples():
        hits = every[(every["local_doc"] == row.doc_id) & (every["local_start"] < row.end) & (every["local_end"] > row.start)]
        assert row.source_doc in set(hits["central_doc"]), row
    assert (reuse.passages["lag"] == 2026 - reuse.passages["central_year"]).all()


def test_nothing_planted_gives_no_specific_passage(recent_index):
    reuse = find_reuse(as_corpus(between(1954, 1960)), index=recent_index, progress=False)
    assert not (~reuse.passages["formulaic"]).any()
    assert (reuse.documents["reused_chars"] == 0).all()


def test_the_fast_path_finds_the_passages_of_the_exhaustive_alignment(planted, recent_index):
    docs, _ = planted
    params = recent_index.params
    text = docs["text"].iloc[0][:3000]
    codes, _ = skeleton(text)
    hashes = shingle_hashes(codes, params.n)
    frequent = recent_index.df(hashes) >= recent_index.formulaic_df
    regions = doc_regions(codes, hashes, ~frequent, recent_index)
    found = region_alignments([(codes[l0:l1], recent_index.codes[c][c0:c1]) for c, l0, l1, c0, c1 in regions], params)
    fast = _best_first([(c, s, l0 + a0, l0 + a1, c0 + b0, c0 + b1, m, k) for (c, l0, _, c0, _), rows in zip(regions, found) for s, a0, a1, b0, b1, m, k in rows])
    exact = [row for c in range(len(recent_index.doc_ids)) for row in exhaustive_alignments(codes, recent_index, c)]
    assert fast and sorted(fast) == sorted(exact)


# --- boilerplate and slogans ---------------------------------------------------------------

FILLER_POOL = np.array(list("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏"))
BOILERPLATE = "高举旗帜凝心聚力砥砺奋进，坚定不移推动高质量发展，为全面建设现代化国家而团结奋斗"  # 40 Han characters
SPECIFIC = "在长江上游建设三座生态补偿试点水库，对下游城市按照每吨水零点三元的标准收取补偿资金，专项用于库区移民安置"
SLOGANS = "党政同责一岗双责绿水青山就是金山银山两学一做三严三实党政同责"


def filler(seed: int, n: int = 300) -> str:
    return "".join(np.random.default_rng(seed).choice(FILLER_POOL, n))


@pytest.fixture(scope="module")
def boilerplate_case():
    central = pd.DataFrame({
        "doc_id": [f"c{i}" for i in range(8)],
        "year": [2018 + i for i in range(8)],
        "text": [filler(i) + "。" + BOILERPLATE + "。" + filler(100 + i) + ("。" + SPECIFIC + "。" + SLOGANS + "。" + filler(200) if i == 3 else "") for i in range(8)],
    })
    local = pd.DataFrame({"doc_id": ["p1"], "province": ["湖南省"], "year": [2026],
                          "text": [filler(50) + "。" + BOILERPLATE + "。" + filler(51) + "。" + SPECIFIC + "。" + filler(52) + "。" + SLOGANS + "。" + filler(53)]})
    return find_reuse(as_corpus(local), as_corpus(central), params=ReuseParams(min_chars=10, min_score=15), progress=False)


def test_boilerplate_in_many_central_documents_is_formulaic(boilerplate_case):
    p = boilerplate_case.passages
    assert p[p["local_text"].str.contains("高举旗帜")].empty  # in all 8 central documents (≥ 5): no candidate, not aligned
    doc = boilerplate_case.documents.iloc[0]
    assert doc["formulaic_chars"] >= count_han(BOILERPLATE) + count_han(SLOGANS) - 4  # counted apart (its edges may be specific)


def test_specific_text_counts_and_slogans_do_not(boilerplate_case):
    p = boilerplate_case.passages
    specific = p[p["local_text"].str.contains("生态补偿")]
    assert len(specific) == 1 and not specific["formulaic"].iloc[0]
    assert specific["central_doc"].iloc[0] == "c3" and specific["lag"].iloc[0] == 2026 - 2021
    assert specific["local_text"].iloc[0] == SPECIFIC
    slogans = p[p["local_text"].str.contains("两学一做")]
    assert len(slogans) == 1 and slogans["formulaic"].iloc[0] and slogans["reused_chars"].iloc[0] == 0
    doc = boilerplate_case.documents.iloc[0]
    assert doc["reused_chars"] == count_han(SPECIFIC)
    assert doc["share"] == pytest.approx(count_han(SPECIFIC) / doc["han_chars"])


# --- engines, modes, aggregates, command line -------------------------------------------------


@pytest.fixture(scope="module")
def planted_files(planted, tmp_path_factory):
    from tifa.store import build_store

    folder = tmp_path_factory.mktemp("reuse")
    docs, _ = planted
    path = folder / "planted.jsonl"
    docs.to_json(path, orient="records", lines=True, force_ascii=False)
    return path, build_store(path, folder / "store", partition_rows=2, progress=False)


def test_a_corpus_a_store_and_dask_give_the_same_tables(planted_files, recent_index):
    from tifa.corpus import load_corpus
    from tifa.engine import Engine, dask_client

    path, store = planted_files
    in_memory = find_reuse(load_corpus(path, progress=False), index=recent_index, progress=False)
    streamed = find_reuse(store, index=recent_index, progress=False)
    with dask_client() as client:  # the engine's local cluster: 2 workers on the loopback
        on_dask = find_reuse(store, index=recent_index, engine=Engine("dask", client=client), progress=False)
    assert len(store.partitions()) == 3 and len(in_memory.passages) > 20
    for other in (streamed, on_dask):
        for table in ("passages", "documents", "pairs"):
            pd.testing.assert_frame_equal(getattr(in_memory, table), getattr(other, table))


def test_within_a_corpus_each_pair_is_aligned_once():
    shared = "".join(np.random.default_rng(9).choice(FILLER_POOL[:24], 5)) + SPECIFIC
    docs = pd.DataFrame({"doc_id": ["a", "b", "c"], "province": ["湖南省", "河北省", "青海省"], "year": [2024, 2025, 2026],
                         "text": [filler(1) + "。" + shared + "。" + filler(2), filler(3), filler(4) + "。" + shared + "。" + filler(5)]})
    reuse = find_reuse(as_corpus(docs), None, progress=False)
    p = reuse.passages[~reuse.passages["formulaic"]]
    assert list(zip(p["local_doc"], p["central_doc"])) == [("a", "c")]
    assert p["lag"].iloc[0] == 2024 - 2026
    matrix = reuse_matrix(reuse, by="province")
    share = count_han(shared) / reuse.documents.set_index("province")["han_chars"]
    assert matrix.loc["湖南省", "青海省"] == pytest.approx(share["湖南省"]) and matrix.loc["青海省", "湖南省"] == pytest.approx(share["青海省"])
    assert matrix.loc["河北省"].sum() == 0


def test_a_group_of_the_corpus_as_the_centre():
    docs = pd.DataFrame({"doc_id": ["feedback", "plan", "other"], "genre": ["督察反馈", "整改方案", "整改方案"], "year": [2025, 2026, 2026],
                         "text": [filler(1) + "。" + SPECIFIC + "。" + filler(2), filler(3) + "。" + SPECIFIC + "。" + filler(4), filler(5)]})
    reuse = find_reuse(as_corpus(docs), "genre: 督察反馈", progress=False)
    assert reuse.documents["doc_id"].tolist() == ["plan", "other"]
    assert find_reuse(as_corpus(docs), "genre=督察反馈", progress=False).passages.equals(reuse.passages)
    p = reuse.passages
    assert list(zip(p["local_doc"], p["central_doc"], p["formulaic"])) == [("plan", "feedback", False)]


def test_shares_by_group_and_by_central_document(planted, recent_index):
    docs, _ = planted
    reuse = find_reuse(as_corpus(docs.assign(region=["A", "A", "B", "B", "B"])), index=recent_index, progress=False)
    shares = reuse_shares(reuse, by="region")
    d = reuse.documents
    for region, part in d.groupby("region"):
        row = shares[shares["region"] == region].iloc[0]
        assert row["reused_chars"] == part["reused_chars"].sum() and row["share"] == pytest.approx(part["reused_chars"].sum() / part["han_chars"].sum())
    by_central = reuse_by_central(reuse)
    assert (by_central.groupby("local_doc")["reused_chars"].sum().reindex(d["doc_id"]).fillna(0).to_numpy() >= d["reused_chars"].to_numpy()).all()
    lags = reuse_lags(reuse)
    assert lags["reused_chars"].sum() == by_central["reused_chars"].sum() and lags["share"].sum() == pytest.approx(1.0)
    assert lags["formulaic_chars"].sum() == reuse.passages.loc[reuse.passages["formulaic"], "chars"].sum()


def test_reuse_command_prints_the_passages(planted_files, tmp_path):
    path, _ = planted_files
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["reuse", "--corpus", str(path), "--within", "--table", "documents"]) == 0
    table = pd.read_csv(io.StringIO(out.getvalue()))
    assert table.columns[:4].tolist() == ["doc_id", "han_chars", "reused_chars", "formulaic_chars"] and len(table) == 5
    target = tmp_path / "reuse.parquet"
    assert main(["reuse", "--corpus", str(path), "--within", "--format", "parquet", "--output", str(target)]) == 0
    passages = pd.read_parquet(target)
    assert passages.columns[:12].tolist() == ["local_doc", "central_doc", "local_start", "local_end", "central_start", "central_end", "chars", "reused_chars", "central_reused_chars", "score", "identity", "formulaic"]
    assert main(["reuse", "--corpus", str(path), "--within", "--central", "x.jsonl"]) == 2


# --- figures and the side-by-side view ------------------------------------------------------------


def test_reuse_figures_are_registered_and_drawn(boilerplate_case):
    import matplotlib.pyplot as plt

    from tifa.figures import BUILDERS
    from tifa.study import load_registry

    names = {o.name for o in load_registry() if o.notebook == "06_reuse"}
    assert {"reuse_share_map", "reuse_share_by_province", "reuse_lag_distribution", "reuse_matrix_by_province", "reuse_shares_by_province"} <= names
    shares = reuse_shares(boilerplate_case, by="province")
    ax = BUILDERS["reuse_share_by_province"](shares, group="province", order=["湖南省"], labels={"湖南省": "Hunan"})
    widths = [p.get_width() for p in ax.patches]
    assert widths[0] == pytest.approx(100 * shares["share"].iloc[0]) and widths[1] == pytest.approx(100 * shares["formulaic_share"].iloc[0])
    ax = BUILDERS["reuse_lag_distribution"](pd.DataFrame({"lag": [1, 1, 3], "reused_chars": [10, 30, 60], "formulaic_chars": [5, 0, 7]}))
    assert [p.get_height() for p in ax.patches] == [40, 60, 5, 7]
    fig = BUILDERS["reuse_matrix_by_province"](pd.DataFrame([[0.0, 0.02], [0.01, 0.0]], index=["a", "b"], columns=["a", "b"]), order=["b", "a"])
    assert fig.axes[0].images[0].get_array()[0, 1] == pytest.approx(1.0)  # row b, column a, in %
    plt.close("all")


def test_side_by_side_marks_differences_and_escapes_text():
    from tifa.figures.reuse import diff_segments, reuse_pairs_html

    left, right = diff_segments("推进<b>生态文明建设", "推进生态文明体制建设")
    assert ("added", "<b>") in left and ("added", "体制") in right
    assert "".join(t for _, t in left) == "推进<b>生态文明建设"
    row = {"local_doc": "p<1>", "central_doc": "c1", "local_start": 0, "local_end": 12, "central_start": 5, "central_end": 15, "chars": 10, "reused_chars": 10,
           "score": 8, "identity": 0.8, "lag": 3, "formulaic": False, "local_text": "推进<b>生态文明建设", "central_text": "推进生态文明体制建设"}
    html = reuse_pairs_html(pd.DataFrame([row]))
    assert "<b>" not in html and "&lt;b&gt;" in html and "p&lt;1&gt;" in html
    assert '<span class="added">体制</span>' in html and "lag 3 years" in html
