"""The lexicon files: schema, required entries, user dictionary."""

import re

import pytest

from tifa.lexicon import SLOGAN_CATEGORIES, load_domain_terms, load_slogans, user_dictionary

REQUIRED = [
    "两学一做", "党政同责", "一岗双责", "四个意识", "五位一体", "四个全面", "五大发展理念", "三严三实", "八项规定",
    "群众路线教育实践活动", "绿水青山就是金山银山", "生态文明", "习近平生态文明思想", "习近平新时代中国特色社会主义思想",
    "美丽中国", "污染防治攻坚战", "蓝天保卫战", "河长制", "生态保护红线", "山水林田湖草", "中央环保督察", "六稳", "六保",
    "两个维护", "两个确立",
]


def test_slogan_lexicon_schema():
    slogans = load_slogans()
    assert len(slogans) >= 40
    assert len({s.id for s in slogans}) == len(slogans) and len({s.zh for s in slogans}) == len(slogans)
    assert set(REQUIRED) <= {s.zh for s in slogans}
    for s in slogans:
        assert s.category in SLOGAN_CATEGORIES and s.en and s.source
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", s.first_used), s.id
        assert s.literals[0] == s.zh
    for s in slogans:
        assert s.first_used_precision in ("day", "month", "year", "upper-bound"), s.id
        if s.first_used_precision != "upper-bound":
            assert len(s.first_used) == {"day": 10, "month": 7, "year": 4}[s.first_used_precision], s.id
        assert s.coined is None or (s.coined < s.first_used and s.coined_source), s.id
    new_concept = next(s for s in load_slogans() if s.zh == "五大发展理念")
    assert any("新发展理念" in r for r in new_concept.regexes)


def test_user_dictionary_holds_slogans_and_domain_terms():
    words = dict(user_dictionary())
    assert {"两学一做", "中央环保督察", "中央环境保护督察", "河湖长制"} <= set(words)
    assert words["湘江"] == "ns" and words["整改方案"] == "nz"
    assert ("洞庭湖", "ns") in load_domain_terms()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("slogans: []\n", "no 'slogans:' list"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: party, patterns: [], first_used: '2016', first_used_precision: year, source: s}\n", "category 'party'"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '16/2/2016', first_used_precision: day, source: s}\n", "first_used '16/2/2016'"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [{regex: '('}], first_used: '2016', first_used_precision: year, source: s}\n", "invalid regex"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', first_used_precision: year}\n", "lacks \\['source'\\]"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', first_used_precision: year, source: s}\n  - {id: b, zh: 甲, en: B, category: economy, patterns: [], first_used: '2016', first_used_precision: year, source: s}\n", "zh '甲' repeats entry 1"),
        ("slogans: [oops\n", "cannot read the slogan lexicon"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', source: s}\n", "lacks \\['first_used_precision'\\]"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', first_used_precision: day, source: s}\n", "does not have the precision 'day'"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', first_used_precision: about, source: s}\n", "first_used_precision 'about'"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', first_used_precision: year, coined: '2017', coined_source: s, source: s}\n", "coined 2017 is after"),
        ("slogans:\n  - {id: a, zh: 甲, en: A, category: economy, patterns: [], first_used: '2016', first_used_precision: year, coined: '2010', source: s}\n", "come with coined_source"),
    ],
)
def test_bad_lexicon_names_file_and_entry(tmp_path, body, message):
    path = tmp_path / "slogans.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_slogans(path)


def test_reviewed_dates():
    """The review of issue #11: dates of first central use, coinage apart, upper bounds marked."""
    entries = {s.id: s for s in load_slogans()}
    # Xi at the propaganda and ideology work conference: “要树立以人民为中心的工作导向”
    assert entries["yi_renmin_wei_zhongxin"].first_used == "2013-08-19"
    # first top-leader use at Nazarbayev University; the 2005 Anji remark is the coinage
    lvshui = entries["lvshui_qingshan"]
    assert (lvshui.first_used, lvshui.coined) == ("2013-09-07", "2005-08-15") and "Anji" in lvshui.coined_source
    assert entries["yigang_shuangze"].first_used_precision == "upper-bound"
