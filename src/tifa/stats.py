"""Term statistics on a document-feature matrix: frequency, dispersion, keyness, tf-idf, similarity.

Every function returns a pandas DataFrame keyed by ``doc_id`` or by the grouping
docvar(s), in the manner of quanteda's ``dfm`` / ``textstat_*``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from tifa import config
from tifa.dfm import (  # noqa: F401 (the grouping core, re-exported)
    DFM,
    GROUP_SEP,
    _as_list,
    dfm_group,
    dfm_trim,
    group_keys,
    group_rows,
    group_sums,
    group_values,
    refuse_output_names,
)
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.features import (  # noqa: F401 (build_dfm re-exported: matrices are built there)
    build_dfm,
    partition_dfm,
    token_spec,
)
from tifa.segment import Segmenter
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)


def dispersion_dp(x: sparse.csr_matrix) -> np.ndarray:
    """Gries' DP per feature over the rows (parts) of ``x``: 0 = spread as the parts' sizes, → 1 = in one part.

    DP = ½ Σ_i |v_i − s_i| with s_i the part's share of all tokens and v_i its share
    of the feature's tokens (Gries 2008). Computed on the non-zero cells only.
    This is the unnormalised DP: its maximum is 1 − min s_i (all of a feature in the
    smallest part), so it is not comparable across groups of different numbers or
    sizes of parts; :func:`dispersion_dp_norm` divides by that maximum.
    """
    x = sparse.csr_matrix(x)
    sizes = np.asarray(x.sum(axis=1), dtype=np.float64).ravel()
    total = sizes.sum()
    if total == 0:
        return np.zeros(x.shape[1])
    share = sizes / total
    counts = np.asarray(x.sum(axis=0), dtype=np.float64).ravel()
    # the non-zero cells in row order (each column's cells summed in the order of its rows, as from a CSC copy)
    s = share[np.repeat(np.arange(x.shape[0], dtype=np.int32), np.diff(x.indptr))]
    with np.errstate(invalid="ignore", divide="ignore"):
        v = x.data / counts[x.indices]
    n = x.shape[1]
    # rows where the feature is absent contribute s_i each: 1 − Σ s over present rows
    present_share = np.bincount(x.indices, s, minlength=n)
    np.subtract(v, s, out=v)  # in place: a large corpus has millions of cells
    del s
    dp = 0.5 * (np.bincount(x.indices, np.abs(v, out=v), minlength=n) + 1.0 - present_share)
    dp[counts == 0] = 0.0
    return dp


def dispersion_dp_norm(x: sparse.csr_matrix, dp: np.ndarray | None = None) -> np.ndarray:
    """Normalised DP (Lijffijt & Gries 2012): DP / (1 − min s_i), in [0, 1] whatever the parts; 0 with a single part (``dp``: DP of ``x`` when known)."""
    sizes = np.asarray(x.sum(axis=1)).ravel()
    total = sizes.sum()
    top = 1.0 - sizes.min() / total if total else 0.0
    return (dispersion_dp(x) if dp is None else dp) / top if top > 0 else np.zeros(x.shape[1])


def textstat_frequency(
    x,
    *,
    by: str | Sequence[str] | None = None,
    n: int | None = None,
    segmenter: Segmenter | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Term frequencies (per group when ``by``): ``count, rank, per_10k, docfreq, dp, dp_norm``.

    ``x`` is a :class:`~tifa.dfm.DFM`, or a corpus, store or path (its dfm is
    built partition by partition with ``segmenter`` on ``engine``).

    ``per_10k`` is per 10,000 tokens of the group; ``docfreq`` the number of
    documents (rows of ``x``) in the group with the term; ``dp`` Gries' DP over
    those documents (0 with a single document; unnormalised, so compare it only
    within a group) and ``dp_norm`` DP divided by its maximum 1 − min s_i
    (Lijffijt & Gries 2012), comparable across groups. Sorted by count, then term.
    """
    if not isinstance(x, DFM):
        x = build_dfm(x, segmenter=segmenter, engine=engine)
    groups = {"": np.arange(x.shape[0])} if by is None else group_rows(x.docvars, by)
    values = None if by is None else group_values(x.docvars, groups, by)
    refuse_output_names(by, ("term", "count", "rank", "per_10k", "docfreq", "dp", "dp_norm"), "frequency")
    tables = []
    for i, rows in enumerate(groups.values()):
        sub = x.matrix if by is None else x.matrix[rows]  # no copy of the whole matrix (memory on large corpora)
        if not sub.has_canonical_format:  # docfreq counts stored cells: one per (row, term)
            sub = sparse.csr_matrix(sub, copy=True)
            sub.sum_duplicates()
        counts = np.asarray(sub.sum(axis=0)).ravel()
        present = np.flatnonzero(counts)
        total = counts.sum()
        dp = dispersion_dp(sub)
        table = pd.DataFrame(
            {
                "term": x.features[present],
                "count": counts[present],
                "per_10k": counts[present] / total * 10_000 if total else 0.0,
                "docfreq": np.bincount(sub.indices[sub.data > 0], minlength=sub.shape[1])[present],
                "dp": dp[present],
                "dp_norm": dispersion_dp_norm(sub, dp)[present],
            }
        ).pipe(sort_table, ["count", "term"], ascending=[False, True])
        table.insert(2, "rank", table["count"].rank(method="min", ascending=False).astype(int))
        if n is not None:
            table = table.head(n)
        if values is not None:
            for col in reversed(values.columns):
                table.insert(0, col, values[col].iloc[i])
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=[*([] if by is None else _as_list(by)), "term", "count", "rank", "per_10k", "docfreq", "dp", "dp_norm"])
    return pd.concat(tables, ignore_index=True)


def keyness_table(target_counts: np.ndarray, reference_counts: np.ndarray) -> pd.DataFrame:
    """Keyness statistics for each feature from its 2×2 table (target vs reference, feature vs other tokens).

    ``g2``: Dunning's log-likelihood G² over the four cells; ``chi2``: Pearson's χ²
    (no continuity correction); both signed: negative when the target uses the
    feature less than the reference. ``p`` from χ²(1) of G². ``log_ratio``: Hardie's
    binary log of the ratio of relative frequencies, with 0.5 for a zero count.
    """
    from scipy.stats import chi2 as chi2_dist
    a = np.asarray(target_counts, dtype=np.float64)
    b = np.asarray(reference_counts, dtype=np.float64)
    t1, t2 = a.sum(), b.sum()
    c, d = t1 - a, t2 - b
    n = t1 + t2
    observed = np.stack([a, b, c, d])
    row = np.stack([a + b, a + b, c + d, c + d])
    col = np.stack([np.full_like(a, t1), np.full_like(a, t2), np.full_like(a, t1), np.full_like(a, t2)])
    expected = row * col / n
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
        g2 = 2 * terms.sum(axis=0)
        denom = (a + b) * (c + d) * t1 * t2
        chi2 = np.where(denom > 0, n * (a * d - b * c) ** 2 / denom, 0.0)
    sign = np.where(a / t1 >= b / t2, 1.0, -1.0)
    log_ratio = np.log2((np.where(a == 0, 0.5, a) / t1) / (np.where(b == 0, 0.5, b) / t2))
    return pd.DataFrame(
        {"g2": sign * np.maximum(g2, 0), "chi2": sign * chi2, "p": chi2_dist.sf(np.maximum(g2, 0), 1), "log_ratio": log_ratio}
    )


def keyness_rows(docvars: pd.DataFrame, target: str | int, *, by: str | Sequence[str], reference: str | int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the rows in the ``target`` group of ``by`` and in its reference (the rest, or the ``reference`` group)."""
    keys = group_keys(docvars, by)
    target_key = str(target)
    if target_key not in set(keys.dropna()):
        raise InputError(f"no group {target_key!r} in {by}; groups: {sorted(keys.dropna().unique())}")
    in_target = (keys == target_key).fillna(False).to_numpy()
    if reference is None:
        in_reference = keys.notna().to_numpy() & ~in_target
    else:
        if str(reference) not in set(keys.dropna()):
            raise InputError(f"no reference group {str(reference)!r} in {by}")
        in_reference = (keys == str(reference)).fillna(False).to_numpy()
    if not in_reference.any():
        raise InputError(f"the reference for {target_key!r} is empty: keyness needs documents outside the target")
    return in_target, in_reference


def textstat_keyness(
    x,
    target: str | int,
    *,
    by: str | Sequence[str],
    reference: str | int | None = None,
    min_count: int = config.KEYNESS_MIN_COUNT,
    correction: str | None = "bh",
    segmenter: Segmenter | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Keyness of every term for the ``target`` group of ``by`` against the rest (or the ``reference`` group).

    Columns: ``term, target_count, reference_count, g2, p, log_ratio, chi2, p_adj,
    direction`` ("over"/"under"). Terms with fewer than ``min_count`` tokens in
    target and reference together are left out before correcting p-values
    (``correction``: ``"bh"`` Benjamini–Hochberg, ``"by"`` Benjamini–Yekutieli or
    ``None``). Sorted by signed G² (strongest over-use first), then log ratio, then term.
    ``x`` is a :class:`~tifa.dfm.DFM`, or a corpus, store or path: then each
    partition adds up its target and reference rows (two rows × its vocabulary)
    and only those sums are combined.
    """
    from scipy.stats import false_discovery_control

    target_key = str(target)
    if isinstance(x, DFM):
        in_target, in_reference = keyness_rows(x.docvars, target, by=by, reference=reference)
        features = x.features
        a = np.asarray(x.matrix[in_target].sum(axis=0)).ravel()
        b = np.asarray(x.matrix[in_reference].sum(axis=0)).ravel()
    else:
        features, a, b = _source_sums(x, target, by, reference, segmenter, engine)
    if a.sum() == 0 or b.sum() == 0:
        empty = target_key if a.sum() == 0 else "the reference"
        raise InputError(f"{empty} has no tokens (after filtering): keyness is undefined; compare groups that have tokens")
    stats = keyness_table(a, b)
    stats.insert(0, "term", features)
    stats.insert(1, "target_count", a.astype(np.int64))
    stats.insert(2, "reference_count", b.astype(np.int64))
    stats = stats[(a + b) >= max(min_count, 1)].reset_index(drop=True)
    stats["p_adj"] = false_discovery_control(stats["p"], method=correction) if correction and len(stats) else stats["p"]
    stats["direction"] = np.where(stats["g2"] >= 0, "over", "under")
    stats = sort_table(stats, ["g2", "log_ratio", "term"], ascending=[False, False, True])
    return stats[["term", "target_count", "reference_count", "g2", "p", "log_ratio", "chi2", "p_adj", "direction"]].reset_index(drop=True)


def _partition_sums(item: tuple, spec) -> tuple[np.ndarray, np.ndarray]:
    """Per-partition step of keyness: the summed counts of the target's and of the reference's documents, on the partition's vocabulary."""
    partition, target, reference = item
    features, matrix = partition_dfm(partition, spec)
    sums = sparse.csr_matrix(np.vstack([target, reference]).astype(np.int64)) @ matrix
    return features, np.asarray(sums.toarray(), dtype=np.int64)


def _source_sums(x, target, by, reference, segmenter, engine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Combine step of keyness: the union vocabulary (sorted) and the target and reference sums added on it."""
    import functools

    source = as_source(x, engine=engine)
    in_target, in_reference = keyness_rows(source.docvars, target, by=by, reference=reference)
    bounds = np.cumsum([0] + [p.n_docs for p in source.partitions])
    items = [(p, in_target[lo:hi], in_reference[lo:hi]) for p, lo, hi in zip(source.partitions, bounds[:-1], bounds[1:])]
    results = source.map(functools.partial(_partition_sums, spec=token_spec(segmenter)), desc="tokens and counts", items=items)
    features = np.array(sorted(set().union(*(set(f) for f, _ in results))), dtype=object)
    position = {w: i for i, w in enumerate(features)}
    total = np.zeros((2, len(features)), dtype=np.int64)
    for local, sums in results:
        if len(local):
            total[:, [position[w] for w in local]] += sums  # a partition's vocabulary has no repeats
    return features, total[0], total[1]


def textstat_tfidf(x: DFM, *, n: int = 10) -> pd.DataFrame:
    """The ``n`` most distinctive terms of each row by tf-idf (smoothed idf, l2-normalised): ``doc_id, rank, term, tfidf``."""
    from sklearn.feature_extraction.text import TfidfTransformer

    weights = TfidfTransformer().fit_transform(x.matrix).tocsr()
    rows = []
    for i, doc_id in enumerate(x.docvars.index):
        row = weights.getrow(i)
        order = sorted(zip(row.data, x.features[row.indices]), key=lambda wt: (-wt[0], wt[1]))[:n]
        rows.extend((doc_id, r, term, float(w)) for r, (w, term) in enumerate(order, start=1))
    return pd.DataFrame(rows, columns=[x.docvars.index.name or "doc_id", "rank", "term", "tfidf"])


def textstat_simil(x: DFM, *, weight: str = "tfidf") -> pd.DataFrame:
    """Cosine similarity between rows (``weight``: ``"tfidf"`` or ``"count"``), as a square DataFrame."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.metrics.pairwise import cosine_similarity

    if weight not in ("tfidf", "count"):
        raise InputError(f"weight must be 'tfidf' or 'count', not {weight!r}")
    matrix = TfidfTransformer().fit_transform(x.matrix) if weight == "tfidf" else x.matrix
    sim = cosine_similarity(matrix)
    return pd.DataFrame(sim, index=x.docvars.index, columns=x.docvars.index)


def cluster_documents(similarity: pd.DataFrame, *, method: str = "average") -> np.ndarray:
    """Hierarchical clustering (scipy linkage) on cosine distance 1 − similarity."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - similarity.to_numpy(), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    return linkage(squareform(distance, checks=False), method=method)
