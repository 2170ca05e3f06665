"""Mutation testing of the analysis modules, one module at a time against its own unit tests.

For each module (clean, stats, slogans, topics) a copy of the project's src/,
tests/ and data/ goes to ``build/mutation/<module>/`` with the ``[tool.mutmut]``
settings of pyproject.toml narrowed to that module and its test file; ``mutmut
run`` then mutates only that module (so the others run at full speed) and runs
only the tests that reach the mutated function. Afterwards the kill rate of each
module is printed with the functions whose mutants survive (read them with
``mutmut show <name>`` inside the module's folder).

Killed: a test failed or timed out. Survived: the tests passed. No tests: no
selected test reaches the mutated function (counts against the rate).

    python tests/mutations/mutation_run.py                  # all four, then the report
    python tests/mutations/mutation_run.py stats --report   # only report what a run left
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "mutation"
TESTS = {
    "clean": ["tests/test_clean.py"],
    "stats": ["tests/test_stats.py"],
    "slogans": ["tests/test_slogans.py"],
    "topics": ["tests/test_topics.py"],
}
KILLED = {1, 3, 24, -24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
TARGET = 0.85


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


def prepare(module: str) -> Path:
    """A fresh copy of the project for one module, with mutmut narrowed to it."""
    work = WORK / module
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "processed")
    for name in ("src", "tests", "data"):
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.mutmut]" not in text:
        raise SystemExit("pyproject.toml has no [tool.mutmut] table")
    text = re.sub(r"(?m)^only_mutate = .*$", f"only_mutate = {_toml_list([f'src/tifa/{module}.py'])}", text)
    text = re.sub(r"(?m)^pytest_add_cli_args_test_selection = .*$", f"pytest_add_cli_args_test_selection = {_toml_list(TESTS[module])}", text)
    (work / "pyproject.toml").write_text(text, encoding="utf-8")
    return work


def run(module: str, max_children: int) -> None:
    work = prepare(module)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # mutmut puts mutants/src first itself
    mutmut = Path(sys.executable).with_name("mutmut")
    print(f"--- {module}: mutmut run in {work.relative_to(ROOT)}", flush=True)
    with open(work / "mutmut.log", "w", encoding="utf-8") as log:
        subprocess.run([str(mutmut), "run", "--max-children", str(max_children)], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)


def report(module: str) -> float | None:
    meta = WORK / module / "mutants" / "src" / "tifa" / f"{module}.py.meta"
    if not meta.is_file():
        print(f"{module:8s} no results ({meta.relative_to(ROOT)} missing)")
        return None
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    killed = [k for k, c in codes.items() if c in KILLED]
    survived = [k for k, c in codes.items() if c in SURVIVED]
    untested = [k for k, c in codes.items() if c in NO_TESTS]
    checked = len(killed) + len(survived) + len(untested)
    rate = len(killed) / checked if checked else 0.0
    other = len(codes) - checked
    print(f"{module:8s} {len(killed):4d} killed / {checked:4d} = {rate:6.1%}  ({len(survived)} survived, {len(untested)} without tests" + (f", {other} not checked" if other else "") + ")")
    for function, n in Counter(k.split("__mutmut_")[0].split(".", 2)[-1] for k in survived + untested).most_common():
        print(f"          {n:3d}  {function}")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", metavar="module", help=f"of {', '.join(TESTS)} (default: all)")
    parser.add_argument("--report", action="store_true", help="only print the results of an earlier run")
    parser.add_argument("--max-children", type=int, default=2, help="parallel workers (default 2)")
    args = parser.parse_args(argv)
    modules = args.modules or list(TESTS)
    unknown = sorted(set(modules) - set(TESTS))
    if unknown:
        parser.error(f"unknown module {unknown}: choose from {', '.join(TESTS)}")
    if not args.report:
        for module in modules:
            run(module, args.max_children)
    rates = [report(module) for module in modules]
    if any(r is None for r in rates):
        return 2
    return 0 if min(rates) >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
