"""Slogans (提法) in a corpus: counts, rates, mentions with their place, dating checks, KWIC and co-occurrence.

Every analysis here is a per-partition step (matching runs on the cleaned text of
the ``include_parts`` paragraphs, :mod:`tifa.matcher`) and a combine step, run by
the engine on a corpus (one partition), a store or a path. ``include_parts`` is
the one counting scope: what is matched and whose Han characters are the
exposure (``n_chars`` of the slogan matrix, the denominator of every rate).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from tifa.dfm import DFM, group_rows, group_sums, group_values, refuse_output_names
from tifa.discovery import (  # noqa: F401 (re-exported)
    DISCOVERY_PATTERNS,
    discover_slogans,
)
from tifa.engine import Engine, as_source
from tifa.errors import InputError
from tifa.lexicon import Slogan
from tifa.matcher import (  # noqa: F401 (re-exported)
    Mention,
    SloganMatcher,
    lexicon_table,
    mandatory_literal,
    normalise_form,
)
from tifa.text import HAN, count_han, split_sentences  # noqa: F401 (HAN re-exported)
from tifa.units import check_parts, join_docvars
from tifa.util.tables import sort_table

_MATCHERS: dict[tuple, SloganMatcher] = {}


def _matcher_of(slogans: tuple[Slogan, ...]) -> SloganMatcher:
    """One matcher per lexicon and process (steps rebuild it in Dask workers, once)."""
    key = tuple(s.id for s in slogans)
    if key not in _MATCHERS or _MATCHERS[key].slogans != slogans:
        _MATCHERS[key] = SloganMatcher(slogans)
    return _MATCHERS[key]


def _parts_texts(partition, parts: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Each document's paragraphs of ``parts`` joined as in the cleaned text (a document without any: empty)."""
    doc_ids = partition.docs(["doc_id"])["doc_id"].tolist()
    units = partition.units()
    kept = units[units["part"].isin(parts)]
    joined = kept.groupby("doc_id", sort=False)["text"].agg("\n\n".join)
    return doc_ids, [joined.get(d, "") for d in doc_ids]


# --- the documents × slogans matrix -----------------------------------------------------------


def slogan_step(partition, slogans: tuple[Slogan, ...], parts: tuple[str, ...], forms: bool = False):
    """Per-partition step of slogan counts: documents × entries (or, with ``forms``, per-document counts of (entry, form)) and Han characters per document."""
    matcher = _matcher_of(slogans)
    _, texts = _parts_texts(partition, parts)
    n_chars = np.array([count_han(t) for t in texts], dtype=np.int64)
    if not forms:
        return matcher.count_many(texts), n_chars
    found = []
    for text in texts:
        per: dict[tuple[int, str], int] = {}
        for m in matcher.find(text):
            key = (m.slogan, normalise_form(text[m.start : m.end]))
            per[key] = per.get(key, 0) + 1
        found.append(per)
    return found, n_chars


def slogan_dfm(x, matcher: SloganMatcher | None = None, *, include_parts: str | Sequence[str] | None = None, engine: str | Engine | None = None) -> DFM:
    """Documents × lexicon entries (features: slogan ids), sparse counts (quanteda's ``dfm_lookup``).

    Only the paragraphs of ``include_parts`` are matched (default
    ``config.DEFAULT_PARTS``), and the docvars' ``n_chars`` are the Han characters
    of exactly those paragraphs: the exposure of every count made from it.
    """
    source = as_source(x, engine=engine)
    matcher = matcher or SloganMatcher()
    parts = check_parts(include_parts)
    results = source.map(functools.partial(slogan_step, slogans=tuple(matcher.slogans), parts=parts), desc="slogans")
    counts = np.vstack([c for c, _ in results]) if results else np.zeros((0, len(matcher.slogans)), dtype=np.int64)
    docvars = source.docvars.copy()
    docvars["n_chars"] = np.concatenate([n for _, n in results]) if results else np.zeros(0, dtype=np.int64)
    docvars.attrs["include_parts"] = parts
    return DFM(sparse.csr_matrix(counts.astype(np.int64)), np.array([s.id for s in matcher.slogans], dtype=object), docvars)


def count_slogans(
    x,
    *,
    by: str | Sequence[str] = "doc_id",
    category: str | None = None,
    matcher: SloganMatcher | None = None,
    drop_zero: bool = False,
    forms: bool = False,
    include_parts: str | Sequence[str] | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Slogan counts by document or docvar(s), long format, for a corpus, a store or a path.

    Columns: ``<by>…, slogan_id, slogan, en, category, count, per_10k``,
    where ``per_10k`` is per 10,000 Han characters of the group's counted
    text. Every entry appears for every group (zeros included) unless ``drop_zero``.
    ``forms=True`` counts each written form apart (column ``form`` after
    ``slogan``: the matched text without spaces, NFKC-normalised, e.g.
    新发展理念 and 五大发展理念 of one entry): every form seen in the corpus, and
    the canonical form of entries never seen. Only the text of ``include_parts``
    is counted (default ``config.DEFAULT_PARTS``: appendices are left out;
    ``"all"``: every part), and ``per_10k`` is per Han characters of those parts
    (NaN, no rate, for a group without any: as in :func:`tifa.panel.slogan_panel`).
    """
    source = as_source(x, engine=engine)
    matcher = matcher or SloganMatcher()
    parts = check_parts(include_parts)
    table = lexicon_table(matcher).drop(columns=["first_used"])
    results = source.map(functools.partial(slogan_step, slogans=tuple(matcher.slogans), parts=parts, forms=forms), desc="slogans")
    n_chars = np.concatenate([n for _, n in results]) if results else np.zeros(0, dtype=np.int64)
    if forms:
        counts, table = _form_matrix(matcher, [per for found, _ in results for per in found], table)
    else:
        counts = np.vstack([c for c, _ in results]) if results else np.zeros((0, len(matcher.slogans)), dtype=np.int64)
    return slogan_count_table(counts, n_chars, source.docvars, table, by=by, category=category, drop_zero=drop_zero)


def slogan_count_table(
    counts: np.ndarray,
    n_chars: np.ndarray,
    docvars: pd.DataFrame,
    table: pd.DataFrame,
    *,
    by: str | Sequence[str] = "doc_id",
    category: str | None = None,
    drop_zero: bool = False,
) -> pd.DataFrame:
    """The table of :func:`count_slogans` from documents × slogans ``counts`` and Han characters per document (the combine step of every engine)."""
    by_cols = [by] if isinstance(by, str) else list(by)
    refuse_output_names(by_cols, [*table.columns, "count", "per_10k"], "slogan count")
    groups = group_rows(docvars, by_cols, what="documents")
    sums = group_sums(counts, groups).astype(np.int64)  # groups × slogans (or forms)
    n_chars = group_sums(np.asarray(n_chars, dtype=np.float64)[:, None], groups).ravel()
    n_slogans = len(table)
    result = group_values(docvars, groups, by_cols).loc[np.repeat(np.arange(len(groups)), n_slogans)].reset_index(drop=True)
    repeated = pd.concat([table] * len(groups), ignore_index=True) if groups else table.iloc[:0].reset_index(drop=True)  # no group: no rows, as freq
    result = pd.concat([result, repeated], axis=1)
    result["count"] = sums.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        result["per_10k"] = np.where(np.repeat(n_chars, n_slogans) > 0, sums.ravel() / np.repeat(n_chars, n_slogans) * 10_000, np.nan)
    if category is not None:
        if category not in set(table["category"]):
            raise InputError(f"no slogan category {category!r}; categories: {sorted(set(table['category']))}")
        result = result[result["category"] == category]
    if drop_zero:
        result = result[result["count"] > 0]
    return result.reset_index(drop=True)


def _form_matrix(matcher: SloganMatcher, found: list[dict[tuple[int, str], int]], table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Combine step of form counts: documents × (entry, form) columns (lexicon order, then form) and the lexicon table with one row per form."""
    seen = {key for per in found for key in per}
    seen |= {(i, normalise_form(s.zh)) for i, s in enumerate(matcher.slogans) if not any(k[0] == i for k in seen)}
    columns = sorted(seen)
    index = {key: j for j, key in enumerate(columns)}
    counts = np.zeros((len(found), len(columns)), dtype=np.int64)
    for row, per in enumerate(found):
        for key, n in per.items():
            counts[row, index[key]] = n
    forms = table.iloc[[i for i, _ in columns]].reset_index(drop=True)
    forms.insert(2, "form", [form for _, form in columns])
    return counts, forms


# --- mentions and their place ------------------------------------------------------------------

MENTION_COLUMNS = ["doc_id", "paragraph_id", "part", "sentence", "start", "end", "slogan_id", "slogan", "match"]
MENTION_TYPES = {"doc_id": "str", "paragraph_id": "str", "part": "str", "sentence": "int64", "start": "int64", "end": "int64", "slogan_id": "str", "slogan": "str", "match": "str"}


def mentions_step(partition, slogans: tuple[Slogan, ...], parts: tuple[str, ...]) -> pd.DataFrame:
    """Per-partition step of :func:`slogan_mentions`: every mention in the paragraphs of ``parts``, with offsets in the cleaned text."""
    matcher = _matcher_of(slogans)
    docs = partition.docs(["doc_id", "text"])
    units = partition.units()
    numbers = units.groupby("doc_id", sort=False).agg(position=("position", list), part=("part", list), paragraph_id=("paragraph_id", list))
    rows = []
    for doc_id, text in zip(docs["doc_id"], docs["text"]):
        structure = iter(zip(*numbers.loc[doc_id])) if doc_id in numbers.index else iter(())
        offset = 0
        for paragraph in text.split("\n"):
            if paragraph.strip():
                _, part, pid = next(structure)
                if part in parts:
                    sentence_ends = np.cumsum([len(s) for s in _sentence_spans(paragraph)])
                    for m in matcher.find(paragraph):
                        sentence = int(np.searchsorted(sentence_ends, m.start, side="right")) + 1
                        slogan = matcher.slogans[m.slogan]
                        rows.append((doc_id, pid, part, sentence, offset + m.start, offset + m.end, slogan.id, slogan.zh, paragraph[m.start : m.end]))
            offset += len(paragraph) + 1
    return pd.DataFrame(rows, columns=MENTION_COLUMNS).astype(MENTION_TYPES)


def slogan_mentions(x, matcher: SloganMatcher | None = None, *, include_parts: str | Sequence[str] | None = None, engine: str | Engine | None = None) -> pd.DataFrame:
    """Every mention with its place: ``doc_id, paragraph_id, part, sentence, start, end, slogan_id, slogan, match``.

    ``start``/``end`` are character offsets in the document's cleaned text;
    ``sentence`` numbers the sentence within its paragraph (from 1). Only
    paragraphs of ``include_parts`` (default ``config.DEFAULT_PARTS``: no appendices).
    """
    source = as_source(x, engine=engine)
    matcher = matcher or SloganMatcher()
    frames = source.map(functools.partial(mentions_step, slogans=tuple(matcher.slogans), parts=check_parts(include_parts)), desc="mentions")
    return pd.concat(frames, ignore_index=True).astype(MENTION_TYPES) if frames else pd.DataFrame(columns=MENTION_COLUMNS).astype(MENTION_TYPES)


def _sentence_spans(paragraph: str) -> list[str]:
    """Sentences with the characters between them, so that their lengths add up to the paragraph."""
    spans, pos = [], 0
    for sentence in split_sentences(paragraph):
        end = paragraph.index(sentence, pos) + len(sentence)
        spans.append(paragraph[pos:end])
        pos = end
    if pos < len(paragraph):
        spans.append(paragraph[pos:])
    return spans


def _date_bounds(value: str, *, latest: bool) -> pd.Timestamp:
    """Earliest or latest day a partial ISO date (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) can mean."""
    start = pd.Timestamp(value)
    if not latest:
        return start
    if len(value) == 4:
        return start + pd.offsets.YearEnd(0)
    if len(value) == 7:
        return start + pd.offsets.MonthEnd(0)
    return start


def anachronisms(x, matcher: SloganMatcher | None = None, mentions: pd.DataFrame | None = None, *, engine: str | Engine | None = None) -> pd.DataFrame:
    """Mentions in documents dated before the entry's ``first_used`` (with both dates read generously).

    A document's date is its ``date`` docvar, else its ``year``; a mention is an
    anachronism when the latest day the document's date can mean falls before the
    earliest day ``first_used`` can mean. Either the document is mis-dated or the
    lexicon date is wrong: the table is a to-do list for the researcher. Entries
    whose ``first_used_precision`` is ``upper-bound`` are skipped: their date says
    official use is attested by then, not that it began then, so an earlier
    mention cannot be an anachronism.
    """
    source = as_source(x, engine=engine)
    matcher = matcher or SloganMatcher()
    mentions = slogan_mentions(source, matcher) if mentions is None else mentions
    docvars = source.docvars
    dates = docvars["date"] if "date" in docvars else pd.Series(pd.NA, index=docvars.index)
    years = docvars["year"].astype("string") if "year" in docvars else pd.Series(pd.NA, index=docvars.index, dtype="string")
    doc_date = dates.where(dates.notna(), years)
    first_used = {s.id: s.first_used for s in matcher.slogans}
    upper_bounds = {s.id for s in matcher.slogans if s.first_used is None or s.first_used_precision == "upper-bound"}  # no date, or only a bound
    rows = []
    for row in mentions.itertuples():
        date = doc_date.get(row.doc_id)
        if date is None or pd.isna(date) or row.slogan_id in upper_bounds:
            continue
        if _date_bounds(str(date), latest=True) < _date_bounds(first_used[row.slogan_id], latest=False):
            rows.append((row.doc_id, str(date), row.slogan_id, row.slogan, first_used[row.slogan_id], row.paragraph_id, row.match))
    return pd.DataFrame(rows, columns=["doc_id", "doc_date", "slogan_id", "slogan", "first_used", "paragraph_id", "match"])


# --- context ---------------------------------------------------------------------------

KWIC_COLUMNS = ["doc_id", "paragraph_id", "left", "match", "right"]


def _finder(pattern: str, regex: bool, slogans: tuple[Slogan, ...]):
    entry = next((s for s in slogans if pattern in (s.zh, s.id)), None)
    if entry is not None:
        single = _matcher_of((entry,))
        return lambda text: [(m.start, m.end) for m in single.find(text)]
    try:
        compiled = re.compile(pattern if regex else re.escape(pattern))
    except (re.error, OverflowError, RecursionError) as exc:
        raise InputError(f"invalid regular expression {pattern!r} ({exc}). Escape special characters such as ( [ * with a backslash, or search for the literal string without --regex.") from exc
    return lambda text: [(m.start(), m.end()) for m in compiled.finditer(text) if m.end() > m.start()]


def kwic_step(partition, pattern: str, window: int, regex: bool, slogans: tuple[Slogan, ...], parts: tuple[str, ...]) -> pd.DataFrame:
    """Per-partition step of :func:`kwic`: the hits in the paragraphs of ``parts``."""
    finder = _finder(pattern, regex, slogans)
    units = partition.units()
    rows = []
    for doc_id, pid, part, text in zip(units["doc_id"], units["paragraph_id"], units["part"], units["text"]):
        if part in parts:
            for start, end in finder(text):
                rows.append((doc_id, pid, text[max(0, start - window) : start], text[start:end], text[end : end + window]))
    return pd.DataFrame(rows, columns=KWIC_COLUMNS).astype("str")


def kwic(
    x,
    pattern: str,
    *,
    window: int = 15,
    regex: bool = False,
    matcher: SloganMatcher | None = None,
    include_parts: str | Sequence[str] | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Keywords in context: ``doc_id``, docvars, ``paragraph_id``, ``left``, ``match``, ``right``.

    ``pattern`` is a lexicon entry (its ``zh`` or ``id``: all its variants are
    found), else a literal string, or a regular expression with ``regex=True``.
    ``window`` is the number of characters on each side, within the paragraph;
    only paragraphs of ``include_parts`` are searched (default ``config.DEFAULT_PARTS``).
    """
    source = as_source(x, engine=engine)
    matcher = matcher or SloganMatcher()
    slogans = tuple(matcher.slogans)
    _finder(pattern, regex, slogans)  # a bad pattern is refused before any partition is read
    frames = source.map(functools.partial(kwic_step, pattern=pattern, window=window, regex=regex, slogans=slogans, parts=check_parts(include_parts)), desc="kwic")
    hits = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KWIC_COLUMNS)).astype("str")
    docvars = source.docvars.drop(columns=[c for c in ("n_chars", "notes", "sha256") if c in source.docvars])
    joined = join_docvars(hits, docvars)
    renamed = joined.attrs["renamed_docvars"]
    columns = [renamed.get(c, c) for c in docvars.columns]
    out = joined[["doc_id", *columns, "paragraph_id", "left", "match", "right"]]
    out.attrs["renamed_docvars"] = renamed
    return out


def top_slogans(mentions: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` most mentioned slogans of :func:`slogan_mentions` (ties in the order of the slogans' names)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    per = mentions.groupby("slogan").size().rename("count").reset_index()
    return list(sort_table(per, ["count", "slogan"], ascending=[False, True])["slogan"].head(n))


def slogan_cooccurrence(mentions: pd.DataFrame, *, unit: str = "sentence") -> pd.DataFrame:
    """Pairs of slogans in the same sentence or paragraph: ``slogan_a, slogan_b, n_a, n_b, n_ab, jaccard, pmi``.

    Counts are numbers of units (a unit with two mentions of one slogan counts
    once). ``jaccard`` = n_ab / (n_a + n_b − n_ab); ``pmi`` = log2(n_ab·N / (n_a·n_b))
    with N the number of units holding any slogan. Only pairs that co-occur are listed.
    """
    if unit not in ("sentence", "paragraph"):
        raise InputError(f"unit must be 'sentence' or 'paragraph', not {unit!r}")
    keys = mentions["paragraph_id"] + (":" + mentions["sentence"].astype(str) if unit == "sentence" else "")
    units = pd.DataFrame({"unit": keys, "slogan": mentions["slogan"]}).drop_duplicates()
    n_units = units["unit"].nunique()
    per_slogan = units.groupby("slogan")["unit"].nunique()
    pairs = units.merge(units, on="unit")
    pairs = pairs[pairs["slogan_x"] < pairs["slogan_y"]]
    joint = pairs.groupby(["slogan_x", "slogan_y"]).size().rename("n_ab").reset_index()
    joint.columns = ["slogan_a", "slogan_b", "n_ab"]
    joint["n_a"] = joint["slogan_a"].map(per_slogan)
    joint["n_b"] = joint["slogan_b"].map(per_slogan)
    joint["jaccard"] = joint["n_ab"] / (joint["n_a"] + joint["n_b"] - joint["n_ab"])
    joint["pmi"] = np.log2(joint["n_ab"] * n_units / (joint["n_a"] * joint["n_b"]))
    columns = ["slogan_a", "slogan_b", "n_a", "n_b", "n_ab", "jaccard", "pmi"]
    return sort_table(joint[columns], ["n_ab", "slogan_a", "slogan_b"], ascending=[False, True, True]).reset_index(drop=True)


def cooccurrence_matrix(pairs: pd.DataFrame, *, value: str = "n_ab") -> pd.DataFrame:
    """Symmetric slogan × slogan matrix of a :func:`slogan_cooccurrence` column."""
    names = sorted(set(pairs["slogan_a"]) | set(pairs["slogan_b"]))
    matrix = pd.DataFrame(0.0, index=names, columns=names)
    for row in pairs.itertuples():
        matrix.loc[row.slogan_a, row.slogan_b] = matrix.loc[row.slogan_b, row.slogan_a] = getattr(row, value)
    return matrix


