"""Lexicons as data files: slogans (``slogans.yaml``), domain terms, stopword additions.

Each file documents its schema at its top; readers here validate it and name
the file and entry in every error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tifa import config
from tifa.errors import InputError
from tifa.util.files import read_lines, read_yaml

SLOGAN_CATEGORIES = ("party_discipline", "ideology", "environmental_governance", "economy", "governance")
_REQUIRED = ("id", "zh", "en", "category", "patterns", "first_used", "first_used_precision", "source")
PRECISIONS = {"day": 10, "month": 7, "year": 4, "upper-bound": None}  # precision -> length of the ISO date
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Slogan:
    """One lexicon entry; ``literals`` are exact variants (always including ``zh``), ``regexes`` patterns."""

    id: str
    zh: str
    en: str
    category: str
    literals: tuple[str, ...]
    regexes: tuple[str, ...]
    first_used: str
    source: str
    notes: str = ""
    exclude: tuple[str, ...] = ()  # regexes: a match inside a span they match is not the slogan
    first_used_precision: str = "day"  # day, month, year, or upper-bound (official use attested by then; may be earlier)
    coined: str | None = None  # earlier coinage outside the centre
    coined_source: str = ""


@lru_cache(maxsize=8)
def load_slogans(path: str | Path = config.SLOGANS_YAML) -> tuple[Slogan, ...]:
    """Read and validate the slogan lexicon."""
    path = Path(path)
    entries = read_yaml(path, "the slogan lexicon").get("slogans")
    if not entries or not isinstance(entries, list):
        raise InputError(f"{path}: no 'slogans:' list; see the schema at the top of the file")
    slogans, seen = [], {}
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise InputError(f"{path}: entry {i} is not a mapping ({entry!r}); see the schema at the top of the file")
        where = f"{path}: entry {i} ({entry.get('id', '?')})"
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise InputError(f"{where} lacks {missing}")
        if entry["category"] not in SLOGAN_CATEGORIES:
            raise InputError(f"{where}: category {entry['category']!r} is not one of {SLOGAN_CATEGORIES}")
        first_used = str(entry["first_used"])
        if not _DATE.match(first_used):
            raise InputError(f"{where}: first_used {first_used!r} is not YYYY-MM-DD, YYYY-MM or YYYY")
        precision = entry["first_used_precision"]
        if precision not in PRECISIONS:
            raise InputError(f"{where}: first_used_precision {precision!r} is not one of {list(PRECISIONS)}")
        if PRECISIONS[precision] not in (None, len(first_used)):
            raise InputError(f"{where}: first_used {first_used!r} does not have the precision {precision!r}; write the date as {'YYYY-MM-DD' if precision == 'day' else 'YYYY-MM' if precision == 'month' else 'YYYY'}")
        coined = entry.get("coined")
        if coined is not None:
            coined = str(coined)
            if not _DATE.match(coined) or not entry.get("coined_source"):
                raise InputError(f"{where}: coined {coined!r} must be YYYY-MM-DD, YYYY-MM or YYYY and come with coined_source")
            if coined > first_used:
                raise InputError(f"{where}: coined {coined} is after first_used {first_used}; coinage outside the centre precedes official use")
        for key in ("id", "zh"):
            if (key, entry[key]) in seen:
                raise InputError(f"{where}: {key} {entry[key]!r} repeats entry {seen[(key, entry[key])]}")
            seen[(key, entry[key])] = i
        literals, regexes = [entry["zh"]], []
        for pattern in entry["patterns"] or []:
            if "literal" in pattern:
                literals.append(pattern["literal"])
            elif "regex" in pattern:
                try:
                    re.compile(pattern["regex"])
                except re.error as exc:
                    raise InputError(f"{where}: invalid regex {pattern['regex']!r} ({exc})") from exc
                regexes.append(pattern["regex"])
            else:
                raise InputError(f"{where}: a pattern must be {{literal: ...}} or {{regex: ...}}, not {pattern!r}")
        slogans.append(
            Slogan(
                id=entry["id"],
                zh=entry["zh"],
                en=entry["en"],
                category=entry["category"],
                literals=tuple(dict.fromkeys(literals)),
                regexes=tuple(regexes),
                first_used=first_used,
                source=entry["source"],
                notes=entry.get("notes", "") or "",
                exclude=tuple(_compiled(entry.get("exclude") or [], where)),
                first_used_precision=precision,
                coined=coined,
                coined_source=entry.get("coined_source", "") or "",
            )
        )
    return tuple(slogans)


def _compiled(patterns: list[str], where: str) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(f"{where}: invalid exclude regex {pattern!r} ({exc})") from exc
    return patterns


@lru_cache(maxsize=8)
def load_domain_terms(path: str | Path = config.DOMAIN_TERMS) -> tuple[tuple[str, str], ...]:
    """``(term, part-of-speech tag)`` pairs of the domain-terms file (tag defaults to ``nz``)."""
    terms = []
    for line in read_lines(Path(path)):
        word, _, tag = line.partition(" ")
        terms.append((word, tag.strip() or "nz"))
    return tuple(terms)


@lru_cache(maxsize=8)
def load_compounds(path: str | Path = config.COMPOUNDS) -> tuple[tuple[str, str], ...]:
    """``(compound, source note)`` pairs of the reviewed compounds file (schema at its top)."""
    path = Path(path)
    entries = []
    for i, line in enumerate(read_lines(path), start=1):
        word, sep, source = line.partition("\t")
        if not sep or not source.strip() or " " in word:
            raise InputError(f"{path}: entry {i} ({line!r}) is not 'compound<TAB>source note'; see the schema at the top of the file")
        entries.append((word, source.strip()))
    return tuple(entries)


def user_dictionary(
    slogans_path: str | Path = config.SLOGANS_YAML,
    terms_path: str | Path = config.DOMAIN_TERMS,
    compounds_path: str | Path = config.COMPOUNDS,
) -> tuple[tuple[str, str], ...]:
    """Words the segmenter must keep whole: every slogan's literal forms, the domain terms and the reviewed compounds, sorted."""
    words = {word: "nz" for word, _ in load_compounds(compounds_path)}
    words.update({literal: "nz" for s in load_slogans(slogans_path) for literal in s.literals})
    words.update(dict(load_domain_terms(terms_path)))
    return tuple(sorted(words.items()))


@lru_cache(maxsize=2)
def place_names(terms_path: str | Path = config.DOMAIN_TERMS, regions_path: str | Path = config.REGIONS_CSV) -> frozenset[str]:
    """Place names without a part-of-speech tagger: jieba's dictionary words tagged ``ns``, the domain terms
    tagged ``ns`` and the gazetteer's full and short names (``湖南省``, ``湖南``)."""
    import csv

    import jieba

    names = set()
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "ns":
                names.add(parts[0])
    names |= {word for word, tag in load_domain_terms(terms_path) if tag == "ns"}
    with Path(regions_path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names |= {row["name_zh"], row["short_zh"]} - {""}
    return frozenset(names)


@lru_cache(maxsize=8)
def load_stopwords(extra_path: str | Path = config.STOPWORDS_EXTRA, genre_path: str | Path = config.STOPWORDS_GENRE) -> frozenset[str]:
    """The stopwords-iso Chinese list (package ``stopwordsiso``), the enumerators and forms of address of
    ``stopwords_extra.txt`` and the genre's function words of ``stopwords_genre.txt`` (rule at its top)."""
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("zh")) | frozenset(read_lines(Path(extra_path))) | frozenset(read_lines(Path(genre_path)))
