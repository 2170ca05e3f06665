"""Example: the slogan timeline of the national Government Work Reports 1954–2025 (../shared).

Writes build/examples/slogan_timeline_national_reports.pdf/.png and prints the
first report year of every lexicon entry and the anachronism check. Run:
make bench (or python bench/national_timeline.py [OUT_DIR]).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from tifa import config, load_corpus
from tifa.figures import Labeller
from tifa.places import load_regions
from tifa.figures import plot_slogan_timeline, save_figure, use_style
from tifa.slogans import SloganMatcher, anachronisms, count_slogans, lexicon_table


def main(out_dir: Path) -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)
    if not config.GOV_REPORTS_JSONL.is_file():
        print(f"skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
        return 0
    corpus = load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False)
    matcher = SloganMatcher()
    by_year = count_slogans(corpus, by="year", matcher=matcher)
    used = by_year[by_year["count"] > 0]
    first = used.groupby("slogan")["year"].min().sort_values(kind="mergesort")
    lexicon = lexicon_table(matcher).set_index("slogan")
    print(f"{len(first)} of {len(lexicon)} lexicon entries occur in the reports with a year")
    for slogan, year in first.items():
        print(f"  {year}  {slogan}  (first_used {lexicon.at[slogan, 'first_used']})")
    late = anachronisms(corpus, matcher)
    print(f"anachronisms: {len(late)}")
    use_style()
    labeller = Labeller(lang=config.LABEL_LANG, places=load_regions(), glossary={s.zh: s.en for s in matcher.slogans})
    years = sorted(int(y) for y in corpus.docs["year"].dropna().unique())  # the missing 2020 report is shaded
    ax = plot_slogan_timeline(by_year, lexicon_table(matcher), years=years, labeller=labeller)
    ax.set_title("Slogans in the national Government Work Reports, 1954–2025")
    for path in save_figure(ax.figure, "slogan_timeline_national_reports", out_dir=out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else config.PROJECT_ROOT / "build" / "examples"))
