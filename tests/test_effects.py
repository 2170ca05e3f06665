"""Covariate effects by the method of composition: regressions by hand, the composition's added uncertainty,
clustering by document, contrasts, a planted effect recovered with its interval, what a corpus supports, the CLI."""

import io
import logging

import numpy as np
import pandas as pd
import pytest

from tifa.effects import COLUMNS, choose_prevalence, estimate_effect, topic_contrast, topic_effects
from tifa.errors import InputError
from tifa.simulate import match_topics, planted_units
from tifa.stm import fit_stm, theta_draws


@pytest.fixture(scope="module")
def paragraphs():
    """60 documents of 4 paragraphs; paragraphs of a document share its topic mix (plus paragraph noise)."""
    planted = planted_units(n_docs=60, paragraphs=4, length=30, sd_paragraph=0.7, random_state=11)
    return planted, fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=1)


def _design(model):
    return model.design.matrix


def _cr1(X, y, clusters):
    """Cluster-robust (CR1) covariance of OLS coefficients, by hand."""
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    resid = y - X @ beta
    meat = np.zeros((X.shape[1], X.shape[1]))
    labels = np.unique(clusters)
    for g in labels:
        score = X[clusters == g].T @ resid[clusters == g]
        meat += np.outer(score, score)
    n, p, G = len(y), X.shape[1], len(labels)
    return beta, bread @ meat @ bread * G / (G - 1) * (n - 1) / (n - p)


def test_without_topic_uncertainty_the_draws_are_the_ols_fit_with_clustered_covariance(paragraphs):
    _, model = paragraphs
    effects = estimate_effect(model, uncertainty="none", nsims=1, n_coef=20000, vcov="CR1", labels={}, random_state=2, progress=False)
    X, clusters = _design(model), model.units["doc_id"].to_numpy()
    assert effects.method == "composition: 1 none θ draws, CR1 by doc_id (60)"
    for topic in range(3):
        beta, cov = _cr1(X, model.doc_topic[:, topic], clusters)
        draws = effects.coefficients[:, :, topic]
        assert np.allclose(effects.mean[:, topic], beta)
        assert np.allclose(draws.mean(axis=0), beta, atol=4 * np.sqrt(np.diag(cov) / 20000).max())
        assert np.allclose(np.cov(draws.T), cov, rtol=0.06, atol=1e-7)
    # with one dummy, the expected share of a level is its units' mean share
    table = topic_effects(effects).set_index(["level", "topic"])
    is_b = (model.units["group"] == "b").to_numpy()
    for level, rows in (("a", ~is_b), ("b", is_b)):
        assert np.allclose(table.loc[level]["estimate"], model.doc_topic[rows].mean(axis=0))
    assert table["n_docs"].eq(30).all() and table["value"].isna().all()
    assert table.reset_index().columns.tolist() == ["level", "topic", "label", "covariate", "value", "estimate", "ci_low", "ci_high", "n_docs", "method"]


def test_the_jackknife_covariance_is_pyfixests_crv3_and_the_sandwich_is_the_engines():
    import pyfixest as pf
    from topica.stm import estimate_effect as engine_effect

    from tifa.effects import Regression

    rng = np.random.default_rng(0)
    docs = np.repeat(np.arange(30), rng.integers(1, 8, 30))  # unbalanced: 1 to 7 paragraphs per document
    x = (np.arange(30) % 3)[docs]
    frame = pd.DataFrame({"doc": docs, "x": x.astype(str), "z": rng.normal(size=len(docs))})
    frame["y"] = 0.3 * (x == 1) + 0.1 * frame["z"] + rng.normal(0, 0.2, 30)[docs] + rng.normal(0, 0.1, len(docs))
    X = np.column_stack([np.ones(len(docs)), x == 1, x == 2, frame["z"]]).astype(float)
    beta, cov = Regression(X, docs.astype(str), "CR3").fit(frame[["y"]].to_numpy())
    reference = pf.feols("y ~ C(x) + z", data=frame, vcov={"CRV3": "doc"}, ssc=pf.ssc(k_adj=False, G_adj=False))
    assert np.allclose(beta[:, 0], reference.coef().to_numpy())
    assert np.allclose(cov[0], 29 / 30 * reference._vcov), "CR3 = (G-1)/G × the sum of squared leave-one-document-out shifts"
    _, cr1 = Regression(X, docs.astype(str), "CR1").fit(frame[["y"]].to_numpy())
    engine = engine_effect(frame[["y"]].to_numpy(), X, add_intercept=False, cluster=docs)
    assert np.allclose(cr1[0], engine[0].vcov)
    assert np.all(np.diag(cov[0]) > np.diag(cr1[0])), "the jackknife is wider than the sandwich with few documents per level"


def test_a_raw_year_column_does_not_amplify_the_last_bits():
    import pyfixest as pf

    from tifa.effects import Regression

    # intercept + year as a researcher writes it (values near 2020): X'X has a condition number near 10^13,
    # and a change of y in its last bit (as two CPUs' BLAS kernels give) must not reach the sixth digit
    rng = np.random.default_rng(3)
    docs = np.repeat(np.arange(12), 4)
    frame = pd.DataFrame({"doc": docs, "year": (2010 + docs % 9).astype(float)})
    frame["y"] = 0.02 * (frame["year"] - 2010) + rng.normal(0, 0.05, len(docs))
    X = np.column_stack([np.ones(len(docs)), frame["year"]])
    assert np.linalg.cond(X.T @ X) > 1e11
    beta, cov = Regression(X, docs.astype(str), "CR3").fit(frame[["y"]].to_numpy())
    reference = pf.feols("y ~ year", data=frame, vcov={"CRV3": "doc"}, ssc=pf.ssc(k_adj=False, G_adj=False))
    assert np.allclose(beta[:, 0], reference.coef().to_numpy(), rtol=1e-9)
    assert np.allclose(cov[0], 11 / 12 * reference._vcov, rtol=1e-5)  # pyfixest inverts the raw X'X
    nudged = np.nextafter(frame[["y"]].to_numpy(), 1)
    scaled, scaled_cov = Regression(X, docs.astype(str), "CR3").fit_scaled(frame[["y"]].to_numpy())
    again, again_cov = Regression(X, docs.astype(str), "CR3").fit_scaled(nudged)
    assert np.max(np.abs(again - scaled)) < 1e-12 and np.max(np.abs(again_cov - scaled_cov)) < 1e-12


def test_independent_units_give_the_classical_covariance(paragraphs):
    _, model = paragraphs
    effects = estimate_effect(model, uncertainty="none", nsims=1, n_coef=20000, cluster=None, labels={}, random_state=2, progress=False)
    X, y = _design(model), model.doc_topic[:, 0]
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    sigma2 = np.sum((y - X @ beta) ** 2) / (len(y) - X.shape[1])
    assert np.allclose(np.cov(effects.coefficients[:, :, 0].T), sigma2 * np.linalg.inv(X.T @ X), rtol=0.06)
    assert "units independent" in effects.method


def test_composition_pools_the_regressions_of_every_draw(paragraphs):
    from topica.stm import estimate_effect as pooled

    _, model = paragraphs
    effects = estimate_effect(model, nsims=25, n_coef=400, vcov="CR1", labels={}, random_state=4, progress=False)
    draws = theta_draws(model, nsims=25, random_state=4)
    X, clusters = _design(model), model.units["doc_id"].to_numpy()
    engine = pooled(draws, X, add_intercept=False, cluster=clusters)
    for topic in range(3):
        fits = [_cr1(X, draws[m, :, topic], clusters) for m in range(25)]
        betas = np.array([beta for beta, _ in fits])
        within, between = np.mean([cov for _, cov in fits], axis=0), np.cov(betas.T)
        assert np.allclose(effects.mean[:, topic], betas.mean(axis=0)), "the estimate: the mean of the draws' regressions"
        # stm's simulation: a mixture of the draws' normals, whose variance is within + (M-1)/M between
        spread = np.var(effects.coefficients[:, 1, topic], ddof=1)
        assert spread == pytest.approx(within[1, 1] + 24 / 25 * between[1, 1], rel=0.1)
        assert between[1, 1] > 0.01 * within[1, 1], "the topic model's own uncertainty is in the interval"
        # the engine's Rubin pooling of the same draws: within + (1 + 1/M) between
        assert engine[topic].vcov[1, 1] == pytest.approx(within[1, 1] + 26 / 25 * between[1, 1], rel=1e-6)
        assert np.allclose(engine[topic].coef, betas.mean(axis=0))


def test_a_contrast_is_the_difference_of_the_expected_values(paragraphs):
    _, model = paragraphs
    effects = estimate_effect(model, nsims=5, n_coef=50, labels={0: "zero"}, random_state=4, progress=False)
    expected = topic_effects(effects).set_index(["level", "topic"])["estimate"]
    contrast = topic_contrast(effects, "group", "b", "a")
    assert contrast["level"].eq("b − a").all() and contrast["label"].tolist() == ["zero", "", ""]
    assert np.allclose(contrast["estimate"], expected.loc["b"].to_numpy() - expected.loc["a"].to_numpy(), atol=1e-12)
    assert (contrast["ci_low"] < contrast["estimate"]).all() and (contrast["estimate"] < contrast["ci_high"]).all()
    assert contrast["estimate"].sum() == pytest.approx(0, abs=1e-9), "shares sum to one in both groups"
    with pytest.raises(InputError, match="with itself"):
        topic_contrast(effects, "group", "a", "a")
    with pytest.raises(InputError, match="not a level the model was fitted on"):
        topic_contrast(effects, "group", "a", "c")
    with pytest.raises(InputError, match="not a covariate"):
        topic_contrast(effects, "year", 2000, 2001)


def test_a_year_curve_has_every_year_and_a_numeric_contrast():
    planted = planted_units(n_docs=60, length=30, random_state=2)
    units = planted.units.assign(year=2000 + np.arange(60) % 12)
    model = fit_stm(units, k=3, prevalence="~ group + s(year, df=4)", min_df=1, random_state=1)
    effects = estimate_effect(model, nsims=3, n_coef=20, labels={}, random_state=1, progress=False)
    curve = topic_effects(effects, covariates=["year"])
    assert curve["value"].tolist() == [float(y) for y in range(2000, 2012) for _ in range(3)]
    assert curve["level"].iloc[0] == "2000" and curve["n_docs"].isna().all()
    assert np.allclose(curve.groupby("value")["estimate"].sum(), 1.0), "expected shares sum to one at every year"
    contrast = topic_contrast(effects, "year", 2011, 2000)
    at = curve.set_index(["value", "topic"])["estimate"]
    assert np.allclose(contrast["estimate"], at.loc[2011.0].to_numpy() - at.loc[2000.0].to_numpy())
    assert contrast["level"].iloc[0] == "2011 − 2000"
    with pytest.raises(InputError, match="outside what"):
        topic_contrast(effects, "year", 2030, 2000)


def test_a_level_of_one_document_has_no_interval(caplog):
    planted = planted_units(n_docs=40, paragraphs=3, length=30, random_state=5)
    units = planted.units.assign(province=np.where(planted.units["doc_id"] == "d0000", "青海省", np.where(planted.units["group"] == "a", "湖南省", "河北省")))
    model = fit_stm(units, k=3, prevalence="~ province", min_df=1, random_state=1)
    effects = estimate_effect(model, nsims=3, n_coef=20, labels={}, random_state=1, progress=False)
    with caplog.at_level(logging.WARNING, logger="tifa.effects"):
        table = topic_effects(effects).set_index("level")
        contrast = topic_contrast(effects, "province", "青海省", "湖南省")
    assert table.loc["青海省", ["ci_low", "ci_high"]].isna().all().all() and (table.loc["青海省", "n_docs"] == 1).all()
    assert table.loc["湖南省", ["ci_low", "ci_high"]].notna().all().all()
    assert contrast[["ci_low", "ci_high"]].isna().all().all() and contrast["estimate"].notna().all()
    assert "1 level(s) with a single document get no interval (青海省)" in caplog.text
    assert topic_contrast(effects, "province", "河北省", "湖南省")[["ci_low", "ci_high"]].notna().all().all()


def test_too_few_documents_for_the_design_are_refused():
    planted = planted_units(n_docs=3, paragraphs=8, length=30, random_state=1)
    units = planted.units.assign(year=planted.units["doc_id"].str[-1].astype(int))
    model = fit_stm(units, k=2, prevalence="~ group + year", min_df=1)
    with pytest.raises(InputError, match="3 doc_id clusters for 3 columns"):
        estimate_effect(model, nsims=2, progress=False)


def _coverage(n_sims: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per way of computing intervals (clustered by document, units independent): hits, widths and estimates of the planted topics."""
    out = {"auto": ([], [], []), None: ([], [], [])}
    for seed in range(n_sims):
        planted = planted_units(n_docs=60, paragraphs=4, length=30, sd_paragraph=0.7, random_state=100 + seed)
        model = fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=seed)
        order = match_topics(model.topic_term, model.features, planted)
        for cluster, (hits, widths, estimates) in out.items():
            effects = estimate_effect(model, cluster=cluster, labels={}, random_state=seed, progress=False)
            contrast = topic_contrast(effects, "group", "b", "a").set_index("topic").loc[order]
            hits.append((contrast["ci_low"].to_numpy() <= planted.difference) & (planted.difference <= contrast["ci_high"].to_numpy()))
            widths.append((contrast["ci_high"] - contrast["ci_low"]).to_numpy())
            estimates.append(contrast["estimate"].to_numpy())
    return {cluster: tuple(np.array(x) for x in values) for cluster, values in out.items()}


def test_a_planted_effect_is_recovered_and_covered():
    # paragraphs of a document share its topic mix: group b's documents give topic 0 a logit 1.0 higher
    # (true difference in expected share ≈ 0.16). bench/stm.py runs 200 simulations; this is a short run
    runs = _coverage(12)
    hits, wide, estimates = runs["auto"]
    assert (estimates[:, 0] > 0).all(), "topic 0 is found more prevalent in group b every time"
    assert hits.mean() >= 0.85, f"clustered intervals cover the truth in {hits.mean():.2f} of the cases"
    independent, narrow, _ = runs[None]
    assert (wide / narrow).mean() > 1.3, "paragraphs taken as independent give intervals too narrow"
    assert independent.mean() < hits.mean()


def _docs(n_docs, **columns):
    return pd.DataFrame({"doc_id": [f"d{i:03d}" for i in range(n_docs)], **columns})


def test_what_a_corpus_supports():
    formula, reasons = choose_prevalence(_docs(5, year=[2014, 2016, 2016, 2017, 2022], province=list("abcde")), group="province")
    assert formula is None and reasons == ["5 documents: covariate effects need at least 20 (config.STM_MIN_DOCUMENTS) to estimate how documents differ"]
    many = _docs(60, year=2000 + np.arange(60) % 15, province=np.array(["湖南省", "河北省", "青海省"])[np.arange(60) % 3])
    formula, reasons = choose_prevalence(many, group="province")
    assert formula == "~ province + s(year)" and reasons[0] == "year: 15 distinct values, a cubic spline with 10 degrees of freedom"
    one_each = _docs(31, year=2025, province=[f"p{i}" for i in range(31)])
    from tifa.simulate import mainland_provinces

    one_each["province"] = mainland_provinces()["province"].to_numpy()
    formula, reasons = choose_prevalence(one_each, group="province")
    assert formula == "~ region"
    assert "year: 1 distinct value(s), too few for a curve (at least 4)" in reasons
    assert any(r.startswith("province: 31 level(s), fewer than two with two documents") for r in reasons)
    assert any(r.startswith("region: 4 levels") for r in reasons)
    assert choose_prevalence(_docs(24, year=2000 + np.arange(24) % 6))[0] == "~ s(year)", "5 degrees of freedom: stm's rule"
    national = _docs(52, year=1954 + np.arange(52), decade=(1954 + np.arange(52)) // 10 * 10)
    formula, reasons = choose_prevalence(national, group="decade")
    assert formula == "~ s(year)" and reasons[-1] == "decade: derived from year, whose spline already follows time"
    formula, reasons = choose_prevalence(national.assign(year=None), group="decade")
    assert formula is None and "decade: a number, not a category" in reasons[-1]
    assert choose_prevalence(_docs(20, year=2000 + np.arange(20)))[0] == "~ s(year, df=9)", "at most half as many columns as documents"
    assert choose_prevalence(_docs(20, year=2000 + np.arange(20) % 3))[0] is None


def test_the_cli_prints_the_effects_table(capsys):
    from tifa.cli import main

    code = main(["topics", "--method", "stm", "--k", "3", "--prevalence", "~ year", "--nsims", "5", "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 0 and "stm-3 (~ year):" in err and "CR3 by doc_id (5)" in err
    table = pd.read_csv(io.StringIO(out))
    assert table.columns.tolist() == COLUMNS
    assert table["covariate"].eq("year").all() and table["level"].min() == 2014 and table["level"].max() == 2022
    assert np.allclose(table.groupby("level")["estimate"].sum(), 1.0)
    code = main(["topics", "--method", "stm", "--k", "3", "--prevalence", "~ year", "--nsims", "5", "--contrast", "year", "2022", "2014", "--format", "csv"])
    out, _ = capsys.readouterr()
    contrast = pd.read_csv(io.StringIO(out))
    assert code == 0 and contrast["level"].eq("2022 − 2014").all() and len(contrast) == 3
    assert main(["topics", "--method", "stm", "--k", "3"]) == 2
    assert "needs --prevalence" in capsys.readouterr().err
