"""Planted text reuse: corpora with known reuse, to measure how much of it :func:`tifa.reuse.find_reuse` recovers.

:func:`plant_reuse` deals the paragraphs of some documents (the *base*) out to
synthetic documents (one per province by default) and inserts into them
passages of other documents (the *sources*) with controlled edits: insertions,
deletions and substitutions of Han characters and changes of punctuation. The
planted spans are known by construction; :func:`score_planted` compares what was
found with them, Han character by Han character.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tifa.errors import InputError
from tifa.text import HAN_RE, split_paragraphs, split_sentences

PUNCTUATION = "，、；：。"
EDIT_KINDS = ("insert", "delete", "substitute", "punctuation")
TRUTH_COLUMNS = ["doc_id", "start", "end", "source_doc", "source_start", "source_end", "edit_rate", "n_edits", "han"]


def _provinces() -> list[str]:
    from tifa.places import load_regions

    regions = load_regions().drop_duplicates("name_zh")
    return list(regions.loc[(regions["level"] == "province") & (regions["region"] != ""), "name_zh"])


def edit_passage(text: str, rate: float, rng: np.random.Generator, pool: np.ndarray) -> tuple[str, int]:
    """``text`` with about ``rate`` edits per Han character (kinds equally likely), and the number of edits made.

    Insertions and substitutions draw Han characters from ``pool``; punctuation
    edits put a mark after the character, or drop or change the mark that follows it.
    """
    out: list[str] = []
    n_edits = 0
    chars = list(text)
    i = 0
    while i < len(chars):
        char = chars[i]
        if HAN_RE.match(char) and rng.random() < rate:
            kind = EDIT_KINDS[int(rng.integers(len(EDIT_KINDS)))]
            n_edits += 1
            if kind == "insert":
                out += [char, str(rng.choice(pool))]
            elif kind == "delete":
                pass
            elif kind == "substitute":
                out.append(str(rng.choice(pool)))
            else:
                out.append(char)
                following = chars[i + 1] if i + 1 < len(chars) else ""
                if following and following in PUNCTUATION:
                    i += 1  # the mark that follows is dropped or changed
                    if rng.random() < 0.5:
                        out.append(str(rng.choice([p for p in PUNCTUATION if p != following])))
                else:
                    out.append(str(rng.choice(list(PUNCTUATION[:3]))))
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out), n_edits


def _sentence_starts(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets of the Han characters of ``text``, the sentence starts that are Han characters, and where each one's paragraph ends."""
    han = np.array([m.start() for m in HAN_RE.finditer(text)], dtype=np.int64)
    starts = np.array([0] + [m.end() for m in re.finditer(r"[。！？\n]+", text)], dtype=np.int64)
    starts = starts[(starts < len(text)) & np.isin(starts, han)]
    breaks = np.array([m.start() for m in re.finditer("\n", text)] + [len(text)], dtype=np.int64)
    return han, starts, breaks[np.searchsorted(breaks, starts)]


def _source_passage(han: np.ndarray, starts: np.ndarray, ends: np.ndarray, length: int, rng: np.random.Generator) -> tuple[int, int] | None:
    """A span starting at a sentence start and holding ``length`` Han characters, ending on one, inside one paragraph (None: no such span)."""
    first = np.searchsorted(han, starts)
    fits = first + length <= len(han)
    last = np.where(fits, han[np.minimum(first + length - 1, len(han) - 1)], len(han))
    usable = np.flatnonzero(fits & (last < ends))  # one paragraph only: a copied passage is inserted into a paragraph
    if not len(usable):
        return None
    k = usable[int(rng.integers(len(usable)))]
    return int(starts[k]), int(last[k]) + 1


def plant_reuse(
    base: pd.DataFrame,
    sources: pd.DataFrame,
    *,
    n_docs: int = 31,
    passages_per_doc: int = 10,
    lengths: tuple[int, int] = (50, 500),
    edit_rates: tuple[float, float] = (0.0, 0.15),
    year: int = 2026,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic documents with planted passages: ``(docs, truth)``.

    ``base`` and ``sources`` are documents (``doc_id``, ``text``: cleaned). The
    paragraphs of ``base`` are shuffled and dealt to ``n_docs`` documents (named
    after the 31 provinces while there are enough, with docvars ``province`` and
    ``year``). Into each, ``passages_per_doc`` passages of the sources are inserted
    at sentence ends: a source document drawn at random, a span of a length drawn
    from ``lengths`` (Han characters) starting at a sentence start, edited at a
    rate drawn from ``edit_rates`` (:func:`edit_passage`). ``truth`` has one row
    per planted passage: ``doc_id, start, end`` (offsets in the new text),
    ``source_doc, source_start, source_end``, ``edit_rate``, ``n_edits`` and ``han``
    (its Han characters after editing). Texts are in cleaned form (one paragraph a
    line, a blank line between paragraphs).
    """
    if n_docs < 1 or passages_per_doc < 0:
        raise InputError(f"n_docs must be ≥ 1 and passages_per_doc ≥ 0, not {n_docs} and {passages_per_doc}")
    rng = np.random.default_rng(seed)
    paragraphs = [p for text in base["text"] for p in split_paragraphs(text)]
    paragraphs = list(dict.fromkeys(paragraphs))  # a paragraph at most once: cleaning drops repeats inside a document
    order = rng.permutation(len(paragraphs))
    dealt: list[list[str]] = [[] for _ in range(n_docs)]
    for k, i in enumerate(order):
        dealt[k % n_docs].append(paragraphs[i])
    pool = np.array(HAN_RE.findall("".join(paragraphs[:2000])))
    provinces = _provinces()
    names = [provinces[i] if i < len(provinces) else f"doc{i + 1:03d}" for i in range(n_docs)]
    source_texts = [(doc_id, text, *_sentence_starts(text)) for doc_id, text in zip(sources["doc_id"], sources["text"])]
    docs, truth = [], []
    for d, (name, paras) in enumerate(zip(names, dealt)):
        doc_id = f"planted-{d + 1:03d}"
        sentences = [split_sentences(p) or [p] for p in paras]
        plants: dict[tuple[int, int], list[tuple]] = {}
        for _ in range(passages_per_doc):
            length = int(rng.integers(lengths[0], lengths[1] + 1))
            for k in rng.permutation(len(source_texts)):  # a source at random; the next one when its paragraphs are all shorter
                src_id, src_text, han, starts, ends = source_texts[int(k)]
                span = _source_passage(han, starts, ends, length, rng)
                if span is not None:
                    break
            else:
                raise InputError(f"no paragraph of the sources holds {length} Han characters; give longer sources or shorter lengths")
            rate = float(rng.uniform(*edit_rates))
            edited, n_edits = edit_passage(src_text[span[0] : span[1]], rate, rng, pool)
            p = int(rng.integers(len(sentences)))
            s = int(rng.integers(len(sentences[p]) + 1))
            plants.setdefault((p, s), []).append((edited, src_id, span, rate, n_edits))
        parts: list[str] = []
        pos = 0
        for p, sents in enumerate(sentences):
            if p:
                parts.append("\n\n")
                pos += 2
            for s in range(len(sents) + 1):
                for edited, src_id, span, rate, n_edits in plants.get((p, s), []):
                    truth.append((doc_id, pos, pos + len(edited), src_id, span[0], span[1], rate, n_edits, len(HAN_RE.findall(edited))))
                    parts.append(edited + "。")
                    pos += len(edited) + 1
                if s < len(sents):
                    parts.append(sents[s])
                    pos += len(sents[s])
        docs.append({"doc_id": doc_id, "province": name, "year": year, "text": "".join(parts)})
    return pd.DataFrame(docs), pd.DataFrame(truth, columns=TRUTH_COLUMNS)


def planted_mask(text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Per Han character of ``text`` (in order), whether it lies in one of ``spans`` (``[start, end)`` offsets)."""
    positions = np.array([m.start() for m in HAN_RE.finditer(text)], dtype=np.int64)
    inside = np.zeros(len(positions), dtype=bool)
    for start, end in spans:
        inside[np.searchsorted(positions, start) : np.searchsorted(positions, end)] = True
    return inside


def score_planted(found: pd.DataFrame, truth: pd.DataFrame, texts: pd.Series) -> dict[str, float]:
    """Han-character recall and precision of ``found`` passages (``local_doc, local_start, local_end``) against the planted spans.

    ``texts``: the documents' texts by ``doc_id``. Recall: planted Han characters
    inside a found passage, over all planted ones; precision: found Han characters
    inside a planted span, over all found ones (each character counted once).
    """
    planted = found_n = hit_found = hit_planted = 0
    for doc_id, text in texts.items():
        truth_spans = list(zip(truth.loc[truth["doc_id"] == doc_id, "start"], truth.loc[truth["doc_id"] == doc_id, "end"]))
        rows = found[found["local_doc"] == doc_id]
        found_spans = list(zip(rows["local_start"], rows["local_end"]))
        t, f = planted_mask(text, truth_spans), planted_mask(text, found_spans)
        planted += int(t.sum())
        found_n += int(f.sum())
        hit_planted += int((t & f).sum())
        hit_found += int((t & f).sum())
    return {
        "recall": hit_planted / planted if planted else float("nan"),
        "precision": hit_found / found_n if found_n else float("nan"),
        "planted_chars": planted,
        "found_chars": found_n,
    }
