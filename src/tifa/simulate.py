"""Corpora with known topics and known covariate effects on their prevalence, to check that effects are recovered.

Documents belong to group ``"a"`` or ``"b"`` (half each); a document's topic
proportions are logistic-normal, η = intercept + effect × [group b] + document
noise, and each of its paragraphs adds paragraph noise (the non-independence of
paragraphs of one report). Words come from planted topics: each topic has its
own words (Zipf-weighted) and every topic shares a few common words. The truth
is the population difference in expected topic share between the groups,
computed by Monte Carlo over the noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Planted:
    """A simulated corpus: ``units`` (unit_id, doc_id, position, tokens, group) and the truth behind it."""

    units: pd.DataFrame
    topic_term: np.ndarray  # true topics (K × vocabulary)
    features: np.ndarray  # the vocabulary
    difference: np.ndarray  # true E[θ | b] − E[θ | a], per topic
    theta: np.ndarray  # each unit's true topic proportions


def planted_units(
    *,
    n_docs: int = 200,
    paragraphs: int = 1,
    length: int = 60,
    intercept: Sequence[float] = (0.0, 0.0),
    effect: Sequence[float] = (1.0, 0.0),
    sd_doc: float = 1.5,
    sd_paragraph: float = 0.0,
    words_per_topic: int = 40,
    shared_words: int = 10,
    shared_mass: float = 0.15,
    random_state: int = 0,
) -> Planted:
    """A corpus of ``n_docs`` documents of ``paragraphs`` units of ``length`` tokens, with ``len(effect) + 1`` topics.

    ``intercept`` and ``effect`` are per topic on the logit scale against the
    last topic (whose η is 0).
    """
    rng = np.random.default_rng(random_state)
    k = len(effect) + 1
    intercept, effect = np.asarray(intercept, dtype=float), np.asarray(effect, dtype=float)
    features = np.array([f"t{t}w{i:02d}" for t in range(k) for i in range(words_per_topic)] + [f"common{i:02d}" for i in range(shared_words)])
    zipf = 1 / np.arange(1, words_per_topic + 1)
    topic_term = np.zeros((k, len(features)))
    for t in range(k):
        topic_term[t, t * words_per_topic : (t + 1) * words_per_topic] = (1 - shared_mass) * zipf / zipf.sum()
        topic_term[t, k * words_per_topic :] = shared_mass / shared_words
    group = np.where(np.arange(n_docs) % 2 == 0, "a", "b")
    eta_doc = intercept + np.outer(group == "b", effect) + rng.normal(0, sd_doc, (n_docs, k - 1))
    rows, thetas = [], []
    for d in range(n_docs):
        for p in range(paragraphs):
            eta = np.append(eta_doc[d] + rng.normal(0, sd_paragraph, k - 1), 0.0)
            theta = np.exp(eta - eta.max())
            theta /= theta.sum()
            thetas.append(theta)
            topics = rng.choice(k, size=length, p=theta)
            words = [features[rng.choice(len(features), p=topic_term[t])] for t in topics]
            rows.append((f"d{d:04d}:p{p + 1:04d}", f"d{d:04d}", p + 1, words, group[d]))
    units = pd.DataFrame(rows, columns=["unit_id", "doc_id", "position", "tokens", "group"])
    return Planted(units, topic_term, features, _true_difference(intercept, effect, sd_doc, sd_paragraph), np.array(thetas))


def _true_difference(intercept: np.ndarray, effect: np.ndarray, sd_doc: float, sd_paragraph: float, n: int = 400_000) -> np.ndarray:
    """E[θ | b] − E[θ | a] over the logistic-normal noise (Monte Carlo with a fixed seed; error ≈ 1e-4)."""
    rng = np.random.default_rng(12345)
    noise = rng.normal(0, np.hypot(sd_doc, sd_paragraph), (n, len(effect)))
    means = []
    for shift in (0.0, 1.0):
        eta = np.column_stack([intercept + shift * effect + noise, np.zeros(n)])
        theta = np.exp(eta - eta.max(axis=1, keepdims=True))
        means.append((theta / theta.sum(axis=1, keepdims=True)).mean(axis=0))
    return means[1] - means[0]


def match_topics(estimated: np.ndarray, features: np.ndarray, planted: Planted) -> np.ndarray:
    """For each planted topic, the estimated topic most like it (Hungarian matching on the overlap of word distributions)."""
    from scipy.optimize import linear_sum_assignment

    index = {w: i for i, w in enumerate(planted.features)}
    truth = np.zeros((planted.topic_term.shape[0], len(features)))
    for j, w in enumerate(features):
        if w in index:  # a word the planted topics do not have counts for none of them
            truth[:, j] = planted.topic_term[:, index[w]]
    similarity = truth @ estimated.T
    rows, cols = linear_sum_assignment(-similarity)
    return cols[np.argsort(rows, kind="stable")]

