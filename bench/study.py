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
study are read from papermill's record in the executed notebooks. Run: python bench/study.py
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tifa import config, load_corpus
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


def main() -> int:
    logging.getLogger("tifa").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = _study(tmp / "seeds", tmp / "cache-seeds")
        print(f"seeds study, cold caches: {seeds:.1f} s (target < 30 s)")
        print("\n".join(_stages(tmp / "seeds")))
        if not config.GOV_REPORTS_JSONL.is_file():
            print(f"national study skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
            return 0
        import jieba

        jieba.setLogLevel(logging.WARNING)
        texts = list(load_corpus(config.GOV_REPORTS_JSONL, text_field="content", progress=False).docs["text"])
        start = time.perf_counter()
        for text in texts:
            jieba.lcut(text)
        reference = time.perf_counter() - start
        print(f"plain jieba.lcut on the national reports ({sum(map(len, texts)) / 1e6:.2f} M characters): {reference:.1f} s")
        args = ("--corpus", str(config.GOV_REPORTS_JSONL), "--text-field", "content")
        cold = _study(tmp / "national", tmp / "cache", *args)
        print(f"national study, cold caches: {cold:.1f} s = {cold / reference:.1f} x jieba (target <= 10 x)")
        print("\n".join(_stages(tmp / "national")))
        print(f"  largest process of the cold national study: {PEAKS['national']:.0f} MB peak RSS")
        warm = _study(tmp / "national-warm", tmp / "cache", *args)
        print(f"national study, warm caches: {warm:.1f} s = {warm / reference:.1f} x jieba (target <= 3 x)")
        params = tmp / "params.yaml"
        params.write_text("top_terms: 12\n", encoding="utf-8")
        changed = _study(tmp / "national-changed", tmp / "cache", *args, "--params", str(params))
        print(f"national study, one parameter changed (notebooks run again): {changed:.1f} s = {changed / reference:.1f} x jieba")
    return 0


if __name__ == "__main__":
    sys.exit(main())
