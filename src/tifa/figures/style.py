"""Style and saving: one style sheet, a Simplified-Chinese font that never draws tofu, page-sized PDF + PNG.

:func:`save_figure` writes ``<name>.pdf`` (TrueType fonts embedded, no
timestamps, byte-stable) and ``<name>.png`` (300 dpi). Every figure fits a journal
page (``config.PAGE_SIZE``, 7.5 × 9.7 in): builders size their figures with
:func:`page_size` and :func:`row_height` instead of growing with the data.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib import font_manager

from tifa import config
from tifa.errors import InputError, MissingFileError
from tifa.text import HAN_RE

FONT_ENV = "TIFA_FONT"


def default_font_path() -> Path:
    """WenQuanYi Micro Hei (TrueType, Simplified Chinese, has U+2212) shipped by the ``mpl-font`` package."""
    import mpl_font

    return Path(mpl_font.__file__).parent / "fonts" / "wqy" / "wqy-microhei.ttc"


@lru_cache(maxsize=8)
def _register(path: str) -> str:
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def configure_fonts(path: str | Path | None = None, *, characters: str | None = None) -> Path:
    """Make matplotlib draw Chinese with a CJK font; returns the font file in use.

    The font is ``path`` if given, else the file named by ``$TIFA_FONT``, else
    :func:`default_font_path`. For a ``.ttc`` collection, matplotlib and PIL
    (wordcloud) use its first face, so point to a file whose first face is a
    Simplified-Chinese one. With ``characters`` (e.g. every character of a
    corpus), figures draw with :func:`font_subset` of the font — the same glyphs,
    but each PDF embeds its subset several times faster — and fall back to the
    whole font for any character outside it.
    """
    chosen = Path(path or os.environ.get(FONT_ENV) or default_font_path())
    if not chosen.is_file():
        raise MissingFileError(f"font file {chosen} does not exist: set ${FONT_ENV} or pass path= to a TrueType/OpenType CJK font")
    families = [_register(str(chosen))]
    in_use = chosen
    if characters is not None:
        in_use = font_subset(chosen, characters)
        families.insert(0, _register(str(in_use)))
    plt.rcParams["font.sans-serif"] = [*families, "DejaVu Sans"]
    plt.rcParams["font.family"] = [*families, "DejaVu Sans"]  # a list: a glyph missing from the first font is drawn from the next
    return in_use


# Han ideographs and Hangul syllables: the blocks that make a CJK font large (a font's 11,172 Hangul
# syllables are most of what is left once the Han are cut), kept only for the characters a study draws
_LARGE_BLOCKS = re.compile(f"{HAN_RE.pattern}|[\uac00-\ud7a3]")
_CUT = "|cut: han, hangul"  # part of a cut file's name: a new rule makes new files


def font_subset(font: str | Path, characters: str, *, cache_dir: str | Path | None = None) -> Path:
    """The font's first face cut down to the Han (and Hangul) characters in ``characters`` (every other glyph kept), cached.

    A CJK font has ~28,000 glyphs, and embedding a subset in a PDF parses the
    whole font each time; a corpus uses a few thousand. The cut keeps the glyphs
    as they are and is renamed (``… tifa subset``) so it never shadows the full
    font; the file is named by a hash of the font and the characters, and
    written without timestamps, so the same inputs give the same bytes.
    """
    font = Path(font)
    han = sorted({c for c in characters if _LARGE_BLOCKS.match(c)})
    digest = hashlib.sha256(font.read_bytes())
    digest.update(("".join(han) + _CUT).encode("utf-8"))
    out = Path(cache_dir or config.CACHE_DIR) / "fonts" / f"{font.stem}-{digest.hexdigest()[:16]}.ttf"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with _waiting_lock(out.with_suffix(".lock")):  # processes that need the same cut wait for one to make it
        if not out.is_file():
            _cut(font, han, out)
    return out


@contextmanager
def _waiting_lock(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cut(font: Path, han: list[str], out: Path) -> None:
    """Write the cut of ``font`` that keeps the glyphs outside the Han and Hangul blocks and those of ``han``."""
    from fontTools import subset

    options = subset.Options(font_number=0, glyph_names=True, layout_features=["*"], name_IDs=["*"], name_languages=["*"], notdef_outline=True, hinting=True)
    options.drop_tables += ["FFTM"]
    loaded = subset.load_font(str(font), options)
    keep = [code for code in loaded.getBestCmap() if not _LARGE_BLOCKS.match(chr(code))] + [ord(c) for c in han]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(loaded)
    family = f"{loaded['name'].getDebugName(1)} tifa subset"
    for record in loaded["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "")
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    loaded.save(str(tmp))
    tmp.replace(out)


def current_font_path() -> Path:
    """The font file matplotlib uses for text now (the first sans-serif family); wordcloud draws with the same file."""
    family = plt.rcParams["font.sans-serif"][0]
    return Path(font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False))


def font_missing_characters(text: str, path: str | Path | None = None) -> set[str]:
    """Characters of ``text`` (other than whitespace) that the font's first face has no glyph for."""
    from fontTools.ttLib import TTFont

    path = Path(path or os.environ.get(FONT_ENV) or default_font_path())
    with TTFont(path, fontNumber=0, lazy=True) as font:
        cmap = font.getBestCmap()
    return {c for c in set(text) if not c.isspace() and ord(c) not in cmap}


def use_style(font: str | Path | None = None, *, characters: str | None = None) -> Path:
    """Apply tifa's style sheet and CJK font (cut to ``characters`` when given, see :func:`configure_fonts`); returns the font file."""
    plt.style.use(config.STYLE_SHEET)
    return configure_fonts(font, characters=characters)


_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def save_figure(
    fig: plt.Figure,
    name: str,
    *,
    out_dir: str | Path | None = None,
    formats: Sequence[str] = config.FIGURE_FORMATS,
    dpi: int = config.FIGURE_DPI,
) -> list[Path]:
    """Write ``<out_dir>/<name>.<fmt>`` for each format; returns the paths.

    ``name`` says what the figure shows in snake_case (``documents_by_province_and_year``).
    PDFs carry no creation date, so the same figure gives the same bytes.
    """
    if not _NAME.match(name):
        raise InputError(f"figure name {name!r}: use at least two lower-case words joined by '_' that say what it shows")
    out = Path(out_dir) if out_dir is not None else config.FIGURES_DIR
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        metadata = {"CreationDate": None, "ModDate": None, "Producer": None} if fmt == "pdf" else None
        fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
        paths.append(path)
    return paths


PAGE_MARGIN = 0.25  # inches kept free for the tight bounding box's padding and labels that reach past the axes


def page_size(width: float, height: float) -> tuple[float, float]:
    """``(width, height)`` in inches, cut to the journal page ``config.PAGE_SIZE`` (less a margin for the saved bounding box)."""
    return min(width, config.PAGE_SIZE[0] - PAGE_MARGIN), min(height, config.PAGE_SIZE[1] - PAGE_MARGIN)


def row_height(n: int, *, preferred: float, frame: float, height: float | None = None) -> float:
    """Height per row (inches) of ``n`` rows: ``preferred``, or less so that rows plus ``frame`` fit the page."""
    available = (height or config.PAGE_SIZE[1] - PAGE_MARGIN) - frame
    return max(min(preferred, available / max(n, 1)), 0.02)


def label_size(per_row: float, *, largest: float = 8.0, smallest: float = 5.0) -> float:
    """Font size (points) of tick labels that fit rows ``per_row`` inches high."""
    return float(min(largest, max(smallest, per_row * 72 * 0.72)))


def pages(items: Sequence, per_page: int) -> list[list]:
    """``items`` cut into pages of at most ``per_page`` (numbered figures when a grid would outgrow a page)."""
    items = list(items)
    return [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]


def panel_grid(n: int, *, ncols: int = 3, panel: tuple[float, float] = (2.3, 2.4)) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure of ``n`` panels in ``ncols`` columns, each ``panel`` inches, cut to the page."""
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=page_size(panel[0] * ncols, panel[1] * nrows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def new_axes(ax: plt.Axes | None, figsize: tuple[float, float]) -> plt.Axes:
    """``ax``, or the axes of a new figure of ``figsize`` cut to the page."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=page_size(*figsize))
    return ax
