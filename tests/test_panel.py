"""Slogans across provinces and years: panel, adoption, censoring, event rows and export, on corpora whose answers are known by construction.

The corpora are paragraphs of the packaged national reports that mention no
lexicon entry, assigned to provinces and years, with known slogan sentences
inserted: every count, first year and lag below follows from the placements.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from tifa import load_corpus
from tifa.cli import main
from tifa.errors import InputError
from tifa.adoption import adoption_curves, adoption_events, adoption_skip_reason, slogan_adoption
from tifa.export import stata_names, write_table
from tifa.panel import poisson_interval, slogan_panel, widespread_slogans
from tifa.slogans import SloganMatcher

SENTENCES = {  # each matches exactly its own entry once (checked below)
    "sanyan_sanshi": "各级党组织要认真开展三严三实专题教育。",
    "liangxue_yizuo": "扎实推进两学一做学习教育。",
}
PROVINCES = ["河北省", "湖南省", "青海省", "广东省"]
YEARS = [2014, 2015, 2016, 2017, 2018]
ABSENT = {("青海省", 2015)}  # no document: a balanced row with zero exposure
# (province, year, document number) -> mentions inserted
PLACEMENTS = {
    ("湖南省", 2014, 0): {"sanyan_sanshi": 2},
    ("河北省", 2015, 0): {"sanyan_sanshi": 1},
    ("青海省", 2016, 0): {"sanyan_sanshi": 1},
    ("湖南省", 2016, 0): {"liangxue_yizuo": 1},
    ("湖南省", 2016, 1): {"liangxue_yizuo": 2},
    ("河北省", 2017, 0): {"liangxue_yizuo": 1},
    ("河北省", 2018, 0): {"liangxue_yizuo": 2},
    ("青海省", 2014, 0): {"liangxue_yizuo": 1},  # before the slogan's first official use (2016-02)
}
DOCS_IN = {("湖南省", 2016): 2}
CENTRAL_FIRST = {"sanyan_sanshi": 2015, "liangxue_yizuo": 2016}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def matcher():
    return SloganMatcher()


@pytest.fixture(scope="module")
def filler(matcher):
    """Paragraphs of the national reports without any slogan of the lexicon (50–200 characters)."""
    from tifa.datasets import national_reports

    paragraphs = national_reports().paragraphs()
    texts = [t for t in paragraphs["text"] if 50 <= len(t) <= 200 and not matcher.count(t).any() and not t.startswith(("一", "二", "（"))]
    assert len(texts) >= 200
    return texts


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory, filler):
    """The province × year corpus: 3 filler paragraphs per document, inserted sentences as paragraphs of their own."""
    rows, expected_chars, k = [], {}, 0
    for province in PROVINCES:
        for year in YEARS:
            if (province, year) in ABSENT:
                continue
            for d in range(DOCS_IN.get((province, year), 1)):
                paragraphs = filler[k : k + 3]
                k += 3
                for slogan, n in PLACEMENTS.get((province, year, d), {}).items():
                    # n mentions in one paragraph (cleaning drops repeated paragraphs, not repeated sentences)
                    paragraphs = paragraphs[:1] + [SENTENCES[slogan] * n] + paragraphs[1:]
                text = "\n\n".join(paragraphs)
                rows.append({"id": f"{province}-{year}-{d}", "content": text, "province": province, "year": year})
                expected_chars[(province, year)] = expected_chars.get((province, year), 0) + len(HAN.findall(text))
    path = write_jsonl(tmp_path_factory.mktemp("diffusion") / "provinces.jsonl", rows)
    central_rows = [
        {"id": f"centre-{y}", "content": filler[200 + y - 2012] + ("\n\n" + "\n\n".join(SENTENCES[s] for s, first in CENTRAL_FIRST.items() if y >= first)), "year": y}
        for y in range(2012, 2019)
    ]
    central = write_jsonl(path.parent / "centre.jsonl", central_rows)
    return {"path": path, "central": central, "chars": expected_chars, "corpus": load_corpus(path, text_field="content", id_field="id")}


def expected_count(province, year, slogan):
    return sum(n.get(slogan, 0) for (p, y, _), n in PLACEMENTS.items() if (p, y) == (province, year))


def test_inserted_sentences_match_only_their_entry(matcher):
    ids = [s.id for s in matcher.slogans]
    for slogan, sentence in SENTENCES.items():
        counts = matcher.count(sentence)
        assert {ids[i]: int(counts[i]) for i in np.flatnonzero(counts)} == {slogan: 1}


# --- the panel ------------------------------------------------------------------------


def test_panel_is_balanced_with_counts_exposure_and_empty_cells(built, matcher):
    panel = slogan_panel(built["corpus"], by=["province", "year"], matcher=matcher)
    assert len(panel) == len(PROVINCES) * len(YEARS) * len(matcher.slogans)
    assert set(map(tuple, panel[["province", "year"]].drop_duplicates().to_numpy().tolist())) == {(p, y) for p in PROVINCES for y in YEARS}
    for (province, year), part in panel.groupby(["province", "year"]):
        n_docs = 0 if (province, year) in ABSENT else DOCS_IN.get((province, year), 1)
        assert (part["n_docs"] == n_docs).all()
        assert (part["n_chars"] == built["chars"].get((province, year), 0)).all()
        for slogan in SENTENCES:
            assert part.loc[part["slogan_id"] == slogan, "count"].item() == expected_count(province, year, slogan)
    others = panel[~panel["slogan_id"].isin(list(SENTENCES))]
    assert (others["count"] == 0).all()
    empty = panel[(panel["province"] == "青海省") & (panel["year"] == 2015)]
    assert (empty["n_chars"] == 0).all() and empty["per_10k"].isna().all() and empty["ci_high"].isna().all()
    row = panel[(panel["province"] == "湖南省") & (panel["year"] == 2016) & (panel["slogan_id"] == "liangxue_yizuo")].iloc[0]
    assert row["count"] == 3 and row["per_10k"] == pytest.approx(3 / built["chars"][("湖南省", 2016)] * 10_000)


def test_panel_selects_slogans_by_id_or_form_and_refuses_unknown(built, matcher):
    panel = slogan_panel(built["corpus"], slogans=["两学一做", "sanyan_sanshi"], matcher=matcher)
    assert list(dict.fromkeys(panel["slogan_id"])) == [s.id for s in matcher.slogans if s.id in SENTENCES]
    assert panel["count"].sum() == sum(n for placed in PLACEMENTS.values() for n in placed.values())
    with pytest.raises(InputError, match="not in the lexicon"):
        slogan_panel(built["corpus"], slogans=["no_such_slogan"], matcher=matcher)
    with pytest.raises(InputError, match="no docvar \\['level'\\]"):
        slogan_panel(built["corpus"], by=["province", "level"], matcher=matcher)


def test_garwood_interval_has_its_textbook_values():
    low, high = poisson_interval(np.array([0, 1, 10]))
    assert low[0] == 0 and high[0] == pytest.approx(-np.log(0.025), abs=1e-9)  # 3.6889: P(0 | μ) = 0.025
    assert low[1] == pytest.approx(-np.log(0.975), abs=1e-9) and high[1] == pytest.approx(5.5716, abs=1e-4)
    assert low[2] == pytest.approx(4.7954, abs=1e-4) and high[2] == pytest.approx(18.3904, abs=1e-4)


# --- adoption ------------------------------------------------------------------------------

FIRST = {  # (province, slogan) -> first year; absent: never
    ("湖南省", "sanyan_sanshi"): 2014,
    ("河北省", "sanyan_sanshi"): 2015,
    ("青海省", "sanyan_sanshi"): 2016,
    ("湖南省", "liangxue_yizuo"): 2016,
    ("河北省", "liangxue_yizuo"): 2017,
    ("青海省", "liangxue_yizuo"): 2014,
}
FIRST_USED_YEAR = {"sanyan_sanshi": 2014, "liangxue_yizuo": 2016}


def test_adoption_first_year_doc_count_lags_and_censoring(built, matcher):
    table = slogan_adoption(built["corpus"], by="province", time="year", central=load_corpus(built["central"], text_field="content", id_field="id"), slogans=list(SENTENCES), matcher=matcher)
    assert len(table) == len(PROVINCES) * len(SENTENCES)
    for row in table.itertuples(index=False):
        first = FIRST.get((row.province, row.slogan_id))
        assert row.first_observed == 2014 and row.last_observed == 2018
        assert row.missing_years == ("2015" if row.province == "青海省" else "")
        assert not row.left_censored and not row.lag_is_bound  # every province is observed from 2014, no slogan is older than that
        if first is None:
            assert pd.isna(row.first_year) and row.right_censored and not row.adopted and row.count_first_year == 0
            assert pd.isna(row.lag_vs_first_used) and pd.isna(row.lag_vs_central)
            continue
        assert row.first_year == first and row.adopted and not row.right_censored
        assert row.count_first_year == sum(n.get(row.slogan_id, 0) for (p, y, _), n in PLACEMENTS.items() if (p, y) == (row.province, first))
        assert row.lag_vs_first_used == first - FIRST_USED_YEAR[row.slogan_id]
        assert row.early_vs_first_used == (first < FIRST_USED_YEAR[row.slogan_id])
        assert row.central_first_year == CENTRAL_FIRST[row.slogan_id]
        assert row.lag_vs_central == first - CENTRAL_FIRST[row.slogan_id]
        assert row.early_vs_central == (first < CENTRAL_FIRST[row.slogan_id])
    hunan = table[(table["province"] == "湖南省") & (table["slogan_id"] == "liangxue_yizuo")].iloc[0]
    assert hunan["first_doc"] == "湖南省-2016-0" and hunan["count_first_year"] == 3  # two documents that year: the smaller id
    qinghai = table[(table["province"] == "青海省") & (table["slogan_id"] == "liangxue_yizuo")].iloc[0]
    assert qinghai["lag_vs_first_used"] == -2 and qinghai["early_vs_first_used"] and qinghai["lag_vs_central"] == -2  # kept, not clipped
    assert (hunan["province_code"], hunan["province_en"], hunan["region"]) == (430000, "Hunan", "Central")
    assert list(table.columns[:4]) == ["province", "province_code", "province_en", "region"]


def test_adoption_against_the_packaged_national_reports(built, matcher):
    table = slogan_adoption(built["corpus"], central="national", slogans=["shengtai_wenming"], matcher=matcher)
    assert (table["central_first_year"] == 2008).all()  # 生态文明 first occurs in the 2008 report (README, tested in test_slogans)
    assert table["right_censored"].all()


def test_adoption_curves_count_only_the_groups_observed_each_year(built, matcher):
    adoption = slogan_adoption(built["corpus"], slogans=list(SENTENCES), matcher=matcher)
    curves = adoption_curves(adoption, slogans=["liangxue_yizuo"])
    assert curves["year"].tolist() == YEARS
    assert curves["n_groups"].eq(4).all()
    assert curves["n_at_risk"].tolist() == [4, 3, 4, 4, 4]  # 青海 has no document in 2015
    assert curves["n_adopted"].tolist() == [1, 0, 2, 3, 3]  # 青海 (2014) drops out of both counts in 2015
    assert curves["share"].tolist() == [0.25, 0.0, 0.5, 0.75, 0.75]
    assert curves["n_left_censored"].eq(0).all()


def test_adoption_curves_of_one_group_are_skipped_with_the_reason(built, matcher):
    adoption = slogan_adoption(built["corpus"], slogans=list(SENTENCES), matcher=matcher)
    curves = adoption_curves(adoption[adoption["province"] == "湖南省"], slogans=["liangxue_yizuo"])  # a share of one group is 0 or 1
    assert curves.empty and curves.attrs["skipped"] == "one province (湖南省): a share of provinces that have adopted needs two or more"


def test_event_rows_start_at_the_later_of_entry_and_first_use_and_skip_missing_years(built, matcher):
    adoption = slogan_adoption(built["corpus"], slogans=list(SENTENCES), matcher=matcher)  # no centre: the lexicon dates open the risk set
    events = adoption_events(adoption)
    rows = {key: list(zip(part["year"], part["event"], part["duration"], part["after_gap"])) for key, part in events.groupby(["province", "slogan_id"], sort=False)}
    # liangxue_yizuo: lexicon 2016-02, so rows start in 2016
    assert rows[("广东省", "liangxue_yizuo")] == [(2016, 0, 0, 0), (2017, 0, 1, 0), (2018, 0, 2, 0)]
    assert rows[("河北省", "liangxue_yizuo")] == [(2016, 0, 0, 0), (2017, 1, 1, 0)]
    assert rows[("湖南省", "liangxue_yizuo")] == [(2016, 1, 0, 0)]
    assert ("青海省", "liangxue_yizuo") not in rows  # used in 2014, before the slogan existed: not in the risk set
    # sanyan_sanshi: lexicon 2014; 青海 has no 2015 document, so no 2015 row and its 2016 adoption follows a gap
    assert rows[("青海省", "sanyan_sanshi")] == [(2014, 0, 0, 0), (2016, 1, 2, 1)]
    assert rows[("湖南省", "sanyan_sanshi")] == [(2014, 1, 0, 0)]
    assert [r[0] for r in rows[("广东省", "sanyan_sanshi")]] == YEARS and sum(r[1] for r in rows[("广东省", "sanyan_sanshi")]) == 0
    assert events.attrs["excluded"] == {"left_censored": 0, "adopted_before_risk_start": 1, "not_observed_at_risk": 0}
    assert any("before the slogan's first central use" in n for n in events.attrs["notes"])
    # contiguity: 广东 borders 湖南 (adopted sanyan_sanshi in 2014, observed from 2014): share 1 from 2015; 河北 and 青海 have no neighbour in the corpus
    guangdong = events[(events["province"] == "广东省") & (events["slogan_id"] == "sanyan_sanshi")]
    assert guangdong["n_neighbours"].tolist() == [0, 1, 1, 1, 1] and guangdong["neighbour_share"].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert guangdong["no_neighbour"].tolist() == [1, 0, 0, 0, 0]
    assert (events.loc[events["province"] == "青海省", "no_neighbour"] == 1).all()


def test_left_censoring_lag_bounds_and_a_one_year_corpus(built, matcher, tmp_path):
    """Observed from 2017 only, a 2014 slogan already in use is left-censored; one year gets no curves."""
    rows = []
    for province, text in (("湖南省", SENTENCES["sanyan_sanshi"]), ("河北省", ""), ("中央", SENTENCES["sanyan_sanshi"] + SENTENCES["liangxue_yizuo"])):
        rows.append({"id": f"{province}-2017", "content": "各地区各部门认真贯彻落实党中央决策部署，推动经济社会持续健康发展。" + text, "province": province, "year": 2017})
    one_year = load_corpus(write_jsonl(tmp_path / "one.jsonl", rows), text_field="content", id_field="id")
    adoption = slogan_adoption(one_year, central="province: 中央", slogans=list(SENTENCES), matcher=matcher).set_index(["province", "slogan_id"])
    assert set(adoption.index.get_level_values(0)) == {"湖南省", "河北省"}  # the centre is not a group
    hunan = adoption.loc[("湖南省", "sanyan_sanshi")]
    assert hunan["left_censored"] and hunan["lag_is_bound"] and hunan["lag_vs_first_used"] == 3 and hunan["central_first_year"] == 2017
    assert adoption.loc[("河北省", "sanyan_sanshi"), "right_censored"] and not adoption.loc[("河北省", "sanyan_sanshi"), "left_censored"]
    assert adoption["right_censored"].sum() == 3 and adoption["left_censored"].sum() == 1
    table = adoption.reset_index()
    table.attrs.update(adoption.attrs)
    curves = adoption_curves(table)
    assert curves.empty and "one year (2017)" in curves.attrs["skipped"]
    assert adoption_skip_reason(table) == curves.attrs["skipped"]
    events = adoption_events(table)
    assert events.attrs["excluded"]["left_censored"] == 1 and ("湖南省", "sanyan_sanshi") not in set(zip(events["province"], events["slogan_id"]))
    assert any("left-censored" in n for n in events.attrs["notes"])


def test_adoption_needs_its_docvars_and_a_known_central(built, matcher):
    with pytest.raises(InputError, match="no docvar \\['city'\\]"):
        slogan_adoption(built["corpus"], by="city", matcher=matcher)
    with pytest.raises(InputError, match="neither a packaged dataset"):
        slogan_adoption(built["corpus"], central="provincial", matcher=matcher)
    with pytest.raises(InputError, match="no document has province = '中央'"):
        slogan_adoption(built["corpus"], central="province: 中央", matcher=matcher)
    with pytest.raises(InputError, match="no docvar 'level'"):
        slogan_adoption(built["corpus"], central="level: central", matcher=matcher)


# --- export ----------------------------------------------------------------------------------


def test_stata_round_trip_keeps_values_and_labels(built, matcher, tmp_path):
    panel = slogan_panel(built["corpus"], slogans=list(SENTENCES), matcher=matcher)
    path = write_table(panel, tmp_path / "panel.dta", title="slogan panel")
    back = pd.read_stata(path)
    assert list(back.columns) == list(panel.columns)
    assert back["province"].tolist() == panel["province"].tolist() and back["slogan"].tolist() == panel["slogan"].tolist()
    assert back["count"].tolist() == panel["count"].tolist() and back["year"].tolist() == panel["year"].tolist()
    assert np.allclose(back["per_10k"], panel["per_10k"], atol=1e-6, equal_nan=True)
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        assert reader.data_label == "slogan panel"
    assert labels["n_chars"].startswith("exposure") and labels["per_10k"] == "mentions per 10,000 Han characters"
    assert write_table(panel, tmp_path / "again.dta", title="slogan panel").read_bytes() == path.read_bytes()  # no time stamp
    events = adoption_events(slogan_adoption(built["corpus"], slogans=list(SENTENCES), matcher=matcher))
    back = pd.read_stata(write_table(events, tmp_path / "events.dta"))
    assert back["event"].tolist() == events["event"].tolist() and back["year"].tolist() == events["year"].tolist()
    assert back["province_code"].tolist() == events["province_code"].astype(int).tolist()
    with pd.io.stata.StataReader(tmp_path / "events.dta") as reader:
        assert reader.variable_labels()["province_code"].startswith("GB/T 2260")


def test_stata_names_are_valid_unique_and_keep_the_original_in_the_label(tmp_path):
    names = stata_names(["省份", "年份", "in", "2x", "a" * 40, "a" * 40 + "b"])
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", n) for n in names.values())
    assert len(set(names.values())) == 6 and names["in"] == "v_in" and names["2x"] == "v_2x"
    table = pd.DataFrame({"省份": ["湖南省"], "count": [1]})
    with pd.io.stata.StataReader(write_table(table, tmp_path / "t.dta")) as reader:
        assert reader.variable_labels()[names["省份"]] == "省份"  # the original name survives as the label


def test_csv_and_parquet_exports_round_floats(built, matcher, tmp_path):
    panel = slogan_panel(built["corpus"], slogans=["sanyan_sanshi"], matcher=matcher)
    csv = (write_table(panel, tmp_path / "p.csv")).read_text(encoding="utf-8")
    assert re.search(r",\d+\.\d{6}(,|\n)", csv) and not re.search(r"\.\d{7,}", csv)
    back = pd.read_parquet(write_table(panel, tmp_path / "p.parquet"))
    assert back["count"].tolist() == panel["count"].tolist()
    with pytest.raises(InputError, match="cannot tell the format"):
        write_table(panel, tmp_path / "p.xlsx")


def test_cli_panel_and_adoption(built, tmp_path, capsys):
    args = ["--corpus", str(built["path"]), "--text-field", "content", "--id-field", "id"]
    assert main(["panel", *args, "--by", "province", "year", "--slogans", "两学一做", "--format", "dta", "--output", str(tmp_path / "p.dta")]) == 0
    back = pd.read_stata(tmp_path / "p.dta")
    assert len(back) == len(PROVINCES) * len(YEARS) and back["count"].sum() == 7
    assert main(["panel", *args, "--format", "parquet"]) == 2
    assert "give --output" in capsys.readouterr().err
    assert main(["adoption", *args, "--central", str(built["central"]), "--central-text-field", "content", "--slogans", "sanyan_sanshi", "--format", "csv"]) == 0
    table = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert dict(zip(table["province"], table["lag_vs_central"].fillna(99))) == {"广东省": 99, "河北省": 0, "湖南省": -1, "青海省": 1}
    assert main(["adoption", *args, "--events", "--slogans", "sanyan_sanshi", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("province,province_code,province_en,region,slogan_id,slogan,year,origin,risk_start,duration,event,after_gap")
    assert ",430000,Hunan,Central," in out


# --- slogans followed ---------------------------------------------------------------------


def test_widespread_slogans_rank_by_groups_then_mentions(built, matcher):
    panel = slogan_panel(built["corpus"], matcher=matcher)
    assert widespread_slogans(panel, 5) == ["liangxue_yizuo", "sanyan_sanshi"]  # 3 provinces each; 7 mentions against 4
