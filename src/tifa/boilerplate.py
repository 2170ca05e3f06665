"""Web-site boilerplate: the rules of ``boilerplate.yaml`` and the matcher that applies them in few passes.

A rule is a regular expression of one of three kinds: ``line`` (remove the line),
``tail`` (remove the line and all after it) and ``span`` (remove page chrome from
inside a line: at its start or end, or — anchor ``any`` — wherever it stands).
:class:`BoilerplateMatcher` compiles a rule set once: the literal strings every
match of a rule must contain (``tifa.util.literals``) go into one regex, factored
by common prefixes; one pass of it over a text finds the lines that hold any, and
a rule is tried only on those lines, and an end-anchored span only at positions
near its literals. The result is the same, edit for edit, as trying every rule
on every line (``tests/reference_clean.py`` is that plain code, the tests' oracle).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from re import _parser

from tifa import config
from tifa.errors import InputError
from tifa.util.files import read_yaml
from tifa.util.literals import analyse, consumed_class, looks_behind

RULE_KINDS = ("line", "tail", "span")
SPAN_ANCHORS = ("start", "end", "both", "any")
_GAP_MARKS = "|丨"
_SPAN_GAP = rf"[\s{_GAP_MARKS}]*"  # spaces and separators around an anchored span go with it
_SPAN_BOUNDARY = r"\s。！？!?；;：:”’」』）)】\]"  # what may precede an end-anchored span
_BOUNDARY_CHAR = re.compile(f"[{_SPAN_BOUNDARY}]")
_NONBLANK = re.compile(r"\S")


@dataclass(frozen=True)
class BoilerplateRule:
    """A pattern that marks web-site boilerplate (see ``boilerplate.yaml``)."""

    id: str
    kind: str  # "line" removes matching lines; "tail" the line and all after it; "span" text inside a line
    pattern: re.Pattern[str]
    description: str
    examples: tuple[str, ...] = ()
    max_chars: int | None = None
    anchor: str = "both"  # span rules: "start", "end", "both" or "any" (wherever it stands)
    replace: str | None = None  # span rules: the text put in place of a match (None: removed)

    @cached_property
    def _at_start(self) -> re.Pattern[str]:
        return re.compile(rf"\A{_SPAN_GAP}(?:{self.pattern.pattern}){_SPAN_GAP}")

    @cached_property
    def _at_end(self) -> re.Pattern[str]:
        return re.compile(rf"(?:(?<=[{_SPAN_BOUNDARY}])|\A){_SPAN_GAP}(?:{self.pattern.pattern}){_SPAN_GAP}\Z")

    def span(self, line: str) -> tuple[int, int] | None:
        """Where this span rule matches ``line``: at its anchors (start first), or for ``any`` its leftmost match; empty matches do not count."""
        if self.anchor == "any":
            return next((m.span() for m in self.pattern.finditer(line) if m.group(0)), None)
        if self.anchor in ("start", "both"):
            m = self._at_start.match(line)
            if m and m.group(0).strip():
                return m.span()
        if self.anchor in ("end", "both"):
            m = self._at_end.search(line)
            if m and m.group(0).strip():
                return m.span()
        return None


def load_boilerplate_rules(path: str | Path = config.BOILERPLATE_YAML) -> tuple[BoilerplateRule, ...]:
    """Read boilerplate rules from a YAML file; errors name the file and the rule (read again only when the file changed)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _load_rules(path, None)  # read_yaml names the missing file
    return _load_rules(path, (stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _load_rules(path: Path, version: tuple[int, int] | None) -> tuple[BoilerplateRule, ...]:
    spec = read_yaml(path, "boilerplate rules")
    rules = []
    for i, entry in enumerate(spec.get("rules") or [], start=1):
        if not isinstance(entry, dict):
            raise InputError(f"{path}: rule {i} is not a mapping ({entry!r}); see the schema at the top of the file")
        missing = {"id", "kind", "pattern", "description"} - set(entry)
        if missing:
            raise InputError(f"{path}: rule {i} lacks {sorted(missing)}; see the schema at the top of the file")
        if entry["kind"] not in RULE_KINDS:
            raise InputError(f"{path}: rule {entry['id']!r} has kind {entry['kind']!r}; use 'line', 'tail' or 'span'")
        anchor = entry.get("anchor", "both")
        if anchor not in SPAN_ANCHORS or ("anchor" in entry and entry["kind"] != "span"):
            raise InputError(f"{path}: rule {entry['id']!r} has anchor {anchor!r}; only span rules take an anchor, one of {SPAN_ANCHORS}")
        try:
            pattern = re.compile(entry["pattern"])
        except re.error as exc:
            raise InputError(f"{path}: rule {entry['id']!r} has an invalid pattern ({exc})") from exc
        if pattern.fullmatch(""):
            raise InputError(f"{path}: rule {entry['id']!r} matches the empty string; make its pattern require at least one character")
        replace = entry.get("replace")
        if replace is not None and (entry["kind"] != "span" or not isinstance(replace, str) or len(replace) >= _parser.parse(pattern.pattern).getwidth()[0] or pattern.search(replace)):
            raise InputError(f"{path}: rule {entry['id']!r} has replace {replace!r}; only span rules take one, a text shorter than any match that the pattern does not match")
        if any(r.id == entry["id"] for r in rules):
            raise InputError(f"{path}: rule id {entry['id']!r} is used twice; give every rule its own id")
        rules.append(
            BoilerplateRule(
                id=entry["id"],
                kind=entry["kind"],
                pattern=pattern,
                description=entry["description"],
                examples=tuple(entry.get("examples", ())),
                max_chars=entry.get("max_chars"),
                anchor=anchor,
                replace=replace,
            )
        )
    return tuple(rules)


def rule_matches(rule: BoilerplateRule, line: str) -> bool:
    """Whether ``rule`` marks ``line`` (stripped) as boilerplate; a span rule: whether it matches at an anchor (``any``: anywhere)."""
    line = line.strip()
    if rule.max_chars is not None and len(line) > rule.max_chars:
        return False
    if rule.kind == "span":
        return rule.span(line) is not None
    return rule.pattern.search(line) is not None


def remove_spans(line: str, rules: Sequence[BoilerplateRule]) -> tuple[str, list[tuple[str, str]]]:
    """``line`` without the spans of ``rules`` (first those that stand anywhere, then the anchored ones, until none matches); also ``(rule id, span)`` pairs in removal order."""
    return compile_rules(tuple(rules)).remove_spans(line)


@lru_cache(maxsize=64)
def compile_rules(rules: tuple[BoilerplateRule, ...]) -> BoilerplateMatcher:
    """The :class:`BoilerplateMatcher` of a rule set, compiled once per process."""
    return BoilerplateMatcher(rules)


def _trie(words) -> str:
    """One regex for a set of literal strings, factored by common prefixes (a longer word is tried first)."""
    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alternatives = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not alternatives:
            return ""
        if "" in node:  # a word ends here: the longer ones are optional
            return "(?:" + "|".join(alternatives) + ")?"
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return emit(root)


def _is_gap(char: str) -> bool:
    return char.isspace() or char in _GAP_MARKS


def _back(line: str, pos: int, counted: float, lo: int) -> int:
    """The smallest ``x >= lo`` such that ``line[x:pos]`` holds at most ``counted`` characters that are not spaces or separators."""
    n = 0
    while pos > lo:
        if not _is_gap(line[pos - 1]):
            if n >= counted:
                break
            n += 1
        pos -= 1
    return pos


@dataclass(frozen=True)
class _Compiled:
    """One rule, ready for the matcher: its literals and the regexes tried at a position."""

    index: int
    rule: BoilerplateRule
    literals: frozenset[str] | None  # every match holds one (None: try the rule everywhere)
    offset: float  # at most this many counted characters of a match come before that literal
    width: float  # at most this many counted characters in a match
    windowed: bool  # anchored spans are searched near the literals (else the rule is tried on the cut line)
    run: re.Pattern[str] | None  # a character every match (and the gaps around it) is made of, when few are
    start: re.Pattern[str]  # gap, pattern, gap: matched at the line's start
    tail: re.Pattern[str]  # pattern, gap, end: matched where an end-anchored span's pattern starts


class BoilerplateMatcher:
    """A rule set compiled for long texts: one literal scan, then each rule only where its literals are."""

    def __init__(self, rules: Sequence[BoilerplateRule]):
        self.rules = tuple(rules)
        compiled = []
        for i, rule in enumerate(self.rules):
            found = analyse(rule.pattern, free=_GAP_MARKS, free_space=True)
            windowed = found.literals is not None and found.offset < math.inf and not looks_behind(rule.pattern)
            chars = consumed_class(rule.pattern)
            compiled.append(_Compiled(
                i, rule, found.literals, found.offset, found.width, windowed,
                re.compile(rf"[{chars}\s{_GAP_MARKS}]") if chars else None,
                re.compile(rf"{_SPAN_GAP}(?:{rule.pattern.pattern}){_SPAN_GAP}"),
                re.compile(rf"(?:{rule.pattern.pattern}){_SPAN_GAP}\Z"),
            ))
        self._line = tuple(c for c in compiled if c.rule.kind != "span")
        self._any = tuple(c for c in compiled if c.rule.kind == "span" and c.rule.anchor == "any")
        self._anchored = tuple(c for c in compiled if c.rule.kind == "span" and c.rule.anchor != "any")
        self._line_always = [c for c in self._line if c.literals is None]
        self._always_line = bool(self._line_always)
        self._replace = {c.index: c.rule.replace for c in self._any}
        self._always_span = any(c.literals is None for c in self._any + self._anchored)
        owners: dict[str, set[int]] = {}
        for c in compiled:
            for literal in c.literals or ():
                owners.setdefault(literal, set()).add(c.index)
        # at a position where literals start, the regex reads the longest; the shorter ones are its prefixes
        self._owners = {w: tuple(sorted(set().union(*(owners.get(w[:k], set()) for k in range(1, len(w) + 1))))) for w in owners}
        self._finder = re.compile(_trie(owners)) if owners else None  # the longest literal that starts at a position

    # --- where the literals are --------------------------------------------------

    def line_hits(self, line: str) -> dict[int, list[int]]:
        """Start offsets of each rule's literals in one line (overlapping ones included), by rule index, sorted."""
        by_rule: dict[int, list[int]] = {}
        if self._finder is None:
            return by_rule
        for m in self._finder.finditer(line):  # the leftmost literal, then those that start inside it, then on
            for j in range(m.start(), m.end()):
                found = m if j == m.start() else self._finder.match(line, j)
                if found:
                    for i in self._owners[found.group(0)]:
                        by_rule.setdefault(i, []).append(j)
        return by_rule

    def _hits_by_line(self, text: str, lines: list[str]) -> dict[int, dict[int, list[int]]]:
        """:meth:`line_hits` of every line that holds a literal (found by one scan of the whole text), by line index."""
        out: dict[int, dict[int, list[int]]] = {}
        if self._finder is None:
            return out
        k, counted = 0, 0  # text[:counted] holds k newlines
        for m in self._finder.finditer(text):
            k += text.count("\n", counted, m.start())
            counted = m.start()
            if k not in out:
                out[k] = self.line_hits(lines[k])
        return out

    # --- the step ------------------------------------------------------------------

    def run(self, text: str) -> tuple[str, list[tuple[str, int, str, str, str]]]:
        """Remove boilerplate lines, then spans inside lines; every removal is a ``(kind, line, before, after, rule id)`` record."""
        lines = text.split("\n")
        hits = self._hits_by_line(text, lines)
        kept: list[str] = []
        edits: list[tuple[str, int, str, str, str]] = []
        no_hits: dict[int, list[int]] = {}
        for i, line in enumerate(lines, start=1):
            line_hits = hits.get(i - 1, no_hits)
            if not line_hits and not self._always_line and not self._always_span:
                kept.append(line)
                continue
            rule = self._line_rule(line, line_hits)
            if rule is None:
                if line_hits or self._always_span:
                    line, spans = self._remove_spans(line, line_hits)
                    for c, span in spans:
                        replace = self._replace.get(c.index)
                        edits.append(("removed_span", i, span, "", c.rule.id) if replace is None else ("changed", i, span, replace, c.rule.id))
                kept.append(line)
                continue
            if rule.kind == "tail":
                edits.extend(("removed", j, rest, "", rule.id) for j, rest in enumerate(lines[i - 1 :], start=i) if rest.strip())
                break
            edits.append(("removed", i, line, "", rule.id))
        return "\n".join(kept), edits

    def _line_rule(self, line: str, line_hits: dict[int, list[int]]) -> BoilerplateRule | None:
        """The first line or tail rule that marks ``line``, trying only rules whose literals it holds (and those without literals)."""
        candidates = [c for c in self._line if c.literals is None or c.index in line_hits] if line_hits else self._line_always
        if not candidates:
            return None
        stripped = line.strip()
        if not stripped:
            return None
        for c in candidates:
            if (c.rule.max_chars is None or len(stripped) <= c.rule.max_chars) and c.rule.pattern.search(stripped):
                return c.rule
        return None

    def remove_spans(self, line: str) -> tuple[str, list[tuple[str, str]]]:
        """See :func:`remove_spans`."""
        line, removed = self._remove_spans(line, self.line_hits(line))
        return line, [(c.rule.id, span) for c, span in removed]

    def _remove_spans(self, line: str, line_hits: dict[int, list[int]]) -> tuple[str, list[tuple[_Compiled, str]]]:
        removed: list[tuple[_Compiled, str]] = []
        line, line_hits = self._remove_anywhere(line, line_hits, removed)
        lo, hi = 0, len(line)  # the line is line[lo:hi]: anchored spans only ever cut its ends
        changed = True
        while changed and _NONBLANK.search(line, lo, hi):
            changed = False
            for c in self._anchored:
                starts = line_hits.get(c.index)
                if c.literals is not None and (not starts or not self._any_within(starts, lo, hi)):
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
                    start = self._end_span(c, line, lo, hi, starts)
                    if start is not None:
                        removed.append((c, line[start:hi]))
                        hi = start
                        changed = True
        return line[lo:hi], removed

    @staticmethod
    def _any_within(starts: list[int], lo: int, hi: int) -> bool:
        k = bisect_left(starts, lo)
        return k < len(starts) and starts[k] < hi

    def _remove_anywhere(self, line: str, line_hits: dict[int, list[int]], removed: list) -> tuple[str, dict[int, list[int]]]:
        """Spans of ``any`` rules: every match, rule by rule, until none is left; the line's literals are found again after a change."""
        changed = True
        while changed:
            changed = False
            for c in self._any:
                if c.literals is not None and c.index not in line_hits:
                    continue
                found: list[tuple[_Compiled, str]] = []

                def replace(m: re.Match[str], c: _Compiled = c) -> str:
                    if not m.group(0):
                        return ""
                    found.append((c, m.group(0)))
                    return c.rule.replace or ""

                new = c.rule.pattern.sub(replace, line)
                if found:
                    removed.extend(found)
                    line, changed = new, True
                    line_hits = self.line_hits(line)
        return line, line_hits

    def _end_span(self, c: _Compiled, line: str, lo: int, hi: int, starts: list[int]) -> int | None:
        """Start of the leftmost end-anchored span of rule ``c`` in ``line[lo:hi]``, trying positions near its literals only."""
        gap_start = hi
        while gap_start > lo and _is_gap(line[gap_start - 1]):
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
                if c.tail.match(line, p, hi):
                    start = p
                    while start > lo and _is_gap(line[start - 1]):
                        start -= 1
                    s = next((s for s in range(start, p + 1) if s == lo or _BOUNDARY_CHAR.match(line, s - 1)), None)
                    if s is not None:
                        return s if line[s:hi].strip() else None
            next_p = max(next_p, h + 1)
        return None
