"""Traditional script: the share of a text's Han characters that OpenCC's ``t2s`` changes.

Cleaning converts a document to simplified script when that share reaches a
threshold. Converting costs more than the rest of cleaning together, and a
simplified text needs no conversion to know its share is small: the characters
``t2s`` can ever change are listed in ``resources/t2s_changes.txt`` (read off
OpenCC's own dictionaries, whose checksums the file records), and a text holding
too few of them cannot reach the threshold. When the installed dictionaries are
not those of the list, every text is converted (the answer is the same, only slower).
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from tifa import config
from tifa.text import HAN_RANGES, code_points, count_han
from tifa.util.files import atomic_write
from tifa.util.hashing import file_digest

log = logging.getLogger(__name__)

CHANGES_FILE = config.RESOURCES_DIR / "t2s_changes.txt"
_HEADER = (
    "# Characters that OpenCC's t2s conversion can change (tifa.traditional): each stands, in an entry of one of\n"
    "# its dictionaries, where the converted entry has another character. A text with fewer of them than the\n"
    "# threshold share of its Han characters is not converted. Written by tifa.traditional.write_changing_characters()\n"
    "# from the dictionaries below; rewrite it when OpenCC's dictionaries change.\n"
)


@lru_cache(maxsize=1)
def t2s():
    """OpenCC's traditional-to-simplified converter (loaded once per process)."""
    import opencc

    return opencc.OpenCC("t2s")


def n_differing(a: str, b: str) -> int:
    """Characters that differ between two strings, position by position, plus the difference in length (vectorised)."""
    if a == b:
        return 0
    n = min(len(a), len(b))  # t2s maps character to character; be safe if a phrase rule does not
    return int((code_points(a[:n]) != code_points(b[:n])).sum()) + abs(len(a) - len(b))


def traditional_share(text: str) -> float:
    """Share of Han characters that OpenCC's t2s conversion changes (0 for simplified text)."""
    n = count_han(text)
    if not n or n_changeable(text) == 0:
        return 0.0
    return n_differing(text, t2s().convert(text)) / n


def count_han_and_changeable(codes: np.ndarray) -> tuple[int, int | None]:
    """Han characters among ``codes`` and how many of them t2s could change (``None`` when unknown), in one lookup."""
    counts = np.bincount(_classes()[codes], minlength=4)
    return int(counts[1] + counts[3]), (int(counts[2] + counts[3]) if _changeable() is not None else None)


@lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """For every code point: 1 when Han, plus 2 when t2s can change it."""
    table = np.zeros(0x110000, dtype=np.uint8)
    for lo, hi in HAN_RANGES:
        table[lo : hi + 1] = 1
    changeable = _changeable()
    if changeable is not None:
        table[changeable] += 2
    return table


def n_changeable(text: str | np.ndarray) -> int | None:
    """How many characters of ``text`` (or of its code points) t2s could change, an upper bound of those it changes; ``None`` when unknown."""
    table = _changeable()
    return None if table is None else int(table[code_points(text) if isinstance(text, str) else text].sum())


def _dictionaries() -> list[Path]:
    """The dictionary files of OpenCC's t2s configuration, in the installed package."""
    import opencc

    share = Path(opencc.__file__).parent / "clib" / "share" / "opencc"
    spec = json.loads((share / "t2s.json").read_text(encoding="utf-8"))
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "ocd2":
                found.append(share / node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return sorted(set(found))


def _checksums() -> list[str]:
    return [f"# sha256 {path.name} {file_digest(path)}" for path in _dictionaries()]


@lru_cache(maxsize=1)
def _changeable() -> np.ndarray | None:
    """For every code point, whether t2s can change it (one lookup per character of a text, vectorised)."""
    try:
        lines = CHANGES_FILE.read_text(encoding="utf-8").splitlines()
        recorded = [line for line in lines if line.startswith("# sha256 ")]
        if recorded != _checksums():
            log.info("%s was written for other OpenCC dictionaries: every document is converted to know its share", CHANGES_FILE)
            return None
    except (OSError, ValueError, ImportError) as exc:
        log.info("no list of the characters t2s changes (%s): every document is converted to know its share", exc)
        return None
    table = np.zeros(0x110000, dtype=bool)
    table[code_points("".join(line for line in lines if not line.startswith("#")))] = True
    return table


def write_changing_characters(path: str | Path = CHANGES_FILE) -> Path:
    """Write the characters t2s can change, read off OpenCC's dictionaries with its ``opencc_dict`` tool."""
    import opencc

    tool = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"
    chars: set[str] = set()
    for dictionary in _dictionaries():
        with tempfile.TemporaryDirectory(prefix="tifa-t2s-") as tmp:
            out = Path(tmp) / "dictionary.txt"
            subprocess.run([str(tool), "-i", str(dictionary), "-o", str(out), "-f", "ocd2", "-t", "text"], check=True, capture_output=True)
            text = out.read_text(encoding="utf-8")
        for line in text.splitlines():
            key, values = line.split("\t")
            for value in values.split(" "):
                chars |= {a for a, b in zip(key, value) if a != b} | (set(key) if len(key) != len(value) else set())
    body = "".join(sorted(chars))
    return atomic_write(path, _HEADER + "\n".join(_checksums()) + "\n" + body + "\n")
