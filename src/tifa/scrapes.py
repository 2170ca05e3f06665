"""One-line scrapes: where a flattened page splits into the paragraphs the genre marks.

A scraper that flattens a page leaves the report on one line. :func:`split_line`
cuts such a line before headings, appendix headings and 各位代表： that follow a
sentence end, around the delivery line, at spaces after a sentence end or a short
heading, and cuts what is still over-long into chunks of sentences. The cleaning
step that applies it and records each cut is ``tifa.clean.make_split_long_lines``.
"""

from __future__ import annotations

import re

from tifa import config
from tifa.text import (
    APPENDIX_HEADING,
    APPENDIX_START,
    CLOSING,
    DELIVERY,
    HEADING_MARKERS,
    HEADING_START,
    NOTE_MARK,
    NUMERAL,
    SALUTATION,
    SENTENCE,
    SENTENCE_FINAL,
    STARTS_PARAGRAPH,
)
from tifa.util.literals import analyse

LONG_PARAGRAPH = "long paragraph cut at sentence ends"


def split_line(line: str, max_chars: int, sentences: int) -> tuple[list[str], list[str]]:
    """Paragraphs of one over-long line and the reason of each cut (see ``tifa.clean.make_split_long_lines``)."""
    # 1. inside the text: before headings, appendices and salutations that follow a sentence end; around delivery lines
    cuts = _inner_breaks(line) | _appendix_heading_ends(line)
    cuts |= {b for m in _deliveries(line) for b in m.span()}
    cuts = sorted(c for c in cuts if 0 < c < len(line))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)])]
    reasons = ["heading, appendix, salutation or delivery line"] * len(cuts)
    # 2. at spaces: after a sentence end, before a heading / appendix / salutation, after a short heading
    parts: list[str] = []
    for piece in pieces:
        segments = piece.split()  # (the runs of WHITESPACE_RUN: str.split and the regex share one idea of a space)
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
        spans = SENTENCE.findall(part) if len(part) > max_chars else ()
        if spans and "".join(spans) == part and len(spans) > sentences:
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

# The same positions, found from the characters that open them (a regex that opens with a lookbehind
# is tried at every position of a long line; these are tried only where such a character stands).
# (a heading, an appendix heading and 各位代表 open with one of the characters of the first lookahead)
_SENTENCE_END_THEN_START = re.compile(
    rf"[{SENTENCE_FINAL}{CLOSING}](?=[第{NUMERAL}（(\d名附注各])(?=(?:{HEADING_START}|{APPENDIX_START}|{SALUTATION}))"
)
_SALUTATION = re.compile(SALUTATION)
_APPENDIX_AFTER_HEADING = re.compile(rf"{APPENDIX_HEADING}[:：]?(?=(?:{HEADING_START}|{NOTE_MARK}))")
_OPENING = analyse(re.compile(APPENDIX_HEADING))  # every appendix heading opens with one of these literals (offset 0)
_FIRST = "".join(sorted({w[0] for w in _OPENING.literals})) if _OPENING.literals and _OPENING.offset == 0 else ""
_APPENDIX_FIRST = re.compile(  # where a heading may open, after a boundary character (scanned for the rarer one)
    rf"[{re.escape(_FIRST)}](?<=[{SENTENCE_FINAL}{CLOSING}\s].)" if _FIRST else rf"(?<=[{SENTENCE_FINAL}{CLOSING}\s])."
)
# where DELIVERY may match: —— or an opening bracket, then a year (one character long, so that no start is passed over)
_DELIVERY_OPENING = re.compile(r"[—（(](?:(?<=—)(?=—\s*\d{4}年)|(?<=[（(])(?=\s*\d{4}年))")


def _inner_breaks(line: str) -> set[int]:
    """Where ``_INNER_BREAK`` matches ``line``: after a sentence end before a paragraph start, around 各位代表："""
    cuts = {m.end() for m in _SENTENCE_END_THEN_START.finditer(line)}
    for m in _SALUTATION.finditer(line):
        before = line[m.start() - 1 : m.start()]
        if before and before not in SENTENCE_FINAL and not before.isspace():
            cuts.add(m.start())
        cuts.add(m.end())
    return cuts


def _deliveries(line: str) -> list[re.Match[str]]:
    """``DELIVERY.finditer(line)``, tried only where ``——``, ``（`` or ``(`` stands."""
    found, pos = [], 0
    for m in _DELIVERY_OPENING.finditer(line):
        if m.start() >= pos:
            hit = DELIVERY.match(line, m.start())
            if hit:
                found.append(hit)
                pos = hit.end()
    return found


def _appendix_heading_ends(line: str) -> set[int]:
    """Where the matches of ``_APPENDIX_THEN_HEADING`` in ``line`` end."""
    ends, pos = set(), 0
    for m in _APPENDIX_FIRST.finditer(line):
        q = m.start()
        if q < pos:
            continue
        found = _APPENDIX_AFTER_HEADING.match(line, q)
        if found:
            ends.add(found.end())
            pos = found.end()
    return ends
