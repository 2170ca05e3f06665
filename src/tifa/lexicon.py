"""Lexicons as data files: slogans (``slogans.yaml``), domain terms, stopword additions.

Each file documents its schema at its top; readers here validate it and name
the file and entry in every error.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from tifa import config
from tifa.errors import InputError, OutputError
from tifa.util.files import read_lines

log = logging.getLogger(__name__)

SLOGAN_CATEGORIES = ("party_discipline", "ideology", "environmental_governance", "economy", "governance", "candidate")
_REQUIRED = ("id", "zh", "en", "category", "patterns", "first_used", "first_used_precision", "source")
# precision -> length of the ISO date; unknown: no date of first official use established (first_used: null)
PRECISIONS = {"day": 10, "month": 7, "year": 4, "upper-bound": None, "unknown": None}
LEXICON_MODES = ("extend", "replace")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SCHEMA = f"see the schema at the top of {config.SLOGANS_YAML.name} (data/lexicon/)"


@dataclass(frozen=True)
class Slogan:
    """One lexicon entry; ``literals`` are exact variants (always including ``zh``), ``regexes`` patterns."""

    id: str
    zh: str
    en: str
    category: str
    literals: tuple[str, ...]
    regexes: tuple[str, ...]
    first_used: str | None  # None only with first_used_precision "unknown"
    source: str
    notes: str = ""
    exclude: tuple[str, ...] = ()  # regexes: a match inside a span they match is not the slogan
    first_used_precision: str = "day"  # day, month, year, upper-bound (attested by then; may be earlier) or unknown
    coined: str | None = None  # earlier coinage outside the centre
    coined_source: str = ""
    where: str = field(default="", compare=False, repr=False)  # "<file>, line <n>": where the entry is written


class _Mapping(dict):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader whose mappings keep their line numbers (for errors that name the line)."""


def _mapping_with_lines(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {key.value: key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_lines)


def _read_entries(path: Path) -> list:
    """The ``slogans:`` list of a lexicon file, its mappings carrying their line numbers."""
    try:
        spec = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where}: cannot read the slogan lexicon ({exc}). Fix the file (YAML, UTF-8); {_SCHEMA}.") from exc
    entries = spec.get("slogans") if isinstance(spec, dict) else None
    if not entries or not isinstance(entries, list):
        raise InputError(f"{path}: no 'slogans:' list; {_SCHEMA}")
    return entries


@lru_cache(maxsize=8)
def load_slogans(path: str | Path = config.SLOGANS_YAML) -> tuple[Slogan, ...]:
    """Read and validate a slogan lexicon file; an error names the file, the line of the bad entry and the fix."""
    path = Path(path)
    slogans, seen = [], {}
    for i, entry in enumerate(_read_entries(path), start=1):
        if not isinstance(entry, dict):
            raise InputError(f"{path}: entry {i} is not a mapping ({entry!r}); write 'key: value' lines under '- id: …'; {_SCHEMA}")
        slogan = _slogan(entry, path, i)
        for key in ("id", "zh"):
            value = getattr(slogan, key)
            if (key, value) in seen:
                raise InputError(f"{slogan.where}: entry {i} ({slogan.id}): {key} {value!r} repeats entry {seen[(key, value)]}; give each entry its own {key} or merge the two")
            seen[(key, value)] = i
        slogans.append(slogan)
    return tuple(slogans)


def load_lexicon(path: str | Path | None = None, *, mode: str = "extend", packaged: str | Path = config.SLOGANS_YAML) -> tuple[Slogan, ...]:
    """The slogan lexicon of a study: the packaged one, extended by the user's file ``path`` (same schema) or replaced by it.

    ``mode="extend"`` (default): the user's entries are added after the packaged
    ones; an entry with the ``id`` of a packaged entry replaces it where it stands
    (to redate or widen a packaged slogan), and an entry that writes a form
    (``zh`` or literal) of another packaged entry is an error naming both
    lines. ``mode="replace"``: only the user's entries.
    """
    if mode not in LEXICON_MODES:
        raise InputError(f"lexicon mode {mode!r} is not one of {LEXICON_MODES}")
    base = load_slogans(packaged)
    if path is None:
        if mode == "replace":
            raise InputError("lexicon mode 'replace' needs a lexicon file: give its path (--lexicon PATH, or lexicon: in the study parameters)")
        return base
    user = load_slogans(path)
    if mode == "replace":
        return user
    replaced = {s.id: s for s in user if s.id in {b.id for b in base}}
    kept = [b for b in base if b.id not in replaced]
    forms = {form: b for b in kept for form in b.literals}
    for entry in user:
        for form in entry.literals:
            other = forms.get(form)
            if other is not None:
                raise InputError(
                    f"{entry.where}: entry {entry.id} writes {form!r}, a form of the packaged entry {other.id} ({other.where}); "
                    f"give your entry the id {other.id} to replace that entry, or leave the form out"
                )
    for sid, entry in replaced.items():
        log.info("%s: entry %s replaces the packaged entry of that id", entry.where, sid)
    return tuple([replaced.get(b.id, b) for b in base] + [s for s in user if s.id not in replaced])


_CANDIDATE_HEADER = """\
# Candidate slogans found by `tifa discover`{corpus}, written for review in the schema of the packaged
# lexicon (data/lexicon/slogans.yaml, documented at its top).
#
# The file loads as it is: each candidate has `category: candidate` and `first_used: null` with
# `first_used_precision: unknown` (no date of first official use established), so it is counted in
# every table and figure, has no lag behind first official use and cannot make an anachronism.
# To review an entry: delete it if it is no slogan; otherwise replace each TODO: an English gloss
# (`en`, the figure label), a category, other written forms (`patterns`) and, where the centre used
# it, the date of first official use with its precision and what establishes it (`source`).
# A local formula that the centre never used keeps `first_used: null` and `unknown`.
# Use it: tifa slogans --lexicon THIS_FILE (added to the packaged lexicon; --lexicon-mode replace: alone),
# or `lexicon: THIS_FILE` in the study parameters.
slogans:
"""


def write_lexicon(candidates: pd.DataFrame, path: str | Path, *, known: Sequence[Slogan] = (), corpus: str = "") -> Path:
    """Write discovery candidates (:func:`tifa.slogans.discover_slogans`: ``candidate, kind, count, n_docs, docs``) as a
    lexicon file for review; it loads as written (:func:`load_slogans`). An existing file is not overwritten."""
    from tifa.util.files import atomic_write

    path = Path(path)
    if path.exists():
        raise OutputError(f"{path} exists: it may hold a reviewed lexicon. Choose another path or delete the file first.")
    ids = {s.id for s in known}
    lines = [_CANDIDATE_HEADER.format(corpus=f" in {corpus}" if corpus else "")]
    for row in candidates.itertuples(index=False):
        sid = _candidate_id(row.candidate, ids)
        ids.add(sid)
        docs = "document" if row.n_docs == 1 else "documents"
        lines.append(
            f"  - id: {sid}\n"
            f"    zh: {_quoted(row.candidate)}\n"
            f"    en: {_quoted(_romanised(row.candidate).capitalize() + ' (candidate)')}  # TODO: English gloss (the figure label)\n"
            f"    category: candidate  # TODO: {', '.join(SLOGAN_CATEGORIES[:-1])}\n"
            f"    patterns: []  # other written forms: {{literal: \"…\"}} or {{regex: '…'}}\n"
            f"    first_used: null  # TODO: first official (central) use, \"YYYY-MM-DD\", \"YYYY-MM\" or \"YYYY\"; null for a local formula\n"
            f"    first_used_precision: unknown  # TODO: day, month, year or upper-bound once first_used is set\n"
            f"    source: {_quoted(f'tifa discover: {row.count} mentions in {row.n_docs} {docs}')}  # TODO: what establishes first_used\n"
            f"    notes: {_quoted(f'{row.kind}; in {row.docs}')}\n\n"
        )
    return atomic_write(path, "".join(lines).rstrip("\n") + "\n")


def _romanised(text: str) -> str:
    """Pinyin of the Han characters of ``text``, two syllables a word (``十个聚焦`` → ``shige jujiao``)."""
    from pypinyin import lazy_pinyin

    syllables = [re.sub(r"[^a-z]", "", p) for p in lazy_pinyin([c for c in text if "\u3400" <= c <= "\u9fff"])]
    syllables = [p for p in syllables if p]
    return " ".join("".join(syllables[i : i + 2]) for i in range(0, len(syllables), 2))


def _candidate_id(text: str, taken: set[str]) -> str:
    """An unused snake_case id from the pinyin of ``text`` (``shige_jujiao``, ``shige_jujiao_2`` …)."""
    base = _romanised(text).replace(" ", "_")[:40].strip("_") or "candidate"
    base = base if _ID.match(base) else f"c_{base}"
    sid, n = base, 1
    while sid in taken:
        n += 1
        sid = f"{base}_{n}"
    return sid


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _slogan(entry: _Mapping, path: Path, i: int) -> Slogan:
    """One validated entry (the ``i``-th of ``path``); errors name the line of the bad key."""
    name = entry.get("id", "?")

    def at(key: str | None = None, item=None) -> str:  # "<file>, line <n>: entry <i> (<id>)" of a key, or of a nested mapping
        line = getattr(item, "line", 0) or getattr(entry, "key_lines", {}).get(key) or entry.line
        return f"{path}, line {line}: entry {i} ({name})"

    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise InputError(f"{at()} lacks {missing}; add them ({_SCHEMA})")
    if not isinstance(entry["id"], str) or not _ID.match(entry["id"]):
        raise InputError(f"{at('id')}: id {entry['id']!r} is not ASCII snake_case; write it like liangxue_yizuo")
    if not isinstance(entry["zh"], str) or not entry["zh"].strip():
        raise InputError(f"{at('zh')}: zh {entry['zh']!r} must be the canonical Chinese form")
    if entry["category"] not in SLOGAN_CATEGORIES:
        raise InputError(f"{at('category')}: category {entry['category']!r} is not one of {SLOGAN_CATEGORIES}")
    precision = entry["first_used_precision"]
    if precision not in PRECISIONS:
        raise InputError(f"{at('first_used_precision')}: first_used_precision {precision!r} is not one of {list(PRECISIONS)}")
    first_used = None if entry["first_used"] is None else str(entry["first_used"])
    if precision == "unknown":
        if first_used is not None:
            raise InputError(f"{at('first_used')}: first_used {first_used!r} with precision 'unknown'; write first_used: null, or give the date's precision (day, month, year, upper-bound)")
    elif first_used is None or not _DATE.match(first_used):
        raise InputError(f"{at('first_used')}: first_used {first_used!r} is not YYYY-MM-DD, YYYY-MM or YYYY (quoted); when no date of first official use is known, write first_used: null and first_used_precision: unknown")
    elif PRECISIONS[precision] not in (None, len(first_used)):
        raise InputError(f"{at('first_used')}: first_used {first_used!r} does not have the precision {precision!r}; write the date as {'YYYY-MM-DD' if precision == 'day' else 'YYYY-MM' if precision == 'month' else 'YYYY'}")
    coined = entry.get("coined")
    if coined is not None:
        coined = str(coined)
        if not _DATE.match(coined) or not entry.get("coined_source"):
            raise InputError(f"{at('coined')}: coined {coined!r} must be YYYY-MM-DD, YYYY-MM or YYYY and come with coined_source")
        if first_used is not None and coined > first_used:
            raise InputError(f"{at('coined')}: coined {coined} is after first_used {first_used}; coinage outside the centre precedes official use")
    if not isinstance(entry["patterns"] or [], list):
        raise InputError(f"{at('patterns')}: patterns must be a list ([] when the canonical form is enough)")
    literals, regexes = [entry["zh"]], []
    for pattern in entry["patterns"] or []:
        if isinstance(pattern, dict) and isinstance(pattern.get("literal"), str):
            literals.append(pattern["literal"])
        elif isinstance(pattern, dict) and isinstance(pattern.get("regex"), str):
            try:
                re.compile(pattern["regex"])
            except re.error as exc:
                raise InputError(f"{at('patterns', pattern)}: invalid regex {pattern['regex']!r} ({exc})") from exc
            regexes.append(pattern["regex"])
        else:
            raise InputError(f"{at('patterns', pattern)}: a pattern must be {{literal: ...}} or {{regex: ...}}, not {dict(pattern) if isinstance(pattern, dict) else pattern!r}")
    return Slogan(
        id=entry["id"],
        zh=entry["zh"],
        en=str(entry["en"]),
        category=entry["category"],
        literals=tuple(dict.fromkeys(literals)),
        regexes=tuple(regexes),
        first_used=first_used,
        source=str(entry["source"] or ""),
        notes=entry.get("notes", "") or "",
        exclude=tuple(_compiled(entry.get("exclude") or [], at("exclude"))),
        first_used_precision=precision,
        coined=coined,
        coined_source=entry.get("coined_source", "") or "",
        where=f"{path}, line {entry.line}",
    )


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
    *,
    slogans: Sequence[Slogan] | None = None,
) -> tuple[tuple[str, str], ...]:
    """Words the segmenter must keep whole: every slogan's literal forms (of ``slogans``, e.g. a study's
    :func:`load_lexicon`; default: the file ``slogans_path``), the domain terms and the reviewed compounds, sorted."""
    entries = load_slogans(slogans_path) if slogans is None else slogans
    words = {word: "nz" for word, _ in load_compounds(compounds_path)}
    words.update({literal: "nz" for s in entries for literal in s.literals})
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
