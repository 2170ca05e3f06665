"""The lexicon files: schema, required entries, user dictionary."""

import re

import pytest

from tifa.errors import InputError
from tifa.lexicon import (
    SLOGAN_CATEGORIES,
    load_domain_terms,
    load_slogans,
    user_dictionary,
)

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


# --- your own lexicon ------------------------------------------------------------------

USER_LEXICON = """\
# a researcher's lexicon
slogans:
  - id: shige_jujiao
    zh: "十个聚焦"
    en: "Ten Focuses"
    category: party_discipline
    patterns: []
    first_used: null
    first_used_precision: unknown
    source: "Shangluo municipal campaign"
  - id: yigang_shuangze
    zh: "一岗双责"
    en: "One Post, Two Responsibilities (redated)"
    category: governance
    patterns: []
    first_used: "2001"
    first_used_precision: upper-bound
    source: "the researcher's own check"
"""


def _user_lexicon(tmp_path, text=USER_LEXICON):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_lexicon_counts_a_new_slogan(tmp_path, seeds):
    from tifa.lexicon import load_lexicon
    from tifa.slogans import SloganMatcher, anachronisms, count_slogans

    matcher = SloganMatcher(load_lexicon(_user_lexicon(tmp_path)))
    counts = count_slogans(seeds, by="city", matcher=matcher)
    shangluo = seeds.docs.set_index("city").loc["商洛市", "text"]
    found = counts[(counts["slogan_id"] == "shige_jujiao") & (counts["count"] > 0)]
    # a fact of the text: the Shangluo speech names 十个聚焦 once ("围绕十个聚焦和五个领域专项治理"), no other seed does
    assert found[["city", "count"]].values.tolist() == [["商洛市", shangluo.count("十个聚焦")]] == [["商洛市", 1]]
    assert "十个聚焦" not in {s.zh for s in load_lexicon()}, "not in the packaged lexicon"
    assert anachronisms(seeds, matcher).query("slogan_id == 'shige_jujiao'").empty, "no date: no anachronism"


def test_extend_replaces_packaged_ids_in_place_and_replace_keeps_only_the_user_entries(tmp_path):
    from tifa.lexicon import load_lexicon

    packaged = load_lexicon()
    path = _user_lexicon(tmp_path)
    extended = load_lexicon(path)
    assert [s.id for s in extended] == [s.id for s in packaged] + ["shige_jujiao"], "the packaged order, the new entry after it"
    redated = next(s for s in extended if s.id == "yigang_shuangze")
    assert (redated.first_used, redated.en, redated.where) == ("2001", "One Post, Two Responsibilities (redated)", f"{path}, line 11")
    assert [s.id for s in load_lexicon(path, mode="replace")] == ["shige_jujiao", "yigang_shuangze"]
    with pytest.raises(InputError, match="needs a lexicon file"):
        load_lexicon(None, mode="replace")
    with pytest.raises(InputError, match="mode 'merge'"):
        load_lexicon(path, mode="merge")


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("category: governance", "category: governence"), 14, "category 'governence' is not one of"),
        (('first_used: "2001"', 'first_used: "01/2001"'), 16, "first_used '01/2001' is not YYYY-MM-DD"),
        (("first_used: null", 'first_used: "2019"'), 8, "with precision 'unknown'; write first_used: null"),
        (("patterns: []\n    first_used: null", "patterns:\n      - {regex: '('}\n    first_used: null"), 8, "invalid regex"),
        (('zh: "十个聚焦"', 'zh: "党政同责"'), 3, "a form of the packaged entry dangzheng_tongze"),
        (("  - id: yigang_shuangze", "  - id: shige_jujiao"), 11, "id 'shige_jujiao' repeats entry 1"),
        (("  - id: yigang_shuangze", "  - id: Yigang"), 11, "not ASCII snake_case"),
    ],
)
def test_a_bad_user_entry_names_the_file_and_its_line(tmp_path, change, line, message):
    from tifa.lexicon import load_lexicon

    path = _user_lexicon(tmp_path, USER_LEXICON.replace(*change))
    with pytest.raises(InputError, match=re.escape(f"{path}, line {line}: ") + ".*" + re.escape(message)):
        load_lexicon(path)


def test_write_lexicon_output_loads_back_and_counts_what_discovery_found(tmp_path, seeds):
    from tifa.cli import main
    from tifa.lexicon import load_lexicon
    from tifa.slogans import SloganMatcher, count_slogans, discover_slogans

    path = tmp_path / "candidates.yaml"
    assert main(["discover", "--min-count", "1", "--top", "10", "--write-lexicon", str(path), "--format", "csv"]) == 0
    candidates = discover_slogans(seeds, min_count=1, n=10)
    written = load_lexicon(path, mode="replace")
    assert [s.zh for s in written] == candidates["candidate"].tolist()
    assert {s.category for s in written} == {"candidate"} and {s.first_used_precision for s in written} == {"unknown"}
    assert len({s.id for s in written}) == len(written) and not {s.id for s in written} & {s.id for s in load_lexicon()}
    counts = count_slogans(seeds, matcher=SloganMatcher(written)).groupby("slogan")["count"].sum()
    # discovery counts quoted phrases inside quotes only; the matcher counts every occurrence
    assert (counts.reindex(candidates["candidate"]).to_numpy() >= candidates["count"].to_numpy()).all()
    assert main(["discover", "--write-lexicon", str(path)]) == 2, "an existing (perhaps reviewed) file is not overwritten"


def test_the_segmenter_keeps_a_user_slogan_whole(tmp_path):
    from tifa.lexicon import load_lexicon, user_dictionary
    from tifa.tokens import Segmenter

    sentence = "围绕十个聚焦和五个领域专项治理"
    assert "十个聚焦" not in Segmenter().cut(sentence)
    mine = Segmenter(user_words=user_dictionary(slogans=load_lexicon(_user_lexicon(tmp_path))))
    assert "十个聚焦" in mine.cut(sentence)


def test_study_parameter_lexicon_is_read_from_the_parameter_file_folder(tmp_path, seeds):
    from tifa.study import Study, load_params, provenance

    _user_lexicon(tmp_path)
    params_file = tmp_path / "study.yaml"
    params_file.write_text("lexicon: mine.yaml\n", encoding="utf-8")
    params = load_params(params_file)
    study = Study.of(seeds, tmp_path / "figures", params)
    assert study.matcher.slogans[-1].id == "shige_jujiao" and len(study.matcher.slogans) == len(load_slogans()) + 1
    assert "十个聚焦" in study.segmenter.cut("围绕十个聚焦和五个领域专项治理")
    assert study.labeller.term("十个聚焦", lang="en") == "Ten Focuses"
    record = provenance(params=params)
    assert record["study_params"]["lexicon"] == "mine.yaml" and "user lexicon mine.yaml" in record["lexicons"], "no machine path"
    params_file.write_text("lexicon: missing.yaml\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not a file"):
        load_params(params_file)
    params_file.write_text("lexicon_mode: replace\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs a lexicon file"):
        load_params(params_file)


def test_cli_lexicon_errors_name_file_and_line(tmp_path, capsys):
    from tifa.cli import main

    path = _user_lexicon(tmp_path, USER_LEXICON.replace("category: governance", "category: other"))
    assert main(["slogans", "--lexicon", str(path)]) == 2
    assert f"{path}, line 14: entry 2 (yigang_shuangze): category 'other'" in capsys.readouterr().err
    assert main(["slogans", "--by", "city", "--lexicon", str(_user_lexicon(tmp_path)), "--lexicon-mode", "replace", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "商洛市,十个聚焦,1," in out and "两学一做" not in out


def test_model_and_hazard_take_the_lexicon_options():
    from tifa.cli import build_parser

    parser = build_parser()
    for command in ("slogans", "panel", "adoption", "kwic", "discover", "anachronisms", "model", "hazard"):
        args = parser.parse_args([command, *(["党政同责"] if command == "kwic" else []), "--lexicon", "x.yaml", "--lexicon-mode", "replace"])
        assert (args.lexicon, args.lexicon_mode) == ("x.yaml", "replace"), command
