"""Simulated province panels with known effects: the truth the count and hazard models are checked against (tests, ``bench/models.py``, power analysis).

Provinces are the 31 mainland units of the gazetteer (with their GB/T 2260 codes and land
contiguity), so covariates merge and neighbour terms work exactly as on real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tifa import config
from tifa.places import province_neighbours


def mainland_provinces() -> pd.DataFrame:
    """``province, province_code, region`` of the 31 mainland provincial-level units, in code order."""
    table = pd.read_csv(config.REGIONS_CSV, dtype=str, keep_default_na=False)
    table = table[(table["level"] == "province") & (table["region"] != "")]
    out = pd.DataFrame({"province": table["name_zh"].to_numpy(), "province_code": table["province_code"].astype(int).to_numpy(), "region": table["region"].to_numpy()})
    return out.sort_values("province_code", kind="stable").reset_index(drop=True)


def simulate_panel(
    *,
    years: range = range(2006, 2021),
    slogans: tuple[str, ...] = ("s1", "s2"),
    beta: float = 0.2,
    alpha: float | None = None,
    random_state: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A province × year × slogan panel of counts with exposure: log rate = province + year + slogan effects + ``beta`` · gdp.

    ``gdp`` (province-year, correlated with the province effect, so leaving the
    effects out biases it) is returned as a covariates table keyed by ``province_code``
    and ``year``. Counts are Poisson, or NB2 with dispersion ``alpha`` (gamma-Poisson).
    Returns ``(panel, covariates, truth)``.
    """
    rng = np.random.default_rng(random_state)
    provinces = mainland_provinces()
    province_effect = rng.normal(0.0, 0.5, len(provinces))
    year_effect = np.cumsum(rng.normal(0.03, 0.05, len(years)))
    slogan_effect = np.linspace(0.0, 0.8, len(slogans))
    gdp = 0.6 * province_effect[:, None] + rng.normal(0.0, 1.0, (len(provinces), len(years)))
    covariates = pd.DataFrame({"province_code": np.repeat(provinces["province_code"].to_numpy(), len(years)), "year": np.tile(np.array(years), len(provinces)), "gdp": gdp.ravel()})
    p, t, s = np.meshgrid(np.arange(len(provinces)), np.arange(len(years)), np.arange(len(slogans)), indexing="ij")
    p, t, s = p.ravel(), t.ravel(), s.ravel()
    n_chars = rng.integers(20_000, 120_000, len(p))
    mu = np.exp(np.log(3 / 10_000) + province_effect[p] + year_effect[t] + slogan_effect[s] + beta * gdp[p, t]) * n_chars
    if alpha is not None:
        mu = rng.gamma(1 / alpha, mu * alpha)
    panel = pd.DataFrame({
        "province": provinces["province"].to_numpy()[p], "year": np.array(years)[t], "n_docs": 1, "n_chars": n_chars,
        "slogan_id": np.array(slogans)[s], "slogan": np.array(slogans)[s], "en": np.array(slogans)[s], "count": rng.poisson(mu),
    })
    return panel, covariates, {"gdp": beta, "alpha": alpha}


def simulate_adoption(
    *,
    years: range = range(2000, 2021),
    central_first: tuple[int, ...] = (2002, 2005, 2008),
    beta: float = 0.4,
    gamma: float = 1.0,
    link: str = "cloglog",
    late_entry: float = 0.3,
    random_state: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """An adoption table (as :func:`tifa.adoption.slogan_adoption` returns) drawn from a known discrete-time hazard.

    Slogan ``k`` appears centrally in ``central_first[k]``; from then each province not
    yet using it adopts in year t with probability F(b(d) + s_k + ``beta`` · x + ``gamma`` ·
    share), F the inverse ``link``, d the years since central first use, x a province-year
    covariate and share the share of contiguous provinces observed by t−1 that had
    adopted by t−1 (Hainan: 0). A share ``late_entry`` of provinces enter observation
    late (delayed entry; adoptions before entry are left-censored). Returns
    ``(adoption, covariates, truth)``.
    """
    rng = np.random.default_rng(random_state)
    provinces = mainland_provinces()
    codes = provinces["province_code"].to_numpy()
    index = {c: i for i, c in enumerate(codes)}
    near = [[index[n] for n in province_neighbours()[c]] for c in codes]
    y0, y1 = years[0], years[-1]
    entry = np.where(rng.random(len(codes)) < late_entry, rng.integers(y0 + 1, y0 + 11, len(codes)), y0)
    x = rng.normal(0.0, 1.0, (len(codes), len(years)))
    covariates = pd.DataFrame({"province_code": np.repeat(codes, len(years)), "year": np.tile(np.array(years), len(codes)), "x": x.ravel()})
    inverse = (lambda e: 1 - np.exp(-np.exp(e))) if link == "cloglog" else (lambda e: 1 / (1 + np.exp(-e)))
    rows = []
    for k, c in enumerate(central_first):
        adopted = np.full(len(codes), np.iinfo(np.int64).max)  # true adoption year
        for year in range(c, y1 + 1):
            observed_before = entry <= year - 1
            share = np.array([np.mean([adopted[j] <= year - 1 for j in nb if observed_before[j]]) if any(observed_before[j] for j in nb) else 0.0 for nb in near])
            eta = -2.2 + 0.08 * (year - c) + 0.3 * (k - 1) + beta * x[:, year - y0] + gamma * share
            new = (adopted > y1) & (rng.random(len(codes)) < inverse(eta))
            adopted[new] = year
        for i, code in enumerate(codes):
            first = max(adopted[i], entry[i]) if adopted[i] <= y1 else None
            rows.append((provinces["province"][i], code, provinces["region"][i], f"s{k + 1}", f"s{k + 1}", f"{c}-01", int(entry[i]), y1, "", first, first is not None, first is not None and first == entry[i] and c < entry[i], c, c))
    adoption = pd.DataFrame(rows, columns=["province", "province_code", "region", "slogan_id", "slogan", "first_used", "first_observed", "last_observed", "missing_years", "first_year", "adopted", "left_censored", "first_used_year", "central_first_year"])
    adoption["first_year"] = adoption["first_year"].astype("Int64")
    adoption["province_code"] = adoption["province_code"].astype("Int64")
    adoption["right_censored"] = ~adoption["adopted"]
    adoption["lag_is_bound"] = adoption["left_censored"]
    adoption.attrs.update(by="province", time="year", source="simulated", central="simulated")
    return adoption, covariates, {"x": beta, "neighbour_share": gamma}
