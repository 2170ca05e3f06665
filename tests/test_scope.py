"""One counting scope: the panel, the slogan counts, KWIC and their exposure count the same paragraphs."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from tifa.cli import main

from .conftest import reference_counts

BODY = ["各位代表：", "我们要扎实推进两学一做学习教育，严格落实党政同责、一岗双责。", "坚持绿水青山就是金山银山，守住生态底线。"]
APPENDIX = ["名词解释", "1.两学一做：学党章党规、学系列讲话，做合格党员。两学一做学习教育在全党开展。", "2.党政同责：党委和政府同担生态环境保护责任。"]
DOCS = [
    ("a", "湖南省", 2016, BODY + APPENDIX),
    ("b", "湖南省", 2017, BODY[:2]),
    ("c", "河北省", 2016, [BODY[0], BODY[2], *APPENDIX]),
]


def _han(text: str) -> int:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


def _expected(parts: str) -> pd.DataFrame:
    """Counts and Han characters per province and slogan, computed from the paragraphs as written (no tifa code)."""
    rows = []
    for doc_id, province, year, paragraphs in DOCS:
        counted = paragraphs if parts == "all" else [p for p in paragraphs if p not in APPENDIX]
        text = "\n\n".join(counted)
        for slogan, n in reference_counts(text).items():
            rows.append((province, slogan, n))
        rows.append((province, None, _han(text)))
    table = pd.DataFrame(rows, columns=["province", "slogan", "n"])
    chars = table[table["slogan"].isna()].groupby("province")["n"].sum()
    counts = table.dropna(subset=["slogan"]).groupby(["province", "slogan"])["n"].sum()
    return counts, chars


def _cli(capsys, *argv) -> pd.DataFrame:
    assert main(list(argv)) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


@pytest.mark.parametrize("parts", ["default", "all"])
def test_panel_cells_equal_slogan_counts_and_an_independent_count(tmp_path, capsys, parts):
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps({"doc_id": d, "province": p, "year": y, "text": "\n\n".join(t)}, ensure_ascii=False) + "\n" for d, p, y, t in DOCS), encoding="utf-8")
    scope = ["--include-parts", "all"] if parts == "all" else []
    panel = _cli(capsys, "panel", "--corpus", str(path), "--by", "province", "--format", "csv", *scope)
    slogans = _cli(capsys, "slogans", "--corpus", str(path), "--by", "province", "--all", "--format", "csv", *scope)
    counts, chars = _expected(parts)
    body_only = _expected("default")[0]
    assert counts.sum() > 0 and (parts == "all") == (counts[("湖南省", "两学一做")] > body_only[("湖南省", "两学一做")]), "the appendix holds mentions the default leaves out"
    merged = panel.merge(slogans, on=["province", "slogan"], suffixes=("_panel", "_slogans"))
    assert len(merged) == len(panel) == len(slogans) > 0
    assert (merged["count_panel"] == merged["count_slogans"]).all()
    for row in merged.itertuples():
        assert row.count_panel == counts.get((row.province, row.slogan), 0), (row.province, row.slogan)
        assert row.n_chars == chars[row.province]
        if row.count_panel:
            expected = row.count_panel / chars[row.province] * 10_000
            assert row.per_10k_panel == pytest.approx(expected, abs=1e-6)
            assert row.per_10k_slogans == pytest.approx(expected, abs=1e-6)
    kwic = _cli(capsys, "kwic", "两学一做", "--corpus", str(path), "--format", "csv", *scope)
    assert len(kwic) == counts.xs("两学一做", level="slogan").sum(), "KWIC finds what is counted"
