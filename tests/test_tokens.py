"""Segmentation: user dictionary, backends, cache, filters, quiet jieba."""

import json

import pytest

from tifa import Corpus, config, load_corpus
from tifa.lexicon import load_stopwords, user_dictionary
from tifa.tokens import Segmenter, TokenFilter, is_punct, tokens
from tifa.token_cache import decode_entry, encode_entry

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
    docs = corpus.docs.copy()
    docs.loc[0, "text"] = docs.loc[0, "text"] + "\n\n会议要求坚决打好污染防治攻坚战。"
    corpus = Corpus(docs=docs, audit=corpus.audit, problems=corpus.problems, source=corpus.source)  # a corpus is never changed in place
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


def test_a_filter_remembers_its_decisions_and_gives_the_same_tokens_again():
    words = ["的", "生态文明", "COD", "生态文明", "，", "湘江", "COD"]
    plain = TokenFilter()
    assert plain.apply(words) == plain.apply(words) == ["生态文明", "cod", "生态文明", "湘江", "cod"]
    assert TokenFilter(lowercase=False).apply(words) == ["生态文明", "COD", "生态文明", "湘江", "COD"], "each filter decides for itself"
    tagged = TokenFilter(pos=["ns"])
    pairs = [["湘江", "ns"], ["湘江", "v"], ("湘江", "ns")]  # pairs read back from the JSON token cache are lists
    assert tagged.apply(pairs) == tagged.apply(pairs) == ["湘江", "湘江"]
    assert plain == TokenFilter() and hash(plain) == hash(TokenFilter()), "what it remembers is not part of what it is"


def test_stopwords_from_the_published_list_and_additions():
    stop = load_stopwords()
    assert len(stop) > 790
    assert {"的", "我们", "一是", "同志们"} <= stop
    assert {"左右", "一批", "着力", "进一步", "坚持"} <= stop, "function words of the genre (stopwords_genre.txt)"
    assert not {"发展", "经济", "改革", "生态", "环境保护"} & stop, "content words are kept even where they are everywhere"
    assert is_punct("——") and not is_punct("M2")


def test_bad_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        Segmenter("thulac")


# --- the cache: bad entries are discarded, options are part of the key ---------------------


def _entries(folder):
    import sqlite3

    with sqlite3.connect(folder / "tokens.sqlite3") as db:
        return db.execute("SELECT key, data, sha256 FROM tokens ORDER BY key").fetchall()


def _rewrite(folder, change, *, digest: bool):
    """Change every entry's data with ``change(paragraphs) -> bytes``; recompute its SHA-256 only when ``digest``."""
    import hashlib
    import sqlite3

    with sqlite3.connect(folder / "tokens.sqlite3") as db:
        for key, data, sha in db.execute("SELECT key, data, sha256 FROM tokens").fetchall():
            new = change(decode_entry(data))
            db.execute("UPDATE tokens SET data = ?, sha256 = ? WHERE key = ?", (new, hashlib.sha256(new).hexdigest() if digest else sha, key))


def _split_first_word(paragraphs):
    first = next(i for i, p in enumerate(paragraphs) if any(len(w) > 1 for w in p))
    j = next(j for j, w in enumerate(paragraphs[first]) if len(w) > 1)
    word = paragraphs[first][j]
    paragraphs[first][j : j + 1] = [word[0], word[1:]]  # still spells the text
    return json.dumps(paragraphs, ensure_ascii=False).encode()


CORRUPTIONS = {
    "split-word": (_split_first_word, False),  # 问题 → 问 + 题: caught by the digest
    "truncated": (lambda p: json.dumps(p, ensure_ascii=False).encode()[:40], False),
    "not-json": (lambda p: b"\xff\xfe{not json", True),
    "null": (lambda p: b"null", True),
    "one-paragraph-missing": (lambda p: json.dumps(p[1:], ensure_ascii=False).encode(), True),
    "other-words": (lambda p: json.dumps([p[0][::-1], *p[1:]], ensure_ascii=False).encode(), True),
    "numbers": (lambda p: json.dumps([[1, 2] for _ in p]).encode(), True),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_bad_cache_entries_are_discarded_and_recomputed(tmp_path, caplog, seeds, kind):
    first = tokens(seeds, Segmenter(hmm=False), cache_dir=tmp_path)
    assert len(_entries(tmp_path)) == 5
    change, digest = CORRUPTIONS[kind]
    _rewrite(tmp_path, change, digest=digest)
    with caplog.at_level("WARNING", logger="tifa.token_cache"):
        again = tokens(seeds, Segmenter(hmm=False), cache_dir=tmp_path)
    assert (again.n_segmented, again.n_cached) == (5, 0)
    assert again.units.equals(first.units), "never wrong tokens"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 5 and all("token cache entry" in w and "discarded, the document is segmented again" in w for w in warnings)
    third = tokens(seeds, Segmenter(hmm=False), cache_dir=tmp_path)
    assert (third.n_segmented, third.n_cached) == (0, 5), "the discarded entries were written again"


def test_no_cache_reads_no_cache(tmp_path, seeds, monkeypatch):
    tokens(seeds, Segmenter(hmm=False), cache_dir=tmp_path)
    _rewrite(tmp_path, _split_first_word, digest=True)  # a poisoned cache that passes every check
    poisoned = tokens(seeds, Segmenter(hmm=False), cache_dir=tmp_path)
    clean = tokens(seeds, Segmenter(hmm=False), cache_dir=None)
    assert not poisoned.units.equals(clean.units), "the test poisons the cache"
    assert clean.units.equals(tokens(seeds, Segmenter(hmm=False), cache_dir=tmp_path / "fresh").units)
    monkeypatch.setattr(config, "TOKEN_CACHE_DIR", tmp_path)
    from tifa.cli import main

    assert main(["freq", "--no-cache", "--format", "csv"]) == 0, "--no-cache runs without reading the poisoned cache"


def test_pos_tags_are_part_of_the_cache_key(tmp_path, caplog, seeds):
    plain, tagged = TokenFilter(), TokenFilter(pos="content")
    with caplog.at_level("WARNING", logger="tifa.token_cache"):
        runs = [tokens(seeds, Segmenter(hmm=False), token_filter=f, cache_dir=tmp_path) for f in (plain, tagged, plain, tagged)]
    assert [(r.n_segmented, r.n_cached) for r in runs] == [(5, 0), (5, 0), (0, 5), (0, 5)]
    assert not caplog.records, "a plain run and a tagged run never read each other's entries"
    assert len(_entries(tmp_path)) == 10
    assert runs[3].units.equals(runs[1].units) and not runs[1].units.equals(runs[0].units)


def test_unwritable_cache_warns_once_and_continues(tmp_path, caplog, seeds):
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    with caplog.at_level("WARNING", logger="tifa.token_cache"):
        toks = tokens(seeds, Segmenter(hmm=False), cache_dir=blocker / "cache")
    assert (toks.n_segmented, toks.n_cached) == (5, 0)
    assert toks.units.equals(tokens(seeds, Segmenter(hmm=False), cache_dir=None).units)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "cannot write the token cache" in warnings[0] and "continuing without caching" in warnings[0]


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_forms_with_enumeration_comma_or_fullwidth_plus_are_single_tokens(backend):
    seg = Segmenter(backend)
    text = "要不忘初心、牢记使命，推进互联网＋政务服务，建设粤港澳大湾区，坚持以学铸魂。"
    words = seg.cut(text)
    assert {"不忘初心、牢记使命", "互联网＋", "粤港澳大湾区", "以学铸魂"} <= set(words)
    assert "".join(words) == text
    assert ("不忘初心、牢记使命", "nz") in seg.tag(text)


def test_protection_is_part_of_the_fingerprint():
    plain = Segmenter(user_words=[("互联网＋", "nz")])
    other = Segmenter(user_words=[("互联网", "nz")])
    assert plain.cut("互联网＋政务") == ["互联网＋", "政务"]
    assert plain.fingerprint != other.fingerprint


def test_dawanqu_stays_one_token_with_the_default_segmenter():
    assert Segmenter().cut("推进大湾区建设") == ["推进", "大湾区", "建设"]
    assert Segmenter().cut("粤港澳大湾区建设") == ["粤港澳大湾区", "建设"], "the full name stays one token too"
    assert Segmenter(user_words=[]).cut("推进大湾区建设") == ["推进", "大湾", "区", "建设"], "jieba alone cuts it: the compounds entry is needed"


def test_compounds_file_is_in_the_user_dictionary():
    from tifa.lexicon import load_compounds

    compounds = load_compounds()
    assert len(compounds) >= 50 and all(source for _, source in compounds)
    assert {"粤港澳大湾区", "大湾区", "以学铸魂"} <= {w for w, _ in compounds} <= set(dict(user_dictionary()))


def test_propose_compounds_finds_bound_runs_and_not_their_fragments(tmp_path):
    from tifa.compounds import propose_compounds

    # 鲸鱼湾区 is cut into pieces by jieba; it occurs in varied contexts: a compound.
    contexts = ["建设", "发展", "推进", "规划", "支持", "打造"]
    paragraphs = [f"{c}鲸鱼湾区{d}。" for c in contexts for d in contexts]
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "year": 2024, "text": "\n\n".join(paragraphs)}, ensure_ascii=False), encoding="utf-8")
    seg = Segmenter(user_words=[])
    parts = seg.cut("鲸鱼湾区")
    assert len(parts) > 1, "the test needs a run that jieba splits"
    table = propose_compounds(load_corpus(path), seg, cache_dir=None, min_count=5)
    assert "鲸鱼湾区" in set(table["candidate"])
    row = table.set_index("candidate").loc["鲸鱼湾区"]
    assert row["count"] == len(paragraphs) and row["binding"] == 1.0
    assert not any(c != "鲸鱼湾区" and c in "鲸鱼湾区" for c in table["candidate"]), "fragments are not proposed"


def test_user_word_frequencies_are_cached_and_a_broken_cache_is_recomputed(tmp_path, monkeypatch, caplog):
    from tifa import config

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    words = (("两学一做", "nz"), ("粤港澳大湾区", "ns"))
    fresh = Segmenter(user_words=words)._word_freqs
    files = list((tmp_path / "user_words").glob("*.json"))
    assert len(files) == 1 and [w for w, _, _ in fresh] == ["两学一做", "粤港澳大湾区"]
    assert all(f > 0 for _, f, _ in fresh)
    assert Segmenter(user_words=words)._word_freqs == fresh, "read back from the cache"
    files[0].write_text('[["两学一做", 1, "nz"]]', encoding="utf-8")  # wrong shape: must not be used
    with caplog.at_level("WARNING"):
        assert Segmenter(user_words=words)._word_freqs == fresh
    assert "does not match" in caplog.text
    files[0].write_text("{not json", encoding="utf-8")
    assert Segmenter(user_words=words)._word_freqs == fresh


@pytest.mark.parametrize("paragraphs", [[["我们", "要"], [], ["好"]], [[]], [["a\x1fb", "c"]], [["a\x1eb"]], [[""]], [[["生态", "n"], ["文明", "n"]]]])
def test_cache_entries_read_back_what_was_written(paragraphs):
    """Words are stored joined by separators (JSON for tagged or unusual words): reading gives the same lists."""
    data = encode_entry(paragraphs)
    assert decode_entry(data) == paragraphs
    assert data.startswith(b"\x00") == all(isinstance(w, str) and w and "\x1e" not in w and "\x1f" not in w for p in paragraphs for w in p)


def test_the_filter_decides_each_distinct_word_once_across_partitions(monkeypatch, tmp_path):
    from collections import Counter

    from tifa.features import build_dfm
    from tifa.store import build_store

    store = build_store(config.DATA_DIR, tmp_path / "store", partition_rows=2, progress=False)  # three partitions of the seeds
    calls, keep = Counter(), TokenFilter.keep
    monkeypatch.setattr(TokenFilter, "keep", lambda self, token, tag=None: calls.update([token]) or keep(self, token, tag))
    x = build_dfm(store, token_filter=TokenFilter(), cache_dir=None)
    assert len(store.partitions()) == 3 and x.shape[0] == 5
    assert calls and max(calls.values()) == 1, "a word met in several partitions is decided once"
    assert build_dfm(store, token_filter=TokenFilter(), cache_dir=None).features.tolist() == x.features.tolist()
