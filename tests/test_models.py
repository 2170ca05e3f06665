"""Count and hazard models against simulated panels with known effects, and against statsmodels fitting the same model another way.

What we rely on from pyfixest 0.60 is pinned here: ``fepois`` with an offset, absorbed
fixed effects and CRV1 errors gives statsmodels' GLM with dummies to 1e-6 (coefficients
and, with ``ssc(k_fixef="full")``, standard errors), and its default small-sample
correction differs from that by exactly the documented factor.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tifa.adoption import adoption_events
from tifa.cli import main
from tifa.covariates import read_covariates
from tifa.errors import InputError
from tifa.hazard import adoption_hazard, baseline_bins
from tifa.models import model_table, slogan_model
from tifa.places import add_province_columns
from tifa.simulate import simulate_adoption, simulate_panel

N_COVERAGE = 40  # simulations in the coverage checks here; bench/models.py runs 200 and more


def test_poisson_equals_statsmodels_glm_with_dummies_and_pins_pyfixest_corrections():
    import pyfixest as pf
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    panel, covariates, truth = simulate_panel(slogans=("s1",), random_state=11)
    model = slogan_model(panel, covariates=covariates)
    data = add_province_columns(panel).merge(covariates, on=["province_code", "year"])
    groups = pd.factorize(data["province"], sort=True)[0]
    direct = smf.glm("count ~ gdp + C(province) + C(year)", data, family=sm.families.Poisson(), offset=np.log(data["n_chars"])).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, tol=1e-12
    )
    row = model.set_index("term").loc["gdp"]
    assert row["estimate"] == pytest.approx(direct.params["gdp"], abs=1e-6)
    assert row["se"] == pytest.approx(direct.bse["gdp"], rel=1e-6)  # CRV1, G/(G-1)(N-1)/(N-K), K with every dummy: the same correction
    assert model.attrs["n_obs"] == len(data) == 31 * 15 and model.attrs["n_clusters"] == 31
    assert model.attrs["loglik"] == pytest.approx(direct.llf, rel=1e-9)
    # pyfixest's default (fixest's) leaves the province effects, nested in the province clusters, out of K: a known factor
    data["log_n_chars"] = np.log(data["n_chars"])
    default = pf.fepois("count ~ gdp | province + year", data, offset="log_n_chars", vcov={"CRV1": "province"})
    n, k_full, k_nested = len(data), 1 + 31 + 14, 1 + 14 + 1
    assert default.se()["gdp"] / direct.bse["gdp"] == pytest.approx(np.sqrt((n - k_full) / (n - k_nested)), rel=1e-6)
    assert abs(row["estimate"] - truth["gdp"]) < 4 * row["se"]


def test_count_model_recovers_known_irrs_and_covers_them():
    """Poisson: the IRR of gdp is exp(0.2); 95 % intervals cover it in about 95 % of simulations."""
    covered, estimates = [], []
    for seed in range(N_COVERAGE):
        panel, covariates, truth = simulate_panel(slogans=("s1",), years=range(2011, 2021), random_state=1000 + seed)
        row = slogan_model(panel, covariates=covariates).set_index("term").loc["gdp"]
        estimates.append(row["estimate"])
        covered.append(row["ci_low"] <= truth["gdp"] <= row["ci_high"])
    assert np.mean(estimates) == pytest.approx(0.2, abs=0.01)
    assert np.exp(np.mean(estimates)) == pytest.approx(np.exp(0.2), rel=0.01)  # the IRR
    assert 0.85 <= np.mean(covered) <= 1.0  # 40 draws: a loose band around 0.95 (bench/models.py: 200 draws, 0.92-0.98)


def test_negative_binomial_recovers_the_effect_and_the_dispersion():
    panel, covariates, truth = simulate_panel(alpha=0.3, random_state=7)
    model = slogan_model(panel, family="negbin", covariates=covariates)
    row = model.set_index("term").loc["gdp"]
    assert model.attrs["alpha"] == pytest.approx(0.3, rel=0.25) and model.attrs["theta"] == pytest.approx(1 / model.attrs["alpha"])
    assert abs(row["estimate"] - 0.2) < 3 * row["se"] and row["irr"] == pytest.approx(np.exp(row["estimate"]))
    assert model.attrs["overdispersion_p"] < 1e-6  # against the Poisson: real overdispersion
    assert model.attrs["fixed_effects"] == ["province", "slogan_id^year"]  # two slogans: slogan-by-year effects by default
    poisson = slogan_model(panel, covariates=covariates).set_index("term").loc["gdp"]
    assert abs(poisson["estimate"] - 0.2) < 3 * poisson["se"]  # Poisson with clustered errors stays consistent under overdispersion


def test_table_shows_ratios_intervals_and_a_footnote_and_dashes_degenerate_errors():
    panel, covariates, _ = simulate_panel(slogans=("s1",), random_state=3)
    model = slogan_model(panel, covariates=covariates)
    table = model_table(model).set_index("term")
    row = model.set_index("term").loc["gdp"]
    assert table.loc["gdp", "IRR"] == f"{np.exp(row['estimate']):.3f}" and table.loc["gdp", "95% CI"] == f"[{row['irr_low']:.3f}, {row['irr_high']:.3f}]"
    footnote = table.attrs["footnote"]
    for fact in ("N = 465", "31 clusters", "fixed effects (absorbed, not shown): province, year", "family: Poisson", "log-likelihood", "pseudo-R²"):
        assert fact in footnote
    # a pilot in one province, alone in a model with province effects: its clustered score is zero by construction
    covariates["pilot"] = ((covariates["province_code"] == 430000) & (covariates["year"] >= 2012)).astype(float)
    model = slogan_model(panel, formula="count ~ pilot | province", covariates=covariates)
    pilot = model.set_index("term").loc["pilot"]
    assert pilot["degenerate"] and pd.isna(pilot["se"]) and pd.isna(pilot["p"]) and np.isfinite(pilot["estimate"])
    table = model_table(model).set_index("term")
    assert table.loc["pilot", "SE"] == "—" and table.loc["pilot", "95% CI"] == "—" and table.loc["pilot", "p"] == "—"
    assert table.loc["pilot", "IRR"].endswith("†") and "degenerate standard error" in table.attrs["footnote"]


def test_region_contrasts_with_fixest_interactions_and_non_provinces_left_out():
    panel, covariates, _ = simulate_panel(random_state=5)
    centre = panel[panel["province"] == "北京市"].assign(province="中央")
    model = slogan_model(pd.concat([panel, centre], ignore_index=True), formula="count ~ gdp + i(region, ref='East') | slogan_id^year", covariates=covariates)
    assert set(model["term"]) == {"gdp", "region::Central", "region::West", "region::Northeast"}
    assert model.attrs["dropped"]["not_province"] == len(centre) and any("中央" in n for n in model.attrs["notes"])
    assert model.attrs["n_obs"] == len(panel)


def test_covariate_errors_name_the_file_and_rows(tmp_path):
    path = tmp_path / "cov.csv"
    path.write_text("province,year,gdp\n广东省,2016,1.0\nAtlantis,2016,2.0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cov.csv: row 3 \('Atlantis'\) not a province"):
        read_covariates(path)
    path.write_text("province_code,year,gdp\n440000,2016,1.0\n440000,2016,2.0\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, row 3 share the same province_code and year"):
        read_covariates(path)
    path.write_text("province_code,gdp\n999999,1.0\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2 .*not a GB/T 2260"):
        read_covariates(path)
    panel, covariates, _ = simulate_panel(slogans=("s1",), random_state=2)
    covariates[covariates["year"] < 2020].to_csv(path, index=False)
    with pytest.raises(InputError, match=r"no covariates for 31 province_code × year key\(s\) of the panel, e.g. 北京市 110000 2020"):
        slogan_model(panel, covariates=path)
    time_invariant = pd.DataFrame({"province": ["Beijing", "Tianjin"], "distance": [0.0, 120.0]})
    frame, keys, _ = read_covariates(time_invariant)
    assert keys == ["province_code"] and frame["province_code"].tolist() == [110000, 120000]


def test_a_single_cluster_and_bad_options_are_reported():
    panel, covariates, _ = simulate_panel(slogans=("s1",), random_state=4)
    one = panel[panel["province"] == "湖南省"]
    model = slogan_model(one, formula="count ~ gdp", fixed_effects=(), covariates=covariates)
    assert model.attrs["cluster"] is None and any("one province only" in n for n in model.attrs["notes"])
    assert model.attrs["ssc"].startswith("iid") and "model-based standard errors" in model_table(model).attrs["footnote"]
    with pytest.raises(InputError, match=r"singletons \(15\)"):  # one province, year effects: every cell alone in its year
        slogan_model(one, formula="count ~ gdp", fixed_effects="year", covariates=covariates)
    with pytest.raises(InputError, match="family must be"):
        slogan_model(panel, family="logit")
    with pytest.raises(InputError, match="fixed effects are given twice"):
        slogan_model(panel, formula="count ~ 1 | province", fixed_effects="year")
    with pytest.raises(InputError, match="no column \\['city'\\]"):
        slogan_model(panel, fixed_effects="city")


# --- hazard -------------------------------------------------------------------------------


def test_baseline_bins_pool_until_each_has_an_event_and_a_non_event():
    values = pd.Series([0, 0, 1, 1, 2, 3, 3, 4])
    events = pd.Series([0, 1, 0, 0, 1, 0, 0, 0])
    bins = baseline_bins(values, events)
    assert bins.astype(str).tolist() == ["0", "0", "1-4", "1-4", "1-4", "1-4", "1-4", "1-4"]  # 3 and 4 hold no event: joined to the last bin
    assert list(bins.cat.categories) == ["0", "1-4"]


def test_hazard_recovers_covariate_and_neighbour_effects_and_covers_them():
    covered, estimates = [], []
    for seed in range(N_COVERAGE // 2):
        adoption, covariates, truth = simulate_adoption(central_first=(2002, 2004, 2006, 2008), random_state=500 + seed)
        model = adoption_hazard(adoption_events(adoption), covariates=covariates, neighbours=True).set_index("term")
        estimates.append(model.loc[["x", "neighbour_share"], "estimate"].to_numpy())
        covered.append(model.loc["x", "ci_low"] <= truth["x"] <= model.loc["x", "ci_high"])
    mean = np.mean(estimates, axis=0)
    assert mean[0] == pytest.approx(0.4, abs=0.08) and mean[1] == pytest.approx(1.0, abs=0.35)
    assert np.mean(covered) >= 0.8


def test_hazard_excludes_left_censored_pairs_and_states_its_specification():
    adoption, covariates, _ = simulate_adoption(late_entry=0.6, random_state=9)
    periods = adoption_events(adoption)
    assert periods.attrs["excluded"]["left_censored"] == int(adoption["left_censored"].sum()) > 0
    left = adoption[adoption["left_censored"]]
    assert not set(zip(left["province"], left["slogan_id"])) & set(zip(periods["province"], periods["slogan_id"]))
    assert (periods.groupby(["province", "slogan_id"])["year"].min() >= periods.groupby(["province", "slogan_id"])["risk_start"].first()).all()
    model = adoption_hazard(periods, link="logit", covariates=covariates)
    assert list(model["term"]) == ["x"] and "odds_ratio" in model.columns and model.attrs["ratio"] == "OR"
    footnote = model_table(model).attrs["footnote"]
    assert "discrete-time logit" in footnote and "left-censored" in footnote and "duration bins" in footnote
    with pytest.raises(InputError, match="needs both adoptions"):
        adoption_hazard(periods.assign(event=0))


def test_cli_model_and_hazard(tmp_path, capsys):
    rows = []
    for i, province in enumerate(["湖南省", "河北省", "广东省", "青海省", "江西省"]):
        for year in (2015, 2016, 2017):
            text = "协调推进四个全面战略布局。" * (1 + (i + year) % 3) if year >= 2016 - i % 2 else "发展经济。"
            rows.append({"doc_id": f"{province}{year}", "text": text + "坚持稳中求进工作总基调。", "province": province, "year": year})
    corpus = tmp_path / "c.jsonl"
    pd.DataFrame(rows).to_json(corpus, orient="records", lines=True, force_ascii=False)
    covariates = tmp_path / "cov.csv"
    pd.DataFrame([(p, y, float((i * 7 + y * 3) % 5)) for i, p in enumerate(["湖南", "河北", "广东", "青海", "江西"]) for y in (2015, 2016, 2017)], columns=["province", "year", "gdp"]).to_csv(covariates, index=False)
    assert main(["model", "--corpus", str(corpus), "--slogans", "四个全面", "--covariates", str(covariates), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(io.StringIO(captured.out))
    assert table["term"].tolist() == ["gdp"] and {"irr", "irr_low", "irr_high"} <= set(table.columns)
    assert "5 clusters" in captured.err and "fewer than about 20-50 clusters" in captured.err
    assert main(["model", "--corpus", str(corpus), "--slogans", "四个全面", "--covariates", str(covariates), "--family", "negbin"]) == 0
    assert "IRR" in capsys.readouterr().out
    assert main(["model", "--corpus", str(corpus), "--covariates", str(tmp_path / "none.csv")]) == 2
    assert "no such covariates file" in capsys.readouterr().err
    centre = tmp_path / "centre.jsonl"
    pd.DataFrame([{"doc_id": f"c{y}", "text": ("协调推进四个全面战略布局。" if y >= 2015 else "发展经济。"), "year": y} for y in (2014, 2015, 2016)]).to_json(centre, orient="records", lines=True, force_ascii=False)
    assert main(["hazard", "--corpus", str(corpus), "--central", str(centre), "--slogans", "四个全面", "--covariates", str(covariates), "--link", "logit", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert pd.read_csv(io.StringIO(captured.out))["term"].tolist() == ["gdp"]
    # 四个全面 dates from 2014-12 in the lexicon: the two provinces using it in their first year, 2015, are left-censored
    assert "N = 6 province-slogan-years at risk" in captured.err and "2 province-slogan pairs left-censored" in captured.err and "discrete-time logit" in captured.err
