"""The corpus store: streamed in partitions, the same documents, audit and problems as load_corpus, re-used by content hash."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tifa import config, load_corpus, store as store_module
from tifa.errors import CorpusError, OutputError
from tifa.store import build_store, iter_records, open_store


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


RECORDS = [
    {"doc_id": f"d{i}", "year": 2010 + i, "province": "湖南省" if i % 2 else "河北省", "text": f"第{i}篇。各地区要坚持绿水青山就是金山银山，落实党政同责、一岗双责。\n\n生态环境保护工作取得新进展{i}。"}
    for i in range(7)
]


def test_a_store_of_the_seeds_holds_what_load_corpus_returns(seeds, tmp_path):
    store = build_store(config.DATA_DIR, tmp_path / "store", partition_rows=2, progress=False)
    assert [p.n_docs for p in store.partitions()] == [2, 2, 1]
    corpus = store.to_corpus()
    pd.testing.assert_frame_equal(corpus.docs, seeds.docs)
    pd.testing.assert_frame_equal(corpus.audit, seeds.audit)
    pd.testing.assert_frame_equal(corpus.problems, seeds.problems)
    units = pd.concat([p.units() for p in store.partitions()], ignore_index=True)
    expected = seeds.paragraphs()[["doc_id", "paragraph_id", "position", "part", "section", "text"]]
    pd.testing.assert_frame_equal(units, expected)
    pd.testing.assert_frame_equal(store.docvars, seeds.docvars)


def test_jsonl_csv_and_parquet_stream_to_the_same_corpus(tmp_path):
    source = _jsonl(tmp_path / "docs.jsonl", RECORDS)
    frame = pd.DataFrame(RECORDS)
    frame.to_csv(tmp_path / "docs.csv", index=False)
    frame.to_parquet(tmp_path / "docs.parquet", index=False)
    for path in (source, tmp_path / "docs.csv", tmp_path / "docs.parquet"):
        expected = load_corpus(path)
        got = build_store(path, tmp_path / f"store-{path.suffix[1:]}", partition_rows=3, progress=False).to_corpus()
        pd.testing.assert_frame_equal(got.docs, expected.docs, check_dtype=path.suffix != ".csv")
        assert got.docs["doc_id"].tolist() == [f"d{i}" for i in range(7)]


def test_parquet_is_read_in_batches(tmp_path):
    pd.DataFrame(RECORDS).to_parquet(tmp_path / "docs.parquet", index=False, row_group_size=2)
    wheres = [rec.where for rec in iter_records(tmp_path / "docs.parquet", batch_rows=2)]
    assert wheres == [f"{tmp_path / 'docs.parquet'}, row {i}" for i in range(1, 8)]


def test_a_rerun_cleans_only_the_partition_whose_document_changed(tmp_path, monkeypatch):
    source = _jsonl(tmp_path / "docs.jsonl", RECORDS)
    build_store(source, tmp_path / "store", partition_rows=3, progress=False)
    cleaned = []
    original = store_module.process_records
    monkeypatch.setattr(store_module, "process_records", lambda records, *a, **k: cleaned.extend(r.text for r in records) or original(records, *a, **k))
    build_store(source, tmp_path / "store", partition_rows=3, progress=False)
    assert cleaned == []  # same input: nothing cleaned again
    changed = [dict(r) for r in RECORDS]
    changed[4]["text"] += "\n\n新增一段关于河长制的内容。"
    _jsonl(source, changed)
    store = build_store(source, tmp_path / "store", partition_rows=3, progress=False)
    assert len(cleaned) == 3  # documents d3, d4, d5: the second partition only
    assert "河长制" in store.to_corpus().docs.set_index("doc_id").loc["d4", "text"]
    files = sorted(p.stem for p in (tmp_path / "store" / "docs").glob("*.parquet"))
    assert files == sorted(p.key for p in store.partitions())  # the replaced partition is gone


def test_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(RECORDS[0], ensure_ascii=False) + "\n\n{not json}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl, line 3: not valid JSON"):
        build_store(bad, tmp_path / "s1", progress=False)
    duplicate = _jsonl(tmp_path / "dup.jsonl", [RECORDS[0], RECORDS[1], RECORDS[0]])
    with pytest.raises(CorpusError, match=r"dup\.jsonl, line 3: duplicate doc_id 'd0' \(first at .*dup\.jsonl, line 1\)"):
        build_store(duplicate, tmp_path / "s2", partition_rows=1, progress=False)
    csv = tmp_path / "bad.csv"
    csv.write_text("doc_id,text\na,环境保护\nb,生态,文明\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.csv, line 3: 3 fields, but the header has 2"):
        build_store(csv, tmp_path / "s3", progress=False)
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(json.dumps(RECORDS[0], ensure_ascii=False).encode() + b"\n" + '{"text": "环境"}\n'.encode("gb18030"))
    with pytest.raises(CorpusError, match=r"gbk\.jsonl, line 2: bytes that are not UTF-8"):
        build_store(gbk, tmp_path / "s4", progress=False)


def test_the_store_refuses_to_write_over_the_corpus_or_foreign_folders(tmp_path):
    source = _jsonl(tmp_path / "docs.jsonl", RECORDS)
    with pytest.raises(OutputError, match="among the corpus texts"):
        build_store(config.DATA_DIR, config.RAW_DIR / "store", progress=False)
    with pytest.raises(OutputError, match="replace or hold the corpus"):
        build_store(source, tmp_path, progress=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "a.txt").write_text("会议强调要落实党政同责。", encoding="utf-8")
    (flat / "metadata.csv").write_text("doc_id,file\na,a.txt\n", encoding="utf-8")
    with pytest.raises(OutputError, match="among the corpus texts"):
        build_store(flat, flat / "store", progress=False)
    assert build_store(config.DATA_DIR, tmp_path / "seeds" / "store", progress=False), "a store beside a corpus folder's texts is fine"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "thesis.tex").write_text("x")
    with pytest.raises(OutputError, match="not a corpus store"):
        build_store(source, tmp_path / "other", progress=False)
    with pytest.raises(Exception, match="no store.json"):
        open_store(tmp_path)


def test_partitions_cleaned_in_worker_processes_give_the_same_store_and_the_first_error(tmp_path):
    records = [dict(r, doc_id=f"{r['doc_id']}-{k}") for k in range(3) for r in RECORDS]
    source = _jsonl(tmp_path / "docs.jsonl", records)
    one = build_store(source, tmp_path / "one", partition_rows=2, progress=False)
    two = build_store(source, tmp_path / "two", partition_rows=2, progress=False, workers=2)
    assert [p.key for p in one.partitions()] == [p.key for p in two.partitions()]
    for a, b in ((one.to_corpus().docs, two.to_corpus().docs), (one.audit, two.audit), (one.problems, two.problems)):
        pd.testing.assert_frame_equal(a, b)
    bad = [dict(r) for r in records]
    bad[3]["text"] = "page 1 of 2"  # no Chinese text: empty after cleaning, found by a worker, in the second partition
    bad[9]["year"] = "19x6"  # a bad year in the fifth partition: found while reading
    _jsonl(source, bad)
    for workers in (1, 2):
        with pytest.raises(CorpusError, match=r"docs\.jsonl, line 4: document .* is empty after cleaning"):
            build_store(source, tmp_path / f"bad{workers}", partition_rows=2, progress=False, workers=workers)


def test_the_pipeline_version_covers_every_module_a_cleaned_document_depends_on():
    """A change to any module the corpus layer imports (or to its rule files) must invalidate the stores' partitions."""
    import grimp

    from tifa.store import PIPELINE_MODULES

    upstream = grimp.build_graph("tifa").find_upstream_modules("tifa.corpus") | {"tifa.corpus"}
    plumbing = {"tifa.config", "tifa.errors", "tifa.util.files", "tifa.util.hashing"}  # config is hashed whole; the others decide no text
    assert {f"tifa.{m}" for m in PIPELINE_MODULES} == upstream - plumbing
