"""Slogans (提法): find every lexicon entry in cleaned text, count, date-check, KWIC, co-occurrence, discovery.

Matching works on the cleaned text (not on tokens), so counts do not depend on
segmentation. All literal forms of all entries, and a literal anchor of every
regular-expression form, are found in one pass of an Aho-Corasick automaton
(pyahocorasick); each regex then runs only in a window around its anchors, and
entries' ``exclude`` patterns drop matches they cover (context checks). A regex
without any literal anchor joins a single alternation scanned in one more pass. Entries may overlap (``习近平生态文明思想``
also counts as ``生态文明``); the variants of one entry never count twice for
the same span (leftmost-longest).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from tifa.text import HAN, count_han, split_sentences
from tifa.corpus import Corpus, check_parts, document_paragraphs, paragraph_id, text_of_parts
from tifa.errors import InputError
from tifa.lexicon import Slogan, load_slogans
from tifa.dfm import group_rows, group_sums, group_values
from tifa.util.tables import sort_table

log = logging.getLogger(__name__)

EXCLUDE_WINDOW = 30  # characters around a match searched by its entry's exclude patterns
REGEX_WINDOW = 200  # widest span searched around an anchor for a regex with unbounded repeats


def mandatory_literal(pattern: str) -> str | None:
    """The longest literal run (≥ 2 characters) that every match of ``pattern`` contains, if any.

    It is the regex's anchor: the automaton finds anchors, and the regex runs only
    in a window around them, so regex entries cost no extra pass over the text.
    """
    from re import _parser  # the standard library's own regex parser

    runs: list[str] = []

    def walk(items) -> None:
        run = ""
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                run += chr(av)
                continue
            runs.append(run)
            run = ""
            if name == "SUBPATTERN":
                walk(av[-1])
            elif name in ("MAX_REPEAT", "MIN_REPEAT") and av[0] >= 1:
                walk(av[2])
        runs.append(run)

    walk(_parser.parse(pattern).data)
    best = max(runs, key=len, default="")
    return best if len(best) >= 2 else None


class Mention(NamedTuple):
    """One slogan occurrence: the entry's index in the lexicon and the span in the text."""

    slogan: int
    start: int
    end: int


class SloganMatcher:
    """Finds all entries of a slogan lexicon in a text (one automaton pass + one regex pass)."""

    def __init__(self, slogans: Sequence[Slogan] | None = None):
        self.slogans = tuple(load_slogans() if slogans is None else slogans)

    @cached_property
    def _anchored(self) -> list[tuple[int, re.Pattern[str], str | None, int]]:
        """Each regex form: (entry, compiled, anchor literal or None, search window)."""
        out = []
        for i, slogan in enumerate(self.slogans):
            for rx in slogan.regexes:
                from re import _parser

                width = _parser.parse(rx).getwidth()[1]
                out.append((i, re.compile(rx), mandatory_literal(rx), min(width, REGEX_WINDOW)))
        return out

    @cached_property
    def _automaton(self):
        """Literal forms (value: length, entries) and regex anchors (value: length, regex indices)."""
        import ahocorasick

        automaton = ahocorasick.Automaton()
        keys: dict[str, tuple[list[int], list[int]]] = {}
        for i, slogan in enumerate(self.slogans):
            for literal in slogan.literals:
                keys.setdefault(literal, ([], []))[0].append(i)
        for k, (_, _, anchor, _) in enumerate(self._anchored):
            if anchor is not None:
                keys.setdefault(anchor, ([], []))[1].append(k)
        for key, (entries, regexes) in keys.items():
            automaton.add_word(key, (len(key), tuple(entries), tuple(regexes)))
        if keys:
            automaton.make_automaton()
        return automaton

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        """Regex forms without an anchor: one alternation, one pass."""
        parts = [f"(?P<r{k}>{rx.pattern})" for k, (_, rx, anchor, _) in enumerate(self._anchored) if anchor is None]
        return re.compile("|".join(parts)) if parts else None

    @cached_property
    def _excludes(self) -> dict[int, tuple[re.Pattern[str], ...]]:
        return {i: tuple(re.compile(x) for x in s.exclude) for i, s in enumerate(self.slogans) if s.exclude}

    def find(self, text: str) -> list[Mention]:
        """Every mention in ``text``, sorted by position then lexicon order."""
        raw: list[Mention] = []
        if self.slogans:
            for end, (length, entries, regexes) in self._automaton.iter(text):
                start = end + 1 - length
                raw.extend(Mention(i, start, end + 1) for i in entries)
                for k in regexes:
                    raw.extend(self._around_anchor(text, k, start, end + 1))
        if self._regex is not None:
            for m in self._regex.finditer(text):
                raw.append(Mention(self._anchored[int(m.lastgroup[1:])][0], m.start(), m.end()))
        if self._excludes:
            raw = [m for m in raw if not self._excluded(text, m)]
        return _leftmost_longest(raw)

    def _around_anchor(self, text: str, k: int, start: int, end: int) -> list[Mention]:
        """Matches of regex ``k`` that contain its anchor found at ``start:end`` (context check)."""
        entry, rx, _, window = self._anchored[k]
        lo, hi = max(0, start - window), min(len(text), end + window)
        return [Mention(entry, m.start(), m.end()) for m in rx.finditer(text, lo, hi) if m.start() <= start and end <= m.end()]

    def _excluded(self, text: str, m: Mention) -> bool:
        patterns = self._excludes.get(m.slogan, ())
        lo, hi = max(0, m.start - EXCLUDE_WINDOW), min(len(text), m.end + EXCLUDE_WINDOW)
        return any(x.start() <= m.start and m.end <= x.end() for p in patterns for x in p.finditer(text, lo, hi))

    def count(self, text: str) -> np.ndarray:
        """Mentions per lexicon entry (array aligned with ``self.slogans``)."""
        counts = np.zeros(len(self.slogans), dtype=np.int64)
        for m in self.find(text):
            counts[m.slogan] += 1
        return counts

    def count_many(self, texts: Sequence[str], *, n_jobs: int = 1) -> np.ndarray:
        """Counts for many texts (rows), in ``n_jobs`` processes; each text is matched independently."""
        if n_jobs <= 1 or len(texts) < 2 * n_jobs:
            return np.vstack([self.count(t) for t in texts]) if texts else np.zeros((0, len(self.slogans)), dtype=np.int64)
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(1, len(texts) // (8 * n_jobs))
        with ProcessPoolExecutor(n_jobs, initializer=_init_worker, initargs=(self.slogans,)) as pool:
            return np.vstack(list(pool.map(_count_in_worker, texts, chunksize=chunk)))


_WORKER: SloganMatcher | None = None


def _init_worker(slogans: tuple[Slogan, ...]) -> None:
    global _WORKER  # one matcher per worker process, built once
    _WORKER = SloganMatcher(slogans)


def _count_in_worker(text: str) -> np.ndarray:
    return _WORKER.count(text)


def _leftmost_longest(mentions: list[Mention]) -> list[Mention]:
    """Per entry, keep non-overlapping spans, preferring the leftmost and then the longest."""
    kept: list[Mention] = []
    last_end: dict[int, int] = {}
    for start, neg_length, slogan in sorted((m.start, m.start - m.end, m.slogan) for m in mentions):
        if start >= last_end.get(slogan, -1):
            kept.append(Mention(slogan, start, start - neg_length))
            last_end[slogan] = start - neg_length
    return kept


def lexicon_table(matcher: SloganMatcher) -> pd.DataFrame:
    """The lexicon as a table: ``slogan_id, slogan, en, category, first_used``."""
    return pd.DataFrame(
        [(s.id, s.zh, s.en, s.category, s.first_used) for s in matcher.slogans],
        columns=["slogan_id", "slogan", "en", "category", "first_used"],
    )


# --- mentions, counts, dating ------------------------------------------------------


def slogan_mentions(corpus: Corpus, matcher: SloganMatcher | None = None, *, include_parts: Sequence[str] | None = None) -> pd.DataFrame:
    """Every mention with its place: ``doc_id, paragraph_id, part, sentence, start, end, slogan_id, slogan, match``.

    ``start``/``end`` are character offsets in the document's cleaned text;
    ``sentence`` numbers the sentence within its paragraph (from 1). Only
    paragraphs of ``include_parts`` (default ``config.DEFAULT_PARTS``: no appendices).
    """
    matcher = matcher or SloganMatcher()
    parts = check_parts(include_parts)
    rows = []
    for doc_id, text in zip(corpus.docs["doc_id"], corpus.docs["text"]):
        structure = iter(document_paragraphs(text))
        offset = 0
        for paragraph in text.split("\n"):
            if paragraph.strip():
                number, part, _, _ = next(structure)
                if part in parts:
                    sentence_ends = np.cumsum([len(s) for s in _sentence_spans(paragraph)])
                    pid = paragraph_id(doc_id, number)
                    for m in matcher.find(paragraph):
                        sentence = int(np.searchsorted(sentence_ends, m.start, side="right")) + 1
                        slogan = matcher.slogans[m.slogan]
                        rows.append((doc_id, pid, part, sentence, offset + m.start, offset + m.end, slogan.id, slogan.zh, paragraph[m.start : m.end]))
            offset += len(paragraph) + 1
    return pd.DataFrame(rows, columns=["doc_id", "paragraph_id", "part", "sentence", "start", "end", "slogan_id", "slogan", "match"])


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


def count_slogans(
    corpus: Corpus,
    *,
    by: str | Sequence[str] = "doc_id",
    category: str | None = None,
    matcher: SloganMatcher | None = None,
    drop_zero: bool = False,
    n_jobs: int = 1,
    forms: bool = False,
    include_parts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Slogan counts by document or docvar(s), long format.

    Columns: ``<by>…, slogan_id, slogan, en, category, count, per_10k_chars``,
    where ``per_10k_chars`` is per 10,000 Han characters of the group's cleaned
    text. Every entry appears for every group (zeros included) unless ``drop_zero``.
    ``forms=True`` counts each written form apart (column ``form`` after
    ``slogan``: the matched text without spaces, NFKC-normalised, e.g.
    新发展理念 and 五大发展理念 of one entry): every form seen in the corpus, and
    the canonical form of entries never seen. Only the text of ``include_parts``
    is counted (default ``config.DEFAULT_PARTS``: appendices are left out), and
    ``per_10k_chars`` is per Han characters of those parts.
    ``n_jobs`` > 1 matches documents in parallel processes (large corpora; not with ``forms``).
    """
    matcher = matcher or SloganMatcher()
    texts = [text_of_parts(t, include_parts) for t in corpus.docs["text"]]
    table = lexicon_table(matcher).drop(columns=["first_used"])
    if forms:
        counts, table = _form_counts(matcher, texts, table)
    else:
        counts = matcher.count_many(texts, n_jobs=n_jobs)
    n_chars = np.array([count_han(t) for t in texts], dtype=np.float64)
    return slogan_count_table(counts, n_chars, corpus.docvars, table, by=by, category=category, drop_zero=drop_zero)


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
    groups = group_rows(docvars, by_cols, what="documents")
    sums = group_sums(counts, groups).astype(np.int64)  # groups × slogans (or forms)
    n_chars = group_sums(np.asarray(n_chars, dtype=np.float64)[:, None], groups).ravel()
    n_slogans = len(table)
    result = group_values(docvars, groups, by_cols).loc[np.repeat(np.arange(len(groups)), n_slogans)].reset_index(drop=True)
    result = pd.concat([result, pd.concat([table] * len(groups), ignore_index=True)], axis=1)
    result["count"] = sums.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        result["per_10k_chars"] = np.where(np.repeat(n_chars, n_slogans) > 0, sums.ravel() / np.repeat(n_chars, n_slogans) * 10_000, 0.0)
    if category is not None:
        if category not in set(table["category"]):
            raise InputError(f"no slogan category {category!r}; categories: {sorted(set(table['category']))}")
        result = result[result["category"] == category]
    if drop_zero:
        result = result[result["count"] > 0]
    return result.reset_index(drop=True)


def normalise_form(match: str) -> str:
    """A written form as counted: the matched text without whitespace, NFKC-normalised (＋ → +)."""
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", match))


def _form_counts(matcher: SloganMatcher, texts: Sequence[str], table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Counts per document and written form (columns), and the lexicon table with one row per form."""
    found: list[dict[tuple[int, str], int]] = []
    for text in texts:
        per: dict[tuple[int, str], int] = {}
        for m in matcher.find(text):
            key = (m.slogan, normalise_form(text[m.start : m.end]))
            per[key] = per.get(key, 0) + 1
        found.append(per)
    seen = {key for per in found for key in per}
    seen |= {(i, normalise_form(s.zh)) for i, s in enumerate(matcher.slogans) if not any(k[0] == i for k in seen)}
    columns = sorted(seen)  # lexicon order, then form
    index = {key: j for j, key in enumerate(columns)}
    counts = np.zeros((len(texts), len(columns)), dtype=np.int64)
    for row, per in enumerate(found):
        for key, n in per.items():
            counts[row, index[key]] = n
    forms = table.iloc[[i for i, _ in columns]].reset_index(drop=True)
    forms.insert(2, "form", [form for _, form in columns])
    return counts, forms


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


def anachronisms(corpus: Corpus, matcher: SloganMatcher | None = None, mentions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mentions in documents dated before the entry's ``first_used`` (with both dates read generously).

    A document's date is its ``date`` docvar, else its ``year``; a mention is an
    anachronism when the latest day the document's date can mean falls before the
    earliest day ``first_used`` can mean. Either the document is mis-dated or the
    lexicon date is wrong: the table is a to-do list for the researcher. Entries
    whose ``first_used_precision`` is ``upper-bound`` are skipped: their date says
    official use is attested by then, not that it began then, so an earlier
    mention cannot be an anachronism.
    """
    matcher = matcher or SloganMatcher()
    mentions = slogan_mentions(corpus, matcher) if mentions is None else mentions
    docvars = corpus.docvars
    dates = docvars["date"] if "date" in docvars else pd.Series(pd.NA, index=docvars.index)
    doc_date = dates.where(dates.notna(), docvars["year"].astype("string"))
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


def kwic(corpus: Corpus, pattern: str, *, window: int = 15, regex: bool = False, matcher: SloganMatcher | None = None) -> pd.DataFrame:
    """Keywords in context: ``doc_id``, docvars, ``paragraph_id``, ``left``, ``match``, ``right``.

    ``pattern`` is a lexicon entry (its ``zh`` or ``id``: all its variants are
    found), else a literal string, or a regular expression with ``regex=True``.
    ``window`` is the number of characters on each side, within the paragraph.
    """
    matcher = matcher or SloganMatcher()
    entry = next((i for i, s in enumerate(matcher.slogans) if pattern in (s.zh, s.id)), None)
    if entry is not None:
        single = SloganMatcher([matcher.slogans[entry]])
        finder = lambda text: [(m.start, m.end) for m in single.find(text)]  # noqa: E731
    else:
        try:
            compiled = re.compile(pattern if regex else re.escape(pattern))
        except re.error as exc:
            raise InputError(f"invalid regular expression {pattern!r} ({exc}). Escape special characters such as ( [ * with a backslash, or search for the literal string without --regex.") from exc
        finder = lambda text: [(m.start(), m.end()) for m in compiled.finditer(text) if m.end() > m.start()]  # noqa: E731
    paragraphs = corpus.paragraphs()
    rows = []
    for unit in paragraphs.itertuples(index=False):
        for start, end in finder(unit.text):
            rows.append((unit.doc_id, unit.paragraph_id, unit.text[max(0, start - window) : start], unit.text[start:end], unit.text[end : end + window]))
    hits = pd.DataFrame(rows, columns=["doc_id", "paragraph_id", "left", "match", "right"])
    docvars = corpus.docvars.drop(columns=[c for c in ("n_chars", "notes", "sha256") if c in corpus.docvars])
    return hits.join(docvars, on="doc_id")[["doc_id", *docvars.columns, "paragraph_id", "left", "match", "right"]]


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


# --- discovery ----------------------------------------------------------------------------

_NUM = "一二两三四五六七八九十百"
DISCOVERY_PATTERNS = {
    # 四个意识, 两个确保, 三个对照, 十个聚焦, 五大发展理念, 八项规定, 三大攻坚战 (not inside a longer numeral)
    "numbered": re.compile(rf"(?<![{_NUM}])(?=([{_NUM}]+[个大项条种](?![{_NUM}])[{HAN}]{{2,5}}))"),
    # 两学一做, 三严三实, 一学二查三改四建五评, 六稳六保: the whole chain (not numerals such as 一九五八)
    "interleaved": re.compile(rf"(?<![{_NUM}双][{HAN}])(?<![{_NUM}])((?:[{_NUM}双](?![{_NUM}〇零])[{HAN}]){{2,5}})"),
    # “两张皮”, "四个扎扎实实"
    "quoted": re.compile(rf"[“\"「『]([{HAN}、·]{{2,14}})[”\"」』]"),
}
# enumerators (一是, 二要), the article 一个, counted everyday nouns and conjunctions are not formulae
_STOP_FORMULA = re.compile(
    rf"^[{_NUM}][是要]|^一[个大项条种]|^[{_NUM}]+[个大项条种](?:[{_NUM}]|月|年|方面|阶段|问题|小时|百分点|[和与及的在是])"
)


def discover_slogans(
    corpus: Corpus,
    *,
    top: int = 30,
    min_count: int = 2,
    matcher: SloganMatcher | None = None,
) -> pd.DataFrame:
    """Candidate slogans missing from the lexicon: numbered formulae and quoted phrases that recur.

    Shapes (:data:`DISCOVERY_PATTERNS`): numbered formulae (``十个聚焦``), chains of
    numbers and characters (``一学二查三改四建五评``) and quoted phrases (“两张皮”).
    A numbered formula is cut to the longest form as frequent as its prefix (once
    seen: the shortest, unless a quoted form shows where it ends). Candidates that
    contain or sit inside a known lexicon form are left out. Formulae count every
    occurrence in the cleaned texts; quoted phrases count their quoted occurrences
    (a word merely quoted once is no slogan). Columns:
    ``candidate, kind, count, n_docs, docs``; ranked by count, then spread.
    """
    matcher = matcher or SloganMatcher()
    known = [lit for s in matcher.slogans for lit in s.literals]
    kinds: dict[str, set[str]] = {}
    quoted: dict[str, dict[str, int]] = {}  # quoted phrases: occurrences in quotes, per document
    docs = list(zip(corpus.docs["doc_id"].tolist(), corpus.docs["text"].tolist()))  # plain lists: scanned once per candidate
    for doc_id, text in docs:
        for kind, pattern in DISCOVERY_PATTERNS.items():
            for m in pattern.finditer(text):
                for candidate in _forms(m.group(1), kind):
                    kinds.setdefault(candidate, set()).add(kind)
                    if kind == "quoted":
                        quoted.setdefault(candidate, {}).setdefault(doc_id, 0)
                        quoted[candidate][doc_id] += 1
    rows = []
    for candidate, kind in kinds.items():
        if _STOP_FORMULA.search(candidate) or any(candidate in k or k in candidate for k in known):
            continue
        if kind == {"quoted"}:
            per_doc = quoted[candidate]
        else:  # a formula counts wherever it stands, quoted or not
            per_doc = {d: t.count(candidate) for d, t in docs if candidate in t}
        rows.append((candidate, "+".join(sorted(kind)), sum(per_doc.values()), len(per_doc), ", ".join(sorted(per_doc))))
    table = _keep_maximal(pd.DataFrame(rows, columns=["candidate", "kind", "count", "n_docs", "docs"]))
    table = table[table["count"] >= min_count]
    return sort_table(table, ["count", "n_docs", "candidate"], ascending=[False, False, True]).head(top).reset_index(drop=True)


def _forms(match: str, kind: str) -> list[str]:
    """Candidate forms of a match: every admissible length of a numbered formula, else the match itself."""
    if kind != "numbered":
        return [match]
    head = re.match(rf"[{_NUM}]+[个大项条种]", match).end()
    return [match[:n] for n in range(head + 2, len(match) + 1)]


def _keep_maximal(table: pd.DataFrame) -> pd.DataFrame:
    """One form per numbered formula: the longest as frequent as its prefixes when it recurs, the shortest when seen once.

    A recurring formula is followed by different characters each time, so its
    longest form with the full count is the formula itself (``十个聚焦``, not
    ``十个聚``); a formula seen once cannot tell, and the shortest form is kept.
    """
    if table.empty:
        return table
    rows = list(zip(table["candidate"].tolist(), table["kind"].tolist(), table["count"].tolist()))
    numbered = {c: n for c, k, n in rows if "numbered" in k}
    longer_counts: dict[str, set[int]] = {}  # counts of the numbered forms that extend a prefix
    for c, n in numbered.items():
        for i in range(1, len(c)):
            longer_counts.setdefault(c[:i], set()).add(n)
    quoted_counts: dict[str, set[int]] = {}  # counts of the quoted forms that start with a prefix
    for c, k, n in rows:
        if "quoted" in k:
            for i in range(1, len(c) + 1):
                quoted_counts.setdefault(c[:i], set()).add(n)
    keep = []
    for c, k, n in rows:
        if "numbered" not in k or "quoted" in k:  # a quoted form is complete as written
            keep.append(True)
            continue
        shorter = [numbered[c[:i]] for i in range(1, len(c)) if c[:i] in numbered]
        if n in quoted_counts.get(c, ()):
            keep.append(False)  # only a truncation of a quoted formula: “四个扎扎实实”
        elif n == 1:
            keep.append(not shorter)
        else:
            keep.append(n not in longer_counts.get(c, ()) and not any(m > n for m in shorter))
    return table[keep]
