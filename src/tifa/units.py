"""Units: paragraphs and sentences of cleaned documents, with ids, parts and sections defined once.

A paragraph's id is ``<doc_id>:p0001`` (numbers count every part), a sentence's
``<doc_id>:p0001:s001``. Every paragraph has a ``part`` (``front``, ``body``,
``appendix``) and a ``section`` (its heading path), from :mod:`tifa.text`.
``include_parts`` is the one counting scope of every analysis: which parts are
counted, segmented, modelled, and whose Han characters are the exposure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import pandas as pd

from tifa import config
from tifa.errors import InputError
from tifa.text import (
    PARTS,
    count_han,
    paragraph_structure,
    split_paragraphs,
    split_sentences,
)

log = logging.getLogger(__name__)

UNIT_COLUMNS = ["doc_id", "paragraph_id", "position", "part", "section", "text"]


def paragraph_id(doc_id: str, n: int) -> str:
    """Id of the ``n``-th paragraph (from 1) of a document: ``<doc_id>:p0001``. Numbers count every part."""
    return f"{doc_id}:p{n:04d}"


def paragraph_number(pid: str) -> int:
    """The paragraph's number in its document, read back from :func:`paragraph_id` (``x:p0003`` → 3)."""
    return int(pid.rsplit(":p", 1)[1])


def sentence_id(pid: str, n: int) -> str:
    """Id of the ``n``-th sentence (from 1) of a paragraph: ``<doc_id>:p0001:s001``."""
    return f"{pid}:s{n:03d}"


def check_parts(include_parts: str | Sequence[str] | None) -> tuple[str, ...]:
    """The parts to keep (``None``: ``config.DEFAULT_PARTS``; ``"all"``: every part); unknown names are an :class:`InputError`."""
    if include_parts is None:
        return tuple(config.DEFAULT_PARTS)
    if include_parts == "all":
        return PARTS
    parts = tuple([include_parts] if isinstance(include_parts, str) else include_parts)
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise InputError(f"include_parts {list(parts)!r}: parts are {PARTS} (or 'all'); give one or more of them")
    return tuple(p for p in PARTS if p in parts)


def document_paragraphs(text: str) -> list[tuple[int, str, str, str]]:
    """``(number, part, section, paragraph)`` of every paragraph of a cleaned text, numbered from 1."""
    paragraphs = split_paragraphs(text)
    return [(i, u.part, u.section, para) for i, (para, u) in enumerate(zip(paragraphs, paragraph_structure(paragraphs)), start=1)]


def text_of_parts(text: str, include_parts: str | Sequence[str] | None = None) -> str:
    """The paragraphs of a cleaned text that belong to ``include_parts`` (default ``config.DEFAULT_PARTS``), one per line."""
    parts = check_parts(include_parts)
    return "\n\n".join(para for _, part, _, para in document_paragraphs(text) if part in parts)


def units_frame(doc_ids: Iterable[str], texts: Iterable[str]) -> pd.DataFrame:
    """One row per paragraph of every document (all parts): ``doc_id, paragraph_id, position, part, section, text``."""
    rows = [
        (doc_id, paragraph_id(doc_id, i), i, part, section, para)
        for doc_id, text in zip(doc_ids, texts)
        for i, part, section, para in document_paragraphs(text)
    ]
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    return frame.astype({"doc_id": "str", "paragraph_id": "str", "position": "int64", "part": "str", "section": "str", "text": "str"})


def parts_chars(units: pd.DataFrame, doc_ids: Sequence[str], include_parts: str | Sequence[str] | None = None) -> pd.Series:
    """Han characters of the ``include_parts`` paragraphs of each document (the exposure of every count), indexed by ``doc_id``."""
    parts = check_parts(include_parts)
    kept = units[units["part"].isin(parts)]
    chars = pd.Series([count_han(t) for t in kept["text"]], index=kept["doc_id"].to_numpy(), dtype="int64")
    return chars.groupby(level=0, sort=False).sum().reindex(list(doc_ids), fill_value=0)


def sentence_units(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """One row per sentence of the paragraphs: ``doc_id, paragraph_id, sentence_id, part, text``."""
    rows = [
        (doc_id, pid, sentence_id(pid, j), part, sent)
        for doc_id, pid, part, para in zip(paragraphs["doc_id"], paragraphs["paragraph_id"], paragraphs["part"], paragraphs["text"])
        for j, sent in enumerate(split_sentences(para), start=1)
    ]
    return pd.DataFrame(rows, columns=["doc_id", "paragraph_id", "sentence_id", "part", "text"])


DOCVAR_SUFFIX = "_docvar"  # a docvar named like an output column is renamed with this suffix (and the output says so)


def join_docvars(frame: pd.DataFrame, docvars: pd.DataFrame, *, on: str = "doc_id") -> pd.DataFrame:
    """``frame`` with the docvars of its ``on`` column (default ``doc_id``) appended.

    A docvar named like a column of ``frame`` (``position``, ``part``, ``left`` …)
    is renamed ``<name>_docvar``: the output column keeps its meaning, the docvar
    is still there, and ``attrs["renamed_docvars"]`` (and the log) say so.
    """
    renamed = {c: f"{c}{DOCVAR_SUFFIX}" for c in docvars.columns if c in frame.columns}
    if renamed:
        log.warning("docvars %s are named like output columns: renamed %s", list(renamed), list(renamed.values()))
        docvars = docvars.rename(columns=renamed)
    joined = frame.join(docvars, on=on)
    joined.attrs["renamed_docvars"] = {**frame.attrs.get("renamed_docvars", {}), **renamed}
    return joined
