"""The text of the genre: Han characters, sentences, paragraphs, and where a paragraph stands (part, section).

Defined once here for every stage: cleaning splits flattened pages at these
markers, units take their ``part`` and ``section`` from them, analyses count
Han characters with :func:`count_han`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tifa import config

# Han ideographs, for every regex of the package: CJK Unified Ideographs and Extension A,
# compatibility ideographs, Extensions B-I and the compatibility supplement, Extensions G-H.
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F), (0x30000, 0x323AF))
HAN = "".join(f"\\U{lo:08x}-\\U{hi:08x}" if hi > 0xFFFF else f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in HAN_RANGES)
HAN_RE = re.compile(f"[{HAN}]")
_HAN_RUN = re.compile(f"[{HAN}]+")
_SHORT = 256  # below this many characters a regex beats converting to code points


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as an unsigned 32-bit array (one C-level conversion, no Python loop)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def count_han(text: str | np.ndarray) -> int:
    """Number of Han (CJK ideograph) characters in ``text`` (vectorised over code points, which may be passed instead)."""
    if isinstance(text, str):
        if len(text) < _SHORT:
            return sum(map(len, _HAN_RUN.findall(text)))
        text = code_points(text)
    return int(sum(np.count_nonzero((text >= lo) & (text <= hi)) for lo, hi in HAN_RANGES))


NUMERAL = "一二三四五六七八九十"
# heading markers of the genre, by level: 第一部分 / 一、 / （一） / 1. / （1）
HEADING_MARKERS = (
    re.compile(rf"^第[{NUMERAL}]{{1,3}}(?:部分|章|篇)"),
    re.compile(rf"^[{NUMERAL}]{{1,3}}[、.．](?![{NUMERAL}])"),
    re.compile(rf"^[（(][{NUMERAL}]{{1,3}}[)）]"),
    re.compile(r"^\d{1,2}[.．、](?![\d%％])"),
    re.compile(r"^[（(]\d{1,2}[)）]"),
)
HEADING_START = "|".join(m.pattern[1:] for m in HEADING_MARKERS)
# a numbered note: ［1］ [1] 〔1〕 ①
NOTE_MARK = r"(?:[［\[〔]\d{1,3}[］\]〕]|[\u2460-\u2473])"
# an appendix heading opens with one of these words: 名词解释, 名词注释, 附件 (附件1：, 附件《政府工作报告》有关内容名词注释),
# 附录, 附表, 注释 (注释：, 注释［1］…, 注释1.…)
APPENDIX_START = (
    r"(?:名词解释|名词注释|附件|附录|附表|注释)"
    rf"(?:\s*(?:\d{{1,2}}|[{NUMERAL}]{{1,3}})(?=[\s:：、.．（(《［\[〔]|$)|(?=[\s:：\d（(《［\[〔\u2460-\u2473]|$))"
)
# the whole heading of an appendix, when it is run into its first entry in a one-line scrape
APPENDIX_HEADING = (
    r"(?:附件\s*\d*[:：]?\s*《[^》\n]{1,40}》[^。！？!?\s《》]{0,20}?(?:名词解释|名词注释|注释)"
    r"|名词解释|名词注释|附件\s*\d*|附录|附表|注释)"
)
SALUTATION = r"各位代表[：:！!]"
SENTENCE_FINAL = "。！？!?"
CLOSING = "”’\"」』"
DELIVERY = re.compile(rf"(?:——|[（(])\s*\d{{4}}年[^{SENTENCE_FINAL}\n]{{2,80}}?会议上[)）]?")
STARTS_PARAGRAPH = re.compile(rf"(?:{HEADING_START}|{APPENDIX_START}|{SALUTATION})")
WHITESPACE_RUN = re.compile(r"\s+")


SENTENCE = re.compile(r"[^。！？!?…]+(?:[。！？!?]+|…+)?[”’\"」』)）]*|[。！？!?…]+")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a cleaned text (one per line)."""
    return [p for p in text.split("\n") if p.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, ending at 。！？!? or …… (closing quotes stay with the sentence)."""
    return [s.strip() for s in SENTENCE.findall(paragraph) if s.strip()]


# --- structure: parts and sections of paragraphs ------------------------------------

PARTS = ("front", "body", "appendix")
_APPENDIX_HEADING = re.compile(rf"^{APPENDIX_START}")
_APPENDIX_TITLE_END = re.compile(rf"[{SENTENCE_FINAL}：:\s]|(?={NOTE_MARK})")  # 注释［1］两个确立：… is in the appendix 注释
_FRONT_STOP = re.compile(rf"[{SENTENCE_FINAL}]|^(?:{SALUTATION}|各位代表|同志们)")


@dataclass(frozen=True)
class Unit:
    """Where a paragraph stands in its document: ``part`` (front, body, appendix) and ``section`` (heading path)."""

    part: str
    section: str


def heading_of(paragraph: str) -> tuple[int, str] | None:
    """``(level, heading)`` when the paragraph opens with a heading marker (``一、…``, ``（一）…``), else ``None``.

    The heading runs to the first sentence end, colon or space (``（一）着力扩大国内需求。推动…``
    gives ``（一）着力扩大国内需求``), cut to ``config.HEADING_MAX_CHARS`` characters.
    """
    for level, marker in enumerate(HEADING_MARKERS):
        if marker.match(paragraph):
            head = re.split(rf"[{SENTENCE_FINAL}；;：:\s]", paragraph, maxsplit=1)[0]
            if len(head) > config.HEADING_MAX_CHARS:
                head = head[: config.HEADING_MAX_CHARS] + "…"
            return level, head
    return None


def paragraph_structure(paragraphs: Sequence[str]) -> list[Unit]:
    """Part and section of each paragraph of one cleaned document.

    ``front``: the leading paragraphs before the text begins, each short
    (≤ ``config.FRONT_MAX_CHARS``), without a sentence end, not a heading nor a
    salutation: title, delivery line (``——2024年1月…会议上``), speaker (``省长 某某``).
    ``appendix``: from an appendix heading (``名词解释``, ``名词注释``, ``附件``
    such as ``附件《政府工作报告》有关内容名词注释``, ``附录``, ``附表``, ``注释``,
    also run into its first note: ``注释［1］…``, ``注释1.…``) after the body began, to the end. ``body``: the rest. ``section``
    is the path of headings above a paragraph (``一、2023年工作回顾 > （二）…``),
    one per level (``第一部分`` > ``一、`` > ``（一）`` > ``1.`` > ``（1）``).
    """
    units: list[Unit] = []
    path: dict[int, str] = {}
    part = "front"
    for paragraph in paragraphs:
        text = paragraph.strip()
        heading = heading_of(text)
        if part == "front" and (heading or len(text) > config.FRONT_MAX_CHARS or _FRONT_STOP.search(text)):
            part = "body"
        if part == "body" and _APPENDIX_HEADING.match(text):
            part, path = "appendix", {-1: _APPENDIX_TITLE_END.split(text, maxsplit=1)[0][: config.HEADING_MAX_CHARS]}
        elif heading is not None and part != "front":
            level, head = heading
            path = {k: v for k, v in path.items() if k < level}
            path[level] = head
        units.append(Unit(part, " > ".join(path[k] for k in sorted(path))))
    return units
