"""Topic models whose prevalence can be compared across docvars, with honest uncertainty.

Units are paragraphs by default (five documents are too few to model as units),
or windows of sentences, or whole documents; each unit keeps its document's
docvars and position. One small interface fits scikit-learn's LDA (batch, on
counts) or NMF (on tf-idf), or a structural topic model (``method="stm"``, see
:mod:`tifa.stm`); K is chosen over a grid by coherence (NPMI, UMass on the units'
own co-occurrences), perplexity (LDA) and stability across subsamples.
Prevalence by any docvar comes with bootstrap intervals (documents resampled
within groups, fixed seed).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from tifa import config
from tifa.corpus import Corpus, check_parts, paragraph_number
from tifa.dfm import group_rows, group_values, refuse_output_names
from tifa.errors import InputError
from tifa.topic_model import TopicModel, unit_counts, warn_grid_edge
from tifa.tokens import Segmenter, Tokens
from tifa.units import join_docvars
from tifa.util.files import read_yaml
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

UNITS = ("paragraph", "sentence", "document")
METHODS = ("lda", "nmf", "stm")
RESAMPLE = ("document", "unit")


def topic_units(
    corpus: Corpus,
    tokens: Tokens,
    *,
    unit: str = "paragraph",
    window: int = config.TOPIC_SENTENCE_WINDOW,
    min_tokens: int = config.TOPIC_MIN_TOKENS,
    segmenter: Segmenter | None = None,
    include_parts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Modelling units with their tokens, document, position and docvars.

    A docvar named like a unit column (``position``, ``tokens``, ``unit_id``) is
    renamed ``<name>_docvar`` (:func:`tifa.units.join_docvars`; ``attrs["renamed_docvars"]``).

    ``include_parts``: parts of the documents to model (default: those ``tokens``
    was built with, ``config.DEFAULT_PARTS``: appendices are left out).

    ``unit``: ``"paragraph"`` (default), ``"sentence"`` (consecutive windows of
    ``window`` sentences within a paragraph, segmented with ``segmenter`` and
    filtered like ``tokens``) or ``"document"``. Units with fewer than
    ``min_tokens`` tokens after filtering are left out (headings, datelines);
    how many is logged and kept in ``units.attrs["n_dropped"]``.
    """
    if unit not in UNITS:
        raise InputError(f"unit must be one of {UNITS}, not {unit!r}")
    parts = tokens.parts if include_parts is None else check_parts(include_parts)
    if not set(parts) <= set(tokens.parts):
        raise InputError(f"include_parts {list(parts)}: the tokens hold only {list(tokens.parts)}; build them with tokens(..., include_parts=...)")
    if set(parts) != set(tokens.parts):
        tokens = Tokens(tokens.units[tokens.units["part"].isin(parts)], tokens.docvars, tokens.segmenter, tokens.filter, parts=parts)
    if unit == "paragraph":
        units = tokens.units.rename(columns={"paragraph_id": "unit_id"}).copy()
        units["position"] = units["unit_id"].map(paragraph_number)
    elif unit == "document":
        docs = tokens.documents()
        units = pd.DataFrame({"unit_id": docs.index, "doc_id": docs.index, "tokens": list(docs), "position": 1})
    else:
        seg = segmenter or Segmenter()
        sentences = corpus.sentences(include_parts=parts)
        rows = []
        for pid, group in sentences.groupby("paragraph_id", sort=False):
            texts = list(group["text"])
            for start in range(0, len(texts), window):
                words = [t for s in texts[start : start + window] for t in tokens.filter.apply(seg.tag(s) if tokens.filter.pos else seg.cut(s))]
                rows.append((f"{pid}:w{start // window + 1:03d}", group["doc_id"].iloc[0], words))
        units = pd.DataFrame(rows, columns=["unit_id", "doc_id", "tokens"])
        units["position"] = units.groupby("doc_id").cumcount() + 1
    keep = units["tokens"].map(len) >= min_tokens
    n_dropped = int((~keep).sum())
    if n_dropped:
        log.info("%d of %d %s units have fewer than %d tokens and are left out", n_dropped, len(units), unit, min_tokens)
    units = units[keep].reset_index(drop=True)
    out = join_docvars(units[["unit_id", "doc_id", "position", "tokens"]], tokens.docvars.drop(columns=["n_chars"], errors="ignore"))
    out.attrs["n_dropped"] = n_dropped
    out.attrs["unit"] = unit
    return out


def fit_topics(
    units: pd.DataFrame,
    *,
    k: int,
    method: str = "nmf",
    random_state: int = config.RANDOM_STATE,
    min_df: int = config.TOPIC_MIN_DF,
    max_df: float = config.TOPIC_MAX_DF,
    max_iter: int | None = None,
    prevalence: str | None = None,
    content: str | None = None,
) -> TopicModel:
    """Fit LDA (batch variational Bayes on counts), NMF (on tf-idf, nndsvda init) or a structural topic model with ``k`` topics.

    Vocabulary: terms in at least ``min_df`` units and at most ``max_df`` of them.
    LDA runs with ``n_jobs=1``: it is bit-identical across runs for a given
    ``random_state`` only at a fixed number of jobs. Units left without any
    vocabulary term are dropped (logged). ``method="stm"`` takes a ``prevalence``
    formula (``"~ province + s(year)"``) and optionally a ``content`` docvar: see
    :func:`tifa.stm.fit_stm`.
    """
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfTransformer

    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, not {method!r}")
    if method == "stm":
        from tifa.stm import fit_stm

        return fit_stm(units, k=k, prevalence=prevalence, content=content, random_state=random_state, min_df=min_df, max_df=max_df, max_iter=max_iter)
    if prevalence is not None or content is not None:
        raise InputError(f"prevalence and content covariates need method='stm', not {method!r}")
    units, counts, features = unit_counts(units, min_df=min_df, max_df=max_df)
    if k < 2 or k >= counts.shape[0]:
        raise InputError(f"k={k}: need 2 ≤ k < number of units ({counts.shape[0]})")
    perplexity = float("nan")
    if method == "lda":
        model = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=max_iter or config.TOPIC_LDA_ITER, random_state=random_state, n_jobs=1)
        doc_topic = model.fit_transform(counts)
        perplexity = float(model.perplexity(counts))
    else:
        weights = TfidfTransformer().fit_transform(counts)
        model = NMF(n_components=k, init="nndsvda", max_iter=max_iter or config.TOPIC_NMF_ITER, random_state=random_state)
        doc_topic = model.fit_transform(weights)
    topic_term = model.components_ / model.components_.sum(axis=1, keepdims=True)
    totals = doc_topic.sum(axis=1, keepdims=True)
    doc_topic = np.divide(doc_topic, totals, out=np.full_like(doc_topic, 1.0 / k), where=totals > 0)
    return TopicModel(method, k, random_state, features, topic_term, doc_topic, units, counts, perplexity)


# --- model selection ---------------------------------------------------------------------


def coherence(top_terms: Sequence[Sequence[str]], counts: sparse.csr_matrix, features: np.ndarray) -> tuple[float, float]:
    """Mean NPMI and UMass coherence of topics (lists of top terms) on unit co-occurrences.

    With D(w) the number of units holding w, D(w, v) those holding both and N the
    number of units: NPMI(w, v) = log(P(w,v) / (P(w) P(v))) / −log P(w,v), and −1
    for pairs never together; UMass(w_i, w_j) = log((D(w_i, w_j) + 1) / D(w_i)) with
    w_i ranked above w_j (Mimno et al. 2011). Averaged over pairs, then topics.
    """
    index = {f: i for i, f in enumerate(features)}
    present = (counts > 0).astype(np.int64).tocsc()
    n = present.shape[0]
    npmi_topics, umass_topics = [], []
    for terms in top_terms:
        cols = [index[t] for t in terms]
        sub = present[:, cols].toarray()
        df = sub.sum(axis=0)
        joint = sub.T @ sub
        npmi, umass = [], []
        for i, j in itertools.combinations(range(len(cols)), 2):  # j ranks below i
            d_ij = joint[i, j]
            if d_ij == 0:
                npmi.append(-1.0)
            else:
                p_ij = d_ij / n
                npmi.append(1.0 if p_ij == 1 else np.log(p_ij / (df[i] / n * df[j] / n)) / -np.log(p_ij))
            umass.append(np.log((d_ij + 1) / df[i]))
        npmi_topics.append(np.mean(npmi))
        umass_topics.append(np.mean(umass))
    return float(np.mean(npmi_topics)), float(np.mean(umass_topics))


def topic_stability(models: Sequence[TopicModel], *, n: int = config.TOPIC_TOP_N) -> float:
    """Mean Jaccard similarity of top-``n`` term sets between topics matched one-to-one across models (1 = identical).

    Topics of each pair of models are matched by the Hungarian algorithm on
    Jaccard similarity; the score averages over matched topics and model pairs.
    """
    return _stability([_top_term_lists(m, n) for m in models])


def _top_term_lists(model: TopicModel, n: int) -> list[list[str]]:
    return [list(group["term"]) for _, group in model.top_terms(n).groupby("topic")]


def _stability(term_lists: Sequence[Sequence[Sequence[str]]]) -> float:
    from scipy.optimize import linear_sum_assignment

    sets = [[set(terms) for terms in topics] for topics in term_lists]
    scores = []
    for a, b in itertools.combinations(sets, 2):
        sim = np.array([[len(x & y) / len(x | y) for y in b] for x in a])
        rows, cols = linear_sum_assignment(-sim)
        scores.append(sim[rows, cols].mean())
    return float(np.mean(scores)) if scores else 1.0


def _grid_fit(units: pd.DataFrame, k: int, method: str, seed: int, n: int, subsample: float | None, fit_options: dict) -> tuple:
    """One fit of the K grid, reduced to what the selection table needs (models stay in the worker).

    ``subsample``: fit on that share of the units, drawn with ``seed`` (a stability
    refit; no coherence); ``None``: the model on every unit, with its coherence.
    """
    if subsample is not None:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(units), size=max(k + 1, round(subsample * len(units))), replace=False), kind="stable")
        units = units.iloc[keep].reset_index(drop=True)
    model = fit_topics(units, k=k, method=method, random_state=seed, **fit_options)
    terms = _top_term_lists(model, n)
    npmi, umass = coherence(terms, model.counts, model.features) if subsample is None else (np.nan, np.nan)
    return terms, npmi, umass, model.perplexity


def select_k(
    units: pd.DataFrame,
    ks: Sequence[int],
    *,
    method: str = "nmf",
    seeds: Sequence[int] = config.TOPIC_SEEDS,
    n: int = config.TOPIC_TOP_N,
    subsample: float = config.TOPIC_SUBSAMPLE,
    n_jobs: int = 1,
    **fit_options,
) -> pd.DataFrame:
    """Fit every K of the grid: ``method, k, npmi, umass, perplexity, stability``.

    Coherence and perplexity are those of the model on every unit (first seed).
    Stability compares that model with refits on random ``subsample`` shares of
    the units, one per further seed (drawn with it): NMF's ``nndsvda`` start is
    deterministic, so only a change of data can show that a K's topics are an
    accident of the sample. ``n_jobs`` > 1 fits in that many processes (joblib);
    every fit has its own seed, so the table does not depend on it. The study
    keeps 1: it already runs two notebooks side by side.
    """
    from joblib import Parallel, delayed

    if not 0 < subsample < 1:
        raise InputError(f"subsample must be a share between 0 and 1 (exclusive), not {subsample!r}")
    if len(seeds) < 2:
        raise InputError(f"seeds: stability needs at least two seeds (the full fit and one refit), not {list(seeds)}")
    fits = Parallel(n_jobs=n_jobs)(delayed(_grid_fit)(units, k, method, seed, n, None if i == 0 else subsample, fit_options) for k in ks for i, seed in enumerate(seeds))
    rows = []
    for j, k in enumerate(ks):  # the fits of K, in seed order
        fits_of_k = fits[j * len(seeds) : (j + 1) * len(seeds)]
        _, npmi, umass, perplexity = fits_of_k[0]
        rows.append((method, k, npmi, umass, perplexity, _stability([terms for terms, *_ in fits_of_k])))
    return pd.DataFrame(rows, columns=["method", "k", "npmi", "umass", "perplexity", "stability"])


def choose_k(selection: pd.DataFrame, *, min_stability: float = config.TOPIC_MIN_STABILITY) -> int:
    """The rule: highest NPMI among the K whose stability is at least ``min_stability`` (all K if none); ties → smaller K.

    A K at the edge of the grid is logged as a warning: the best K may lie beyond it.
    """
    eligible = selection[selection["stability"] >= min_stability]
    pool = eligible if not eligible.empty else selection
    best = sort_table(pool, ["npmi", "k"], ascending=[False, True])
    k = int(best["k"].iloc[0])
    warn_grid_edge(k, selection["k"], what=f"K by NPMI{'' if not eligible.empty else ' (no K is stable)'}")
    return k


# --- prevalence ----------------------------------------------------------------------------


PREVALENCE_COLUMNS = ("topic", "label", "prevalence", "ci_low", "ci_high", "n_units", "n_docs")


def topic_prevalence(
    model: TopicModel,
    *,
    by: str | Sequence[str],
    n_boot: int = config.TOPIC_BOOTSTRAP,
    level: float = 0.95,
    resample: str = config.TOPIC_RESAMPLE,
    min_documents: int = config.TOPIC_MIN_BOOT_DOCUMENTS,
    random_state: int = config.RANDOM_STATE,
) -> pd.DataFrame:
    """Mean topic share of the units in each group, with percentile bootstrap intervals.

    ``resample="document"`` (default) draws a group's documents with replacement,
    each with all its units, ``n_boot`` times: paragraphs of one report are not
    independent, and the interval must reflect variation between documents.
    ``"unit"`` resamples units as if they were independent (narrower; right only
    for document units). Columns: ``<by>…, topic, prevalence, ci_low, ci_high,
    n_units, n_docs``. Groups' prevalences sum to 1 over topics. A group of
    fewer than ``min_documents`` documents (a single unit with ``"unit"``) has no
    interval (NaN): resampling two or three documents gives a few distinct
    means, not a 95 % interval.
    """
    if resample not in RESAMPLE:
        raise InputError(f"resample must be one of {RESAMPLE}, not {resample!r}")
    by_cols = [by] if isinstance(by, str) else list(by)
    refuse_output_names(by_cols, PREVALENCE_COLUMNS, "topic prevalence")
    rng = np.random.default_rng(random_state)
    alpha = (1 - level) / 2
    rows = []
    units = model.units.set_index("unit_id")
    groups = group_rows(units, by, what="units")
    for (_, idx), values in zip(groups.items(), group_values(units, groups, by_cols).itertuples(index=False)):
        shares = model.doc_topic[idx]
        docs, members = np.unique(units["doc_id"].to_numpy()[idx], return_inverse=True)
        clusters = len(docs) if resample == "document" else len(idx)
        sums = np.zeros((clusters, model.k))
        np.add.at(sums, members if resample == "document" else np.arange(len(idx)), shares)
        sizes = np.bincount(members, minlength=clusters) if resample == "document" else np.ones(clusters)
        weights = rng.multinomial(clusters, np.full(clusters, 1.0 / clusters), size=n_boot)  # n_boot × clusters: draws of each
        boot = (weights @ sums) / (weights @ sizes)[:, None]
        low, high = np.quantile(boot, [alpha, 1 - alpha], axis=0)
        if clusters < (min_documents if resample == "document" else 2):  # too few to resample: say so rather than draw a degenerate interval
            low, high = np.full(model.k, np.nan), np.full(model.k, np.nan)
        for topic in range(model.k):
            rows.append((*values, topic, float(shares[:, topic].mean()), float(low[topic]), float(high[topic]), len(idx), len(docs)))
    return pd.DataFrame(rows, columns=[*by_cols, "topic", "prevalence", "ci_low", "ci_high", "n_units", "n_docs"])


# --- labels ------------------------------------------------------------------------------------


def topic_labels(
    model: TopicModel,
    path: str | Path = config.TOPIC_LABELS_YAML,
    *,
    corpus: str = "data",
    n_terms: int = 3,
    n_match: int = config.TOPIC_TOP_N,
    min_overlap: float = 0.5,
) -> dict[int, str]:
    """Names of the topics: a researcher's label where its terms match the topic's top terms, else the top terms.

    The label file lists, per corpus (``Corpus.source``, e.g. ``data``) and model
    (``<method>-<k>``), labels that each name a few of their topic's top terms. A
    label attaches to the topic whose top ``n_match`` terms hold the largest share
    of its terms (at least ``min_overlap``), one label per topic (Hungarian
    matching), so a refit that reorders the topics keeps every name on its terms.
    Labels that match no topic are logged and not used.
    """
    from scipy.optimize import linear_sum_assignment

    entries = _label_entries(path, corpus, model.name)
    top = model.top_terms(max(n_terms, n_match))
    labels = {t: " · ".join(g["term"].head(n_terms)) for t, g in top.groupby("topic")}
    if not entries:
        return labels
    top_sets = [set(g["term"].head(n_match)) for _, g in top.groupby("topic")]
    overlap = np.array([[len(terms & topic) / len(terms) for topic in top_sets] for _, terms in entries])
    matched = set()
    for r, c in zip(*linear_sum_assignment(-overlap)):
        if overlap[r, c] >= min_overlap:
            labels[int(c)] = entries[r][0]
            matched.add(r)
    for r, (label, terms) in enumerate(entries):
        if r not in matched:
            best = float(overlap[r].max())
            log.warning("topic label %r (%s) matches no topic of %s on %s (best overlap %.2f < %.2f): not used", label, ", ".join(sorted(terms)), model.name, corpus, best, min_overlap)
    return labels


def _label_entries(path: str | Path, corpus: str, model_name: str) -> list[tuple[str, set[str]]]:
    """``(label, terms)`` of the label file for this corpus and model; errors name the file and entry."""
    if not Path(path).is_file():
        return []
    spec = read_yaml(path, "topic labels")
    given = ((spec.get("corpora") or {}).get(corpus) or {}).get(model_name) or []
    if not isinstance(given, list):
        raise ValueError(f"{path}: corpora/{corpus}/{model_name} must be a list of {{label, terms}} entries (see the schema at the top of the file), not topic numbers")
    entries = []
    for i, entry in enumerate(given, start=1):
        terms = entry.get("terms") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not entry.get("label") or not isinstance(terms, list) or not terms:
            raise ValueError(f"{path}: corpora/{corpus}/{model_name} entry {i} needs 'label' and a non-empty list 'terms'")
        entries.append((str(entry["label"]), {str(t) for t in terms}))
    return entries
