"""What a study does not redo: fingerprints of its inputs, and a cache of executed notebooks and cleaned corpora.

Like jupyter-cache (Jupyter Book's ``execute: cache``), a notebook whose inputs
have not changed is restored instead of executed again: its executed copy and
the figures and tables it wrote. A notebook's key is the SHA-256 of everything
its outputs depend on: the notebook file; the corpus files' bytes and the text
and id fields; the study parameter file's bytes; every file of the tifa package,
of ``data/lexicon/`` and the figure registry; the installed distributions and
their versions; the Python version; and the ``TIFA_*`` environment (except the
folders outputs and caches go to). Change any of them and the notebook runs
again; where its outputs go does not matter. Outputs are byte-identical from run
to run, so a restored notebook is what running it again would give.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import distributions
from pathlib import Path

from tifa import config
from tifa.util.hashing import digest, file_digest

log = logging.getLogger(__name__)

RUNS = "runs"  # folder under the cache folder
MAX_ENTRIES = 60  # cached notebook runs and corpora kept; the least recently used beyond this are removed
PLACE_ENV = ("TIFA_CACHE_DIR", "TIFA_FIGURES_DIR")  # where things go, not what they are


def _tree(root: Path) -> list[tuple[str, str]]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return [(str(p.relative_to(root)), file_digest(p)) for p in files]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Fingerprint of the code and data every analysis depends on (package, lexicons, registry, installed versions, TIFA_* settings)."""
    installed = sorted({(d.metadata["Name"] or "").lower(): d.version for d in distributions()}.items())
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("TIFA_") and k not in PLACE_ENV)
    return digest(
        _tree(config.PACKAGE_DIR),
        _tree(config.LEXICON_DIR) if config.LEXICON_DIR.is_dir() else [],
        file_digest(config.FIGURE_REGISTRY),
        installed,
        platform.python_version(),
        settings,
    )


def corpus_digest(files: Iterable[Path], **fields: object) -> str:
    """Fingerprint of a corpus: its files' bytes (by name) and how they are read (``fields``: text and id field)."""
    return digest(code_digest(), [(Path(p).name, file_digest(Path(p))) for p in files], fields)


def notebook_key(notebook: Path, corpus_key: str, *, params_file: str | Path | None, parameters: dict) -> str:
    """Key of one notebook's run: the notebook, the corpus, the parameter file's bytes, the parameters that are not output folders."""
    params_bytes = file_digest(Path(params_file)) if params_file else None
    return digest(notebook.name, file_digest(notebook), corpus_key, params_bytes, parameters)


class RunCache:
    """Executed notebooks with their output files, and cleaned corpora, stored by key under ``<cache>/runs/``."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else config.CACHE_DIR / RUNS

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> Path | None:
        """The entry of ``key`` when it is complete (its manifest written last), else ``None``."""
        path = self.entry(key)
        if not (path / "manifest.json").is_file():
            return None
        try:
            names = self.files(path)
        except (OSError, ValueError):
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) and (path / n).is_file() for n in names):
            self.discard(key, "has a broken manifest or misses a file it lists")
            return None
        os.utime(path)  # recently used
        return path

    def discard(self, key: str, why: str) -> None:
        """Remove a damaged entry (saying why); the run it held is made again."""
        log.warning("%s: the run cache entry %s; removed, the run is made again", self.entry(key), why)
        shutil.rmtree(self.entry(key), ignore_errors=True)

    def put(self, key: str, files: dict[str, Path]) -> Path | None:
        """Store copies of ``files`` (name in the entry → source path); returns the entry, or ``None`` when the cache cannot be written."""
        path, tmp = self.entry(key), None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.tmp-", dir=path.parent))
            for name, source in sorted(files.items()):
                target = tmp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            (tmp / "manifest.json").write_text(json.dumps(sorted(files), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            shutil.rmtree(path, ignore_errors=True)
            tmp.rename(path)
        except OSError as exc:
            log.warning("cannot store a run in the cache %s (%s); the study is not affected", self.root, exc)
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            return None
        self.prune()
        return path

    def files(self, entry: Path) -> list[str]:
        """Names of the files stored in an entry."""
        return json.loads((entry / "manifest.json").read_text(encoding="utf-8"))

    def restore(self, entry: Path, target_dir: Path, *, prefix: str = "") -> list[Path]:
        """Copy the entry's files whose names start with ``prefix`` into ``target_dir`` (prefix removed); returns the written paths."""
        written = []
        for name in self.files(entry):
            if name.startswith(prefix):
                target = target_dir / name.removeprefix(prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(entry / name, target)
                written.append(target)
        return written

    def prune(self, keep: int = MAX_ENTRIES) -> None:
        """Remove the least recently used entries beyond ``keep``."""
        entries = sorted((p for p in self.root.glob("??/*") if p.is_dir() and not p.name.startswith(".")), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
        for old in entries[keep:]:
            shutil.rmtree(old, ignore_errors=True)
