"""Your own slogan lexicon on the command line: ``--lexicon PATH`` and ``--lexicon-mode`` on every command that counts
slogans, and ``tifa discover --write-lexicon PATH``.

``cli.py`` calls :func:`add_lexicon_options` once on its subcommands and each
counting command (also ``tifa model`` and ``tifa hazard``, which live with their
analyses: this module sits below them) calls :func:`lexicon_matcher`; the lexicon itself is
:func:`tifa.lexicon.load_lexicon` (same schema as the packaged file, errors with
file and line).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tifa.lexicon import LEXICON_MODES, load_lexicon, write_lexicon

if TYPE_CHECKING:
    import pandas as pd

    from tifa.matcher import SloganMatcher

COUNTING_COMMANDS = ("slogans", "panel", "adoption", "kwic", "discover", "anachronisms", "model", "hazard")


def add_lexicon_options(subparsers: argparse._SubParsersAction, commands: tuple[str, ...] = COUNTING_COMMANDS) -> None:
    """Add ``--lexicon`` and ``--lexicon-mode`` to the subcommands ``commands`` (and ``--write-lexicon`` to ``discover``)."""
    for name in commands:
        parser = subparsers.choices.get(name)
        if parser is None:  # a command this CLI does not have
            continue
        parser.add_argument("--lexicon", default=None, metavar="PATH", help="your own slogan lexicon (YAML, the schema of data/lexicon/slogans.yaml)")
        parser.add_argument("--lexicon-mode", choices=LEXICON_MODES, default="extend", help="extend (default): the packaged lexicon plus yours (your entry with a packaged id replaces it); replace: yours alone")
        if name == "discover":
            parser.add_argument("--write-lexicon", default=None, metavar="PATH", help="also write the candidates as a lexicon file for review (loads with --lexicon; an existing file is not overwritten)")


def lexicon_matcher(args: argparse.Namespace) -> SloganMatcher:
    """The slogan matcher of a command: the packaged lexicon, extended or replaced by ``--lexicon``."""
    from tifa.matcher import SloganMatcher

    return SloganMatcher(load_lexicon(getattr(args, "lexicon", None), mode=getattr(args, "lexicon_mode", "extend")))


def write_discovered(args: argparse.Namespace, candidates: pd.DataFrame, matcher: SloganMatcher) -> None:
    """With ``--write-lexicon PATH``: write ``candidates`` there as a lexicon for review (ids kept apart from ``matcher``'s)."""
    if getattr(args, "write_lexicon", None):
        path = write_lexicon(candidates, args.write_lexicon, known=matcher.slogans, corpus=args.corpus or "the embedded corpus")
        print(f"wrote {len(candidates)} candidates to {path}: review them, then count with --lexicon {path}", file=sys.stderr)
