"""Run the command line in-process and classify each outcome; count outcomes for the session's report.

Outcomes: ``success`` (exit 0), ``clean error`` (exit 2 with an ``error:`` line, or an argparse usage error),
``traceback`` (any other exit, or an exception escaping :func:`tifa.cli.main`: the real CLI would print a
traceback and exit 1). A run that loses documents without reporting them counts as ``silent loss``, memory and
stream engines that differ as ``engine disagreement``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tifa.cli import main

COUNTS: Counter = Counter()
KINDS = ("inputs", "cli calls", "successes", "clean errors", "tracebacks", "silent losses", "engine disagreements", "ambiguous tables")
SUCCESS, CLEAN, TRACEBACK = "success", "clean error", "traceback"


@dataclass
class Outcome:
    kind: str
    code: int | None
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"{self.kind} (exit {self.code})\n--- stdout\n{self.stdout[-2000:]}\n--- stderr\n{self.stderr[-4000:]}"


def run_cli(argv: list[str]) -> Outcome:
    """``tifa argv`` in this process: exit code and output as the console script would give them."""
    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:  # argparse: usage errors exit 2
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception:  # noqa: BLE001 - a bug: the real CLI would print this traceback and exit 1
                traceback.print_exc(file=err)
                code = None
    finally:
        root.removeHandler(handler)
    stderr = err.getvalue()
    if code == 0:
        kind = SUCCESS
    elif code == 2 and ("error:" in stderr):
        kind = CLEAN
    else:
        kind = TRACEBACK
    COUNTS["cli calls"] += 1
    COUNTS[{SUCCESS: "successes", CLEAN: "clean errors", TRACEBACK: "tracebacks"}[kind]] += 1
    return Outcome(kind, code, out.getvalue(), stderr)


PROGRESS_EVERY = 100  # inputs between two writes of the counts (a long run shows how far it is)


def record(kind: str, n: int = 1) -> None:
    COUNTS[kind] += n
    if kind == "inputs" and COUNTS[kind] % PROGRESS_EVERY == 0:
        from tifa import config

        report(config.BUILD_DIR / "fuzz-counts.json")


def report(path: Path) -> dict:
    """Write the counts to ``path`` (JSON) and return them."""
    counts = {k: int(COUNTS.get(k, 0)) for k in KINDS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(counts, indent=1) + "\n", encoding="utf-8")
    return counts
