"""Tokens: the segmenter, the token filters and the tokens of a corpus, under one name.

The pieces live where they are defined — :mod:`tifa.segment` (the
:class:`Segmenter`), :mod:`tifa.filters` (:class:`TokenFilter`),
:mod:`tifa.features` (:func:`tokens`, the token cache and the matrices),
:mod:`tifa.compounds` (multiword expressions) — and are gathered here for
``from tifa.tokens import Segmenter, TokenFilter, tokens``.
"""

from __future__ import annotations

from tifa.features import Tokens, segment_document, tokens
from tifa.filters import RAW_FILTER, TokenFilter, is_punct
from tifa.segment import BACKENDS, Segmenter

__all__ = ["BACKENDS", "RAW_FILTER", "Segmenter", "TokenFilter", "Tokens", "is_punct", "segment_document", "tokens"]
