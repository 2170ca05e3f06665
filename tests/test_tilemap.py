"""The tile-grid map and the diffusion figures: positions as data, regions, three tile states, discrete years, gaps in time,
lags inside their rows, Chinese labels throughout; builders get the gazetteer from the caller."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PatchCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from tifa.errors import InputError
from tifa.figures import Labeller, lag_skip_reason, save_figure, use_style
from tifa.figures.diffusion import (
    plot_adoption_curves,
    plot_lag_distribution,
    plot_panel_heatmap,
)
from tifa.figures.maps import plot_province_tiles, province_tiles
from tifa.places import load_regions

PAGE = (7.5, 9.7)
PROVINCES = ["湖南省", "河北省", "青海省"]


@pytest.fixture(autouse=True)
def _style():
    use_style()
    yield
    plt.close("all")


def labeller(lang="en"):
    return Labeller(lang=lang, places=load_regions(), glossary={"两学一做": "Two Studies, One Action", "三严三实": "Three Stricts and Three Earnests"})


def fits_page(fig: Figure) -> bool:
    width, height = fig.get_size_inches()
    return width <= PAGE[0] and height <= PAGE[1]


def latin(texts) -> list[str]:
    return [t for t in texts if re.search(r"[A-Za-z]", t)]


def test_tiles_are_one_cell_each_and_regions_follow_the_nbs_division():
    tiles = province_tiles(load_regions())
    assert len(tiles) == 34 and not tiles[["tile_row", "tile_col"]].duplicated().any()
    mainland = tiles[tiles["mainland"]]
    assert len(mainland) == 31
    assert mainland.groupby("region").size().to_dict() == {"Central": 6, "East": 10, "Northeast": 3, "West": 12}
    assert set(tiles.loc[~tiles["mainland"], "iso_3166_2"]) == {"CN-HK", "CN-MO", "CN-TW"}
    cell = tiles.set_index("iso_3166_2")
    # rough geography: Heilongjiang north of Hainan, Xinjiang west of Shanghai, Beijing north of Guangdong
    assert cell.loc["CN-HL", "tile_row"] < cell.loc["CN-HI", "tile_row"]
    assert cell.loc["CN-XJ", "tile_col"] < cell.loc["CN-SH", "tile_col"]
    assert cell.loc["CN-BJ", "tile_row"] < cell.loc["CN-GD", "tile_row"]
    assert len(province_tiles(load_regions(), others=False)) == 31


def test_order_puts_east_central_west_northeast_then_others_then_places_outside_the_gazetteer():
    order = labeller().order(["辽宁省", "中央", "青海省", "湖南省", "北京市", "香港特别行政区"], "province")
    assert order == ["北京市", "湖南省", "青海省", "辽宁省", "香港特别行政区", "中央"]
    assert Labeller().order(["辽宁省", "北京市"], "province") == ["北京市", "辽宁省"], "without a gazetteer: by name"


def test_builders_never_load_the_gazetteer_or_the_lexicon(monkeypatch):
    import tifa.lexicon
    import tifa.places

    given = labeller()

    def refuse(*args, **kwargs):
        raise AssertionError("a builder loaded data itself")

    monkeypatch.setattr(tifa.places, "load_regions", refuse)
    monkeypatch.setattr(tifa.lexicon, "load_slogans", refuse)
    plot_province_tiles({"湖南": 2016}, labeller=given)
    plot_panel_heatmap(_panel(), slogans=["a"], years=[2014, 2015, 2016], labeller=given)
    plot_lag_distribution(_lags([0, 1, 2]), labeller=given)


def tile_state(fig, name_en):
    """Face colour and hatch of the tile labelled ``name_en``."""
    ax = fig.axes[0]
    text = next(t for t in ax.texts if t.get_text().replace("\n", " ") == name_en)
    x, y = text.get_position()
    patch = next(p for p in ax.patches if p.get_x() < x < p.get_x() + p.get_width() and p.get_y() < y < p.get_y() + p.get_height())
    return patch.get_facecolor(), patch.get_hatch()


def test_three_tile_states_have_three_looks_and_a_legend_entry_each(tmp_path):
    fig = plot_province_tiles({"湖南": 2.5, "河北省": 1.0, "青海省": np.nan}, observed=["湖南省", "河北省", "青海省"], labeller=labeller(),
                              never="documents, never used", label="Mentions per 10,000 characters", fmt="{:.1f}")
    assert isinstance(fig, Figure) and fits_page(fig)
    value, never, none = tile_state(fig, "Hunan"), tile_state(fig, "Qinghai"), tile_state(fig, "Tibet")
    assert value[1] is None and never[1] and none[1] and never[1] != none[1], "value plain; never-used and no-document hatched differently"
    assert len({value[0], never[0], none[0]}) == 3, "three distinct face colours"
    assert to_rgba(never[0]) == to_rgba("white")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["no document", "documents, never used"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "2.5" in texts and "1.0" in texts
    hatched = [p for p in fig.axes[0].patches if p.get_hatch() == "///"]
    assert len(hatched) == 34 - 3, "every tile without a document"
    paths = save_figure(plot_province_tiles(pd.Series({"湖南省": -2.0, "河北省": 3.0}), diverging=True, labeller=labeller("both")), "tile_map_check", out_dir=tmp_path)
    assert paths[1].stat().st_size < 3_000_000


def test_a_one_year_map_has_a_categorical_legend_not_a_colour_bar():
    years = pd.Series(2025.0, index=["湖南省", "河北省", "青海省"])
    fig = plot_province_tiles(years, labeller=labeller(), integer=True, fmt="{:.0f}", label="First year of use")
    assert len(fig.axes) == 1, "no colour bar axes (a bar would run from 2024.5 to 2025.5)"
    legends = [c for c in fig.axes[0].get_children() if isinstance(c, Legend)]
    entries = [t.get_text() for legend in legends for t in legend.get_texts()]
    assert "2025" in entries and "no document" in entries
    many = pd.Series(np.arange(2000, 2012, dtype=float), index=load_regions().query("level == 'province' and region != ''")["name_zh"].drop_duplicates()[:12])
    fig = plot_province_tiles(many, labeller=labeller(), integer=True, fmt="{:.0f}")
    bar = fig.axes[1]
    ticks = [t for t in bar.get_yticks() if 2000 <= t <= 2011]
    assert ticks and all(float(t).is_integer() for t in ticks), "twelve years: a colour bar in whole years"


def test_a_map_of_one_non_negative_value_has_no_negative_colour_scale():
    zeros = pd.Series(0.0, index=["湖南省", "河北省", "青海省"])
    fig = plot_province_tiles(zeros, labeller=labeller(), label="Reused (%)")
    low, high = fig.axes[1].get_ylim()
    assert (low, high) == (0.0, 0.5), "shares of 0 everywhere: a scale from 0, not from -0.5"
    negative = plot_province_tiles(pd.Series(-2.0, index=["湖南省"]), labeller=labeller())
    assert negative.axes[1].get_ylim() == (-2.5, -1.5)


def test_groups_outside_the_gazetteer_are_left_out_with_a_note_not_an_error(caplog):
    fig = plot_province_tiles({"中央": 2016, "湖南": 2017, "长沙市": 2018}, labeller=labeller(), integer=True, fmt="{:.0f}")
    notes = [t.get_text() for t in fig.texts]
    assert notes == ["Not drawn (not a province of the gazetteer): 中央; 长沙市"]
    assert "中央" in caplog.text
    assert "2017" in [t.get_text() for t in fig.axes[0].texts] and "2016" not in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(InputError, match="needs the gazetteer"):
        plot_province_tiles({"湖南": 1.0}, labeller=Labeller())


def test_chinese_maps_have_no_latin_province_names():
    lab = labeller("zh")
    fig = plot_province_tiles({"湖南": 2.0, "中央": 1.0}, observed=["湖南", "河北"], never="documents, no mention", labeller=lab,
                              label=lab.text("Mentions per 10,000 characters"), note=lab.listing("Pooled", ["两学一做"]))
    texts = [t.get_text() for t in fig.axes[0].texts] + [t.get_text() for t in fig.texts] + [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    texts.append(fig.axes[1].get_ylabel())
    assert "湖南" in texts and "合并：两学一做" in "\n".join(texts)
    assert latin(texts) == [], "every label Chinese"


def _panel():
    rows = []
    for p in PROVINCES:
        for y in (2014, 2015, 2016):
            for s, zh in (("a", "两学一做"), ("b", "三严三实")):
                n_docs = 0 if (p, y) == ("青海省", 2015) else 1
                rows.append((p, y, n_docs, 1000 * n_docs, s, zh, 1, 2.0 if n_docs else np.nan))
    return pd.DataFrame(rows, columns=["province", "year", "n_docs", "n_chars", "slogan_id", "slogan", "count", "per_10k"])


def test_panel_heatmap_is_a_numeric_year_axis_with_empty_years_hatched():
    panel = _panel()
    panel["year"] = panel["year"].map({2014: 1964, 2015: 1975, 2016: 1976})  # a gap of ten years, as in the national reports
    fig = plot_panel_heatmap(panel, slogans=["a", "b"], years=[1964, 1975, 1976], labeller=labeller())
    ax = fig.axes[0]
    assert fits_page(fig) and ax.get_yticklabels()[0].get_text() == "Hebei"  # East first
    assert ax.get_xlim() == (1963.5, 1976.5), "every year of the span has its column"
    assert ax.images[0].get_array().shape == (3, 13)
    empty = next(c for c in ax.collections if isinstance(c, PatchCollection))
    assert len(empty.get_paths()) == 3 * 10 + 1, "ten years without any document (3 provinces each) and Qinghai 1975"
    assert all(float(t).is_integer() for t in ax.get_xticks())
    zh = plot_panel_heatmap(_panel(), slogans=["a"], years=[2014, 2015, 2016], labeller=labeller("zh"))
    assert latin([t.get_text() for t in zh.axes[0].get_yticklabels()] + [zh.axes[0].get_title()]) == []


def _curves(shares, years, at_risk=None):
    frame = pd.DataFrame({"slogan_id": "a", "slogan": "两学一做", "en": "x", "year": years, "share": shares})
    if at_risk is not None:
        frame["n_at_risk"] = at_risk
    return frame


def test_adoption_curves_break_at_years_without_documents_and_have_no_offsets():
    curves = pd.concat([_curves([0.0, 0.5, 0.5, 1.0], [2010, 2011, 2014, 2015]), _curves([0.0, 0.5, 0.5, 1.0], [2010, 2011, 2014, 2015]).assign(slogan_id="b", slogan="三严三实")])
    figures = plot_adoption_curves(curves, years=[2010, 2011, 2014, 2015], central=pd.Series({"a": 2011}), labeller=labeller())
    fig = figures[0]
    assert len(figures) == 1 and fits_page(fig)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["三严三实 (Three Stricts and Three Earnests)", "两学一做 (Two Studies, One Action)"], "coinciding curves: one panel each"
    line = panels[1].lines[0]
    assert line.get_xdata().tolist() == list(range(2010, 2016))
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y[2:4]).all(), "2012 and 2013 break the line"
    assert y[[0, 1, 4, 5]].tolist() == [0.0, 0.5, 0.5, 1.0], "the shares themselves, not shifted"
    spans = [p for p in panels[1].patches if p.get_label() == "year without a document" or p.get_facecolor()[:3] == to_rgba("0.92")[:3]]
    assert spans and min(p.get_x() for p in spans) == 2011.5
    at_risk = plot_adoption_curves(_curves([0.0, 0.5, 0.7], [2010, 2011, 2012], at_risk=[2, 0, 3]), labeller=labeller())[0]
    y = np.asarray([ax for ax in at_risk.axes if ax.get_visible()][0].lines[0].get_ydata(), dtype=float)
    assert np.isnan(y[1]) and y[2] == 0.7, "a year without groups at risk breaks the line"


def test_left_censored_adopters_are_hatched_as_a_share_of_the_risk_set():
    # two provinces observed 2010-2012: A already uses the slogan in 2010 (left-censored), B adopts in 2011
    curves = _curves([0.5, 1.0, 1.0], [2010, 2011, 2012], at_risk=[2, 2, 2]).assign(share_left_censored=[0.5, 0.5, 0.5])
    fig = plot_adoption_curves(curves, labeller=labeller())[0]
    ax = [a for a in fig.axes if a.get_visible()][0]
    band = next(c for c in ax.collections if c.get_hatch())
    vertices = band.get_paths()[0].vertices
    assert sorted(set(np.round(vertices[:, 1], 6))) == [0.0, 0.5, 1.0], "the band runs from share − 1/2 up to the share"
    assert "of which already using it when first observed (left-censored)" in [t.get_text() for t in fig.legends[0].get_texts()]
    plain = plot_adoption_curves(curves.assign(share_left_censored=0.0), labeller=labeller())[0]
    assert not [c for a in plain.axes for c in a.collections if c.get_hatch()], "no band without left-censored adopters"


def _lags(values, bound=None, slogan="两学一做"):
    frame = pd.DataFrame({"province": [f"p{i:02d}" for i in range(len(values))], "slogan": slogan, "lag_vs_central": pd.array(values, dtype="Int64")})
    if bound is not None:
        frame["lag_is_bound"] = bound
    return frame


def test_lag_dots_stay_in_their_row_and_bounds_are_hollow():
    lags = pd.concat([_lags([-1, 0, 0, 0, 0, 0, 0, 2], bound=[False] * 7 + [True]), _lags([1, 1, 3], slogan="三严三实")])
    ax = plot_lag_distribution(lags, labeller=labeller())
    rows = {t.get_text(): i for i, t in enumerate(ax.get_yticklabels())}
    assert rows == {"Two Studies, One Action": 0, "Three Stricts and Three Earnests": 1}, "ordered by median lag"
    dots = np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert len(dots) == 11 and sorted(dots[:, 0].tolist()) == sorted([-1, 0, 0, 0, 0, 0, 0, 2, 1, 1, 3])
    zeros = np.sort(dots[dots[:, 0] == 0, 1])
    assert np.all(np.diff(zeros) > 0), "six equal lags side by side, none on top of another"
    for x, y in dots:
        row = 1 if x in (1, 3) else 0
        assert row - 0.5 < y < row + 0.5, f"dot ({x}, {y}) left its row"
    hollow = [c for c in ax.collections if len(c.get_offsets()) and to_rgba(c.get_facecolor()[0]) == to_rgba("white")]
    assert [c.get_offsets()[:, 0].tolist() for c in hollow if len(c.get_offsets())] == [[2.0]]


def test_many_equal_lags_become_a_histogram_inside_the_row():
    ax = plot_lag_distribution(pd.concat([_lags([0] * 20 + [1] * 5), _lags([2, 3], slogan="三严三实")]), labeller=labeller())
    bars = [p for p in ax.patches if p.get_width() == pytest.approx(0.8)]
    assert len(bars) == 4
    for bar in bars:
        row = 0 if bar.get_x() < 1.5 else 1
        assert row - 0.5 < bar.get_y() and bar.get_y() + bar.get_height() < row + 0.5, "every bar inside its row"
    heights = sorted(round(b.get_height(), 6) for b in bars)
    assert heights[-1] == 0.8 and heights[-2] == pytest.approx(0.8 * 5 / 20), "height: number of groups"


def test_lag_figure_is_skipped_when_it_would_mislead():
    assert "one year" in lag_skip_reason(_lags([3, 4]), years=[2025])
    assert "every lag is 0" in lag_skip_reason(_lags([0, 0, 0]), years=[2024, 2025])
    assert "bound" in lag_skip_reason(_lags([1, 2], bound=[True, True]), years=[2024, 2025])
    assert "no followed slogan" in lag_skip_reason(_lags([]), years=[2024, 2025])
    assert lag_skip_reason(_lags([0, 1]), years=[2024, 2025]) == ""


def test_upper_bounds_are_written_as_such():
    fig = plot_province_tiles({"湖南": 2016.0, "河北省": 2017.0}, bounds=["湖南省"], labeller=labeller(), integer=True, fmt="{:.0f}")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "≤2016" in texts and "2017" in texts and "≤2017" not in texts
    assert [t.get_text() for t in fig.texts] == ["≤: an upper bound (already in use when first observed)"]
