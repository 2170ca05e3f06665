"""What a notebook works with: the :class:`Study` (corpus, parameters, grouping, skipping), saving figures and tables."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from tifa import config
from tifa.corpus import Corpus, display_path, load_corpus, read_processed
from tifa.errors import InputError
from tifa.export import spreadsheet_safe
from tifa.study.params import load_params
from tifa.study.registry import Output, load_registry
from tifa.util.hashing import file_digest
from tifa.util.tables import format_table

log = logging.getLogger(__name__)

JOURNAL_ENV = "TIFA_STUDY_JOURNAL"  # set by tifa study: the file where a notebook's kernel records what it wrote
FEW_DOCUMENTS = 12  # up to this many documents, figures show each document; beyond, groups
MIN_PERIODS = 3  # distinct years (or other periods) a time-series figure needs


@dataclass
class Study:
    """What every notebook needs: the corpus, where outputs go, the parameters, and which grouping the docvars allow."""

    corpus: Corpus
    figures_dir: Path
    group: str
    skipped: list[str] = field(default_factory=list)
    params: dict = field(default_factory=load_params)

    @classmethod
    def from_parameters(
        cls,
        corpus: str | None = None,
        text_field: str = "text",
        figures_dir: str | None = None,
        *,
        id_field: str = "doc_id",
        processed: str | None = None,
        params: str | None = None,
    ) -> Study:
        """Load the corpus named by the notebook's parameters (``None``: the embedded corpus).

        ``processed``: the folder where ``tifa study`` wrote the cleaned corpus once
        for all notebooks; it is read instead of cleaning ``corpus`` again.
        """
        if processed:
            loaded = read_processed(processed)
            loaded.source = display_path(Path(corpus) if corpus else config.DATA_DIR)
        else:
            loaded = load_corpus(corpus, text_field=text_field, id_field=id_field)
        return cls.of(loaded, Path(figures_dir) if figures_dir else config.FIGURES_DIR, load_params(params), params_path=params)

    @classmethod
    def of(cls, corpus: Corpus, figures_dir: Path, params: dict, *, params_path: str | Path | None = None) -> Study:
        """A study of a loaded corpus: ``decade`` derived from ``year``, the grouping from the parameters or the docvars."""
        corpus = _with_decade(corpus)
        group = params["group"] or _grouping(corpus)
        if group != "doc_id" and (group not in corpus.docs or corpus.docs[group].notna().sum() == 0):
            raise InputError(f"{params_path}: group {group!r} is not a docvar of the corpus with values; docvars: {sorted(c for c in corpus.docs if c not in ('text', 'n_chars'))}")
        return cls(corpus, figures_dir, group, params=params)

    @cached_property
    def slogans(self) -> tuple:
        """The study's slogan lexicon: the packaged one, extended or replaced by the ``lexicon`` parameter's file."""
        from tifa.lexicon import load_lexicon

        return load_lexicon(self.params["lexicon"], mode=self.params["lexicon_mode"])

    @cached_property
    def matcher(self):
        """A :class:`tifa.matcher.SloganMatcher` of :attr:`slogans`: every count of the study uses it."""
        from tifa.matcher import SloganMatcher

        return SloganMatcher(self.slogans)

    @cached_property
    def segmenter(self):
        """The study's :class:`tifa.segment.Segmenter`: its user dictionary keeps the study's slogans whole."""
        from tifa.lexicon import user_dictionary
        from tifa.segment import Segmenter

        return Segmenter(user_words=user_dictionary(slogans=self.slogans))

    @cached_property
    def labeller(self):
        """How figures name places, levels and slogans: the ``lang`` parameter, the gazetteer and the lexicon's glosses."""
        from tifa.figures import Labeller
        from tifa.places import load_regions

        return Labeller(lang=self.params["lang"], places=load_regions(), glossary={s.zh: s.en for s in self.slogans})

    @property
    def years(self) -> list[int]:
        """The years with at least one document, ascending (what time axes mark as observed)."""
        if not self.has("year"):
            return []
        return sorted(int(y) for y in self.corpus.docs["year"].dropna().unique())

    def use_style(self) -> Path:
        """The figure style, with the CJK font cut to the characters this study can draw (corpus, lexicons, gazetteer)."""
        from tifa.figures import use_style

        return use_style(characters=self.characters())

    def characters(self) -> str:
        """Every character the study's figures can draw: the corpus, the slogans, the gazetteer, the topic labels."""
        from tifa.figures.labels import TEXTS

        parts = [*self.corpus.docs["text"], *(s.zh for s in self.slogans), *TEXTS.values(), config.REGIONS_CSV.read_text(encoding="utf-8")]
        if config.TOPIC_LABELS_YAML.is_file():
            parts.append(config.TOPIC_LABELS_YAML.read_text(encoding="utf-8"))
        return "".join(sorted(set("".join(parts))))

    @property
    def token_filter(self):
        """The terms' filter: None (the default one), or without place names when the parameter ``exclude_places`` is true."""
        from tifa.filters import without_places

        return without_places() if self.params["exclude_places"] else None

    def keyness(self, dfm) -> tuple[dict, str | None]:
        """Keyness of each group of the study against the rest, or against the parameter ``keyness_reference``,
        on the documents of the years ``keyness_years``: ``(tables by group, None)``, or ``({}, why there are none)``."""
        from tifa.dfm import dfm_subset, group_keys
        from tifa.stats import textstat_keyness

        years, reference = self.params["keyness_years"], self.params["keyness_reference"]
        if years is not None:
            if "year" not in dfm.docvars:
                return {}, "keyness_years is set but the corpus has no year docvar"
            dfm = dfm_subset(dfm, dfm.docvars["year"].between(*years).fillna(False).to_numpy())
        where = "" if years is None else f" in {years[0]}–{years[1]}"
        present = set(group_keys(dfm.docvars, self.group).dropna())  # doc_id (the index) too
        groups = [g for g in self.groups if str(g) in present]
        if reference is None:
            if len(groups) < 2:
                return {}, f"{len(groups)} {self.group}{where}: no rest to compare with"
            return {g: textstat_keyness(dfm, g, by=self.group) for g in groups}, None
        if str(reference) not in present:
            return {}, f"keyness_reference {reference!r} has no document{where} (values of {self.group}: {sorted(present)[:8]})"
        targets = [g for g in groups if str(g) != str(reference)]
        if not targets:
            return {}, f"no {self.group} other than the reference {reference!r}{where}"
        return {g: textstat_keyness(dfm, g, by=self.group, reference=reference) for g in targets}, None

    @property
    def groups(self) -> list:
        """The values of the grouping docvar in the order readers expect (places by region; documents' ids when grouping by document)."""
        return self.labeller.order(self.corpus.docs[self.group], self.group)

    @property
    def on_seeds(self) -> bool:
        """Whether the study runs on the embedded corpus (whose notebooks' reading notes were written for it)."""
        return self.corpus.source == display_path(config.DATA_DIR)

    def note(self, text: str):
        """A reading note written for the embedded corpus: shown on it, replaced by a pointer on any other corpus."""
        from IPython.display import Markdown

        if self.on_seeds:
            return Markdown(text)
        return Markdown("*The reading note here describes the embedded corpus; read the tables and figures above for this one.*")

    def describe(self):
        """What the corpus is, in numbers generated from the data: documents, characters, years, groups, problems."""
        from IPython.display import Markdown

        docs = self.corpus.docs
        parts = [f"**{len(docs)} documents**, {int(docs['n_chars'].sum()):,} Han characters after cleaning"]
        if self.has("year"):
            years = docs["year"].dropna().astype(int)
            parts.append(f"years {years.min()}–{years.max()} ({years.nunique()} distinct)")
        if self.group != "doc_id":
            parts.append(f"compared by {self.group} ({docs[self.group].nunique()} groups)")
        else:
            parts.append("compared document by document (no docvar with two or more groups)")
        missing = self.missing("province", "year", "level")
        if missing:
            parts.append(f"no {', '.join(missing)} docvar: figures that need it are skipped")
        if len(self.corpus.problems):
            parts.append(f"{len(self.corpus.problems)} problems reported (see `corpus.problems`)")
        return Markdown("; ".join(parts) + ".")

    def skipped_note(self):
        """The outputs of this notebook that were not made for this corpus, with why (printed where they were skipped)."""
        from IPython.display import Markdown

        if not self.skipped:
            return Markdown("Every figure and table of this notebook was made for this corpus.")
        return Markdown("Not made for this corpus: " + ", ".join(f"`{name}`" for name in self.skipped) + " (reasons above).")

    @property
    def lang(self) -> str:
        """Language of labels in figures (parameter ``lang``)."""
        return self.params["lang"]

    def has(self, *docvars: str) -> bool:
        """Whether the corpus has these docvars with at least one value."""
        return not self.missing(*docvars)

    def missing(self, *docvars: str) -> list[str]:
        """The docvars of ``docvars`` that the corpus lacks (absent, or without any value)."""
        return [d for d in docvars if d not in self.corpus.docs or not self.corpus.docs[d].notna().any()]

    def lacks(self, name: str, *docvars: str) -> bool:
        """Skip ``name`` (saying which docvars are missing) unless the corpus has all ``docvars``; True when skipped."""
        missing = self.missing(*docvars)
        if missing:
            self.skip(name, f"the corpus has no {', '.join(missing)} docvar" + ("s" if len(missing) > 1 else ""))
        return bool(missing)

    def lacks_provinces(self, name: str) -> bool:
        """Skip a map of provinces (saying why) unless a value of the province docvar is a provincial-level name of the
        gazetteer (a corpus of 中央 alone would draw an empty map); True when skipped."""
        from tifa.places import province_info

        if self.lacks(name, "province"):
            return True
        values = [str(v) for v in self.corpus.docs["province"].dropna().unique()]
        if province_info(values)["province_code"].notna().any():
            return False
        self.skip(name, f"no value of province is a province of the gazetteer ({', '.join(values[:5])}): the map would be empty")
        return True

    def lacks_time(self, name: str, docvar: str = "year", *, min_periods: int = MIN_PERIODS) -> bool:
        """Skip a time-series output unless ``docvar`` has at least ``min_periods`` distinct values; True when skipped."""
        if self.lacks(name, docvar):
            return True
        n = self.corpus.docs[docvar].nunique()
        if n < min_periods:
            self.skip(name, f"{docvar} has {n} distinct value{'s' if n != 1 else ''}; a time axis needs at least {min_periods}")
            return True
        return False

    @property
    def few_documents(self) -> bool:
        """Few enough documents to show each one in a figure."""
        return len(self.corpus) <= FEW_DOCUMENTS

    @property
    def docs(self) -> str:
        """What a per-document figure shows: ``"document"`` when there are few documents, else the grouping."""
        return "document" if self.few_documents else self.group

    def name(self, template: str) -> str:
        """A registry name with ``{group}`` and ``{docs}`` filled in."""
        return template.format(group=self.group, docs=self.docs)

    def skip(self, name: str, reason: str) -> None:
        """Say (in the notebook's output) that a figure or table is not made for this corpus, and why."""
        self.skipped.append(self.name(name))
        print(f"skipped {self.name(name)}: {reason}")

    def output(self, name: str) -> Output:
        """The registry entry of ``name``; an unregistered name is refused."""
        for out in load_registry():
            if out.name == name:
                return out
        raise InputError(f"{config.FIGURE_REGISTRY}: {name!r} is not registered. Declare it (name, notebook, caption, docvars) before saving it.")

    def figure(self, name: str, *args, **kwargs) -> list[str]:
        """Build and save the registered figure ``name`` with its builder, or skip it (saying why) when the corpus lacks what it needs."""
        from tifa.figures import BUILDERS

        out = self.output(name)
        if self.lacks(name, *out.docvars) or (out.time and self.lacks_time(name, out.time)):
            return []
        return self.save(BUILDERS[name](*args, **kwargs), name)

    def save(self, figure, name: str) -> list[str]:
        """Save a registered figure (PDF + PNG) under the study's figures folder; returns the file names.

        ``figure`` is a Figure, Axes, or a list of Figures (pages: ``<name>_p1``, ``<name>_p2`` …).
        """
        import matplotlib.pyplot as plt

        from tifa.figures import save_figure

        self.output(name)
        figures = [f.figure if hasattr(f, "figure") and not hasattr(f, "savefig") else f for f in (figure if isinstance(figure, list) else [figure])]
        stem = self.name(name)
        names = [stem] if len(figures) == 1 else [f"{stem}_p{i}" for i in range(1, len(figures) + 1)]
        paths = [p for fig, page in zip(figures, names) for p in save_figure(fig, page, out_dir=self.figures_dir)]
        for fig in figures:  # shown from the saved file: drawing the figure once more for the notebook took a third of its time
            plt.close(fig)
        record_written(paths, self.figures_dir)
        show_saved([p for p in paths if p.suffix == ".png"])
        return [p.name for p in paths]

    def save_table(self, table: pd.DataFrame, name: str, *, caption: str | None = None, decimals: int = config.TABLE_DECIMALS) -> list[str]:
        """Write a registered table as ``tables/<name>.csv`` and ``tables/<name>.tex`` (caption from the registry),
        its provinces in region order (rows of one province keep their order)."""
        registered = self.output(name)  # an unregistered name is refused, as for figures (the run cache restores what the registry lists)
        if caption is None:
            caption = registered.caption
        if "province" in table.columns:
            rank = {value: i for i, value in enumerate(self.labeller.order(table["province"], "province"))}
            table = table.iloc[np.argsort(table["province"].map(rank).fillna(len(rank)).to_numpy(), kind="stable")]
        paths = save_table(table, self.name(name), out_dir=self.figures_dir / "tables", caption=caption, decimals=decimals)
        record_written(paths, self.figures_dir)
        return [p.name for p in paths]


SCREEN_DPI = 100  # the resolution figures are shown at in a notebook


def show_saved(pngs: list[Path], *, dpi: int = config.FIGURE_DPI) -> None:
    """Show saved PNGs in the running notebook (nothing outside one), reduced from ``dpi`` to the screen's resolution."""
    import io

    from IPython import get_ipython
    from IPython.display import Image as Shown
    from IPython.display import display
    from PIL import Image

    if get_ipython() is None:
        return
    factor = max(1, round(dpi / SCREEN_DPI))
    for png in pngs:
        with Image.open(png) as image:
            buffer = io.BytesIO()
            image.reduce(factor).save(buffer, format="PNG")
        display(Shown(data=buffer.getvalue(), format="png"))


def record_written(paths: list[Path], figures_dir: Path) -> None:
    """Append the files just written (name under ``figures_dir`` and SHA-256) to the journal ``tifa study`` named in ``$TIFA_STUDY_JOURNAL``.

    The run cache stores a notebook's outputs from this record only: the files this run
    wrote, with the bytes it wrote, never what another process left in the folder.
    """
    journal = os.environ.get(JOURNAL_ENV)
    if not journal:
        return
    lines = [json.dumps({"file": p.resolve().relative_to(Path(figures_dir).resolve()).as_posix(), "sha256": file_digest(p)}, ensure_ascii=False) + "\n" for p in paths]
    with open(journal, "a", encoding="utf-8") as handle:
        handle.writelines(lines)


def read_journal(journal: Path) -> dict[str, str]:
    """The files a notebook recorded with :func:`record_written` (name under the figures folder → SHA-256; the last write counts)."""
    if not journal.is_file():
        return {}
    written = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        written[entry["file"]] = entry["sha256"]
    return written


def _grouping(corpus: Corpus) -> str:
    """Province when the corpus has one, else decade (from year), else the document."""
    docs = corpus.docs
    if "province" in docs and docs["province"].nunique() >= 2:
        return "province"
    if "decade" in docs and docs["decade"].nunique() >= 2:
        log.info("no province docvar: grouping by decade")
        return "decade"
    return "doc_id"


def save_table(table: pd.DataFrame, name: str, *, out_dir: str | Path, caption: str = "", decimals: int = config.TABLE_DECIMALS) -> list[Path]:
    """CSV and LaTeX (booktabs rules, caption and label, no index) versions of a table, formatted by :func:`format_table`.

    The CSV is for spreadsheets: a text cell that would start a formula (``=``, ``+``, ``-``, ``@``) gets a
    leading ``'`` (:func:`tifa.export.spreadsheet_safe`); numbers and the LaTeX table are unchanged.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, tex_path = out_dir / f"{name}.csv", out_dir / f"{name}.tex"
    formatted = format_table(table, decimals=decimals)
    spreadsheet_safe(formatted).to_csv(csv_path, index=False, lineterminator="\n")  # no text cell runs as a formula when opened
    tex_path.write_text(latex_table(formatted, caption=caption, label=f"tab:{name}"), encoding="utf-8")
    return [csv_path, tex_path]


# column names as a paper prints them (others: underscores as spaces, first letter capital)
PAPER_HEADERS = {
    "doc_id": "Document", "n_docs": "Documents", "n_chars": "Characters", "han_chars": "Han characters", "per_10k": "Per 10,000 characters",
    "ci_low": "95 % CI, low", "ci_high": "95 % CI, high", "g2": "G²", "p_adj": "p (adjusted)", "target_count": "Count (group)",
    "reference_count": "Count (rest)", "en": "English", "province_code": "Code (GB/T 2260)", "lag_vs_first_used": "Lag vs first official use",
    "lag_vs_central": "Lag vs centre", "central_first_year": "First central use", "first_doc": "First document",
    "count_first_year": "Count in first year", "lag_is_bound": "Lag is a bound", "n_lines_removed": "Lines removed",
    "n_pinyin_removed": "Pinyin removed", "n_spans_removed": "Spans removed", "n_splits": "Lines split",
}
LONGTABLE_ROWS = 40  # beyond this many rows a table breaks across pages (longtable)


def paper_header(column: str) -> str:
    """A column's name as a paper prints it: ``PAPER_HEADERS``, else underscores as spaces and a capital first letter."""
    if column in PAPER_HEADERS:
        return PAPER_HEADERS[column]
    return column[:1].upper() + column[1:].replace("_", " ") if column.islower() or "_" in column else column


def latex_table(formatted: pd.DataFrame, *, caption: str = "", label: str = "") -> str:
    """A formatted table as LaTeX for a paper: booktabs rules, headers by :func:`paper_header`, booleans as yes/no,
    ``longtable`` beyond ``LONGTABLE_ROWS`` rows (the preamble it needs is in the README)."""
    table = formatted.copy()
    for column in table.columns:
        values = table[column].dropna()
        if len(values) and values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
            table[column] = table[column].map({True: "yes", False: "no"}, na_action="ignore")
    table.columns = [paper_header(str(c)) for c in table.columns]
    styler = table.style.hide(axis="index").format(na_rep="", escape="latex").format_index(escape="latex", axis=1)
    environment = "longtable" if len(table) > LONGTABLE_ROWS else None
    return styler.to_latex(hrules=True, caption=caption or None, label=label or None, environment=environment)



def _with_decade(corpus: Corpus) -> Corpus:
    """The corpus with ``decade`` derived from ``year`` (a new Corpus: the one passed in is never changed)."""
    if "year" in corpus.docs and corpus.docs["year"].notna().any() and "decade" not in corpus.docs:
        from dataclasses import replace

        return replace(corpus, docs=corpus.docs.assign(decade=(corpus.docs["year"] // 10 * 10).astype("Int64")))
    return corpus
