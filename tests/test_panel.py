"""Slogans across provinces and years: panel, adoption, events, export and models, on corpora whose answers are known by construction.

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
from tifa.adoption import adoption_curves, adoption_events, slogan_adoption
from tifa.export import stata_names, write_table
from tifa.models import choose_effects, slogan_model
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
        assert row.entry == 2014 and row.last == 2018
        if first is None:
            assert pd.isna(row.first_year) and row.censored and not row.adopted and row.count_first_year == 0
            assert pd.isna(row.lag_vs_first_used) and pd.isna(row.lag_vs_central)
            continue
        assert row.first_year == first and row.adopted and not row.censored
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


def test_adoption_against_the_packaged_national_reports(built, matcher):
    table = slogan_adoption(built["corpus"], central="national", slogans=["shengtai_wenming"], matcher=matcher)
    assert (table["central_first_year"] == 2008).all()  # 生态文明 first occurs in the 2008 report (README, tested in test_slogans)
    assert table["censored"].all()


def test_adoption_curves_and_event_history(built, matcher):
    adoption = slogan_adoption(built["corpus"], slogans=list(SENTENCES), matcher=matcher)
    curves = adoption_curves(adoption, slogans=["liangxue_yizuo"])
    assert curves["year"].tolist() == YEARS
    assert curves["n_groups"].eq(4).all()
    assert curves["n_adopted"].tolist() == [1, 1, 2, 3, 3]
    assert curves["share"].tolist() == [0.25, 0.25, 0.5, 0.75, 0.75]
    events = adoption_events(adoption).set_index(["province", "slogan_id"])
    guangdong = events.loc[("广东省", "liangxue_yizuo")]
    assert (guangdong["entry"], guangdong["exit"], guangdong["event"], guangdong["censored"], guangdong["duration"]) == (2014, 2018, 0, 1, 4)
    assert (guangdong["start"], guangdong["stop"], guangdong["at_risk"], guangdong["early"]) == (0, 3, 1, 0)
    hebei = events.loc[("河北省", "liangxue_yizuo")]
    assert (hebei["exit"], hebei["event"], hebei["duration"], hebei["start"], hebei["stop"]) == (2017, 1, 3, 0, 2)
    qinghai = events.loc[("青海省", "liangxue_yizuo")]
    assert (qinghai["exit"], qinghai["event"], qinghai["early"], qinghai["at_risk"]) == (2014, 1, 1, 0)


def test_adoption_needs_its_docvars_and_a_known_central(built, matcher):
    with pytest.raises(InputError, match="no docvar \\['city'\\]"):
        slogan_adoption(built["corpus"], by="city", matcher=matcher)
    with pytest.raises(InputError, match="neither a packaged dataset"):
        slogan_adoption(built["corpus"], central="provincial", matcher=matcher)


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
    assert back["event"].tolist() == events["event"].tolist() and back["exit"].tolist() == events["exit"].astype(int).tolist()


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
    assert "entry,exit,event,censored" in capsys.readouterr().out


# --- models ---------------------------------------------------------------------------------

SIM_PROVINCES = ["北京市", "河北省", "湖南省", "江西省", "青海省", "陕西省", "广东省", "辽宁省"]


def simulated_panel(*, seed=20161, alpha=None, trend=0.08):
    """Counts with known province effects, a known year trend and known exposure (Poisson, or NB2 with ``alpha``)."""
    rng = np.random.default_rng(seed)
    effects = dict(zip(SIM_PROVINCES, [0.0, 0.5, -0.4, 0.3, -0.8, 0.2, 0.9, -0.2]))
    rows = []
    for p in SIM_PROVINCES:
        for year in range(2010, 2020):
            n_chars = int(rng.integers(50_000, 200_000))
            mu = np.exp(np.log(50 / 10_000) + effects[p] + trend * (year - 2010)) * n_chars
            count = rng.poisson(mu) if alpha is None else rng.poisson(rng.gamma(1 / alpha, mu * alpha))
            rows.append((p, year, 1, n_chars, "s", "s", "s", int(count)))
    panel = pd.DataFrame(rows, columns=["province", "year", "n_docs", "n_chars", "slogan_id", "slogan", "en", "count"])
    return panel, effects


def test_poisson_model_recovers_simulated_effects_and_equals_statsmodels():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    panel, effects = simulated_panel()
    table = slogan_model(panel, time_effects="trend").set_index("term")
    first = SIM_PROVINCES and sorted(SIM_PROVINCES)[0]  # the reference level
    for p in sorted(SIM_PROVINCES)[1:]:
        assert table.loc[f"province[{p}]", "coef"] == pytest.approx(effects[p] - effects[first], abs=0.08)
    assert table.loc["year (trend)", "coef"] == pytest.approx(0.08, abs=0.01)
    assert table.loc["Intercept", "coef"] == pytest.approx(np.log(50 / 10_000) + effects[first], abs=0.08)
    data = panel.assign(t=panel["year"] - 2010)
    direct = smf.glm("count ~ C(province) + t", data, family=sm.families.Poisson(), offset=np.log(data["n_chars"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["province"], sort=True)[0]}
    )
    assert np.allclose(table["coef"].to_numpy(), direct.params.to_numpy(), rtol=1e-8, atol=1e-9)
    assert np.allclose(table["se"].to_numpy(), direct.bse.to_numpy(), rtol=1e-8, atol=1e-9)
    assert np.allclose(table["p"].to_numpy(), direct.pvalues.to_numpy(), rtol=1e-6, atol=1e-12)
    fe = slogan_model(panel).set_index("term")
    assert fe.loc["year[2019]", "coef"] == pytest.approx(9 * 0.08, abs=0.06)
    assert table.attrs["n_obs"] == 80 and table.attrs["n_clusters"] == 8


def test_negative_binomial_model_recovers_effects_and_dispersion():
    import statsmodels.api as sm

    panel, effects = simulated_panel(alpha=0.05, seed=7)
    table = slogan_model(panel, family="negbin", time_effects="trend").set_index("term")
    assert table.loc["alpha (dispersion)", "coef"] == pytest.approx(0.05, abs=0.03)
    assert table.loc["year (trend)", "coef"] == pytest.approx(0.08, abs=0.03)
    ref = sorted(SIM_PROVINCES)[0]
    errors = [table.loc[f"province[{p}]", "coef"] - (effects[p] - effects[ref]) for p in sorted(SIM_PROVINCES)[1:]]
    assert np.max(np.abs(errors)) < 0.3
    # the GLM at the estimated alpha is statsmodels' own
    alpha = table.loc["alpha (dispersion)", "coef"]
    fixed = slogan_model(panel, family="negbin", time_effects="trend", alpha=alpha, cluster=None)
    design = table.attrs["result"].model.exog
    direct = sm.GLM(panel["count"].to_numpy(float), design, family=sm.families.NegativeBinomial(alpha=alpha), offset=np.log(panel["n_chars"].to_numpy(float))).fit()
    assert np.allclose(fixed["coef"].to_numpy(), direct.params, rtol=1e-8)


def test_region_effects_and_identification():
    panel, _ = simulated_panel()
    region = slogan_model(panel, group_effects="region", time_effects="trend")
    assert {t for t in region["term"] if t.startswith("region[")} == {"region[East]", "region[Northeast]", "region[West]"}  # Central is the reference
    one_year = panel[panel["year"] == panel["province"].map(dict(zip(SIM_PROVINCES, range(2010, 2018))))]
    with pytest.raises(InputError, match="not identified"):
        slogan_model(one_year)
    assert choose_effects(one_year) == {"group_effects": "region", "time_effects": "trend"}
    assert choose_effects(one_year.assign(count=0)) is None


def test_widespread_slogans_rank_by_groups_then_mentions(built, matcher):
    panel = slogan_panel(built["corpus"], matcher=matcher)
    assert widespread_slogans(panel, 5) == ["liangxue_yizuo", "sanyan_sanshi"]  # 3 provinces each; 7 mentions against 4


def test_a_single_cluster_gives_model_based_errors():
    panel, _ = simulated_panel()
    one = panel[panel["province"] == "湖南省"]
    table = slogan_model(one, time_effects="trend")
    assert table.attrs["cluster"] is None and table.attrs["n_clusters"] == 1
    assert np.allclose(table["se"].to_numpy(), np.sqrt(np.diag(table.attrs["result"].cov_params())), atol=1e-9)


def test_levels_without_any_mention_are_left_out():
    panel, _ = simulated_panel()
    panel.loc[panel["province"] == "青海省", "count"] = 0
    table = slogan_model(panel, time_effects="trend")
    assert "province[青海省]" not in set(table["term"]) and table.attrs["n_dropped"] == 10
    assert np.isfinite(table["coef"]).all()
