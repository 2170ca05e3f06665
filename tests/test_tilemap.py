"""The tile-grid map and the diffusion figures: positions as data, regions, missing provinces, page size."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tifa.figures.diffusion import plot_adoption_curves, plot_lag_distribution, plot_panel_heatmap
from tifa.errors import InputError
from tifa.figures import save_figure, use_style
from tifa.figures.maps import plot_province_tiles, province_tiles, region_order

PAGE = (7.5, 9.7)


def fits_page(fig: Figure) -> bool:
    width, height = fig.get_size_inches()
    return width <= PAGE[0] and height <= PAGE[1]


def test_tiles_are_one_cell_each_and_regions_follow_the_nbs_division():
    tiles = province_tiles()
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
    assert len(province_tiles(others=False)) == 31


def test_region_order_puts_east_central_west_northeast_then_unknown():
    assert region_order(["辽宁省", "青海省", "湖南省", "北京市", "香港特别行政区"]) == ["北京市", "湖南省", "青海省", "辽宁省", "香港特别行政区"]


def test_tile_map_marks_missing_and_refuses_non_provinces(tmp_path):
    use_style()
    fig = plot_province_tiles({"湖南": 2016, "河北省": 2017, "青海省": np.nan}, label="First year", integer=True, fmt="{:.0f}")
    assert isinstance(fig, Figure) and fits_page(fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "2016" in texts and "2017" in texts and "Qinghai" in texts
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][0] == "no data"
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 34 - 2  # every tile but the two with values
    fig = plot_province_tiles(pd.Series({"湖南省": -2.0, "河北省": 3.0}), diverging=True, lang="both")
    paths = save_figure(fig, "tile_map_check", out_dir=tmp_path)
    assert paths[1].stat().st_size < 3_000_000
    with pytest.raises(InputError, match="prefecture"):
        plot_province_tiles({"长沙市": 1.0})
    with pytest.raises(InputError, match="not a province"):
        plot_province_tiles({"Atlantis": 1.0})


def test_diffusion_figures_are_figures_that_fit_a_page():
    use_style()
    rows = []
    for p in ["湖南省", "河北省", "青海省"]:
        for y in (2014, 2015, 2016):
            for s, zh in (("a", "两学一做"), ("b", "三严三实")):
                n_docs = 0 if (p, y) == ("青海省", 2015) else 1
                rows.append((p, y, n_docs, 1000 * n_docs, s, zh, 1, 2.0 if n_docs else np.nan))
    panel = pd.DataFrame(rows, columns=["province", "year", "n_docs", "n_chars", "slogan_id", "slogan", "count", "per_10k"])
    fig = plot_panel_heatmap(panel, slogans=["a", "b"])
    assert fits_page(fig) and fig.axes[0].get_yticklabels()[0].get_text() == "Hebei"  # East first
    curves = pd.DataFrame({"slogan_id": ["a"] * 3, "slogan": ["两学一做"] * 3, "en": ["x"] * 3, "year": [2014, 2015, 2016], "share": [0.0, 0.5, 1.0]})
    ax = plot_adoption_curves(curves, central=pd.Series({"a": 2015}))
    assert fits_page(ax.figure) and len(ax.lines) == 2
    adoption = pd.DataFrame({"province": ["湖南省", "河北省", "青海省"], "slogan": ["两学一做"] * 3, "lag_vs_central": pd.array([-1, 0, pd.NA], dtype="Int64")})
    ax = plot_lag_distribution(adoption)
    assert fits_page(ax.figure) and sorted(ax.collections[0].get_offsets()[:, 0].tolist()) == [-1.0, 0.0]
