import logging

import pandas as pd
import pytest

from tifa.places import add_province_columns, place_label, province_info, province_neighbours, romanise


@pytest.mark.parametrize(
    ("name", "lang", "label"),
    [
        ("湖南省", "en", "Hunan"),
        ("湖南", "zh", "湖南"),
        ("陕西省", "en", "Shaanxi"),
        ("山西省", "en", "Shanxi"),
        ("青海省", "both", "Qinghai 青海"),
        ("内蒙古自治区", "en", "Inner Mongolia"),
        ("衡水市", "en", "Hengshui"),
        ("重庆市", "en", "Chongqing"),
    ],
)
def test_gazetteer_labels(name, lang, label):
    assert place_label(name, lang) == label


def test_unlisted_places_are_romanised():
    assert romanise("蚌埠市") == "Bengbu"
    assert place_label("吕梁市", "both") == "Lvliang 吕梁"


def test_missing_and_bad_lang():
    assert place_label(None) == ""
    with pytest.raises(ValueError, match="lang must be"):
        place_label("湖南省", "fr")


# --- codes and contiguity ----------------------------------------------------------------

def test_province_codes_follow_gb_t_2260_for_full_short_and_english_names(caplog):
    with caplog.at_level(logging.WARNING, logger="tifa.places"):
        info = province_info(["北京市", "广东", "Guangdong", "新疆维吾尔自治区", "香港", "台湾省", "中央", "衡水市", None])
    assert info["province_code"].tolist()[:6] == [110000, 440000, 440000, 650000, 810000, 710000]
    assert info["province_en"].tolist()[:4] == ["Beijing", "Guangdong", "Guangdong", "Xinjiang"]
    assert info["region"].tolist()[:4] == ["East", "East", "East", "West"] and pd.isna(info["region"].iloc[4])  # Hong Kong: no NBS region
    assert info.iloc[6:].isna().all().all()  # the centre, a prefecture and a missing name: NA
    assert "中央" in caplog.text and "衡水市" in caplog.text


def test_province_columns_follow_the_name_column_and_keep_rows():
    table = pd.DataFrame({"province": ["湖南省", "中央", "湖南省"], "count": [1, 2, 3]})
    table.attrs["by"] = "province"
    out = add_province_columns(table)
    assert list(out.columns) == ["province", "province_code", "province_en", "region", "count"]
    assert out["province_code"].tolist()[0] == 430000 and pd.isna(out["province_code"].iloc[1]) and out["count"].tolist() == [1, 2, 3]
    assert out.attrs["by"] == "province"


def test_contiguity_is_symmetric_over_the_31_mainland_units():
    neighbours = province_neighbours()
    assert len(neighbours) == 31 and sum(map(len, neighbours.values())) == 2 * 68
    assert all(a in neighbours[b] for a, near in neighbours.items() for b in near)
    assert neighbours[460000] == ()  # Hainan: no land boundary
    assert len(neighbours[150000]) == 8 and len(neighbours[610000]) == 8  # Inner Mongolia and Shaanxi border eight each
    assert set(neighbours[440000]) == {350000, 360000, 430000, 450000}  # Guangdong: Fujian, Jiangxi, Hunan, Guangxi
    assert set(neighbours[500000]) == {420000, 430000, 510000, 520000, 610000}  # Chongqing
    assert all(near for code, near in neighbours.items() if code != 460000)
