"""The fuzz suite's counter: after the session, build/fuzz-counts.json and one summary line."""

from __future__ import annotations

from tifa import config

from . import harness
from .profiles import PROFILE

COUNTS_JSON = config.BUILD_DIR / "fuzz-counts.json"


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest's hook signature
    if not harness.COUNTS.get("inputs"):  # no generated input ran (only the reproducers): keep the last counts
        return
    counts = harness.report(COUNTS_JSON)
    terminalreporter.write_sep("-", f"fuzz counts (profile {PROFILE}), also in {COUNTS_JSON.name}")
    terminalreporter.write_line(", ".join(f"{k}: {v}" for k, v in counts.items()))
