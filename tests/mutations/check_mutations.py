"""Prove that the tests catch ten deliberate breakages of features they claim to check.

Each mutation is a textual patch applied to a temporary copy of ``src/`` (the real
files are never touched); the relevant test file(s) then run with ``PYTHONPATH``
pointing at the copy. A mutation is *killed* when the tests fail, *survived* when
they pass. The unmutated copy must pass the same tests first (else a "kill" would
mean nothing). A patch whose text is no longer in the source is reported as
*stale* (the code was rewritten: update the patch). Exit status is non-zero if any
mutation survives or is stale.

    python tests/mutations/check_mutations.py            # all
    python tests/mutations/check_mutations.py 3 6a 8     # some, by number
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutation:
    number: str
    name: str
    module: str  # file under src/tifa/
    patches: tuple[tuple[str, str], ...]  # (old, new): every occurrence of old is replaced
    tests: tuple[str, ...]  # pytest arguments (files, node ids, -k expressions)


MUTATIONS = (
    Mutation("1", "keyness p_adj is the uncorrected p", "stats.py",
             (('stats["p_adj"] = false_discovery_control(stats["p"], method=correction) if correction and len(stats) else stats["p"]', 'stats["p_adj"] = stats["p"]'),),
             ("tests/test_stats.py",)),
    Mutation("2", "keyness reference= ignored (always the rest)", "stats.py",
             (("if reference is None:", "if True:"),),
             ("tests/test_stats.py",)),
    Mutation("3", "documents clustered on similarity, not distance", "stats.py",
             (("distance = np.clip(1.0 - similarity.to_numpy(), 0.0, None)", "distance = np.clip(similarity.to_numpy(), 0.0, None)"),),
             ("tests/test_stats.py",)),
    Mutation("4", "prevalence interval = min/max of the units' shares", "topics.py",
             (("low, high = np.quantile(boot, [alpha, 1 - alpha], axis=0)", "low, high = shares.min(axis=0), shares.max(axis=0)"),),
             ("tests/test_topics.py",)),
    Mutation("5", "sentence-window size ignored (one sentence per unit)", "topics.py",
             (("range(0, len(texts), window)", "range(0, len(texts))"), ("texts[start : start + window]", "texts[start : start + 1]"), ("start // window + 1", "start + 1")),
             ("tests/test_topics.py",)),
    Mutation("6a", "PMI with the natural log", "slogans.py",
             (('np.log2(joint["n_ab"] * n_units', 'np.log(joint["n_ab"] * n_units'),),
             ("tests/test_slogans.py",)),
    Mutation("6b", "PMI with N = number of mentions, not of units", "slogans.py",
             (('n_units = units["unit"].nunique()', "n_units = len(mentions)"),),
             ("tests/test_slogans.py",)),
    Mutation("7", "figure index without captions", "study.py",
             (('f"{out.caption}{needs} (notebook', 'f"{needs} (notebook'),),
             ("tests/test_study.py", "-k", "index")),
    Mutation("8", "stale text files kept on rebuild", "corpus.py",
             (('    if old.is_dir():\n        shutil.rmtree(old)\n',
               '    if old.is_dir():\n        for stale in (old / "texts").glob("*.txt"):  # the old texts carried over\n'
               '            if not (out / "texts" / stale.name).exists():\n                stale.rename(out / "texts" / stale.name)\n'
               '        shutil.rmtree(old)\n'),),
             ("tests/test_corpus.py",)),
    Mutation("9", "Big5 decoding removed", "corpus.py",
             (('cp_isolation=["gb18030", "big5"]', 'cp_isolation=["gb18030"]'),),
             ("tests/test_corpus.py",)),
    Mutation("10", "':pos' dropped from the token-cache key", "tokens.py",
             (('fingerprint = segmenter.fingerprint + (":pos" if pos else "")', "fingerprint = segmenter.fingerprint"),),
             ("tests/test_tokens.py", "-k", "cache")),  # the file also segments the national corpus: minutes
)


def make_copy(tmp: Path) -> Path:
    """A project root whose src/, tests/ and data/ are copies and whose notebooks and figures are the real ones (read-only use)."""
    root = tmp / "project"
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", root / "src", ignore=ignore)
    shutil.copytree(ROOT / "tests", root / "tests", ignore=ignore)
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns("processed"))  # small; paths resolve inside the copy
    for name in ("notebooks", "figures", "pyproject.toml"):
        if (ROOT / name).exists():
            (root / name).symlink_to(ROOT / name)
    return root


def run_tests(copy_root: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy_root / "src"), "PYTHONHASHSEED": "0", "TIFA_FIGURES_DIR": str(copy_root / "figures-out")}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    return subprocess.run(cmd, cwd=copy_root, env=env, capture_output=True, text=True)


def apply(mutation: Mutation, copy_root: Path) -> bool:
    path = copy_root / "src" / "tifa" / mutation.module
    text = path.read_text(encoding="utf-8")
    for old, new in mutation.patches:
        if old not in text:
            return False
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("numbers", nargs="*", help="mutations to check, e.g. 3 6a (default: all)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.numbers or m.number in args.numbers]
    failures = 0
    baselines: dict[tuple[str, ...], bool] = {}
    with tempfile.TemporaryDirectory(prefix="tifa-mutations-") as tmp:
        for mutation in chosen:
            copy_root = make_copy(Path(tmp) / mutation.number)
            probe = subprocess.run([sys.executable, "-c", "import tifa; print(tifa.__file__)"], env={**os.environ, "PYTHONPATH": str(copy_root / "src")}, capture_output=True, text=True)
            if not probe.stdout.strip().startswith(str(copy_root)):
                print(f"error: the tests would import tifa from {probe.stdout.strip() or probe.stderr}, not from the copy")
                return 2
            if mutation.tests not in baselines:
                baseline = run_tests(copy_root, mutation.tests)
                baselines[mutation.tests] = baseline.returncode == 0
                if baseline.returncode != 0:
                    print(baseline.stdout[-2000:])
            if not baselines[mutation.tests]:
                print(f"{mutation.number:>3} BASELINE FAILS {mutation.name}: {' '.join(mutation.tests)} fail without the mutation")
                failures += 1
                continue
            if not apply(mutation, copy_root):
                print(f"{mutation.number:>3} stale     {mutation.name}: patch text not found in src/tifa/{mutation.module}")
                failures += 1
                continue
            result = run_tests(copy_root, mutation.tests)
            killed = result.returncode != 0
            failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
            print(f"{mutation.number:>3} {'killed  ' if killed else 'SURVIVED'}  {mutation.name}" + (f"  ({failed[0].split(' ')[1]})" if failed else ""), flush=True)
            failures += not killed
    print(f"{len(chosen) - failures} of {len(chosen)} mutations killed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
