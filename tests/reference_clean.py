"""The cleaning pipeline written the plain way: the oracle of tests/test_clean_reference.py.

This is the straightforward code tifa.clean had before it was made linear and
fast (every rule tried on every line, every span searched from the start of the
line, line numbers counted from the start of the text, joined lines rebuilt at
each join), plus the plain reading of the rules added since (spans that stand
anywhere, spans replaced by a space). It shares with tifa only what defines the
result, not how it is computed: the rules of boilerplate.yaml, the markers of
tifa.text, the split patterns of tifa.clean and OpenCC. Keep it slow and obvious.
"""

from __future__ import annotations

import re
import unicodedata

from tifa import config
from tifa.clean import _HEADING, _TERMINAL, Edit, _t2s
from tifa.scrapes import _APPENDIX_THEN_HEADING, _INNER_BREAK, LONG_PARAGRAPH
from tifa.text import (
    CLOSING,
    DELIVERY,
    HAN,
    HEADING_MARKERS,
    SENTENCE,
    SENTENCE_FINAL,
    STARTS_PARAGRAPH,
    WHITESPACE_RUN,
)

HAN_RE = re.compile(f"[{HAN}]")


def count_han(text: str) -> int:
    return len(HAN_RE.findall(text))


def _line_number(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _substitute(pattern, text, repl):
    edits = []

    def record(m):
        new = repl(m)
        edits.append(Edit("changed" if new else "removed", _line_number(text, m.start()), m.group(0), new))
        return new

    return pattern.sub(record, text), edits


_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def normalize_newlines(text):
    n = len(_NEWLINES.findall(text))
    edits = [Edit("changed", None, f"{n} line separators", "\\n")] if n else []
    return _NEWLINES.sub("\n", text), edits


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")


def remove_invisible(text):
    new, edits = _substitute(_INVISIBLE, text, lambda m: "")
    return new, [Edit(e.kind, e.line, " ".join(f"U+{ord(c):04X}" for c in e.before)) for e in edits]


_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]+")


def normalize_width(text):
    return _substitute(_FULLWIDTH_ALNUM, text, lambda m: unicodedata.normalize("NFKC", m.group(0)))


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = re.compile(rf"(?<=[{HAN}])[(（]\s*(?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}\s*[)）]")


def strip_pinyin(text):
    new, edits = _substitute(_PINYIN, text, lambda m: "")
    return new, [Edit(e.kind, e.line, e.before, e.after, "pinyin") for e in edits]


def _n_differing(a, b):
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def to_simplified(text, threshold=config.TRADITIONAL_SHARE):
    n_han = count_han(text)
    converted = _t2s().convert(text) if n_han else text
    n = _n_differing(text, converted)
    share = n / n_han if n_han else 0.0
    if share < threshold:
        return text, []
    return converted, [Edit("converted", None, f"traditional script ({share:.1%} of Han characters)", f"{n} characters converted to simplified", "t2s")]


# --- boilerplate: every rule on every line ---------------------------------------------

_GAP = r"[\s|丨]*"
_BOUNDARY = r"\s。！？!?；;：:”’」』）)】\]"


def span(rule, line):
    """Where a span rule matches: its leftmost match (anchor any), else at the start, else at the end."""
    if rule.anchor == "any":
        for m in rule.pattern.finditer(line):
            if m.group(0):
                return m.span()
        return None
    if rule.anchor in ("start", "both"):
        m = re.match(rf"\A{_GAP}(?:{rule.pattern.pattern}){_GAP}", line)
        if m and m.group(0).strip():
            return m.span()
    if rule.anchor in ("end", "both"):
        m = re.search(rf"(?:(?<=[{_BOUNDARY}])|\A){_GAP}(?:{rule.pattern.pattern}){_GAP}\Z", line)
        if m and m.group(0).strip():
            return m.span()
    return None


def rule_matches(rule, line):
    line = line.strip()
    if rule.max_chars is not None and len(line) > rule.max_chars:
        return False
    if rule.kind == "span":
        return span(rule, line) is not None
    return rule.pattern.search(line) is not None


def remove_spans(line, rules):
    """Spans that stand anywhere first (rule after rule, all its matches from left to right; again while any was found), then anchored ones."""
    removed = []
    changed = True
    while changed:
        changed = False
        for rule in [r for r in rules if r.anchor == "any"]:
            pieces, pos = [], 0
            for m in rule.pattern.finditer(line):
                if m.group(0):
                    pieces += [line[pos : m.start()], rule.replace or ""]
                    removed.append((rule.id, m.group(0)))
                    pos = m.end()
            if pieces:
                line = "".join(pieces) + line[pos:]
                changed = True
    anchored = [r for r in rules if r.anchor != "any"]
    changed = True
    while changed and line.strip():
        changed = False
        for rule in anchored:
            where = span(rule, line)
            if where is not None:
                start, end = where
                removed.append((rule.id, line[start:end]))
                line = line[:start] + line[end:]
                changed = True
    return line, removed


def remove_boilerplate(text, rules):
    line_rules = [r for r in rules if r.kind != "span"]
    span_rules = [r for r in rules if r.kind == "span"]
    lines = text.split("\n")
    kept, edits = [], []
    for i, line in enumerate(lines, start=1):
        rule = next((r for r in line_rules if line.strip() and rule_matches(r, line)), None)
        if rule is None:
            if span_rules and line.strip():
                line, spans = remove_spans(line, span_rules)
                by_id = {r.id: r for r in span_rules}
                for rule_id, text_ in spans:
                    replace = by_id[rule_id].replace
                    edits.append(Edit("removed_span", i, text_, "", rule_id) if replace is None else Edit("changed", i, text_, replace, rule_id))
            kept.append(line)
            continue
        if rule.kind == "tail":
            edits.extend(Edit("removed", j, rest, "", rule.id) for j, rest in enumerate(lines[i - 1 :], start=i) if rest.strip())
            break
        edits.append(Edit("removed", i, line, "", rule.id))
    return "\n".join(kept), edits


# --- line structure -------------------------------------------------------------------

_LATIN = re.compile(r"[A-Za-z]")


def repair_line_breaks(text):
    lines = text.split("\n")
    out, edits = [], []
    joinable = False
    for i, line in enumerate(lines, start=1):
        stripped = line.strip()
        if joinable and stripped:
            prev = out[-1].rstrip()
            sep = " " if _LATIN.match(prev[-1:]) and _LATIN.match(stripped[:1]) else ""
            out[-1] = prev + sep + stripped
            edits.append(Edit("joined", i - 1, prev[-12:] + "\\n" + stripped[:12], prev[-12:] + sep + stripped[:12]))
        else:
            out.append(line)
        last = out[-1].rstrip()
        joinable = bool(stripped) and not last.endswith(tuple(_TERMINAL)) and not _HEADING.match(last)
    return "\n".join(out), edits


def _split_line(line, max_chars, sentences):
    cuts = {m.start() for m in _INNER_BREAK.finditer(line)} | {m.end() for m in _APPENDIX_THEN_HEADING.finditer(line)}
    cuts |= {b for m in DELIVERY.finditer(line) for b in (m.start(), m.end())}
    cuts = sorted(c for c in cuts if 0 < c < len(line))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)])]
    reasons = ["heading, appendix, salutation or delivery line"] * len(cuts)
    parts = []
    for piece in pieces:
        segments = [seg for seg in WHITESPACE_RUN.split(piece) if seg]
        if not segments:
            parts.append(piece)
            continue
        parts.append(segments[0])
        for seg in segments[1:]:
            prev = parts[-1]
            if prev.endswith(tuple(SENTENCE_FINAL + CLOSING)):
                reasons.append("space after a sentence")
            elif STARTS_PARAGRAPH.match(seg):
                reasons.append("space before a heading, appendix or salutation")
            elif any(m.match(prev) for m in HEADING_MARKERS) and len(prev) <= config.HEADING_MAX_CHARS:
                reasons.append("space after a heading")
            else:
                parts[-1] = prev + " " + seg
                continue
            parts.append(seg)
    final = []
    for part in parts:
        spans = SENTENCE.findall(part)
        if len(part) > max_chars and "".join(spans) == part and len(spans) > sentences:
            chunks = ["".join(spans[i : i + sentences]) for i in range(0, len(spans), sentences)]
            reasons.extend(LONG_PARAGRAPH for _ in chunks[1:])
            final.extend(chunks)
        else:
            final.append(part)
    return final, reasons


def split_long_lines(text, max_chars=config.PARAGRAPH_MAX_CHARS, sentences=config.PARAGRAPH_CHUNK_SENTENCES):
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


def remove_duplicate_paragraphs(text, min_chars=config.MIN_DUPLICATE_PARAGRAPH_CHARS):
    seen, kept, edits = {}, [], []
    for i, line in enumerate(text.split("\n"), start=1):
        key = line.strip()
        if len(key) >= min_chars and key in seen:
            edits.append(Edit("removed", i, line, "", f"duplicate of line {seen[key]}"))
            continue
        seen.setdefault(key, i)
        kept.append(line)
    return "\n".join(kept), edits


_SPACES = re.compile(r"[ \t]+")
_HAN_GAP = re.compile(rf"(?<=[{HAN}]) (?=[{HAN}])")


def tidy_whitespace(text):
    edits, paragraphs = [], []
    for i, line in enumerate(text.split("\n"), start=1):
        tidy = _HAN_GAP.sub("", _SPACES.sub(" ", line).strip())
        if not tidy:
            continue
        if tidy != line and tidy != line.strip():
            edits.append(Edit("changed", i, line, tidy))
        paragraphs.append(tidy)
    return "\n\n".join(paragraphs), edits


def pipeline(rules):
    """The steps of tifa.clean.default_pipeline(), by name, as plain functions."""
    return (
        ("normalize_newlines", normalize_newlines),
        ("remove_invisible", remove_invisible),
        ("normalize_width", normalize_width),
        ("strip_pinyin", strip_pinyin),
        ("to_simplified", to_simplified),
        ("remove_boilerplate", lambda text: remove_boilerplate(text, rules)),
        ("repair_line_breaks", repair_line_breaks),
        ("split_long_lines", split_long_lines),
        ("remove_duplicate_paragraphs", remove_duplicate_paragraphs),
        ("tidy_whitespace", tidy_whitespace),
    )


def clean_text(text, rules):
    """Cleaned text and ``(step name, Edit)`` audit, as tifa.clean.clean_text gives them."""
    audit = []
    for name, step in pipeline(rules):
        text, edits = step(text)
        audit.extend((name, e) for e in edits)
    return text, audit
