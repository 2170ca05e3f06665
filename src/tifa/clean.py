"""Cleaning: small, named ``str -> str`` steps and a pipeline that audits them.

Every step is a :class:`Step`: calling it on a text returns the cleaned text
(a pure function of that one text, no global state), and ``step.run(text)``
returns the text together with the :class:`Edit` records that say what the
step removed or changed.  :func:`clean_text` applies a pipeline and returns
both the text and the audit log, so nothing is dropped without a record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tifa import config
from tifa.boilerplate import (  # noqa: F401 - the rules are part of the cleaning API
    RULE_KINDS,
    SPAN_ANCHORS,
    BoilerplateRule,
    compile_rules,
    load_boilerplate_rules,
    remove_spans,
    rule_matches,
)
from tifa.scrapes import LONG_PARAGRAPH, split_line  # noqa: F401 - LONG_PARAGRAPH names the cuts in the audit
from tifa.text import HAN, code_points
from tifa.traditional import count_han_and_changeable, n_differing, t2s, traditional_share  # noqa: F401 - part of the cleaning API


@dataclass(frozen=True)
class Edit:
    """One thing a step removed or changed, located by line of the step's input."""

    kind: str  # "removed" (a line), "removed_span" (text inside a line), "changed", "joined", "converted", "split"
    line: int | None
    before: str
    after: str = ""
    rule: str = ""


@dataclass(frozen=True)
class Step:
    """A named text transform; ``step(text)`` is the plain ``str -> str`` form."""

    name: str
    run: Callable[[str], tuple[str, list[Edit]]] = field(repr=False)

    def __call__(self, text: str) -> str:
        return self.run(text)[0]


def _substitute(pattern: re.Pattern[str], text: str, repl: Callable[[re.Match[str]], str]) -> tuple[str, list[Edit]]:
    """``pattern.sub`` that records one :class:`Edit` per match; line numbers are counted on from the previous match (one pass)."""
    edits: list[Edit] = []
    line, counted = 1, 0  # text[:counted] holds line - 1 newlines

    def record(m: re.Match[str]) -> str:
        nonlocal line, counted
        start = m.start()
        line += text.count("\n", counted, start)
        counted = start
        new = repl(m)
        edits.append(Edit("changed" if new else "removed", line, m.group(0), new))
        return new

    return pattern.sub(record, text), edits


def _table(*ranges: tuple[int, int]) -> np.ndarray:
    """For every code point, whether it lies in one of ``ranges`` (inclusive): a class looked up for a whole text at once."""
    table = np.zeros(0x110000, dtype=bool)
    for lo, hi in ranges:
        table[lo : hi + 1] = True
    return table


def _class(ranges: Sequence[tuple[int, int]]) -> str:
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


def _substitute_runs(text: str, table: np.ndarray, repl: Callable[[str], str]) -> tuple[str, list[Edit]]:
    """``_substitute`` for a pattern that is a run of characters of one class, the runs found over code points (vectorised)."""
    codes = code_points(text)
    idx = np.flatnonzero(table[codes])
    if not len(idx):
        return text, []
    gaps = np.flatnonzero(np.diff(idx) > 1)  # a run ends where the next character of the class is not the next one
    starts, ends = idx[np.concatenate(([0], gaps + 1))], idx[np.concatenate((gaps, [len(idx) - 1]))] + 1
    lines = np.searchsorted(np.flatnonzero(codes == 10), starts) + 1  # newlines before a run, plus one
    pieces: list[str] = []
    edits: list[Edit] = []
    pos = 0
    for a, b, line in zip(starts.tolist(), ends.tolist(), lines.tolist()):
        run = text[a:b]
        new = repl(run)
        pieces += (text[pos:a], new)
        edits.append(Edit("changed" if new else "removed", line, run, new))
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces), edits


# --- character-level steps -------------------------------------------------

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_SEPARATORS = "\r\u2028\u2029\x85\x0b\x0c"


def _normalize_newlines(text: str) -> tuple[str, list[Edit]]:
    if not any(c in text for c in _SEPARATORS):  # (a test per character is faster than a scan by the regex)
        return text, []
    text, n = _NEWLINES.subn("\n", text)
    return text, [Edit("changed", None, f"{n} line separators", "\\n")] if n else []


normalize_newlines = Step("normalize_newlines", _normalize_newlines)

_INVISIBLE_RANGES = ((0x00AD, 0x00AD), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0xFEFF, 0xFEFF))
_INVISIBLE = re.compile(f"[{_class(_INVISIBLE_RANGES)}]+")
_INVISIBLE_TABLE = _table(*_INVISIBLE_RANGES)


def _remove_invisible(text: str) -> tuple[str, list[Edit]]:
    new, edits = _substitute_runs(text, _INVISIBLE_TABLE, lambda run: "")
    return new, [Edit(e.kind, e.line, " ".join(f"U+{ord(c):04X}" for c in e.before)) for e in edits]


remove_invisible = Step("remove_invisible", _remove_invisible)
"""Remove zero-width and directional control characters (U+200B, U+FEFF …)."""

_FULLWIDTH_RANGES = ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0x3000, 0x3000))
_FULLWIDTH_ALNUM = re.compile(f"[{_class(_FULLWIDTH_RANGES)}]+")
_FULLWIDTH_TABLE = _table(*_FULLWIDTH_RANGES)


def _normalize_width(text: str) -> tuple[str, list[Edit]]:
    return _substitute_runs(text, _FULLWIDTH_TABLE, lambda run: unicodedata.normalize("NFKC", run))


normalize_width = Step("normalize_width", _normalize_width)
"""Full-width digits and Latin letters to ASCII (``１９５５`` → ``1955``), ideographic space to space.

Punctuation keeps its width: Chinese texts mix both and the mix is content.
"""

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A bracketed pinyin syllable right after a Han character: 開(kāi), 動（dòng）.
# It must carry a tone mark or be a bare syllable of letters only, so that
# Latin abbreviations such as 化学需氧量(COD) are kept (upper case is not pinyin here).
# (The bracket comes first and the Han character is checked behind it, so that the regex engine
# can scan for brackets instead of trying every position.)
_PINYIN = re.compile(
    rf"[(（](?<=[{HAN}][(（])\s*(?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}\s*[)）]"
)


_TONED_TABLE = _table(*((ord(c), ord(c)) for c in _TONED))


def _strip_pinyin(text: str) -> tuple[str, list[Edit]]:
    if not _TONED_TABLE[code_points(text)].any():  # every annotation carries a tone mark
        return text, []
    new, edits = _substitute(_PINYIN, text, lambda m: "")
    # Show the annotated character with its annotation, as a reader would search for it.
    return new, [Edit(e.kind, e.line, e.before, e.after, "pinyin") for e in edits]


strip_pinyin = Step("strip_pinyin", _strip_pinyin)
"""Remove inline pinyin annotations (``召開(kāi)`` → ``召開``); ``(厅长提名人)`` and ``(一)`` stay."""


_t2s = t2s  # (older names, kept for callers)
_n_differing = n_differing


def make_to_simplified(threshold: float = config.TRADITIONAL_SHARE) -> Step:
    """Convert a document to simplified script when it is in traditional script.

    A document counts as traditional when at least ``threshold`` of its Han
    characters change under OpenCC ``t2s`` (simplified texts: < 1 %;
    traditional ones: 25–35 %). The edit records the share that was converted.
    """

    def run(text: str) -> tuple[str, list[Edit]]:
        n_han, bound = count_han_and_changeable(code_points(text))
        if not n_han or (bound is not None and bound / n_han < threshold):  # too few characters t2s could change: the share is smaller
            return text, []
        converted = t2s().convert(text)
        n = n_differing(text, converted)
        share = n / n_han
        if share < threshold:
            return text, []
        return converted, [Edit("converted", None, f"traditional script ({share:.1%} of Han characters)", f"{n} characters converted to simplified", "t2s")]

    return Step("to_simplified", run)


to_simplified = make_to_simplified()


# --- line-level steps --------------------------------------------------------


def make_remove_boilerplate(rules: Sequence[BoilerplateRule] | None = None) -> Step:
    """Remove boilerplate lines, then boilerplate spans inside lines (``tifa.boilerplate``); every removal is recorded with its rule id."""
    matcher = compile_rules(tuple(load_boilerplate_rules() if rules is None else rules))

    def run(text: str) -> tuple[str, list[Edit]]:
        text, records = matcher.run(text)
        return text, [Edit(*r) for r in records]

    return Step("remove_boilerplate", run)


_TERMINAL = frozenset("。！？!?；;：:…”’\"」』")
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|第[一二三四五六七八九十百\d]+[章节部分条])"
)
# What _HEADING can read before its last character: whether a line opens with a heading is decided
# at the first character outside this class (a line made only of such characters is no heading yet).
_HEADING_UNDECIDED = re.compile(r"[\s一二三四五六七八九十百\d第（(]*")
_LATIN = re.compile(r"[A-Za-z]")


def _repair_line_breaks(text: str) -> tuple[str, list[Edit]]:
    """Join a line to the next when a single line break falls inside a sentence.

    A break is inside a sentence when the line does not end in sentence-final
    punctuation, is not a heading (``一、…``, ``(二)…``), and the next line
    follows without a blank line (as in wiki texts: ``政府工作报\\n告``).
    Each line is read once: a joined paragraph is kept as pieces and put
    together at the end, with its last 12 characters and whether it opens with a
    heading carried along.
    """
    out: list[str] = []
    pieces: list[str] | None = None  # out[-1] as pieces while lines are joined to it
    edits: list[Edit] = []
    joinable = False  # whether out[-1] may take the next line
    tail = ""  # the last 12 characters of out[-1], right-stripped
    undecided: list[str] | None = None  # out[-1]'s pieces while whether it opens with a heading is undecided
    heading = False
    for i, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if joinable and stripped:
            if pieces is None:
                pieces = [out[-1].rstrip()]
            sep = " " if _LATIN.match(tail[-1:]) and _LATIN.match(stripped[:1]) else ""
            pieces += (sep, stripped)
            edits.append(Edit("joined", i - 1, tail + "\\n" + stripped[:12], tail + sep + stripped[:12]))
            tail = (tail + sep + stripped)[-12:]
            if undecided is not None:
                undecided += (sep, stripped)
                heading, undecided = _heading_of(undecided)
        else:
            if pieces is not None:
                out[-1], pieces = "".join(pieces), None
            out.append(line)
            last = line.rstrip()
            tail = last[-12:]
            if _HEADING.match(last):
                heading, undecided = True, None
            else:
                heading, undecided = False, ([last] if _HEADING_UNDECIDED.match(last).end() == len(last) else None)
        joinable = bool(stripped) and tail[-1:] not in _TERMINAL and not heading
    if pieces is not None:
        out[-1] = "".join(pieces)
    return "\n".join(out), edits


def _heading_of(pieces: list[str]) -> tuple[bool, list[str] | None]:
    """Whether the text made of ``pieces`` opens with a heading, and the pieces again when more text could change that."""
    piece = pieces[-1]
    if _HEADING_UNDECIDED.match(piece).end() == len(piece):
        return False, pieces
    return bool(_HEADING.match("".join(pieces))), None


repair_line_breaks = Step("repair_line_breaks", _repair_line_breaks)




def make_split_long_lines(max_chars: int = config.PARAGRAPH_MAX_CHARS, sentences: int = config.PARAGRAPH_CHUNK_SENTENCES) -> Step:
    """Split over-long lines (one-line scrapes) into the paragraphs the genre marks.

    Only a line longer than ``max_chars`` characters is split (no paragraph of the
    national reports or the seeds comes near it): at spaces that follow a sentence
    end or a short heading, before headings (``一、``, ``（一）``, ``第一部分``,
    ``1.``), appendix headings (``名词解释``, ``附件``) and ``各位代表：`` that
    follow a sentence end, around the delivery line (``——2024年1月…会议上``);
    a piece still longer than ``max_chars`` is cut into chunks of ``sentences``
    sentences (rule ``long paragraph cut at sentence ends``). Every split is an
    edit with its reason; the text itself is unchanged but for line breaks.
    """

    def run(text: str) -> tuple[str, list[Edit]]:
        if len(text) <= max_chars:
            return text, []
        bounds = np.concatenate(([-1], np.flatnonzero(code_points(text) == 10), [len(text)]))  # line k is text[bounds[k] + 1 : bounds[k + 1]]
        out, edits, done = [], [], 0  # text[:done] is settled
        for k in np.flatnonzero(np.diff(bounds) > max_chars + 1).tolist():  # only over-long lines are looked at
            start, end = int(bounds[k]) + 1, int(bounds[k + 1])
            line = text[start:end]
            if len(line.strip()) <= max_chars:
                continue
            pieces, reasons = split_line(line, max_chars, sentences)
            for before, after, reason in zip(pieces, pieces[1:], reasons):
                edits.append(Edit("split", k + 1, before[-12:] + "\\n" + after[:12], "", reason))
            out += (text[done:start], "\n".join(pieces))
            done = end
        return ("".join(out) + text[done:], edits) if edits else (text, edits)

    return Step("split_long_lines", run)


split_long_lines = make_split_long_lines()


def make_remove_duplicate_paragraphs(min_chars: int = config.MIN_DUPLICATE_PARAGRAPH_CHARS) -> Step:
    """Remove exact repeats of a paragraph inside one document (a scraping artefact).

    Paragraphs shorter than ``min_chars`` characters ("同志们:", "各位代表！")
    legitimately recur and are kept.
    """

    def run(text: str) -> tuple[str, list[Edit]]:
        seen: dict[str, int] = {}
        kept: list[str] = []
        edits: list[Edit] = []
        for i, line in enumerate(text.split("\n"), start=1):
            key = line.strip()
            if len(key) >= min_chars and key in seen:
                edits.append(Edit("removed", i, line, "", f"duplicate of line {seen[key]}"))
                continue
            seen.setdefault(key, i)
            kept.append(line)
        return "\n".join(kept), edits

    return Step("remove_duplicate_paragraphs", run)


remove_duplicate_paragraphs = make_remove_duplicate_paragraphs()

_SPACES = re.compile(r"[ \t]+")
_HAN_GAP = re.compile(rf"(?<=[{HAN}]) (?=[{HAN}])")


def _tidy_whitespace(text: str) -> tuple[str, list[Edit]]:
    """One paragraph per line, separated by a blank line; spaces between Han characters removed."""
    edits: list[Edit] = []
    paragraphs = []
    for i, line in enumerate(text.split("\n"), start=1):
        tidy = line.strip()  # (stripping first gives the same as collapsing spaces first: only inner runs are collapsed)
        if not tidy:
            continue
        if " " in tidy or "\t" in tidy:
            inner = _HAN_GAP.sub("", _SPACES.sub(" ", tidy))
            if inner != tidy:
                edits.append(Edit("changed", i, line, inner))
                tidy = inner
        paragraphs.append(tidy)
    return "\n\n".join(paragraphs), edits


tidy_whitespace = Step("tidy_whitespace", _tidy_whitespace)


def default_pipeline(
    *,
    boilerplate: Sequence[BoilerplateRule] | None = None,
    traditional_threshold: float = config.TRADITIONAL_SHARE,
    min_duplicate_chars: int = config.MIN_DUPLICATE_PARAGRAPH_CHARS,
    paragraph_max_chars: int = config.PARAGRAPH_MAX_CHARS,
    paragraph_sentences: int = config.PARAGRAPH_CHUNK_SENTENCES,
) -> tuple[Step, ...]:
    """The cleaning steps in the order they run (documented in the README)."""
    return (
        normalize_newlines,
        remove_invisible,
        normalize_width,
        strip_pinyin,
        make_to_simplified(traditional_threshold),
        make_remove_boilerplate(boilerplate),
        repair_line_breaks,
        make_split_long_lines(paragraph_max_chars, paragraph_sentences),
        make_remove_duplicate_paragraphs(min_duplicate_chars),
        tidy_whitespace,
    )


def make_pipeline(*steps: Step) -> Callable[[str], str]:
    """Chain steps into one ``str -> str`` function (textacy style)."""

    def pipeline(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return pipeline


@dataclass(frozen=True)
class CleanResult:
    text: str
    audit: list[tuple[str, Edit]]  # (step name, edit)


def clean_text(text: str, steps: Iterable[Step] | None = None) -> CleanResult:
    """Apply the pipeline to one text and keep every step's edits."""
    audit: list[tuple[str, Edit]] = []
    for step in default_pipeline() if steps is None else steps:
        text, edits = step.run(text)
        audit.extend((step.name, e) for e in edits)
    return CleanResult(text, audit)


