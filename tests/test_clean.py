"""Each cleaning step on short literal texts, then the whole pipeline on the seeds."""

import pytest

from tifa import clean
from tifa.clean import (
    clean_text,
    count_han,
    load_boilerplate_rules,
    make_pipeline,
    make_remove_boilerplate,
    make_remove_duplicate_paragraphs,
    make_to_simplified,
    normalize_newlines,
    normalize_width,
    remove_invisible,
    repair_line_breaks,
    rule_matches,
    split_sentences,
    strip_pinyin,
    tidy_whitespace,
)

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
    assert clean.split_paragraphs("甲\n\n乙\n  \n丙") == ["甲", "乙", "丙"]


def test_tidy_whitespace():
    assert tidy_whitespace("  国务院总理 李 强 \n\n\n各位代表：  \nGDP  growth") == "国务院总理李强\n\n各位代表：\n\nGDP growth"


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
        removed = audit[(audit.doc_id == doc_id) & (audit.kind == "removed") & (audit.step != "strip_pinyin")]
        expected = count_han(raw) - sum(count_han(line) for line in removed["before"])
        assert count_han(seeds.docs.set_index("doc_id").at[doc_id, "text"]) == expected, doc_id


def test_every_removed_line_is_in_the_raw_file(raw_texts, seeds):
    removed = seeds.audit[seeds.audit.step == "remove_boilerplate"]
    assert len(removed) == sum(len(v) for v in BOILERPLATE_LINES.values())
    for row in removed.itertuples():
        assert raw_texts[row.doc_id].split("\n")[row.line - 1] == row.before
