"""Publication figures: one style, a Simplified-Chinese font that never draws tofu, PDF + PNG.

Plot functions draw on an ``ax`` they are given (or create one) and return it;
:func:`save_figure` writes ``figures/<name>.pdf`` (TrueType fonts embedded, no
timestamps, byte-stable) and ``figures/<name>.png`` (300 dpi).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager

from tifa import config
from tifa.errors import InputError
from tifa.clean import HAN_RE
from tifa.errors import MissingFileError
from tifa.places import Lang, place_label
from tifa.stats import sort_table

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


def font_subset(font: str | Path, characters: str, *, cache_dir: str | Path | None = None) -> Path:
    """The font's first face cut down to the Han characters in ``characters`` (every other glyph kept), cached.

    A CJK font has ~28,000 glyphs, and embedding a subset in a PDF parses the
    whole font each time; a corpus uses a few thousand. The cut keeps the glyphs
    as they are and is renamed (``… tifa subset``) so it never shadows the full
    font; the file is named by a hash of the font and the characters, and
    written without timestamps, so the same inputs give the same bytes.
    """
    from fontTools import subset

    font = Path(font)
    han = sorted({c for c in characters if HAN_RE.match(c)})
    digest = hashlib.sha256(font.read_bytes())
    digest.update("".join(han).encode("utf-8"))
    out = Path(cache_dir or config.CACHE_DIR) / "fonts" / f"{font.stem}-{digest.hexdigest()[:16]}.ttf"
    if out.is_file():
        return out
    options = subset.Options(font_number=0, glyph_names=True, layout_features=["*"], name_IDs=["*"], name_languages=["*"], notdef_outline=True, hinting=True)
    options.drop_tables += ["FFTM"]
    loaded = subset.load_font(str(font), options)
    keep = [code for code in loaded.getBestCmap() if not HAN_RE.match(chr(code))] + [ord(c) for c in han]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(loaded)
    family = f"{loaded['name'].getDebugName(1)} tifa subset"
    for record in loaded["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    loaded.save(str(tmp))
    tmp.replace(out)
    return out


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


def _axes(ax: plt.Axes | None, figsize: tuple[float, float] | None = None) -> plt.Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


LEVEL_MARKERS = {"province": "s", "prefecture": "o", "county": "^"}


def plot_documents_by_place_and_year(
    summary: pd.DataFrame,
    *,
    place: str = "province",
    lang: Lang = "en",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Documents on a place × year grid: marker by administrative level, area by length (Han characters)."""
    ax = _axes(ax, (6.5, 3.2))
    data = summary.dropna(subset=["year"]).copy()
    data["label"] = [place_label(p, lang) for p in data[place]]
    places = sorted(data["label"].unique())
    y = {p: i for i, p in enumerate(places)}
    scale = 600 / max(data["n_chars"].max(), 1)
    for level, group in data.groupby("level", dropna=False, sort=True):
        ax.scatter(
            group["year"].astype(int),
            [y[p] for p in group["label"]],
            s=group["n_chars"] * scale,
            marker=LEVEL_MARKERS.get(level, "D"),
            alpha=0.7,
            label=_level_label(level, lang),
            edgecolors="black",
            linewidths=0.5,
        )
    ax.set_yticks(range(len(places)), places)
    ax.set_ylim(-0.7, len(places) - 0.3)
    years = data["year"].astype(int)
    ax.set_xlim(years.min() - 1, years.max() + 1)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel({"zh": "年份", "en": "Year", "both": "Year 年份"}[lang])
    ax.legend(title={"zh": "行政级别", "en": "Level", "both": "Level 级别"}[lang], loc="best", markerscale=0.5)
    return ax


_LEVELS = {"province": ("Provincial", "省级"), "prefecture": ("Prefecture", "地级"), "county": ("County", "县级")}


def _level_label(level: str, lang: Lang) -> str:
    en, zh = _LEVELS.get(level, (str(level), str(level)))
    return {"en": en, "zh": zh, "both": f"{en} {zh}"}[lang]


def document_labels(docvars: pd.DataFrame, lang: Lang = "en") -> pd.Series:
    """Short readable label per ``doc_id``: the city (or province) and the year, e.g. ``Hengshui 2016``."""
    labels = {}
    for doc_id, row in docvars.iterrows():
        place = row.get("city") if isinstance(row.get("city"), str) and row.get("city") else row.get("province")
        year = "" if pd.isna(row.get("year")) else f" {int(row['year'])}"
        labels[doc_id] = (place_label(place, lang) if isinstance(place, str) else str(doc_id)) + year
    return pd.Series(labels, name="label")


def plot_cleaning_audit(counts: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Heatmap of edits per document (rows) and cleaning step (columns), each cell annotated with its count."""
    ax = _axes(ax, (6.5, 0.4 * len(counts) + 1.6))
    values = counts.to_numpy()
    ax.imshow(values > 0, cmap="Blues", vmin=0, vmax=1.6, aspect="auto")
    for (i, j), n in pd.DataFrame(values).stack().items():
        ax.text(j, i, str(n), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(counts.shape[1]), [c.replace("_", " ") for c in counts.columns], rotation=30, ha="right")
    ax.set_yticks(range(counts.shape[0]), counts.index)
    ax.grid(False)
    ax.set_title("Edits made by each cleaning step")
    return ax


# --- term statistics ---------------------------------------------------------------


def term_label(term: str, lang: Lang = "zh") -> str:
    """A term as written; slogans of the lexicon get their English gloss with ``lang="en"`` or ``"both"``."""
    from tifa.lexicon import load_slogans

    gloss = {s.zh: s.en for s in load_slogans()}.get(term)
    if gloss is None or lang == "zh":
        return term
    return gloss if lang == "en" else f"{term} ({gloss})"


def group_label(value, by: str, lang: Lang = "en") -> str:
    """Label of a group value: place names through the gazetteer, levels in words, other values as text."""
    if by in ("province", "city"):
        return place_label(value, lang)
    if by == "level":
        return _level_label(value, lang)
    return str(value)


def _panel_grid(n: int, *, ncols: int = 3, panel: tuple[float, float] = (2.3, 2.4)) -> tuple[plt.Figure, list[plt.Axes]]:
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def plot_top_terms(freq: pd.DataFrame, *, by: str, n: int = 10, lang: Lang = "en", ncols: int = 3) -> plt.Figure:
    """Small multiples: the ``n`` most frequent terms of each group (bars: per 10,000 tokens)."""
    groups = list(dict.fromkeys(freq[by]))
    fig, axes = _panel_grid(len(groups), ncols=ncols)
    for ax, group in zip(axes, groups):
        top = freq[freq[by] == group].head(n)
        ax.barh(range(len(top)), top["per_10k"], color="C0")
        ax.set_yticks(range(len(top)), [term_label(t, "zh") for t in top["term"]])
        ax.invert_yaxis()
        ax.set_title(group_label(group, by, lang))
        ax.grid(axis="y", visible=False)
    fig.supxlabel({"zh": "每万词频次", "en": "Occurrences per 10,000 tokens", "both": "Per 10,000 tokens 每万词"}[lang], fontsize=9)
    return fig


def plot_keyness(keyness: pd.DataFrame, *, n: int = 10, ax: plt.Axes | None = None, title: str = "", lang: Lang = "zh") -> plt.Axes:
    """Diverging bars of signed G²: the ``n`` most over-used terms of the target (right) and most under-used (left)."""
    ax = _axes(ax, (3.4, 0.22 * 2 * n + 1.0))
    over = keyness[keyness["g2"] > 0].head(n)
    under = sort_table(keyness[keyness["g2"] < 0], ["g2", "term"]).head(n)
    rows = pd.concat([over, under.iloc[::-1]])
    colors = ["C1" if g > 0 else "C0" for g in rows["g2"]]
    ax.barh(range(len(rows)), rows["g2"], color=colors)
    ax.set_yticks(range(len(rows)), [term_label(t, lang) for t in rows["term"]])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("Signed G² (target vs reference)")
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    return ax


def plot_keyness_grid(tables: dict, *, by: str, n: int = 8, lang: Lang = "en", ncols: int = 3) -> plt.Figure:
    """One keyness panel per target group (each against the rest)."""
    fig, axes = _panel_grid(len(tables), ncols=ncols, panel=(2.4, 0.2 * 2 * n + 1.0))
    for ax, (group, table) in zip(axes, tables.items()):
        plot_keyness(table, n=n, ax=ax, title=f"{group_label(group, by, lang)} vs rest")
        ax.set_xlabel("")
    fig.supxlabel("Signed G² (positive: used more than in the other documents)", fontsize=9)
    return fig


def plot_wordclouds(freq: pd.DataFrame, *, by: str, n: int = 60, lang: Lang = "en", ncols: int = 3, random_state: int = config.RANDOM_STATE) -> plt.Figure:
    """One word cloud per group from its term counts, drawn with the configured CJK font (fixed ``random_state``)."""
    from wordcloud import WordCloud

    font = str(current_font_path())
    groups = list(dict.fromkeys(freq[by]))
    fig, axes = _panel_grid(len(groups), ncols=ncols, panel=(2.4, 1.8))
    for ax, group in zip(axes, groups):
        top = freq[freq[by] == group].head(n)
        cloud = WordCloud(font_path=font, width=600, height=400, background_color="white", random_state=random_state, prefer_horizontal=1.0)
        cloud.generate_from_frequencies(dict(zip(top["term"], top["count"])))
        ax.imshow(cloud.to_array(), interpolation="bilinear")
        ax.set_title(group_label(group, by, lang))
        ax.set_axis_off()
    return fig


def plot_similarity(similarity: pd.DataFrame, linkage, *, labels: pd.Series | None = None) -> plt.Figure:
    """Heatmap of document cosine similarity, ordered by hierarchical clustering, with the dendrogram above."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable
    from scipy.cluster.hierarchy import dendrogram

    names = [labels.get(i, i) for i in similarity.index] if labels is not None else list(similarity.index)
    fig, ax = plt.subplots(figsize=(5.2, 5.2), layout="none")
    divider = make_axes_locatable(ax)
    top = divider.append_axes("top", size="22%", pad=0.05)
    cax = divider.append_axes("right", size="4%", pad=0.1)
    tree = dendrogram(linkage, ax=top, no_labels=True, color_threshold=0, above_threshold_color="0.3")
    top.set_xlim(0, 10 * len(tree["leaves"]))  # leaves sit at 5, 15, …: one heatmap column each
    top.set_axis_off()
    order = tree["leaves"]
    values = similarity.to_numpy()[np.ix_(order, order)]
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(order)), [names[i] for i in order], rotation=40, ha="right")
    ax.set_yticks(range(len(order)), [names[i] for i in order])
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    ax.grid(False)
    fig.colorbar(image, cax=cax, label="Cosine similarity (tf-idf)")
    return fig


# --- slogans ------------------------------------------------------------------------------


def plot_slogan_heatmap(counts: pd.DataFrame, *, by: str, lang: Lang = "en", labels: pd.Series | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """Slogans (rows) × groups (columns), cells annotated with counts; slogans never mentioned are left out."""
    table = counts.pivot_table(index="slogan", columns=by, values="count", aggfunc="sum", sort=False).fillna(0).astype(int)
    table = table[table.sum(axis=1) > 0]
    totals = table.sum(axis=1).rename("total").rename_axis("slogan").reset_index()
    table = table.loc[sort_table(totals, ["total", "slogan"], ascending=[False, True])["slogan"]]
    ax = _axes(ax, (1.1 * table.shape[1] + 3.2, 0.28 * table.shape[0] + 1.4))
    ax.imshow(np.log1p(table.to_numpy()), cmap="Blues", aspect="auto", vmin=0)
    for (i, j), n in np.ndenumerate(table.to_numpy()):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if n >= 6 else "black")
    columns = [labels.get(c, c) if labels is not None else group_label(c, by, lang) for c in table.columns]
    ax.set_xticks(range(table.shape[1]), columns, rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), [term_label(s, lang) for s in table.index])
    ax.grid(False)
    return ax


def plot_slogan_timeline(counts: pd.DataFrame, lexicon: pd.DataFrame, *, lang: Lang = "en", ax: plt.Axes | None = None) -> plt.Axes:
    """Slogans (rows) by year (x): dots sized by mentions per 10,000 characters; ▼ marks the entry's ``first_used`` year.

    ``counts`` is :func:`tifa.slogans.count_slogans` by ``year``; slogans never
    mentioned are left out.
    """
    used = counts[counts["count"] > 0]
    first_year = used.groupby("slogan")["year"].min().rename("first").reset_index()
    order = list(sort_table(first_year, ["first", "slogan"])["slogan"])
    ax = _axes(ax, (6.5, 0.26 * len(order) + 1.3))
    rows = {s: i for i, s in enumerate(order)}
    scale = 120 / max(used["per_10k_chars"].max(), 1e-9)
    ax.scatter(used["year"].astype(int), used["slogan"].map(rows), s=used["per_10k_chars"] * scale + 6, color="C0", alpha=0.8, label="mentions (area: per 10,000 characters)")
    first = lexicon.set_index("slogan").loc[order, "first_used"].str[:4].astype(int)
    ax.scatter(first.to_numpy(), range(len(order)), marker="v", s=22, color="C1", label="first official use (lexicon)")
    ax.set_yticks(range(len(order)), [term_label(s, lang) for s in order])
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("Year")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.75 / ax.figure.get_figheight()), ncols=2)
    return ax


def plot_slogan_xray(mentions: pd.DataFrame, lengths: pd.Series, *, slogans: list[str], labels: pd.Series | None = None, lang: Lang = "en") -> plt.Figure:
    """Lexical dispersion ("x-ray"): where in each document (x: relative position) each slogan occurs; one panel per slogan."""
    docs = list(lengths.index)
    fig, axes = plt.subplots(len(slogans), 1, figsize=(6.5, 0.32 * len(docs) * len(slogans) + 1.0), sharex=True, squeeze=False)
    for ax, slogan in zip(axes[:, 0], slogans):
        hits = mentions[mentions["slogan"] == slogan]
        y = hits["doc_id"].map({d: i for i, d in enumerate(docs)})
        x = hits["start"] / hits["doc_id"].map(lengths)
        ax.scatter(x, y, marker="|", s=120, color="C0")
        ax.set_yticks(range(len(docs)), [labels.get(d, d) if labels is not None else d for d in docs])
        ax.set_ylim(len(docs) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_title(term_label(slogan, lang), loc="left", fontsize=9)
        ax.grid(axis="y", visible=False)
    axes[-1, 0].set_xlabel("Relative position in the document")
    return fig


def plot_cooccurrence(matrix: pd.DataFrame, *, lang: Lang = "en", ax: plt.Axes | None = None, value_label: str = "units with both") -> plt.Axes:
    """Symmetric slogan × slogan matrix (e.g. number of sentences holding both), annotated."""
    n = len(matrix)
    ax = _axes(ax, (0.42 * n + 3.0, 0.42 * n + 2.0))
    values = matrix.to_numpy()
    image = ax.imshow(values, cmap="Purples", vmin=0)
    for (i, j), v in np.ndenumerate(values):
        if v:
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=7)
    names = [term_label(s, lang) for s in matrix.index]
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.grid(False)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.7, label=value_label)
    bar.locator = matplotlib.ticker.MaxNLocator(integer=True)
    bar.update_ticks()
    return ax


# --- topics ---------------------------------------------------------------------------------


def plot_topic_terms(top_terms: pd.DataFrame, labels: dict[int, str], *, ncols: int = 3) -> plt.Figure:
    """One panel per topic: its top terms by weight (``TopicModel.top_terms``), titled with the topic's label."""
    topics = sorted(top_terms["topic"].unique())
    n_terms = int(top_terms.groupby("topic").size().max())
    fig, axes = _panel_grid(len(topics), ncols=ncols, panel=(2.3, 0.2 * n_terms + 0.9))
    for ax, topic in zip(axes, topics):
        rows = top_terms[top_terms["topic"] == topic]
        ax.barh(range(len(rows)), rows["weight"], color=f"C{topic % 8}")
        ax.set_yticks(range(len(rows)), rows["term"])
        ax.invert_yaxis()
        ax.set_title(f"T{topic}: {labels.get(topic, '')}", fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="x", labelsize=7)
    fig.supxlabel("Weight in the topic", fontsize=9)
    return fig


def plot_prevalence_heatmap(prevalence: pd.DataFrame, labels: dict[int, str], *, by: str, lang: Lang = "en", ax: plt.Axes | None = None) -> plt.Axes:
    """Groups (rows) × topics (columns): mean topic share, annotated; rows sum to 1."""
    table = prevalence.pivot(index=by, columns="topic", values="prevalence")
    ax = _axes(ax, (0.9 * table.shape[1] + 2.6, 0.45 * table.shape[0] + 1.8))
    image = ax.imshow(table.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    ax.set_xticks(range(table.shape[1]), [f"T{t}: {labels.get(t, '')}" for t in table.columns], rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(table.shape[0]), [group_label(g, by, lang) for g in table.index])
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="Mean topic share of the units")
    return ax


def plot_prevalence_by(prevalence: pd.DataFrame, labels: dict[int, str], *, by: str, ncols: int = 3) -> plt.Figure:
    """One panel per topic: prevalence by ``by`` (e.g. year) with bootstrap intervals."""
    topics = sorted(prevalence["topic"].unique())
    fig, axes = _panel_grid(len(topics), ncols=ncols, panel=(2.3, 1.9))
    for ax, topic in zip(axes, topics):
        rows = sort_table(prevalence[prevalence["topic"] == topic], [by])
        x = rows[by].astype(float) if pd.api.types.is_numeric_dtype(rows[by]) else np.arange(len(rows))
        ax.errorbar(x, rows["prevalence"], yerr=[rows["prevalence"] - rows["ci_low"], rows["ci_high"] - rows["prevalence"]], fmt="o-", color=f"C{topic % 8}", capsize=2, markersize=3, linewidth=1)
        ax.set_ylim(0, 1)
        ax.set_title(f"T{topic}: {labels.get(topic, '')}", fontsize=8)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=4))
        ax.tick_params(labelsize=7)
    fig.supxlabel(by.capitalize(), fontsize=9)
    fig.supylabel("Topic share (95% bootstrap interval)", fontsize=9)
    return fig


def plot_k_selection(selection: pd.DataFrame, *, chosen: dict[str, int] | None = None) -> plt.Figure:
    """Coherence (NPMI, UMass) and stability against K, one line per method; the chosen K circled."""
    metrics = [("npmi", "NPMI coherence"), ("umass", "UMass coherence"), ("stability", "Stability across seeds")]
    fig, axes = plt.subplots(1, 3, figsize=(7.0, 2.4))
    for ax, (column, title) in zip(axes, metrics):
        for i, (method, rows) in enumerate(selection.groupby("method", sort=True)):
            ax.plot(rows["k"], rows[column], "o-", color=f"C{i}", label=method.upper(), markersize=3)
            if chosen and method in chosen:
                pick = rows[rows["k"] == chosen[method]]
                ax.scatter(pick["k"], pick[column], s=90, facecolors="none", edgecolors=f"C{i}", linewidths=1.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("K")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0].legend()
    return fig
