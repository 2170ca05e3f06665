"""Multiword expressions of the genre: runs of tokens that behave as one word, proposed for review."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tifa import config
from tifa.corpus import Corpus
from tifa.features import tokens
from tifa.filters import RAW_FILTER
from tifa.segment import Segmenter
from tifa.util.tables import sort_table

_HAN_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
# a run that starts or ends with one of these particles, conjunctions or prepositions is a phrase, not a word
_FUNCTION_EDGE = frozenset("的地得之和与及或是在了着过为对把被从向等也都就而并且其这那个些")


def _entropy(counter: dict[str, int]) -> float:
    import math

    total = sum(counter.values())
    return -sum(n / total * math.log2(n / total) for n in counter.values()) if total else 0.0


def propose_compounds(
    corpus: Corpus,
    segmenter: Segmenter | None = None,
    *,
    n: int | None = 50,
    min_count: int = config.COMPOUND_MIN_COUNT,
    max_tokens: int = 4,
    min_binding: float = config.COMPOUND_MIN_BINDING,
    min_entropy: float = config.COMPOUND_MIN_ENTROPY,
    cache_dir: str | Path | None = config.TOKEN_CACHE_DIR,
) -> pd.DataFrame:
    """Candidate compounds of the genre: runs of 2 to ``max_tokens`` adjacent tokens that behave as one word.

    A run of Han tokens (within a paragraph) is proposed when it occurs at least
    ``min_count`` times, its parts are bound to it (``binding``: its count over the
    count of its rarest part, ≥ ``min_binding``: 大湾 hardly occurs outside
    粤港澳大湾区) and both its edges are free (``left_entropy``, ``right_entropy``:
    branching entropy in bits of the tokens before and after it, each ≥
    ``min_entropy``; a paragraph edge counts as a new neighbour every time), so a
    fragment (粤港澳大湾, always followed by 区) is not proposed but the whole is.
    Runs already in the user dictionary, and runs that begin or end with a
    particle, conjunction or preposition (的, 和, 在 … :data:`_FUNCTION_EDGE`), are left out. Columns: ``candidate,
    tokens, count, docfreq, binding, pmi, left_entropy, right_entropy``, ranked by
    count, then candidate. Proposals are for review: accepted ones go into
    ``data/lexicon/compounds.txt``.
    """
    import math
    from collections import Counter, defaultdict

    segmenter = segmenter or Segmenter()
    raw = tokens(corpus, segmenter, token_filter=RAW_FILTER, cache_dir=cache_dir, progress=False)
    known = {w for w, _ in segmenter.user_words}
    unigrams: Counter[str] = Counter()
    runs: Counter[tuple[str, ...]] = Counter()
    for words in raw.units["tokens"]:
        unigrams.update(words)
        for width in range(2, max_tokens + 1):
            for i in range(len(words) - width + 1):
                run = tuple(words[i : i + width])
                if all(_HAN_ONLY.match(w) for w in run):
                    runs[run] += 1
    frequent = {run for run, count in runs.items() if count >= min_count and "".join(run) not in known and not (_FUNCTION_EDGE & {run[0], run[-1]})}
    left: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    right: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    docs: dict[tuple[str, ...], set[str]] = defaultdict(set)
    edge = 0
    for doc_id, words in zip(raw.units["doc_id"], raw.units["tokens"]):
        for width in range(2, max_tokens + 1):
            for i in range(len(words) - width + 1):
                run = tuple(words[i : i + width])
                if run in frequent:
                    edge += 1
                    left[run][words[i - 1] if i > 0 else f"\0{edge}"] += 1
                    right[run][words[i + width] if i + width < len(words) else f"\0{edge}"] += 1
                    docs[run].add(doc_id)
    total = sum(unigrams.values())
    rows = []
    for run in frequent:
        count = runs[run]
        binding = count / min(unigrams[w] for w in run)
        h_left, h_right = _entropy(left[run]), _entropy(right[run])
        if binding < min_binding or min(h_left, h_right) < min_entropy:
            continue
        pmi = math.log2(count / total) - sum(math.log2(unigrams[w] / total) for w in run)
        rows.append(("".join(run), " ".join(run), count, len(docs[run]), binding, pmi, h_left, h_right))
    table = pd.DataFrame(rows, columns=["candidate", "tokens", "count", "docfreq", "binding", "pmi", "left_entropy", "right_entropy"])
    table = _keep_longest(table)
    table = sort_table(table, ["count", "candidate"], ascending=[False, True]).reset_index(drop=True)
    return table if n is None else table.head(n)


def _keep_longest(table: pd.DataFrame) -> pd.DataFrame:
    """Drop a candidate inside a longer one that is nearly as frequent (它 adds nothing the longer form does not say)."""
    if table.empty:
        return table
    counts = dict(zip(table["candidate"], table["count"]))
    keep = [not any(c != other and c in other and n_other >= 0.8 * counts[c] for other, n_other in counts.items()) for c in table["candidate"]]
    return table[keep]
