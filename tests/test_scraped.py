"""One-line reports scraped from news sites (tests/fixtures/scraped, built by its build.py): chrome, paragraphs, parts, sections.

Every fact comes from how the fixtures were built (expected.json): the chrome
pieces around the text, the front matter, the body paragraphs with their
sections and the glossary appendix.
"""

import json
import re
from pathlib import Path

import pytest

from tifa import config, load_corpus
from tifa.text import count_han, split_paragraphs
from tifa.slogans import count_slogans
from tifa.tokens import tokens

FIXTURES = Path(__file__).parent / "fixtures" / "scraped"
EXPECTED = {e["doc_id"]: e for e in json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))}
_SPACE = re.compile(r"\s+")


def nospace(text: str) -> str:
    return _SPACE.sub("", text)


@pytest.fixture(scope="module")
def scraped():
    return load_corpus(FIXTURES)


@pytest.fixture(scope="module")
def raw():
    return {p.stem: p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.txt")}


def test_fixtures_are_one_line_and_over_the_paragraph_limit(raw):
    assert set(raw) == set(EXPECTED)
    for text in raw.values():
        assert "\n" not in text and len(text) > config.PARAGRAPH_MAX_CHARS


def test_page_chrome_is_removed_and_recorded_span_by_span(scraped):
    audit = scraped.audit
    summary = scraped.summary().set_index("doc_id")
    for doc_id, facts in EXPECTED.items():
        text = scraped.docs.set_index("doc_id").at[doc_id, "text"]
        spans = audit[(audit.doc_id == doc_id) & (audit.kind == "removed_span")]
        assert sorted(s.strip() for s in spans["before"]) == sorted(c.strip() for c in facts["chrome"])
        assert summary.at[doc_id, "n_spans_removed"] == len(facts["chrome"])
        assert summary.at[doc_id, "n_lines_removed"] == 0
        for word in ("收藏", "字号", "全屏", "打印", "扫一扫", "阅读量", "您的位置", "当前位置", "责任编辑", "相关报道", "分享到"):
            assert word not in text, (doc_id, word)


def test_nothing_but_chrome_is_lost(scraped, raw):
    """Han characters after cleaning = before, less those of the spans the audit says were removed."""
    audit = scraped.audit
    for doc_id, text in raw.items():
        removed = audit[(audit.doc_id == doc_id) & audit.kind.isin(["removed", "removed_span"])]
        cleaned = scraped.docs.set_index("doc_id").at[doc_id, "text"]
        assert count_han(cleaned) == count_han(text) - sum(count_han(b) for b in removed["before"])


def test_front_body_and_appendix_come_out_exactly(scraped):
    paras = scraped.paragraphs()
    for doc_id, facts in EXPECTED.items():
        doc = paras[paras.doc_id == doc_id]
        assert [nospace(t) for t in doc[doc.part == "front"]["text"]] == [nospace(t) for t in facts["front"]]
        assert [nospace(t) for t in doc[doc.part == "appendix"]["text"]] == [nospace(t) for t in facts["appendix"]]
        body = [b["text"] for b in facts["body"]]
        assert nospace("".join(doc[doc.part == "body"]["text"])) == nospace("".join(body)), "the body, character for character"
        if facts["joiner"]:  # paragraphs the page separated come out as paragraphs
            assert [nospace(t) for t in doc[doc.part == "body"]["text"]] == [nospace(t) for t in body]


def test_sections_follow_the_headings(scraped):
    paras = scraped.paragraphs()
    for doc_id, facts in EXPECTED.items():
        doc = paras[(paras.doc_id == doc_id) & (paras.part == "body")]
        if facts["joiner"]:
            assert doc["section"].tolist() == [b["section"] for b in facts["body"]]
        else:  # no separator: a heading runs into its first paragraph, the section path starts with the heading
            headings = [b["section"] for b in facts["body"] if b["section"] and b["text"] == b["section"].split(" > ")[-1]]
            paths = list(dict.fromkeys(s for s in doc["section"] if s))
            assert len(paths) == len(headings)
            for path, heading in zip(paths, headings):
                assert all(nospace(p).startswith(nospace(h)) for p, h in zip(path.split(" > "), heading.split(" > "))), (path, heading)


def test_appendix_is_reported_and_left_out_of_counts(scraped):
    with_glossary = [d for d, f in EXPECTED.items() if f["appendix"]]
    problems = scraped.problems
    for doc_id in with_glossary:
        assert problems[(problems.doc_id == doc_id) & problems.problem.str.startswith("appendix")].shape[0] == 1
    assert problems[problems.problem.str.contains("split into paragraphs")]["doc_id"].tolist() == sorted(EXPECTED)
    docs = scraped.docs.set_index("doc_id")
    for doc_id, facts in EXPECTED.items():
        kept = facts["front"] + [b["text"] for b in facts["body"]]
        assert docs.at[doc_id, "n_chars"] == count_han("".join(kept))
    # 粤港澳大湾区 is named only in a gloss of the fixtures' appendices
    assert not any("粤港澳大湾区" in b["text"] for f in EXPECTED.values() for b in f["body"])
    units = tokens(scraped, cache_dir=None)
    assert "粤港澳大湾区" not in {t for toks in units.units["tokens"] for t in toks}
    assert "appendix" not in set(units.units["part"])
    everything = tokens(scraped, cache_dir=None, include_parts=("front", "body", "appendix"))
    assert "粤港澳大湾区" in {t for toks in everything.units["tokens"] for t in toks}, "a compound stays one token"
    counts = count_slogans(scraped).set_index(["doc_id", "slogan"])["count"]
    for doc_id, facts in EXPECTED.items():  # 新质生产力 is also glossed in the appendices: those do not count
        kept = "".join(facts["front"] + [b["text"] for b in facts["body"]])
        assert counts[(doc_id, "新质生产力")] == kept.count("新质生产力")
    assert any("新质生产力" in "".join(f["appendix"]) for f in EXPECTED.values())


def test_top_terms_are_not_page_chrome(scraped):
    from tifa.stats import build_dfm, textstat_frequency

    top = textstat_frequency(build_dfm(tokens(scraped, cache_dir=None)), n=30)["term"]
    assert not set(top) & {"收藏", "字号", "全屏", "打印", "阅读量", "左右", "一批", "着力", "进一步"}


def test_cleaned_text_has_one_paragraph_per_line(scraped):
    for text in scraped.docs["text"]:
        assert all(len(p) <= config.PARAGRAPH_MAX_CHARS for p in split_paragraphs(text))
        assert "\n\n" in text
