"""What a study does not redo: fingerprints of its inputs, and a cache of executed notebooks and cleaned corpora.

Like jupyter-cache (Jupyter Book's ``execute: cache``), a notebook whose inputs
have not changed is restored instead of executed again: its executed copy and
the figures and tables it wrote. A notebook's key is the SHA-256 of everything
its outputs depend on: the notebook file; the corpus files' bytes and the text
and id fields; the study parameter file's bytes; every file of the tifa package,
of ``data/lexicon/`` and the figure registry; the files the notebooks read from
outside them (:func:`study_inputs`: the central corpora, the font, matplotlib's
rc files, the segmenter's dictionary, the user's lexicon), by content; the
installed distributions and their versions; the Python version; and the
``TIFA_*`` environment (except the folders outputs and caches go to). Change any
of them and the notebook runs again; where its outputs go does not matter.
Keys are computed afresh at every call (nothing is memoised for the life of the
process). Outputs are byte-identical from run to run, so a restored notebook is
what running it again would give.

An entry is trusted only as far as it checks out: its manifest names each file
by a plain relative name with the SHA-256 it had when stored; an entry with
another name, a symbolic link, or a file whose bytes differ is removed (with a
warning naming the entry and the file) and its run made again.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import distributions
from pathlib import Path

from tifa import config
from tifa.util.files import file_lock
from tifa.util.hashing import digest, file_digest, sha256_bytes

log = logging.getLogger(__name__)

RUNS = "runs"  # folder under the cache folder
MAX_ENTRIES = 60  # cached notebook runs and corpora kept; the least recently used beyond this are removed
PLACE_ENV = ("TIFA_CACHE_DIR", "TIFA_FIGURES_DIR", "TIFA_STUDY_JOURNAL")  # where things go, not what they are
MANIFEST = "manifest.json"


def _tree(root: Path) -> list[tuple[str, str]]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return [(str(p.relative_to(root)), file_digest(p)) for p in files]


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


def notebook_key(notebook: Path, corpus_key: str, *, params_file: str | Path | None, parameters: dict, inputs: str | None = None) -> str:
    """Key of one notebook's run: the notebook, the corpus, the parameter file's bytes, the parameters that are not output folders,
    and ``inputs`` (:func:`input_digest` of the study's parameters: the files notebooks read outside the package and the corpus)."""
    params_bytes = file_digest(Path(params_file)) if params_file else None
    return digest(notebook.name, file_digest(notebook), corpus_key, params_bytes, parameters, inputs)


def study_inputs(params: dict) -> dict[str, Path | None]:
    """Files (or corpus folders) the notebooks read besides the package, ``data/lexicon/``, the corpus and the parameter file, by role.

    The central corpora (``central``, ``reuse_central``) when they name a path
    (a relative one is read from the notebooks' folder, where kernels run), the
    CJK font (``$TIFA_FONT`` or the packaged default), ``matplotlibrc`` in
    ``$MPLCONFIGDIR``, in the notebooks' folder, and the rc file matplotlib loaded, the segmenter's main
    dictionary and the user's slogan lexicon. ``None``: the role has no file.
    """
    import matplotlib

    from tifa.figures.style import FONT_ENV, default_font_path
    from tifa.segment import dictionary_path

    found: dict[str, Path | None] = {}
    for role in ("central", "reuse_central"):
        found[role] = _central_path(params.get(role))
    found["font"] = Path(os.environ.get(FONT_ENV) or default_font_path())
    rc_dir = os.environ.get("MPLCONFIGDIR")
    found["matplotlibrc"] = Path(rc_dir) / "matplotlibrc" if rc_dir else None
    found["matplotlib_fname"] = Path(matplotlib.matplotlib_fname())
    found["notebooks_matplotlibrc"] = config.NOTEBOOKS_DIR / "matplotlibrc"  # kernels run there, and matplotlib reads one in its working folder
    found["segmenter_dictionary"] = dictionary_path()
    found["lexicon"] = Path(params["lexicon"]) if params.get("lexicon") else None
    return found


def input_digest(params: dict) -> str:
    """Fingerprint of :func:`study_inputs` by content (a folder: every file in it; a file that does not exist: its absence)."""
    parts = []
    for role, path in sorted(study_inputs(params).items()):
        if path is None or not path.exists():
            parts.append((role, None))
        elif path.is_dir():
            parts.append((role, _tree(path)))
        else:
            parts.append((role, file_digest(path)))
    return digest(parts)


def _central_path(value: object) -> Path | None:
    """The path a ``central`` parameter names, when it names one (else a packaged dataset or a group of the corpus)."""
    if not isinstance(value, str) or not value:
        return None
    for path in (Path(value), config.NOTEBOOKS_DIR / value):
        if path.exists():
            return path.resolve()
    return None


def safe_name(name: object) -> bool:
    """Whether ``name`` is a plain relative file name inside a folder: ``a.png``, ``tables/t.csv`` (no ``/x``, ``..``, ``a//b``, ``./a``)."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


class CacheEntryError(Exception):
    """A cache entry that does not check out (its message names the file); the entry is removed and its run made again."""


class RunCache:
    """Executed notebooks with their output files, and cleaned corpora, stored by key under ``<cache>/runs/``.

    An entry is a folder with its files and ``manifest.json`` (``{"files": {name: sha256}}``), written
    last; an entry is written and read under its own lock, so that two runs storing or restoring the
    same key never see half of one another's entry.
    """

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else config.CACHE_DIR / RUNS

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key``'s entry (another run storing or restoring it waits)."""
        with file_lock(self.root / key[:2] / f".{key}.lock"):
            yield

    def get(self, key: str) -> Path | None:
        """The entry of ``key`` when it is complete and checks out (every file as stored), else ``None``.

        Hold :meth:`lock` while reading the files of the entry returned.
        """
        path = self.entry(key)
        if not (path / MANIFEST).is_file() and not (path / MANIFEST).is_symlink():
            return None
        try:
            self.verify(path)
        except CacheEntryError as exc:
            self.discard(key, str(exc))
            return None
        os.utime(path)  # recently used
        return path

    def verify(self, entry: Path) -> dict[str, str]:
        """The manifest of ``entry`` (name → sha256) after checking it: plain names, no links, every file's bytes as stored."""
        names = self.files(entry)
        for root, dirs, files in os.walk(entry):
            for item in [*dirs, *files]:
                if Path(root, item).is_symlink():
                    raise CacheEntryError(f"holds a symbolic link {Path(root, item).relative_to(entry)}")
        manifest = self._manifest(entry)
        for name in names:
            path = entry / name
            if not path.is_file():
                raise CacheEntryError(f"misses the file {name} it lists")
            if file_digest(path) != manifest[name]:
                raise CacheEntryError(f"has a file {name} whose bytes differ from those stored (SHA-256)")
        return manifest

    def _manifest(self, entry: Path) -> dict[str, str]:
        path = entry / MANIFEST
        if entry.is_symlink() or path.is_symlink():
            raise CacheEntryError(f"is a symbolic link ({MANIFEST})")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CacheEntryError(f"has a manifest that cannot be read ({exc})") from None
        files = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(files, dict) or not all(isinstance(d, str) and len(d) == 64 for d in files.values()):
            raise CacheEntryError("has a broken manifest (no file names with their SHA-256)")
        for name in files:
            if not safe_name(name):
                raise CacheEntryError(f"lists the file {name!r}, not a plain relative name inside the entry")
        return files

    def discard(self, key: str, why: str) -> None:
        """Remove a damaged entry (saying why); the run it held is made again."""
        log.warning("run cache entry %s (%s) %s; removed, the run is made again", key, self.entry(key), why)
        path = self.entry(key)
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)

    def put(self, key: str, files: dict[str, Path], *, digests: dict[str, str] | None = None) -> Path | None:
        """Store copies of ``files`` (name in the entry → source path); returns the entry, or ``None`` when it is not stored.

        ``digests`` (name → sha256): what the run wrote; a file whose copy has other bytes (another run
        wrote it since, or it was cut short) is not stored, nor is its entry. Without ``digests`` the
        copies' own are recorded.
        """
        path, tmp = self.entry(key), None
        bad = sorted(n for n in files if not safe_name(n) or n == MANIFEST)
        if bad:
            raise ValueError(f"run cache: {bad} are not plain relative names for an entry")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.tmp-", dir=path.parent))
            manifest = {}
            for name, source in sorted(files.items()):
                target = tmp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target, follow_symlinks=False)
                manifest[name] = file_digest(target)
                if digests is not None and manifest[name] != digests.get(name):
                    log.warning("run cache entry %s not stored: %s is not the file this run wrote (changed since)", key, source)
                    shutil.rmtree(tmp, ignore_errors=True)
                    return None
            (tmp / MANIFEST).write_text(json.dumps({"files": manifest}, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            with self.lock(key):
                if path.is_symlink():
                    path.unlink()
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
        return sorted(self._manifest(entry))

    def read(self, key: str, *, prefix: str = "") -> dict[str, bytes] | None:
        """The bytes of the entry's files whose names start with ``prefix`` (checked against the manifest), or ``None``.

        A file that does not check out removes the entry (with a warning naming it and the file).
        """
        with self.lock(key):
            entry = self.get(key)
            if entry is None:
                return None
            try:
                manifest = self.verify(entry)
                found = {}
                for name, sha in manifest.items():
                    if name.startswith(prefix):
                        data = (entry / name).read_bytes()
                        if sha256_bytes(data) != sha:
                            raise CacheEntryError(f"has a file {name} whose bytes differ from those stored (SHA-256)")
                        found[name] = data
            except (CacheEntryError, OSError) as exc:
                self.discard(key, str(exc))
                return None
        return found

    def restore(self, entry: Path, target_dir: Path, *, prefix: str = "") -> list[Path]:
        """Copy the entry's files whose names start with ``prefix`` into ``target_dir`` (prefix removed); returns the written paths.

        Every file is checked first (:class:`CacheEntryError` when one does not check out: nothing is written).
        """
        found = self.read(entry.name, prefix=prefix) if entry.parent.parent == self.root else None
        if found is None:
            raise CacheEntryError(f"run cache entry {entry.name} does not check out; it is made again")
        return write_files({name.removeprefix(prefix): data for name, data in found.items()}, target_dir)

    def prune(self, keep: int = MAX_ENTRIES) -> None:
        """Remove the least recently used entries beyond ``keep``."""
        entries = sorted((p for p in self.root.glob("??/*") if p.is_dir() and not p.name.startswith(".")), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
        for old in entries[keep:]:
            shutil.rmtree(old, ignore_errors=True)


def write_files(files: dict[str, bytes], target_dir: Path) -> list[Path]:
    """Write ``files`` (plain relative name → bytes) under ``target_dir``, each atomically; returns the paths."""
    from tifa.util.files import atomic_write

    written = []
    for name, data in sorted(files.items()):
        if not safe_name(name):
            raise CacheEntryError(f"{name!r} is not a plain relative name")
        written.append(atomic_write(target_dir / name, data))
    return written
