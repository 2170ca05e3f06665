"""Figures: no tofu, TrueType PDF, byte-stable output, content names."""

import io
import warnings

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from tifa import plots


@pytest.fixture(autouse=True)
def _style():
    plots.use_style()
    yield
    plt.close("all")


def test_font_covers_every_character_of_the_cleaned_corpus(seeds):
    text = "".join(seeds.docs["text"]) + "−0123 Hunan 湖南 党政同责"
    assert plots.font_missing_characters(text) == set()


def test_coverage_check_can_fail():
    dejavu = plots.font_manager.findfont("DejaVu Sans")
    assert "党" in plots.font_missing_characters("党政同责", dejavu)


def test_chinese_draws_without_glyph_warnings(seed_texts):
    fig, ax = plt.subplots()
    ax.set_title(seed_texts.iloc[0][:40])
    ax.plot([-1, 1], [-2, 2])  # negative tick labels use U+2212
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()


def test_default_dejavu_would_draw_tofu():
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans"]
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

    first = plots.save_figure(draw(), "test_chinese_title", out_dir=tmp_path / "a")
    second = plots.save_figure(draw(), "test_chinese_title", out_dir=tmp_path / "b")
    assert [p.name for p in first] == ["test_chinese_title.pdf", "test_chinese_title.png"]
    pdf = first[0].read_bytes()
    assert pdf == second[0].read_bytes(), "PDF must be byte-stable"
    assert b"/FontFile2" in pdf and b"/CreationDate" not in pdf and b"Type3" not in pdf
    with Image.open(first[1]) as png:
        assert round(png.info["dpi"][0]) == 300


@pytest.mark.parametrize("name", ["fig3a", "Figure 1", "documents-by-year"])
def test_figure_names_must_say_what_they_show(tmp_path, name):
    with pytest.raises(ValueError, match="figure name"):
        plots.save_figure(plt.figure(), name, out_dir=tmp_path)


def test_user_font_and_missing_font(tmp_path, monkeypatch):
    assert plots.configure_fonts(plots.default_font_path()) == plots.default_font_path()
    monkeypatch.setenv(plots.FONT_ENV, str(tmp_path / "none.ttf"))
    with pytest.raises(FileNotFoundError, match="TIFA_FONT"):
        plots.configure_fonts()


def test_wordcloud_renders_chinese_with_the_font():
    from wordcloud import WordCloud

    cloud = WordCloud(font_path=str(plots.default_font_path()), random_state=0, width=200, height=100)
    image = cloud.generate_from_frequencies({"党政同责": 3, "生态文明": 2}).to_array()
    assert image.shape == (100, 200, 3) and image.any()


def test_documents_figure_has_english_labels(seeds):
    ax = plots.plot_documents_by_place_and_year(seeds.summary(), lang="en")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Hebei", "Hunan", "Jiangxi", "Qinghai", "Shaanxi"]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["Prefecture", "Provincial"]


def test_document_labels(seeds):
    labels = plots.document_labels(seeds.docvars)
    assert labels.tolist() == ["Hunan 2016", "Hengshui 2016", "Qinghai 2017", "Ganzhou 2014", "Shangluo 2022"]


def test_cleaning_audit_heatmap_annotates_counts(seeds):
    ax = plots.plot_cleaning_audit(seeds.audit_counts())
    assert "366" in [t.get_text() for t in ax.texts]
