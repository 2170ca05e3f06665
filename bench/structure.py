"""Per-document structure after cleaning: paragraphs by part, sections, removed lines and spans, splits.

Runs on the national Government Work Reports (../shared) and on the scraped
fixtures (tests/fixtures/scraped), or on any corpus given as argument:

    python bench/structure.py [CORPUS [TEXT_FIELD]]
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pandas as pd

from tifa import config, load_corpus


def structure(corpus) -> pd.DataFrame:
    paras = corpus.paragraphs()
    parts = pd.crosstab(paras["doc_id"], paras["part"]).reindex(columns=["front", "body", "appendix"], fill_value=0)
    sections = paras[paras["section"] != ""].groupby("doc_id")["section"].nunique().rename("n_sections")
    summary = corpus.summary().set_index("doc_id")[["year", "n_chars", "n_lines_removed", "n_spans_removed", "n_splits"]]
    return summary.join(parts).join(sections).fillna({"n_sections": 0}).astype({"n_sections": int})


def main(argv: list[str]) -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)
    sources = [(Path(argv[0]), argv[1] if len(argv) > 1 else "text")] if argv else [
        (config.GOV_REPORTS_JSONL, "content"),
        (config.PROJECT_ROOT / "tests" / "fixtures" / "scraped", "text"),
    ]
    for path, field in sources:
        if not path.exists():
            print(f"skipped: {path} is absent")
            continue
        table = structure(load_corpus(path, text_field=field, progress=False))
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(f"== {path.name}: {len(table)} documents")
            print(table.to_string())
            print("total:", table.drop(columns=["year"]).sum().to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
