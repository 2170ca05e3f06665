"""Count models of a slogan panel: Poisson or negative binomial with exposure, group and time effects, clustered errors."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from tifa import config
from tifa.errors import InputError
from tifa.panel import _as_list

log = logging.getLogger(__name__)

EFFECTS = ("fe", "region", "trend", None)


def province_regions(provinces: Sequence[str]) -> pd.Series:
    """The NBS region (East, Central, West, Northeast) of each province, from the gazetteer (full or short name)."""
    from tifa.places import load_regions

    regions = load_regions()
    out = {}
    for p in dict.fromkeys(provinces):
        row = regions.loc[p] if p in regions.index else None
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        region = "" if row is None else row.get("region", "")
        if not region:
            raise InputError(f"province {p!r} has no region in {config.REGIONS_CSV.name}; add it (East, Central, West or Northeast) or use group effects 'fe'")
        out[p] = region
    return pd.Series(out, name="region")


def _model_data(panel: pd.DataFrame, group: str, time: str, group_effects, time_effects, slogans) -> tuple[pd.DataFrame, list[str], int]:
    """Rows with exposure, the categorical effects, and rows dropped because a level never has a mention."""
    data = panel[panel["n_chars"] > 0].copy()
    if slogans is not None:
        data = data[data["slogan_id"].isin(_as_list(slogans)) | data["slogan"].isin(_as_list(slogans))]
    if data.empty:
        raise InputError("the panel has no cell with exposure (n_chars > 0) for these slogans")
    categorical = []
    if data["slogan_id"].nunique() > 1:
        categorical.append("slogan_id")
    if group_effects == "fe":
        categorical.append(group)
    elif group_effects == "region":
        data["region"] = data[group].map(province_regions(list(data[group].unique())))
        categorical.append("region")
    if time_effects == "fe":
        categorical.append(time)
    # a level whose cells never hold a mention has an estimate of −∞ (separation): leave its cells out, as fixest does
    n_before = len(data)
    while True:
        bad = np.zeros(len(data), dtype=bool)
        for col in categorical:
            totals = data.groupby(col, sort=True)["count"].transform("sum").to_numpy()
            bad |= totals == 0
        if not bad.any():
            break
        data = data[~bad]
    if data.empty or data["count"].sum() == 0:
        raise InputError("no mention of these slogans in any cell with exposure: nothing to model")
    return data.reset_index(drop=True), categorical, n_before - len(data)


def _design(data: pd.DataFrame, categorical: list[str], time: str, time_effects) -> pd.DataFrame:
    design = pd.DataFrame({"Intercept": np.ones(len(data))})
    for col in categorical:
        levels = sorted(data[col].unique().tolist())
        name = "slogan" if col == "slogan_id" else col
        for level in levels[1:]:  # the first level is the reference
            design[f"{name}[{level}]"] = (data[col] == level).to_numpy(dtype=np.float64)
    if time_effects == "trend":
        t = data[time].astype(np.float64)
        design[f"{time} (trend)"] = (t - t.min()).to_numpy()
    return design


def slogan_model(
    panel: pd.DataFrame,
    *,
    slogans: str | Sequence[str] | None = None,
    family: str = "poisson",
    group: str = "province",
    time: str = "year",
    group_effects: str | None = "fe",
    time_effects: str | None = "fe",
    cluster: str | None = "province",
    conf: float = 0.95,
    alpha: float | None = None,
) -> pd.DataFrame:
    """Poisson or negative-binomial (NB2) regression of a panel's counts with offset log(``n_chars``), by statsmodels' GLM.

    ``group_effects``: ``"fe"`` (one effect per group), ``"region"`` (NBS region of
    the province) or ``None``; ``time_effects``: ``"fe"``, ``"trend"`` (linear, in
    periods since the first) or ``None``; with several slogans each gets its own
    effect. Cells without exposure are left out, as are cells of a level that never
    has a mention (its estimate would be −∞). Standard errors are clustered by
    ``cluster`` (statsmodels' small-sample correction) unless ``None`` or there is a
    single cluster (then model-based; ``attrs["cluster"]`` is None). For
    ``"negbin"`` the dispersion ``alpha`` is estimated by maximum likelihood
    unless given. With group effects and clusters by the same groups, the groups'
    own clustered errors are degenerate (each effect lives inside one cluster):
    read the other terms. Returns ``term, coef, se, z, p, ci_low, ci_high`` (log scale);
    ``attrs`` hold ``n_obs``, ``n_clusters``, ``n_dropped``, ``alpha``, ``family``.
    """
    import statsmodels.api as sm

    if family not in ("poisson", "negbin"):
        raise InputError(f"family must be 'poisson' or 'negbin', not {family!r}")
    if group_effects not in ("fe", "region", None) or time_effects not in ("fe", "trend", None):
        raise InputError(f"group_effects must be 'fe', 'region' or None and time_effects 'fe', 'trend' or None, not {group_effects!r}, {time_effects!r}")
    data, categorical, n_dropped = _model_data(panel, group, time, group_effects, time_effects, slogans)
    design = _design(data, categorical, time, time_effects)
    n_params = design.shape[1]
    rank = np.linalg.matrix_rank(design.to_numpy())
    if rank < n_params or len(data) <= n_params:
        raise InputError(
            f"the model with {group} effects {group_effects!r} and {time} effects {time_effects!r} is not identified on this panel "
            f"({len(data)} cells, {n_params} parameters, rank {rank}); e.g. each {group} is seen in one {time} only. "
            "Use group_effects='region' or time_effects='trend' (choose_effects picks the richest identified one)."
        )
    y = data["count"].to_numpy(dtype=np.float64)
    offset = np.log(data["n_chars"].to_numpy(dtype=np.float64))
    fit_kw = {}
    n_clusters = None
    if cluster is not None:
        codes = pd.factorize(data[cluster], sort=True)[0]
        n_clusters = int(codes.max()) + 1
        if n_clusters >= 2:
            fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
        else:  # one cluster: clustered errors are undefined
            log.warning("one %s only: model-based standard errors instead of clustered ones", cluster)
            cluster = None
    alpha_row = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if family == "negbin":
            if alpha is None:
                nb = sm.NegativeBinomial(y, design, offset=offset, loglike_method="nb2").fit(method="bfgs", maxiter=1000, disp=0)
                alpha = float(nb.params.iloc[-1])
                if not (nb.mle_retvals.get("converged") and np.isfinite(alpha) and alpha > 0):
                    raise InputError(f"the negative-binomial dispersion could not be estimated on this panel (alpha = {alpha}); pass alpha= or use family='poisson'")
                alpha_row = ("alpha (dispersion)", alpha, float(nb.bse.iloc[-1]))
            glm_family = sm.families.NegativeBinomial(alpha=alpha)
        else:
            glm_family = sm.families.Poisson()
        result = sm.GLM(y, design, family=glm_family, offset=offset).fit(**fit_kw)
    ci = np.asarray(result.conf_int(alpha=1 - conf))

    def tidy(values) -> np.ndarray:  # 12 decimals: no −0.0 for a zero estimate, whatever the CPU's last bits
        return np.round(np.asarray(values, dtype=np.float64), 12) + 0.0

    table = pd.DataFrame(
        {
            "term": design.columns,
            "coef": tidy(result.params),
            "se": tidy(result.bse),
            "z": tidy(result.tvalues),
            "p": np.asarray(result.pvalues),
            "ci_low": tidy(ci[:, 0]),
            "ci_high": tidy(ci[:, 1]),
        }
    )
    if alpha_row is not None:
        z = stats.norm.ppf(1 - (1 - conf) / 2)
        name, value, se = alpha_row
        table.loc[len(table)] = (name, value, se, np.nan, np.nan, value - z * se, value + z * se)
    table.attrs.update(
        family=family, group_effects=group_effects, time_effects=time_effects, cluster=cluster,
        n_obs=len(data), n_clusters=n_clusters, n_dropped=n_dropped, alpha=alpha, result=result,
    )
    return table


SPECIFICATIONS = (("fe", "fe"), ("region", "fe"), ("fe", "trend"), ("region", "trend"), (None, "trend"), (None, None))


def choose_effects(panel: pd.DataFrame, *, slogans: str | Sequence[str] | None = None, group: str = "province", time: str = "year") -> dict[str, str | None] | None:
    """The richest identified specification, in the order of ``SPECIFICATIONS`` (group × time fixed effects first); None if none is."""
    for group_effects, time_effects in SPECIFICATIONS:
        try:
            data, categorical, _ = _model_data(panel, group, time, group_effects, time_effects, slogans)
        except InputError as exc:
            log.info("%s/%s: %s", group_effects, time_effects, exc)
            continue
        design = _design(data, categorical, time, time_effects)
        if np.linalg.matrix_rank(design.to_numpy()) == design.shape[1] and len(data) > design.shape[1]:
            return {"group_effects": group_effects, "time_effects": time_effects}
    return None
