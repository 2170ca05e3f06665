"""Count models of a slogan panel: Poisson (pyfixest's ``fepois``) or negative binomial, exposure offset, absorbed fixed effects, clustered errors.

The formula is fixest's: ``count ~ gdp + i(region, ref="East") | province + slogan_id^year``
(covariates and ``i()`` interactions left of ``|``, fixed effects right of it; the
effects are absorbed and never reported). The offset is log(``n_chars``), so incidence-
rate ratios (IRR) are ratios of mentions per character. Standard errors are CRV1,
clustered by province, with the small-sample correction G/(G−1)·(N−1)/(N−K), K counting
every fixed-effect level (fixest's ``ssc(fixef.K = "full")``; statsmodels' own), for
both families. Poisson is fitted by pyfixest; pyfixest 0.60 has no negative binomial,
so NB2 is fitted by statsmodels' GLM with the fixed effects as dummies and the dispersion
alpha by profile maximum likelihood (coefficient errors take alpha as known, as
``MASS::glm.nb``). Covariates come from a CSV or DataFrame keyed by ``province_code``
(GB/T 2260) or ``province`` name and, when it has one, ``year`` (:mod:`tifa.covariates`).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tifa.covariates import merge_covariates
from tifa.errors import InputError
from tifa.panel import _as_list
from tifa.places import add_province_columns

log = logging.getLogger(__name__)

FAMILIES = ("poisson", "negbin")
OFFSET = "log_n_chars"
SSC = "CRV1, G/(G-1)(N-1)/(N-K), K counting every fixed-effect level"
TIDY = ["term", "estimate", "se", "z", "p", "ci_low", "ci_high"]
DEGENERATE_SE = 1e-8  # an SE below this share of max(1, |estimate|) is no SE: the term lives inside one cluster or is absorbed


# --- the model ------------------------------------------------------------------------


def _model_rows(panel: pd.DataFrame, slogans, notes: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Cells with exposure, of the chosen slogans, of known provinces (the others left out with a note)."""
    dropped = {}
    data = panel if slogans is None else panel[panel["slogan_id"].isin(_as_list(slogans)) | panel["slogan"].isin(_as_list(slogans))]
    if data.empty:
        raise InputError(f"the panel has no row for slogans {slogans}")
    no_exposure = data["n_chars"] <= 0
    dropped["no_exposure"] = int(no_exposure.sum())
    data = data[~no_exposure]
    if "province" in data:
        if "province_code" not in data:
            data = add_province_columns(data, "province")
        unknown = data["province_code"].isna()
        dropped["not_province"] = int(unknown.sum())
        if unknown.any():
            names = sorted(data.loc[unknown, "province"].astype(str).unique())
            notes.append(f"left out {int(unknown.sum())} cells of groups that are not provinces of the gazetteer: {', '.join(names[:8])}")
        data = data[~unknown]
    if data.empty:
        raise InputError("no cell with exposure (n_chars > 0) of a known province is left to model")
    data = data.reset_index(drop=True).copy()
    data[OFFSET] = np.log(data["n_chars"].to_numpy(dtype=np.float64))
    return data, dropped


def _formula(formula: str | None, fixed_effects, data: pd.DataFrame, covariates: list[str]) -> tuple[str, list[str]]:
    """``lhs ~ rhs`` and the fixed-effect terms, from a fixest formula and ``fixed_effects`` (default: province + year, or province + slogan_id^year)."""
    if formula is None:
        formula = "count ~ " + (" + ".join(covariates) if covariates else "1")
    if "~" not in formula:
        raise InputError(f"formula {formula!r} has no '~'; write it as fixest does, e.g. 'count ~ gdp | province + year'")
    main, _, fe_part = formula.partition("|")
    if fe_part.strip() and fixed_effects is not None:
        raise InputError(f"fixed effects are given twice: after '|' in {formula!r} and as fixed_effects={fixed_effects!r}; keep one")
    if fe_part.strip():
        fe = [t.strip() for t in fe_part.split("+") if t.strip() and t.strip() != "0"]
    elif fixed_effects is None:
        several = data["slogan_id"].nunique() > 1 if "slogan_id" in data else False
        fe = ["province", "slogan_id^year" if several else "year"]
    else:
        fe = [t.strip() for t in (fixed_effects.split("+") if isinstance(fixed_effects, str) else fixed_effects) if t.strip()]
    for term in fe:
        missing = [v for v in term.split("^") if v not in data.columns]
        if missing:
            raise InputError(f"fixed effect {term!r}: no column {missing} in the panel; columns: {list(data.columns)}")
    return main.strip(), fe


def slogan_model(
    panel: pd.DataFrame,
    *,
    formula: str | None = None,
    family: str = "poisson",
    fixed_effects: str | Sequence[str] | None = None,
    cluster: str | None = "province",
    covariates: pd.DataFrame | str | Path | None = None,
    slogans: str | Sequence[str] | None = None,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Poisson or NB2 regression of a panel's ``count`` with offset log(``n_chars``), absorbed fixed effects and clustered errors.

    ``formula``: fixest syntax (``count ~ gdp + i(region, ref="East") | province + year``);
    without ``|`` the fixed effects are ``fixed_effects`` (default ``province + year``,
    ``province + slogan_id^year`` with several slogans; ``()`` for none). ``covariates``:
    a CSV path or DataFrame merged by province code and year (see :func:`read_covariates`);
    without a formula every covariate enters. Cells without exposure, of groups that
    are not provinces, with missing values, singletons of a fixed effect and cells of a
    level never mentioned (separation) are left out and counted. Returns ``term,
    estimate, se, z, p, ci_low, ci_high, irr, irr_low, irr_high, degenerate`` (normal
    intervals at ``conf``); ``attrs``: ``n_obs, n_clusters, fixed_effects, family,
    alpha, theta, loglik, loglik_null, pseudo_r2, dropped, collinear, notes`` …
    """
    if family not in FAMILIES:
        raise InputError(f"family must be one of {FAMILIES}, not {family!r}")
    if not 0 < conf < 1:
        raise InputError(f"conf must lie between 0 and 1, not {conf!r}")
    notes: list[str] = []
    data, dropped = _model_rows(panel, slogans, notes)
    names: list[str] = []
    if covariates is not None:
        data, names = merge_covariates(data, covariates)
    main, fe = _formula(formula, fixed_effects, data, names)
    if cluster is not None and cluster not in data.columns:
        raise InputError(f"cluster {cluster!r}: no such column in the panel; columns: {list(data.columns)}")
    used = [c for c in data.columns if c not in (OFFSET,) and re.search(rf"(?<![\w.]){re.escape(str(c))}(?![\w.])", main + " " + " ".join(fe) + " " + (cluster or ""))]
    missing = data[used].isna().any(axis=1).to_numpy()
    dropped["missing_values"] = int(missing.sum())
    if missing.any():
        notes.append(f"left out {int(missing.sum())} cells with missing values in {sorted(c for c in used if data[c].isna().any())}")
        data = data[~missing].reset_index(drop=True)
    data = _leave_out_absorbed(data, main.split("~")[0].strip(), fe, notes, dropped)
    with one_blas_thread():
        fit = (_fit_poisson if family == "poisson" else _fit_negbin)(data, main, fe, cluster, notes, dropped)
    table = tidy_estimates(fit["terms"], fit["estimate"], fit["se"], conf=conf, ratio="irr", notes=notes)
    table.attrs.update(
        family=family, formula=f"{main}" + (f" | {' + '.join(fe)}" if fe else ""), fixed_effects=fe, offset="log(n_chars)",
        cluster=fit["cluster"], n_obs=fit["n_obs"], n_clusters=fit["n_clusters"], loglik=fit["loglik"], loglik_null=fit["loglik_null"],
        pseudo_r2=1 - fit["loglik"] / fit["loglik_null"] if fit["loglik_null"] else np.nan, alpha=fit.get("alpha"),
        theta=1 / fit["alpha"] if fit.get("alpha") else None, overdispersion_p=fit.get("overdispersion_p"), dropped=dropped,
        collinear=fit["collinear"], conf=conf, ssc=SSC if fit["cluster"] else "iid, (N-1)/(N-K)", covariates=names, notes=notes,
        estimator="pyfixest.fepois" if family == "poisson" else "statsmodels GLM NB2, alpha by profile likelihood", ratio="IRR",
    )
    return table


def one_blas_thread():
    """A context in which BLAS runs one thread: these designs are small, and threads fighting over shared cores made fits 40 times slower."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _vcov(data: pd.DataFrame, cluster: str | None, notes: list[str]) -> tuple[str | None, int | None]:
    if cluster is None:
        return None, None
    n = int(data[cluster].nunique())
    if n < 2:
        notes.append(f"one {cluster} only: model-based (iid) standard errors instead of clustered ones")
        return None, n
    if n < 20:
        notes.append(f"{n} clusters: clustered standard errors are unreliable with fewer than about 20-50 clusters")
    return cluster, n


def _fit_poisson(data, main, fe, cluster, notes, dropped) -> dict:
    import pyfixest as pf
    from scipy import special  # scipy.stats and friends imported where used: a second off every command's start

    cluster, n_clusters = _vcov(data, cluster, notes)
    fml = main + (f" | {' + '.join(fe)}" if fe else "")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = pf.fepois(fml, data, offset=OFFSET, vcov={"CRV1": cluster} if cluster else "iid", ssc=pf.ssc(k_fixef="full"), iwls_tol=1e-10, iwls_maxiter=200)
        except Exception as exc:  # pyfixest's own error types: say which model failed and why
            raise InputError(f"pyfixest could not fit {fml!r} on {len(data)} cells: {exc}") from exc
    for w in caught:
        if not issubclass(w.category, (DeprecationWarning, FutureWarning)) and not re.search("singleton|separation", str(w.message)):
            notes.append(f"pyfixest: {w.message}")
    if int(fit._N) != len(data):  # pyfixest found more to leave out than _leave_out_absorbed (its "ir" check, say)
        notes.append(f"pyfixest left out {len(data) - int(fit._N)} more cells (singletons or separation)")
        dropped["separated"] = dropped.get("separated", 0) + len(data) - int(fit._N)
    if not fit.convergence:
        notes.append("pyfixest: the IRLS iterations did not converge; read the estimates with care")
    used = fit._data
    y, offset = used[main.split("~")[0].strip()].to_numpy(dtype=np.float64), used[OFFSET].to_numpy(dtype=np.float64)
    mu0 = np.exp(offset) * y.sum() / np.exp(offset).sum()  # intercept and offset only: one rate for every cell
    loglik_null = float(np.sum(y * np.log(np.where(y > 0, mu0, 1.0)) - mu0 - special.gammaln(y + 1)))
    collinear = [str(v) for v in (fit._collin_vars or [])]
    if collinear:
        notes.append(f"dropped as collinear with the fixed effects or each other: {', '.join(collinear)}")
    return {
        "terms": [str(t) for t in fit.coef().index], "estimate": fit.coef().to_numpy(), "se": fit.se().to_numpy(), "cluster": cluster,
        "n_obs": int(fit._N), "n_clusters": int(used[cluster].nunique()) if cluster else n_clusters, "loglik": float(fit._loglik), "loglik_null": loglik_null, "collinear": collinear,
    }


def _fe_codes(data: pd.DataFrame, term: str) -> np.ndarray:
    """Integer codes of a fixed-effect term (``province`` or an interaction ``slogan_id^year``)."""
    return data.groupby(term.split("^"), sort=True, dropna=False).ngroup().to_numpy()


def _prune(data: pd.DataFrame, y: str, fe: list[str]) -> tuple[np.ndarray, int, int]:
    """Rows kept after leaving out, until none is left, singletons of a fixed effect and levels whose cells never hold a mention."""
    keep = np.ones(len(data), dtype=bool)
    singletons = separated = 0
    codes = [_fe_codes(data, t) for t in fe]
    counts = data[y].to_numpy(dtype=np.float64)
    while True:
        changed = False
        for c in codes:
            n = np.bincount(c[keep], minlength=c.max() + 1)
            total = np.bincount(c[keep], weights=counts[keep], minlength=c.max() + 1)
            single, zero = keep & (n[c] == 1), keep & (n[c] > 1) & (total[c] == 0)
            singletons += int(single.sum())
            separated += int(zero.sum())
            if single.any() or zero.any():
                keep &= ~(single | zero)
                changed = True
        if not changed:
            return keep, singletons, separated


def _leave_out_absorbed(data: pd.DataFrame, lhs: str, fe: list[str], notes: list[str], dropped: dict[str, int]) -> pd.DataFrame:
    """``data`` without singletons and never-mentioned levels of the fixed effects (counted, noted); refused when nothing is left.

    Done here for both families (as fixest does): pyfixest 0.60 aborts the process
    instead of raising when every cell is a singleton.
    """
    keep, singletons, separated = _prune(data, lhs, fe)
    dropped.update(singletons=singletons, separated=separated)  # the footnote reports them ("left out: …")
    data = data[keep].reset_index(drop=True)
    if data.empty or data[lhs].sum() == 0:
        raise InputError(f"no cell with a mention is left once singletons ({singletons}) and levels never mentioned ({separated} cells) of the fixed effects {fe} are left out; use fewer fixed effects or a larger panel")
    return data


def _nb_profile(y, X, offset):
    """NB2 fit with alpha by profile maximum likelihood: ``(alpha, fit)``, ``fit(alpha, **kw)`` the GLM at a given alpha."""
    import statsmodels.api as sm
    from scipy import optimize

    start = [None]

    def fit(alpha, **kw):  # each fit starts where the previous one ended: a few IRLS steps instead of a dozen
        result = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit(start_params=start[0], maxiter=200, tol=1e-10, **kw)
        start[0] = result.params
        return result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best = optimize.minimize_scalar(lambda a: -fit(np.exp(a)).llf, bounds=(np.log(1e-8), np.log(1e3)), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(best.x)), fit


def _fit_negbin(data, main, fe, cluster, notes, dropped) -> dict:
    import pyfixest as pf
    import statsmodels.api as sm
    from scipy import stats

    lhs = main.split("~")[0].strip()
    fe_cols = {}
    for i, term in enumerate(fe):
        fe_cols[f"fe{i}_"] = _fe_codes(data, term)
    design_data = data.assign(**fe_cols)
    rhs = main.split("~", 1)[1].strip()
    dummies = " + ".join(f"C({c})" for c in fe_cols)
    fml = f"{lhs} ~ {rhs}" + (f" + {dummies}" if dummies else "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # pyfixest builds the design (its i() syntax, collinear columns dropped) from a cheap OLS fit
            design = pf.feols(fml, design_data, vcov="iid")
        except Exception as exc:
            raise InputError(f"could not build the design of {fml!r}: {exc}") from exc
    names = [str(t) for t in design._coefnames]
    X, rows = np.asarray(design._X, dtype=np.float64), design._data.index.to_numpy()
    used = design_data.loc[rows]
    y, offset = used[lhs].to_numpy(dtype=np.float64), used[OFFSET].to_numpy(dtype=np.float64)
    cluster, n_clusters = _vcov(used, cluster, notes)
    alpha, fit = _nb_profile(y, X, offset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit(alpha, **({"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(used[cluster])[0]}} if cluster else {}))
        poisson = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(maxiter=200, tol=1e-10)
        alpha0, fit0 = _nb_profile(y, np.ones((len(y), 1)), offset)
    if alpha <= 1.01e-8:
        notes.append("the dispersion alpha sits at its lower bound (no overdispersion): the Poisson model fits as well")
    shown = [i for i, n in enumerate(names) if not n.startswith(("C(fe", "Intercept"))]
    collinear = [str(v) for v in (design._collin_vars or []) if not str(v).startswith("C(fe")]
    if collinear:
        notes.append(f"dropped as collinear with the fixed effects or each other: {', '.join(collinear)}")
    lr = max(0.0, 2 * (result.llf - poisson.llf))
    return {
        "terms": [names[i] for i in shown], "estimate": np.asarray(result.params)[shown], "se": np.asarray(result.bse)[shown], "cluster": cluster,
        "n_obs": len(y), "n_clusters": int(used[cluster].nunique()) if cluster else n_clusters, "loglik": float(result.llf), "loglik_null": float(fit0(alpha0).llf),
        "collinear": collinear, "alpha": alpha, "overdispersion_p": float(0.5 * stats.chi2.sf(lr, 1)),
    }


def tidy_estimates(terms: Sequence[str], estimate, se, *, conf: float, ratio: str, notes: list[str]) -> pd.DataFrame:
    """``term, estimate, se, z, p, ci_low, ci_high`` (normal), ``<ratio>, <ratio>_low, <ratio>_high`` (exp) and ``degenerate``.

    A standard error that is not finite or below ``DEGENERATE_SE`` × max(1, |estimate|)
    is degenerate: its ``se, z, p`` and intervals are NA and a note names the term.
    """
    from scipy import stats

    estimate, se = np.asarray(estimate, dtype=np.float64), np.asarray(se, dtype=np.float64)
    degenerate = ~np.isfinite(se) | (se <= DEGENERATE_SE * np.maximum(1.0, np.abs(estimate)))
    se = np.where(degenerate, np.nan, se)
    z = estimate / se
    half = stats.norm.ppf(1 - (1 - conf) / 2) * se
    table = pd.DataFrame({"term": list(terms), "estimate": estimate, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z)), "ci_low": estimate - half, "ci_high": estimate + half})
    for col in TIDY[1:]:
        table[col] = np.round(table[col].to_numpy(dtype=np.float64), 12) + 0.0  # no -0.0, same bytes on every CPU
    with np.errstate(over="ignore"):
        table[ratio], table[f"{ratio}_low"], table[f"{ratio}_high"] = np.exp(table["estimate"]), np.exp(table["ci_low"]), np.exp(table["ci_high"])
    table["degenerate"] = degenerate
    if degenerate.any():
        notes.append(f"degenerate standard error (the term varies within one cluster only, or is absorbed by the fixed effects): {', '.join(np.asarray(terms)[degenerate])}; shown as '—'")
    return table


# --- the table for papers -------------------------------------------------------------------


def model_footnote(model: pd.DataFrame) -> str:
    """One paragraph under a model table: N, clusters, fixed effects, family, dispersion, log-likelihood, pseudo-R², what was left out, notes."""
    a = model.attrs
    family = {"poisson": "Poisson", "negbin": "negative binomial (NB2)", "logit": "discrete-time logit", "cloglog": "discrete-time complementary log-log"}.get(a.get("family"), a.get("family"))
    parts = [f"N = {a['n_obs']:,} {a.get('unit', 'province-year-slogan cells')}", f"family: {family}"]
    if a.get("offset"):
        parts.append(f"offset {a['offset']}")
    parts.append(f"fixed effects (absorbed, not shown): {', '.join(a['fixed_effects']) if a.get('fixed_effects') else 'none'}")
    parts.append(f"standard errors clustered by {a['cluster']} ({a['n_clusters']} clusters; {a['ssc']})" if a.get("cluster") else f"model-based standard errors ({a.get('ssc', 'iid')})")
    if a.get("alpha") is not None:
        parts.append(f"dispersion alpha = {a['alpha']:.4g} (theta = {a['theta']:.4g}; LR test of alpha = 0: p = {a['overdispersion_p']:.3g})")
    parts.append(f"log-likelihood {a['loglik']:,.2f}; McFadden pseudo-R² {a['pseudo_r2']:.3f} (against {a.get('null', 'intercept and offset only')})")
    left_out = {k: v for k, v in (a.get("dropped") or {}).items() if v}
    if left_out:
        what = {"no_exposure": "cells without exposure", "not_province": "cells of non-provinces", "missing_values": "with missing values", "singletons": "singletons", "separated": "separated (level never mentioned)"}
        parts.append("left out: " + ", ".join(f"{v:,} {what.get(k, k.replace('_', ' '))}" for k, v in left_out.items()))
    parts.append(f"{a['ratio']} = exp(coefficient); {int(round(a['conf'] * 100))} % normal intervals")
    return "; ".join(parts) + "." + "".join(f" Note: {n}." for n in a.get("notes", []))


def model_table(model: pd.DataFrame, *, decimals: int = 3) -> pd.DataFrame:
    """The model as printed in a paper: term, ratio (IRR, HR or OR) with its interval, coefficient, SE, p; '—' for degenerate SEs.

    ``attrs["footnote"]`` holds :func:`model_footnote` (N, clusters, fixed effects,
    family, dispersion, log-likelihood, pseudo-R²).
    """
    ratio = model.attrs.get("ratio", "IRR")
    col = {"IRR": "irr", "HR": "hazard_ratio", "OR": "odds_ratio"}[ratio]
    f = f"{{:.{decimals}f}}".format
    rows = []
    for i in range(len(model)):
        r = model.iloc[i]
        d = bool(r["degenerate"])
        p = "—" if d else ("<0.001" if r["p"] < 0.001 else f"{r['p']:.3f}")
        interval = "—" if d else f"[{f(r[f'{col}_low'])}, {f(r[f'{col}_high'])}]"
        rows.append((r["term"], f(r[col]) + ("†" if d else ""), interval, f(r["estimate"]), "—" if d else f"({f(r['se'])})", p))
    conf = int(round(model.attrs.get("conf", 0.95) * 100))
    table = pd.DataFrame(rows, columns=["term", ratio, f"{conf}% CI", "coef.", "SE", "p"])
    footnote = model_footnote(model)
    if model["degenerate"].any():
        footnote += " †: degenerate standard error, no interval or p-value."
    table.attrs["footnote"] = footnote
    return table


# --- command line ---------------------------------------------------------------------------


def corpus_arguments(parser) -> None:
    """The corpus options every command shares (``--corpus``, ``--text-field``, ``--id-field``)."""
    parser.add_argument("--corpus", default=None, help="corpus folder (with metadata.csv), .jsonl, .csv or .parquet (default: the embedded corpus in data/)")
    parser.add_argument("--text-field", default="text", help="name of the text field in JSONL/CSV/Parquet (default: text)")
    parser.add_argument("--id-field", default="doc_id", help="name of the document id field (default: doc_id)")


def emit_model(model: pd.DataFrame, fmt: str) -> None:
    """Print a model: the paper table and its footnote (``table``), or the tidy estimates as CSV with the footnote on stderr (``csv``)."""
    import sys

    from tifa.util.tables import format_table

    footnote = model_footnote(model)
    if fmt == "csv":
        format_table(model, decimals=6).to_csv(sys.stdout, index=False, lineterminator="\n")
        print(footnote, file=sys.stderr)
        return
    table = model_table(model)
    print(table.to_string(index=False) if len(table) else "(no coefficient: the formula has only fixed effects; add covariates or terms left of '|')")
    print("\n" + table.attrs.get("footnote", footnote))


def add_model_command(sub) -> None:
    """Register ``tifa model`` (the count model of the slogan panel) on the CLI's subcommands."""
    p = sub.add_parser("model", help="count model of the slogan panel: Poisson or negative binomial, offset log(n_chars), fixed effects absorbed, errors clustered by province; IRRs with intervals")
    corpus_arguments(p)
    p.add_argument("--by", nargs="+", default=["province", "year"], help="docvars of the panel's cells (default: province year)")
    p.add_argument("--slogans", nargs="+", default=None, help="lexicon ids or canonical forms (default: every entry)")
    p.add_argument("--formula", default=None, help='fixest formula, e.g. "count ~ gdp + i(region, ref=\'East\') | province + year" (default: count ~ every covariate)')
    p.add_argument("--family", choices=FAMILIES, default="poisson", help="poisson (pyfixest fepois) or negbin (NB2); default: poisson")
    p.add_argument("--fixed-effects", default=None, help="fixed effects when the formula has no '|' (default: province + year; province + slogan_id^year with several slogans; 'none' for none)")
    p.add_argument("--covariates", default=None, help="CSV with province_code (GB/T 2260) or province, optionally year, and covariate columns")
    p.add_argument("--cluster", default="province", help="column to cluster standard errors by (default: province; 'none': model-based)")
    p.add_argument("--format", choices=("table", "csv"), default="table", help="table: IRRs with intervals and footnote; csv: the tidy estimates")
    p.set_defaults(func=cmd_model)


def cmd_model(args) -> int:
    """``tifa model``: build the panel of the corpus, fit, print."""
    import sys

    from tifa.corpus import load_corpus
    from tifa.lexicon_options import lexicon_matcher
    from tifa.panel import slogan_panel

    corpus = load_corpus(args.corpus, text_field=args.text_field, id_field=args.id_field)
    for row in corpus.problems.itertuples():
        print(f"note: {row.where}: {row.problem}", file=sys.stderr)
    panel = slogan_panel(corpus, by=args.by, slogans=args.slogans, matcher=lexicon_matcher(args))
    fixed_effects = () if args.fixed_effects == "none" else args.fixed_effects
    model = slogan_model(panel, formula=args.formula, family=args.family, fixed_effects=fixed_effects, cluster=None if args.cluster == "none" else args.cluster, covariates=args.covariates)
    emit_model(model, args.format)
    return 0
