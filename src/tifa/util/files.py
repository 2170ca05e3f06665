"""Files: atomic writes, advisory locks, and reading the project's data files (YAML, line lists) with errors that name them.

One way to write a file safely everywhere in tifa: the content goes to a
temporary sibling first (same folder, so the rename is atomic) and replaces the
target only when complete; a reader never sees half a file, and a killed writer
leaves at most a ``.<name>.<pid>.tmp`` behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from tifa.errors import InputError, OutputError


def temporary_sibling(path: Path) -> Path:
    """A temporary name beside ``path`` that no other process uses (``.<name>.<pid>.tmp``)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write ``path`` to (with any writer: Parquet, savefig …); it replaces ``path`` on success.

    The parent folder is created. On an error the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text in ``encoding``, or bytes) to ``path`` atomically; returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return path


@contextmanager
def file_lock(path: str | Path, *, wait: bool = True, busy: str | None = None) -> Iterator[None]:
    """Hold an exclusive advisory lock (POSIX ``flock``) on the file ``path`` (created if needed) for the ``with`` block.

    ``wait=False`` does not wait for another holder: an :class:`OutputError` with
    the message ``busy`` (or a default naming the lock) is raised instead. The lock
    dies with its process, so a killed holder never leaves a stale lock.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the lock file ({exc.strerror or exc}). Choose a writable folder.") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise OutputError(busy or f"{path}: another tifa process holds this lock. Wait until it has finished, then run again.") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_yaml(path: str | Path, what: str) -> dict:
    """Parse a YAML mapping; ``what`` names the file's role in the error message."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read {what} ({exc}). Fix the file (YAML, UTF-8).") from exc
    if not isinstance(spec, dict):
        raise InputError(f"{path}: {what} must be a YAML mapping; see the schema at the top of the file")
    return spec


def read_lines(path: str | Path) -> list[str]:
    """Non-empty lines of a text list, without ``#`` comments, stripped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the list ({exc}). Fix the file (one entry a line, UTF-8).") from exc
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
