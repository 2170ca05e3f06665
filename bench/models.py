"""Coverage and bias of the count and hazard models on simulated province panels with known effects; speed of the hazard fit.

For each model, over N simulations (default 200): the true coefficient, the mean
estimate, bias, RMSE, the mean standard error against the standard deviation of the
estimates, and the coverage of the 95 % intervals (target 0.92–0.98; with 200 draws
a true 0.95 falls in 0.92–0.98 about 95 % of the time). Then the time of one hazard fit
by statsmodels' GLM (what tifa uses) and by pyfixest's ``feglm`` (logit only), and
their agreement. Run: python bench/models.py [--n 200] (about 10 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import numpy as np
import pandas as pd
from tqdm import tqdm

from tifa.adoption import adoption_events
from tifa.hazard import adoption_hazard, baseline_bins
from tifa.models import slogan_model
from tifa.simulate import simulate_adoption, simulate_panel

CASES = {
    # name: (simulate, fit, term, true value)
    "Poisson, Poisson data": (lambda s: simulate_panel(slogans=("s1",), random_state=s), lambda d: slogan_model(d[0], covariates=d[1]), "gdp", 0.2),
    "NB2, NB2 data (alpha 0.3)": (lambda s: simulate_panel(slogans=("s1",), alpha=0.3, random_state=s), lambda d: slogan_model(d[0], family="negbin", covariates=d[1]), "gdp", 0.2),
    "Poisson, NB2 data (alpha 0.3)": (lambda s: simulate_panel(slogans=("s1",), alpha=0.3, random_state=s), lambda d: slogan_model(d[0], covariates=d[1]), "gdp", 0.2),
    "Poisson, 2 slogans, slogan x year effects": (lambda s: simulate_panel(random_state=s), lambda d: slogan_model(d[0], covariates=d[1]), "gdp", 0.2),
    "hazard cloglog: x": (lambda s: simulate_adoption(central_first=(2002, 2004, 2006, 2008), random_state=s), lambda d: adoption_hazard(adoption_events(d[0]), covariates=d[1], neighbours=True), "x", 0.4),
    "hazard cloglog: neighbour share": (None, None, "neighbour_share", 1.0),  # read off the fits of the case above
    "hazard logit: x": (lambda s: simulate_adoption(central_first=(2002, 2004, 2006, 2008), link="logit", random_state=s), lambda d: adoption_hazard(adoption_events(d[0]), link="logit", covariates=d[1], neighbours=True), "x", 0.4),
}


def run(n: int) -> pd.DataFrame:
    """One row per case: true, mean estimate, bias, RMSE, mean SE, SD of estimates, coverage, seconds per fit."""
    rows, fits = [], {}
    for name, (simulate, fit, term, truth) in CASES.items():
        if simulate is None:
            previous = fits[list(fits)[-1]]
            est, se, covered, seconds = [m.loc[term, "estimate"] for m in previous[0]], [m.loc[term, "se"] for m in previous[0]], [m.loc[term, "ci_low"] <= truth <= m.loc[term, "ci_high"] for m in previous[0]], previous[1]
        else:
            models, seconds = [], 0.0
            for seed in tqdm(range(n), desc=name, leave=False):
                data = simulate(10_000 + seed)
                start = time.perf_counter()
                models.append(fit(data).set_index("term"))
                seconds += time.perf_counter() - start
            seconds /= n
            fits[name] = (models, seconds)
            est, se, covered = [m.loc[term, "estimate"] for m in models], [m.loc[term, "se"] for m in models], [m.loc[term, "ci_low"] <= truth <= m.loc[term, "ci_high"] for m in models]
        est = np.asarray(est)
        rows.append((name, term, truth, est.mean(), est.mean() - truth, np.sqrt(np.mean((est - truth) ** 2)), np.mean(se), est.std(ddof=1), np.mean(covered), seconds))
    return pd.DataFrame(rows, columns=["model", "term", "true", "mean", "bias", "rmse", "mean_se", "sd", "coverage_95", "s_per_fit"])


def hazard_speed(repeats: int = 5) -> pd.DataFrame:
    """Seconds per logit hazard fit (best of ``repeats``) by statsmodels GLM and pyfixest feglm on the same event rows, and the largest coefficient gap."""
    import pyfixest as pf
    import statsmodels.api as sm

    adoption, covariates, _ = simulate_adoption(central_first=(2002, 2004, 2006, 2008), random_state=1)
    rows = adoption_events(adoption).merge(covariates, on=["province_code", "year"])
    rows["bin"] = baseline_bins(rows["duration"], rows["event"]).astype(str)
    X = pd.concat([pd.DataFrame({"Intercept": np.ones(len(rows))}), pd.get_dummies(rows[["bin", "slogan_id"]], drop_first=True, dtype=float), rows[["x", "neighbour_share", "no_neighbour"]]], axis=1)
    groups = pd.factorize(rows["province"])[0]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fit in (
            ("statsmodels GLM logit", lambda: sm.GLM(rows["event"].astype(float), X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": groups}).params[["x", "neighbour_share"]]),
            ("statsmodels GLM cloglog", lambda: sm.GLM(rows["event"].astype(float), X, family=sm.families.Binomial(sm.families.links.CLogLog())).fit(cov_type="cluster", cov_kwds={"groups": groups}).params[["x", "neighbour_share"]]),
            ("pyfixest feglm logit", lambda: pf.feglm("event ~ x + neighbour_share + no_neighbour | bin + slogan_id", rows, family="logit", vcov={"CRV1": "province"}).coef()[["x", "neighbour_share"]]),
        ):
            fit()  # warm-up (pyfixest compiles on first use)
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                params = fit()
                best = min(best, time.perf_counter() - start)
            out.append((name, len(rows), best, *np.asarray(params)))
    table = pd.DataFrame(out, columns=["fit", "rows", "seconds", "x", "neighbour_share"])
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="simulations per model (default 200)")
    args = parser.parse_args()
    logging.getLogger("tifa").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    table = run(args.n)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.4f}".format):
        print(f"{args.n} simulations per model (31 provinces; count models 15 years; hazard 21 years, 4 slogans, 30 % late entry)")
        print(table.to_string(index=False))
        outside = table[(table["coverage_95"] < 0.92) | (table["coverage_95"] > 0.98)]
        print("coverage of every model within 0.92-0.98" if outside.empty else f"coverage outside 0.92-0.98: {', '.join(outside['model'])}")
        print()
        print(hazard_speed().to_string(index=False))
    print(f"\n{time.perf_counter() - start:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
