"""Reading the project's data files (YAML rules and lexicons, line lists) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml


def read_yaml(path: str | Path, what: str) -> dict:
    """Parse a YAML mapping; ``what`` names the file's role in the error message."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read {what} ({exc})") from exc
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: {what} must be a YAML mapping; see the schema at the top of the file")
    return spec


def read_lines(path: str | Path) -> list[str]:
    """Non-empty lines of a text list, without ``#`` comments, stripped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the list ({exc})") from exc
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
