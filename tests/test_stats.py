"""Term statistics against values computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from tifa.stats import DFM, dfm_group, dfm_trim, dispersion_dp, dispersion_dp_norm, keyness_table, textstat_frequency, textstat_keyness, textstat_simil, textstat_tfidf


from tifa.stats import build_dfm, cluster_documents

from .conftest import HUNAN


def small_dfm():
    """Three documents; counts of terms a, b, c (written out so every statistic can be checked by hand)."""
    counts = np.array(
        [
            [5, 5, 0],  # d1: size 10
            [0, 10, 10],  # d2: size 20
            [5, 60, 5],  # d3: size 70
        ]
    )
    docvars = pd.DataFrame({"province": ["甲省", "乙省", "乙省"], "level": ["province", "prefecture", "province"], "year": pd.array([2016, 2017, 2017], dtype="Int64")}, index=pd.Index(["d1", "d2", "d3"], name="doc_id"))
    return DFM(sparse.csr_matrix(counts), np.array(["a", "b", "c"]), docvars)


def test_g2_chi2_and_log_ratio_from_a_two_by_two_table():
    # target: 10 of 1000 tokens; reference: 5 of 2000 tokens
    a, b, t1, t2 = 10, 5, 1000, 2000
    c, d, n = t1 - a, t2 - b, t1 + t2
    e_a, e_b, e_c, e_d = t1 * (a + b) / n, t2 * (a + b) / n, t1 * (c + d) / n, t2 * (c + d) / n
    assert (e_a, e_b, e_c, e_d) == (5, 10, 995, 1990)
    g2 = 2 * (a * math.log(a / e_a) + b * math.log(b / e_b) + c * math.log(c / e_c) + d * math.log(d / e_d))
    assert g2 == pytest.approx(6.96919, abs=1e-4)
    chi2 = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * t1 * t2)
    assert chi2 == pytest.approx(7.5377, abs=1e-4)

    stats = keyness_table(np.array([a, t1 - a]), np.array([b, t2 - b]))
    row = stats.iloc[0]
    assert row["g2"] == pytest.approx(g2)
    assert row["chi2"] == pytest.approx(chi2)
    assert row["log_ratio"] == pytest.approx(2.0)  # log2((10/1000) / (5/2000)) = log2(4)
    assert row["p"] == pytest.approx(0.008293, abs=1e-5)
    assert stats.iloc[1]["g2"] < 0, "the other cell is under-used: signed negative"


def test_log_ratio_uses_half_for_zero_counts():
    stats = keyness_table(np.array([3, 97]), np.array([0, 100]))
    assert stats.iloc[0]["log_ratio"] == pytest.approx(math.log2((3 / 100) / (0.5 / 100)))


def test_gries_dp_by_hand():
    # parts of sizes 10, 20, 70 (s = .1, .2, .7); term a occurs 5, 0, 5 (v = .5, 0, .5)
    # DP = 0.5 * (|.5-.1| + |0-.2| + |.5-.7|) = 0.4
    x = small_dfm()
    dp = dispersion_dp(x.matrix)
    assert dp[0] == pytest.approx(0.4)
    # term b occurs 5, 10, 60 of 75: v = 1/15, 2/15, 12/15
    assert dp[1] == pytest.approx(0.5 * (abs(1 / 15 - 0.1) + abs(2 / 15 - 0.2) + abs(12 / 15 - 0.7)))
    # a feature with no tokens before one in a single part: parts of 2 and 1 tokens (s = 2/3, 1/3)
    # the second feature sits in part 1 only: DP = ½ (|1 − 2/3| + 1/3) = 1/3
    assert dispersion_dp(sparse.csr_matrix(np.array([[0, 1, 1], [0, 0, 1]]))).tolist() == pytest.approx([0.0, 1 / 3, 0.5 * (abs(0.5 - 2 / 3) + abs(0.5 - 1 / 3))])
    assert dispersion_dp(sparse.csr_matrix((2, 2), dtype=np.int64)).tolist() == [0.0, 0.0]


def test_normalised_dp_by_hand():
    # parts of sizes 10, 20, 70: the smallest share is .1, so DP can reach at most 1 - .1 = .9
    x = small_dfm()
    assert dispersion_dp_norm(x.matrix)[0] == pytest.approx(0.4 / 0.9)
    # a term all in the smallest part reaches the maximum: DP = .9, DP_norm = 1
    only_small = sparse.csr_matrix(np.array([[10, 0], [0, 20], [0, 70]]))
    assert dispersion_dp(only_small)[0] == pytest.approx(0.9)
    assert dispersion_dp_norm(only_small)[0] == pytest.approx(1.0)
    assert dispersion_dp_norm(sparse.csr_matrix(np.array([[3, 4]]))).tolist() == [0.0, 0.0], "one part: 0, not a division by zero"
    freq = textstat_frequency(x).set_index("term")
    assert freq.at["a", "dp_norm"] == pytest.approx(0.4 / 0.9)


def test_frequency_table():
    freq = textstat_frequency(small_dfm())
    assert freq["term"].tolist() == ["b", "c", "a"]
    assert freq["count"].tolist() == [75, 15, 10]
    assert freq["rank"].tolist() == [1, 2, 3]
    assert freq["per_10k"].tolist() == pytest.approx([7500, 1500, 1000])
    assert freq["docfreq"].tolist() == [3, 2, 2]
    assert freq.columns.tolist() == ["term", "count", "rank", "per_10k", "docfreq", "dp", "dp_norm"]
    assert textstat_frequency(small_dfm(), n=2)["term"].tolist() == ["b", "c"]
    tied = textstat_frequency(DFM(sparse.csr_matrix(np.array([[2, 2, 1]])), np.array(["x", "y", "z"]), small_dfm().docvars.iloc[:1]))
    assert tied["rank"].tolist() == [1, 1, 3], "ties share the best rank"
    per_doc = textstat_frequency(small_dfm(), by="doc_id")
    assert per_doc["doc_id"].tolist() == ["d1", "d1", "d2", "d2", "d3", "d3", "d3"] and per_doc.index.tolist() == list(range(7))
    assert freq.loc[freq.term == "a", "dp"].item() == pytest.approx(0.4)


def test_frequency_by_group_keeps_group_values():
    freq = textstat_frequency(small_dfm(), by="province")
    jia = freq[freq.province == "甲省"]
    assert jia[["term", "count", "per_10k", "docfreq", "dp"]].values.tolist() == [["a", 5, 5000.0, 1, 0.0], ["b", 5, 5000.0, 1, 0.0]]
    yi = freq[freq.province == "乙省"].set_index("term")
    assert yi.loc["b", "count"] == 70 and yi.loc["c", "docfreq"] == 2
    by_two = textstat_frequency(small_dfm(), by=["level", "year"])
    assert sorted(set(zip(by_two.level, by_two.year))) == [("prefecture", 2017), ("province", 2016), ("province", 2017)]


def test_group_and_fill_empty_groups():
    grouped = dfm_group(small_dfm(), ["level", "year"], fill=True)
    assert list(grouped.docvars.index) == ["prefecture | 2016", "prefecture | 2017", "province | 2016", "province | 2017"]
    assert grouped.docvars["n_docs"].tolist() == [0, 1, 1, 1]
    assert grouped.matrix.toarray().tolist() == [[0, 0, 0], [0, 10, 10], [5, 5, 0], [5, 60, 5]]
    assert dfm_group(small_dfm(), "province").matrix.toarray().tolist() == [[5, 70, 15], [5, 5, 0]]


def test_grouping_a_non_square_matrix_leaves_out_rows_without_a_group(caplog):
    # four documents × two terms; d4 has no province: it is left out, and the log says so
    counts = np.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    docvars = pd.DataFrame({"province": ["甲省", "乙省", "甲省", None]}, index=pd.Index(["d1", "d2", "d3", "d4"], name="doc_id"))
    x = DFM(sparse.csr_matrix(counts), np.array(["a", "b"]), docvars)
    with caplog.at_level("WARNING", logger="tifa.stats"):
        grouped = dfm_group(x, "province")
    assert "1 rows without province are left out" in caplog.text
    assert grouped.shape == (2, 2) and grouped.matrix.dtype.kind == "i"
    assert grouped.matrix.toarray().tolist() == [[3, 4], [6, 8]], "乙省 = d2; 甲省 = d1 + d3"
    assert grouped.docvars.index.name == "province" and grouped.docvars["n_docs"].tolist() == [1, 2]
    caplog.clear()
    with caplog.at_level("WARNING", logger="tifa.stats"):
        freq = textstat_frequency(x, by="province")
    assert "1 rows without province are left out" in caplog.text
    assert freq[freq.province == "甲省"].set_index("term")[["count", "docfreq"]].to_dict() == {"count": {"a": 6, "b": 8}, "docfreq": {"a": 2, "b": 2}}
    key = textstat_keyness(x, "甲省", by="province", min_count=1).set_index("term")
    assert key["target_count"].to_dict() == {"a": 6, "b": 8} and key["reference_count"].to_dict() == {"a": 3, "b": 4}, "d4 is in neither group"
    whole = textstat_frequency(x)
    assert whole.set_index("term")["count"].to_dict() == {"a": 16, "b": 20}, "all four rows without grouping"
    assert whole["per_10k"].sum() == pytest.approx(10_000)


def test_trim():
    trimmed = dfm_trim(small_dfm(), min_count=11, min_docfreq=2)
    assert trimmed.features.tolist() == ["b", "c"]
    # totals a 10, b 75, c 15; documents a 2, b 3, c 2: the bounds are inclusive
    assert dfm_trim(small_dfm(), min_count=10).features.tolist() == ["a", "b", "c"]
    assert dfm_trim(small_dfm(), min_docfreq=3).features.tolist() == ["b"]
    assert dfm_trim(small_dfm(), min_count=15, min_docfreq=2).matrix.toarray().tolist() == [[5, 0], [10, 10], [60, 5]]


def test_paragraph_dfm_keeps_case_and_document_docvars():
    from tifa.tokens import TokenFilter, Tokens

    units = pd.DataFrame({"doc_id": ["d1", "d1", "d2"], "paragraph_id": ["d1:p0001", "d1:p0002", "d2:p0001"], "tokens": [["GDP", "增长"], ["gdp"], ["增长", "增长"]]})
    docvars = pd.DataFrame({"province": ["甲省", "乙省"]}, index=pd.Index(["d1", "d2"], name="doc_id"))
    toks = Tokens(units, docvars, "test", TokenFilter())
    paragraphs = build_dfm(toks, unit="paragraph")
    assert paragraphs.features.tolist() == ["GDP", "gdp", "增长"]
    assert paragraphs.to_frame().values.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 2]]
    assert paragraphs.docvars.index.tolist() == ["d1:p0001", "d1:p0002", "d2:p0001"]
    assert paragraphs.docvars[["doc_id", "province"]].values.tolist() == [["d1", "甲省"], ["d1", "甲省"], ["d2", "乙省"]]
    assert build_dfm(toks).to_frame().values.tolist() == [[1, 1, 1], [0, 0, 2]]
    with pytest.raises(ValueError, match="unit must be 'document' or 'paragraph', not 'page'"):
        build_dfm(toks, unit="page")


def test_keyness_target_vs_rest_and_named_reference():
    table = textstat_keyness(small_dfm(), "甲省", by="province")
    assert table[["term", "target_count", "reference_count"]].values.tolist() == [["a", 5, 5], ["b", 5, 70], ["c", 0, 15]]
    assert table["direction"].tolist() == ["over", "under", "under"]
    assert table["g2"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="no group '丙省'"):
        textstat_keyness(small_dfm(), "丙省", by="province")
    by_year = textstat_keyness(small_dfm(), 2016, by="year", reference=2017, min_count=11)
    assert by_year["term"].tolist() == ["b", "c"], "min_count drops a (5 + 5 tokens)"


def test_keyness_p_values_are_corrected():
    table = textstat_keyness(small_dfm(), "甲省", by="province")
    assert (table["p_adj"] >= table["p"]).all()
    # Benjamini–Hochberg by hand: the i-th smallest of m p-values times m / i, then the running minimum from the top
    p = table["p"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    scaled = [p[order[i]] * m / (i + 1) for i in range(m)]
    bh = np.empty(m)
    running = 1.0
    for i in reversed(range(m)):
        running = min(running, scaled[i])
        bh[order[i]] = running
    assert table["p_adj"].to_numpy() == pytest.approx(bh)
    assert (table["p_adj"] > table["p"]).any(), "three tests: at least the smallest p-value grows"
    raw = textstat_keyness(small_dfm(), "甲省", by="province", correction=None)
    assert raw["p_adj"].tolist() == raw["p"].tolist()


def test_keyness_against_a_named_reference_uses_only_that_group():
    # d1 = (5, 5, 0) against d2 = (0, 10, 10) alone, not against d2 + d3
    table = textstat_keyness(small_dfm(), "d1", by="doc_id", reference="d2", min_count=1).set_index("term")
    assert table.loc[["a", "b", "c"], "reference_count"].tolist() == [0, 10, 10]
    assert table.loc[["a", "b", "c"], "target_count"].tolist() == [5, 5, 0]
    # the statistics are those of the 2×2 tables of d1 against d2
    a_row = keyness_table(np.array([5, 5, 0]), np.array([0, 10, 10])).iloc[0]
    assert table.loc["a", "g2"] == pytest.approx(a_row["g2"])
    rest = textstat_keyness(small_dfm(), "d1", by="doc_id", min_count=1).set_index("term")
    assert rest.loc[["a", "b", "c"], "reference_count"].tolist() == [5, 70, 15]


def test_tfidf_and_similarity():
    x = small_dfm()
    top = textstat_tfidf(x, n=1)
    assert top["term"].tolist() == ["a", "c", "b"]
    assert top.columns.tolist() == ["doc_id", "rank", "term", "tfidf"] and top["rank"].tolist() == [1, 1, 1]
    assert textstat_tfidf(x, n=2).query("doc_id == 'd1'")["rank"].tolist() == [1, 2]
    sim = textstat_simil(x, weight="count")
    # cosine of d1 = (5,5,0) and d2 = (0,10,10): 50 / (sqrt(50) * sqrt(200)) = 0.5
    assert sim.loc["d1", "d2"] == pytest.approx(0.5)
    assert np.allclose(np.diag(sim), 1.0)


def test_clustering_merges_the_most_similar_pair_at_its_distance():
    # similarities: A–B 0.9, A–C 0.1, B–C 0.2 → distances 0.1, 0.9, 0.8
    ids = ["A", "B", "C"]
    sim = pd.DataFrame([[1.0, 0.9, 0.1], [0.9, 1.0, 0.2], [0.1, 0.2, 1.0]], index=ids, columns=ids)
    tree = cluster_documents(sim, method="average")
    assert sorted(tree[0, :2].astype(int).tolist()) == [0, 1], "A and B (similarity 0.9) merge first"
    assert tree[0, 2] == pytest.approx(0.1)
    assert tree[1, 2] == pytest.approx((0.9 + 0.8) / 2), "average distance of C to A and B"


def test_hunan_place_names_are_key_for_hunan(seeds):
    from tifa.stats import build_dfm
    from tifa.tokens import Segmenter, TokenFilter, tokens

    places = build_dfm(tokens(seeds, Segmenter(), token_filter=TokenFilter(pos=["ns"]), cache_dir=None))
    key = textstat_keyness(places, "湖南省", by="province").set_index("term")
    texts = seeds.docs.set_index("doc_id")["text"]
    hunan, others = texts[HUNAN], texts.drop(HUNAN)
    only_hunan = {t for t in places.features if hunan.count(t) and not others.str.contains(t, regex=False).any()}
    assert {"湘江", "洞庭湖"} <= only_hunan
    assert (key.loc[sorted(only_hunan), "direction"] == "over").all()
    assert key.loc[sorted(only_hunan), "target_count"].tolist() == [hunan.count(t) for t in sorted(only_hunan)]
    # over-use means a higher relative frequency in Hunan than in the other four documents
    over = key[key["g2"] > 0]
    sizes = places.to_frame().sum(axis=1)
    t1, t2 = sizes[HUNAN], sizes.drop(HUNAN).sum()
    assert (over["target_count"] / t1 > over["reference_count"] / t2).all()
    words = build_dfm(tokens(seeds, Segmenter(), cache_dir=None))
    all_terms = textstat_keyness(words, "湖南省", by="province").set_index("term")
    assert (all_terms.loc[["湘江", "洞庭湖"], "direction"] == "over").all()


def test_grouping_core_rows_values_and_sums():
    from tifa.stats import group_rows, group_sums, group_values

    docvars = pd.DataFrame(
        {"province": ["乙", "甲", None, "乙", "丙", "甲"], "year": [2016, 2017, 2016, 2016, 2018, 2017]},
        index=pd.Index(["d1", "d2", "d3", "d4", "d5", "d6"], name="doc_id"),
    )
    groups = group_rows(docvars, "province")
    # labels in code-point order (丙 U+4E19 < 乙 U+4E59 < 甲 U+7532), rows in corpus order, the row without a value left out
    assert list(groups) == ["丙", "乙", "甲"]
    assert [rows.tolist() for rows in groups.values()] == [[4], [0, 3], [1, 5]]
    assert group_values(docvars, groups, "province")["province"].tolist() == ["丙", "乙", "甲"]
    counts = np.array([[1, 0], [2, 5], [7, 7], [3, 1], [0, 4], [10, 0]])
    assert group_sums(counts, groups).tolist() == [[0, 4], [4, 1], [12, 5]]
    pairs = group_rows(docvars, ["province", "year"])
    assert list(pairs) == ["丙 | 2018", "乙 | 2016", "甲 | 2017"]
    assert group_values(docvars, pairs, ["province", "year"]).values.tolist() == [["丙", 2018], ["乙", 2016], ["甲", 2017]]
    by_doc = group_rows(docvars, "doc_id")
    assert list(by_doc) == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert group_values(docvars, by_doc, "doc_id")["doc_id"].tolist() == ["d1", "d2", "d3", "d4", "d5", "d6"]


def test_keyness_of_a_group_without_tokens_is_refused():
    from tifa.errors import InputError

    docvars = pd.DataFrame({"province": ["甲", "乙"]}, index=pd.Index(["d1", "d2"], name="doc_id"))
    x = DFM(sparse.csr_matrix(np.array([[0, 0], [3, 1]])), np.array(["湘江", "洞庭湖"]), docvars)
    with pytest.raises(InputError, match="甲 has no tokens"):
        textstat_keyness(x, "甲", by="province")
