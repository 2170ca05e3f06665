"""The token cache: raw segmentations of cleaned documents, one SQLite file, keyed by text, segmenter and tags.

A document's key is the SHA-256 of the segmenter's fingerprint (backend and
versions, HMM, jieba's dictionary, the user dictionary), whether tags are kept,
and the document's cleaned text: after a change to one document only that
document is segmented again, and any engine (memory, stream, Dask workers)
reads what another wrote. Each entry carries the SHA-256 of its data; an entry
whose digest, shape or words do not fit its text is discarded with a warning
and the document segmented again. SQLite (write-ahead log, busy timeout) lets
several processes share the file.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from tifa.util.hashing import sha256_bytes, sha256_text

log = logging.getLogger(__name__)

FILE = "tokens.sqlite3"
_SPACE = re.compile(r"\s+")
_BATCH = 500  # keys per SELECT


_PLAIN = b"\x00"  # an entry of words in plain form: paragraphs joined by \x1e, words by \x1f (else JSON)


def encode_entry(paragraphs: list) -> bytes:
    """An entry's bytes: the plain form for words (about 5 × faster to read than JSON), JSON for tags or unusual words."""
    try:
        joined = ["\x1f".join(items) for items in paragraphs]  # TypeError for (word, tag) pairs
        plain = bool(paragraphs) and all("" not in items and "\x1e" not in j and j.count("\x1f") == max(len(items) - 1, 0) for items, j in zip(paragraphs, joined))
    except TypeError:
        plain = False
    if plain:
        return _PLAIN + "\x1e".join(joined).encode("utf-8", "surrogatepass")
    return json.dumps(paragraphs, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_entry(data: bytes) -> list:
    if data[:1] == _PLAIN:
        return [items.split("\x1f") if items else [] for items in data[1:].decode("utf-8", "surrogatepass").split("\x1e")]
    return json.loads(data)


def cache_key(text: str, fingerprint: str, *, pos: bool) -> str:
    """Key of a text's segmentation: the segmenter's fingerprint, whether tags are kept, and the text."""
    return sha256_text(f"{fingerprint}{':pos' if pos else ''}\0{text}")


def cache_problem(paragraphs: object, expected: Sequence[str], *, pos: bool) -> str | None:
    """What is wrong with a cached segmentation of the paragraphs ``expected`` (``None``: nothing)."""
    if not isinstance(paragraphs, list) or len(paragraphs) != len(expected):
        return f"does not hold one token list for each of the {len(expected)} paragraphs"
    for paragraph, items in zip(expected, paragraphs):
        if not isinstance(items, list):
            return "holds a paragraph that is not a list of tokens"
        if pos:
            if not all(isinstance(i, list) and len(i) == 2 and isinstance(i[0], str) and isinstance(i[1], str) for i in items):
                return "does not hold (word, tag) pairs"
            words = [i[0] for i in items]
        else:
            words = items
        try:
            spelled = "".join(words)  # TypeError when an item is not a word
        except TypeError:
            return "does not hold words"
        if spelled != paragraph and _SPACE.sub("", spelled) != _SPACE.sub("", paragraph):
            return "holds words that do not spell out the text"
    return None


class TokenCache:
    """Segmentations by key in ``<folder>/tokens.sqlite3``; a folder that cannot be written gives one warning and no caching."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / FILE
        self._db: sqlite3.Connection | None = None
        self.usable = True

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and self.usable:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=60)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, data BLOB NOT NULL, sha256 TEXT NOT NULL)")
                db.commit()
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                log.warning("%s: cannot write the token cache (%s); continuing without caching", self.path, exc)
                self.usable = False
        return self._db

    def get_many(self, keys: Sequence[str], expected: dict[str, Sequence[str]], *, pos: bool) -> dict[str, list]:
        """The valid cached segmentations of ``keys`` (``expected``: each key's paragraphs); bad entries are removed with a warning."""
        db = self._connect()
        if db is None or not keys:
            return {}
        found: dict[str, list] = {}
        bad: list[str] = []
        try:
            for start in range(0, len(keys), _BATCH):
                chunk = list(dict.fromkeys(keys[start : start + _BATCH]))
                rows = db.execute(f"SELECT key, data, sha256 FROM tokens WHERE key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                for key, data, digest in rows:
                    problem = None if sha256_bytes(data) == digest else "does not match its SHA-256 (changed after it was written)"
                    paragraphs = None
                    if problem is None:
                        try:
                            paragraphs = decode_entry(data)
                        except (ValueError, RecursionError) as exc:
                            problem = f"cannot be read ({exc})"
                    if problem is None:
                        problem = cache_problem(paragraphs, expected[key], pos=pos)
                    if problem is None:
                        found[key] = paragraphs
                    else:
                        log.warning("%s: token cache entry %s… %s; discarded, the document is segmented again", self.path, key[:12], problem)
                        bad.append(key)
            if bad:
                db.executemany("DELETE FROM tokens WHERE key = ?", [(k,) for k in bad])
                db.commit()
        except sqlite3.Error as exc:
            log.warning("%s: the token cache cannot be read (%s); segmenting without it", self.path, exc)
            return {}
        return found

    def put_many(self, items: Iterable[tuple[str, list]]) -> None:
        """Store segmentations (key, paragraphs); failures only warn."""
        db = self._connect()
        if db is None:
            return
        rows = []
        for key, paragraphs in items:
            data = encode_entry(paragraphs)
            rows.append((key, data, sha256_bytes(data)))
        if not rows:
            return
        try:
            db.executemany("INSERT OR REPLACE INTO tokens (key, data, sha256) VALUES (?, ?, ?)", rows)
            db.commit()
        except sqlite3.Error as exc:
            log.warning("%s: cannot write the token cache (%s); continuing without caching", self.path, exc)
            self.usable = False

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
