"""Cleaning throughput on scraped text with page chrome, step by step, and a check that it grows linearly.

The input: the 72 national government work reports (packaged, tifa.datasets) made
into provincial scrapes. Half are flattened into one line each (paragraphs joined
by ideographic spaces, by nothing or by a space, as the fixtures are) with page
chrome at both ends and inside; half keep their lines, with chrome lines at the
top and bottom and chrome run into some lines. The chrome pieces are those of
tests/fixtures/scraped and the examples of boilerplate.yaml. Prints MB/s (MB =
10^6 bytes of the UTF-8 input) for each step and for the whole pipeline (CPU
time of this process, best of --repeats), then the time to clean one document
with many edits of every kind at 0.5, 1, 2 and 4 MB: it must grow linearly.

    python bench/clean.py [--repeats 3] [--sizes 0.5 1 2 4]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

from tifa import config
from tifa.clean import clean_text, default_pipeline
from tifa.datasets import national_reports_bytes

ROOT = Path(__file__).resolve().parents[1]
RULES_YAML = ROOT / "src" / "tifa" / "resources" / "boilerplate.yaml"  # read directly: the same input for any version of tifa
FIXTURES = ROOT / "tests" / "fixtures" / "scraped" / "expected.json"
LICENCE = ("本作品是", "本作品来自")  # Wikisource's footer: a tail rule removes it from line documents


def chrome_pieces() -> tuple[list[str], list[str], list[str], list[str]]:
    """Chrome that opens a page, that closes it, that may stand anywhere, and whole chrome lines."""
    rules = yaml.safe_load(RULES_YAML.read_text(encoding="utf-8"))["rules"]
    fixtures = json.loads(FIXTURES.read_text(encoding="utf-8"))
    heads = [c for f in fixtures for c in f["chrome"][:2]]
    tails = [c for f in fixtures for c in f["chrome"][2:]]
    anywhere, lines = [], []
    for rule in rules:
        examples = rule.get("examples", [])
        anchor = rule.get("anchor", "both")
        if rule["kind"] != "span":
            lines += [e for e in examples if rule["kind"] == "line"]
        elif anchor == "any":
            anywhere += examples
        else:
            heads += examples if anchor in ("start", "both") else []
            tails += examples if anchor in ("end", "both") else []
    return heads, tails, anywhere, lines


def bench_input(seed: int = config.RANDOM_STATE) -> list[str]:
    """The national reports as provincial scrapes with chrome (see the module docstring)."""
    rng = random.Random(seed)
    heads, tails, anywhere, chrome_lines = chrome_pieces()
    records = [json.loads(line) for line in national_reports_bytes().decode("utf-8").splitlines() if line.strip()]
    docs = []
    for i, record in enumerate(records):
        paragraphs = [p.strip() for p in record["content"].split("\n") if p.strip()]
        if i % 2 == 0:  # one line, as a scraper flattens a page
            cut = next((k for k, p in enumerate(paragraphs) if p.startswith(LICENCE)), len(paragraphs))
            body = [p + (rng.choice(anywhere) if rng.random() < 0.05 else "") for p in paragraphs[:cut]]
            joiner = rng.choice(["\u3000\u3000", "", " "])
            docs.append("".join(rng.sample(heads, 3)) + joiner.join(body) + "".join(rng.sample(tails, 3)))
        else:  # lines, with chrome lines and chrome run into some of them
            lines = rng.sample(chrome_lines, 3)
            for p in paragraphs:
                r = rng.random()
                lines.append(rng.choice(heads) + p if r < 0.03 else p + rng.choice(tails) if r < 0.06 else p + rng.choice(anywhere) if r < 0.09 else p)
            docs.append("\n".join(lines + rng.sample(chrome_lines, 2)))
    return docs


def many_edits(megabytes: float) -> str:
    """One document of about ``megabytes`` MB whose every block holds edits of every step."""
    block = (
        "\u200b政府工作报\n告。１９５５年召開(kāi)會議。\n首页 > 党的建设\n【字体：大中小】各位代表：我代表国务院作报告。阅读量：12\n"
        "各位代表：我代表国务院作报告。阅读量：12\n"
        + "\n".join(["推进改革", "扩大开放"] * 5)
        + "。\n发布日期:2022-10-14 10:53:02\n来源：某省日报 今年经济运行稳中有进。（责任编辑：张三）\n"
    )
    return block * max(1, round(megabytes * 1e6 / len(block.encode("utf-8"))))


def cpu(func, *args) -> float:
    start = time.process_time()
    func(*args)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2, 4])
    args = parser.parse_args(argv)

    docs = bench_input()
    n_bytes = sum(len(d.encode("utf-8")) for d in docs)
    steps = default_pipeline()
    clean_text(docs[0], steps)  # load OpenCC and compile the rules outside the timing
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(args.repeats):
        seconds: dict[str, float] = defaultdict(float)
        for text in docs:
            for step in steps:
                start = time.process_time()
                text, _ = step.run(text)
                seconds[step.name] += time.process_time() - start
        for name, s in seconds.items():
            best[name] = min(best[name], s)
    total = min(cpu(lambda: [clean_text(d, steps) for d in docs]) for _ in range(args.repeats))
    one_line = sum("\n" not in d for d in docs)
    print(f"bench input: {len(docs)} documents ({one_line} flattened into one line), {n_bytes / 1e6:.2f} MB, {sum(map(len, docs)) / 1e6:.2f} M characters")
    print(f"{'step':<30} {'MB/s':>8} {'share':>7}")
    for name, s in best.items():
        print(f"{name:<30} {n_bytes / s / 1e6:8.1f} {s / sum(best.values()):7.1%}")
    print(f"{'clean_text (all steps)':<30} {n_bytes / total / 1e6:8.1f}      (CPU seconds, best of {args.repeats})")

    print("\none document with many edits (time must grow linearly with size):")
    print(f"{'MB':>6} {'edits':>9} {'seconds':>9} {'s/MB':>7}")
    for size in args.sizes:
        text = many_edits(size)
        result = clean_text(text, steps)
        seconds = min(cpu(clean_text, text, steps) for _ in range(max(1, args.repeats - 1)))
        mb = len(text.encode("utf-8")) / 1e6
        print(f"{mb:6.2f} {len(result.audit):9d} {seconds:9.2f} {seconds / mb:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
