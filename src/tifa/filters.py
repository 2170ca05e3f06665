"""Token filters: which tokens an analysis keeps (stopwords, punctuation, numbers, short words, a vocabulary, tags)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tifa import config
from tifa.lexicon import load_stopwords, place_names

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
    exclude: frozenset[str] = field(default=frozenset(), repr=False)  # drop these words (e.g. place names: without_places())
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
        if token in self.exclude:
            return False
        if self.vocabulary is not None and token not in self.vocabulary:
            return False
        prefixes = self.pos_prefixes
        return prefixes is None or (tag is not None and tag.startswith(prefixes))

    def kept_form(self, item: str | tuple[str, str]) -> str | None:
        """The form a word (or ``(word, tag)`` pair) is kept as, or None; decided once per distinct item and remembered."""
        decided = self._decided
        kept = decided.get(item, _UNDECIDED)
        if kept is _UNDECIDED:
            if len(decided) > _MAX_DECIDED:
                decided.clear()
            word, tag = (item, None) if isinstance(item, str) else item
            kept = decided[item] = (word.lower() if self.lowercase else word) if self.keep(word, tag) else None
        return kept

    def apply(self, tokens: Sequence[str] | Sequence[tuple[str, str]]) -> list[str]:
        """Filtered tokens; items may be words or ``(word, tag)`` pairs."""
        decided, out = self._decided, []
        for item in tokens:
            if not isinstance(item, str):
                item = tuple(item)
            kept = decided.get(item, _UNDECIDED)  # the hit inline (once per token), the decision in kept_form (once per word)
            if kept is _UNDECIDED:
                kept = self.kept_form(item)
            if kept is not None:
                out.append(kept)
        return out


RAW_FILTER = TokenFilter(remove_stopwords=False, remove_punct=False, remove_numbers=False, min_chars=1, lowercase=False, stopwords=frozenset())


def without_places(token_filter: TokenFilter | None = None) -> TokenFilter:
    """``token_filter`` (default: the default filter) that also drops place names (:func:`tifa.lexicon.place_names`).

    Keyness and top terms of provinces are otherwise led by their own geography (湖南: 洞庭湖, 湘江).
    """
    base = token_filter or TokenFilter()
    return replace(base, exclude=base.exclude | place_names())
