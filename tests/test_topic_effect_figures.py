"""Figures of the structural topic model: what each panel draws, in which order, and what it leaves without an interval."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tifa.figures import BUILDERS, Labeller, plot_coherence_exclusivity, plot_stm_k_search, plot_topic_contrast, plot_topic_effects_by_group, plot_topic_effects_over_time  # noqa: E402
from tifa.places import load_regions  # noqa: E402
from tifa.study import load_registry  # noqa: E402


def labeller(lang="en"):
    """The caller's labeller, with the gazetteer (builders never load it)."""
    return Labeller(lang=lang, places=load_regions())

LABELS = {0: "Zero", 1: "One"}


def _rows(covariate, levels, *, lonely=()):
    rows = []
    for topic in (0, 1):
        for i, level in enumerate(levels):
            estimate = 0.2 + 0.01 * i + 0.3 * topic
            missing = level in lonely
            value = float(level) if covariate == "year" else np.nan
            rows.append((topic, LABELS[topic], covariate, str(level), value, estimate, np.nan if missing else estimate - 0.05, np.nan if missing else estimate + 0.05, 1 if missing else 3, "m"))
    return pd.DataFrame(rows, columns=["topic", "label", "covariate", "level", "value", "estimate", "ci_low", "ci_high", "n_docs", "method"])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_every_figure_of_notebook_05_has_a_builder():
    names = {o.name for o in load_registry() if o.notebook == "05_topic_effects" and o.kind == "figure"}
    assert names == {"topic_stm_k_search", "topic_coherence_vs_exclusivity", "topic_effects_over_year", "topic_effects_by_{group}", "topic_effects_by_region", "topic_prevalence_contrast"}
    assert names <= set(BUILDERS)


def test_year_curves_draw_one_panel_per_topic_with_its_band_and_the_observed_means():
    table = _rows("year", range(2000, 2011))
    observed = pd.DataFrame({"year": [2000, 2005], "topic": [0, 0], "prevalence": [0.9, 0.1]})
    fig = plot_topic_effects_over_time(table, LABELS, observed=observed)[0]
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == ["T0: Zero", "T1: One"]
    line = axes[1].get_lines()[0]
    assert line.get_xdata().tolist() == list(range(2000, 2011)) and np.allclose(line.get_ydata(), 0.5 + 0.01 * np.arange(11))
    assert len(axes[0].collections) == 2 and len(axes[1].collections) == 2, "the dots of the observed means and the band"
    assert axes[0].get_ylim()[1] >= 0.9, "one scale for every topic, up to the highest observed mean"
    negative = _rows("year", range(2000, 2004)).assign(ci_low=-0.1)
    assert plot_topic_effects_over_time(negative, LABELS)[0].axes[0].get_ylim()[0] < -0.1, "a linear model's interval below 0 is shown, not cut"


def test_year_curves_mark_years_without_a_document_and_draw_no_band_there():
    table = _rows("year", range(1960, 1971))
    observed = pd.DataFrame({"year": [1960, 1961, 1965, 1970], "topic": 0, "prevalence": 0.5})
    fig = plot_topic_effects_over_time(table, LABELS, observed=observed)[0]
    ax = fig.axes[0]
    assert sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches) == [(1961.5, 1964.5), (1965.5, 1969.5)], "1962-64 and 1966-69 shaded"
    dashed, solid = ax.get_lines()[:2]
    assert dashed.get_linestyle() == "--" and np.isfinite(dashed.get_ydata()).all(), "the spline drawn dashed through the gaps"
    assert np.isfinite(np.asarray(solid.get_ydata(), dtype=float)).tolist() == [y in (1960, 1961, 1965, 1970) for y in range(1960, 1971)]
    band = ax.collections[1].get_paths()
    runs = ({1960, 1961}, {1965}, {1970})  # a band only within a run of years with documents, never across a gap
    assert band and all(any({round(x) for x in path.vertices[:, 0]} <= run for run in runs) for path in band)
    assert "without a document" in fig._suptitle.get_text()


def test_provinces_are_ordered_by_region_and_a_lonely_level_is_an_open_circle():
    provinces = ["青海省", "湖南省", "河北省", "广东省", "辽宁省"]
    table = _rows("province", provinces, lonely=("青海省",))
    fig = plot_topic_effects_by_group(table, LABELS, by="province", labeller=labeller("zh"))[0]
    first, second = fig.axes[0], fig.axes[1]
    top_down = [t.get_text() for t in sorted(first.get_yticklabels(), key=lambda t: -t.get_position()[1])]
    assert top_down == ["河北", "广东", "湖南", "青海", "辽宁"], "East, Central, West, Northeast; north to south within a region"
    assert second.get_yticklabels() == [] or all(t.get_text() == "" for t in second.get_yticklabels()), "labels only in the first column"
    filled, hollow = first.collections[1], first.collections[2]
    assert len(filled.get_offsets()) == 4 and len(hollow.get_offsets()) == 1
    assert hollow.get_offsets()[0][1] == 1, "Qinghai (fourth from the top of five) has no whisker"
    below = plot_topic_effects_by_group(table.assign(estimate=table["estimate"] - 0.3, ci_low=table["ci_low"] - 0.3), LABELS, by="province", labeller=labeller())[0]
    assert below.axes[0].get_xlim()[0] < -0.1, "an expected share below 0 is drawn, not cut off"
    regions = _rows("region", ["West", "East", "Northeast", "Central"])
    fig = plot_topic_effects_by_group(regions, LABELS, by="region")[0]
    assert [t.get_text() for t in sorted(fig.axes[0].get_yticklabels(), key=lambda t: -t.get_position()[1])] == ["East", "Central", "West", "Northeast"]


def test_31_provinces_fit_a_page_in_numbered_pages():
    regions = load_regions()
    provinces = list(dict.fromkeys(regions[(regions["level"] == "province") & (regions["region"] != "")]["name_zh"]))
    assert len(provinces) == 31
    table = pd.concat([_rows("province", provinces).assign(topic=lambda t, k=k: t["topic"] + 2 * k) for k in range(6)])
    figures = plot_topic_effects_by_group(table, {}, by="province", labeller=labeller("both"))
    assert len(figures) == 2 and sum(len([a for a in f.axes if a.get_visible()]) for f in figures) == 12
    for fig in figures:
        width, height = fig.get_size_inches()
        assert width <= 7.5 and height <= 9.7
        assert len(fig.axes[0].get_yticklabels()) == 31


def test_contrast_orders_topics_by_difference_and_says_which_minus_which():
    contrast = pd.DataFrame({"topic": [0, 1, 2], "label": ["a", "b", "c"], "covariate": "province", "level": "广东省 − 浙江省", "value": np.nan,
                             "estimate": [0.1, -0.2, 0.0], "ci_low": [0.0, -0.3, np.nan], "ci_high": [0.2, -0.1, np.nan], "n_docs": 3, "method": "m"})  # fmt: skip
    fig = plot_topic_contrast(contrast, {0: "zero", 1: "one", 2: "two"}, labeller=labeller())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T1: one", "T2: two", "T0: zero"]
    assert ax.get_xlabel() == "Difference in expected topic share: Guangdong − Zhejiang (province)"
    assert len(ax.collections[0].get_segments()) == 2, "no whisker where there is no interval"


def test_k_search_figures():
    selection = pd.DataFrame({"k": [5, 10, 15], "heldout": [-9.0, -8.5, -8.6], "semcoh": [-60.0, -70.0, -80.0], "exclusivity": [8.0, 9.0, 9.3], "dispersion": [3.0, 1.5, 1.2]})
    fig = plot_stm_k_search(selection, chosen=10)
    assert [a.get_title() for a in fig.axes] == ["Held-out log-likelihood", "Semantic coherence", "Exclusivity", "Residual dispersion"]
    assert all(len(a.collections) == 1 and a.collections[0].get_offsets()[0][0] == 10 for a in fig.axes), "the chosen K circled in every panel"
    fig = plot_coherence_exclusivity(selection, chosen=10)
    assert [t.get_text() for t in fig.axes[0].texts] == ["K=5", "K=10", "K=15"]
