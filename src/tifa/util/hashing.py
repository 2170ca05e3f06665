"""One SHA-256 helper for everything tifa fingerprints: bytes, files, JSON-serialisable parts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    """SHA-256 of ``data``, as hex."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 of ``text`` in UTF-8 (lone surrogates kept), as hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks, as hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def digest(*parts: object) -> str:
    """SHA-256 of JSON-serialisable parts (sorted keys; other objects by ``str``), as hex."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8", "surrogatepass")).hexdigest()
