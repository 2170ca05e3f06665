"""Wall time of the whole study, as ratios to plain jieba segmentation measured in the same run.

1. ``jieba.lcut`` (the plain library, HMM on as it ships) on the cleaned texts of the national
   government work reports (../shared): the reference time;
2. ``tifa study`` on the national reports with cold caches (new TIFA_CACHE_DIR, new --out):
   ratio to (1), target ≤ 10;
3. the same study again with the caches filled (every notebook restored from the run cache):
   ratio to (1), target ≤ 3;
4. the same study with one study parameter changed (every notebook executed again; the
   token, user-word and font caches filled): ratio to (1), for reference;
5. ``tifa study`` on the embedded seeds with cold caches: seconds, target < 30.

Each study runs as a user runs it (the ``tifa`` command in a fresh process). Stage times of a
study are read from papermill's record in the executed notebooks. Run: python bench/study.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from tifa import config
from tifa.study import NOTEBOOKS


# runs a command and prints the peak RSS (KiB) of the largest process it started (kernels included)
_PEAK = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
PEAKS: dict[str, float] = {}


def _study(out: Path, cache: Path, *extra: str) -> float:
    env = {**os.environ, "TIFA_CACHE_DIR": str(cache)}
    command = [sys.executable, "-c", _PEAK, str(Path(sys.executable).with_name("tifa")), "study", "--out", str(out), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    PEAKS[out.name] = int(done.stdout.split()[-1]) / 1024
    return seconds


def _stages(out: Path, top: int = 6) -> list[str]:
    """The slowest cells of the executed notebooks (papermill's durations)."""
    cells = []
    for name in NOTEBOOKS:
        notebook = json.loads((out / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        total = 0.0
        for cell in notebook["cells"]:
            seconds = (cell.get("metadata", {}).get("papermill", {}) or {}).get("duration") or 0.0
            total += seconds
            first = "".join(cell["source"]).strip().splitlines()[:1]
            cells.append((seconds, name, first[0][:60] if first else ""))
        cells.append((total, name, "(whole notebook)"))
    return [f"  {s:6.1f} s  {name}: {line}" for s, name, line in sorted(cells, reverse=True)[:top]]


# plain jieba in a fresh process, dictionary loading included (as the study's own start-up is)
_JIEBA = """
import logging, sys, time
import jieba
from tifa import config, load_corpus
jieba.setLogLevel(logging.WARNING)
texts = list(load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False).docs["text"])
start = time.perf_counter()
for text in texts:
    jieba.lcut(text)
print(time.perf_counter() - start, sum(map(len, texts)))
"""


def _jieba() -> tuple[float, int]:
    done = subprocess.run([sys.executable, "-c", _JIEBA], check=True, capture_output=True, text=True)
    seconds, chars = done.stdout.split()
    return float(seconds), int(chars)


def _spread(values: list[float]) -> str:
    return f" (median of {len(values)}: {', '.join(f'{v:.1f}' for v in values)})" if len(values) > 1 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (medians are printed; a shared machine varies by 20%%)")
    repeat = parser.parse_args().repeat
    logging.getLogger("tifa").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = [_study(tmp / f"seeds{i}", tmp / f"cache-seeds{i}") for i in range(repeat)]
        print(f"seeds study, cold caches: {median(seeds):.1f} s (target < 30 s){_spread(seeds)}")
        print("\n".join(_stages(tmp / "seeds0")))
        if not config.GOV_REPORTS_JSONL.is_file():
            print(f"national study skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
            return 0
        args = ("--corpus", str(config.GOV_REPORTS_JSONL), "--text-field", "content")
        references, colds, warms, changes = [], [], [], []
        for i in range(repeat):
            reference, chars = _jieba()
            references.append(reference)
            colds.append(_study(tmp / f"national{i}", tmp / f"cache{i}", *args))
            warms.append(_study(tmp / f"national-warm{i}", tmp / f"cache{i}", *args))
            params = tmp / "params.yaml"
            params.write_text("top_terms: 12\n", encoding="utf-8")
            changes.append(_study(tmp / f"national-changed{i}", tmp / f"cache{i}", *args, "--params", str(params)))
        reference = median(references)
        print(f"plain jieba.lcut on the national reports ({chars / 1e6:.2f} M characters, fresh process): {reference:.1f} s{_spread(references)}")
        ratios = [c / r for c, r in zip(colds, references)]
        print(f"national study, cold caches: {median(colds):.1f} s = {median(ratios):.1f} x jieba (target <= 10 x){_spread(ratios)}")
        print("\n".join(_stages(tmp / "national0")))
        print(f"  largest process of the cold national study: {PEAKS['national0']:.0f} MB peak RSS")
        ratios = [w / r for w, r in zip(warms, references)]
        print(f"national study, warm caches (notebooks restored): {median(warms):.1f} s = {median(ratios):.1f} x jieba (target <= 3 x){_spread(ratios)}")
        ratios = [c / r for c, r in zip(changes, references)]
        print(f"national study, one parameter changed (notebooks run again): {median(changes):.1f} s = {median(ratios):.1f} x jieba{_spread(ratios)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
