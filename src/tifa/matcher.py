"""The slogan matcher: every lexicon entry found in a text in one automaton pass (+ anchored regexes).

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

from tifa.lexicon import Slogan, load_slogans

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


def normalise_form(match: str) -> str:
    """A written form as counted: the matched text without whitespace, NFKC-normalised (＋ → +)."""
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", match))
