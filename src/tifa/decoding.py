"""Decoding text files: UTF-8 first, else the Chinese encodings GB18030 (GBK) and Big5, told apart with care."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np

from tifa import config
from tifa.errors import CorpusError
from tifa.text import HAN_RE, count_han

_COMMON = {"gb2312": (0xB0A1, 0xD7FE), "big5": (0xA440, 0xC67E)}  # GB2312 level 1; Big5's frequently used characters


def decode_bytes(data: bytes, source: str | Path) -> tuple[str, str]:
    """Decode a text file's bytes; returns ``(text, encoding)``.

    UTF-8 (with or without BOM) is tried first; otherwise charset-normalizer
    detects among the Chinese encodings GB18030 (a superset of GBK/GB2312) and
    Big5. Short GBK texts are often valid Big5 too (环保 reads 遠悵): when the
    bytes are valid GB18030, a Big5 guess is kept only if its share of common
    characters beats GB18030's by ``config.BIG5_MARGIN``. Bytes that fit none
    of them raise :class:`CorpusError`.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf_8_sig"
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5"]).best()
    if best is None or count_han(str(best)) == 0:
        raise CorpusError(
            f"{source}: cannot decode the file as UTF-8, GB18030/GBK or Big5. "
            "Check that it is a text file and re-save it as UTF-8."
        )
    if best.encoding == "big5":
        try:
            gb = data.decode("gb18030")
        except UnicodeDecodeError:
            gb = None
        if gb is not None and _common_share(str(best), "big5") - _common_share(gb, "gb2312") < config.BIG5_MARGIN:
            return gb, "gb18030"
    return str(best), best.encoding


def _common_share(text: str, codec: str, sample: int = 2000) -> float:
    """Share of the (first ``sample``) Han characters of ``text`` that are among the common characters of ``codec``.

    The sample is read off the start of the text only; its codes come from one encoding of the sample (two
    bytes a character) unless a character does not encode, then character by character.
    """
    low, high = _COMMON[codec]
    han = "".join(m.group(0) for m in islice(HAN_RE.finditer(text), sample))
    if not han:
        return 0.0
    try:
        encoded = han.encode(codec)
    except UnicodeEncodeError:
        encoded = b""
    if len(encoded) == 2 * len(han):
        codes = np.frombuffer(encoded, dtype=">u2")
    else:
        codes = np.array([int.from_bytes(e, "big") for e in map(_encoded(codec), han) if e], dtype=np.int64)
    return int(np.count_nonzero((codes >= low) & (codes <= high))) / len(han)


def _encoded(codec: str):
    def encode(char: str) -> bytes:
        try:
            return char.encode(codec)
        except UnicodeEncodeError:
            return b""

    return encode


def read_text_file(path: Path) -> tuple[str, str]:
    """Read and decode one text file (see :func:`decode_bytes`)."""
    return decode_bytes(path.read_bytes(), path)
