"""Structural topic models: topic prevalence as a regression on document covariates (Roberts, Stewart & Tingley).

A thin interface over the STM of ``topica`` (pinned in ``requirements.lock``;
Rust core, spectral initialisation as R stm's default, the same bytes for any
number of threads), so the engine can be swapped: tifa owns the vocabulary
(:func:`tifa.topic_model.unit_counts`, as for NMF and LDA), the prevalence design
(R-style formulas through ``formulaic``; ``s(year)`` is stm's B-spline), the
fitted model's form (a :class:`~tifa.topics.TopicModel`, so top terms, labels and
representative units work as for the other methods), the choice of K and the
effects (:mod:`tifa.effects`). What is asked of the engine: a fit, the
variational posterior's draws of θ, and the content model's topic-word
distributions per level.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from tifa import config
from tifa.errors import InputError
from tifa.topic_model import TopicModel, unit_counts, warn_grid_edge

log = logging.getLogger(__name__)

ENGINE = "topica"
UNCERTAINTY = ("global", "local", "none")
_SMOOTH = re.compile(r"\bs\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*df\s*=\s*(\d+)\s*)?\)")


# --- the prevalence design -----------------------------------------------------------------


@dataclass
class Design:
    """A prevalence design: the formula, its columns (``matrix`` has the intercept first) and how to build them for new values."""

    formula: str  # as given, e.g. "~ province + s(year)"
    expanded: str  # as formulaic reads it: s(year) → bs(year, df=…, degree=3)
    variables: list[str]  # the docvars it uses
    names: list[str]  # column names, "Intercept" first
    matrix: np.ndarray  # units × columns
    data: pd.DataFrame  # the docvars of the units, as the design saw them
    spec: object = field(repr=False)  # formulaic's ModelSpec: the same coding and spline knots for new values

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """The design's columns for new covariate values (same factor coding, same spline knots)."""
        frame = _as_numeric(frame[self.variables], self.data)
        for variable in self.variables:
            if self.kind(variable) == "factor":
                unknown = sorted(set(frame[variable]) - set(self.data[variable]))
                if unknown:
                    raise InputError(f"{variable} {unknown}: not a level the model was fitted on; levels: {sorted(set(self.data[variable]))}")
        try:
            return np.asarray(self.spec.get_model_matrix(frame), dtype=float)
        except Exception as exc:  # formulaic refuses values beyond a spline's boundary knots
            raise InputError(f"covariate values outside what {self.formula!r} was fitted on ({exc}); use values within the observed range") from exc

    def kind(self, variable: str) -> str:
        """``"numeric"`` or ``"factor"``: how the design treats a docvar."""
        return "numeric" if pd.api.types.is_numeric_dtype(self.data[variable]) else "factor"


def prevalence_design(formula: str, data: pd.DataFrame, *, spline_df: int = config.STM_SPLINE_DF) -> Design:
    """Build the design of an R-style prevalence formula (``"~ province + s(year)"``) on the units' docvars.

    Factors (text docvars) are treatment-coded against their first level in
    sorted order; ``s(x)`` is stm's smooth term, a cubic B-spline with
    ``min(spline_df, distinct values − 1)`` degrees of freedom (``s(x, df=4)``
    sets them); any other formulaic term (``bs``, ``cr``, ``C``, interactions)
    passes through. Rows must have every variable (see :func:`fit_stm`).
    """
    from formulaic import model_matrix

    text = formula.strip()
    if not text.startswith("~"):
        raise InputError(f"prevalence formula {formula!r}: write it as '~ covariate + …' (no left-hand side), e.g. '~ province + s(year)'")

    def smooth(match: re.Match) -> str:
        name, df = match.group(1), match.group(2)
        if name not in data:
            raise InputError(f"prevalence formula {formula!r}: no docvar {name!r}; docvars: {sorted(map(str, data.columns))}")
        distinct = pd.to_numeric(data[name], errors="coerce").nunique()
        df = int(df) if df else min(spline_df, distinct - 1)
        if df < 3 or distinct <= df:
            raise InputError(f"s({name}) needs more distinct values than degrees of freedom and at least 3 of them (a cubic spline); {name} has {distinct}: use {name} as a straight line instead")
        return f"bs({name}, df={df}, degree=3)"

    expanded = _SMOOTH.sub(smooth, text)
    variables = formula_variables(expanded, data)
    frame = _as_numeric(data[variables], data[variables])
    if frame.isna().any().any():
        raise InputError(f"prevalence formula {formula!r}: {int(frame.isna().any(axis=1).sum())} units lack a value of {variables}; leave them out first (fit_stm does)")
    try:
        matrix = model_matrix(expanded, frame)
    except Exception as exc:  # formulaic's parse and evaluation errors
        raise InputError(f"prevalence formula {formula!r} cannot be evaluated ({type(exc).__name__}: {exc})") from exc
    names = [str(c) for c in matrix.columns]
    if names[0] != "Intercept":
        raise InputError(f"prevalence formula {formula!r}: keep the intercept (no '- 1' or '+ 0'); the model adds its own")
    values = np.asarray(matrix, dtype=float)
    if np.linalg.matrix_rank(values) < values.shape[1]:
        raise InputError(f"prevalence formula {formula!r}: its {values.shape[1]} columns are collinear (a level without units, a docvar that repeats another, or a spline with too many degrees of freedom); simplify it")
    return Design(formula, expanded, variables, names, values, frame.reset_index(drop=True), matrix.model_spec)


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """The docvars a formula names, in order (names of functions and keyword arguments are not docvars)."""
    bare = re.sub(r"'[^']*'|\"[^\"]*\"", " ", formula)
    names = [m.group(0) for m in re.finditer(r"\b[A-Za-z_][A-Za-z0-9_]*\b(?!\s*[(=])", bare)]
    names = [n for n in dict.fromkeys(names) if not (n.isupper() and n not in data.columns)]  # constants such as C's levels
    missing = [n for n in names if n not in data.columns]
    if missing or not names:
        raise InputError(f"formula {formula!r}: no docvar {missing or 'named'}; docvars: {sorted(map(str, data.columns))}")
    return names


def _as_numeric(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """Docvars as the design reads them: numeric docvars (nullable integers too) as floats, others as text."""
    out = {}
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(like[column]) and not pd.api.types.is_bool_dtype(like[column]):
            out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        else:
            out[column] = frame[column].astype(object).where(frame[column].notna(), None).map(lambda v: v if v is None else str(v))
    return pd.DataFrame(out, index=frame.index)


# --- the model -------------------------------------------------------------------------------


@dataclass
class StructuralTopicModel(TopicModel):
    """A fitted structural topic model: a :class:`~tifa.topics.TopicModel` with its prevalence design and engine state."""

    design: Design | None = None
    content: str | None = None  # docvar of the content covariate
    converged: bool = False
    n_iter: int = 0
    bound: float = float("nan")
    engine: object = field(default=None, repr=False)  # the engine's fitted model (topica.STM)


def fit_stm(
    units: pd.DataFrame,
    *,
    k: int,
    prevalence: str | None,
    content: str | None = None,
    random_state: int = config.RANDOM_STATE,
    min_df: int = config.TOPIC_MIN_DF,
    max_df: float = config.TOPIC_MAX_DF,
    max_iter: int | None = None,
    tol: float = config.STM_TOL,
    n_threads: int | None = None,
    progress: bool = True,
) -> StructuralTopicModel:
    """Fit a structural topic model with ``k`` topics whose prevalence follows ``prevalence`` (``"~ province + s(year)"``).

    ``content``: a docvar whose levels get their own word distributions per topic
    (stm's content covariate; the intercept-only ``"~ 1"`` is refused, give at
    least one covariate). Units lacking a covariate value are left out (logged).
    EM stops when the bound's relative change falls below ``tol`` (stm's
    ``emtol``) or after ``max_iter`` iterations (``config.STM_MAX_ITER``). The
    spectral start is deterministic; ``random_state`` seeds the content model's
    start. The fit is the same for any number of ``n_threads``.
    """
    import topica

    units, counts, features = stm_units(units, prevalence=prevalence, content=content, min_df=min_df, max_df=max_df)
    if k < 2 or k >= counts.shape[0]:
        raise InputError(f"k={k}: need 2 ≤ k < number of units ({counts.shape[0]})")
    design = prevalence_design(prevalence, units)
    docs = count_tokens(counts, features)
    levels = None if content is None else units[content].astype(str).tolist()
    if levels is not None and len(set(levels)) < 2:
        raise InputError(f"content covariate {content!r} has a single level: nothing to contrast")
    engine = topica.STM(num_topics=k, seed=int(random_state))
    bar = tqdm(total=max_iter or config.STM_MAX_ITER, desc=f"stm-{k} EM (at most)", unit="iteration", mininterval=2, disable=not progress or len(units) < 2000)
    engine.fit(docs, design.matrix[:, 1:], prevalence_names=design.names[1:], content=levels, iters=max_iter or config.STM_MAX_ITER, convergence_tol=tol, num_threads=n_threads,
               progress=None if bar.disable else lambda done, total, info: bar.update(done - bar.n))  # fmt: skip
    bar.close()
    if not engine.converged:
        log.warning("stm-%d did not converge in %d iterations (relative change of the bound ≥ %g): raise max_iter", k, max_iter or config.STM_MAX_ITER, tol)
    order = _feature_order(engine.vocabulary, features)
    topic_term = np.asarray(engine.topic_word, dtype=float)[:, order]
    topic_term /= topic_term.sum(axis=1, keepdims=True)
    doc_topic = np.asarray(engine.doc_topic, dtype=float)
    return StructuralTopicModel(
        "stm", k, int(random_state), features, topic_term, doc_topic, units, counts,
        design=design, content=content, converged=bool(engine.converged), n_iter=len(engine.bound_history), bound=float(engine.bound), engine=engine,
    )  # fmt: skip


def stm_units(units: pd.DataFrame, *, prevalence: str | None, content: str | None = None, min_df: int = config.TOPIC_MIN_DF, max_df: float = config.TOPIC_MAX_DF) -> tuple:
    """``(units, counts, features)`` of a structural topic model: units lacking a covariate value left out (logged), then the trimmed vocabulary."""
    if not prevalence:
        raise InputError("method='stm' needs a prevalence formula, e.g. prevalence='~ province + s(year)'")
    if content and content not in units.columns:
        raise InputError(f"content covariate {content!r} is not a docvar of the units; docvars: {sorted(map(str, units.columns))}")
    needed = formula_variables(_SMOOTH.sub(lambda m: m.group(1), prevalence), units) + ([content] if content else [])
    complete = units[needed].notna().all(axis=1).to_numpy()
    if not complete.all():
        log.warning("%d of %d units lack a value of %s and are left out of the structural topic model", int((~complete).sum()), len(units), "/".join(needed))
        units = units[complete].reset_index(drop=True)
    return unit_counts(units, min_df=min_df, max_df=max_df)


def count_tokens(counts, features: np.ndarray) -> list[list[str]]:
    """Each unit's tokens of the trimmed vocabulary, grouped by term in vocabulary order (the engine's input)."""
    rows = []
    for i in range(counts.shape[0]):
        start, end = counts.indptr[i], counts.indptr[i + 1]
        rows.append([features[j] for j, n in zip(counts.indices[start:end], counts.data[start:end]) for _ in range(int(n))])
    return rows


def _feature_order(vocabulary: Sequence[str], features: np.ndarray) -> np.ndarray:
    index = {w: i for i, w in enumerate(vocabulary)}
    missing = [f for f in features if f not in index]
    if missing:
        raise RuntimeError(f"the STM engine dropped {len(missing)} terms of the vocabulary (e.g. {missing[:3]})")
    return np.array([index[f] for f in features])


def theta_draws(model: StructuralTopicModel, *, nsims: int = config.STM_NSIMS, uncertainty: str = "global", random_state: int = config.RANDOM_STATE) -> np.ndarray:
    """``nsims`` draws of the units' topic shares from the variational posterior: ``(nsims, units, k)``.

    ``uncertainty="global"`` (stm's default): every unit's η is drawn around its
    mean with one covariance, the average of the units' variational covariances;
    ``"local"``: each unit's own; ``"none"``: the point estimate every time.
    """
    from topica.effects import posterior_theta_samples

    if uncertainty not in UNCERTAINTY:
        raise InputError(f"uncertainty must be one of {UNCERTAINTY}, not {uncertainty!r}")
    return posterior_theta_samples(model.engine, nsims=nsims, seed=int(random_state), uncertainty=uncertainty)


def content_terms(model: StructuralTopicModel, *, n: int = config.TOPIC_TOP_N) -> pd.DataFrame:
    """Each topic's ``n`` heaviest terms within each level of the content covariate: ``topic, level, rank, term, weight``."""
    if model.content is None:
        raise InputError(f"{model.name} has no content covariate: fit it with content='region' (or another docvar)")
    by_level = np.asarray(model.engine.topic_word_by_group, dtype=float)[:, :, _feature_order(model.engine.vocabulary, model.features)]
    rows = []
    for topic in range(model.k):
        for g, level in enumerate(model.engine.groups):
            weights = by_level[topic, g] / by_level[topic, g].sum()
            order = np.lexsort((model.features, -weights))[:n]
            rows.extend((topic, level, rank, model.features[j], float(weights[j])) for rank, j in enumerate(order, start=1))
    return pd.DataFrame(rows, columns=["topic", "level", "rank", "term", "weight"])


# --- choosing K ------------------------------------------------------------------------------


def select_k_stm(
    units: pd.DataFrame,
    ks: Sequence[int],
    *,
    prevalence: str,
    content: str | None = None,
    heldout_share: float = config.STM_HELDOUT_SHARE,
    heldout_words: float = 0.5,
    n: int = config.TOPIC_TOP_N,
    random_state: int = config.RANDOM_STATE,
    min_df: int = config.TOPIC_MIN_DF,
    max_df: float = config.TOPIC_MAX_DF,
    max_iter: int | None = None,
    n_threads: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """stm's ``searchK``: per K, held-out likelihood, semantic coherence, exclusivity and residual dispersion.

    ``heldout_share`` of the units (drawn with ``random_state``) lose
    ``heldout_words`` of their tokens; every K is fitted on what is left and
    scored on the words held out (:func:`heldout_loglik`; higher is better). Semantic coherence (stm's ``semCoh``) and exclusivity (FREX-based)
    are means over topics of the top ``n`` terms; residual dispersion (Taddy) is
    ≈ 1 when K is large enough, with the p-value of the test that it is 1.
    Columns: ``k, heldout, semcoh, exclusivity, dispersion, dispersion_p, bound, converged``.
    """
    from topica.coherence import exclusivity, semantic_coherence
    from topica.evaluate import check_residuals, make_heldout

    units, counts, features = stm_units(units, prevalence=prevalence, content=content, min_df=min_df, max_df=max_df)
    heldout = make_heldout(count_tokens(counts, features), prop_docs=heldout_share, prop_words=heldout_words, seed=int(random_state))
    trimmed = units.assign(tokens=heldout.documents)
    rows = []
    for k in tqdm(ks, desc="K grid (stm)", unit="K", disable=not progress):
        model = fit_stm(trimmed, k=k, prevalence=prevalence, content=content, random_state=random_state, min_df=1, max_df=1.0, max_iter=max_iter, n_threads=n_threads, progress=False)
        if len(model.units) != len(trimmed):
            raise RuntimeError("units were lost between the held-out split and the fit")
        residuals = check_residuals(model.engine, heldout.documents)
        rows.append((k, heldout_loglik(model, heldout.missing), float(np.mean(semantic_coherence(model.engine, heldout.documents, n=n))),
                     float(np.mean(exclusivity(model.engine, n=n))), float(residuals.dispersion), float(residuals.pvalue), model.bound, model.converged))  # fmt: skip
    return pd.DataFrame(rows, columns=["k", "heldout", "semcoh", "exclusivity", "dispersion", "dispersion_p", "bound", "converged"])


def heldout_loglik(model: StructuralTopicModel, missing: Sequence[tuple[int, Sequence[str]]]) -> float:
    """stm's ``eval.heldout``: the mean over held-out units of the mean log-probability of their held-out words under the unit's fitted topic shares.

    ``missing``: ``(unit position, held-out words)``; words outside the model's vocabulary are not scored.
    """
    index = {w: j for j, w in enumerate(model.features)}
    scores = []
    for position, words in missing:
        ids = [index[w] for w in words if w in index]
        if ids:
            scores.append(float(np.mean(np.log(model.doc_topic[position] @ model.topic_term[:, ids]))))
    return float(np.mean(scores))


def choose_k_stm(selection: pd.DataFrame) -> tuple[int, str]:
    """The rule, and why: the best held-out likelihood among the K that no other K beats on both semantic coherence and exclusivity.

    Ties go to the smaller K; a K at either end of the grid is logged as a warning.
    """
    table = selection.reset_index(drop=True)
    dominated = [bool(((table["semcoh"] > row.semcoh) & (table["exclusivity"] > row.exclusivity)).any()) for row in table.itertuples()]
    frontier = table[~np.array(dominated)]
    best = frontier.iloc[np.lexsort((frontier["k"].to_numpy(), -frontier["heldout"].to_numpy().round(config.SORT_DECIMALS)))[0]]
    k = int(best["k"])
    others = sorted(int(x) for x in table.loc[np.array(dominated), "k"])
    reason = (f"K = {k}: the best held-out log-likelihood ({best['heldout']:.3f} per held-out word) among the K that no other K beats on both "
              f"semantic coherence and exclusivity ({', '.join(str(int(x)) for x in sorted(frontier['k']))})"
              + (f"; {', '.join(map(str, others))} {'is' if len(others) == 1 else 'are'} beaten on both" if others else "")
              + (f"; residual dispersion {best['dispersion']:.2f} (≫ 1: more topics would fit the counts better)" if best["dispersion"] > 2 else ""))  # fmt: skip
    if warn_grid_edge(k, table["k"], what="K by held-out likelihood"):
        reason += " — at the edge of the grid: the best K may lie beyond it"
    return k, reason
