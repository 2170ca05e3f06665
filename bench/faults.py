"""Faults during builds: kill -9 at random points, two store builds at once, a file-size limit (a full disk).

Each trial damages a build of ``tifa build`` (the processed corpus) or ``tifa build --store`` (a partitioned
store), then reruns it without the fault: the rerun must succeed and give the same files as a clean build, and
leave no temporary files behind. The corpus is the first ``--docs`` packaged national government work reports
(tifa.datasets) as JSONL. Prints one line per kind of trial and the totals; exits 1 when a trial failed.

    python bench/faults.py [--kills 10] [--concurrent 3] [--limits 4] [--docs 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PYTHON = sys.executable
SRC = Path(__file__).resolve().parents[1] / "src"


def make_corpus(folder: Path, n_docs: int) -> Path:
    """The first ``n_docs`` national reports as a JSONL corpus with a ``text`` field."""
    from tifa.datasets import national_reports_bytes

    lines = national_reports_bytes().decode("utf-8").splitlines()[:n_docs]
    rows = []
    for i, line in enumerate(lines):
        obj = json.loads(line)
        rows.append(json.dumps({"doc_id": f"report-{i:03d}", "text": obj["content"], "year": obj.get("year"), "title": obj["title"]}, ensure_ascii=False))
    path = folder / "corpus.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def command(kind: str, corpus: Path, out: Path, partition_rows: int) -> list[str]:
    store = ["--store", "--partition-rows", str(partition_rows)] if kind == "store" else []
    return [PYTHON, "-m", "tifa.cli", "build", *store, "--corpus", str(corpus), "--out", str(out)]


def start(argv: list[str], *, file_limit: int | None = None) -> subprocess.Popen:
    """Start a build; ``file_limit``: the largest file it may write, in bytes (``ulimit -f``)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONHASHSEED": "0"}

    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)


def run(argv: list[str], *, file_limit: int | None = None) -> subprocess.CompletedProcess:
    proc = start(argv, file_limit=file_limit)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def fingerprint(out: Path) -> dict[str, str]:
    """sha256 of every file under ``out`` (lock files aside): what two equal builds share byte for byte."""
    if not out.is_dir():
        return {}
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def leftovers(out: Path) -> list[str]:
    """Temporary files or folders of a killed build, beside or inside ``out``."""
    near = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp")]
    inside = [p for p in out.rglob("*.tmp")] if out.is_dir() else []
    return sorted(str(p) for p in near + inside)


def traceback_in(stderr: str) -> bool:
    return "Traceback (most recent call last)" in stderr


class Trials:
    """Counts by kind of trial: runs, reruns equal to a clean build, failures (with what went wrong)."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.failures: list[str] = []

    def check(self, kind: str, ok: bool, what: str) -> bool:
        self.counts[(kind, "checks")] += 1
        self.counts[(kind, "ok" if ok else "failed")] += 1
        if not ok:
            self.failures.append(f"{kind}: {what}")
        return ok

    def rerun_matches(self, kind: str, argv: list[str], out: Path, reference: dict[str, str], what: str) -> bool:
        done = run(argv)
        if done.returncode != 0:
            return self.check(kind, False, f"{what}: the rerun failed (exit {done.returncode}): {done.stderr[-800:]}")
        if fingerprint(out) != reference:
            differ = sorted(set(fingerprint(out).items()) ^ set(reference.items()))[:4]
            return self.check(kind, False, f"{what}: the rerun differs from a clean build: {differ}")
        left = leftovers(out)
        return self.check(kind, not left, f"{what}: temporary files left after the rerun: {left[:3]}")


def kill_trials(trials: Trials, rng: random.Random, corpus: Path, work: Path, references: dict, durations: dict, n: int) -> None:
    """kill -9 at a random moment of a build, then a rerun."""
    for i in range(n):
        kind = rng.choice(("build", "store"))
        out = work / f"kill-{kind}-{i}"
        if rng.random() < 0.5:  # half the time over a finished earlier build (a rebuild killed half way)
            run(command(kind, corpus, out, 8))
        delay = rng.uniform(0.2, durations[kind])
        proc = start(command(kind, corpus, out, 8))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        trials.counts[("kill -9", "killed while running" if proc.returncode == -signal.SIGKILL else "finished before the kill")] += 1
        trials.rerun_matches("kill -9", command(kind, corpus, out, 8), out, references[kind], f"{kind} killed after {delay:.2f} s")


def concurrent_trials(trials: Trials, rng: random.Random, corpus: Path, work: Path, references: dict, n: int) -> None:
    """Two store builds of one corpus into one store at once, with different partition sizes."""
    for i in range(n):
        out = work / f"concurrent-{i}"
        rows = rng.sample((1, 3, 8, 20), 2)
        procs = [start(command("store", corpus, out, r)) for r in rows]
        results = [p.communicate() + (p.returncode,) for p in procs]
        bad = [(r, err[-600:]) for r, (_, err, code) in zip(rows, results) if code != 0]
        if not trials.check("concurrent", not bad, f"partition rows {rows}: a build failed: {bad}"):
            continue
        last = json.loads((out / "store.json").read_text(encoding="utf-8"))["partition_rows"]
        trials.check("concurrent", last in rows, f"the store has partition rows {last}, neither of {rows}")
        trials.rerun_matches("concurrent", command("store", corpus, out, 8), out, references["store"], f"after builds with {rows} partition rows")


def limit_trials(trials: Trials, rng: random.Random, corpus: Path, work: Path, references: dict, n: int) -> None:
    """A build under ``ulimit -f`` (files cut at a random size, as on a full disk): a clean error or success, then a rerun."""
    for i in range(n):
        kind = rng.choice(("build", "store"))
        out = work / f"limit-{kind}-{i}"
        limit = rng.choice((1, 8, 64, 512)) * 1024
        done = run(command(kind, corpus, out, 8), file_limit=limit)
        clean = done.returncode == 0 or (done.returncode == 2 and "error:" in done.stderr and not traceback_in(done.stderr)
                                         and str(out.name) in done.stderr and ("file too large" in done.stderr or "disk full" in done.stderr))
        trials.check("ulimit -f", clean, f"{kind} under a {limit // 1024} KiB file limit: exit {done.returncode}: {done.stderr[-800:]}")
        trials.counts[("ulimit -f", "stopped with a clean error" if done.returncode == 2 else f"exit {done.returncode}")] += 1
        trials.rerun_matches("ulimit -f", command(kind, corpus, out, 8), out, references[kind], f"{kind} after a {limit // 1024} KiB file limit")


def references_of(corpus: Path, work: Path) -> tuple[dict, dict]:
    """Fingerprints of clean builds (each built twice: the builds must be byte-stable) and how long each took."""
    refs, durations = {}, {}
    for kind in ("build", "store"):
        prints = []
        for copy in ("a", "b"):
            out = work / f"reference-{kind}-{copy}"
            began = time.perf_counter()
            done = run(command(kind, corpus, out, 8))
            durations[kind] = time.perf_counter() - began
            if done.returncode != 0:
                raise SystemExit(f"a clean {kind} failed: {done.stderr}")
            prints.append(fingerprint(out))
        if prints[0] != prints[1]:
            raise SystemExit(f"two clean {kind} runs differ: {sorted(set(prints[0].items()) ^ set(prints[1].items()))[:4]}")
        refs[kind] = prints[0]
    return refs, durations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=3)
    parser.add_argument("--limits", type=int, default=4)
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    trials = Trials()
    with tempfile.TemporaryDirectory(prefix="tifa-faults-") as name:
        work = Path(name)
        corpus = make_corpus(work, args.docs)
        references, durations = references_of(corpus, work / "out")
        print(f"clean builds of {args.docs} documents: build {durations['build']:.1f} s, store {durations['store']:.1f} s", flush=True)
        kill_trials(trials, rng, corpus, work / "out", references, durations, args.kills)
        concurrent_trials(trials, rng, corpus, work / "out", references, args.concurrent)
        limit_trials(trials, rng, corpus, work / "out", references, args.limits)
        shutil.rmtree(work / "out", ignore_errors=True)
    for kind in dict.fromkeys(k for k, _ in trials.counts):
        print(f"{kind:12s} " + ", ".join(f"{what}: {n}" for (k, what), n in sorted(trials.counts.items()) if k == kind))
    n = sum(v for (k, what), v in trials.counts.items() if what == "checks")
    print(f"total: {n} checks, {len(trials.failures)} failed")
    for failure in trials.failures:
        print(f"FAILED {failure}")
    return 1 if trials.failures else 0


if __name__ == "__main__":
    sys.exit(main())
