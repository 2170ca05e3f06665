"""Integration: the national government work reports from ../shared (skipped when absent)."""

import json
import re

import numpy as np

from tifa.text import count_han


def test_records_and_year_less_resolutions_reported(gov_reports):
    assert len(gov_reports) == 72
    assert gov_reports.docs["year"].notna().sum() == 52
    assert len(gov_reports.problems) == 20
    titles = gov_reports.docs.set_index("doc_id").loc[gov_reports.problems["doc_id"], "title"]
    assert titles.str.endswith("关于政府工作报告的决议").all()


def test_wikisource_footer_removed(gov_reports, gov_reports_path):
    raw = [json.loads(line)["content"] for line in gov_reports_path.open(encoding="utf-8")]
    assert sum("公有领域" in text for text in raw) == 65
    for text in gov_reports.docs["text"]:
        assert "公有领域" not in text and "Public domain" not in text and "维基文库" not in text


def test_wiki_line_breaks_repaired_and_characters_normalised(gov_reports):
    texts = gov_reports.docs.set_index("year")["text"]
    joined = "".join(gov_reports.docs["text"])
    assert "政府工作报\n" not in joined
    assert not re.search("[\u200b-\u200d\ufeff]", joined)
    assert not re.search("[\uff10-\uff19]", joined)
    assert "１９５５年国家决算" not in texts[1956] and "1955年国家决算" in texts[1956]
    assert "广义货币M2" in texts[2019]


def test_1954_converted_to_simplified(gov_reports):
    summary = gov_reports.summary().set_index("year")
    assert summary.loc[1954, "converted_script"]
    assert summary["converted_script"].sum() == 1
    text = gov_reports.docs.set_index("year").at[1954, "text"]
    assert "全国人民代表大会" in text and "全國人民代表大會" not in text


def test_report_sizes(gov_reports):
    """About 1.1 M characters in all (Han characters: 0.97 M); 1975 is the shortest report, 1955 (First Five-Year Plan) the longest."""
    with_year = gov_reports.docs[gov_reports.docs["year"].notna()]
    assert 900_000 < with_year["n_chars"].sum() < 1_100_000
    sizes = with_year.set_index("year")["n_chars"]
    assert sizes.idxmin() == 1975 and sizes.idxmax() == 1955
    assert all(count_han(t) > 0 for t in gov_reports.docs["text"])


def test_keyness_of_2025_finds_its_formulae(gov_reports):
    from tifa.stats import build_dfm, textstat_keyness
    from tifa.tokens import Segmenter, tokens

    x = build_dfm(tokens(gov_reports, Segmenter("rjieba", hmm=False), cache_dir=None))
    key = textstat_keyness(x, 2025, by="year").set_index("term")
    assert key.loc["新质生产力", "direction"] == "over" and key.loc["新质生产力", "reference_count"] > 0
    assert key.loc["计划经济", "direction"] == "under"


def test_slogan_timeline_of_the_national_reports(gov_reports):
    from tifa.slogans import anachronisms, count_slogans

    by_year = count_slogans(gov_reports, by="year")
    first = by_year[by_year["count"] > 0].groupby("slogan")["year"].min()
    assert first["生态文明"] == 2008, "生态文明 first appears in the 2008 report, none before"
    assert first["新质生产力"] == 2024 and first["两个确立"] == 2022 and first["中国式现代化"] == 2023
    assert anachronisms(gov_reports).empty, "the lexicon dates every entry no later than its first national use"


def test_discovery_on_the_national_reports(gov_reports):
    from tifa.slogans import discover_slogans

    top = discover_slogans(gov_reports, n=20)
    assert {"三农", "一国两制", "四个现代化", "四项基本原则"} <= set(top["candidate"])


def test_no_page_chrome_or_split_in_the_national_reports(gov_reports):
    """Wikisource pages carry no page chrome inside lines and no over-long lines: span rules and splits must not fire."""
    summary = gov_reports.summary()
    assert summary["n_spans_removed"].sum() == 0
    assert summary["n_splits"].sum() == 0


def test_sections_of_the_2024_report(gov_reports):
    paras = gov_reports.paragraphs()
    report = paras[paras["year"] == 2024]
    # read off the text: title, delivery line and speaker, then 各位代表：
    front = report[report["part"] == "front"]["text"].tolist()
    assert front == ["政府工作报告", "——2024年3月5日在第十四届全国人民代表大会第二次会议上", "国务院总理李强"]
    assert report["part"].tolist() == ["front"] * 3 + ["body"] * (len(report) - 3) and report["text"].iloc[3] == "各位代表："
    # the three parts of the 2024 report, read off its text
    tops = list(dict.fromkeys(s.split(" > ")[0] for s in report["section"] if s))
    assert tops == ["一、2023年工作回顾", "二、2024年经济社会发展总体要求和政策取向", "三、2024年政府工作任务"]
    tasks = report[report["section"].str.startswith("三、2024年政府工作任务 > （")]["section"].str.split(" > ").str[1].unique()
    assert len(tasks) == 10 and tasks[0] == "（一）大力推进现代化产业体系建设，加快发展新质生产力"


def test_genre_stopwords_follow_their_rule(gov_reports):
    """Every word of stopwords_genre.txt is spread over >= 90 % of the 2000-2025 reports with DP_norm <= 0.35 (its rule)."""
    import stopwordsiso

    from tifa import config
    from tifa.corpus import Corpus
    from tifa.util.files import read_lines
    from tifa.stats import build_dfm, dispersion_dp_norm
    from tifa.tokens import TokenFilter, tokens

    docs = gov_reports.docs[gov_reports.docs["year"].between(2000, 2025) & (gov_reports.docs["n_chars"] >= 5000)].reset_index(drop=True)
    modern = Corpus(docs, gov_reports.audit, gov_reports.problems, gov_reports.source)
    dfm = build_dfm(tokens(modern, token_filter=TokenFilter(stopwords=frozenset(stopwordsiso.stopwords("zh"))), progress=False))
    share = dict(zip(dfm.features, np.asarray((dfm.matrix > 0).sum(axis=0)).ravel() / dfm.shape[0]))
    dp = dict(zip(dfm.features, dispersion_dp_norm(dfm.matrix)))
    for word in read_lines(config.STOPWORDS_GENRE):
        assert share.get(word, 0) >= 0.9 and dp[word] <= 0.35, (word, share.get(word), dp.get(word))
