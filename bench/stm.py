"""Structural topic models: coverage of planted effects, and speed on the national Government Work Reports.

1. Planted effects (tifa.simulate): documents whose topic prevalence depends on a group (topic 0's
   logit 1.0 higher in group b), over --sims simulations each:
   a. one unit per document (200 documents of 60 tokens);
   b. four paragraphs per document sharing its topic mix (60 documents), intervals clustered by
      document, and the same fits with paragraphs taken as independent.
   Prints how often the 95 % interval of the difference b − a covers the truth, per topic, with a
   Wilson interval for that share, how often topic 0's estimate has the right sign and its interval
   excludes 0, and the median interval width.
2. The national reports' paragraphs, prevalence ~ s(year): K = 10 fitted on 2 threads (wall and CPU
   seconds), the effects by the method of composition, and the contrast 2025 − 1954.
3. With --search: stm's searchK over --grid on the same paragraphs (one fit per K), the chosen K and
   why, and the K diagnostics figures in OUT (default build/examples).
4. With --placebo: the 52 dated reports dealt out to the 31 provinces in turn (a province is then
   noise): the share of province contrasts (each of 20 pairs of provinces with two reports, every
   topic) whose interval holds 0.

Run: python bench/stm.py [--sims 200] [--search] [--placebo] [OUT]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

from tifa import config
from tifa.effects import estimate_effect, topic_contrast, topic_effects
from tifa.simulate import match_topics, planted_units
from tifa.stm import choose_k_stm, fit_stm, select_k_stm


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def coverage(n_sims: int, *, paragraphs: int) -> None:
    designs = {"auto": "clustered by document", None: "paragraphs taken as independent"} if paragraphs > 1 else {"auto": "one unit per document"}
    results = {cluster: {"hits": [], "widths": [], "estimates": [], "low": []} for cluster in designs}
    start = time.perf_counter()
    for seed in range(n_sims):
        if paragraphs > 1:
            planted = planted_units(n_docs=60, paragraphs=paragraphs, length=30, sd_paragraph=0.7, random_state=10_000 + seed)
        else:
            planted = planted_units(n_docs=200, length=60, random_state=20_000 + seed)
        model = fit_stm(planted.units, k=3, prevalence="~ group", min_df=1, random_state=seed)
        order = match_topics(model.topic_term, model.features, planted)
        for cluster, out in results.items():
            effects = estimate_effect(model, cluster=cluster, labels={}, random_state=seed, progress=False)
            contrast = topic_contrast(effects, "group", "b", "a").set_index("topic").loc[order]
            out["hits"].append((contrast["ci_low"].to_numpy() <= planted.difference) & (planted.difference <= contrast["ci_high"].to_numpy()))
            out["widths"].append((contrast["ci_high"] - contrast["ci_low"]).to_numpy())
            out["estimates"].append(contrast["estimate"].to_numpy())
            out["low"].append(contrast["ci_low"].to_numpy())
    seconds = time.perf_counter() - start
    print(f"\nplanted effect, {'%d paragraphs per document' % paragraphs if paragraphs > 1 else 'one unit per document'}: {n_sims} simulations in {seconds:.0f} s; true difference b − a per topic {np.round(planted.difference, 3).tolist()}")
    for cluster, label in designs.items():
        hits, widths = np.array(results[cluster]["hits"]), np.array(results[cluster]["widths"])
        estimates, low = np.array(results[cluster]["estimates"]), np.array(results[cluster]["low"])
        per_topic = ", ".join(f"T{t} {hits[:, t].mean():.3f} [{wilson(int(hits[:, t].sum()), n_sims)[0]:.2f}, {wilson(int(hits[:, t].sum()), n_sims)[1]:.2f}]" for t in range(hits.shape[1]))
        print(f"  {label}: 95 % interval covers the truth: {per_topic}; all topics {hits.mean():.3f}")
        print(f"    topic 0: right sign {np.mean(estimates[:, 0] > 0):.3f}, interval above 0 {np.mean(low[:, 0] > 0):.3f}; median width {np.median(widths[:, 0]):.3f}")


def national_units():
    from tifa.datasets import national_reports
    from tifa.tokens import Segmenter, tokens
    from tifa.topics import topic_units

    corpus = national_reports()
    segmenter = Segmenter("rjieba", hmm=False)
    units = topic_units(corpus, tokens(corpus, segmenter, progress=False), segmenter=segmenter)
    return units[units["year"].notna()].reset_index(drop=True)


def national(units) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    model = fit_stm(units, k=10, prevalence="~ s(year)", n_threads=2)
    print(f"\nnational reports: {len(model.units)} paragraphs of {model.units['doc_id'].nunique()} reports, {len(model.features)} terms")
    print(f"  stm-10, prevalence ~ s(year) (df 10), 2 threads: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, {model.n_iter} EM iterations (converged: {model.converged})")
    wall = time.perf_counter()
    effects = estimate_effect(model, progress=False)
    curve = topic_effects(effects)
    contrast = topic_contrast(effects, "year", 2025, 1954)
    print(f"  effects ({effects.method}): {time.perf_counter() - wall:.1f} s")
    for row in contrast.itertuples():
        print(f"    T{row.topic} {row.label}: 2025 − 1954 = {row.estimate:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]")
    widths = (curve["ci_high"] - curve["ci_low"]).groupby(curve["topic"]).median()
    print(f"  median width of the year curves' 95 % intervals per topic: {widths.round(3).tolist()}")


def search(units, grid: list[int], out_dir: Path) -> None:
    from tifa.figures import plot_coherence_exclusivity, plot_stm_k_search, save_figure, use_style

    wall = time.perf_counter()
    selection = select_k_stm(units, grid, prevalence="~ s(year)", n_threads=2)
    k, why = choose_k_stm(selection)
    print(f"\nsearchK over {grid} on the national paragraphs: {time.perf_counter() - wall:.0f} s")
    print(selection.round(3).to_string(index=False))
    print(f"  {why}")
    use_style()
    for fig, name in ((plot_stm_k_search(selection, chosen=k), "topic_stm_k_search_national_reports"), (plot_coherence_exclusivity(selection, chosen=k), "topic_coherence_vs_exclusivity_national_reports")):
        for path in save_figure(fig, name, out_dir=out_dir):
            print(f"  wrote {path}")


def placebo(units) -> None:
    from tifa.simulate import mainland_provinces

    provinces = mainland_provinces()["province"].tolist()  # in GB/T 2260 code order
    reports = sorted(units["doc_id"].unique())
    assigned = {doc: provinces[i % len(provinces)] for i, doc in enumerate(reports)}
    units = units.assign(province=units["doc_id"].map(assigned))
    twice = [p for p in provinces if list(assigned.values()).count(p) == 2]
    model = fit_stm(units, k=10, prevalence="~ province + s(year, df=5)", n_threads=2)
    effects = estimate_effect(model, labels={}, progress=False)
    holds = []
    for a, b in zip(twice[0::2], twice[1::2]):
        contrast = topic_contrast(effects, "province", a, b)
        holds.extend(((contrast["ci_low"] <= 0) & (contrast["ci_high"] >= 0)).tolist())
    print(f"\nplacebo provinces (reports dealt out in turn; {len(twice)} provinces with two reports): {np.mean(holds):.3f} of {len(holds)} contrast intervals hold 0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(config.PROJECT_ROOT / "build" / "examples"))
    parser.add_argument("--sims", type=int, default=200)
    parser.add_argument("--search", action="store_true")
    parser.add_argument("--grid", type=int, nargs="+", default=[5, 10, 15, 20])
    parser.add_argument("--placebo", action="store_true")
    args = parser.parse_args()
    logging.getLogger("tifa").setLevel(logging.ERROR)
    if args.sims:
        coverage(args.sims, paragraphs=1)
        coverage(args.sims, paragraphs=4)
    units = national_units()
    national(units)
    if args.search:
        search(units, args.grid, Path(args.out))
    if args.placebo:
        placebo(units)
    return 0


if __name__ == "__main__":
    sys.exit(main())
