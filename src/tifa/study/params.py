"""The study's parameters: the packaged defaults updated by the user's parameter file, checked before anything runs."""

from __future__ import annotations

from pathlib import Path

from tifa import config
from tifa.errors import InputError
from tifa.util.files import read_yaml


def load_params(path: str | Path | None = None) -> dict:
    """The study's parameters: ``resources/study_params.yaml`` updated by the user's file ``path`` (only the keys it sets)."""
    params = read_yaml(config.STUDY_PARAMS, "the default study parameters")
    if path is None:
        return params
    given = read_yaml(path, "study parameters")
    unknown = sorted(set(given) - set(params))
    if unknown:
        raise InputError(f"{path}: unknown study parameter(s) {unknown}; known: {sorted(params)} (see {config.STUDY_PARAMS.name})")
    for key, value in given.items():
        default = params[key]
        if default is not None and value is not None and not isinstance(value, type(default)) and not (isinstance(default, float) and isinstance(value, int)):
            raise InputError(f"{path}: parameter {key!r} is {value!r}, expected a {type(default).__name__} like the default {default!r}")
    if given.get("lang", params["lang"]) not in ("en", "zh", "both"):
        raise InputError(f"{path}: lang must be en, zh or both, not {given['lang']!r}")
    years = given.get("keyness_years")
    if years is not None and not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) and not isinstance(y, bool) for y in years) and years[0] <= years[1]):
        raise InputError(f"{path}: keyness_years is {years!r}; give [first, last], two years with first ≤ last (e.g. [2012, 2025]), or null")
    return {**params, **given, **_lexicon_params(given, Path(path))}


def _lexicon_params(given: dict, path: Path) -> dict:
    """``lexicon`` read from the parameter file's folder when relative (checked to exist), ``lexicon_mode`` checked."""
    from tifa.lexicon import LEXICON_MODES

    out = {}
    if given.get("lexicon_mode", "extend") not in LEXICON_MODES:
        raise InputError(f"{path}: lexicon_mode must be one of {LEXICON_MODES}, not {given['lexicon_mode']!r}")
    lexicon = given.get("lexicon")
    if lexicon is not None:
        if not isinstance(lexicon, str):
            raise InputError(f"{path}: lexicon is {lexicon!r}; give the path of a slogan lexicon file (YAML), or null")
        resolved = Path(lexicon) if Path(lexicon).is_absolute() else path.resolve().parent / lexicon
        if not resolved.is_file():
            raise InputError(f"{path}: lexicon {lexicon!r} is not a file ({resolved}); a relative path is read from this file's folder")
        out["lexicon"] = str(resolved)
    elif given.get("lexicon_mode") == "replace":
        raise InputError(f"{path}: lexicon_mode replace needs a lexicon file (lexicon: PATH)")
    return out

