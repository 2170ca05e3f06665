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
from functools import lru_cache

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
from tifa.text import (
    APPENDIX_HEADING,
    APPENDIX_START,
    CLOSING,
    DELIVERY,
    HAN,
    HEADING_MARKERS,
    HEADING_START,
    NOTE_MARK,
    SALUTATION,
    SENTENCE,
    SENTENCE_FINAL,
    STARTS_PARAGRAPH,
    WHITESPACE_RUN,
    code_points,
    count_han,
)


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


# --- character-level steps -------------------------------------------------

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def _normalize_newlines(text: str) -> tuple[str, list[Edit]]:
    text, n = _NEWLINES.subn("\n", text)
    return text, [Edit("changed", None, f"{n} line separators", "\\n")] if n else []


normalize_newlines = Step("normalize_newlines", _normalize_newlines)

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")


def _remove_invisible(text: str) -> tuple[str, list[Edit]]:
    new, edits = _substitute(_INVISIBLE, text, lambda m: "")
    edits = [Edit(e.kind, e.line, " ".join(f"U+{ord(c):04X}" for c in e.before)) for e in edits]
    return new, edits


remove_invisible = Step("remove_invisible", _remove_invisible)
"""Remove zero-width and directional control characters (U+200B, U+FEFF …)."""

_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]+")


def _normalize_width(text: str) -> tuple[str, list[Edit]]:
    return _substitute(_FULLWIDTH_ALNUM, text, lambda m: unicodedata.normalize("NFKC", m.group(0)))


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


def _strip_pinyin(text: str) -> tuple[str, list[Edit]]:
    new, edits = _substitute(_PINYIN, text, lambda m: "")
    # Show the annotated character with its annotation, as a reader would search for it.
    return new, [Edit(e.kind, e.line, e.before, e.after, "pinyin") for e in edits]


strip_pinyin = Step("strip_pinyin", _strip_pinyin)
"""Remove inline pinyin annotations (``召開(kāi)`` → ``召開``); ``(厅长提名人)`` and ``(一)`` stay."""


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _n_differing(a: str, b: str) -> int:
    """Characters that differ between two strings, position by position, plus the difference in length (vectorised)."""
    if a == b:
        return 0
    n = min(len(a), len(b))  # t2s maps character to character; be safe if a phrase rule does not
    return int(np.count_nonzero(code_points(a[:n]) != code_points(b[:n]))) + abs(len(a) - len(b))


def traditional_share(text: str) -> float:
    """Share of Han characters that OpenCC's t2s conversion changes (0 for simplified text)."""
    n = count_han(text)
    return _n_differing(text, _t2s().convert(text)) / n if n else 0.0


def make_to_simplified(threshold: float = config.TRADITIONAL_SHARE) -> Step:
    """Convert a document to simplified script when it is in traditional script.

    A document counts as traditional when at least ``threshold`` of its Han
    characters change under OpenCC ``t2s`` (simplified texts: < 1 %;
    traditional ones: 25–35 %). The edit records the share that was converted.
    """

    def run(text: str) -> tuple[str, list[Edit]]:
        n_han = count_han(text)
        converted = _t2s().convert(text) if n_han else text
        n = _n_differing(text, converted)
        share = n / n_han if n_han else 0.0
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
    out: list[list[str]] = []  # paragraphs as pieces
    edits: list[Edit] = []
    joinable = False  # whether out[-1] may take the next line
    tail = ""  # the last 12 characters of out[-1], right-stripped
    undecided: list[str] | None = None  # out[-1]'s pieces while its heading is undecided
    heading = False
    for i, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if joinable and stripped:
            group = out[-1]
            if len(group) == 1:
                group[0] = group[0].rstrip()
            sep = " " if _LATIN.match(tail[-1:]) and _LATIN.match(stripped[:1]) else ""
            group += (sep, stripped)
            edits.append(Edit("joined", i - 1, tail + "\\n" + stripped[:12], tail + sep + stripped[:12]))
            tail = (tail + sep + stripped)[-12:]
            if undecided is not None:
                undecided += (sep, stripped)
                heading, undecided = _heading_of(undecided)
        else:
            out.append([line])
            last = line.rstrip()
            tail = last[-12:]
            heading, undecided = _heading_of([last])
        joinable = bool(stripped) and tail[-1:] not in _TERMINAL and not heading
    return "\n".join("".join(group) for group in out), edits


def _heading_of(pieces: list[str]) -> tuple[bool, list[str] | None]:
    """Whether the text made of ``pieces`` opens with a heading, and the pieces again when more text could change that."""
    piece = pieces[-1]
    if _HEADING_UNDECIDED.match(piece).end() == len(piece):
        return False, pieces
    return bool(_HEADING.match("".join(pieces))), None


repair_line_breaks = Step("repair_line_breaks", _repair_line_breaks)


def _split_line(line: str, max_chars: int, sentences: int) -> tuple[list[str], list[str]]:
    """Paragraphs of one over-long line and the reason of each split (see :func:`make_split_paragraphs`)."""
    # 1. inside the text: before headings, appendices and salutations that follow a sentence end; around delivery lines
    cuts = {m.start() for m in _INNER_BREAK.finditer(line)} | {m.end() for m in _APPENDIX_THEN_HEADING.finditer(line)}
    cuts |= {b for m in DELIVERY.finditer(line) for b in (m.start(), m.end())}
    cuts = sorted(c for c in cuts if 0 < c < len(line))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)])]
    reasons = ["heading, appendix, salutation or delivery line"] * len(cuts)
    # 2. at spaces: after a sentence end, before a heading / appendix / salutation, after a short heading
    parts: list[str] = []
    for piece in pieces:
        segments = [seg for seg in WHITESPACE_RUN.split(piece) if seg]
        if not segments:
            parts.append(piece)
            continue
        current, n = [segments[0]], len(segments[0])  # the paragraph being built, as segments, and its length
        for seg in segments[1:]:
            if current[-1][-1] in _SENTENCE_END:
                reasons.append("space after a sentence")
            elif STARTS_PARAGRAPH.match(seg):
                reasons.append("space before a heading, appendix or salutation")
            elif n <= config.HEADING_MAX_CHARS and any(m.match(" ".join(current)) for m in HEADING_MARKERS):
                reasons.append("space after a heading")
            else:  # a space inside a paragraph (省长 王正谱): tidy_whitespace decides
                current.append(seg)
                n += 1 + len(seg)
                continue
            parts.append(" ".join(current))
            current, n = [seg], len(seg)
        parts.append(" ".join(current))
    # 3. what is still over-long is cut into chunks of ``sentences`` sentences
    final: list[str] = []
    for part in parts:
        spans = SENTENCE.findall(part)
        if len(part) > max_chars and "".join(spans) == part and len(spans) > sentences:
            chunks = ["".join(spans[i : i + sentences]) for i in range(0, len(spans), sentences)]
            reasons.extend(LONG_PARAGRAPH for _ in chunks[1:])
            final.extend(chunks)
        else:
            final.append(part)
    return final, reasons


_SENTENCE_END = frozenset(SENTENCE_FINAL + CLOSING)
_INNER_BREAK = re.compile(
    rf"(?<=[{SENTENCE_FINAL}{CLOSING}])(?=(?:{HEADING_START}|{APPENDIX_START}|{SALUTATION}))"
    rf"|(?<=[^{SENTENCE_FINAL}\s])(?={SALUTATION})|(?<={SALUTATION})"
)
# an appendix heading run into its first entry or note: 名词解释1.…, 注释［1］…, 附件《…》有关内容名词注释1.…
_APPENDIX_THEN_HEADING = re.compile(rf"(?<=[{SENTENCE_FINAL}{CLOSING}\s]){APPENDIX_HEADING}[:：]?(?=(?:{HEADING_START}|{NOTE_MARK}))")


LONG_PARAGRAPH = "long paragraph cut at sentence ends"


def make_split_paragraphs(max_chars: int = config.PARAGRAPH_MAX_CHARS, sentences: int = config.PARAGRAPH_CHUNK_SENTENCES) -> Step:
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
        lines, edits = [], []
        for i, line in enumerate(text.split("\n"), start=1):
            if len(line.strip()) <= max_chars:
                lines.append(line)
                continue
            pieces, reasons = _split_line(line, max_chars, sentences)
            for before, after, reason in zip(pieces, pieces[1:], reasons):
                edits.append(Edit("split", i, before[-12:] + "\\n" + after[:12], "", reason))
            lines.extend(pieces)
        return "\n".join(lines), edits

    return Step("split_paragraphs", run)


split_long_lines = make_split_paragraphs()


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
        make_split_paragraphs(paragraph_max_chars, paragraph_sentences),
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


