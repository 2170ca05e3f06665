"""The fast cleaning gives what the plain code gives (tests/reference_clean.py), edit for edit, and it stays linear.

The oracle runs every rule on every line and rebuilds strings at each edit; the
fast pipeline scans for the rules' literals once and applies edits in one pass.
Both must give the same cleaned text and the same audit (step, kind, line,
before, after, rule, in the same order) on the seeds, the 72 national reports,
the scraped fixtures and on texts made of page chrome, body sentences, headings,
pinyin, traditional characters and odd line breaks.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tifa import clean, scrapes
from tifa.boilerplate import compile_rules, load_boilerplate_rules, remove_spans
from tifa.datasets import national_reports_bytes
from tifa.text import split_sentences
from tifa.util.literals import analyse, consumed_class, first_class, opening

from . import reference_clean as ref
from .conftest import BODY_SENTENCES, BOILERPLATE_LINES

RULES = load_boilerplate_rules()
SPAN_RULES = tuple(r for r in RULES if r.kind == "span")
FIXTURES = Path(__file__).parent / "fixtures" / "scraped"
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=1)
def national() -> dict[str, str]:
    lines = national_reports_bytes().decode("utf-8").splitlines()
    return {f"national_reports-{i:04d}": json.loads(line)["content"] for i, line in enumerate(lines, start=1) if line.strip()}


def corpus_texts() -> dict[str, str]:
    from tifa import config

    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(config.RAW_DIR.glob("*.txt"))}
    texts.update({p.stem: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))})
    return texts


def assert_same(text: str) -> None:
    fast = clean.clean_text(text)
    plain_text, plain_audit = ref.clean_text(text, RULES)
    assert fast.audit == plain_audit
    assert fast.text == plain_text


# --- the corpora -------------------------------------------------------------------------


def test_seeds_and_scraped_fixtures_clean_as_the_reference_does():
    texts = corpus_texts()
    assert len(texts) == 8
    for text in texts.values():
        assert_same(text)


def test_national_reports_clean_as_the_reference_does():
    texts = national()
    assert len(texts) == 72
    for doc_id, text in texts.items():
        fast = clean.clean_text(text)
        assert (fast.text, fast.audit) == ref.clean_text(text, RULES), doc_id


def test_no_chrome_rule_fires_in_the_national_reports():
    """Wikisource pages carry no page chrome: of all boilerplate rules only the licence footer fires, and no span rule."""
    fired = {e.rule for text in national().values() for step, e in clean.clean_text(text).audit if step == "remove_boilerplate"}
    assert fired == {"wikisource_licence"}


def test_no_rule_matches_a_sentence_of_the_national_reports():
    """Every sentence of the cleaned national reports, alone: no line rule marks it, no span rule finds chrome in it."""
    sentences = {s for text in national().values() for p in clean.clean_text(text).text.split("\n") for s in split_sentences(p)}
    assert len(sentences) > 20_000
    matcher = compile_rules(RULES)
    assert not [s for s in sentences if remove_spans(s, SPAN_RULES)[1] or matcher.run(s)[1]]


# --- generated texts ------------------------------------------------------------------------

_BODY = sorted({s for sentences in BODY_SENTENCES.values() for s in sentences})
_NATIONAL_SENTENCES = sorted({s for text in list(national().values())[-3:] for s in split_sentences(text.split("\n")[20])})[:30]
_CHROME = sorted(
    {e for r in RULES for e in r.examples}
    | {c for f in json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8")) for c in f["chrome"]}
    | {line for lines in BOILERPLATE_LINES.values() for line in lines}
    | {"阅读量：2024", "<!--", "-->", "首页>", "首页 > 要闻", "【", "】", "|", "丨", "：", "来源：", "编辑：", "打印", "关闭"}
)
_STRUCTURE = [
    "一、2023年工作回顾", "（一）着力扩大国内需求", "第一部分", "1.", "2.三农：农业、农村、农民。", "（1）", "各位代表：", "同志们:",
    "名词解释", "注释［1］两个确立：一个解释。", "附件《政府工作报告》有关内容名词注释", "附件一：", "——2024年1月22日在某省第十四届人民代表大会第二次会议上",
    "一", "第", "（", "12", "2024年", "省长 王某某", "一章总则", "一）标题", "2、标题", "十", "百、", "二、",
]
_SCRIPT = ["召開(kāi)", "動（dòng）員", "化学需氧量(COD)", "(一)", "落實“黨政同責、一崗雙責”", "經濟發展", "１９５５年ＧＤＰ", "政府工作报", "告。", "GDP", "growth", "M", "2", "221381", "01.09.2016  23:06", "本作品是中华人民共和国的"]
_LONG = "".join(_NATIONAL_SENTENCES * 8)  # over config.PARAGRAPH_MAX_CHARS: a flattened page
_SEPARATORS = ["", "", " ", "  ", "\t", "\n", "\n", "\n\n", "\r\n", "\r", "\u2028", "\u3000\u3000", " | ", "丨", "\u200b", "\ufeff", "\u3000"]
_JUNK = "：:>›【】[]［］|丨 \u3000\n。！？!?，、（）()<>-/.āàé１２0123一二三四五六七八九十第章节注释附件名词解释各位代表首页字号体大中小扫阅读量"

pieces = st.one_of(
    st.sampled_from(_CHROME), st.sampled_from(_BODY + _NATIONAL_SENTENCES), st.sampled_from(_STRUCTURE),
    st.sampled_from(_SCRIPT), st.text(alphabet=_JUNK, max_size=6), st.just(_LONG),
)
texts = st.lists(st.tuples(pieces, st.sampled_from(_SEPARATORS)), max_size=30).map(lambda items: "".join(p + s for p, s in items))
lines = st.lists(st.one_of(st.sampled_from(_CHROME), st.sampled_from(_BODY + _NATIONAL_SENTENCES), st.text(alphabet=_JUNK.replace("\n", ""), max_size=6), st.sampled_from([" ", " | ", "。", "　"])), max_size=12).map("".join)


@SETTINGS
@given(texts)
def test_generated_texts_clean_as_the_reference_does(text):
    assert_same(text)


@SETTINGS
@given(texts)
def test_each_step_alone_gives_what_the_reference_step_gives(text):
    """Step by step on the same input, so that a difference names its step."""
    for step, (name, plain) in zip(clean.default_pipeline(), ref.pipeline(RULES)):
        assert step.name == name
        assert step.run(text) == plain(text), name


@SETTINGS
@given(st.lists(st.tuples(pieces.filter(lambda p: p != _LONG), st.sampled_from(["", " ", "  ", "\u3000"])), max_size=25).map(lambda items: "".join(p + s for p, s in items).replace("\n", "")))
def test_a_flattened_page_is_split_as_the_reference_splits_it(line):
    """Paragraph splitting of one long line, with a small limit so that every generated line is long."""
    assert scrapes.split_line(line, 40, 3) == ref._split_line(line, 40, 3)


@SETTINGS
@given(lines, st.sets(st.sampled_from(range(len(SPAN_RULES)))))
def test_span_removal_gives_what_the_reference_gives(line, chosen):
    rules = [r for i, r in enumerate(SPAN_RULES) if i in chosen] or list(SPAN_RULES)
    assert remove_spans(line, rules) == ref.remove_spans(line, rules)


@pytest.mark.parametrize(
    "text",
    ["第\n一章总则\n正文继续", "（\n一）标题\n下一行", "1\n2、标题\n下一行", "  一\n、标题\n下一行", "第\n\n一章", "一二\n三\n四、标题\n下一行", "12\n34\n年"],
)
def test_a_heading_broken_over_lines_joins_as_the_reference_joins(text):
    """Whether a joined paragraph opens with a heading is known only when a character outside the heading marks comes."""
    assert clean.repair_line_breaks.run(text) == ref.repair_line_breaks(text)


# --- what the prefilter relies on ------------------------------------------------------------


_MATCHES = {rule.id: st.from_regex(rule.pattern, fullmatch=True).filter(bool) for rule in RULES}  # built once: drawing compiles them


def _counted(text: str) -> int:
    return sum(not (c.isspace() or c in "|丨") for c in text)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_match_of_a_rule_holds_one_of_its_literals(rule, data):
    """tifa.util.literals on the rules: a literal within ``offset`` counted characters, at most ``width`` of them, every character in its class, the first one among those it opens with."""
    found = analyse(rule.pattern, free="|丨", free_space=True)
    chars = consumed_class(rule.pattern)
    match = data.draw(_MATCHES[rule.id])
    assert rule.pattern.fullmatch(match)
    if found.literals is not None:
        assert any(match.startswith(lit, i) and _counted(match[:i]) <= found.offset for lit in found.literals for i in range(len(match))), match
    assert _counted(match) <= found.width
    if chars is not None:
        assert re.fullmatch(f"[{chars}]*", match), match
    opens = opening(rule.pattern)
    assert opens is None or opens.admits(match[0]), match
    first = first_class(rule.pattern)
    assert first is None or first.admits(match[0]), match


def test_literal_analysis_of_small_patterns():
    def lits(pattern):
        found = analyse(re.compile(pattern), free="|丨", free_space=True)
        return (sorted(found.literals) if found.literals else None), found.offset, found.width

    assert lits("政[府务]") == (["政务", "政府"], 0, 2)
    assert lits(r"[【\[]?\s*字[号体]") == (["字体", "字号"], 1, 3)
    assert lits(r"\d+") == (None, float("inf"), float("inf"))
    assert lits("(?:ab|cd)x*") == (["ab", "cd"], 0, float("inf"))
    assert lits("a?b") == (["b"], 1, 2)
    assert lits("(?i)abc")[0] is None, "case-insensitive patterns have no literals"
    assert consumed_class(re.compile("ab.")) is None and consumed_class(re.compile("[一-龥]")) is None


# --- linear: no work grows faster than the text ------------------------------------------------


class _Counting(str):
    """A text that adds up the characters its ``count`` calls cover (line numbers are counted with ``count``)."""

    covered = 0

    def count(self, sub, start=0, end=None):  # noqa: D102
        end = len(self) if end is None else end
        type(self).covered += max(0, end - start)
        return super().count(sub, start, end)


class _Regex:
    """A compiled regex that adds up the characters handed to it (``len(string)`` less ``pos``, or ``endpos - pos``)."""

    work = 0

    def __init__(self, pattern: re.Pattern[str]):
        self._pattern = pattern

    def __getattr__(self, name):
        method = getattr(self._pattern, name)
        if not callable(method):
            return method

        def counted(*args, **kwargs):
            if name in ("sub", "subn"):
                _Regex.work += len(args[1])
            elif name == "split":
                _Regex.work += len(args[0])
            elif args:  # match, search, fullmatch, finditer, findall: (string, pos, endpos)
                text, pos, endpos = (*args, 0, len(args[0]))[:3] if len(args) < 3 else args[:3]
                _Regex.work += max(0, min(endpos, len(text)) - pos)
            return method(*args, **kwargs)

        return counted


def _work(monkeypatch, run, text: str) -> int:
    """Characters handed to the regexes of tifa.clean and tifa.scrapes and covered by ``count`` while ``run`` cleans ``text``."""
    _Regex.work = _Counting.covered = 0
    with monkeypatch.context() as patch:
        for name in ("_HEADING", "_HEADING_UNDECIDED", "_LATIN", "_SPACES", "_HAN_GAP", "_PINYIN", "_NEWLINES"):
            patch.setattr(clean, name, _Regex(getattr(clean, name)))
        for name in ("_SENTENCE_END_THEN_START", "_SALUTATION", "_APPENDIX_FIRST", "_APPENDIX_AFTER_HEADING", "_DELIVERY_OPENING", "STARTS_PARAGRAPH", "SENTENCE", "DELIVERY"):
            patch.setattr(scrapes, name, _Regex(getattr(scrapes, name)))
        patch.setattr(scrapes, "HEADING_MARKERS", tuple(_Regex(m) for m in scrapes.HEADING_MARKERS))
        run(_Counting(text))
    return _Regex.work + _Counting.covered


def _document(n: int) -> str:
    """``n`` blocks, each with edits of every kind: invisible characters, full-width digits, pinyin, a broken
    line, chrome lines and spans, a duplicate, and a paragraph of lines that all join."""
    block = (
        "\u200b政府工作报\n告。１９５５年召開(kāi)會議。\n首页 > 党的建设\n【字体：大中小】各位代表：我代表国务院作报告。阅读量：12\n"
        "各位代表：我代表国务院作报告。阅读量：12\n" + "\n".join(["推进改革", "扩大开放"] * 5) + "。\n"
    )
    return block * n


def test_line_numbers_of_edits_walk_the_text_once(monkeypatch):
    for step in (clean.remove_invisible, clean.normalize_width, clean.strip_pinyin, clean.make_remove_boilerplate()):
        for n in (200, 800):
            text = _document(n)
            assert _work(monkeypatch, step.run, text) <= 2 * len(text), step.name


def test_joining_lines_reads_each_line_once(monkeypatch):
    """One paragraph of many lines, and many lines of digits that leave the heading test open."""
    for text in ("\n".join(["推进改革", "扩大开放"] * 1000) + "。", "\n".join(["12"] * 2000) + "。"):
        work = _work(monkeypatch, clean.repair_line_breaks.run, text)
        assert work <= 2 * len(text)
        assert clean.repair_line_breaks.run(text) == ref.repair_line_breaks(text)


def test_splitting_a_flattened_page_reads_it_a_few_times(monkeypatch):
    text = "省长 王某某 " + " ".join(["推进改革"] * 3000) + "。" + "。".join(["第一句话说的是一件事"] * 800)
    step = clean.make_split_long_lines()
    assert _work(monkeypatch, step.run, text) <= 30 * len(text)
    assert step.run(text) == ref.split_long_lines(text)


@pytest.mark.parametrize("n", [100, 400])
def test_the_whole_pipeline_does_work_in_proportion_to_the_text(monkeypatch, n):
    small, large = _work(monkeypatch, clean.clean_text, _document(n)), _work(monkeypatch, clean.clean_text, _document(2 * n))
    assert large <= 2.1 * small


def _span_attempts(text: str) -> int:
    """How often the boilerplate matcher tries an anchored span rule at a position of ``text``."""
    import dataclasses

    matcher = compile_rules(RULES)
    calls = 0

    class Counted:
        def __init__(self, pattern):
            self.pattern = pattern

        def match(self, *args):
            nonlocal calls
            calls += 1
            return self.pattern.match(*args)

    saved = matcher._anchored
    try:
        matcher._anchored = tuple(dataclasses.replace(c, start=Counted(c.start), tail=Counted(c.tail)) for c in saved)
        matcher.run(text)
    finally:
        matcher._anchored = saved
    return calls


def test_end_anchored_chrome_is_searched_near_its_literals():
    """A one-line page: the attempts grow with the chrome and the literals in it, not with its length."""
    chrome = "（责任编辑：张三）阅读量：12 分享到：微信 微博 来源：某省日报 "
    body = "".join(_NATIONAL_SENTENCES)
    attempts = [_span_attempts("下载打印" + body * k + "关闭 返回 来源于实践。" + chrome * 3) for k in (10, 40)]
    assert attempts[0] == attempts[1] < 200, attempts


def test_the_gap_characters_are_every_space_and_the_separators():
    from tifa.spans import _GAP_CHARS

    assert _GAP_CHARS == {c for c in map(chr, range(0x110000)) if c.isspace()} | {"|", "丨"}
