"""Topic models: units, determinism, selection measures by hand, prevalence, labels."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from tifa.tokens import tokens
from tifa.topics import (
    TopicModel,
    choose_k,
    coherence,
    fit_topics,
    select_k,
    topic_labels,
    topic_prevalence,
    topic_stability,
    topic_units,
)


@pytest.fixture(scope="module")
def seed_tokens(seeds):
    return tokens(seeds, cache_dir=None)


@pytest.fixture(scope="module")
def units(seeds, seed_tokens):
    return topic_units(seeds, seed_tokens)


def test_paragraph_units_keep_docvars_and_position(units, seeds):
    assert units["unit_id"].is_unique and (units["tokens"].map(len) >= 10).all()
    assert len(units) + units.attrs["n_dropped"] == len(seeds.paragraphs())
    first = units.iloc[0]
    assert first["unit_id"] == f"{first['doc_id']}:p{first['position']:04d}"
    assert units["province"].notna().all()


def test_other_unit_kinds(seeds, seed_tokens):
    docs = topic_units(seeds, seed_tokens, unit="document")
    assert docs["unit_id"].tolist() == seeds.doc_ids
    windows = topic_units(seeds, seed_tokens, unit="sentence", window=2, min_tokens=1)
    assert windows["unit_id"].str.contains(":w").all() and windows["doc_id"].nunique() == 5
    with pytest.raises(ValueError, match="unit must be one of"):
        topic_units(seeds, seed_tokens, unit="page")


@pytest.mark.parametrize("window", [1, 3])
def test_sentence_windows_group_window_sentences_of_a_paragraph(seeds, seed_tokens, window):
    per_paragraph = seeds.sentences().groupby("paragraph_id").size()
    units = topic_units(seeds, seed_tokens, unit="sentence", window=window, min_tokens=0)
    # a paragraph of n sentences gives ceil(n / window) windows
    assert len(units) == sum(-(-n // window) for n in per_paragraph)
    last = units["unit_id"].str.rsplit(":w", n=1)
    assert last.str[1].astype(int).max() == -(-per_paragraph.max() // window)
    # positions count the windows of each document from 1
    assert all(group.tolist() == list(range(1, len(group) + 1)) for _, group in units.groupby("doc_id")["position"])
    assert topic_units(seeds, seed_tokens, unit="document")["position"].eq(1).all()


@pytest.mark.parametrize("method", ["nmf", "lda"])
def test_same_seed_same_model(units, method):
    a = fit_topics(units, k=4, method=method, random_state=7)
    b = fit_topics(units, k=4, method=method, random_state=7)
    assert np.array_equal(a.topic_term, b.topic_term) and np.array_equal(a.doc_topic, b.doc_topic)


@pytest.mark.parametrize("method", ["nmf", "lda"])
def test_every_k_of_the_grid_fits_and_shares_sum_to_one(units, method):
    for k in (2, 3, 5, 8):
        model = fit_topics(units, k=k, method=method)
        assert model.doc_topic.shape == (len(model.units), k)
        assert np.allclose(model.doc_topic.sum(axis=1), 1.0)
        assert np.allclose(model.topic_term.sum(axis=1), 1.0)
    assert np.isfinite(fit_topics(units, k=3, method="lda").perplexity)
    with pytest.raises(ValueError, match="k=1"):
        fit_topics(units, k=1)


def test_coherence_by_hand():
    # four units; terms a, b, c.  a,b together in 2 units; a in 3, b in 2, c in 1 (never with a)
    counts = sparse.csr_matrix(np.array([[1, 1, 0], [2, 1, 0], [1, 0, 0], [0, 0, 1]]))
    features = np.array(["a", "b", "c"])
    npmi, umass = coherence([["a", "b"]], counts, features)
    p_ab, p_a, p_b = 2 / 4, 3 / 4, 2 / 4
    assert npmi == pytest.approx(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab))
    assert umass == pytest.approx(np.log((2 + 1) / 3))
    npmi_ac, _ = coherence([["a", "c"]], counts, features)
    assert npmi_ac == -1.0
    everywhere = sparse.csr_matrix(np.array([[1, 1], [2, 1]]))
    assert coherence([["a", "b"]], everywhere, np.array(["a", "b"])) == (1.0, pytest.approx(np.log(3 / 2))), "together in every unit: NPMI 1"


def test_top_terms_rank_from_one():
    model = _fake_model([["甲", "乙", "丙"]])
    assert model.top_terms(2).values.tolist() == [[0, 1, "甲", pytest.approx(3 / 6)], [0, 2, "乙", pytest.approx(2 / 6)]]
    assert model.top_terms(2).columns.tolist() == ["topic", "rank", "term", "weight"]


def _fake_model(topics: list[list[str]]) -> TopicModel:
    features = np.array(sorted({t for topic in topics for t in topic}))
    weights = np.array([[float(len(topic) - topic.index(f)) if f in topic else 0.0 for f in features] for topic in topics])
    return TopicModel("nmf", len(topics), 0, features, weights / weights.sum(axis=1, keepdims=True), np.eye(len(topics)), pd.DataFrame({"unit_id": [], "doc_id": []}), sparse.csr_matrix((0, len(features))))


def test_representative_units_and_unit_topics_by_hand():
    units = pd.DataFrame({"unit_id": ["u1", "u2", "u3", "u4"], "doc_id": ["d1", "d1", "d2", "d2"]})
    doc_topic = np.array([[0.9, 0.1], [0.2, 0.8], [0.9, 0.1], [0.5, 0.5]])
    model = TopicModel("nmf", 2, 0, np.array(["a", "b"]), np.eye(2), doc_topic, units, sparse.csr_matrix((4, 2)))
    rep = model.representative_units(n=2)
    # topic 0: u1 and u3 tie at 0.9 (unit id breaks the tie); topic 1: u2 (0.8), then u4 (0.5)
    assert rep.values.tolist() == [[0, 1, "u1", "d1", 0.9], [0, 2, "u3", "d2", 0.9], [1, 1, "u2", "d1", 0.8], [1, 2, "u4", "d2", 0.5]]
    shares = model.unit_topics()
    assert shares.columns.tolist() == ["unit_id", "doc_id", 0, 1]
    assert shares[[0, 1]].to_numpy().tolist() == doc_topic.tolist() and shares["unit_id"].tolist() == ["u1", "u2", "u3", "u4"]


def test_stability_matches_topics_across_models():
    a = _fake_model([["甲", "乙"], ["丙", "丁"]])
    b = _fake_model([["丙", "丁"], ["甲", "乙"]])  # same topics, other order
    c = _fake_model([["甲", "丙"], ["乙", "丁"]])
    assert topic_stability([a, b], n=2) == 1.0
    assert topic_stability([a, c], n=2) == pytest.approx(1 / 3)  # each matched pair shares 1 of 3 terms
    assert topic_stability([a], n=2) == 1.0, "one model: nothing to compare"


def test_selection_table_and_rule(units):
    table = select_k(units, [3, 4], method="lda", seeds=(1, 2))
    assert table.columns.tolist() == ["method", "k", "npmi", "umass", "perplexity", "stability"]
    assert table["perplexity"].notna().all() and table["npmi"].between(-1, 1).all()
    rule = pd.DataFrame({"method": "nmf", "k": [3, 4, 5, 6], "npmi": [0.2, 0.4, 0.4, 0.1], "umass": 0, "perplexity": np.nan, "stability": [1.0, 0.3, 0.9, 0.9]})
    assert choose_k(rule) == 5, "K=4 is unstable; K=5 has the best NPMI of the rest"
    assert choose_k(rule.assign(stability=0.1)) == 4, "no stable K: best NPMI, smaller K on ties"
    assert choose_k(rule.assign(stability=[1.0, 0.5, 0.3, 0.3]), min_stability=0.5) == 4, "stability equal to the minimum is enough"
    with pytest.raises(ValueError, match="at least two seeds"):
        select_k(units, [3], seeds=(1,))


def test_a_k_at_the_edge_of_the_grid_is_warned(caplog):
    rule = pd.DataFrame({"method": "nmf", "k": [3, 4, 5], "npmi": [0.1, 0.2, 0.3], "umass": 0, "perplexity": np.nan, "stability": 1.0})
    with caplog.at_level("WARNING", logger="tifa.topic_model"):
        assert choose_k(rule) == 5
    assert "chosen K by NPMI = 5 is the largest of the grid [3, 4, 5]" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="tifa.topic_model"):
        assert choose_k(rule.assign(npmi=[0.3, 0.2, 0.1])) == 3
        assert choose_k(rule.assign(npmi=[0.1, 0.3, 0.2])) == 4
    assert caplog.text.count("is the smallest of the grid") == 1 and "largest" not in caplog.text, "an inner K is not warned"


def _planted_units(n_topics: int = 3, n_units: int = 150, seed: int = 0) -> pd.DataFrame:
    """Units of 20 tokens: 16 from their topic's 30 words and 4 from the next topic's, Zipf-weighted (a clear top 10)."""
    rng = np.random.default_rng(seed)
    words = [[f"t{t}w{i:02d}" for i in range(30)] for t in range(n_topics)]
    p = 1 / np.arange(1, 31)
    p /= p.sum()
    rows = []
    for u in range(n_units):
        t = u % n_topics
        tokens = list(rng.choice(words[t], size=16, p=p)) + list(rng.choice(words[(t + 1) % n_topics], size=4, p=p))
        rows.append((f"u{u:03d}", f"d{u // 5:02d}", u % 5 + 1, tokens))
    return pd.DataFrame(rows, columns=["unit_id", "doc_id", "position", "tokens"])


def test_stability_fails_for_a_k_that_splits_planted_topics():
    # three planted topics: at K = 3 the refits on 80 % subsamples find the same top terms (up to the
    # ranks where the Zipf weights are close); at K = 6 each refit splits the topics its own way
    table = select_k(_planted_units(), [3, 6], method="nmf", seeds=(1, 2, 3)).set_index("k")
    assert table.loc[3, "stability"] >= 0.85
    assert table.loc[6, "stability"] < 0.75, "a bad K must be able to fail the stability criterion"
    assert choose_k(table.reset_index()) == 3


def test_the_k_grid_in_two_processes_gives_the_same_table(units):
    one = select_k(units, [3, 4], seeds=(1, 2, 3))
    assert select_k(units, [3, 4], seeds=(1, 2, 3), n_jobs=2).equals(one)
    full = [fit_topics(units, k=k, random_state=1) for k in (3, 4)]
    refits = [[fit_topics(_subsample(units, s, 0.8), k=k, random_state=s) for s in (2, 3)] for k in (3, 4)]
    assert one["stability"].tolist() == [topic_stability([full[i], *refits[i]]) for i in range(2)]
    terms = [list(g["term"]) for _, g in full[1].top_terms(10).groupby("topic")]
    assert one.loc[1, ["npmi", "umass"]].tolist() == list(coherence(terms, full[1].counts, full[1].features)), "coherence of the model on every unit"
    assert len(refits[0][0].units) == round(0.8 * len(units))


def _subsample(units, seed, share):
    keep = np.sort(np.random.default_rng(seed).choice(len(units), size=round(share * len(units)), replace=False))
    return units.iloc[keep].reset_index(drop=True)


def test_prevalence_by_province_with_bootstrap(units):
    model = fit_topics(units, k=4)
    prev = topic_prevalence(model, by="province", n_boot=200, resample="unit")
    assert np.allclose(prev.groupby("province")["prevalence"].sum(), 1.0)
    assert ((prev["ci_low"] <= prev["prevalence"]) & (prev["prevalence"] <= prev["ci_high"])).all()
    qinghai = prev[prev["province"] == "青海省"]
    assert qinghai["n_units"].iloc[0] == (model.units["province"] == "青海省").sum()
    expected = model.doc_topic[(model.units["province"] == "青海省").to_numpy()].mean(axis=0)
    assert np.allclose(qinghai["prevalence"], expected)
    again = topic_prevalence(model, by="province", n_boot=200, resample="unit")
    assert prev.equals(again), "fixed seed: same intervals"
    by_document = topic_prevalence(model, by="province", n_boot=200)
    assert by_document["n_docs"].eq(1).all(), "one seed document per province"
    assert by_document[["ci_low", "ci_high"]].isna().all().all(), "one document per group: no interval about documents"
    assert np.allclose(by_document["prevalence"], prev["prevalence"])
    with pytest.raises(ValueError, match="resample must be one of"):
        topic_prevalence(model, by="province", resample="paragraph")


def _model_of(doc_topic, doc_ids, province="甲省"):
    n = len(doc_ids)
    units = pd.DataFrame({"unit_id": [f"u{i:04d}" for i in range(n)], "doc_id": doc_ids, "province": province})
    return TopicModel("nmf", doc_topic.shape[1], 0, np.array(["a", "b"]), np.eye(2), doc_topic, units, sparse.csr_matrix((n, 2)))


def test_bootstrap_interval_has_the_width_of_a_mean_not_of_the_units():
    # 100 units of one group, half wholly topic 0 and half wholly topic 1: the mean share is 0.5
    # and its 95 % interval is about 0.5 ± 1.96 · sqrt(0.25 / 100) = 0.5 ± 0.098 (not the units' range 0–1)
    n = 100
    model = _model_of(np.array([[1.0, 0.0], [0.0, 1.0]] * (n // 2)), [f"d{i:03d}" for i in range(n)])
    for resample in ("unit", "document"):  # one unit per document: both bootstraps are the same
        prev = topic_prevalence(model, by="province", n_boot=4000, resample=resample).set_index("topic")
        assert prev.loc[0, "prevalence"] == pytest.approx(0.5)
        assert prev.loc[0, "ci_low"] == pytest.approx(0.5 - 1.96 * 0.05, abs=0.02)
        assert prev.loc[0, "ci_high"] == pytest.approx(0.5 + 1.96 * 0.05, abs=0.02)


def test_document_bootstrap_has_the_width_of_the_variation_between_documents():
    # 40 documents of 10 paragraphs. A document's paragraphs share its level of topic 0, 0.2 or 0.8 (half
    # the documents each), ± 0.1 from paragraph to paragraph. The mean is 0.5; between documents the
    # standard deviation is 0.3, so the mean of 40 documents has a standard error of 0.3 / √40 = 0.047
    # and a 95 % interval of 0.5 ± 0.093. Paragraphs taken as independent give √(0.09 + 0.01) / √400 = 0.016,
    # an interval three times too narrow.
    n_docs, per_doc = 40, 10
    level = np.repeat(np.where(np.arange(n_docs) % 2 == 0, 0.2, 0.8), per_doc)
    share = level + np.tile([0.1, -0.1], n_docs * per_doc // 2)
    model = _model_of(np.column_stack([share, 1 - share]), np.repeat([f"d{i:02d}" for i in range(n_docs)], per_doc))
    docs = topic_prevalence(model, by="province", n_boot=4000).set_index("topic").loc[0]
    assert docs["prevalence"] == pytest.approx(0.5) and docs["n_docs"] == n_docs and docs["n_units"] == n_docs * per_doc
    assert docs["ci_low"] == pytest.approx(0.5 - 1.96 * 0.3 / np.sqrt(n_docs), abs=0.012)
    assert docs["ci_high"] == pytest.approx(0.5 + 1.96 * 0.3 / np.sqrt(n_docs), abs=0.012)
    units = topic_prevalence(model, by="province", n_boot=4000, resample="unit").set_index("topic").loc[0]
    assert units["ci_high"] - units["ci_low"] == pytest.approx(2 * 1.96 * np.sqrt(0.1 / 400), abs=0.006)


def test_document_bootstrap_weights_documents_by_their_units():
    # two documents: 3 units of share 1.0 and 1 unit of share 0.0. A resample holds each once (prob 1/2:
    # prevalence 0.75), document 1 twice (1/4: 1.0) or document 2 twice (1/4: 0.0): the 30th and 70th
    # percentiles (level 0.4) are both 0.75, the unit-weighted mean, not 0.5, the mean of the documents.
    model = _model_of(np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]]), ["d1", "d1", "d1", "d2"])
    prev = topic_prevalence(model, by="province", n_boot=4000, level=0.4, min_documents=2).set_index("topic").loc[0]
    assert prev[["prevalence", "ci_low", "ci_high", "n_docs"]].tolist() == [0.75, 0.75, 0.75, 2]
    default = topic_prevalence(model, by="province", n_boot=100).set_index("topic").loc[0]
    assert np.isnan(default["ci_low"]) and default["prevalence"] == 0.75, "fewer than five documents: no interval by default"


def test_bootstrap_percentiles_of_two_units_by_hand():
    # group 甲: shares 0 and 1 for topic 0; a resample's mean is 0, 0.5 or 1 with chances 1/4, 1/2, 1/4,
    # so its 30th and 70th percentiles (level 0.4) are both 0.5. Group 乙 has a single unit: no spread.
    units = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "doc_id": ["d1", "d1", "d2"], "province": ["甲省", "甲省", "乙省"]})
    doc_topic = np.array([[1.0, 0.0], [0.0, 1.0], [0.25, 0.75]])
    model = TopicModel("nmf", 2, 0, np.array(["a", "b"]), np.eye(2), doc_topic, units, sparse.csr_matrix((3, 2)))
    prev = topic_prevalence(model, by="province", n_boot=4000, level=0.4, resample="unit").set_index(["province", "topic"])
    assert prev.loc[("甲省", 0), ["prevalence", "ci_low", "ci_high", "n_units"]].tolist() == [0.5, 0.5, 0.5, 2]
    single = prev.loc[("乙省", 1), ["prevalence", "ci_low", "ci_high", "n_units"]]
    assert single["prevalence"] == 0.75 and single["n_units"] == 1
    assert pd.isna(single["ci_low"]) and pd.isna(single["ci_high"]), "one unit: no interval, rather than a zero-width one"
    assert topic_prevalence(model, by="province", n_boot=100)[["ci_low", "ci_high"]].isna().all().all(), "each group is one document"


def _write_labels(path, model_name, entries):
    lines = ["corpora:", "  data:", f"    {model_name}:"]
    for label, terms in entries:
        lines += [f"      - label: {label}", f"        terms: [{', '.join(terms)}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _terms(model, topic, n):
    top = model.top_terms(n)
    return list(top[top.topic == topic]["term"])


def test_topic_labels_attach_by_terms_or_fall_back_to_top_terms(units, tmp_path):
    model = fit_topics(units, k=3)
    path = _write_labels(tmp_path / "labels.yaml", "nmf-3", [("Inspection", _terms(model, 1, 4))])
    labels = topic_labels(model, path, corpus="data")
    assert labels[1] == "Inspection"
    assert labels[0] == " · ".join(_terms(model, 0, 3)) and labels[2] == " · ".join(_terms(model, 2, 3))
    other = topic_labels(model, path, corpus="../shared/corpus/gov-work-reports/government_work_reports.jsonl")
    assert other[1] == " · ".join(_terms(model, 1, 3)), "labels of one corpus never name another's topics"


def test_topic_labels_follow_their_terms_when_topics_are_reordered(units, tmp_path):
    model = fit_topics(units, k=4)
    path = _write_labels(tmp_path / "labels.yaml", "nmf-4", [(f"Label {t}", _terms(model, t, 5)) for t in (3, 0, 2)])
    labels = topic_labels(model, path)
    assert [labels[t] for t in range(4)] == ["Label 0", " · ".join(_terms(model, 1, 3)), "Label 2", "Label 3"]
    order = [2, 3, 1, 0]  # new topic i is old topic order[i]
    permuted = TopicModel(model.method, model.k, model.random_state, model.features, model.topic_term[order], model.doc_topic[:, order], model.units, model.counts)
    moved = topic_labels(permuted, path)
    for new, old in enumerate(order):
        assert moved[new] == labels[old]
        assert _terms(permuted, new, 5) == _terms(model, old, 5)


def test_unmatched_topic_labels_are_logged_not_used(units, tmp_path, caplog):
    model = fit_topics(units, k=3)
    half = _terms(model, 0, 10)[:2]
    path = _write_labels(tmp_path / "labels.yaml", "nmf-3", [("Half match", half + ["不存在的词", "也不存在"]), ("Nothing", ["不存在的词"]), ("Below half", half[:1] + ["甲甲", "乙乙"])])
    with caplog.at_level("WARNING", logger="tifa.topics"):
        labels = topic_labels(model, path)
    assert labels[0] == "Half match", "2 of 4 terms among the top 10: exactly half is enough"
    assert "Nothing" not in labels.values() and "Below half" not in labels.values()
    assert "'Nothing'" in caplog.text and "'Below half'" in caplog.text and "'Half match'" not in caplog.text
    assert "matches no topic of nmf-3 on data (best overlap 0.00 < 0.50)" in caplog.text
    alone = _write_labels(tmp_path / "alone.yaml", "nmf-3", [("Below half", half[:1] + ["甲甲", "乙乙"])])
    assert "Below half" not in topic_labels(model, alone).values(), "1 of 3 terms is less than half"


def test_two_labels_never_share_a_topic(units, tmp_path):
    model = fit_topics(units, k=3)
    terms = _terms(model, 2, 4)
    path = _write_labels(tmp_path / "labels.yaml", "nmf-3", [("First", terms), ("Second", terms)])
    labels = topic_labels(model, path)
    assert list(labels.values()).count("First") + list(labels.values()).count("Second") == 1


def test_topic_labels_by_number_are_rejected_with_the_file_named(units, tmp_path):
    model = fit_topics(units, k=3)
    path = tmp_path / "labels.yaml"
    path.write_text("corpora:\n  data:\n    nmf-3:\n      0: Inspection\n", encoding="utf-8")
    with pytest.raises(ValueError, match="labels.yaml: corpora/data/nmf-3 must be a list"):
        topic_labels(model, path)
    path.write_text("corpora:\n  data:\n    nmf-3:\n      - label: Inspection\n", encoding="utf-8")
    with pytest.raises(ValueError, match="entry 1 needs 'label' and a non-empty list 'terms'"):
        topic_labels(model, path)


def test_every_shipped_label_names_a_topic_of_its_model(seeds, units, caplog):
    from tifa import config
    from tifa.util.files import read_yaml

    spec = read_yaml(config.TOPIC_LABELS_YAML, "topic labels")["corpora"]["data"]
    for name, entries in spec.items():
        method, k = name.split("-")
        model = fit_topics(units, k=int(k), method=method)
        with caplog.at_level("WARNING", logger="tifa.topics"):
            labels = topic_labels(model, corpus=seeds.source)
        assert sorted(labels.values()) == sorted(e["label"] for e in entries), name
        assert "matches no topic" not in caplog.text
