import pytest

from tifa.places import place_label, romanise


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
