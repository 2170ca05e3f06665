"""Segmentation: user dictionary, backends, cache, filters, quiet jieba."""

import pytest

from tifa import load_corpus
from tifa.lexicon import load_stopwords
from tifa.tokens import Segmenter, TokenFilter, is_punct, tokens

SLOGANS = ["两学一做", "党政同责", "一岗双责", "绿水青山就是金山银山", "生态文明", "环保督察", "中央环保督察"]


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter()


@pytest.mark.parametrize("slogan", SLOGANS)
def test_slogans_stay_single_tokens(segmenter, slogan):
    text = f"各级党委要深入开展{slogan}有关工作，推动{slogan}落地见效。"
    assert segmenter.cut(text).count(slogan) == 2


def test_slogans_in_the_seeds_are_single_tokens(seeds):
    toks = tokens(seeds, Segmenter(), cache_dir=None).documents()
    assert toks["000_cf82fe94121a5049"].count("两学一做") == 2
    assert toks["001_cde5e523752f718d"].count("两学一做") == 2
    assert toks["001_cde5e523752f718d"].count("党政同责") == 1
    assert toks["002_67ff098470272fa8"].count("党政同责") == 1
    assert toks["002_67ff098470272fa8"].count("绿水青山就是金山银山") == 1


def test_rjieba_without_hmm_gives_jieba_tokens_on_the_seeds(seeds):
    jieba_seg, fast = Segmenter("jieba", hmm=False), Segmenter("rjieba", hmm=False)
    for text in seeds.docs["text"]:
        assert fast.cut(text) == jieba_seg.cut(text)


@pytest.mark.shared
def test_rjieba_without_hmm_gives_jieba_tokens_on_the_national_reports(gov_reports):
    jieba_seg, fast = Segmenter("jieba", hmm=False), Segmenter("rjieba", hmm=False)
    for doc_id, text in zip(gov_reports.docs["doc_id"], gov_reports.docs["text"]):
        assert fast.cut(text) == jieba_seg.cut(text), doc_id


def test_no_jieba_log_line(capfd):
    Segmenter(hmm=False).cut("生态文明建设")
    captured = capfd.readouterr()
    assert "Building prefix dict" not in captured.err + captured.out
    assert "Loading model cost" not in captured.err + captured.out


def test_cache_resegments_only_changed_documents(tmp_path):
    corpus = load_corpus()
    first = tokens(corpus, Segmenter(hmm=False), cache_dir=tmp_path)
    assert (first.n_segmented, first.n_cached) == (5, 0)
    again = tokens(corpus, Segmenter(hmm=False), cache_dir=tmp_path)
    assert (again.n_segmented, again.n_cached) == (0, 5)
    assert again.units.equals(first.units)
    corpus.docs.loc[0, "text"] = corpus.docs.loc[0, "text"] + "\n\n会议要求坚决打好污染防治攻坚战。"
    changed = tokens(corpus, Segmenter(hmm=False), cache_dir=tmp_path)
    assert (changed.n_segmented, changed.n_cached) == (1, 4)
    other = tokens(corpus, Segmenter(hmm=True), cache_dir=tmp_path)
    assert other.n_segmented == 5, "different options: different cache keys"


def test_cache_keeps_tagged_and_plain_segmentations_apart(tmp_path):
    corpus = load_corpus()
    places = TokenFilter(pos=["ns"])
    plain = tokens(corpus, Segmenter(hmm=False), cache_dir=tmp_path)
    tagged = tokens(corpus, Segmenter(hmm=False), token_filter=places, cache_dir=tmp_path)
    assert tagged.n_segmented == 5, "a POS filter needs tagged segmentations, not the cached plain ones"
    uncached = tokens(corpus, Segmenter(hmm=False), token_filter=places, cache_dir=None)
    assert tagged.units.equals(uncached.units)
    again = tokens(corpus, Segmenter(hmm=False), cache_dir=tmp_path)
    assert (again.n_cached, again.units.equals(plain.units)) == (5, True)


def test_paragraph_units_align_with_the_corpus(seeds):
    toks = tokens(seeds, Segmenter(), cache_dir=None)
    assert toks.units["paragraph_id"].tolist() == seeds.paragraphs()["paragraph_id"].tolist()


def test_default_filter():
    keep = TokenFilter().apply(["的", "生态文明", "，", "2016", "三是", "工作", "COD", "湘江", "“"])
    assert keep == ["生态文明", "cod", "湘江"]


def test_filter_options():
    assert TokenFilter(remove_stopwords=False, min_chars=1).apply(["的", "党", "，"]) == ["的", "党"]
    assert TokenFilter(pos="content").apply([("湘江", "ns"), ("召开", "v"), ("非常", "d"), ("生态文明", "nz")]) == ["湘江", "召开", "生态文明"]
    assert TokenFilter(pos=["ns"]).apply([("湘江", "ns"), ("召开", "v")]) == ["湘江"]


def test_stopwords_from_the_published_list_and_additions():
    stop = load_stopwords()
    assert len(stop) > 790
    assert {"的", "我们", "一是", "同志们"} <= stop
    assert is_punct("——") and not is_punct("M2")


def test_bad_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        Segmenter("thulac")
