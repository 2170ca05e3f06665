"""Real-data check: topics of the national Government Work Reports 1954–2025 (../shared, else the packaged copy).

Runs the whole path (paragraph units → K selection → model → prevalence by
decade with bootstrap intervals over reports, and how much wider they are than over paragraphs), prints the run time of each stage, the chosen
K and the topics, and writes build/examples/topic_prevalence_by_decade_national_reports.pdf/.png.
Run: python bench/topics_national.py [OUT_DIR]
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from tifa import config, load_corpus
from tifa.figures import plot_prevalence_by, save_figure, use_style
from tifa.tokens import Segmenter, tokens
from tifa.topics import choose_k, fit_topics, select_k, topic_labels, topic_prevalence, topic_units

K_GRID = (6, 8, 10, 12, 15)
METHOD = "nmf"


def main(out_dir: Path) -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)
    from tifa.datasets import national_reports

    clock = time.perf_counter()
    # ../shared when present, else the same reports packaged with tifa
    corpus = load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False) if config.GOV_REPORTS_JSONL.is_file() else national_reports()
    corpus.docs["decade"] = (corpus.docs["year"] // 10 * 10).astype("Int64")
    segmenter = Segmenter("rjieba", hmm=False)
    units = topic_units(corpus, tokens(corpus, segmenter, progress=False), segmenter=segmenter)
    units = units[units["decade"].notna()].reset_index(drop=True)  # the year-less NPC resolutions
    print(f"units: {len(units)} paragraphs of the {corpus.docs['year'].notna().sum()} dated reports ({time.perf_counter() - clock:.1f} s)")
    start = time.perf_counter()
    selection = select_k(units, K_GRID, method=METHOD)
    k = choose_k(selection)
    print(selection.round(3).to_string(index=False))
    print(f"chosen K = {k} ({METHOD}; highest NPMI among K with stability ≥ {config.TOPIC_MIN_STABILITY}); selection {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    model = fit_topics(units, k=k, method=METHOD)
    labels = topic_labels(model, corpus=corpus.source)
    prevalence = topic_prevalence(model, by="decade")
    print(f"model and prevalence: {time.perf_counter() - start:.1f} s; total {time.perf_counter() - clock:.1f} s")
    by_unit = topic_prevalence(model, by="decade", resample="unit")
    ratio = ((prevalence["ci_high"] - prevalence["ci_low"]) / (by_unit["ci_high"] - by_unit["ci_low"])).dropna()
    docs = prevalence.drop_duplicates("decade").set_index("decade")["n_docs"].to_dict()
    print(f"reports per decade: {docs}; decades of fewer than {config.TOPIC_MIN_BOOT_DOCUMENTS} reports get no interval")
    print(f"intervals resampling reports (default) against resampling paragraphs: {ratio.median():.1f} x wider (median over decades and topics), {ratio.quantile(0.1):.1f}-{ratio.quantile(0.9):.1f} x (10th-90th percentile), at most {ratio.max():.1f} x")
    for topic, label in labels.items():
        shares = prevalence[prevalence["topic"] == topic].set_index("decade")["prevalence"].round(2).to_dict()
        print(f"  T{topic} {label}: {shares}")
    use_style()
    for page, fig in enumerate(plot_prevalence_by(prevalence, labels, by="decade", ncols=4), start=1):
        for path in save_figure(fig, f"topic_prevalence_by_decade_national_reports_p{page}", out_dir=out_dir):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else config.PROJECT_ROOT / "build" / "examples"))
