"""Web-site boilerplate: the rules of ``boilerplate.yaml`` and the matcher that applies them in few passes.

A rule is a regular expression of one of three kinds: ``line`` (remove the line),
``tail`` (remove the line and all after it) and ``span`` (remove page chrome from
inside a line: at its start or end, or — anchor ``any`` — wherever it stands).
:class:`BoilerplateMatcher` compiles a rule set once: the literal strings every
match of a rule must contain (``tifa.util.literals``) go into one regex, factored
by common prefixes; one pass of it over a text finds the lines that hold any, and
a rule is tried only on those lines, and an end-anchored span only at positions
near its literals (``tifa.spans``). The result is the same, edit for edit, as
trying every rule on every line (``tests/reference_clean.py`` is that plain code,
the tests' oracle).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from re import _parser


from tifa import config
from tifa.errors import InputError
from tifa.spans import NONBLANK, SPAN_BOUNDARY, SPAN_GAP, Hits, Removed, compile_rule, remove_anchored, remove_anywhere
from tifa.util.files import read_yaml
from tifa.util.literals import first_class, literal_regex

RULE_KINDS = ("line", "tail", "span")
SPAN_ANCHORS = ("start", "end", "both", "any")


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
        return re.compile(rf"\A{SPAN_GAP}(?:{self.pattern.pattern}){SPAN_GAP}")

    @cached_property
    def _at_end(self) -> re.Pattern[str]:
        return re.compile(rf"(?:(?<=[{SPAN_BOUNDARY}])|\A){SPAN_GAP}(?:{self.pattern.pattern}){SPAN_GAP}\Z")

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


class BoilerplateMatcher:
    """A rule set compiled for long texts: one literal scan, then each rule only where its literals are."""

    def __init__(self, rules: Sequence[BoilerplateRule]):
        self.rules = tuple(rules)
        compiled = [compile_rule(i, rule) for i, rule in enumerate(self.rules)]
        self._line = tuple(c for c in compiled if c.rule.kind != "span")
        self._any = tuple(c for c in compiled if c.rule.kind == "span" and c.rule.anchor == "any")
        self._anchored = tuple(c for c in compiled if c.rule.kind == "span" and c.rule.anchor != "any")
        self._line_always = [c for c in self._line if c.literals is None]
        # lines a rule without literals may mark: those that open with a character its match can open with
        self._opening = [first_class(c.rule.pattern) for c in self._line_always]
        self._replace = {c.index: c.rule.replace for c in self._any}
        self._span_rules = {c.index for c in self._any + self._anchored}
        self._always_span = any(c.literals is None for c in self._any + self._anchored)
        owners: dict[str, set[int]] = {}
        for c in compiled:
            for literal in c.literals or ():
                owners.setdefault(literal, set()).add(c.index)
        # at a position where literals start, the regex reads the longest; the shorter ones are its prefixes
        self._owners = {w: tuple(sorted(set().union(*(owners.get(w[:k], set()) for k in range(1, len(w) + 1))))) for w in owners}
        self._finder = re.compile(literal_regex(owners)) if owners else None  # the longest literal that starts at a position
        self._longest = max(map(len, owners), default=0)
        # where inside a literal another one may start: its rest and that literal agree as far as both go
        self._inner = {w: tuple(k for k in range(1, len(w)) if any(v.startswith(w[k:]) or w[k:].startswith(v) for v in owners)) for w in owners}

    # --- where the literals are --------------------------------------------------

    def line_hits(self, line: str, lo: int = 0, hi: int | None = None) -> dict[int, list[int]]:
        """Start offsets of each rule's literals in ``line[lo:hi]`` (overlapping ones included), by rule index, sorted."""
        by_rule: dict[int, list[int]] = {}
        if self._finder is not None:
            hi = len(line) if hi is None else hi
            for m in self._finder.finditer(line, lo, hi):
                self._add_hits(line, m, hi, 0, by_rule)
        return by_rule

    def _add_hits(self, text: str, m: re.Match[str], endpos: int, offset: int, by_rule: dict[int, list[int]]) -> None:
        """The literals that start at ``m`` (its own, and their prefixes), then those that may start inside it."""
        word, start = m.group(0), m.start()
        for i in self._owners[word]:
            by_rule.setdefault(i, []).append(start - offset)
        for k in self._inner[word]:
            found = self._finder.match(text, start + k, endpos)
            if found:
                for i in self._owners[found.group(0)]:
                    by_rule.setdefault(i, []).append(start + k - offset)

    def _hits_by_line(self, text: str) -> dict[int, dict[int, list[int]]]:
        """:meth:`line_hits` of every line that holds a literal, by line index, from one scan of the whole text."""
        out: dict[int, dict[int, list[int]]] = {}
        if self._finder is None:
            return out
        k, counted, line_start = 0, 0, 0  # text[:counted] holds k newlines, the last one before line_start
        for m in self._finder.finditer(text):  # a literal holds no newline: each lies in one line
            newlines = text.count("\n", counted, m.start())
            if newlines:
                k += newlines
                line_start = text.rfind("\n", counted, m.start()) + 1
            counted = start = m.start()
            by_rule = out.setdefault(k, {})
            for i in self._owners[m.group(0)]:
                by_rule.setdefault(i, []).append(start - line_start)
            for inner in self._inner[m.group(0)]:
                found = self._finder.match(text, start + inner)
                if found:
                    for i in self._owners[found.group(0)]:
                        by_rule.setdefault(i, []).append(start + inner - line_start)
        return out

    def _shift_hits(self, line_hits: dict[int, list[int]], cuts: list[tuple[int, int]], inserted: int, line: str) -> dict[int, list[int]]:
        """The literals of ``line`` made from the old line by replacing each cut ``(start, end)`` with ``inserted`` characters.

        Old literals move with the text (those that started inside a cut go); new ones can only lie across a seam, which is scanned.
        """
        out: dict[int, list[int]] = {}
        for i, hits in line_hits.items():
            kept, k, moved, end = [], 0, 0, -1  # cuts[:k] start at or before h; moved: their net length; end: where the last ends
            for h in hits:
                while k < len(cuts) and cuts[k][0] <= h:
                    moved += cuts[k][1] - cuts[k][0] - inserted
                    end = cuts[k][1]
                    k += 1
                if h >= end:
                    kept.append(h - moved)
            out[i] = kept
        moved = 0
        for a, b in cuts:
            seam = a - moved  # where the cut starts in the new line
            moved += b - a - inserted
            found = self.line_hits(line, max(0, seam - self._longest + 1), min(len(line), seam + inserted + self._longest - 1))
            for i, hits in found.items():
                out.setdefault(i, []).extend(hits)
        return {i: sorted(set(hits)) for i, hits in out.items() if hits}

    # --- the step ------------------------------------------------------------------

    def run(self, text: str) -> tuple[str, list[tuple[str, int, str, str, str]]]:
        """Remove boilerplate lines, then spans inside lines; every removal is a ``(kind, line, before, after, rule id)`` record.

        Only lines that hold a literal of a rule (or may open a match of a rule without literals) are looked at.
        """
        lines = text.split("\n")
        hits = self._hits_by_line(text)
        opening = self._opening_lines(lines)
        todo = range(len(lines)) if opening is None or self._always_span else sorted(hits.keys() | opening)
        kept: list[str] = []
        edits: list[tuple[str, int, str, str, str]] = []
        done = 0  # lines[:done] are settled
        for k in todo:
            kept += lines[done:k]
            done = k + 1
            line, i, line_hits = lines[k], k + 1, hits.get(k, {})
            rule = self._line_rule(line, line_hits, opening is None or k in opening)
            if rule is None:
                span_hits = {i: h for i, h in line_hits.items() if i in self._span_rules}
                if (span_hits or self._always_span) and NONBLANK.search(line):
                    line, spans = self._remove_spans(line, span_hits)
                    for c, span in spans:
                        replace = self._replace.get(c.index)
                        edits.append(("removed_span", i, span, "", c.rule.id) if replace is None else ("changed", i, span, replace, c.rule.id))
                kept.append(line)
            elif rule.kind == "tail":
                edits.extend(("removed", j, rest, "", rule.id) for j, rest in enumerate(lines[k:], start=i) if rest.strip())
                return "\n".join(kept), edits
            else:
                edits.append(("removed", i, line, "", rule.id))
        if not edits:
            return text, edits
        kept += lines[done:]
        return "\n".join(kept), edits

    def _opening_lines(self, lines: list[str]) -> set[int] | None:
        """Indices of the lines a line rule without literals may mark: those whose text opens with a character its match may open with (``None``: any line)."""
        if None in self._opening:
            return None
        if not self._opening:
            return set()
        return {k for k, line in enumerate(lines) if (text := line.lstrip()) and any(o.admits(text[0]) for o in self._opening)}

    def _line_rule(self, line: str, line_hits: dict[int, list[int]], opening: bool) -> BoilerplateRule | None:
        """The first line or tail rule that marks ``line``, trying only rules whose literals it holds (and, when it may open their match, rules without)."""
        stripped = None
        for c in self._line:
            if c.index not in line_hits if c.literals is not None else not opening:
                continue
            if stripped is None:
                stripped = line.strip()
                if not stripped:
                    return None
            if (c.rule.max_chars is None or len(stripped) <= c.rule.max_chars) and c.rule.pattern.search(stripped):
                return c.rule
        return None

    def remove_spans(self, line: str) -> tuple[str, list[tuple[str, str]]]:
        """See :func:`remove_spans`."""
        line, removed = self._remove_spans(line, self.line_hits(line))
        return line, [(c.rule.id, span) for c, span in removed]

    def _remove_spans(self, line: str, hits: Hits) -> tuple[str, Removed]:
        removed: Removed = []
        line, hits = remove_anywhere(self._any, line, hits, removed, self._shift_hits)
        return remove_anchored(self._anchored, line, hits, removed), removed
