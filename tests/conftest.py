"""Shared fixtures: the embedded corpus, short literal texts, and the optional ../shared corpus."""

from __future__ import annotations

import re

import pytest

from tifa import config, load_corpus

SEED_SHA256 = {
    "000_cf82fe94121a5049.txt": "98bdf096f6d6281f93680495e56ca05dc9c4d0ba24398f0fbbfba695d1ad3efb",
    "001_cde5e523752f718d.txt": "f6b902ca92b6e389bd7fc70cb231eb89fde15c9446041c18eb378e05453730a0",
    "002_67ff098470272fa8.txt": "b8405fab0d83320935e2c59a3a0454c4036ecc2aa8ac72e17ffdbc63b70f3135",
    "003_4e1fd4ae2fc5e0c7.txt": "9a0d962883c1708a46bf3286d5e8b9b7ee4e3d7e38439c4d8717a013df358d3f",
    "004_31cb11049e949cad.txt": "26c42ea9c40213289a2b532c7a1c282bdf5894486269e4260bf63360537abba0",
}

HUNAN, HENGSHUI, QINGHAI, GANZHOU, SHANGLUO = (
    "000_cf82fe94121a5049",
    "001_cde5e523752f718d",
    "002_67ff098470272fa8",
    "003_4e1fd4ae2fc5e0c7",
    "004_31cb11049e949cad",
)

# Sentences read off the raw files (002 after t2s conversion): they must survive cleaning.
BODY_SENTENCES = {
    HUNAN: ["刘尧臣同志着重从四个方面提出要求", "牢固树立“四个意识”,切实履行党风廉政建设“一岗双责”的要求", "厅党组副书记(厅长提名人)王一鸥"],
    HENGSHUI: ['严格落实环境保护"党政同责""一岗双责"', "最后,让我们再次向省督察组的领导和同志们表示衷心感谢!", "同志们:"],
    QINGHAI: ["2017年12月24日,省委省政府召开中央环保督察总结暨整改工作动员部署会。", "牢固树立绿水青山就是金山银山的绿色发展观,让生态文明成为全省共同的价值追求和鲜明标识。"],
    GANZHOU: ["决定从2014年10月9日至2015年1月15日,在全市开展“环保秋冬百日专项行动”", "(一)开展污染减排专项行动。", "同志们,环境保护使命光荣。"],
    SHANGLUO: ["10月12日上午,市环境局组织召开了首场作风建设专题研讨会。", "在全系统形成作风建设专项行动的浓厚氛围。"],
}

# Site boilerplate read off the raw files: it must be gone after cleaning.
BOILERPLATE_LINES = {
    HUNAN: ["01.09.2016  23:06"],
    HENGSHUI: ["文似观山不喜平 — — 观山文库◆记住我,来上我~", "admin 分享 时间: 加入收藏 共计4521个字,预计阅读时长16分钟", "221381", "领取福利", "微信扫码领取福利", "微信扫码分享"],
    QINGHAI: [],
    GANZHOU: ["现在位置:首页> 工作总结 > 文教卫 > 环保工作总结 > 综合:绿色的草地", "时间:2018-07-13 06:11 环保工作总结", "首页12尾页"],
    SHANGLUO: [
        "首页 > 党的建设",
        "发布日期:2022-10-14 10:53:02                   浏览量:23198",
        "版权所有 商洛市生态环境局。未经授权禁止复制或镜像。",
        "网站地图 丨 地址:商洛市名人街西段 丨 邮编:726000 丨 网站标识码:6110000016 丨联系电话:0914-2312283",
        "陕公网安备 61100202000085号 丨 ICP备案号:陕ICP备2021013679号-1",
    ],
}


def reference_counts(text: str) -> dict[str, int]:
    """Counts by the lexicon's definition, the plain way: per entry, non-overlapping matches of its
    literals (longest first) and regexes, scanning the whole text, minus matches inside an exclude span."""
    from tifa.lexicon import load_slogans

    out = {}
    for slogan in load_slogans():
        forms = [re.escape(x) for x in sorted(slogan.literals, key=len, reverse=True)] + [f"(?:{rx})" for rx in slogan.regexes]
        spans = [m.span() for m in re.finditer("|".join(forms), text)]
        excluded = [m.span() for rx in slogan.exclude for m in re.finditer(rx, text)]
        n = sum(not any(lo <= a and b <= hi for lo, hi in excluded) for a, b in spans)
        if n:
            out[slogan.zh] = n
    return out


@pytest.fixture(scope="session")
def seeds():
    """The embedded corpus, cleaned."""
    return load_corpus(config.DATA_DIR)


@pytest.fixture(scope="session")
def seed_texts(seeds):
    return seeds.docs.set_index("doc_id")["text"]


@pytest.fixture(scope="session")
def raw_texts():
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(config.RAW_DIR.glob("*.txt"))}


@pytest.fixture(scope="session")
def gov_reports_path():
    if not config.GOV_REPORTS_JSONL.is_file():
        pytest.skip("../shared/corpus/gov-work-reports is absent")
    return config.GOV_REPORTS_JSONL


@pytest.fixture(scope="session")
def gov_reports(gov_reports_path):
    return load_corpus(gov_reports_path, text_field="content", progress=False)


def pytest_collection_modifyitems(config, items):
    """Notebooks (nbval) first: the figure-regression tests compare the figures their run wrote."""
    items.sort(key=lambda item: 0 if str(item.fspath).endswith(".ipynb") else 1)


@pytest.fixture(scope="session")
def nbval_ran_all_notebooks(request) -> bool:
    """Whether this session executes every notebook under nbval first (make test), writing figures to ``config.FIGURES_DIR``."""
    from tifa.study import NOTEBOOKS

    ran = {item.fspath.purebasename for item in request.session.items if str(item.fspath).endswith(".ipynb")}
    return set(NOTEBOOKS) <= ran and config.FIGURES_DIR != config.PROJECT_ROOT / "figures"
