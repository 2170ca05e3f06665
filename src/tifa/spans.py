"""Page chrome inside one line: spans that stand anywhere, then spans anchored at the line's ends.

The span rules of ``boilerplate.yaml`` (``tifa.boilerplate``) are tried here on one
line, each only near the literals its matches must hold: a rule that stands
anywhere at the positions ``finditer`` would try, an end-anchored rule at the
positions its span could start from; anchored spans are cut off the ends of the
line as a window ``line[lo:hi]``, so no span removal copies the line. The result
is that of the plain reading (``BoilerplateRule.span`` tried until none matches).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tifa.util.literals import Opening, analyse, consumed_class, looks_behind, opening

GAP_MARKS = "|丨"
SPAN_GAP = rf"[\s{GAP_MARKS}]*"  # spaces and separators around an anchored span go with it
SPAN_BOUNDARY = r"\s。！？!?；;：:”’」』）)】\]"  # what may precede an end-anchored span
NONBLANK = re.compile(r"\S")
SPACE_TABLE = np.zeros(0x110000, dtype=bool)  # for every code point, whether it is a space (str.isspace)
SPACE_TABLE[[ord(c) for c in map(chr, range(0x3001)) if c.isspace()]] = True  # (no space lies above U+3000)
_GAP_CHARS = frozenset(chr(c) for c in np.flatnonzero(SPACE_TABLE).tolist()) | frozenset(GAP_MARKS)
_BOUNDARY_CHAR = re.compile(f"[{SPAN_BOUNDARY}]")

Hits = dict[int, list[int]]  # rule index -> where its literals start in the line, sorted
Removed = list[tuple["CompiledRule", str]]


@dataclass(frozen=True)
class CompiledRule:
    """One rule, ready to be tried near its literals."""

    index: int
    rule: Any  # a tifa.boilerplate.BoilerplateRule (this module sits below it)
    literals: frozenset[str] | None  # every match holds one (None: try the rule everywhere)
    offset: float  # at most this many counted characters of a match come before that literal
    width: float  # at most this many counted characters in a match
    windowed: bool  # anchored spans are searched near the literals (else the rule is tried on the cut line)
    run: re.Pattern[str] | None  # a character every match (and the gaps around it) is made of, when few are
    opens: Opening | None  # the characters a match opens with, when known
    start: re.Pattern[str]  # gap, pattern, gap: matched at the line's start
    tail: re.Pattern[str]  # pattern, gap, end: matched where an end-anchored span's pattern starts


def compile_rule(index: int, rule: Any) -> CompiledRule:
    """What the span search needs of ``rule`` (counted characters: all but spaces and | 丨)."""
    found = analyse(rule.pattern, free=GAP_MARKS, free_space=True)
    chars = consumed_class(rule.pattern)
    return CompiledRule(
        index, rule, found.literals, found.offset, found.width,
        found.literals is not None and found.offset < math.inf and not looks_behind(rule.pattern),
        re.compile(rf"[{chars}\s{GAP_MARKS}]") if chars else None,
        opening(rule.pattern),
        re.compile(rf"{SPAN_GAP}(?:{rule.pattern.pattern}){SPAN_GAP}"),
        re.compile(rf"(?:{rule.pattern.pattern}){SPAN_GAP}\Z"),
    )


def _back(line: str, pos: int, counted: float, lo: int) -> int:
    """The smallest ``x >= lo`` such that ``line[x:pos]`` holds at most ``counted`` characters that are not spaces or separators."""
    n = 0
    while pos > lo:
        if line[pos - 1] not in _GAP_CHARS:
            if n >= counted:
                break
            n += 1
        pos -= 1
    return pos


def remove_anywhere(rules: tuple[CompiledRule, ...], line: str, hits: Hits, removed: Removed, shift: Callable[[Hits, list[tuple[int, int]], int, str], Hits]) -> tuple[str, Hits]:
    """Spans of ``any`` rules: every match, rule by rule, until none is left; ``shift`` moves the literals with each change."""
    version, found_nothing = 0, {}  # version of the line, rule -> the version it last found nothing in
    changed = True
    while changed:
        changed = False
        for c in rules:
            starts = hits.get(c.index)
            if (c.literals is not None and not starts) or found_nothing.get(c.index) == version:  # no literal, or no change since it found nothing
                continue
            found_nothing[c.index] = version
            matches = _matches_near(c, line, starts) if c.literals is not None and c.offset < math.inf else None
            if matches is None:
                matches = [m for m in c.rule.pattern.finditer(line) if m.group(0)]
            if not matches:
                continue
            insert = c.rule.replace or ""
            pieces, pos = [], 0
            for m in matches:
                pieces += (line[pos : m.start()], insert)
                removed.append((c, m.group(0)))
                pos = m.end()
            line = "".join(pieces) + line[pos:]
            hits = shift(hits, [m.span() for m in matches], len(insert), line)
            version += 1
            changed = True
    return line, hits


def _matches_near(c: CompiledRule, line: str, starts: list[int]) -> list[re.Match[str]] | None:
    """The matches ``finditer`` gives, from left to right, trying only positions near the rule's literals (``None``: an empty match, ask finditer)."""
    out: list[re.Match[str]] = []
    pos, tried, i = 0, -1, 0
    while i < len(starts):
        h = starts[i]
        found = None
        if h >= pos:
            for p in range(max(pos, tried + 1, _back(line, h, c.offset, 0)), h + 1):
                tried = p
                if c.opens is None or c.opens.admits(line[p]):
                    found = c.rule.pattern.match(line, p)
                    if found:
                        break
        if found is None:
            i += 1
            continue
        if found.end() == found.start():
            return None
        out.append(found)
        pos = found.end()  # the same literal may still open a later match
    return out


def remove_anchored(rules: tuple[CompiledRule, ...], line: str, hits: Hits, removed: Removed) -> str:
    """Spans anchored at the start or end of ``line``, rule after rule, until none is left."""
    lo, hi = 0, len(line)  # the line is line[lo:hi]: anchored spans only ever cut its ends
    found_nothing: dict[int, tuple[int, int]] = {}  # rule -> the window it last found nothing in
    rules = tuple(c for c in rules if c.literals is None or c.index in hits)  # (the literals do not change here)
    changed = True
    while changed and NONBLANK.search(line, lo, hi):
        changed = False
        for c in rules:
            if found_nothing.get(c.index) == (lo, hi):  # nothing changed since: it finds nothing again
                continue
            found_nothing[c.index] = (lo, hi)
            starts = hits.get(c.index)
            if c.literals is not None and not _any_within(starts, lo, hi):
                continue
            if not c.windowed:  # tried the plain way, on the line as it now is
                where = c.rule.span(line[lo:hi])
                if where is not None:
                    start, end = lo + where[0], lo + where[1]
                    removed.append((c, line[start:end]))
                    lo, hi = (lo, start) if end == hi else (end, hi)
                    changed = True
                continue
            if c.rule.anchor in ("start", "both"):
                m = c.start.match(line, lo, hi)
                if m and line[lo : m.end()].strip():
                    removed.append((c, line[lo : m.end()]))
                    lo = m.end()
                    changed = True
                    continue
            if c.rule.anchor in ("end", "both"):
                start = _end_span(c, line, lo, hi, starts)
                if start is not None:
                    removed.append((c, line[start:hi]))
                    hi = start
                    changed = True
    return line[lo:hi]


def _any_within(starts: list[int], lo: int, hi: int) -> bool:
    k = bisect_left(starts, lo)
    return k < len(starts) and starts[k] < hi


def _end_span(c: CompiledRule, line: str, lo: int, hi: int, starts: list[int]) -> int | None:
    """Start of the leftmost end-anchored span of rule ``c`` in ``line[lo:hi]``, trying positions near its literals only."""
    gap_start = hi
    while gap_start > lo and line[gap_start - 1] in _GAP_CHARS:
        gap_start -= 1
    floor = lo
    if c.width < math.inf:  # the match ends in the trailing gap: it starts within ``width`` counted characters of it
        floor = _back(line, gap_start, c.width, lo)
    elif c.run is not None:  # ... or within the run of characters it can be made of that ends there
        floor = gap_start
        while floor > lo and c.run.match(line, floor - 1):
            floor -= 1
    next_p = floor
    for h in starts[bisect_left(starts, floor) : bisect_left(starts, hi)]:
        for p in range(max(next_p, _back(line, h, c.offset, lo)), h + 1):
            if (c.opens is None or c.opens.admits(line[p])) and c.tail.match(line, p, hi):
                start = p
                while start > lo and line[start - 1] in _GAP_CHARS:
                    start -= 1
                s = next((s for s in range(start, p + 1) if s == lo or _BOUNDARY_CHAR.match(line, s - 1)), None)
                if s is not None:
                    return s if line[s:hi].strip() else None
        next_p = max(next_p, h + 1)
    return None
