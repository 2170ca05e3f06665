"""The corpus layer at the speed of the segmenter: tifa against the plain pipelines, in one run.

Prints, on 100 MB of national reports (distinct copies, ``bench/scale.py``'s corpus):

- ``tifa freq`` cold (empty cache folder) and warm (the same folder again) against
  rjieba + ``collections.Counter`` over the same texts (read the JSONL, cut each text
  with HMM off, count): time, ratio, peak RSS (the process and its children);
- ``tifa slogans`` cold and warm against a ``str.count`` loop over the raw texts (every
  literal form of every lexicon entry) and a pyahocorasick scan of the same forms;
- cleaning throughput (MB/s) of the default pipeline on the texts with the provincial
  scrapes' in-line page chrome mixed in;
- 1 GB ``tifa freq`` streamed (``--sizes 1000``, long): time and peak RSS.

Every tifa command is the ``tifa`` CLI in a fresh process, output to /dev/null.

    python bench/corpus.py                    # 100 MB (+ the 1 GB run with --gb)
    python bench/corpus.py --gb --workdir /tmp/corpus-bench
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import make_corpus  # noqa: E402  (the same corpus as the scale bench)

from tifa import config  # noqa: E402

TIFA = [sys.executable, "-m", "tifa.cli"]


def _peak_rss(proc: subprocess.Popen) -> tuple[int, float]:
    """Wait for ``proc``; return its exit code and the peak resident memory (MB) of it and its children."""
    import psutil

    root = psutil.Process(proc.pid)
    peak = 0

    def poll() -> None:
        nonlocal peak
        while proc.poll() is None:
            try:
                total = root.memory_info().rss + sum(c.memory_info().rss for c in root.children(recursive=True))
            except psutil.Error:
                total = 0
            peak = max(peak, total)
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    code = proc.wait()
    thread.join()
    return code, peak / 2**20


def run(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, its output discarded; a failure stops the bench."""
    start = time.perf_counter()
    with open(os.devnull, "w") as null:
        proc = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE, env=env, text=True)
        code, peak = _peak_rss(proc)
        err = proc.stderr.read()
    if code:
        raise SystemExit(f"{' '.join(argv)} failed ({code}):\n{err[-2000:]}")
    return time.perf_counter() - start, peak


PLAIN_FREQ = """
import collections, json, sys, rjieba
cut = rjieba.Jieba().cut
counts = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    counts.update(cut(json.loads(line)["content"], False))
print(len(counts))
"""

PLAIN_COUNT = """
import json, sys
from tifa.lexicon import load_slogans
forms = [f for s in load_slogans() for f in s.literals]
total = 0
for line in open(sys.argv[1], encoding="utf-8"):
    text = json.loads(line)["content"]
    total += sum(text.count(f) for f in forms)
print(total)
"""

PLAIN_AHO = """
import json, sys, ahocorasick
from tifa.lexicon import load_slogans
automaton = ahocorasick.Automaton()
for f in {f for s in load_slogans() for f in s.literals}:
    automaton.add_word(f, f)
automaton.make_automaton()
total = 0
for line in open(sys.argv[1], encoding="utf-8"):
    total += sum(1 for _ in automaton.iter(json.loads(line)["content"]))
print(total)
"""


def cleaning_rate(corpus: Path, megabytes: float) -> float:
    """MB/s of the default cleaning pipeline on the texts with in-line page chrome mixed in (one core)."""
    from tifa.clean import clean_text, default_pipeline
    from tifa.clean import load_boilerplate_rules

    chrome = [ex for rule in load_boilerplate_rules() if rule.kind == "span" for ex in rule.examples][:40]
    steps = default_pipeline()
    texts, size = [], 0
    with corpus.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            text = json.loads(line)["content"]
            paragraphs = text.split("\n\n")
            for j in range(0, len(paragraphs), 7):  # a chrome piece in every seventh paragraph, at its end
                paragraphs[j] = f"{paragraphs[j]} {chrome[(i + j) % len(chrome)]}" if chrome else paragraphs[j]
            texts.append("\n\n".join(paragraphs))
            size += len(texts[-1].encode("utf-8"))
            if size >= megabytes * 1e6:
                break
    start = time.perf_counter()
    for text in texts:
        clean_text(text, steps)
    return size / 1e6 / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--gb", action="store_true", help="also run 1 GB through the streamed engine (about five minutes)")
    parser.add_argument("--clean-megabytes", type=float, default=20, help="MB of text timed for the cleaning rate (default 20)")
    parser.add_argument("--workdir", default=str(config.BUILD_DIR / "bench-corpus"))
    args = parser.parse_args()
    if not config.GOV_REPORTS_JSONL.is_file():
        print(f"skipped: {config.GOV_REPORTS_JSONL} is absent", file=sys.stderr)
        return 0
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    corpus = make_corpus(work / f"reports-{args.megabytes}mb.jsonl", args.megabytes)
    mb = corpus.stat().st_size / 1e6
    rows = []

    def tifa(name: str, command: list[str], cache: Path) -> tuple[float, float]:
        env = {**os.environ, "TIFA_CACHE_DIR": str(cache), "PYTHONHASHSEED": "0"}
        seconds, peak = run([*TIFA, *command, "--corpus", str(corpus), "--text-field", "content", "--format", "csv"], env)
        rows.append((name, seconds, peak))
        print(f"{name:<34} {seconds:8.1f} s   peak {peak:7.0f} MB ({peak / mb:.2f} × input)", flush=True)
        return seconds, peak

    def plain(name: str, script: str) -> float:
        seconds, peak = run([sys.executable, "-c", script, str(corpus)], dict(os.environ))
        rows.append((name, seconds, peak))
        print(f"{name:<34} {seconds:8.1f} s   peak {peak:7.0f} MB", flush=True)
        return seconds

    print(f"corpus: {corpus.name}, {mb:.0f} MB, machine: {os.cpu_count()} cores")
    base_freq = plain("rjieba + Counter", PLAIN_FREQ)
    base_count = plain("str.count loop (raw text)", PLAIN_COUNT)
    plain("pyahocorasick scan (raw text)", PLAIN_AHO)
    cache = Path(tempfile.mkdtemp(prefix="tifa-bench-", dir=work))
    try:
        freq_cold, freq_peak = tifa("tifa freq, cold", ["freq"], cache)
        freq_warm, _ = tifa("tifa freq, warm", ["freq"], cache)
        shutil.rmtree(cache)
        slogans_cold, _ = tifa("tifa slogans, cold", ["slogans"], cache)
        slogans_warm, _ = tifa("tifa slogans, warm", ["slogans"], cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    rate = cleaning_rate(corpus, args.clean_megabytes)
    print(f"\n{'target':<44} {'measured':>10}  {'limit':>6}")
    for what, value, limit in (
        ("tifa freq cold / rjieba+Counter", freq_cold / base_freq, 1.5),
        ("tifa freq warm / rjieba+Counter", freq_warm / base_freq, 1.1),
        ("tifa slogans cold / str.count loop", slogans_cold / base_count, 5.0),
        ("tifa slogans warm / str.count loop", slogans_warm / base_count, 2.0),
        ("tifa freq cold peak RSS / input", freq_peak / mb, 3.0),
    ):
        print(f"{what:<44} {value:>9.2f}×  {limit:>5.1f}×  {'met' if value <= limit else 'NOT met'}")
    print(f"{'cleaning MB/s (one core, with chrome)':<44} {rate:>10.1f}  {20:>6}  {'met' if rate >= 20 else 'NOT met'}")
    if args.gb:
        big = make_corpus(work / "reports-1000mb.jsonl", 1000)
        gb_cache = Path(tempfile.mkdtemp(prefix="tifa-bench-gb-", dir=work))
        try:
            env = {**os.environ, "TIFA_CACHE_DIR": str(gb_cache), "PYTHONHASHSEED": "0"}
            seconds, peak = run([*TIFA, "freq", "--engine", "stream", "--corpus", str(big), "--text-field", "content", "--format", "csv"], env)
        finally:
            shutil.rmtree(gb_cache, ignore_errors=True)
        print(f"{'1 GB tifa freq streamed: minutes':<44} {seconds / 60:>10.1f}  {5:>6}  {'met' if seconds <= 300 else 'NOT met'}")
        print(f"{'1 GB tifa freq streamed: peak RSS GB':<44} {peak / 1024:>10.2f}  {1.5:>6}  {'met' if peak <= 1536 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
