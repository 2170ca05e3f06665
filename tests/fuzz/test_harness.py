"""The in-process classification of outcomes is the console script's: same exit codes, same kinds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tifa import config

from . import harness
from .harness import CLEAN, SUCCESS, TRACEBACK, run_cli

_RUN = "import sys, tifa.cli as c\nif sys.argv[1] == 'corpus' and '--boom' in sys.argv: sys.argv.remove('--boom'); c.cmd_corpus = lambda args: 1 / 0\nsys.exit(c.main(sys.argv[1:]))"


def _console(argv: list[str]) -> tuple[str, int]:
    env = {**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT / "src"), "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, env=env, timeout=300)
    kind = SUCCESS if done.returncode == 0 else CLEAN if done.returncode == 2 and "error:" in done.stderr else TRACEBACK
    if kind == TRACEBACK:
        assert "Traceback (most recent call last)" in done.stderr
    return kind, done.returncode


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "text": "坚持新发展理念。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_success_clean_error_usage_error_and_bug_are_classified_as_the_console_script_ends(tiny, tmp_path, monkeypatch):
    cases = {
        SUCCESS: ["corpus", "--corpus", str(tiny), "--no-cache", "--engine", "memory"],
        CLEAN: ["corpus", "--corpus", str(tmp_path / "absent.jsonl"), "--no-cache"],
        "usage": ["corpus", "--engine", "quantum"],
    }
    for expected, argv in cases.items():
        outcome = run_cli(argv)
        kind, code = _console(argv)
        assert (outcome.kind, outcome.code) == (kind, code), (expected, outcome)
        assert outcome.kind == (CLEAN if expected == "usage" else expected)
    import tifa.cli

    monkeypatch.setattr(tifa.cli, "cmd_corpus", lambda args: 1 / 0)
    outcome = run_cli(["corpus", "--corpus", str(tiny)])
    kind, code = _console(["corpus", "--boom", "--corpus", str(tiny)])
    assert outcome.kind == kind == TRACEBACK and code == 1
    harness.COUNTS.subtract({"cli calls": 4, "successes": 1, "clean errors": 2, "tracebacks": 1})  # not fuzz inputs
