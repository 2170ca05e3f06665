"""The package's own errors: bad input gets a message that names the file (and line/row) and the fix.

The command line prints a :class:`TifaError` as ``error: …`` and exits with
status 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations


class TifaError(Exception):
    """Base of every error tifa raises about its input, its parameters or its output folders."""


class InputError(TifaError, ValueError):
    """A bad parameter, lexicon, rule file or registry entry (also a ``ValueError`` for older callers)."""


class CorpusError(InputError):
    """Bad corpus input: the message names the file (and line/row) and the fix."""


class MissingFileError(TifaError, FileNotFoundError):
    """An input file that a step needs does not exist (e.g. executed notebooks before ``tifa report``)."""


class OutputError(TifaError, OSError):
    """An output folder that cannot be written, or that must not be written (raw data, the corpus itself)."""


class StudyError(TifaError):
    """A notebook of the study failed; the message names it and its executed copy (which shows the traceback)."""
