"""Provenance: the versions, input checksums and random seeds behind the figures (no timestamps, no machine paths)."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import version
from pathlib import Path

from tifa import config
from tifa.corpus import check_source
from tifa.readers import source_files
from tifa.study.params import load_params
from tifa.util.hashing import file_digest

KEY_LIBRARIES = ("jieba", "rjieba", "matplotlib", "numpy", "opencc", "pandas", "scikit-learn", "scipy", "wordcloud", "pyahocorasick", "mpl-font")


def corpus_files(corpus_path: str | Path | None = None) -> list[Path]:
    """The input files of a corpus: metadata.csv and the texts it lists, or the one JSONL/CSV/Parquet file."""
    return source_files(check_source(corpus_path if corpus_path is not None else config.DATA_DIR))


def provenance(corpus_path: str | Path | None = None, *, text_field: str = "text", id_field: str = "doc_id", params: dict | None = None) -> dict:
    """Everything that decides the figures: versions, checksums of corpus, lexicons and user dictionary, random seeds.

    No timestamps and no machine paths: the same inputs give the same record.
    """
    from tifa.lexicon import load_lexicon, user_dictionary

    root = Path(corpus_path) if corpus_path is not None else config.DATA_DIR
    base = root if root.is_dir() else root.parent

    def rel(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(base.resolve()))
        except ValueError:
            return p.name

    params = load_params() if params is None else params
    files = [config.SLOGANS_YAML, config.DOMAIN_TERMS, config.STOPWORDS_EXTRA, config.TOPIC_LABELS_YAML, config.BOILERPLATE_YAML, config.REGIONS_CSV]
    lexicons = {p.name: file_digest(p) for p in files}
    user = Path(params["lexicon"]) if params.get("lexicon") else None
    if user is not None:  # the user's lexicon: recorded by its name and checksum, not by its path on this machine
        lexicons[f"user lexicon {user.name}"] = file_digest(user)
        params = {**params, "lexicon": user.name}
    dictionary = user_dictionary(slogans=load_lexicon(user, mode=params.get("lexicon_mode", "extend")))
    words = json.dumps(dictionary, ensure_ascii=False).encode("utf-8")
    return {
        "tifa": version("tifa"),
        "python": platform.python_version(),
        "libraries": {name: version(name) for name in KEY_LIBRARIES},
        "corpus": {rel(p): file_digest(p) for p in corpus_files(corpus_path)},
        "corpus_fields": {"text_field": text_field, "id_field": id_field},
        "study_params": params,
        "lexicons": lexicons,
        "user_dictionary": {"words": len(dictionary), "sha256": hashlib.sha256(words).hexdigest()},
        "random_seeds": {"random_state": config.RANDOM_STATE, "topic_seeds": list(config.TOPIC_SEEDS), "bootstrap_draws": config.TOPIC_BOOTSTRAP},
    }


def write_provenance(out_dir: str | Path = config.FIGURES_DIR, corpus_path: str | Path | None = None, *, outputs: dict[str, str] | None = None, **fields) -> Path:
    """Write ``provenance.json`` (sorted keys, byte-stable); ``fields``: ``text_field``, ``id_field``, ``params``.

    ``outputs``: the files the run wrote in ``out_dir`` (name → SHA-256), the record that says
    which files a later run may remove (:mod:`tifa.study.outputs`).
    """
    path = Path(out_dir) / "provenance.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = provenance(corpus_path, **fields)
    if outputs is not None:
        record["outputs"] = dict(sorted(outputs.items()))
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
