"""Literal strings a regular expression cannot match without, read off its syntax tree.

A prefilter for many patterns over long texts: one Aho-Corasick pass finds where
the literals occur, and a pattern is tried only near those places. For a pattern
:func:`analyse` returns ``literals``, a set such that every match contains one of
them, starting after at most ``offset`` counted characters of the match (characters
not in ``free``: the spaces and separators a rule lets run on), and ``width``, the
most counted characters a match can hold. ``None`` and ``inf`` mean "no bound known";
every answer errs on the safe side (a larger set, a larger bound).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

from re import _constants as C  # noqa: N812 - the opcodes of Python's own regex parser
from re import _parser

MAX_STRINGS = 64  # exact sets larger than this are given up (products grow fast)
_SMALL_CLASS = 32  # character classes up to this many characters are spelled out
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT))
_LOOKS_BEFORE = {C.AT_BEGINNING, C.AT_BEGINNING_STRING, C.AT_BEGINNING_LINE, C.AT_BOUNDARY, C.AT_NON_BOUNDARY,
                 C.AT_LOC_BOUNDARY, C.AT_LOC_NON_BOUNDARY, C.AT_UNI_BOUNDARY, C.AT_UNI_NON_BOUNDARY}
_SPACE_CATEGORIES = {C.CATEGORY_SPACE, C.CATEGORY_UNI_SPACE}


@dataclass(frozen=True)
class Analysis:
    """What every match of a pattern holds (see the module docstring)."""

    literals: frozenset[str] | None
    offset: float
    width: float


@dataclass(frozen=True)
class _Info:
    exact: frozenset[str] | None  # every match is one of these strings
    need: tuple[frozenset[str], float] | None  # (literals, offset)
    width: float


def analyse(pattern: re.Pattern[str], *, free: str = "", free_space: bool = False) -> Analysis:
    """Required literals of ``pattern`` (``free``: characters, and with ``free_space`` whitespace, that are not counted)."""
    if pattern.flags & re.IGNORECASE:
        return Analysis(None, math.inf, _info(_parser.parse(pattern.pattern, pattern.flags), free, free_space, False).width)
    info = _info(_parser.parse(pattern.pattern, pattern.flags), free, free_space, True)
    literals, offset = info.need if info.need else (None, math.inf)
    if literals is not None and any("\n" in s for s in literals):
        literals = frozenset(s for s in literals if "\n" not in s)  # such a literal never occurs inside a line
    return Analysis(literals, offset, info.width)


_CATEGORY_CLASSES = {C.CATEGORY_SPACE: r"\s", C.CATEGORY_UNI_SPACE: r"\s", C.CATEGORY_DIGIT: r"\d", C.CATEGORY_UNI_DIGIT: r"\d"}
_WIDE_RANGE = 1024  # a class with a wider range (all Han characters) says little about where a match can start


def consumed_class(pattern: re.Pattern[str]) -> str | None:
    """A character class (without its brackets) holding every character a match of ``pattern`` can consume, or ``None`` when that is wide or unknown."""
    if pattern.flags & re.IGNORECASE:
        return None
    parts: set[str] = set()

    def char(code: int) -> str:
        return f"\\U{code:08x}"

    def walk(data) -> bool:
        for op, av in data:
            if op is C.LITERAL:
                parts.add(char(av))
            elif op is C.IN:
                items = _class_parts(av)
                if items is None:
                    return False
                parts.update(items)
            elif op in (C.AT, C.ASSERT, C.ASSERT_NOT, C.GROUPREF):
                continue  # zero width, or text the referenced group consumed already
            elif op is C.BRANCH:
                if not all(walk(alt.data) for alt in av[1]):
                    return False
            elif op is C.SUBPATTERN:
                if av[1] & re.IGNORECASE or not walk(av[-1].data):
                    return False
            elif op is getattr(C, "ATOMIC_GROUP", None):
                if not walk(av.data):
                    return False
            elif op in _REPEATS:
                if not walk(av[2].data):
                    return False
            elif op is C.GROUPREF_EXISTS:
                if not all(walk(branch.data) for branch in av[1:] if branch is not None):
                    return False
            else:  # any character, a negated literal
                return False
        return True

    return "".join(sorted(parts)) if walk(_parser.parse(pattern.pattern, pattern.flags).data) and parts else None


def first_class(pattern: re.Pattern[str]) -> Opening | None:
    """For a pattern anchored at the start (``^``, ``\\A``): the characters a match can open with; else ``None``."""
    if pattern.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    data = list(_parser.parse(pattern.pattern, pattern.flags).data)
    if not data or data[0] != (C.AT, C.AT_BEGINNING) and data[0] != (C.AT, C.AT_BEGINNING_STRING):
        return None
    return _opening_of(_first(data[1:]))


@dataclass(frozen=True)
class Opening:
    """The characters a match can open with: these, and any space or any digit when ``space`` or ``digit``."""

    chars: frozenset[str]
    space: bool
    digit: bool

    def admits(self, char: str) -> bool:
        return char in self.chars or (self.space and char.isspace()) or (self.digit and char.isdecimal())


def opening(pattern: re.Pattern[str]) -> Opening | None:
    """The characters every match of ``pattern`` opens with (wherever it starts), or ``None`` when that is unknown or any."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _opening_of(_first(_parser.parse(pattern.pattern, pattern.flags).data))


def _opening_of(found: tuple[set[str], bool] | None) -> Opening | None:
    if found is None or found[1] or not found[0]:
        return None
    chars: set[str] = set()
    for part in found[0]:
        if part in (r"\s", r"\d"):
            continue
        lo, _, hi = part.partition("-")
        chars.update(map(chr, range(int(lo[2:], 16), int((hi or lo)[2:], 16) + 1)))
    return Opening(frozenset(chars), r"\s" in found[0], r"\d" in found[0])


def _first(data) -> tuple[set[str], bool] | None:
    """Class parts of the characters a sequence can open with, and whether it can match nothing; ``None`` when unknown."""
    parts: set[str] = set()
    for op, av in data:
        if op is C.LITERAL:
            return parts | {f"\\U{av:08x}"}, False
        if op is C.IN:
            items = _class_parts(av)
            return (None if items is None else (parts | items, False))
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        if op is C.BRANCH:
            alts = [_first(alt.data) for alt in av[1]]
            if any(a is None for a in alts):
                return None
            parts |= set().union(*(a[0] for a in alts))
            if not any(a[1] for a in alts):
                return parts, False
        elif op is C.SUBPATTERN and not av[1] & re.IGNORECASE or op in _REPEATS:
            inner = _first((av[-1] if op is C.SUBPATTERN else av[2]).data)
            if inner is None:
                return None
            parts |= inner[0]
            if not inner[1] and (op is C.SUBPATTERN or av[0] >= 1):
                return parts, False
        else:
            return None
    return parts, True


def _class_parts(items) -> set[str] | None:
    parts = set()
    for item, value in items:
        if item is C.LITERAL:
            parts.add(f"\\U{value:08x}")
        elif item is C.RANGE and value[1] - value[0] <= _WIDE_RANGE:
            parts.add(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
        elif item is C.CATEGORY and value in _CATEGORY_CLASSES:
            parts.add(_CATEGORY_CLASSES[value])
        else:
            return None
    return parts


def looks_behind(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` looks at text before where its match starts (lookbehind, ``^``, ``\\A``, ``\\b``)."""

    def walk(data) -> bool:
        for op, av in data:
            if op in (C.ASSERT, C.ASSERT_NOT) and (av[0] < 0 or walk(av[1].data)):
                return True
            if op is C.AT and av in _LOOKS_BEFORE:
                return True
            if op is C.BRANCH and any(walk(alt.data) for alt in av[1]):
                return True
            if op in (C.SUBPATTERN, getattr(C, "ATOMIC_GROUP", None)) and walk((av[-1] if op is C.SUBPATTERN else av).data):
                return True
            if op in _REPEATS and walk(av[2].data):
                return True
            if op is C.GROUPREF_EXISTS:
                return True
        return False

    return walk(_parser.parse(pattern.pattern, pattern.flags).data)


def _class_chars(items, free: str, free_space: bool) -> tuple[frozenset[str] | None, bool]:
    """Characters of a class when it is small and positive (else None), and whether all it matches is free."""
    chars: set[str] = set()
    is_free = True
    spelled = True
    for op, av in items:
        if op is C.LITERAL:
            chars.add(chr(av))
            is_free &= chr(av) in free or (free_space and chr(av).isspace())
        elif op is C.RANGE and av[1] - av[0] < _SMALL_CLASS:
            span = {chr(c) for c in range(av[0], av[1] + 1)}
            chars |= span
            is_free &= all(c in free or (free_space and c.isspace()) for c in span)
        elif op is C.CATEGORY and av in _SPACE_CATEGORIES:
            spelled = False
            is_free &= free_space
        else:  # NEGATE, large ranges, digits, words …
            spelled = is_free = False
    return (frozenset(chars) if spelled and chars and len(chars) <= _SMALL_CLASS else None), is_free


def _product(sets) -> frozenset[str] | None:
    out = {""}
    for s in sets:
        if s is None or len(out) * len(s) > MAX_STRINGS:
            return None
        out = {a + b for a in out for b in s}
    return frozenset(out)


def _score(need: tuple[frozenset[str], float]):
    """Longer literals first (an extension is never more frequent), then a bounded offset, then fewer literals."""
    literals, offset = need
    return (min(min(len(s) for s in literals), 4), offset < math.inf, -len(literals), -offset)


def _best(needs):
    needs = [n for n in needs if n is not None and n[0] and "" not in n[0]]
    return max(needs, key=_score) if needs else None


def _from_exact(exact: frozenset[str] | None) -> tuple[frozenset[str], float] | None:
    return (exact, 0.0) if exact and "" not in exact else None


def _info(sub, free: str, free_space: bool, literal: bool) -> _Info:
    """Info of a sequence of parser nodes."""
    items = [_node(op, av, free, free_space, literal) for op, av in sub.data]
    width = sum((i.width for i in items), 0.0)
    exact = _product(i.exact for i in items) if literal else None
    if not literal:
        return _Info(None, None, width)
    needs = [_from_exact(exact)]
    prefix = 0.0
    for i, item in enumerate(items):
        needs.append((item.need[0], prefix + item.need[1]) if item.need else None)
        run_prefix, run = prefix, []
        for later in items[i:]:  # runs of exact items starting here: 政 + [府务] -> 政府, 政务
            run.append(later.exact)
            product = _product(run)
            if product is None:
                break
            needs.append(_from_exact(product) and (product, run_prefix))
        prefix += item.width
    return _Info(exact, _best(needs), width)


def _node(op, av, free: str, free_space: bool, literal: bool) -> _Info:
    if op is C.LITERAL:
        char = chr(av)
        return _Info(frozenset([char]), (frozenset([char]), 0.0), 0.0 if char in free or (free_space and char.isspace()) else 1.0)
    if op is C.IN:
        chars, is_free = _class_chars(av, free, free_space)
        return _Info(chars, _from_exact(chars), 0.0 if is_free else 1.0)
    if op in (C.NOT_LITERAL, C.ANY):
        return _Info(None, None, 1.0)
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return _Info(frozenset([""]), None, 0.0)
    if op is C.BRANCH:
        alts = [_info(alt, free, free_space, literal) for alt in av[1]]
        width = max(a.width for a in alts)
        exact = None
        if all(a.exact is not None for a in alts):
            union = frozenset().union(*(a.exact for a in alts))
            exact = union if len(union) <= MAX_STRINGS else None
        need = None
        if all(a.need for a in alts):
            need = (frozenset().union(*(a.need[0] for a in alts)), max(a.need[1] for a in alts))
        return _Info(exact, _best([need, _from_exact(exact)]), width)
    if op is C.SUBPATTERN:
        _, add_flags, _, sub = av
        return _info(sub, free, free_space, literal and not add_flags & re.IGNORECASE)
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _info(av, free, free_space, literal)
    if op in _REPEATS:
        low, high, sub = av
        item = _info(sub, free, free_space, literal)
        width = 0.0 if item.width == 0 else (math.inf if high == C.MAXREPEAT else item.width * high)
        exact = None
        if item.exact is not None and high <= 4:
            parts = [_product([item.exact] * k) for k in range(low, high + 1)]
            if all(p is not None for p in parts):
                union = frozenset(itertools.chain.from_iterable(parts))
                exact = union if len(union) <= MAX_STRINGS else None
        need = item.need if low >= 1 else None
        return _Info(exact, _best([need, _from_exact(exact)]), width)
    return _Info(None, None, math.inf)  # group references and anything else: no knowledge


def literal_regex(words) -> str:
    """One regex for a set of literal strings, factored by common prefixes: at a position it matches the longest that starts there."""
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
