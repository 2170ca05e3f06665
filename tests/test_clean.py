"""Each cleaning step on short literal texts, then the whole pipeline on the seeds."""

import pytest

from tifa import clean
from tifa.clean import (
    clean_text,
    load_boilerplate_rules,
    make_pipeline,
    make_remove_boilerplate,
    make_remove_duplicate_paragraphs,
    make_split_long_lines,
    make_to_simplified,
    normalize_newlines,
    normalize_width,
    remove_invisible,
    remove_spans,
    repair_line_breaks,
    rule_matches,
    strip_pinyin,
    tidy_whitespace,
)

from tifa import text
from tifa.text import count_han, paragraph_structure, split_sentences

from .conftest import BODY_SENTENCES, BOILERPLATE_LINES, QINGHAI


# --- strip_pinyin ---------------------------------------------------------------

def test_strip_pinyin_removes_annotations():
    assert strip_pinyin("省委省政府召開(kāi)中央環(huán)保督察") == "省委省政府召開中央環保督察"
    assert strip_pinyin("動（dòng）員") == "動員"


@pytest.mark.parametrize("text", ["厅党组副书记(厅长提名人)王一鸥", "(一)开展污染减排专项行动", "化学需氧量(COD)", "指标(cod)", "排放量(t)"])
def test_strip_pinyin_keeps_real_parentheticals(text):
    assert strip_pinyin(text) == text


def test_strip_pinyin_audit_lists_each_annotation():
    text, edits = strip_pinyin.run("召開(kāi)\n會(huì)議")
    assert text == "召開\n會議"
    assert [(e.kind, e.line, e.before, e.after, e.rule) for e in edits] == [("removed", 1, "(kāi)", "", "pinyin"), ("removed", 2, "(huì)", "", "pinyin")]


def test_every_pinyin_annotation_of_qinghai_is_removed(raw_texts):
    # in the Qinghai file every "(" opens a pinyin gloss such as (kāi): one edit per parenthesis
    raw = raw_texts[QINGHAI]
    text, edits = strip_pinyin.run(raw)
    assert len(edits) == raw.count("(") > 0
    assert "(" not in text


# --- script, width, invisible characters -----------------------------------------

def test_to_simplified_converts_traditional_documents():
    step = make_to_simplified()
    text, edits = step.run("落實“黨政同責、一崗雙責”")
    assert text == "落实“党政同责、一岗双责”"
    # 落實 黨 責 崗 雙 責 change: 6 of 10 Han characters
    assert [(e.kind, e.line, e.before, e.after, e.rule) for e in edits] == [("converted", None, "traditional script (60.0% of Han characters)", "6 characters converted to simplified", "t2s")]


def test_traditional_share_counts_changed_han_characters():
    assert clean.traditional_share("黨政同責") == 2 / 4
    assert clean.traditional_share("党政同责") == 0.0 and clean.traditional_share("GDP") == 0.0
    # just under and at the threshold: 1 of 21 Han characters changed is < 5 %, 1 of 20 is not
    assert make_to_simplified().run("黨" + "一" * 20)[1] == []
    assert make_to_simplified().run("黨" + "一" * 19)[0] == "党" + "一" * 19


def test_to_simplified_leaves_simplified_documents_alone():
    text = "严格落实环境保护党政同责"
    assert make_to_simplified().run(text) == (text, [])


def test_normalize_width_digits_letters_and_space_only():
    assert normalize_width("１９５５年ＧＤＰ，增长３．６８％") == "1955年GDP，增长3．68％"
    assert normalize_width("李\u3000强") == "李 强"


def test_remove_invisible_records_code_points():
    text, edits = remove_invisible.run("政\u200b府\ufeff")
    assert text == "政府"
    assert [e.before for e in edits] == ["U+200B", "U+FEFF"]
    _, edits = remove_invisible.run("甲\n乙\u200b\u200c丙")
    assert [(e.kind, e.line, e.before) for e in edits] == [("removed", 2, "U+200B U+200C")]


@pytest.mark.parametrize(
    "char",
    ["\u3400", "\u4e00", "\uf900", "\U00020000", "\U0002a700", "\U0002b740", "\U0002b820", "\U0002ceb0", "\U0002ebf0", "\U0002f800", "\U00030000", "\U00031350"],
    ids=["ext-a", "uro", "compat", "ext-b", "ext-c", "ext-d", "ext-e", "ext-f", "ext-i", "compat-supplement", "ext-g", "ext-h"],
)
def test_every_han_block_counts(char):
    assert count_han(f"a{char}，1") == 1
    assert tidy_whitespace(f"{char} {char}") == char * 2, "spaces between Han characters go, whatever the block"


def test_one_han_class_for_the_package():
    from tifa import slogans

    assert slogans.HAN is text.HAN
    assert count_han("〇ー々ＡA１") == 0
    assert slogans.DISCOVERY_PATTERNS["quoted"].search("要防止“𠮷𠀀两张皮”现象").group(1) == "𠮷𠀀两张皮"


def test_normalize_newlines():
    assert normalize_newlines("甲\r\n乙\r丙") == "甲\n乙\n丙"
    text, edits = normalize_newlines.run("甲\r\n乙\u2028丙\n丁")
    assert text == "甲\n乙\n丙\n丁"
    assert [(e.kind, e.line, e.before, e.after) for e in edits] == [("changed", None, "2 line separators", "\\n")]
    assert normalize_newlines.run("甲\n乙") == ("甲\n乙", [])


# --- boilerplate ----------------------------------------------------------------

RULES = load_boilerplate_rules()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_removes_its_examples(rule):
    assert rule.examples, f"rule {rule.id} needs examples"
    for example in rule.examples:
        assert rule_matches(rule, example), example


def test_no_rule_matches_a_body_sentence():
    for sentences in BODY_SENTENCES.values():
        for sentence in sentences:
            assert not [r.id for r in RULES if rule_matches(r, sentence)], sentence


def test_remove_boilerplate_records_every_line():
    step = make_remove_boilerplate()
    text, edits = step.run("首页 > 党的建设\n\n正文第一段。\n微信扫码分享")
    assert text == "\n正文第一段。"
    assert [(e.line, e.rule) for e in edits] == [(1, "navigation_trail"), (4, "share_widget")]


def test_tail_rule_removes_footer_to_the_end():
    step = make_remove_boilerplate()
    raw = "报告正文。\n\n本作品是中华人民共和国的\n法律\n、\n\nPublic domain\nfalse"
    text, edits = step.run(raw)
    assert text == "报告正文。\n"
    assert [e.before for e in edits] == ["本作品是中华人民共和国的", "法律", "、", "Public domain", "false"]


SPAN_RULES = [r for r in RULES if r.kind == "span"]
BODY = "过去一年，我国发展历程很不平凡。"  # a sentence of the 2025 national report


@pytest.mark.parametrize("rule", SPAN_RULES, ids=lambda r: r.id)
def test_every_span_rule_removes_its_examples_next_to_body_text(rule):
    for example in rule.examples:
        assert remove_spans(example, [rule])[0].strip() == "", example
        if rule.anchor in ("start", "both"):
            assert remove_spans(example + BODY, [rule]) == (BODY, [(rule.id, example)]), example
        if rule.anchor in ("end", "both"):
            assert remove_spans(BODY + example, [rule])[0] == BODY, example
        if rule.anchor == "any":  # before, after and inside body text; the spaces beside it stay (tidy_whitespace takes them)
            for text in (example + BODY, BODY + example, BODY[:5] + example + BODY[5:]):
                cleaned, removed = remove_spans(text, [rule])
                assert (cleaned.replace(" ", ""), removed) == (BODY, [(rule.id, example.strip())]), text


def test_any_rules_remove_every_piece_of_chrome_wherever_it_stands():
    step = make_remove_boilerplate()
    line = "标题<!-- 正文开始 -->【字体：小中大】 首页 > 政府信息公开 > 政府工作报告 各位代表：【打印本页】【关闭窗口】现在，我代表省人民政府作报告。<U+00A0>阅读量：1024 》》点击图片进入专题《《收藏|分享到【E-mail推荐】"
    text, edits = step.run(line)
    assert text.split() == ["标题", "各位代表：现在，我代表省人民政府作报告。"]
    assert [(e.kind, e.before, e.after, e.rule) for e in edits] == [
        ("removed_span", "【字体：小中大】", "", "font_size_widget"),
        ("removed_span", "首页 > 政府信息公开 > 政府工作报告", "", "navigation_trail_span"),
        ("removed_span", "【打印本页】【关闭窗口】", "", "page_tools_bracketed"),
        ("removed_span", "【E-mail推荐】", "", "page_tools_bracketed"),
        ("removed_span", "阅读量：1024", "", "view_count_anywhere"),
        ("removed_span", "》》点击图片进入专题《《", "", "topic_link"),
        ("removed_span", "收藏|分享到", "", "share_bar"),
        ("removed_span", "<!-- 正文开始 -->", "", "html_comment"),
        ("changed", "<U+00A0>", " ", "escaped_space"),
    ]


def test_a_view_counter_never_takes_the_date_that_follows_it():
    assert remove_spans("阅读量：2024年政府工作报告", SPAN_RULES) == ("2024年政府工作报告", [("view_count_anywhere", "阅读量：")])
    assert remove_spans("《政府工作报告》》》点击进入专题《《", SPAN_RULES)[0] == "《政府工作报告》", "the title keeps its closing bracket"


def test_rule_file_checks_ids_empty_matches_and_replacements(tmp_path):
    path = tmp_path / "rules.yaml"
    entry = "  - id: {id}\n    kind: span\n    anchor: any\n    pattern: '{pattern}'\n    description: d\n"
    for rules, message in [
        (entry.format(id="x", pattern="a*"), "matches the empty string"),
        (entry.format(id="x", pattern="ab") + entry.format(id="x", pattern="cd"), "used twice"),
        (entry.format(id="x", pattern="ab") + "    replace: abc\n", "shorter than any match"),
        (entry.format(id="x", pattern="a ?b") + "    replace: ab\n", "shorter than any match"),
        (entry.format(id="x", pattern="ab|c") + "    replace: ' '\n", "shorter than any match"),
    ]:
        path.write_text("rules:\n" + rules, encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_boilerplate_rules(path)


@pytest.mark.parametrize(
    "sentence",
    [
        "相关报道总点击量超610亿次，展现了新时代的精神风貌。",  # contains 相关报道 and 点击量 without a colon
        "依法关闭",  # ends in a page-tool word inside a sentence
        "下载量大幅增长。",
        "收藏家协会举办展览。",
        "扫一扫就能办成事。",
        "首页设计要简洁。",
        "来源于人民群众的实践。",
        "编辑出版一批精品力作。",
        "2023年1月至12月，全省进出口增长5%。",
        "点击量持续增长，阅读量大幅提升。",  # counters without a colon
        "把好经验分享到全国，收藏家协会举办展览。",
        "《政府工作报告》指出，文字体现了首页设计的原则。",
        "要注释清楚，附件一并报送。",
        "下载、分享、收藏数据的服务更加便捷。",
    ],
)
def test_span_rules_leave_body_text_that_merely_contains_their_words(sentence):
    assert remove_spans(sentence, SPAN_RULES) == (sentence, [])


def test_no_span_rule_cuts_a_body_sentence_of_the_seeds():
    for sentences in BODY_SENTENCES.values():
        for sentence in sentences:
            assert remove_spans(sentence, SPAN_RULES) == (sentence, []), sentence


def test_spans_inside_a_one_line_page_are_removed_and_recorded():
    step = make_remove_boilerplate()
    chrome_head = "您的位置:首页>政务公开>政府工作报告 【字体：大中小】扫一扫在手机打开当前页"
    chrome_tail = "（责任编辑：张三）相关报道：2023年政府工作报告全文"
    text, edits = step.run(f"前一行\n{chrome_head}{BODY}{chrome_tail}")
    assert text == f"前一行\n {BODY}", "chrome that stands anywhere goes without the space beside it (tidy_whitespace trims it)"
    # chrome that stands anywhere first, in the order of the rules, then the anchored chrome from the ends
    assert [(e.kind, e.line, e.before, e.rule) for e in edits] == [
        ("removed_span", 2, "【字体：大中小】", "font_size_widget"),
        ("removed_span", 2, "您的位置:首页>政务公开>政府工作报告", "navigation_trail_span"),
        ("removed_span", 2, "扫一扫在手机打开当前页", "qr_prompt"),
        ("removed_span", 2, "相关报道：2023年政府工作报告全文", "related_reports_tail"),
        ("removed_span", 2, "（责任编辑：张三）", "editor_credit"),
    ]


def test_a_last_crumb_run_into_the_title_stays():
    title = "政府工作报告2024年某省政府工作报告——2024年1月22日在某省第十四届人民代表大会第二次会议上"
    text, removed = remove_spans(f"您的位置：首页 > 要闻 > {title}", SPAN_RULES)
    assert (text.strip(), removed) == (title, [("navigation_trail_span", "您的位置：首页 > 要闻 >")])


def test_anchor_only_on_span_rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: x\n    kind: line\n    anchor: end\n    pattern: a\n    description: d\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rules.yaml.*only span rules"):
        load_boilerplate_rules(path)


def test_bad_rule_file_names_the_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: x\n    kind: page\n    pattern: a\n    description: d\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rules.yaml.*'page'"):
        load_boilerplate_rules(path)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("  - id: x\n    kind: line\n    pattern: a\n", r"rules.yaml: rule 1 lacks \['description'\]"),
        ("  - id: x\n    kind: line\n    pattern: '(a'\n    description: d\n", r"rules.yaml: rule 'x' has an invalid pattern"),
    ],
)
def test_rule_file_errors_name_the_rule(tmp_path, rule, message):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + rule, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_boilerplate_rules(path)


RULE_FILE = """rules:
  - id: share
    kind: line
    pattern: '^微信扫码'
    description: share buttons
    examples: [微信扫码分享]
    max_chars: 10
  - id: footer
    kind: tail
    pattern: '^版权所有'
    description: site footer
"""


def test_line_and_tail_rules_record_every_removed_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULE_FILE, encoding="utf-8")
    rules = load_boilerplate_rules(path)
    assert [(r.id, r.kind, r.description, r.examples, r.max_chars) for r in rules] == [
        ("share", "line", "share buttons", ("微信扫码分享",), 10),
        ("footer", "tail", "site footer", (), None),
    ]
    step = make_remove_boilerplate(rules)
    assert step.name == "remove_boilerplate"
    long_line = "微信扫码关注我们的公众号获取更多"  # 16 characters > max_chars: kept
    text, edits = step.run(f"正文第一段。\n微信扫码分享\n{long_line}\n微信扫码分享给朋友们\n正文第二段。\n版权所有 某局\n\n地址:某路")
    assert text == f"正文第一段。\n{long_line}\n正文第二段。"
    assert [(e.kind, e.line, e.before, e.after, e.rule) for e in edits] == [
        ("removed", 2, "微信扫码分享", "", "share"),
        ("removed", 4, "微信扫码分享给朋友们", "", "share"),  # exactly max_chars: still boilerplate
        ("removed", 6, "版权所有 某局", "", "footer"),
        ("removed", 8, "地址:某路", "", "footer"),
    ]


# --- line structure -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("政府工作报\n告。", "政府工作报告。"),
        ("在聽了劉少奇同志\n關於憲法草案的報告\n並進行了三天的討論", "在聽了劉少奇同志關於憲法草案的報告並進行了三天的討論"),
        ("广义货币M\n2\n和社会融资规模", "广义货币M2和社会融资规模"),
        ("Public\ndomain", "Public domain"),
        ("的绿色发展观,\n让生态文明成为", "的绿色发展观,让生态文明成为"),
    ],
)
def test_repair_line_breaks_joins_broken_sentences(raw, expected):
    assert repair_line_breaks(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["一、要充分认识督察反馈意见整改工作的重大意义\n开展环境保护督察", "同志们:\n根据省委", "第一段。\n第二段。", "标题\n\n正文"],
)
def test_repair_line_breaks_keeps_real_breaks(raw):
    assert repair_line_breaks(raw) == raw


def test_repair_line_breaks_records_each_join_at_its_line():
    long_left, long_right = "一二三四五六七八九十甲乙丙", "子丑寅卯辰巳午未申酉戌亥天"
    text, edits = repair_line_breaks.run(f"标题。\n{long_left}  \n{long_right}\nabc\ndef。")
    assert text == f"标题。\n{long_left}{long_right}abc def。"
    # the joined line's number (in the step's input), then 12 characters either side of the break
    assert [(e.kind, e.line, e.before, e.after) for e in edits] == [
        ("joined", 2, f"{long_left[-12:]}\\n{long_right[:12]}", f"{long_left[-12:]}{long_right[:12]}"),
        ("joined", 3, f"{long_right[-12:]}\\nabc", f"{long_right[-12:]}abc"),
        ("joined", 4, f"{(long_right + 'abc')[-12:]}\\ndef。", f"{(long_right + 'abc')[-12:]} def。"),
    ]


def test_duplicate_paragraphs_removed_and_reported():
    para = "要坚持以上率下，有效传导压力，层层抓落实。"
    step = make_remove_duplicate_paragraphs()
    text, edits = step.run(f"同志们:\n{para}\n同志们:\n{para}\n{para}")
    assert text == f"同志们:\n{para}\n同志们:"
    assert [(e.kind, e.line, e.before, e.after, e.rule) for e in edits] == [("removed", 4, para, "", "duplicate of line 2"), ("removed", 5, para, "", "duplicate of line 2")]
    assert make_remove_duplicate_paragraphs(min_chars=3).run("甲乙丙\n甲乙丙")[0] == "甲乙丙", "exactly min_chars long: a duplicate"
    assert step.name == "remove_duplicate_paragraphs" and make_to_simplified().name == "to_simplified"


def test_differing_characters_and_paragraphs():
    assert clean._n_differing("abc", "abd e") == 1 + 2, "one changed character and two more"
    assert clean._n_differing("黨政", "党政") == 1
    assert text.split_paragraphs("甲\n\n乙\n  \n丙") == ["甲", "乙", "丙"]


def test_tidy_whitespace():
    assert tidy_whitespace("  国务院总理 李 强 \n\n\n各位代表：  \nGDP  growth") == "国务院总理李强\n\n各位代表：\n\nGDP growth"


# --- paragraphs and structure ---------------------------------------------------------

HEADING_1, HEADING_2 = "一、2023年工作回顾", "（一）着力扩大国内需求。"
SENTENCES = [f"第{n}句话说的是一件事。" for n in range(1, 13)]  # 10 characters each


def test_split_long_lines_leaves_lines_up_to_the_limit():
    line = "".join(SENTENCES)
    assert make_split_long_lines(len(line), 2).run(line) == (line, [])


def test_split_long_lines_at_markers_of_the_genre():
    front = "2024年某省政府工作报告——2024年1月22日在某省第十四届人民代表大会第二次会议上 省长 某某某"
    body = f"各位代表：现在，我代表省人民政府作报告。{HEADING_1} {SENTENCES[0]}{HEADING_2}{SENTENCES[1]}名词解释1.新质生产力：一个解释。2.另一个词：另一个解释。"
    text, edits = make_split_long_lines(40, 50).run(front + body)
    assert text.split("\n") == [
        "2024年某省政府工作报告",
        "——2024年1月22日在某省第十四届人民代表大会第二次会议上",
        "省长 某某某",
        "各位代表：",
        "现在，我代表省人民政府作报告。",
        HEADING_1,
        SENTENCES[0],
        HEADING_2 + SENTENCES[1],
        "名词解释",
        "1.新质生产力：一个解释。",
        "2.另一个词：另一个解释。",
    ]
    assert len(edits) == 10 and {e.kind for e in edits} == {"split"}
    assert count_han(text) == count_han(front + body)


def test_split_long_lines_cuts_what_stays_too_long_into_sentence_chunks():
    line = "".join(SENTENCES)  # 12 sentences, 120 characters, no marker
    text, edits = make_split_long_lines(50, 5).run(line)
    assert text.split("\n") == ["".join(SENTENCES[:5]), "".join(SENTENCES[5:10]), "".join(SENTENCES[10:])]
    assert [e.rule for e in edits] == [clean.LONG_PARAGRAPH] * 2


def test_paragraph_structure_parts_and_sections():
    paragraphs = [
        "2024年某省政府工作报告", "——2024年1月22日在某省第十四届人民代表大会第二次会议上", "省长 某某某",
        "各位代表：", "现在，我代表省人民政府作报告。", HEADING_1, SENTENCES[0], HEADING_2 + SENTENCES[1],
        "（二）另一件事", SENTENCES[2], "二、2024年工作任务", SENTENCES[3], "名词解释", "1.新质生产力：一个解释。",
    ]
    units = paragraph_structure(paragraphs)
    assert [u.part for u in units] == ["front"] * 3 + ["body"] * 9 + ["appendix"] * 2
    assert [u.section for u in units[5:12]] == [
        HEADING_1, HEADING_1, f"{HEADING_1} > （一）着力扩大国内需求", f"{HEADING_1} > （二）另一件事", f"{HEADING_1} > （二）另一件事",
        "二、2024年工作任务", "二、2024年工作任务",
    ]
    assert units[-1].section == "名词解释 > 1.新质生产力"


def test_an_opening_sentence_ends_the_front():
    assert [u.part for u in paragraph_structure(["同志们：", "标题样的短行"])] == ["body", "body"]


# appendices as provincial pages print them: (heading, entries) and the section the appendix gets
APPENDICES = [
    (["附件《政府工作报告》有关内容名词注释", "1.新质生产力：由技术革命性突破催生的先进生产力。", "2.大湾区：粤港澳大湾区。"], "附件《政府工作报告》有关内容名词注释"),
    (["名词注释", "1.新质生产力：由技术革命性突破催生的先进生产力。"], "名词注释"),
    (["名词解释：", "1.新质生产力：由技术革命性突破催生的先进生产力。"], "名词解释"),
    (["注释", "［1］两个确立：确立习近平同志党中央的核心、全党的核心地位。［2］三农：农业、农村、农民。"], "注释"),
    (["注释", "[1]两个确立：一个解释。[2]三农：农业、农村、农民。"], "注释"),
    (["注释", "1.两个确立：一个解释。", "2.三农：农业、农村、农民。"], "注释"),
    (["附件1：", "1.新质生产力：一个解释。"], "附件1"),
]
BODY_PARAGRAPHS = ["各位代表：", "现在，我代表省人民政府作报告。", HEADING_1, *SENTENCES[:3], HEADING_2 + SENTENCES[3]]


@pytest.mark.parametrize(("appendix", "section"), APPENDICES, ids=lambda x: x[0] if isinstance(x, list) else "")
def test_appendix_after_the_body_as_paragraphs(appendix, section):
    units = paragraph_structure(["2024年某省政府工作报告", *BODY_PARAGRAPHS, *appendix])
    assert [u.part for u in units] == ["front"] + ["body"] * len(BODY_PARAGRAPHS) + ["appendix"] * len(appendix)
    assert units[-len(appendix)].section == section


@pytest.mark.parametrize(("appendix", "section"), APPENDICES, ids=lambda x: x[0] if isinstance(x, list) else "")
def test_appendix_of_a_one_line_scrape_is_split_off_the_body(appendix, section):
    """Heading and entries run into the last sentence of the body (and into each other): the body ends where the appendix starts."""
    line = "2024年某省政府工作报告 " + "".join(BODY_PARAGRAPHS) + "".join(appendix)
    text, _ = make_split_long_lines(40, 50).run(line)
    paragraphs = text.split("\n")
    units = paragraph_structure(paragraphs)
    body = [p for p, u in zip(paragraphs, units) if u.part == "body"]
    notes = [p for p, u in zip(paragraphs, units) if u.part == "appendix"]
    assert "".join(body) == "".join(BODY_PARAGRAPHS) and "".join(notes) == "".join(appendix)
    assert notes[0].rstrip("：:") == appendix[0].rstrip("：:"), "the heading is a paragraph of its own"
    assert units[-len(notes)].section == section


def test_a_note_heading_run_into_its_first_note_opens_the_appendix():
    units = paragraph_structure([*BODY_PARAGRAPHS, "注释［1］两个确立：一个解释。", "［2］三农：农业、农村、农民。"])
    assert [u.part for u in units[-3:]] == ["body", "appendix", "appendix"]
    assert {u.section for u in units[-2:]} == {"注释"}


@pytest.mark.parametrize("paragraph", ["注释工作要加强。", "附件一并报送。", "附录部分见后。", "名词解释得很清楚。"])
def test_body_paragraphs_that_open_with_an_appendix_word_stay_in_the_body(paragraph):
    assert paragraph_structure([*BODY_PARAGRAPHS, paragraph])[-1].part == "body"


def test_tidy_whitespace_records_inner_changes_not_trimming():
    text, edits = tidy_whitespace.run("  各位代表：  \n\n国务院 总理\nGDP  growth")
    assert text == "各位代表：\n\n国务院总理\n\nGDP growth"
    assert [(e.kind, e.line, e.before, e.after) for e in edits] == [("changed", 3, "国务院 总理", "国务院总理"), ("changed", 4, "GDP  growth", "GDP growth")]


# --- the pipeline -------------------------------------------------------------------

def test_make_pipeline_equals_clean_text(raw_texts):
    steps = clean.default_pipeline()
    run = make_pipeline(*steps)
    for raw in raw_texts.values():
        assert run(raw) == clean_text(raw, steps).text


def test_split_sentences():
    assert split_sentences("他说：“好。”然后走了！还有吗？没有……最后一句") == ["他说：“好。”", "然后走了！", "还有吗？", "没有……", "最后一句"]


def test_body_sentences_survive_and_boilerplate_goes(seed_texts):
    for doc_id, sentences in BODY_SENTENCES.items():
        for sentence in sentences:
            assert sentence in seed_texts[doc_id], (doc_id, sentence)
    for doc_id, lines in BOILERPLATE_LINES.items():
        for line in lines:
            assert line not in seed_texts[doc_id], (doc_id, line)


def test_cleaning_drops_no_han_character_without_a_record(raw_texts, seeds):
    """Han characters after cleaning = before, less those in the lines the audit says were removed."""
    audit = seeds.audit
    for doc_id, raw in raw_texts.items():
        removed = audit[(audit.doc_id == doc_id) & audit.kind.isin(["removed", "removed_span"]) & (audit.step != "strip_pinyin")]
        expected = count_han(raw) - sum(count_han(line) for line in removed["before"])
        assert count_han(seeds.docs.set_index("doc_id").at[doc_id, "text"]) == expected, doc_id


def test_every_removed_line_is_in_the_raw_file(raw_texts, seeds):
    removed = seeds.audit[seeds.audit.step == "remove_boilerplate"]
    assert len(removed) == sum(len(v) for v in BOILERPLATE_LINES.values())
    for row in removed.itertuples():
        assert raw_texts[row.doc_id].split("\n")[row.line - 1] == row.before
