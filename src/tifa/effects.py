"""Covariate effects on topic prevalence with the topic model's own uncertainty: stm's ``estimateEffect``.

The method of composition (Treier & Jackman; Roberts, Stewart & Tingley): draw
the units' topic shares from the structural topic model's variational posterior
(``nsims`` times, stm's "Global" covariance by default), regress each topic's
share on the design for every draw, draw coefficients from each regression's
estimate and covariance, and read expected prevalence, contrasts and curves off
the pooled coefficient draws: the estimate from the regressions' mean
coefficients (stm takes the mean of the draws, the same up to simulation noise;
expected shares then sum to one exactly), the interval from the draws'
percentiles (as stm's ``plot.estimateEffect``). Paragraphs of one report are
not independent: each regression's covariance is clustered by document, by
default the leave-one-document-out jackknife (CR3; the usual CR1 sandwich is
too narrow when a level has few documents), so the interval holds the topic
model's uncertainty and the variation between documents. A factor level with a
single document has no interval: one document cannot say how others of its
level would read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm import tqdm

from tifa import config
from tifa.errors import InputError
from tifa.util.tables import sort_table

if TYPE_CHECKING:  # imported where used: the command line builds its parser without the models
    from tifa.stm import Design, StructuralTopicModel

log = logging.getLogger(__name__)

COLUMNS = ["topic", "label", "covariate", "level", "estimate", "ci_low", "ci_high", "method"]
VCOV = ("CR3", "CR1")
MINUS = " − "


@dataclass
class TopicEffects:
    """Regressions of topic shares on a design: ``coefficients`` (draws, columns, topics) and their ``mean`` over θ draws (columns, topics)."""

    design: Design
    coefficients: np.ndarray
    mean: np.ndarray
    method: str
    docs_per_level: dict[str, dict[str, int]]  # factor docvar → level → documents
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return self.coefficients.shape[2]


def estimate_effect(
    model: StructuralTopicModel,
    formula: str | None = None,
    *,
    nsims: int = config.STM_NSIMS,
    n_coef: int = config.STM_COEF_DRAWS,
    uncertainty: str = "global",
    cluster: str | None = "auto",
    vcov: str = "CR3",
    labels: dict[int, str] | None = None,
    random_state: int = config.RANDOM_STATE,
    progress: bool = True,
) -> TopicEffects:
    """Regress every topic's share on ``formula`` (default: the model's prevalence formula) by the method of composition.

    ``cluster``: the docvar whose units are not independent (``"auto"``:
    ``doc_id`` when a document has several units, else none: classical OLS).
    ``vcov``: ``"CR3"`` (default: the leave-one-document-out jackknife, which
    stays honest when a level has few documents) or ``"CR1"`` (the usual
    sandwich, too narrow then); both need more clusters than design columns.
    stm's advice holds: the effect formula should use only covariates of the
    model's prevalence formula.
    """
    from tifa.stm import prevalence_design, theta_draws
    from tifa.topics import topic_labels

    if vcov not in VCOV:
        raise InputError(f"vcov must be one of {VCOV}, not {vcov!r}")
    design = model.design if formula is None else prevalence_design(formula, model.units)
    units = model.units
    if cluster == "auto":
        cluster = "doc_id" if units["doc_id"].duplicated().any() else None
    p = design.matrix.shape[1]
    regression = Regression(design.matrix, None if cluster is None else units[cluster].astype(str).to_numpy(), vcov if cluster else "classical")
    if cluster is not None and regression.n_clusters <= p:
        raise InputError(f"{regression.n_clusters} {cluster} clusters for {p} columns of {design.formula!r}: clustered intervals need more clusters than columns; simplify the formula (fewer levels, s(year, df=3)) or use more documents")
    outside = [v for v in design.variables if v not in model.design.variables]
    if outside:
        log.warning("the effect formula uses %s, which the topic model's prevalence formula %r does not: stm advises against it", outside, model.design.formula)
    draws = theta_draws(model, nsims=nsims, uncertainty=uncertainty, random_state=random_state)
    rng = np.random.default_rng(random_state)
    coefficients, mean = np.empty((nsims * n_coef, p, model.k)), np.zeros((p, model.k))
    for m in tqdm(range(nsims), desc="theta draws", unit="draw", disable=not progress or nsims * len(units) < 200_000):
        beta, covariances = regression.fit_scaled(draws[m])  # drawn where the design is well conditioned, then mapped back
        mean += regression.to_design @ beta / nsims
        for topic in range(model.k):
            coefficients[m * n_coef : (m + 1) * n_coef, :, topic] = _normal_draws(beta[:, topic], covariances[topic], n_coef, rng) @ regression.to_design.T
    where = f"{vcov} by {cluster} ({regression.n_clusters})" if cluster is not None else "units independent"
    method = f"composition: {nsims} {uncertainty} θ draws, {where}"
    per_level = {v: units.assign(_v=design.data[v].to_numpy()).groupby("_v")["doc_id"].nunique().to_dict() for v in design.variables if design.kind(v) == "factor"}
    log.info("estimate_effect %s on %d units of %d documents: %s", design.formula, len(units), units["doc_id"].nunique(), method)
    return TopicEffects(design, coefficients, mean, method, per_level, labels if labels is not None else topic_labels(model))


class Regression:
    """OLS of many outcomes on one design, with classical, CR1 or CR3 covariances; what depends only on the design is computed once.

    The regressions run on the design with its non-constant columns centred
    (when it has an intercept) and scaled to unit variance: a raw year column
    (values near 2020) makes X'X's condition number about 10¹³, and then the
    last bits in which CPUs' BLAS kernels differ reach the sixth digit of an
    interval. ``fit_scaled`` gives coefficients and covariances on that scale,
    ``to_design`` maps them back (β = to_design @ β_scaled); ``fit`` does both.
    """

    def __init__(self, X: np.ndarray, clusters: np.ndarray | None, vcov: str):
        self.to_design = _standardising_map(X)
        X = self.X = X @ self.to_design
        self.vcov = vcov
        n, p = X.shape
        self.inverse = np.linalg.pinv(X.T @ X)
        self.hat = self.inverse @ X.T
        self.rows = []
        if clusters is not None:
            codes = np.unique(clusters, return_inverse=True)[1]
            self.rows = np.split(np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes))[:-1])
        self.n_clusters = len(self.rows)
        if vcov == "CR3":  # leave-one-cluster-out inverses: (X'X - X_g'X_g)^+
            gram = X.T @ X
            self.leave_out = [np.linalg.pinv(gram - X[r].T @ X[r]) for r in self.rows]

    def fit(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(beta, cov)``: coefficients (columns × outcomes) and one covariance per outcome (outcomes × columns × columns)."""
        beta, cov = self.fit_scaled(Y)
        return self.to_design @ beta, self.to_design[None] @ cov @ self.to_design.T[None]

    def fit_scaled(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`fit` on the standardised design (see the class)."""
        X, (n, p) = self.X, self.X.shape
        beta = self.hat @ Y
        if self.vcov == "classical":
            resid = Y - X @ beta
            return beta, (resid**2).sum(axis=0)[:, None, None] / (n - p) * self.inverse[None]
        G = self.n_clusters
        if self.vcov == "CR1":
            resid = Y - X @ beta
            scores = np.stack([X[r].T @ resid[r] for r in self.rows])  # clusters × columns × outcomes
            meat = np.einsum("gpk,gqk->kpq", scores, scores)
            return beta, G / (G - 1) * (n - 1) / (n - p) * self.inverse[None] @ meat @ self.inverse[None]
        XtY = X.T @ Y
        shifts = np.stack([inverse @ (XtY - X[r].T @ Y[r]) - beta for r, inverse in zip(self.rows, self.leave_out)])
        return beta, (G - 1) / G * np.einsum("gpk,gqk->kpq", shifts, shifts)


def _standardising_map(X: np.ndarray) -> np.ndarray:
    """``M`` such that ``X @ M`` has its non-constant columns scaled to unit variance, and centred when ``X`` has a column of ones."""
    p = X.shape[1]
    centre, scale = X.mean(axis=0), X.std(axis=0)
    varying = scale > 1e-12 * np.maximum(np.abs(centre), 1)
    M, columns = np.eye(p), np.flatnonzero(varying)
    M[columns, columns] = 1 / scale[columns]
    ones = np.flatnonzero(~varying & np.all(X == 1, axis=0))
    if len(ones):
        M[ones[0], varying] = -centre[varying] / scale[varying]
    return M


def _normal_draws(mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of N(mean, cov) through a Cholesky factor (eigenvalues clipped at 0 when cov is only semi-definite)."""
    cov = 0.5 * (cov + cov.T)
    try:
        factor = np.linalg.cholesky(cov + 1e-12 * np.eye(len(mean)))
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(cov)
        factor = vectors * np.sqrt(np.clip(values, 0, None))
    return mean + rng.standard_normal((n, len(mean))) @ factor.T


# --- quantities of interest --------------------------------------------------------------


def reference_values(design: Design) -> dict[str, object]:
    """Values other covariates are held at (stm's rule): the median of a numeric docvar, the most frequent level of a factor (first in sorted order on ties)."""
    held = {}
    for v in design.variables:
        column = design.data[v]
        if design.kind(v) == "numeric":
            held[v] = float(column.median())
        else:
            counts = column.value_counts()
            held[v] = sorted(counts.index[counts == counts.max()])[0]
    return held


def covariate_values(design: Design, covariate: str, *, n_points: int = 50) -> list:
    """The values at which a covariate's effect is shown: every level of a factor; every whole value of a whole-numbered docvar spanning at most 200, else ``n_points`` from its minimum to its maximum."""
    column = design.data[covariate]
    if design.kind(covariate) == "factor":
        return sorted(column.unique())
    low, high = float(column.min()), float(column.max())
    if (column % 1 == 0).all() and high - low <= 200:
        return [float(v) for v in np.arange(low, high + 1)]
    return [float(v) for v in np.linspace(low, high, n_points)]


def _summarise(effects: TopicEffects, rows: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate (``rows`` × mean coefficients) and percentile interval (over the coefficient draws) of linear combinations of the coefficients."""
    alpha = (1 - level) / 2
    low, high = np.quantile(np.einsum("rp,spk->srk", rows, effects.coefficients), [alpha, 1 - alpha], axis=0)
    return rows @ effects.mean, low, high


def _grid(effects: TopicEffects, covariate: str, values: Sequence) -> np.ndarray:
    if covariate not in effects.design.variables:
        raise InputError(f"{covariate!r} is not a covariate of {effects.design.formula!r}; covariates: {effects.design.variables}")
    frame = pd.DataFrame({v: [held] * len(values) for v, held in reference_values(effects.design).items()})
    frame[covariate] = list(values)
    return effects.design.evaluate(frame)


def _level_text(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def topic_effects(effects: TopicEffects, *, covariates: Sequence[str] | None = None, level: float = 0.95, n_points: int = 50) -> pd.DataFrame:
    """Expected topic prevalence at each level (factor) or along the range (numeric) of each covariate, others held at :func:`reference_values`.

    Columns: ``topic, label, covariate, level, value, estimate, ci_low, ci_high,
    n_docs, method`` (``value``: the numeric covariate's value, else NaN;
    ``n_docs``: documents at a factor level). A level with fewer than two
    documents has no interval.
    """
    rows = []
    for covariate in covariates or effects.design.variables:
        values = covariate_values(effects.design, covariate, n_points=n_points)
        estimate, low, high = _summarise(effects, _grid(effects, covariate, values), level)
        factor = effects.design.kind(covariate) == "factor"
        for i, value in enumerate(values):
            docs = effects.docs_per_level[covariate].get(value, 0) if factor else np.nan
            lonely = factor and docs < 2
            for topic in range(effects.k):
                rows.append((topic, effects.labels.get(topic, ""), covariate, _level_text(value), np.nan if factor else value, estimate[i, topic],
                             np.nan if lonely else low[i, topic], np.nan if lonely else high[i, topic], docs, effects.method))  # fmt: skip
        lonely = sorted(v for v in values if factor and effects.docs_per_level[covariate].get(v, 0) < 2)
        if lonely:
            log.warning("%s: %d level(s) with a single document get no interval (%s)", covariate, len(lonely), ", ".join(map(str, lonely[:5])) + (" …" if len(lonely) > 5 else ""))
    table = pd.DataFrame(rows, columns=["topic", "label", "covariate", "level", "value", "estimate", "ci_low", "ci_high", "n_docs", "method"])
    return table.reset_index(drop=True)


def topic_contrast(effects: TopicEffects, covariate: str, a, b, *, level: float = 0.95) -> pd.DataFrame:
    """Difference in expected topic prevalence between two values of a covariate (``a`` − ``b``), others held at :func:`reference_values`.

    Columns as :func:`topic_effects`, with ``level`` ``"a − b"``. No interval
    when either level of a factor has fewer than two documents.
    """
    design = effects.design
    if covariate not in design.variables:
        raise InputError(f"{covariate!r} is not a covariate of {design.formula!r}; covariates: {design.variables}")
    if design.kind(covariate) == "numeric":
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            raise InputError(f"{covariate} is numeric: contrast two numbers, not {a!r} and {b!r}") from None
    else:
        a, b = str(a), str(b)
    if a == b:
        raise InputError(f"contrast {covariate} {a} with itself: give two different values")
    grid = _grid(effects, covariate, [a, b])
    estimate, low, high = (x[0] for x in _summarise(effects, grid[:1] - grid[1:], level))
    docs = min(effects.docs_per_level[covariate].get(v, 0) for v in (a, b)) if covariate in effects.docs_per_level else np.nan
    lonely = covariate in effects.docs_per_level and docs < 2
    if lonely:
        log.warning("%s %s − %s: a level with a single document, no interval", covariate, a, b)
    text = f"{_level_text(a)}{MINUS}{_level_text(b)}"
    rows = [(t, effects.labels.get(t, ""), covariate, text, np.nan, estimate[t], np.nan if lonely else low[t], np.nan if lonely else high[t], docs, effects.method) for t in range(effects.k)]
    return pd.DataFrame(rows, columns=["topic", "label", "covariate", "level", "value", "estimate", "ci_low", "ci_high", "n_docs", "method"])


# --- what the corpus supports --------------------------------------------------------------


def with_region(units: pd.DataFrame) -> pd.DataFrame:
    """The units with ``region`` (NBS: East, Central, West, Northeast) from their ``province``, where the gazetteer knows it."""
    from tifa.places import province_info

    if "region" in units or "province" not in units:
        return units
    region = province_info(units["province"])["region"]
    return units.assign(region=region.astype(object).where(region.notna(), None).to_numpy())


def choose_prevalence(units: pd.DataFrame, *, group: str | None = None, time: str = "year", min_documents: int = config.STM_MIN_DOCUMENTS) -> tuple[str | None, list[str]]:
    """A prevalence formula the documents can support, and why each covariate is in or out.

    The design keeps at most half as many columns as documents (clustered
    intervals need many documents per column). ``time`` enters as ``s(time)``
    (stm's spline, fewer degrees of freedom if the documents ask for it) with at
    least 4 distinct values; ``group`` (e.g. province) as a factor when at least
    two of its levels have two documents or more, else, for provinces, their NBS
    ``region``. ``None`` when there are fewer than ``min_documents`` documents or
    no covariate qualifies.
    """
    docs = units.drop_duplicates("doc_id")
    if len(docs) < min_documents:
        return None, [f"{len(docs)} documents: covariate effects need at least {min_documents} (config.STM_MIN_DOCUMENTS) to estimate how documents differ"]
    reasons: list[str] = []
    terms, budget = [], len(docs) // 2 - 1  # columns besides the intercept
    if time in docs and docs[time].notna().any():
        distinct = docs[time].dropna().nunique()
        df = min(config.STM_SPLINE_DF, distinct - 1, budget)
        if distinct >= 4 and df >= 3:
            terms.append(f"s({time})" if df == min(config.STM_SPLINE_DF, distinct - 1) else f"s({time}, df={df})")
            budget -= df
            reasons.append(f"{time}: {distinct} distinct values, a cubic spline with {df} degrees of freedom")
        else:
            reasons.append(f"{time}: {distinct} distinct value(s), too few for a curve (at least 4)")
    if group == "decade" and terms:
        reasons.append(f"decade: derived from {time}, whose spline already follows time")
    elif group and group not in (time, "doc_id"):
        chosen = _factor_term(docs, group, budget, reasons)
        if chosen is None and group == "province":
            chosen = _factor_term(with_region(docs), "region", budget, reasons)
        if chosen is not None:
            terms.insert(0, chosen)
    if not terms:
        return None, reasons
    return "~ " + " + ".join(terms), reasons


def _factor_term(docs: pd.DataFrame, name: str, budget: int, reasons: list[str]) -> str | None:
    if name not in docs or docs[name].notna().sum() == 0:
        reasons.append(f"{name}: not a docvar with values")
        return None
    if pd.api.types.is_numeric_dtype(docs[name]):
        reasons.append(f"{name}: a number, not a category (write the formula yourself: study parameter stm_prevalence)")
        return None
    per_level = docs[name].dropna().value_counts()
    if (per_level >= 2).sum() < 2:
        reasons.append(f"{name}: {len(per_level)} level(s), fewer than two with two documents or more (one document cannot stand for its level)")
        return None
    if len(per_level) - 1 > budget:
        reasons.append(f"{name}: {len(per_level)} levels, too many for {len(docs)} documents (a design keeps at most half as many columns as documents)")
        return None
    reasons.append(f"{name}: {len(per_level)} levels, {int((per_level >= 2).sum())} with two documents or more")
    return name


# --- command line -------------------------------------------------------------------------


def add_stm_options(parser) -> None:
    """The ``tifa topics`` options of ``--method stm``."""
    parser.add_argument("--prevalence", default=None, help="with --method stm: prevalence formula over docvars, e.g. \"~ province + s(year)\" (s(): stm's cubic spline, df = min(10, distinct values - 1))")
    parser.add_argument("--content", default=None, help="with --method stm: a docvar whose levels get their own words per topic (e.g. region)")
    parser.add_argument("--contrast", nargs=3, metavar=("COVARIATE", "A", "B"), default=None, help="with --method stm: difference in prevalence A - B (e.g. province 广东省 浙江省, or year 2025 2015)")
    parser.add_argument("--nsims", type=int, default=config.STM_NSIMS, help=f"with --method stm: draws of topic shares from the posterior (default: {config.STM_NSIMS})")


def topics_stm_table(units: pd.DataFrame, args, *, corpus_name: str = "data") -> tuple[pd.DataFrame, str]:
    """``tifa topics --method stm``: the effects table (or the contrast) and a one-line summary for standard error."""
    from tifa.stm import fit_stm
    from tifa.topics import topic_labels

    if not args.prevalence:
        raise InputError('--method stm needs --prevalence, e.g. --prevalence "~ province + s(year)"')
    if "region" in args.prevalence or args.content == "region":
        units = with_region(units)
    model = fit_stm(units, k=args.k, prevalence=args.prevalence, content=args.content, random_state=args.seed)
    effects = estimate_effect(model, nsims=args.nsims, labels=topic_labels(model, corpus=corpus_name), random_state=args.seed, progress=False)
    table = topic_contrast(effects, *args.contrast) if args.contrast else topic_effects(effects)
    summary = f"{model.name} ({model.design.expanded}): {len(model.units)} units of {model.units['doc_id'].nunique()} documents, {len(model.features)} terms; {effects.method}"
    return sort_table(table, ["covariate", "topic"], ascending=True)[COLUMNS], summary
