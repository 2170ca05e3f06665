"""The corpus layer: sources, docvars, audit, processed output and clear errors."""

import json

import pandas as pd
import pytest

from tifa import CorpusError, config, load_corpus, read_processed, write_processed
from tifa.corpus import decode_bytes

from .conftest import BOILERPLATE_LINES, GANZHOU, HENGSHUI, HUNAN, QINGHAI, SHANGLUO

BODY = "会议强调，要严格落实环境保护党政同责、一岗双责，坚决打好污染防治攻坚战。"


def test_seed_summary(seeds, raw_texts):
    summary = seeds.summary().set_index("doc_id")
    docs = [HUNAN, HENGSHUI, QINGHAI, GANZHOU, SHANGLUO]
    assert summary.loc[docs, "n_lines_removed"].tolist() == [len(BOILERPLATE_LINES[d]) for d in docs]
    assert summary["converted_script"].to_dict() == {HUNAN: False, HENGSHUI: False, QINGHAI: True, GANZHOU: False, SHANGLUO: False}
    assert summary.at[QINGHAI, "n_pinyin_removed"] == raw_texts[QINGHAI].count("("), "every ( opens a pinyin gloss"
    assert summary["year"].tolist() == [2016, 2016, 2017, 2014, 2022]


def test_qinghai_slogan_only_after_conversion(raw_texts, seed_texts):
    assert "党政同责" not in raw_texts[QINGHAI]
    assert seed_texts[QINGHAI].count("党政同责") == 1


def test_paragraph_and_sentence_ids_are_stable_and_unique(seeds):
    paras = seeds.paragraphs()
    assert paras["paragraph_id"].is_unique
    assert paras.iloc[0][["paragraph_id", "position", "text"]].tolist() == [f"{HUNAN}:p0001", 1, "省环保厅召开党组扩大会安排部署下半年重点工作"]
    assert (paras["province"].notna()).all(), "paragraphs carry their document's docvars"
    sents = seeds.sentences()
    assert sents["sentence_id"].is_unique
    first = sents[sents.doc_id == SHANGLUO].iloc[1]  # after the title (p0001)
    assert first["sentence_id"] == f"{SHANGLUO}:p0002:s001"
    assert first["text"] == "10月12日上午,市环境局组织召开了首场作风建设专题研讨会。"
    assert sents.equals(load_corpus().sentences())


def test_processed_output_is_deterministic(seeds, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    files_a = write_processed(seeds, a)
    write_processed(load_corpus(), b)
    assert len(files_a) == 3 + 5
    for path in files_a:
        assert path.read_bytes() == (b / path.relative_to(a)).read_bytes(), path.name
    back = read_processed(a)
    pd.testing.assert_frame_equal(back.docs, seeds.docs)
    assert len(back.audit) == len(seeds.audit)
    assert (a / "texts" / f"{HENGSHUI}.txt").read_text(encoding="utf-8").startswith("在省环境保护督查组督查衡水情况反馈会上的讲话")


def test_rebuild_removes_the_text_of_a_dropped_document(seeds, tmp_path):
    import dataclasses

    write_processed(seeds, tmp_path)
    assert (tmp_path / "texts" / f"{HUNAN}.txt").is_file()
    fewer = dataclasses.replace(seeds, docs=seeds.docs[seeds.docs["doc_id"] != HUNAN].reset_index(drop=True))
    write_processed(fewer, tmp_path)
    assert not (tmp_path / "texts" / f"{HUNAN}.txt").exists(), "a stale text of a dropped document"
    assert sorted(p.stem for p in (tmp_path / "texts").glob("*.txt")) == sorted([HENGSHUI, QINGHAI, GANZHOU, SHANGLUO])


# --- encodings ------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_decoding_detects_chinese_encodings(raw_texts, encoding):
    raw = raw_texts[HENGSHUI]
    text, _ = decode_bytes(raw.encode(encoding), "x.txt")
    assert text == raw


@pytest.mark.parametrize("text", ["环保", "党政同责", "绿水青山", "河长制", "落实", "督察组", "整改", "我们", "生态文明建设", "中央环保督察组进驻"])
def test_short_gbk_texts_are_not_read_as_big5(text):
    assert decode_bytes(text.encode("gbk"), "x.txt") == (text, "gb18030")


def test_big5_traditional_text_is_decoded():
    text = "中央環境保護督察組進駐以來，省委省政府高度重視，堅持黨政同責、一崗雙責，全面落實整改任務。"
    assert len(text) >= 30
    assert decode_bytes(text.encode("big5"), "x.txt") == (text, "big5")
    assert decode_bytes("環境保護督察".encode("big5"), "x.txt") == ("環境保護督察", "big5")


def test_decoding_big5_traditional_text(raw_texts):
    # the Qinghai file is traditional Chinese; Big5 cannot hold its pinyin glosses, which are dropped here
    data = raw_texts[QINGHAI].encode("big5", errors="ignore")
    text, encoding = decode_bytes(data, "big5.txt")
    assert text == data.decode("big5")
    assert "省委省政府召開" in text and encoding.replace("_", "").lower() in {"big5", "cp950", "big5hkscs"}


def test_share_of_common_characters_over_the_first_han_characters():
    from tifa.decoding import _common_share

    # 中 D6D0 and 国 B9FA are GB2312 level 1; in Big5 中 is A4A4 (common), 国 does not encode; 𠮷 encodes in neither; ASCII is no Han
    assert _common_share("中国𠮷abc", "gb2312") == 2 / 3 and _common_share("中国𠮷abc", "big5") == 1 / 3
    assert _common_share("中国" + "𠮷" * 3000, "gb2312", sample=4) == 2 / 4, "only the first sample characters count"
    assert _common_share("abc", "big5") == 0.0


def test_undecodable_bytes_name_the_file():
    with pytest.raises(CorpusError, match=r"bad\.txt: cannot decode"):
        decode_bytes(bytes(range(128, 256)) * 4, "bad.txt")


# --- other sources --------------------------------------------------------------------

def test_jsonl_source_with_docvars_and_derived_year(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [{"content": BODY, "date": "2019-05-04", "region": "甲"}, {"content": BODY + "其二。", "year": "2020"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    corpus = load_corpus(path, text_field="content")
    assert corpus.doc_ids == ["c-0001", "c-0002"]
    assert corpus.docs["year"].tolist() == [2019, 2020]
    assert corpus.docs["region"].tolist()[0] == "甲"


def test_csv_and_parquet_sources(tmp_path):
    table = pd.DataFrame({"doc_id": ["a", "b"], "text": [BODY, BODY + "另一段。"], "province": ["湖南省", "青海省"], "date": ["2016-08-31", ""]})
    table.to_csv(tmp_path / "c.csv", index=False)
    table.to_parquet(tmp_path / "c.parquet")
    for name in ("c.csv", "c.parquet"):
        corpus = load_corpus(tmp_path / name)
        assert corpus.doc_ids == ["a", "b"]
        assert corpus.docs["year"].tolist()[0] == 2016
        assert corpus.problems["doc_id"].tolist() == ["b"], "the year-less document is reported"


# --- errors name the file, the line and the fix ---------------------------------------

def _folder(tmp_path, meta: str, files: dict[str, bytes | str]):
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(data)
    (tmp_path / "metadata.csv").write_text(meta, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("meta", "files", "message"),
    [
        ("doc_id,file\na,a.txt\nb,\n", {"a.txt": BODY}, r"metadata\.csv, line 3: document 'b' has no file"),
        ("doc_id,file\na,a.txt\nb,b.txt\n", {"a.txt": BODY}, r"line 3: file 'b.txt' does not exist"),
        ("doc_id,file\na,a.txt\n", {"a.txt": BODY, "extra.txt": BODY}, r"extra\.txt: text file without a row in .*metadata\.csv"),
        ("doc_id,file\na,a.txt\na,b.txt\n", {"a.txt": BODY, "b.txt": BODY}, r"line 3: duplicate doc_id 'a' \(first at .*line 2\)"),
        ("doc_id,file,date\na,a.txt,31/08/2016\n", {"a.txt": BODY}, r"line 2: date '31/08/2016' is not an ISO date"),
        ("doc_id,file,date\na,a.txt,2016-02-30\n", {"a.txt": BODY}, r"line 2: date '2016-02-30' does not exist"),
        ("doc_id,file,date,year\na,a.txt,2016-08-31,2017\n", {"a.txt": BODY}, r"line 2: year 2017 contradicts date 2016-08-31"),
        ("doc_id,file\na,a.txt\n", {"a.txt": bytes(range(128, 256)) * 4}, r"a\.txt: cannot decode"),
        ("doc_id,file\na,a.txt\n", {"a.txt": "微信扫码分享\n221381\n"}, r"line 2: document 'a' is empty after cleaning"),
        ("doc_id,file,sha256\na,a.txt,0123456789abcdef\n", {"a.txt": BODY}, r"line 2: a\.txt does not match its sha256"),
        ("id,file\na,a.txt\n", {"a.txt": BODY}, r"column 'doc_id' is missing"),
    ],
)
def test_folder_errors(tmp_path, meta, files, message):
    folder = _folder(tmp_path, meta, files)
    with pytest.raises(CorpusError, match=message):
        load_corpus(folder)


def test_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"text": BODY}) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 2: not valid JSON"):
        load_corpus(path)
    path.write_text(json.dumps({"body": BODY}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 1: no text field 'text' \(fields: \['body'\]\)\. Pass --text-field"):
        load_corpus(path)


def test_unknown_source(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        load_corpus(tmp_path / "missing.jsonl")
    (tmp_path / "c.docx").write_bytes(b"x")
    with pytest.raises(CorpusError, match="unsupported corpus format '.docx'"):
        load_corpus(tmp_path / "c.docx")


def test_default_corpus_is_data_folder(seeds):
    assert seeds.source == "data"
    assert len(seeds) == 5 and config.METADATA_CSV.is_file()


def test_paragraph_ids_are_defined_once():
    from tifa.corpus import paragraph_id, paragraph_number

    assert paragraph_id("a:b", 7) == "a:b:p0007"
    assert paragraph_number(paragraph_id("a:p9", 12)) == 12


def test_paragraphs_carry_part_and_section(seeds):
    paras = seeds.paragraphs().set_index("paragraph_id")
    assert (paras.index == [f"{d}:p{n:04d}" for d, n in zip(paras["doc_id"], paras["position"])]).all()
    # read off the raw file: the Hunan article opens with its title, then a photo caption, then the text
    assert paras.loc[[f"{HUNAN}:p0001", f"{HUNAN}:p0002", f"{HUNAN}:p0003"], "part"].tolist() == ["front", "front", "body"]
    ganzhou = paras[paras["doc_id"] == GANZHOU]
    item = ganzhou[ganzhou["text"].str.startswith("(一)开展污染减排专项行动")].iloc[0]
    assert item["section"] == "二、在奋起中组织好环保秋冬百日专项行动 > (一)开展污染减排专项行动"
    assert set(paras["part"]) <= {"front", "body"}, "no seed has an appendix"
    assert seeds.paragraphs(include_parts=["front"])["part"].eq("front").all()


def test_unknown_part_is_refused(seeds):
    from tifa.errors import InputError

    with pytest.raises(InputError, match="parts are"):
        seeds.paragraphs(include_parts=["glossary"])


def test_summary_counts_spans_and_splits(tmp_path):
    chrome = "下载打印全屏收藏【字号：加大还原减小】"
    body = "。".join(f"第{n}句话说的是一件事" for n in range(400)) + "。"  # one line of 4,000 characters
    (tmp_path / "r.jsonl").write_text(json.dumps({"doc_id": "r", "year": 2024, "text": chrome + body}, ensure_ascii=False) + "\n", encoding="utf-8")
    corpus = load_corpus(tmp_path / "r.jsonl")
    row = corpus.summary().iloc[0]
    assert (row["n_lines_removed"], row["n_spans_removed"]) == (0, 2)
    assert row["n_splits"] == 399 // config.PARAGRAPH_CHUNK_SENTENCES  # 400 sentences, no marker: chunks of 5
    assert corpus.docs.at[0, "text"].replace("\n\n", "") == body
    assert "split into paragraphs" in corpus.problems.at[0, "problem"]
