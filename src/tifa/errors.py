"""The package's own errors: bad input gets a message that names the file (and line/row) and the fix.

The command line prints a :class:`TifaError` as ``error: …`` and exits with
status 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import errno
import re


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


_FULL = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded", errno.EFBIG: "file too large (a file-size limit such as ulimit -f, or the file system's)"}


def write_failure(exc: OSError) -> str:
    """What a failed write met, for a message: ``disk full: <path>`` for ENOSPC (also when pyarrow only has it in its text)."""
    code = exc.errno
    if code is None:  # pyarrow's OSError: "... Detail: [errno 28] No space left on device"
        found = re.search(r"\[errno (\d+)\]", str(exc))
        code = int(found.group(1)) if found else None
    what = _FULL.get(code)
    what = (f"{what} ({exc.strerror})" if exc.strerror else what) if what else exc.strerror or str(exc)
    return f"{what}: {exc.filename}" if exc.filename else what
