"""The architecture is a checked contract: layers (import-linter), one definition per public name, modules under 500 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tifa import config

SRC = config.PACKAGE_DIR
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_import_contracts_hold():
    """Layers from utilities up to the command line, no cycles, no analysis importing the study, no figure builder loading data."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=config.PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 4


def test_each_public_name_is_defined_once():
    """A public function or class is defined in one module only (imports that re-export it are not definitions)."""
    where = defaultdict(list)
    for path in _modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                where[node.name].append(str(path.relative_to(SRC)))
    repeated = {name: files for name, files in where.items() if len(files) > 1}
    assert not repeated, repeated


def test_no_module_exceeds_500_lines():
    long = {str(p.relative_to(SRC)): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"past {MAX_LINES} lines a module does two jobs: {long}"
