"""The fitted topic model's form and its vocabulary, shared by every method (NMF and LDA in :mod:`tifa.topics`, the structural topic model in :mod:`tifa.stm`).

A :class:`TopicModel` holds topic-term and unit-topic matrices with the units
they were fitted on; :func:`unit_counts` builds the trimmed unit × term counts
every method starts from; :func:`warn_grid_edge` says when a chosen K sits at
the edge of its grid.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from tifa import config
from tifa.errors import InputError

log = logging.getLogger(__name__)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


@dataclass
class TopicModel:
    """A fitted model: ``topic_term`` (K × V, rows sum to 1), ``doc_topic`` (units × K, rows sum to 1)."""

    method: str
    k: int
    random_state: int
    features: np.ndarray
    topic_term: np.ndarray
    doc_topic: np.ndarray
    units: pd.DataFrame
    counts: sparse.csr_matrix  # unit × feature counts (for coherence)
    perplexity: float = float("nan")

    @property
    def name(self) -> str:
        return f"{self.method}-{self.k}"

    def top_terms(self, n: int = 10) -> pd.DataFrame:
        """``topic, rank, term, weight`` for the ``n`` heaviest terms of each topic."""
        rows = []
        for topic, weights in enumerate(self.topic_term):
            order = np.lexsort((self.features, -weights))[:n]
            rows.extend((topic, rank, self.features[j], float(weights[j])) for rank, j in enumerate(order, start=1))
        return pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])

    def representative_units(self, n: int = 2) -> pd.DataFrame:
        """The ``n`` units with the highest share of each topic: ``topic, rank, unit_id, doc_id, share``."""
        rows = []
        for topic in range(self.k):
            order = np.lexsort((self.units["unit_id"].to_numpy(), -self.doc_topic[:, topic]))[:n]
            rows.extend((topic, rank, self.units["unit_id"].iloc[i], self.units["doc_id"].iloc[i], float(self.doc_topic[i, topic])) for rank, i in enumerate(order, start=1))
        return pd.DataFrame(rows, columns=["topic", "rank", "unit_id", "doc_id", "share"])

    def unit_topics(self) -> pd.DataFrame:
        """Topic shares per unit (rows sum to 1), with ``unit_id`` and ``doc_id``."""
        shares = pd.DataFrame(self.doc_topic, columns=range(self.k))
        return pd.concat([self.units[["unit_id", "doc_id"]], shares], axis=1)


def unit_counts(units: pd.DataFrame, *, min_df: int = config.TOPIC_MIN_DF, max_df: float = config.TOPIC_MAX_DF) -> tuple[pd.DataFrame, sparse.csr_matrix, np.ndarray]:
    """``(units, counts, features)``: the unit × term counts of the trimmed vocabulary; units left without a term are dropped (logged)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=_identity, lowercase=False, min_df=min_df, max_df=max_df)
    try:
        counts = vectorizer.fit_transform(list(units["tokens"])).tocsr()
    except ValueError as exc:  # no term in min_df units: sklearn's "empty vocabulary"
        raise InputError(f"no vocabulary for a topic model of {len(units)} units ({exc}): the corpus is too small, or min_df/max_df too strict.") from exc
    nonempty = np.asarray(counts.sum(axis=1)).ravel() > 0
    if not nonempty.all():
        log.info("%d units have no term of the trimmed vocabulary and are left out", int((~nonempty).sum()))
        units, counts = units[nonempty].reset_index(drop=True), counts[nonempty]
    return units, counts, vectorizer.get_feature_names_out()


def warn_grid_edge(k: int, grid: Sequence[int] | pd.Series, *, what: str = "K") -> bool:
    """Log a warning when ``k`` is the smallest or largest of a grid of several values; True when it is."""
    grid = sorted(set(int(g) for g in grid))
    if len(grid) < 2 or k not in (grid[0], grid[-1]):
        return False
    side = "smallest" if k == grid[0] else "largest"
    log.warning("chosen %s = %d is the %s of the grid %s: the best K may lie beyond it; widen the grid (study parameter k_grid)", what, k, side, grid)
    return True
