"""Study options a comparative paper needs: keyness against a chosen group and within years, terms without place
names, and tables as a paper prints them (headers, yes/no, longtable, provinces in region order)."""

import pandas as pd
import pytest

from tifa.cli import main
from tifa.errors import InputError
from tifa.lexicon import place_names
from tifa.stats import build_dfm
from tifa.study import Study
from tifa.study.helper import LONGTABLE_ROWS, latex_table
from tifa.tokens import tokens
from tifa.util.tables import format_table

HUNAN, HEBEI = "000_cf82fe94121a5049", "001_cde5e523752f718d"


def _study(tmp_path, **params) -> Study:
    if not params:
        return Study.from_parameters(None, "text", str(tmp_path / "figures"))
    path = tmp_path / "params.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in params.items()), encoding="utf-8")
    return Study.from_parameters(None, "text", str(tmp_path / "figures"), params=str(path))


@pytest.fixture(scope="module")
def seed_dfm(seeds):
    return build_dfm(tokens(seeds))


def test_keyness_against_a_reference_group_counts_only_that_group_as_reference(tmp_path, seeds, seed_dfm):
    study = _study(tmp_path, keyness_reference="河北省")
    tables, why = study.keyness(seed_dfm)
    assert why is None and set(tables) == {"湖南省", "青海省", "江西省", "陕西省"}, "every group but the reference"
    hunan = tables["湖南省"].set_index("term")
    row = {doc: seed_dfm.matrix[i].toarray().ravel() for i, doc in enumerate(seed_dfm.docvars.index)}
    column = {term: j for j, term in enumerate(seed_dfm.features)}
    for term in hunan.index[:5]:  # the counts are those of the two documents only, not of the rest of the corpus
        assert hunan.loc[term, "target_count"] == row[HUNAN][column[term]]
        assert hunan.loc[term, "reference_count"] == row[HEBEI][column[term]]


def test_keyness_within_years_uses_only_their_documents(tmp_path, seeds, seed_dfm):
    tables, why = _study(tmp_path, keyness_years="[2016, 2017]").keyness(seed_dfm)
    assert why is None and set(tables) == {"湖南省", "河北省", "青海省"}, "the provinces with a document of 2016–2017"
    table = tables["湖南省"].set_index("term")
    in_years = seed_dfm.docvars["year"].between(2016, 2017).to_numpy()
    total = {term: seed_dfm.matrix[in_years][:, j].sum() for j, term in enumerate(seed_dfm.features)}
    assert all(table.loc[t, "target_count"] + table.loc[t, "reference_count"] == total[t] for t in table.index[:20])


def test_keyness_says_why_there_is_nothing_to_compare(tmp_path, seed_dfm):
    assert _study(tmp_path, keyness_years="[2022, 2025]").keyness(seed_dfm) == ({}, "1 province in 2022–2025: no rest to compare with")
    tables, why = _study(tmp_path, keyness_reference="广东省").keyness(seed_dfm)
    assert tables == {} and why.startswith("keyness_reference '广东省' has no document")


@pytest.mark.parametrize("years", ["[2018, 2016]", "[2016]", "2016", "[2016, x]"])
def test_keyness_years_must_be_a_range(tmp_path, years):
    with pytest.raises(InputError, match=r"keyness_years is .*give \[first, last\]"):
        _study(tmp_path, keyness_years=years)


def test_exclude_places_drops_place_names_and_nothing_else(capsys):
    def terms(*flags):
        assert main(["freq", "--top", "100000", "--format", "csv", "--no-cache", *flags]) == 0
        from io import StringIO

        return pd.read_csv(StringIO(capsys.readouterr().out)).set_index("term")["count"]

    everything, without = terms(), terms("--exclude-places")
    places = place_names()
    assert {"洞庭湖", "衡水"} <= set(everything.index), "the Hunan and Hebei texts name 洞庭湖 and 衡水"
    assert set(everything.index) - set(without.index) == set(everything.index) & places
    assert without.equals(everything[~everything.index.isin(places)]), "other terms keep their counts"


def test_study_filter_excludes_places_only_when_asked(tmp_path, seeds):
    assert _study(tmp_path).token_filter is None
    study = _study(tmp_path, exclude_places="true")
    kept = set(build_dfm(tokens(seeds, token_filter=study.token_filter)).features)
    assert "洞庭湖" not in kept and not kept & place_names() and "环保" in kept


def test_paper_tables_print_headers_yes_no_and_break_long_tables():
    table = pd.DataFrame({"province": ["湖南省"], "per_10k": [1.5], "left_censored": [True], "g2": [3.0], "IRR": [1.2], "first_year": [2016]})
    tex = latex_table(format_table(table), caption="c", label="tab:c")
    assert "Province & Per 10,000 characters & Left censored & G² & IRR & First year \\\\" in tex
    assert "湖南省 & 1.50 & yes & 3.00 & 1.20 & 2016 \\\\" in tex and "\\begin{tabular}" in tex
    long = pd.concat([table] * (LONGTABLE_ROWS + 1), ignore_index=True).assign(left_censored=[True, False] * 20 + [False])
    tex = latex_table(format_table(long))
    assert "\\begin{longtable}" in tex and "\\endhead" in tex and tex.count("& no &") == 21
    assert "\\begin{longtable}" not in latex_table(format_table(long.head(LONGTABLE_ROWS)))


def test_study_tables_list_provinces_in_region_order(tmp_path):
    study = _study(tmp_path, lang="en")
    provinces = ["黑龙江省", "新疆维吾尔自治区", "中央", "湖南省", "广东省", "北京市", "广东省"]
    table = pd.DataFrame({"province": provinces, "slogan": [f"s{i}" for i in range(len(provinces))]})
    study.save_table(table, "slogan_counts_by_{group}")
    written = pd.read_csv(tmp_path / "figures" / "tables" / "slogan_counts_by_province.csv")
    # NBS regions East (Beijing, then Guangdong further south), Central (Hunan), West (Xinjiang), Northeast; not a province last
    assert written["province"].tolist() == ["北京市", "广东省", "广东省", "湖南省", "新疆维吾尔自治区", "黑龙江省", "中央"]
    assert written["slogan"].tolist()[1:3] == ["s4", "s6"], "rows of one province keep their order"


def test_maps_of_provinces_are_skipped_when_no_group_is_a_province(tmp_path):
    import json

    path = tmp_path / "centre.jsonl"
    rows = [{"id": f"c{i}", "content": "坚持生态文明建设。" * 20, "province": "中央", "year": 2015 + i} for i in range(3)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    study = Study.from_parameters(str(path), "content", str(tmp_path / "figures"), id_field="id")
    assert study.lacks_provinces("slogan_rate_map")
    assert study.skipped == ["slogan_rate_map"]
    assert not _study(tmp_path).lacks_provinces("slogan_rate_map"), "the seeds name five provinces"


def test_keyness_by_document_when_the_study_groups_by_document(tmp_path, seeds, seed_dfm):
    study = _study(tmp_path, group="doc_id")
    tables, why = study.keyness(seed_dfm)
    assert why is None and set(tables) == set(seeds.docs["doc_id"])
