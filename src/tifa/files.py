"""Reading the project's data files (YAML rules and lexicons, line lists) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from tifa.errors import InputError


def read_yaml(path: str | Path, what: str) -> dict:
    """Parse a YAML mapping; ``what`` names the file's role in the error message."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read {what} ({exc}). Fix the file (YAML, UTF-8).") from exc
    if not isinstance(spec, dict):
        raise InputError(f"{path}: {what} must be a YAML mapping; see the schema at the top of the file")
    return spec


def read_lines(path: str | Path) -> list[str]:
    """Non-empty lines of a text list, without ``#`` comments, stripped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the list ({exc}). Fix the file (one entry a line, UTF-8).") from exc
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
