"""Propose the genre stopword list (data/lexicon/stopwords_genre.txt) from the rule it was built with.

Rule: a word is a candidate when it is spread evenly over nearly all reports of
the genre as it is written now: in the national Government Work Reports of
2000-2025 (>= 5,000 Han characters) it occurs in >= 90 % of the reports with a
normalised Gries' DP <= 0.35. The earlier eras (1954-1977, 1978-1999) and the
seeds (speeches of environmental bureaus) are printed beside it for the review
(着力 is a word of the present genre only; 左右 and 进一步 of every era). Candidates
are then reviewed by hand: words of the genre's rhetoric (进一步, 左右, 一批, 着力,
这是) go into the list; content words (发展, 经济, 改革, 人民 …) stay out even when
they are everywhere, because their rates are what the study compares.

    python bench/genre_stopwords.py            # prints candidates with their statistics
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from tifa import config, load_corpus
from tifa.stats import build_dfm, dispersion_dp_norm
from tifa.tokens import TokenFilter, tokens

ERAS = ((1954, 1977), (1978, 1999), (2000, 2025))
MIN_DOC_SHARE = 0.9
MAX_DP_NORM = 0.35
MIN_REPORT_CHARS = 5000


def spread(corpus, token_filter) -> pd.DataFrame:
    """Per word: share of documents holding it and normalised DP over the documents."""
    dfm = build_dfm(tokens(corpus, token_filter=token_filter, progress=False))
    present = np.asarray((dfm.matrix > 0).sum(axis=0)).ravel() / dfm.shape[0]
    return pd.DataFrame({"doc_share": present, "dp_norm": dispersion_dp_norm(dfm.matrix)}, index=dfm.features)


def main() -> int:
    if not config.GOV_REPORTS_JSONL.is_file():
        print(f"skipped: {config.GOV_REPORTS_JSONL} is absent")
        return 0
    import stopwordsiso

    token_filter = TokenFilter(stopwords=frozenset(stopwordsiso.stopwords("zh")))  # the published list only
    national = load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False)
    tables = []
    for low, high in ERAS:
        docs = national.docs[national.docs["year"].between(low, high) & (national.docs["n_chars"] >= MIN_REPORT_CHARS)]
        era = type(national)(docs.reset_index(drop=True), national.audit, national.problems, national.source)
        tables.append(spread(era, token_filter).add_suffix(f"_{low}"))
    seeds = spread(load_corpus(), token_filter)
    table = pd.concat(tables, axis=1, join="outer").join((seeds["doc_share"] * 5).round().rename("seed_docs"), how="left").fillna({"seed_docs": 0})
    keep = (table["doc_share_2000"] >= MIN_DOC_SHARE) & (table["dp_norm_2000"] <= MAX_DP_NORM)
    if "--words" in sys.argv:
        print(table.loc[[w for w in sys.argv[sys.argv.index("--words") + 1 :] if w in table.index]].round(3).to_string())
    out = table[keep].round(3).rename_axis("word").reset_index().sort_values(["word"], kind="stable")
    out.to_csv(sys.stdout, index=False, sep="\t", lineterminator="\n")
    print(f"# {len(out)} candidates", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
