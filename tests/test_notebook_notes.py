"""The reading notes of the notebooks state numbers about the embedded corpus: each one is recomputed here."""

import json
import re

import pytest

from tifa import config
from tifa.stats import build_dfm, textstat_frequency, textstat_simil
from tifa.tokens import tokens

from .conftest import GANZHOU, HENGSHUI, HUNAN, QINGHAI, SHANGLUO


def notes(name: str) -> str:
    """The text of every reading note of a notebook (cells tagged ``note``)."""
    cells = json.loads((config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if "note" in c.get("metadata", {}).get("tags", []))


@pytest.fixture(scope="module")
def dfm(seeds):
    return build_dfm(tokens(seeds, cache_dir=None))


def test_corpus_notes(seeds):
    text = " ".join(notes("00_corpus").split())
    summary = seeds.summary()
    words = {5: "five", 15: "fifteen"}
    assert f"{words[int(summary['n_lines_removed'].sum())]} lines of site furniture" in text
    assert f"{int(summary.set_index('doc_id').at[QINGHAI, 'n_pinyin_removed'])} inline pinyin" in text
    years = seeds.docs["year"]
    assert f"{words[len(seeds)]} documents from {words[seeds.docs['province'].nunique()]} provinces, {years.min()}–{years.max()}" in text


def test_term_notes_dispersion(dfm):
    text = " ".join(notes("01_terms").split())
    freq = textstat_frequency(dfm).set_index("term")
    claimed = re.search(r"\((建设, 任务, 问题): DP below ([\d.]+)\)", text)
    assert claimed and all(freq.at[t, "dp"] < float(claimed.group(2)) for t in claimed.group(1).split(", "))
    for term, docs in (("作风建设", 2),):
        assert f"{term} {freq.at[term, 'dp']:.2f} in two documents" in text and freq.at[term, "docfreq"] == docs
    for term in ("企业", "整改"):
        assert f"{term} {freq.at[term, 'dp']:.2f}" in text


def test_term_notes_similarity(dfm):
    text = " ".join(notes("01_terms").split())
    sim = textstat_simil(dfm)
    pair = sim.at[HENGSHUI, QINGHAI]
    others = [sim.at[a, b] for i, a in enumerate(sim.index) for b in sim.index[i + 1 :] if {a, b} != {HENGSHUI, QINGHAI}]
    assert f"similarities are low ({min(others):.2f}–{max(others):.2f})" in text
    assert f"Hengshui and Qinghai texts ({pair:.2f})" in text and pair > max(others)


def test_slogan_notes(seeds):
    from tifa.slogans import count_slogans

    text = " ".join(notes("02_slogans").split())
    counts = count_slogans(seeds).groupby("doc_id")["count"].sum()
    assert counts.idxmax() == QINGHAI
    n_chars = int(seeds.docs.set_index("doc_id").at[QINGHAI, "n_chars"])
    assert f"({counts[QINGHAI]} mentions in {n_chars:,} characters)" in text
    assert {HUNAN, HENGSHUI, GANZHOU, SHANGLUO} <= set(counts.index)


def test_topic_notes(seeds):
    from tifa.study import load_params
    from tifa.topics import choose_k, select_k, topic_units

    text = " ".join(notes("03_topics").split())
    params = load_params()
    units = topic_units(seeds, tokens(seeds, cache_dir=None))
    selection = select_k(units, [k for k in params["k_grid"] if k < len(units)], method=params["topic_methods"][0])
    k = choose_k(selection)
    assert f"here K = {k}" in text
    stable = selection.loc[selection["stability"] >= config.TOPIC_MIN_STABILITY, "k"].tolist()
    assert stable == [k] and "the only K of the grid" in text
    assert selection["stability"].max() < 0.7 and "below 0.7 at every K" in text


def test_topic_effect_notes(seeds):
    text = " ".join(notes("05_topic_effects").split())
    docs = seeds.docs
    assert len(docs) == 5 and docs["province"].nunique() == 5 and docs["year"].nunique() == 4
    assert "five documents, one per province and four distinct years" in text
    assert len(docs) < config.STM_MIN_DOCUMENTS, "too few to estimate effects: the notebook skips them"
