"""Segmentation into tokens: a segmenter object (no global jieba state), a token cache, token filters.

Two backends give the same words where it is claimed:

- ``rjieba`` (default, with ``hmm=False``): jieba-rs, 13–20 times faster than jieba
  (bench/segment.py), with tokens identical to jieba's without HMM (tested on the
  seeds and the national reports); on the SIGHAN 2005 gold sets HMM off also scores
  higher F1 than HMM on (README, bench/segment_f1.py);
- ``jieba``: the reference implementation. With ``hmm=True`` or part-of-speech tags
  the two differ in places (e.g. ``2011-2020``, tags of numbers), so no identity is
  claimed there.

Both load jieba's dictionary plus the user dictionary (every slogan form in
``slogans.yaml`` and the terms in ``domain_terms.txt``), each word added with the
frequency jieba's ``suggest_freq`` gives it, so that ``两学一做`` or
``绿水青山就是金山银山`` stay one token.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from tifa import config
from tifa.text import split_paragraphs
from tifa.corpus import Corpus, check_parts, document_paragraphs, paragraph_id
from tifa.errors import InputError
from tifa.lexicon import load_stopwords, user_dictionary

log = logging.getLogger(__name__)

BACKENDS = ("jieba", "rjieba")
_JIEBA_SPLITS = re.compile(r"[^\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]")  # jieba cuts text at these before its dictionary is consulted


def _quiet_jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict … Loading model cost …" must not reach notebooks
    return jieba


@lru_cache(maxsize=1)
def _dictionary_sha256() -> str:
    """sha256 of jieba's main dictionary (part of every cache key that depends on it)."""
    import jieba

    return hashlib.sha256((Path(jieba.__file__).parent / "dict.txt").read_bytes()).hexdigest()


class Segmenter:
    """Word segmenter with its own dictionary state.

    ``backend``: ``"rjieba"`` (default) or ``"jieba"``; ``hmm``: jieba's HMM for words
    not in the dictionary (off by default: more accurate on gold standards, and the
    two backends then give identical tokens);
    ``user_words``: ``(word, tag)`` pairs kept whole (default: the project lexicons).
    """

    def __init__(self, backend: str = "rjieba", *, hmm: bool = False, user_words: Iterable[tuple[str, str]] | None = None):
        if backend not in BACKENDS:
            raise InputError(f"backend must be one of {BACKENDS}, not {backend!r}")
        self.backend = backend
        self.hmm = hmm
        self.user_words = tuple(user_dictionary() if user_words is None else user_words)

    def __repr__(self) -> str:
        return f"Segmenter(backend={self.backend!r}, hmm={self.hmm}, user_words={len(self.user_words)})"

    @cached_property
    def _jieba(self):
        jieba = _quiet_jieba()
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word, tag in self.user_words:
            tokenizer.add_word(word, tokenizer.suggest_freq(word, False), tag)
        return tokenizer

    @cached_property
    def _word_freqs(self) -> tuple[tuple[str, int, str], ...]:
        """User words with the frequency jieba gave them (shared by both backends).

        Asking jieba (``suggest_freq``) means loading its whole dictionary in Python
        (~1.5 s); the answer depends only on jieba's version and dictionary and on
        the user words, so it is cached under ``config.CACHE_DIR`` by their hash
        and read back (validated) by later processes, e.g. the study's notebooks.
        """
        spec = json.dumps([version("jieba"), _dictionary_sha256(), self.user_words], ensure_ascii=False)
        path = config.CACHE_DIR / "user_words" / f"{hashlib.sha256(spec.encode()).hexdigest()[:24]}.json"
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            freqs = tuple((str(w), int(f), str(t)) for w, f, t in cached)
            if [(w, t) for w, _, t in freqs] == [tuple(x) for x in self.user_words]:
                return freqs
            log.warning("%s does not match the user words: recomputing it", path)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as exc:
            log.warning("%s is unreadable (%s): recomputing it", path, exc)
        freqs = tuple((w, int(self._jieba.FREQ[w]), t) for w, t in self.user_words)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(freqs, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            log.warning("cannot cache the user words' frequencies in %s (%s)", path.parent, exc)
        return freqs

    @cached_property
    def _rjieba(self):
        import rjieba

        engine = rjieba.Jieba()
        for word, freq, tag in self._word_freqs:
            engine.add_word(word, freq, tag)
        return engine

    @cached_property
    def _posseg(self):
        from jieba import posseg

        return posseg.POSTokenizer(self._jieba)

    @cached_property
    def _protected(self) -> tuple[re.Pattern[str] | None, dict[str, str]]:
        """User words that jieba would split before consulting its dictionary (``不忘初心、牢记使命``, ``互联网＋``).

        jieba cuts the text into runs of Han characters, Latin letters, digits and
        ``+#&._%-`` first; a user word with any other character (``、``, ``＋``,
        ``·``) can never be found. Such words are cut out before segmentation
        and put back whole (longest first).
        """
        tags = {w: t for w, t in self.user_words if _JIEBA_SPLITS.search(w)}
        if not tags:
            return None, {}
        alternation = "|".join(re.escape(w) for w in sorted(tags, key=lambda w: (-len(w), w)))
        return re.compile(f"({alternation})"), tags

    def _pieces(self, text: str) -> list[tuple[str, bool]]:
        """``text`` cut around protected user words: ``(piece, protected)`` pairs."""
        pattern, _ = self._protected
        if pattern is None:
            return [(text, False)]
        return [(piece, i % 2 == 1) for i, piece in enumerate(pattern.split(text)) if piece]

    def cut(self, text: str) -> list[str]:
        """Words of ``text``, whitespace tokens dropped; user words with ``、`` or ``＋`` stay whole."""
        words: list[str] = []
        for piece, protected in self._pieces(text):
            if protected:
                words.append(piece)
            else:
                words.extend(self._rjieba.cut(piece, self.hmm) if self.backend == "rjieba" else self._jieba.lcut(piece, HMM=self.hmm))
        return [w for w in words if not w.isspace()]

    def tag(self, text: str) -> list[tuple[str, str]]:
        """``(word, part-of-speech)`` pairs (jieba's tag set)."""
        _, tags = self._protected
        pairs: list[tuple[str, str]] = []
        for piece, protected in self._pieces(text):
            if protected:
                pairs.append((piece, tags[piece]))
            elif self.backend == "rjieba":
                pairs.extend(self._rjieba.tag(piece, self.hmm))
            else:
                pairs.extend((p.word, p.flag) for p in self._posseg.cut(piece, HMM=self.hmm))
        return [(w, t) for w, t in pairs if not w.isspace()]

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything that decides the output: backend and version, HMM, dictionary, user words."""
        spec = {
            "backend": self.backend,
            "version": version(self.backend),
            "jieba": version("jieba"),
            "hmm": self.hmm,
            "dictionary": _dictionary_sha256(),
            "user_words": self._word_freqs,
            "protected": sorted(self._protected[1]),  # words cut out before segmentation
        }
        return hashlib.sha256(json.dumps(spec, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# --- filtering ------------------------------------------------------------------

_NUMBER = re.compile(r"^[\d.,，．%％‰+\-−~～/]+$|^[零〇一二三四五六七八九十百千万亿两几]+$|^第?[\d零一二三四五六七八九十百千万亿]+[年月日号个项条次名位]?$")


def is_punct(token: str) -> bool:
    """True when a token has no letter, digit or Han character."""
    return not any(unicodedata.category(c)[0] in "LN" for c in token)


_UNDECIDED = object()
_MAX_DECIDED = 2_000_000  # distinct items remembered by a filter before it starts afresh (bounds memory on huge vocabularies)


@dataclass(frozen=True)
class TokenFilter:
    """Which tokens to keep. Defaults: drop stopwords, punctuation, numbers and single characters; lowercase Latin."""

    remove_stopwords: bool = True
    remove_punct: bool = True
    remove_numbers: bool = True
    min_chars: int = config.MIN_TOKEN_CHARS
    pos: Sequence[str] | None = None  # jieba tag prefixes to keep; "content" = config.CONTENT_POS
    vocabulary: frozenset[str] | None = field(default=None, repr=False)  # keep only these words (e.g. place names)
    lowercase: bool = True
    stopwords: frozenset[str] = field(default_factory=load_stopwords, repr=False)
    # what apply() decided for each distinct item (its kept form, or None): a corpus repeats a small vocabulary
    _decided: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @property
    def pos_prefixes(self) -> tuple[str, ...] | None:
        if self.pos is None:
            return None
        return tuple(config.CONTENT_POS) if self.pos == "content" else tuple(self.pos)

    def keep(self, token: str, tag: str | None = None) -> bool:
        if len(token) < self.min_chars:
            return False
        if self.remove_punct and is_punct(token):
            return False
        if self.remove_numbers and _NUMBER.match(token):
            return False
        if self.remove_stopwords and token in self.stopwords:
            return False
        if self.vocabulary is not None and token not in self.vocabulary:
            return False
        prefixes = self.pos_prefixes
        return prefixes is None or (tag is not None and tag.startswith(prefixes))

    def apply(self, tokens: Sequence[str] | Sequence[tuple[str, str]]) -> list[str]:
        """Filtered tokens; items may be words or ``(word, tag)`` pairs."""
        decided = self._decided
        if len(decided) > _MAX_DECIDED:
            decided.clear()
        out = []
        for item in tokens:
            if not isinstance(item, str):
                item = tuple(item)
            kept = decided.get(item, _UNDECIDED)
            if kept is _UNDECIDED:
                word, tag = (item, None) if isinstance(item, str) else item
                kept = decided[item] = (word.lower() if self.lowercase else word) if self.keep(word, tag) else None
            if kept is not None:
                out.append(kept)
        return out


# --- tokens of a corpus ---------------------------------------------------------------


@dataclass
class Tokens:
    """Tokens of a corpus, one row per paragraph (``doc_id``, ``paragraph_id``, ``part``, ``tokens``), with docvars by ``doc_id``.

    ``parts`` are the parts of the documents the units come from (``include_parts`` of :func:`tokens`).
    """

    units: pd.DataFrame
    docvars: pd.DataFrame
    segmenter: str
    filter: TokenFilter
    n_segmented: int = 0  # documents segmented in this call
    n_cached: int = 0  # documents read from the cache
    parts: tuple[str, ...] = config.DEFAULT_PARTS

    def documents(self) -> pd.Series:
        """All tokens of each document, in order, indexed by ``doc_id``."""
        joined = self.units.groupby("doc_id", sort=False)["tokens"].agg(lambda s: [t for toks in s for t in toks])
        joined = joined.reindex(self.docvars.index)
        return joined.map(lambda toks: toks if isinstance(toks, list) else [])  # a document without units of the parts

    def __len__(self) -> int:
        return int(self.units["tokens"].map(len).sum())


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.json"


def cache_key(text: str, segmenter: Segmenter, *, pos: bool) -> str:
    """Cache key of a text's segmentation: the text, the segmenter's fingerprint and whether tags are kept."""
    fingerprint = segmenter.fingerprint + (":pos" if pos else "")
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()


_SPACE = re.compile(r"\s+")


def _cache_problem(paragraphs: object, text: str, *, pos: bool) -> str | None:
    """What is wrong with a cached segmentation of ``text`` (``None``: nothing): shape, types, words that do not spell the text."""
    expected = split_paragraphs(text)
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
            if not all(isinstance(i, str) for i in items):
                return "does not hold words"
            words = items
        if _SPACE.sub("", "".join(words)) != _SPACE.sub("", paragraph):
            return "holds words that do not spell out the text"
    return None


def _read_cache(path: Path, text: str, *, pos: bool) -> list[list] | None:
    """A cached segmentation when it is valid for ``text``; otherwise ``None``, and a bad file is removed with a warning."""
    try:
        paragraphs = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        problem = f"cannot be read ({exc})"
    else:
        problem = _cache_problem(paragraphs, text, pos=pos)
        if problem is None:
            return paragraphs
    log.warning("%s: token cache file %s; discarded, the document is segmented again", path, problem)
    try:
        path.unlink()
    except OSError as exc:
        log.warning("%s: cannot remove the bad cache file (%s); it will be overwritten", path, exc)
    return None


def _write_cache(path: Path, paragraphs: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(paragraphs, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def segment_document(text: str, segmenter: Segmenter, *, pos: bool) -> list[list]:
    """Segment each paragraph of a cleaned text separately (paragraphs never share a token)."""
    run = segmenter.tag if pos else segmenter.cut
    return [run(paragraph) for paragraph in split_paragraphs(text)]


def tokens(
    corpus: Corpus,
    segmenter: Segmenter | None = None,
    *,
    token_filter: TokenFilter | None = None,
    cache_dir: str | Path | None = config.TOKEN_CACHE_DIR,
    progress: bool | None = None,
    include_parts: Sequence[str] | None = None,
) -> Tokens:
    """Segment and filter every document of ``corpus``.

    Units are the paragraphs of ``include_parts`` (default ``config.DEFAULT_PARTS``:
    front matter and body; appendices such as 名词解释 are left out); every
    paragraph is segmented and cached, so changing the parts does not re-segment.

    Raw segmentations are cached per document under ``cache_dir``, keyed by the
    text's hash and the segmenter's fingerprint (backend, versions, HMM,
    dictionary, user words): after a change to one document only that document
    is segmented again. ``cache_dir=None`` disables the cache. A cache file
    that is unreadable or does not fit its text is discarded with a warning; a
    cache folder that cannot be written gives one warning and no caching.
    """
    segmenter = segmenter or Segmenter()
    token_filter = token_filter or TokenFilter()
    parts = check_parts(include_parts)
    pos = token_filter.pos is not None
    cache = Path(cache_dir) if cache_dir is not None else None
    rows, n_segmented, n_cached = [], 0, 0
    writable = True
    docs = corpus.docs
    disable = (len(docs) < 50) if progress is None else not progress
    for doc_id, text in tqdm(zip(docs["doc_id"], docs["text"]), total=len(docs), desc="segmenting", unit="doc", disable=disable):
        path = _cache_path(cache, cache_key(text, segmenter, pos=pos)) if cache is not None else None
        paragraphs = _read_cache(path, text, pos=pos) if path is not None else None
        if paragraphs is not None:
            n_cached += 1
        else:
            paragraphs = segment_document(text, segmenter, pos=pos)
            n_segmented += 1
            if path is not None and writable:
                try:
                    _write_cache(path, paragraphs)
                except OSError as exc:
                    log.warning("%s: cannot write the token cache (%s); continuing without caching", cache, exc.strerror or exc)
                    writable = False
        for paragraph, (i, part, _, _) in zip(paragraphs, document_paragraphs(text)):
            if part in parts:
                items = [tuple(x) for x in paragraph] if pos else paragraph
                rows.append((doc_id, paragraph_id(doc_id, i), part, token_filter.apply(items)))
    log.info("segmented %d documents, %d from cache (%s)", n_segmented, n_cached, segmenter)
    units = pd.DataFrame(rows, columns=["doc_id", "paragraph_id", "part", "tokens"])
    return Tokens(units, corpus.docvars, repr(segmenter), token_filter, n_segmented, n_cached, parts)


# --- multiword expressions of the genre --------------------------------------------------

_HAN_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
# a run that starts or ends with one of these particles, conjunctions or prepositions is a phrase, not a word
_FUNCTION_EDGE = frozenset("的地得之和与及或是在了着过为对把被从向等也都就而并且其这那个些")


def _entropy(counter: dict[str, int]) -> float:
    import math

    total = sum(counter.values())
    return -sum(n / total * math.log2(n / total) for n in counter.values()) if total else 0.0


def propose_compounds(
    corpus: Corpus,
    segmenter: Segmenter | None = None,
    *,
    top: int | None = 50,
    min_count: int = config.COMPOUND_MIN_COUNT,
    max_tokens: int = 4,
    min_binding: float = config.COMPOUND_MIN_BINDING,
    min_entropy: float = config.COMPOUND_MIN_ENTROPY,
    cache_dir: str | Path | None = config.TOKEN_CACHE_DIR,
) -> pd.DataFrame:
    """Candidate compounds of the genre: runs of 2 to ``max_tokens`` adjacent tokens that behave as one word.

    A run of Han tokens (within a paragraph) is proposed when it occurs at least
    ``min_count`` times, its parts are bound to it (``binding``: its count over the
    count of its rarest part, ≥ ``min_binding``: 大湾 hardly occurs outside
    粤港澳大湾区) and both its edges are free (``left_entropy``, ``right_entropy``:
    branching entropy in bits of the tokens before and after it, each ≥
    ``min_entropy``; a paragraph edge counts as a new neighbour every time), so a
    fragment (粤港澳大湾, always followed by 区) is not proposed but the whole is.
    Runs already in the user dictionary, and runs that begin or end with a
    particle, conjunction or preposition (的, 和, 在 … :data:`_FUNCTION_EDGE`), are left out. Columns: ``candidate,
    tokens, count, docfreq, binding, pmi, left_entropy, right_entropy``, ranked by
    count, then candidate. Proposals are for review: accepted ones go into
    ``data/lexicon/compounds.txt``.
    """
    import math
    from collections import Counter, defaultdict

    segmenter = segmenter or Segmenter()
    raw = tokens(corpus, segmenter, token_filter=RAW_FILTER, cache_dir=cache_dir, progress=False)
    known = {w for w, _ in segmenter.user_words}
    unigrams: Counter[str] = Counter()
    runs: Counter[tuple[str, ...]] = Counter()
    for words in raw.units["tokens"]:
        unigrams.update(words)
        for n in range(2, max_tokens + 1):
            for i in range(len(words) - n + 1):
                run = tuple(words[i : i + n])
                if all(_HAN_ONLY.match(w) for w in run):
                    runs[run] += 1
    frequent = {run for run, n in runs.items() if n >= min_count and "".join(run) not in known and not (_FUNCTION_EDGE & {run[0], run[-1]})}
    left: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    right: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    docs: dict[tuple[str, ...], set[str]] = defaultdict(set)
    edge = 0
    for doc_id, words in zip(raw.units["doc_id"], raw.units["tokens"]):
        for n in range(2, max_tokens + 1):
            for i in range(len(words) - n + 1):
                run = tuple(words[i : i + n])
                if run in frequent:
                    edge += 1
                    left[run][words[i - 1] if i > 0 else f"\0{edge}"] += 1
                    right[run][words[i + n] if i + n < len(words) else f"\0{edge}"] += 1
                    docs[run].add(doc_id)
    total = sum(unigrams.values())
    rows = []
    for run in frequent:
        count = runs[run]
        binding = count / min(unigrams[w] for w in run)
        h_left, h_right = _entropy(left[run]), _entropy(right[run])
        if binding < min_binding or min(h_left, h_right) < min_entropy:
            continue
        pmi = math.log2(count / total) - sum(math.log2(unigrams[w] / total) for w in run)
        rows.append(("".join(run), " ".join(run), count, len(docs[run]), binding, pmi, h_left, h_right))
    table = pd.DataFrame(rows, columns=["candidate", "tokens", "count", "docfreq", "binding", "pmi", "left_entropy", "right_entropy"])
    table = _keep_longest(table)
    from tifa.util.tables import sort_table

    table = sort_table(table, ["count", "candidate"], ascending=[False, True]).reset_index(drop=True)
    return table if top is None else table.head(top)


def _keep_longest(table: pd.DataFrame) -> pd.DataFrame:
    """Drop a candidate inside a longer one that is nearly as frequent (它 adds nothing the longer form does not say)."""
    if table.empty:
        return table
    counts = dict(zip(table["candidate"], table["count"]))
    keep = [not any(c != other and c in other and n_other >= 0.8 * counts[c] for other, n_other in counts.items()) for c in table["candidate"]]
    return table[keep]


RAW_FILTER = TokenFilter(remove_stopwords=False, remove_punct=False, remove_numbers=False, min_chars=1, lowercase=False, stopwords=frozenset())
