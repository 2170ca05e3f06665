"""Structural topic models: the prevalence design by hand, what we rely on of the engine (seeds, threads, the
posterior's global covariance), the content model on a planted word, and the choice of K."""

import logging

import numpy as np
import pandas as pd
import pytest

from tifa.errors import InputError
from tifa.simulate import match_topics, planted_units
from tifa.stm import choose_k_stm, content_terms, fit_stm, prevalence_design, select_k_stm, theta_draws
from tifa.topics import fit_topics, topic_labels


@pytest.fixture(scope="module")
def planted():
    return planted_units(n_docs=120, length=50, random_state=3)


@pytest.fixture(scope="module")
def model(planted):
    return fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=5)


def _years(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"year": rng.integers(2000, 2024, n), "province": rng.choice(["湖南省", "河北省", "青海省"], n)})


def test_design_codes_factors_against_their_first_level_and_keeps_the_intercept():
    data = pd.DataFrame({"province": ["湖南省", "河北省", "河北省", "青海省"], "year": [2001, 2002, 2003, 2004]})
    design = prevalence_design("~ province", data)
    # levels sorted: 河北省 (reference), 湖南省, 青海省
    assert design.names == ["Intercept", "province[T.湖南省]", "province[T.青海省]"]
    assert design.matrix.tolist() == [[1, 1, 0], [1, 0, 0], [1, 0, 0], [1, 0, 1]]
    assert design.variables == ["province"] and design.kind("province") == "factor"
    assert design.evaluate(pd.DataFrame({"province": ["青海省"]})).tolist() == [[1, 0, 1]]
    with pytest.raises(InputError, match="not a level the model was fitted on"):
        design.evaluate(pd.DataFrame({"province": ["广东省"]}))


def test_smooth_terms_are_stm_splines_with_the_documented_degrees_of_freedom():
    data = _years()
    distinct = data["year"].nunique()
    design = prevalence_design("~ province + s(year)", data)
    assert design.expanded == f"~ province + bs(year, df={min(10, distinct - 1)}, degree=3)"
    assert design.matrix.shape == (40, 1 + 2 + min(10, distinct - 1)) and design.variables == ["province", "year"]
    assert prevalence_design("~ s(year, df=4)", data).expanded == "~ bs(year, df=4, degree=3)"
    # B-spline basis functions sum to one (with the dropped first one): the fitted knots are reused for new values
    basis = design.matrix[:, 3:]
    assert np.all(basis.sum(axis=1) <= 1 + 1e-12) and np.all(basis >= -1e-12)
    again = design.evaluate(data)
    assert np.allclose(again, design.matrix), "the same values through the stored spec give the same columns"
    inside = design.evaluate(pd.DataFrame({"province": ["湖南省"], "year": [2010.5]}))
    assert inside.shape == (1, design.matrix.shape[1])
    with pytest.raises(InputError, match="outside what"):
        design.evaluate(pd.DataFrame({"province": ["湖南省"], "year": [2050]}))


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("province", "write it as '~ covariate"),
        ("~ city", "no docvar \\['city'\\]"),
        ("~ s(year)", "needs more distinct values"),
        ("~ province - 1", "keep the intercept"),
        ("~ province + C(province)", "collinear"),
    ],
)
def test_bad_formulas_are_refused_with_the_fix(formula, message):
    data = pd.DataFrame({"province": ["a", "b", "a", "b"], "year": [1, 2, 3, 1]})
    with pytest.raises(InputError, match=message):
        prevalence_design(formula, data)


def test_same_seed_same_model_on_one_or_two_threads(planted, model):
    again = fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=5, n_threads=1)
    two = fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=5, n_threads=2)
    for other in (again, two):
        assert np.asarray(other.doc_topic).tobytes() == np.asarray(model.doc_topic).tobytes()
        assert np.asarray(other.topic_term).tobytes() == np.asarray(model.topic_term).tobytes()
    assert model.converged and model.name == "stm-3"
    assert np.allclose(model.doc_topic.sum(axis=1), 1) and np.allclose(model.topic_term.sum(axis=1), 1)


def test_the_planted_topics_are_found(planted, model):
    order = match_topics(model.topic_term, model.features, planted)
    assert sorted(order) == [0, 1, 2]
    for true, found in enumerate(order):
        assert np.corrcoef(model.doc_topic[:, found], planted.theta[:, true])[0, 1] > 0.9
    top = model.top_terms(3)
    assert all(term.startswith(f"t{true}w") for true, found in enumerate(order) for term in top[top.topic == found]["term"])


def test_fit_topics_dispatches_and_the_model_works_like_the_others(planted, model, tmp_path):
    via = fit_topics(planted.units, k=3, method="stm", prevalence="~ group", min_df=1, random_state=5)
    assert np.array_equal(via.doc_topic, model.doc_topic)
    assert model.representative_units(1)["unit_id"].is_unique
    assert len(topic_labels(model, tmp_path / "none.yaml")) == 3
    with pytest.raises(InputError, match="need method='stm'"):
        fit_topics(planted.units, k=3, method="nmf", prevalence="~ group")
    with pytest.raises(InputError, match="needs a prevalence formula"):
        fit_topics(planted.units, k=3, method="stm")


def test_units_without_a_covariate_are_left_out_and_said(planted, caplog):
    units = planted.units.copy()
    units.loc[:9, "group"] = None
    with caplog.at_level(logging.WARNING, logger="tifa.stm"):
        fitted = fit_stm(units, k=3, prevalence="~ group", min_df=1)
    assert len(fitted.units) == len(units) - 10 and fitted.units["group"].notna().all()
    assert "10 of 120 units lack a value of group" in caplog.text


def test_global_draws_use_stm_global_covariance(planted, model):
    # stm's thetaPosterior(type="Global") draws every document's eta from Sigma - crossprod(lambda - mu) / N;
    # the engine draws from the mean of the documents' variational covariances. The M-step makes them equal
    # once EM has settled (here run 100 iterations: at stm's emtol the engine keeps the last E-step's
    # covariances with the Sigma of the M-step before it, and the two differ by about 10 %)
    settled = fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=5, tol=0.0, max_iter=100)
    engine = settled.engine
    lam = np.asarray(engine.eta_mean)
    mu = settled.design.matrix @ np.asarray(engine.prevalence_effects)
    stm_global = np.asarray(engine.topic_covariance) - (lam - mu).T @ (lam - mu) / len(lam)
    mean_nu = np.asarray(engine.eta_cov, dtype=float).mean(axis=0)
    assert np.allclose(stm_global, mean_nu, rtol=1e-3, atol=1e-5)
    draws = theta_draws(settled, nsims=400, random_state=1)
    assert draws.shape == (400, len(settled.units), 3) and np.allclose(draws.sum(axis=2), 1)
    eta = np.log(draws[:, :, :2] / draws[:, :, 2:])  # back to the logit scale (last topic the reference)
    spread = np.mean([np.cov((eta[:, d, :] - lam[d]).T) for d in range(0, len(lam), 10)], axis=0)
    assert np.allclose(spread, stm_global, rtol=0.15), "draws spread with the global covariance"
    assert np.array_equal(theta_draws(model, nsims=5, random_state=1), theta_draws(model, nsims=5, random_state=1))
    none = theta_draws(model, nsims=3, uncertainty="none")
    assert np.allclose(none[0], model.doc_topic) and np.array_equal(none[0], none[2])
    with pytest.raises(InputError, match="uncertainty must be one of"):
        theta_draws(model, uncertainty="Global")


def test_content_covariate_finds_a_planted_word_of_one_group(planted):
    # documents of group b write topic 0's leading word differently: the content model must put the variant
    # at the top of topic 0 for b only
    units = planted.units.copy()
    b = units["group"] == "b"
    units.loc[b, "tokens"] = units.loc[b, "tokens"].map(lambda words: ["t0w00变" if w == "t0w00" else w for w in words])
    fitted = fit_stm(units, k=3, prevalence="~ group", content="group", min_df=1, random_state=5)
    terms = content_terms(fitted, n=3)
    topic = match_topics(fitted.topic_term, fitted.features, planted)[0]
    first = terms[(terms.topic == topic) & (terms["rank"] == 1)].set_index("level")["term"]
    assert first.to_dict() == {"a": "t0w00", "b": "t0w00变"}
    assert terms.groupby(["topic", "level"]).size().eq(3).all() and set(terms["level"]) == {"a", "b"}
    with pytest.raises(InputError, match="no content covariate"):
        content_terms(fit_stm(units, k=3, prevalence="~ group", min_df=1))


def test_choose_k_rule_by_hand(caplog):
    table = pd.DataFrame(
        {
            "k": [3, 4, 5, 6],
            "heldout": [-10.0, -9.0, -8.5, -8.0],
            "semcoh": [-50.0, -60.0, -55.0, -70.0],
            "exclusivity": [8.0, 8.5, 9.0, 9.5],
            "dispersion": 1.1,
        }
    )
    # 4 is beaten by 5 on both coherence and exclusivity; 6 is not beaten on both (best heldout), but is the edge
    with caplog.at_level(logging.WARNING, logger="tifa.topic_model"):
        k, why = choose_k_stm(table)
    assert k == 6 and "largest of the grid" in caplog.text and "at the edge of the grid" in why
    assert "(3, 5, 6)" in why and "4 is beaten on both" in why
    k, why = choose_k_stm(table[table.k < 6])
    assert k == 5 and "-8.500 per held-out word" in why


def test_heldout_likelihood_by_hand(model):
    from tifa.stm import heldout_loglik

    word = model.features[0]
    theta, phi = model.doc_topic, model.topic_term
    # unit 0 holds out the first word twice and a word the model never saw; unit 3 the first two words
    expected = np.mean([np.log(theta[0] @ phi[:, 0]), np.mean(np.log(theta[3] @ phi[:, :2]))])
    assert heldout_loglik(model, [(0, [word, word, "未见"]), (3, list(model.features[:2]))]) == pytest.approx(expected)


def test_search_k_scores_each_k(planted):
    table = select_k_stm(planted.units, [2, 3, 4], prevalence="~ group", min_df=1, random_state=1, progress=False)
    assert table.columns.tolist() == ["k", "heldout", "semcoh", "exclusivity", "dispersion", "dispersion_p", "bound", "converged"]
    assert table["converged"].all() and np.isfinite(table[["heldout", "semcoh", "exclusivity", "dispersion"]]).all().all()
    by_k = table.set_index("k")
    assert by_k.loc[2, "dispersion"] > by_k.loc[3, "dispersion"], "too few topics leave over-dispersed residuals"
    assert by_k.loc[3, "heldout"] > by_k.loc[2, "heldout"], "the planted K predicts held-out words better than K = 2"
    assert table.equals(select_k_stm(planted.units, [2, 3, 4], prevalence="~ group", min_df=1, random_state=1, progress=False))
