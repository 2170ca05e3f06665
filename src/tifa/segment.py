"""Word segmentation: a segmenter object with its own dictionary state (no global jieba state).

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

import json
import logging
import re
from collections.abc import Iterable
from functools import cached_property, lru_cache
from importlib.metadata import version
from pathlib import Path

from tifa import config
from tifa.errors import InputError
from tifa.lexicon import user_dictionary
from tifa.util.files import atomic_write
from tifa.util.hashing import file_digest, sha256_text

log = logging.getLogger(__name__)

BACKENDS = ("jieba", "rjieba")
_JIEBA_SPLITS = re.compile(r"[^\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]")  # jieba cuts text at these before its dictionary is consulted
_SPACE = re.compile(r"\s")  # the characters str.isspace() is true for


def _quiet_jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict … Loading model cost …" must not reach notebooks
    return jieba


def dictionary_path() -> Path:
    """jieba's main dictionary file (both backends load it)."""
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


@lru_cache(maxsize=1)
def _dictionary_sha256() -> str:
    """sha256 of jieba's main dictionary (part of every cache key that depends on it)."""
    return file_digest(dictionary_path())


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
        path = config.CACHE_DIR / "user_words" / f"{sha256_text(spec)[:24]}.json"
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
            atomic_write(path, json.dumps(freqs, ensure_ascii=False))
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
        if _SPACE.search(text) is None:  # no whitespace in the text: no whitespace token to drop (most paragraphs)
            return words
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
        return sha256_text(json.dumps(spec, ensure_ascii=False, sort_keys=True))
