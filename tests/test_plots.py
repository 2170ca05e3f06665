"""Figures: no tofu, TrueType PDF, byte-stable output, content names."""

import warnings

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from tifa import figures
from tifa.figures import Labeller
from tifa.figures.style import font_manager

from .conftest import QINGHAI, reference_counts


def labeller(lang="en", glossary=None):
    """The caller's labeller: the gazetteer and the lexicon's glosses, loaded here, not in the builders."""
    from tifa.lexicon import load_slogans
    from tifa.places import load_regions

    return Labeller(lang=lang, places=load_regions(), glossary={s.zh: s.en for s in load_slogans()} if glossary is None else glossary)


@pytest.fixture(autouse=True)
def _style():
    figures.use_style()
    yield
    plt.close("all")


def test_font_covers_every_character_of_the_cleaned_corpus(seeds):
    text = "".join(seeds.docs["text"]) + "−0123 Hunan 湖南 党政同责"
    assert figures.font_missing_characters(text) == set()


def test_coverage_check_can_fail():
    dejavu = font_manager.findfont("DejaVu Sans")
    assert "党" in figures.font_missing_characters("党政同责", dejavu)


def test_chinese_draws_without_glyph_warnings(seed_texts):
    fig, ax = plt.subplots()
    ax.set_title(seed_texts.iloc[0][:40])
    ax.plot([-1, 1], [-2, 2])  # negative tick labels use U+2212
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()


def test_default_dejavu_would_draw_tofu():
    plt.rcParams["font.family"] = ["DejaVu Sans"]
    fig, ax = plt.subplots()
    ax.set_title("党政同责")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()


def test_save_figure_writes_stable_truetype_pdf_and_300dpi_png(tmp_path):
    def draw():
        fig, ax = plt.subplots()
        ax.set_title("湖南 Hunan −1")
        ax.plot([0, 1], [-1, 1])
        return fig

    first = figures.save_figure(draw(), "test_chinese_title", out_dir=tmp_path / "a")
    second = figures.save_figure(draw(), "test_chinese_title", out_dir=tmp_path / "b")
    assert [p.name for p in first] == ["test_chinese_title.pdf", "test_chinese_title.png"]
    pdf = first[0].read_bytes()
    assert pdf == second[0].read_bytes(), "PDF must be byte-stable"
    assert b"/FontFile2" in pdf and b"/CreationDate" not in pdf and b"Type3" not in pdf
    with Image.open(first[1]) as png:
        assert round(png.info["dpi"][0]) == 300


@pytest.mark.parametrize("name", ["fig3a", "Figure 1", "documents-by-year"])
def test_figure_names_must_say_what_they_show(tmp_path, name):
    with pytest.raises(ValueError, match="figure name"):
        figures.save_figure(plt.figure(), name, out_dir=tmp_path)


def test_user_font_and_missing_font(tmp_path, monkeypatch):
    assert figures.configure_fonts(figures.default_font_path()) == figures.default_font_path()
    monkeypatch.setenv(figures.FONT_ENV, str(tmp_path / "none.ttf"))
    with pytest.raises(FileNotFoundError, match="TIFA_FONT"):
        figures.configure_fonts()


def test_wordcloud_renders_chinese_with_the_font():
    from wordcloud import WordCloud

    cloud = WordCloud(font_path=str(figures.default_font_path()), random_state=0, width=200, height=100)
    image = cloud.generate_from_frequencies({"党政同责": 3, "生态文明": 2}).to_array()
    assert image.shape == (100, 200, 3) and image.any()


def test_documents_figure_has_english_labels(seeds):
    ax = figures.plot_documents_by_place_and_year(seeds.summary(), labeller=labeller())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Hebei", "Hunan", "Jiangxi", "Qinghai", "Shaanxi"]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["Prefecture", "Provincial"]


def test_document_labels(seeds):
    labels = labeller().documents(seeds.docvars)
    assert labels.tolist() == ["Hunan 2016", "Hengshui 2016", "Qinghai 2017", "Ganzhou 2014", "Shangluo 2022"]


def test_cleaning_audit_heatmap_annotates_counts(seeds):
    ax = figures.plot_cleaning_audit(seeds.audit_counts())
    assert "366" in [t.get_text() for t in ax.texts]


# --- term-statistics figures ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed_dfm(seeds):
    from tifa.stats import build_dfm
    from tifa.tokens import Segmenter, tokens

    return build_dfm(tokens(seeds, Segmenter(), cache_dir=None))


def test_top_terms_panels_use_english_province_names(seed_dfm):
    from tifa.stats import textstat_frequency

    pages = figures.plot_top_terms(textstat_frequency(seed_dfm, by="province", n=5), by="province", labeller=labeller())
    assert len(pages) == 1
    fig = pages[0]
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["Hebei", "Hunan", "Jiangxi", "Qinghai", "Shaanxi"], "East, Central (by name), West (by name)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()


def test_keyness_bars_are_signed(seed_dfm):
    from tifa.stats import textstat_keyness

    table = textstat_keyness(seed_dfm, "湖南省", by="province")
    ax = figures.plot_keyness(table, n=3)
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 6 and all(w > 0 for w in widths[:3]) and all(w < 0 for w in widths[3:])


def test_slogan_terms_get_english_glosses():
    assert labeller("zh").term("两学一做") == "两学一做"
    assert labeller("both").term("两学一做") == "两学一做 (Two Studies, One Action)"
    assert labeller("en").term("湘江") == "湘江", "terms outside the lexicon stay as written"
    assert Labeller().term("两学一做") == "两学一做", "without a glossary, as written"


def test_wordclouds_are_deterministic(seed_dfm):
    from tifa.stats import textstat_frequency

    freq = textstat_frequency(seed_dfm, by="province", n=30)
    first = figures.plot_wordclouds(freq, by="province").axes[0].images[0].get_array()
    second = figures.plot_wordclouds(freq, by="province").axes[0].images[0].get_array()
    assert (first == second).all()
    assert figures.current_font_path() == figures.default_font_path()


def test_similarity_figure_orders_by_clusters(seed_dfm):
    from tifa.stats import cluster_documents, textstat_simil

    sim = textstat_simil(seed_dfm)
    fig = figures.plot_similarity(sim, cluster_documents(sim), labels=labeller().documents(seed_dfm.docvars))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(["Hunan 2016", "Hengshui 2016", "Qinghai 2017", "Ganzhou 2014", "Shangluo 2022"])


# --- slogan figures ---------------------------------------------------------------------------


def test_slogan_heatmap_and_timeline(seeds):
    from tifa.slogans import SloganMatcher, count_slogans, lexicon_table

    matcher = SloganMatcher()
    ax = figures.plot_slogan_heatmap(count_slogans(seeds, matcher=matcher), by="doc_id", labels=labeller().documents(seeds.docvars), value="count", labeller=labeller())
    qinghai = seeds.docs.set_index("doc_id")["text"][QINGHAI]
    assert str(qinghai.count("中央环保督察") + qinghai.count("中央环境保护督察")) in [t.get_text() for t in ax.texts], "中央环保督察 in Qinghai"
    assert "Central Environmental Inspection" in [t.get_text() for t in ax.get_yticklabels()]
    by_year = count_slogans(seeds, by="year", matcher=matcher)
    ax = figures.plot_slogan_timeline(by_year, lexicon_table(matcher), labeller=labeller())
    used = by_year.loc[by_year["count"] > 0, "slogan"].nunique()
    in_texts = {zh for text in seeds.docs["text"] for zh in reference_counts(text)}
    assert len(ax.get_yticklabels()) == used == len(in_texts)
    first_used = sorted(ax.collections[1].get_offsets()[:, 0])
    years = [int(s.first_used[:4]) for s in matcher.slogans if s.zh in in_texts and s.first_used]
    observed = seeds.docs["year"]  # 2014-2022: an official date outside them is written at the edge, the axis keeps to the data
    assert first_used == sorted(y for y in years if observed.min() <= y <= observed.max())
    outside = sorted(y for y in years if not observed.min() <= y <= observed.max())
    assert outside and sorted(int(t.get_text().removeprefix("▼ ")) for t in ax.texts) == outside
    assert ax.get_xlim() == (observed.min() - 0.8, observed.max() + 0.8)


def test_slogan_xray_and_cooccurrence(seeds):
    from tifa.slogans import cooccurrence_matrix, slogan_cooccurrence, slogan_mentions

    mentions = slogan_mentions(seeds)
    lengths = seeds.docs.set_index("doc_id")["text"].str.len()
    fig = figures.plot_slogan_xray(mentions, lengths, slogans=["中央环保督察", "生态文明"])
    inspections = sum(reference_counts(text).get("中央环保督察", 0) for text in seeds.docs["text"])
    assert len(fig.axes) == 2 and len(fig.axes[0].collections[0].get_offsets()) == inspections
    ax = figures.plot_cooccurrence(cooccurrence_matrix(slogan_cooccurrence(mentions)))
    assert [t.get_text() for t in ax.texts].count("2") == 2, "党政同责 × 一岗双责, both halves"


def test_topic_figures(seeds):
    from tifa.tokens import tokens
    from tifa.topics import fit_topics, select_k, topic_prevalence, topic_units

    units = topic_units(seeds, tokens(seeds, cache_dir=None))
    model = fit_topics(units, k=3)
    labels = {0: "Zero", 1: "One", 2: "Two"}
    fig = figures.plot_topic_terms(model.top_terms(5), labels)[0]
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["T0: Zero", "T1: One", "T2: Two"]
    ax = figures.plot_prevalence_heatmap(topic_prevalence(model, by="province", n_boot=50), labels, by="province")
    assert len(ax.texts) == model.k * seeds.docs["province"].nunique(), "a share in every cell"
    fig = figures.plot_prevalence_by(topic_prevalence(model, by="year", n_boot=50), labels, by="year")[0]
    assert len([a for a in fig.axes if a.get_visible()]) == 3
    fig = figures.plot_k_selection(select_k(units, [2, 3], seeds=(1, 2)), chosen={"nmf": 3})
    assert [a.get_title() for a in fig.axes] == ["NPMI coherence", "UMass coherence", "Stability across subsamples"]


def test_font_subset_keeps_the_glyphs_it_needs_and_falls_back_for_the_rest(tmp_path):
    from fontTools.ttLib import TTFont

    first = figures.font_subset(figures.default_font_path(), "党政同责 abc 한", cache_dir=tmp_path / "a")
    again = figures.font_subset(figures.default_font_path(), "한责同政党", cache_dir=tmp_path / "b")
    assert first.read_bytes() == again.read_bytes(), "same font and Han (and Hangul) characters: same file (no timestamps)"
    with TTFont(first) as font:
        cmap = font.getBestCmap()
        assert "tifa subset" in font["name"].getDebugName(1)
    assert {ord(c) for c in "党政同责"} <= set(cmap) and ord("湘") not in set(cmap)
    assert {ord(c) for c in "Hunan−0123²▼，、"} <= set(cmap), "every glyph outside the Han and Hangul blocks is kept"
    assert ord("한") in cmap and ord("국") not in cmap and not figures.font_missing_characters("국"), "Hangul is kept where the study draws it, else cut"
    figures.use_style(characters="党政同责")
    fig, ax = plt.subplots()
    ax.set_title("党政同责 湘江")  # 湘江 is not in the subset: drawn from the full font, not as tofu
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    pdf = tmp_path / "x.pdf"
    fig.savefig(pdf)
    assert pdf.read_bytes().count(b"/FontFile2") == 2, "both fonts embedded"


def test_processes_that_need_the_same_font_cut_make_it_once(tmp_path, monkeypatch):
    import threading
    import time

    from tifa.figures import style

    cuts = []

    def slow_cut(font, han, out):
        cuts.append(out.name)
        time.sleep(0.3)  # long enough for the other caller to arrive while the cut is made
        out.write_bytes(b"cut")

    monkeypatch.setattr(style, "_cut", slow_cut)
    results = []
    callers = [threading.Thread(target=lambda: results.append(style.font_subset(figures.default_font_path(), "党政同责", cache_dir=tmp_path))) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(cuts) == 1 and len(results) == 2 and results[0] == results[1] and results[0].read_bytes() == b"cut"


# --- honest time axes and matrices ---------------------------------------------------------


def test_cooccurrence_marks_hidden_pairs_instead_of_drawing_zero():
    import numpy as np
    import pandas as pd

    names = ["党政同责", "一岗双责", "两学一做"]
    matrix = pd.DataFrame([[0, 5, np.nan], [5, 0, 0], [np.nan, 0, 0]], index=names, columns=names, dtype=float)
    ax = figures.plot_cooccurrence(matrix, labeller=labeller("zh"), value_label="sentences with both")
    hidden = [p for p in ax.patches if p.get_hatch()]
    assert sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in hidden) == [(0.0, 2.0), (2.0, 0.0)], "the pair not shown is hatched"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["未绘出：不在所示词对之中"]
    assert [t.get_text() for t in ax.texts] == ["5", "5"], "values written; no 0 for a hidden pair, none on the diagonal"
    assert np.ma.getmaskarray(ax.images[0].get_array())[[0, 2, 0, 1, 2], [2, 0, 0, 1, 2]].all(), "hidden pairs and the diagonal carry no value"
    dark = pd.DataFrame([[0, 40], [40, 0]], index=names[:2], columns=names[:2], dtype=float)
    ax = figures.plot_cooccurrence(dark, labeller=labeller())
    assert {t.get_color() for t in ax.texts} == {"white"}, "readable on the darkest cells"


def test_timeline_shades_years_without_a_document_and_labels_in_chinese(seeds):
    import re

    from tifa.slogans import SloganMatcher, count_slogans, lexicon_table

    matcher = SloganMatcher()
    by_year = count_slogans(seeds, by="year", matcher=matcher)
    ax = figures.plot_slogan_timeline(by_year, lexicon_table(matcher), years=[2014, 2016, 2017, 2022], labeller=labeller("zh"))
    spans = sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches)
    assert spans == [(2014.5, 2015.5), (2017.5, 2021.5)], "2015 and 2018-2021 have no document"
    texts = [t.get_text() for t in ax.get_yticklabels()] + [t.get_text() for t in ax.figure.legends[0].get_texts()] + [ax.get_xlabel()]
    assert "两学一做" in texts and not [t for t in texts if re.search("[A-Za-z]", t)]


def test_topic_prevalence_by_year_breaks_lines_and_bands_across_missing_years():
    import numpy as np
    import pandas as pd

    prevalence = pd.DataFrame({"year": [1960, 1964, 1975, 1976], "topic": 0, "prevalence": [0.2, 0.3, 0.4, 0.5], "ci_low": [0.1, np.nan, 0.3, 0.4], "ci_high": [0.3, np.nan, 0.5, 0.6]})
    fig = figures.plot_prevalence_by(prevalence, {0: "zero"}, by="year", years=[1960, 1964, 1975, 1976], labeller=labeller())[0]
    ax = fig.axes[0]
    line = ax.lines[0]
    x, y = line.get_xdata(), np.asarray(line.get_ydata(), dtype=float)
    assert x.tolist() == list(range(1960, 1977))
    assert np.isnan(y[x.tolist().index(1965):x.tolist().index(1975)]).all(), "no straight line from 1964 to 1975"
    assert y[x.tolist().index(1975)] == 0.4
    band = next(c for c in ax.collections if c.get_paths())
    assert {round(v) for path in band.get_paths() for v in path.vertices[:, 0]} == {1960, 1975, 1976}, "the band breaks too (1964 has no interval)"
    assert sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches if p.get_width() < 20) == [(1960.5, 1963.5), (1964.5, 1974.5)]
