"""Slogan counting, dating, KWIC, co-occurrence and discovery, checked against the texts themselves."""

import json

import numpy as np
import pandas as pd
import pytest

from tifa import load_corpus
from tifa.text import count_han
from tifa.slogans import (
    SloganMatcher,
    anachronisms,
    cooccurrence_matrix,
    count_slogans,
    discover_slogans,
    kwic,
    mandatory_literal,
    slogan_cooccurrence,
    slogan_mentions,
)

from .conftest import GANZHOU, HENGSHUI, HUNAN, QINGHAI, SHANGLUO, reference_counts


@pytest.fixture(scope="module")
def matcher():
    return SloganMatcher()


def counts_of(matcher, text):
    return {matcher.slogans[i].zh: int(n) for i, n in enumerate(matcher.count(text)) if n}


# --- matching ----------------------------------------------------------------------

def test_compound_mentions_count_each_slogan(matcher):
    assert counts_of(matcher, "落实“党政同责、一岗双责”") == {"党政同责": 1, "一岗双责": 1}
    assert counts_of(matcher, '严格落实环境保护"党政同责""一岗双责"') == {"党政同责": 1, "一岗双责": 1}


def test_overlapping_entries_both_count(matcher):
    assert counts_of(matcher, "深入学习贯彻习近平生态文明思想") == {"习近平生态文明思想": 1, "生态文明": 1}


def test_nested_variants_of_one_entry_count_once(matcher):
    assert counts_of(matcher, "统筹山水林田湖草沙系统治理") == {"山水林田湖草": 1}


def test_regex_forms_and_their_guards(matcher):
    assert counts_of(matcher, "开展“学党章党规、学系列讲话，做合格党员”学习教育") == {"两学一做": 1}
    assert counts_of(matcher, "贯彻新发展理念") == {"五大发展理念": 1}
    assert counts_of(matcher, "树立创新发展理念") == {}, "创新发展理念 is not the slogan"
    assert counts_of(matcher, "中央第六环境保护督察组") == {"中央环保督察": 1}


def test_exclude_context(matcher):
    assert counts_of(matcher, "三个代表团参加会议") == {}
    assert counts_of(matcher, "“三个代表”重要思想") == {"三个代表": 1}


def test_regex_anchor():
    assert mandatory_literal("(?<!创)新发展理念") == "新发展理念"
    assert mandatory_literal("学党章党规[、，,]?\\s*学系列讲话") in {"学党章党规", "学系列讲话"}
    assert mandatory_literal("[甲乙]+") is None


def test_regex_anchor_through_groups_and_repeats():
    assert mandatory_literal("(学党章党规)") == "学党章党规"
    assert mandatory_literal("(?:做合格党员)+") == "做合格党员"
    assert mandatory_literal("(?:做合格党员)*两学") == "两学", "an optional group is no anchor"
    assert mandatory_literal("甲乙") == "甲乙" and mandatory_literal("甲") is None


def test_regex_without_anchor_is_found_in_its_own_pass():
    from tifa.lexicon import Slogan
    from tifa.slogans import Mention

    entries = [Slogan("lit", "某某", "x", "governance", ("某某",), (), "2000", "s"), Slogan("rx", "甲乙", "y", "governance", ("甲乙",), ("[丙丁]{2}",), "2000", "s")]
    found = SloganMatcher(entries).find("丙丁某某，丁丙")
    assert sorted(found) == [Mention(0, 2, 4), Mention(1, 0, 2), Mention(1, 5, 7)]


def test_parallel_counts_equal_serial(matcher, seed_texts):
    texts = list(seed_texts) * 3
    assert np.array_equal(matcher.count_many(texts, n_jobs=2), matcher.count_many(texts))


# --- counts on the seeds (read off the texts) ----------------------------------------------

def test_reference_counts_follow_the_lexicon_rules():
    # checks of the oracle itself, by str.count: overlapping entries both count, nested variants once
    text = "深入学习贯彻习近平生态文明思想，统筹山水林田湖草沙系统治理。三个代表团参加。"
    counts = reference_counts(text)
    assert counts["生态文明"] == text.count("生态文明") == 1 and counts["习近平生态文明思想"] == 1
    assert counts["山水林田湖草"] == 1 and "三个代表" not in counts

def test_seed_counts(seeds, seed_texts):
    counts = count_slogans(seeds).set_index(["doc_id", "slogan"])["count"]
    assert counts[(HUNAN, "两学一做")] == 2 and counts[(HENGSHUI, "两学一做")] == 2
    assert counts[(QINGHAI, "党政同责")] == 1 and counts[(HENGSHUI, "党政同责")] == 1
    qinghai = seed_texts[QINGHAI]
    assert counts[(QINGHAI, "中央环保督察")] == qinghai.count("中央环保督察") + qinghai.count("中央环境保护督察") == 11
    assert counts[(QINGHAI, "生态文明")] == qinghai.count("生态文明") == 6
    assert counts[(GANZHOU, "群众路线教育实践活动")] == 2
    assert counts[(SHANGLUO, "六稳")] == counts[(SHANGLUO, "六保")] == 1
    found = counts[counts > 0]
    for doc_id, text in seed_texts.items():
        assert found[doc_id].to_dict() == reference_counts(text), doc_id


def test_rates_per_10k_characters(seeds):
    table = count_slogans(seeds).set_index(["doc_id", "slogan"])
    assert table.loc[(HUNAN, "两学一做"), "per_10k"] == pytest.approx(2 / 2034 * 10_000)


def test_counts_by_docvar_and_category(seeds):
    by_level = count_slogans(seeds, by="level").set_index(["level", "slogan"])["count"]
    assert by_level[("prefecture", "两学一做")] == 2 and by_level[("province", "两学一做")] == 2
    economy = count_slogans(seeds, by="year", category="economy", drop_zero=True)
    assert set(economy["slogan"]) == {"京津冀协同发展", "六稳", "六保", "高质量发展"}
    with pytest.raises(ValueError, match="no slogan category 'economics'"):
        count_slogans(seeds, category="economics")


def test_every_entry_appears_for_every_group(seeds, matcher):
    table = count_slogans(seeds, by="province")
    assert len(table) == 5 * len(matcher.slogans)


# --- dating ---------------------------------------------------------------------------------

def test_seeds_have_no_anachronism(seeds):
    assert anachronisms(seeds).empty


def test_anachronism_is_reported(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [{"doc_id": "early", "text": "会议要求深入开展两学一做学习教育。", "date": "2015-06-01"}, {"doc_id": "late", "text": "深入开展两学一做学习教育。", "year": 2016}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    table = anachronisms(load_corpus(path))
    assert table[["doc_id", "doc_date", "slogan", "first_used"]].values.tolist() == [["early", "2015-06-01", "两学一做", "2016-02"]]


def test_an_upper_bound_makes_no_anachronism(tmp_path):
    import dataclasses

    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"doc_id": "old", "text": "落实安全生产一岗双责。", "date": "2010-05-01"}, ensure_ascii=False), encoding="utf-8")
    corpus = load_corpus(path)
    entry = next(s for s in SloganMatcher().slogans if s.id == "yigang_shuangze")
    assert entry.first_used_precision == "upper-bound" and entry.first_used > "2010-05-01"
    assert anachronisms(corpus, SloganMatcher([entry])).empty
    as_month = dataclasses.replace(entry, first_used_precision="month")
    assert anachronisms(corpus, SloganMatcher([as_month]))["slogan"].tolist() == ["一岗双责"]


def test_counts_per_written_form(tmp_path):
    text = "贯彻新发展理念。坚持新发展理念，落实五大发展理念。推动互联网＋政务服务，发展互联网+。"
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "year": 2020, "text": text}, ensure_ascii=False), encoding="utf-8")
    corpus = load_corpus(path)
    table = count_slogans(corpus, forms=True, drop_zero=True).set_index(["slogan_id", "form"])["count"]
    assert table[("wuda_fazhan_linian", "新发展理念")] == text.count("新发展理念") == 2
    assert table[("wuda_fazhan_linian", "五大发展理念")] == text.count("五大发展理念") == 1
    assert table[("hulianwang_jia", "互联网+")] == 2, "full-width ＋ is the same written form once normalised"
    per_entry = count_slogans(corpus, drop_zero=True).set_index("slogan_id")["count"]
    assert per_entry["wuda_fazhan_linian"] == 3
    full = count_slogans(corpus, forms=True)
    assert set(full["slogan_id"]) == {s.id for s in SloganMatcher().slogans}, "entries never seen keep a row (their canonical form)"
    assert list(full.columns[:4]) == ["doc_id", "slogan_id", "slogan", "form"]


def test_appendix_mentions_are_left_out_by_default(tmp_path):
    body = "各位代表：\n\n我们要贯彻新发展理念，推动高质量发展。"
    appendix = "名词解释\n\n1.新发展理念：创新、协调、绿色、开放、共享的发展理念。"
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "year": 2020, "text": f"{body}\n\n{appendix}"}, ensure_ascii=False), encoding="utf-8")
    corpus = load_corpus(path)
    assert corpus.paragraphs()["part"].tolist() == ["body", "body", "appendix", "appendix"]
    counts = count_slogans(corpus, drop_zero=True).set_index("slogan_id")["count"]
    assert counts["wuda_fazhan_linian"] == 1 and counts["gaozhiliang_fazhan"] == 1
    everything = count_slogans(corpus, drop_zero=True, include_parts=("front", "body", "appendix")).set_index("slogan_id")["count"]
    # by hand: 新发展理念 in the body; in the gloss 新发展理念 and the spelled-out 创新、协调、绿色、开放、共享的发展理念
    assert everything["wuda_fazhan_linian"] == 3
    assert slogan_mentions(corpus)["part"].eq("body").all()
    assert corpus.docs.at[0, "n_chars"] == count_han(body)
    assert "appendix" in corpus.problems["problem"].iloc[0]


def test_anachronism_dates_are_read_generously(tmp_path):
    # 两学一做 was first used 2016-02: a document of that month, or of 2016 without a month, is not early;
    # one of January 2016 or of 2015 is; an undated document (between two dated ones) is skipped
    text = "深入开展两学一做学习教育。"
    rows = [
        {"doc_id": "a_jan", "text": text, "date": "2016-01-31"},
        {"doc_id": "b_feb", "text": text, "date": "2016-02-01"},
        {"doc_id": "c_undated", "text": text},
        {"doc_id": "d_2016", "text": text, "year": 2016},
        {"doc_id": "e_2015", "text": text, "year": 2015},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    table = anachronisms(load_corpus(path))
    assert table[["doc_id", "doc_date", "slogan_id", "first_used", "match"]].values.tolist() == [
        ["a_jan", "2016-01-31", "liangxue_yizuo", "2016-02", "两学一做"],
        ["e_2015", "2015", "liangxue_yizuo", "2016-02", "两学一做"],
    ]
    assert table["paragraph_id"].tolist() == ["a_jan:p0001", "e_2015:p0001"]


def test_kwic_context_is_cut_at_the_paragraph_edges(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "text": "两学一做学习教育", "year": 2016}, ensure_ascii=False), encoding="utf-8")
    hit = kwic(load_corpus(path), "两学一做", window=5).iloc[0]
    assert (hit["left"], hit["match"], hit["right"]) == ("", "两学一做", "学习教育")
    assert "n_chars" not in hit.index and hit["year"] == 2016


# --- context ---------------------------------------------------------------------------------

def test_kwic_windows(seeds, seed_texts):
    hits = kwic(seeds, "党政同责", window=15)
    assert hits["doc_id"].tolist() == [HENGSHUI, QINGHAI]
    text = seed_texts[HENGSHUI]
    at = text.index("党政同责")
    first = hits.iloc[0]
    assert (first["left"], first["match"], first["right"]) == (text[at - 15 : at], "党政同责", text[at + 4 : at + 19])
    assert first["province"] == "河北省" and first["paragraph_id"].startswith(HENGSHUI + ":p")


def test_kwic_finds_all_variants_of_an_entry_and_plain_strings(seeds):
    assert kwic(seeds, "zhongyang_huanbao_ducha")["match"].tolist().count("中央环境保护督察") == 1
    assert len(kwic(seeds, "督察组")) > 10
    assert kwic(seeds, "两学一[做作]", regex=True)["match"].tolist() == ["两学一做"] * 4


def test_cooccurrence_by_sentence(seeds):
    pairs = slogan_cooccurrence(slogan_mentions(seeds), unit="sentence").set_index(["slogan_a", "slogan_b"])
    row = pairs.loc[("一岗双责", "党政同责")]
    # 一岗双责 stands in 3 sentences (Hunan, Hengshui, Qinghai), 党政同责 in 2, both together in 2
    assert (row["n_a"], row["n_b"], row["n_ab"]) == (3, 2, 2)
    assert row["jaccard"] == pytest.approx(2 / 3)
    matrix = cooccurrence_matrix(pairs.reset_index())
    assert matrix.loc["党政同责", "一岗双责"] == matrix.loc["一岗双责", "党政同责"] == 2


def test_cooccurrence_pmi_by_hand():
    # five sentences hold a slogan: s1 has 甲 twice and 乙 once, s2 甲, s3–s5 丙 (seven mentions)
    rows = [("p1", 1, "甲"), ("p1", 1, "甲"), ("p1", 1, "乙"), ("p1", 2, "甲"), ("p2", 1, "丙"), ("p2", 2, "丙"), ("p3", 1, "丙")]
    mentions = pd.DataFrame(rows, columns=["paragraph_id", "sentence", "slogan"])
    pair = slogan_cooccurrence(mentions, unit="sentence").set_index(["slogan_a", "slogan_b"]).loc[("乙", "甲")]
    # N = 5 sentences, n(甲) = 2, n(乙) = 1, together in 1: PMI = log2(1 · 5 / (2 · 1))
    assert (pair["n_a"], pair["n_b"], pair["n_ab"]) == (1, 2, 1)
    assert pair["pmi"] == pytest.approx(np.log2(5 / 2))
    assert pair["jaccard"] == pytest.approx(1 / 2)
    # by paragraph: N = 3, n(甲) = 1, n(乙) = 1, together in 1: PMI = log2(3)
    by_paragraph = slogan_cooccurrence(mentions, unit="paragraph").set_index(["slogan_a", "slogan_b"]).loc[("乙", "甲")]
    assert by_paragraph["pmi"] == pytest.approx(np.log2(3))


def test_mentions_locate_sentences(seeds, seed_texts):
    mentions = slogan_mentions(seeds)
    for row in mentions.itertuples():
        assert seed_texts[row.doc_id][row.start : row.end] == row.match
    assert len(mentions) == sum(sum(reference_counts(text).values()) for text in seed_texts), "a mention per counted occurrence"


# --- discovery ---------------------------------------------------------------------------------

def test_discovery_on_the_seeds(seeds):
    recurring = discover_slogans(seeds)
    assert recurring[["candidate", "count", "n_docs"]].values.tolist() == [["建言献策", 4, 1], ["军令状", 3, 2]]
    once = set(discover_slogans(seeds, min_count=1, n=100)["candidate"])
    assert {"十个聚焦", "三个对照", "两个确保", "一学二查三改四建五评", "两张皮", "四个扎扎实实"} <= once
    assert not once & {"四个意识", "两学一做", "十个聚焦和", "四个扎扎", "一是"}


def test_discovery_excludes_known_entries_and_keeps_what_is_missing():
    corpus_text = "坚持“三农”工作重中之重。推进“三农”改革。落实两学一做。坚持两学一做。"
    table = pd.DataFrame({"doc_id": ["a"], "text": [corpus_text]})
    from tifa.corpus import Corpus

    corpus = Corpus(docs=table.assign(n_chars=len(corpus_text)), audit=pd.DataFrame(), problems=pd.DataFrame(), source="test")
    assert discover_slogans(corpus)["candidate"].tolist() == ["三农"]
