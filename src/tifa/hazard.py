"""Adoption hazard: a discrete-time event-history model on the rows of :func:`tifa.adoption.adoption_events`.

Each row is a province × slogan × year at risk; ``event`` is 1 in the year of first use.
The model is a binomial GLM with a complementary log-log link (``exp(coef)`` is a hazard
ratio of the underlying continuous-time proportional-hazards model) or a logit link
(odds ratios), fitted by statsmodels (pyfixest 0.60 has no cloglog; on these sizes
statsmodels' IRLS is as fast as pyfixest's ``feglm``: ``bench/models.py``). The baseline
hazard is a set of dummies for the years since the slogan's first central use
(``baseline="duration"``) or for calendar years (``"year"``), neighbouring bins pooled
until each holds an event and a non-event; with several slogans each gets its own
effect. Both are absorbed (not reported). Entry is delayed (rows start at the later of
the first observed year and the slogan's first central use) and left-censored pairs are
not in the risk set. Standard errors are clustered by province (CRV1, statsmodels'
G/(G−1)·(N−1)/(N−K)). ``neighbours=True`` adds ``neighbour_share`` (the share of
contiguous provinces that had adopted by t−1) and ``no_neighbour`` (Hainan, or a
province none of whose neighbours is observed yet: share set to 0).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tifa.errors import InputError
from tifa.covariates import merge_covariates
from tifa.models import one_blas_thread, tidy_estimates
from tifa.places import add_province_columns

log = logging.getLogger(__name__)

LINKS = {"cloglog": ("hazard_ratio", "HR"), "logit": ("odds_ratio", "OR")}
BASELINES = ("duration", "year")


def baseline_bins(values: pd.Series, events: pd.Series) -> pd.Series:
    """Ordered bins of ``values``: consecutive values pooled until a bin holds an event and a non-event; a tail without both joins the last bin."""
    table = pd.DataFrame({"v": values.to_numpy(), "e": events.to_numpy()}).groupby("v", sort=True)["e"].agg(["sum", "size"])
    groups, current, n_event, n_rows = [], [], 0, 0
    for v, (s, n) in zip(table.index, table.to_numpy()):
        current.append(v)
        n_event, n_rows = n_event + s, n_rows + n
        if 0 < n_event < n_rows:
            groups.append(current)
            current, n_event, n_rows = [], 0, 0
    if current:
        groups[-1:] = [(groups[-1] if groups else []) + current]
    names = [str(g[0]) if len(g) == 1 else f"{g[0]}-{g[-1]}" for g in groups]
    labels = {v: name for g, name in zip(groups, names) for v in g}
    return pd.Series(pd.Categorical(values.map(labels), categories=names, ordered=True), index=values.index)


def adoption_hazard(
    periods: pd.DataFrame,
    *,
    link: str = "cloglog",
    neighbours: bool = False,
    covariates: pd.DataFrame | str | Path | None = None,
    terms: Sequence[str] | None = None,
    baseline: str = "duration",
    cluster: str | None = "province",
    conf: float = 0.95,
) -> pd.DataFrame:
    """Discrete-time hazard of first use: binomial GLM (cloglog or logit) on event-history rows, clustered by province.

    ``periods``: :func:`tifa.adoption.adoption_events`. ``covariates``: CSV or DataFrame
    merged by province code and year (every covariate enters unless ``terms`` picks
    some). Rows of groups that are not provinces are left out with a note. Returns the
    tidy table of :func:`tifa.models.tidy_estimates` with ``hazard_ratio`` (cloglog) or
    ``odds_ratio`` (logit) columns; ``attrs`` as :func:`tifa.models.slogan_model`'s plus
    ``link``, ``baseline``, ``n_events`` and the event rows' exclusions.
    """
    import statsmodels.api as sm

    if link not in LINKS:
        raise InputError(f"link must be one of {list(LINKS)}, not {link!r}")
    if baseline not in BASELINES:
        raise InputError(f"baseline must be one of {BASELINES}, not {baseline!r}")
    time = periods.attrs.get("time", "year")
    need = {"event", "duration", time, "slogan_id"}
    if not need <= set(periods.columns):
        raise InputError(f"periods lack {sorted(need - set(periods.columns))}: pass the rows of adoption_events(slogan_adoption(...))")
    notes = list(periods.attrs.get("notes", []))
    dropped: dict[str, int] = {}
    data = periods
    if "province" in data and "province_code" not in data:
        data = add_province_columns(data, "province")
    if "province_code" in data:
        unknown = data["province_code"].isna()
        dropped["not_province"] = int(unknown.sum())
        if unknown.any():
            notes.append(f"left out {int(unknown.sum())} rows of groups that are not provinces: {', '.join(sorted(data.loc[unknown, 'province'].astype(str).unique())[:8])}")
        data = data[~unknown]
    data = data.reset_index(drop=True)
    names: list[str] = []
    if covariates is not None:
        data, names = merge_covariates(data, covariates)
    if terms is not None:
        missing = [t for t in terms if t not in data.columns]
        if missing:
            raise InputError(f"terms {missing} are not columns of the event rows or covariates; available: {sorted(data.columns)}")
        names = list(terms)
    if neighbours:
        if "neighbour_share" not in data:
            raise InputError("neighbours=True needs the neighbour_share column of adoption_events on a province table (by='province')")
        names += ["neighbour_share"] + (["no_neighbour"] if data["no_neighbour"].nunique() > 1 else [])
    bad = data[names].isna().any(axis=1) if names else pd.Series(False, index=data.index)
    dropped["missing_values"] = int(bad.sum())
    if bad.any():
        notes.append(f"left out {int(bad.sum())} rows with missing values in {sorted(c for c in names if data[c].isna().any())}")
        data = data[~bad].reset_index(drop=True)
    n_events = int(data["event"].sum())
    if n_events == 0 or n_events == len(data):
        raise InputError(f"{len(data)} rows at risk with {n_events} events: a hazard model needs both adoptions and years without one")
    effects = {"baseline": baseline_bins(data["duration" if baseline == "duration" else time], data["event"])}
    if data["slogan_id"].nunique() > 1:
        effects["slogan"] = data["slogan_id"]
    dummies = [pd.get_dummies(v if isinstance(v.dtype, pd.CategoricalDtype) else v.astype(str), prefix=k, prefix_sep="=", drop_first=True, dtype=np.float64) for k, v in effects.items()]
    X = pd.concat([pd.DataFrame({"Intercept": np.ones(len(data))}), *dummies, data[names].astype(np.float64)], axis=1)
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < X.shape[1]:
        raise InputError(f"the hazard design is not identified ({X.shape[1]} columns, rank {rank}): a covariate is constant or collinear with the baseline or slogan effects; drop it")
    cluster_on = cluster
    fit_kw = {}
    n_clusters = int(data[cluster].nunique()) if cluster else None
    if cluster is not None and cluster not in data:
        raise InputError(f"cluster {cluster!r}: no such column in the event rows; columns: {list(data.columns)}")
    if cluster is not None and n_clusters >= 2:
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(data[cluster])[0]}}
    else:
        cluster_on = None
        if cluster is not None:
            notes.append(f"one {cluster} only: model-based standard errors")
    family = sm.families.Binomial(link=sm.families.links.CLogLog() if link == "cloglog" else sm.families.links.Logit())
    y = data["event"].to_numpy(dtype=np.float64)
    with one_blas_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.GLM(y, X, family=family).fit(maxiter=200, tol=1e-10, **fit_kw)
    p0 = y.mean()
    loglik_null = float(np.sum(y * np.log(p0) + (1 - y) * np.log(1 - p0)))
    col, ratio = LINKS[link]
    shown = [i for i, n in enumerate(X.columns) if n in names]
    table = tidy_estimates([X.columns[i] for i in shown], np.asarray(result.params)[shown], np.asarray(result.bse)[shown], conf=conf, ratio=col, notes=notes)
    table.attrs.update(
        family=link, link=link, baseline=baseline, fixed_effects=[f"{baseline} bins ({effects['baseline'].nunique()})"] + (["slogan"] if "slogan" in effects else []),
        cluster=cluster_on, n_clusters=n_clusters, n_obs=len(data), n_events=n_events, loglik=float(result.llf), loglik_null=loglik_null,
        pseudo_r2=1 - float(result.llf) / loglik_null, dropped=dropped, excluded=periods.attrs.get("excluded", {}), conf=conf, covariates=names, notes=notes,
        ssc="CRV1, G/(G-1)(N-1)/(N-K)" if cluster_on else "iid", ratio=ratio, unit="province-slogan-years at risk", null="a constant hazard",
        estimator=f"statsmodels GLM binomial ({link})", origin=periods.attrs.get("origin"),
    )
    return table


# --- command line ---------------------------------------------------------------------------


def add_hazard_command(sub) -> None:
    """Register ``tifa hazard`` (the discrete-time adoption hazard) on the CLI's subcommands."""
    from tifa.models import corpus_arguments

    p = sub.add_parser("hazard", help="discrete-time hazard of first use (cloglog or logit) on province-slogan-years at risk, clustered by province; optional neighbour term")
    corpus_arguments(p)
    p.add_argument("--central", default="national", help="central reference: 'national', a corpus path, or a group of the corpus as '<docvar>: <value>' (default: national)")
    p.add_argument("--central-text-field", default="text", help="text field of a --central JSONL/CSV/Parquet file (default: text)")
    p.add_argument("--slogans", nargs="+", default=None, help="lexicon ids or canonical forms (default: every entry)")
    p.add_argument("--link", choices=list(LINKS), default="cloglog", help="cloglog (hazard ratios) or logit (odds ratios); default: cloglog")
    p.add_argument("--baseline", choices=BASELINES, default="duration", help="baseline hazard dummies: years since first central use, or calendar year (default: duration)")
    p.add_argument("--neighbours", action="store_true", help="add the share of contiguous provinces that had adopted by the previous year")
    p.add_argument("--covariates", default=None, help="CSV with province_code (GB/T 2260) or province, optionally year, and covariate columns")
    p.add_argument("--cluster", default="province", help="column to cluster standard errors by (default: province; 'none': model-based)")
    p.add_argument("--format", choices=("table", "csv"), default="table", help="table: ratios with intervals and footnote; csv: the tidy estimates")
    p.set_defaults(func=cmd_hazard)


def cmd_hazard(args) -> int:
    """``tifa hazard``: adoption table, event rows, model, print."""
    import sys

    from tifa.adoption import adoption_events, slogan_adoption
    from tifa.corpus import load_corpus
    from tifa.lexicon_options import lexicon_matcher
    from tifa.models import emit_model

    corpus = load_corpus(args.corpus, text_field=args.text_field, id_field=args.id_field)
    for row in corpus.problems.itertuples():
        print(f"note: {row.where}: {row.problem}", file=sys.stderr)
    adoption = slogan_adoption(corpus, by="province", time="year", central=args.central, slogans=args.slogans, central_text_field=args.central_text_field, matcher=lexicon_matcher(args))
    model = adoption_hazard(adoption_events(adoption), link=args.link, neighbours=args.neighbours, covariates=args.covariates, baseline=args.baseline, cluster=None if args.cluster == "none" else args.cluster)
    emit_model(model, args.format)
    return 0
