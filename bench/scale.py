"""Time and peak memory of the in-memory, streamed and Dask paths on corpora of 50 MB, 200 MB and 1 GB.

The corpora are the national Government Work Reports of ../shared repeated, each
copy made distinct (its paragraphs shuffled with a seed of its own, a numbered
sentence appended, its own doc_id), so that no cache can help. The reports are
cleaned once first (shuffling raw paragraphs would move Wikisource's licence
footer, a tail rule, to the top), so the benchmark cleans text that is already
clean: every step still runs over every character. Every engine runs
in a child process; a thread there polls the resident memory of the process and
of its children (the Dask workers) and reports the peak of each stage.

    python bench/scale.py                      # 50, 200 and 1000 MB; memory up to 200 MB, stream and dask at every size
    python bench/scale.py --sizes 50 200 --engines stream dask
    python bench/scale.py --sizes 1000 --engines stream --workdir /tmp/scale

Stages: ``load`` (memory: load_corpus; stream/dask: build_store, re-used by dask
from the streamed run; no token cache is read or written), ``freq`` (segmentation,
dfm, textstat_frequency by year), ``keyness`` (2025 against the rest), ``slogans``
(count_slogans by year) and ``panel`` (slogan_panel by year).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from tifa import config

ENGINES = ("memory", "stream", "dask")
STAGES = ("load", "freq", "keyness", "slogans", "panel")


# --- corpora -----------------------------------------------------------------------------------


def make_corpus(path: Path, megabytes: int) -> Path:
    """JSONL of at least ``megabytes`` MB: distinct copies of the national reports (shuffled paragraphs, a numbered sentence)."""
    if path.is_file():
        return path
    from tifa.corpus import document_paragraphs, load_corpus

    reports = load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False).docs
    records = []
    for rec in reports.to_dict("records"):
        paragraphs = document_paragraphs(rec["text"])  # shuffled within the body: the front stays first, appendices last
        records.append(({k: rec[k] for k in ("title", "url", "year") if rec[k] is not None and rec[k] is not pd.NA}, [[para for _, part, _, para in paragraphs if part == kind] for kind in ("front", "body", "appendix")]))
    target = megabytes * 1_000_000
    tmp = path.with_suffix(".tmp")
    size, copy = 0, 0
    with tmp.open("w", encoding="utf-8") as out:
        while size < target:
            copy += 1
            for i, (docvars, (front, body, appendix)) in enumerate(records, start=1):
                body = list(body)
                random.Random(copy * 10_000 + i).shuffle(body)
                body.append(f"本文为第{copy}份副本第{i}篇，编号{copy:05d}{i:03d}。")
                text = "\n\n".join(front + body + appendix)
                line = json.dumps({**docvars, "doc_id": f"r{i:03d}-c{copy:05d}", "content": text}, ensure_ascii=False, default=int) + "\n"
                out.write(line)
                size += len(line.encode("utf-8"))
                if size >= target:
                    break
    tmp.replace(path)
    return path


# --- one engine in a child process ----------------------------------------------------------------


class PeakRSS:
    """Polls the resident memory of this process and its children (Dask workers) and keeps the peak since the last reset."""

    def __init__(self, interval: float = 0.1):
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peak = 0
        threading.Thread(target=self._poll, daemon=True).start()

    def rss(self) -> int:
        import psutil

        total = self.process.memory_info().rss
        for child in self.process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _poll(self) -> None:
        while True:
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def reset(self) -> None:
        self.peak = self.rss()


def run_engine(engine: str, corpus: Path, store: Path) -> None:
    """Run every stage with ``engine``; print one JSON line per stage (seconds, peak RSS in MB).

    Every stage calls the one public analysis on a :class:`tifa.engine.Source`:
    the engine only decides how the per-partition steps run.
    """
    logging.disable(logging.WARNING)
    from tifa.engine import Engine, as_source, dask_client
    from tifa.features import build_dfm
    from tifa.panel import slogan_panel
    from tifa.slogans import count_slogans
    from tifa.stats import textstat_frequency, textstat_keyness

    meter = PeakRSS()
    results = {}

    def stage(name, func):
        meter.reset()
        start = time.perf_counter()
        results[name] = func()
        print(json.dumps({"stage": name, "seconds": round(time.perf_counter() - start, 1), "peak_mb": round(meter.peak / 2**20)}), flush=True)

    with dask_client() if engine == "dask" else contextlib.nullcontext() as client:
        chosen = Engine(engine, client=client, store=store, progress=False)
        source = None
        dfm = None

        def load():
            nonlocal source
            source = as_source(corpus, engine=chosen, text_field="content")

        def freq():
            nonlocal dfm
            dfm = build_dfm(source, cache_dir=None)
            return textstat_frequency(dfm, by="year", n=20)

        stage("load", load)
        stage("freq", freq)
        stage("keyness", lambda: textstat_keyness(dfm, 2025, by="year"))
        stage("slogans", lambda: count_slogans(source, by="year"))
        stage("panel", lambda: slogan_panel(source, by=["year"]))


# --- the table ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[50, 200, 1000], help="corpus sizes in MB (default: 50 200 1000)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--memory-max", type=int, default=200, help="run the in-memory path only up to this size in MB (default 200: ~2.6 GB peak)")
    parser.add_argument("--workdir", default=str(config.BUILD_DIR / "bench-scale"), help="corpora and stores (default: build/bench-scale)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "CORPUS", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_engine(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    if not config.GOV_REPORTS_JSONL.is_file():
        print(f"skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
        return 0
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        corpus = make_corpus(work / f"reports-{size}mb.jsonl", size)
        store = work / f"store-{size}mb"
        actual = corpus.stat().st_size / 1e6
        for engine in args.engines:
            if engine == "memory" and size > args.memory_max:
                print(f"{size} MB, memory: skipped (above --memory-max {args.memory_max} MB: the in-memory path needs ~13 MB of RSS per MB of text)", flush=True)
                continue
            if engine == "stream":
                shutil.rmtree(store, ignore_errors=True)  # clean and segment from scratch
            env = {**os.environ, "PYTHONHASHSEED": "0"}
            proc = subprocess.run([sys.executable, __file__, "--child", engine, str(corpus), str(store)], capture_output=True, text=True, env=env)
            if proc.returncode:
                print(f"{size} MB, {engine}: failed\n{proc.stderr[-2000:]}", flush=True)
                continue
            for line in proc.stdout.splitlines():
                if line.startswith("{"):
                    rec = json.loads(line)
                    rows.append({"size_mb": size, "input_mb": round(actual), "engine": engine, **rec})
                    print(f"{size:>5} MB  {engine:<7} {rec['stage']:<8} {rec['seconds']:>8.1f} s  peak {rec['peak_mb']:>6} MB  ({rec['peak_mb'] / actual:.2f} × input)", flush=True)
    _summary(rows)
    return 0


def _summary(rows: list[dict]) -> None:
    """Per engine: total time and peak RSS of each size, and the growth factor from one size to the next."""
    if not rows:
        return
    import pandas as pd

    table = pd.DataFrame(rows)
    total = table.groupby(["engine", "size_mb"], sort=True).agg(input_mb=("input_mb", "first"), seconds=("seconds", "sum"), peak_mb=("peak_mb", "max")).reset_index()
    total["peak_x_input"] = (total["peak_mb"] / total["input_mb"]).round(2)
    for col in ("seconds", "peak_mb"):
        total[f"{col}_growth"] = total.groupby("engine")[col].transform(lambda s: (s / s.shift()).round(2))
    total["size_growth"] = total.groupby("engine")["input_mb"].transform(lambda s: (s / s.shift()).round(2))
    print("\nper engine and size (all stages): seconds, peak RSS, growth from the previous size")
    print(total.to_string(index=False))
    wide = table.pivot_table(index=["size_mb", "stage"], columns="engine", values=["seconds", "peak_mb"], sort=False)
    print("\nside by side, per stage")
    print(wide.to_string())


if __name__ == "__main__":
    sys.exit(main())
