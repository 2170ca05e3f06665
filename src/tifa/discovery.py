"""Discovery: candidate slogans missing from the lexicon (numbered formulae, chains, quoted phrases) that recur.

Discovery needs every text at once (a candidate found in one document is
counted in all), so it runs on the documents in memory: a store is read whole.
"""

from __future__ import annotations

import re

import pandas as pd

from tifa.engine import Engine, as_source
from tifa.matcher import SloganMatcher
from tifa.text import HAN
from tifa.util.tables import sort_table

_NUM = "一二两三四五六七八九十百"
DISCOVERY_PATTERNS = {
    # 四个意识, 两个确保, 三个对照, 十个聚焦, 五大发展理念, 八项规定, 三大攻坚战 (not inside a longer numeral)
    "numbered": re.compile(rf"(?<![{_NUM}])(?=([{_NUM}]+[个大项条种](?![{_NUM}])[{HAN}]{{2,5}}))"),
    # 两学一做, 三严三实, 一学二查三改四建五评, 六稳六保: the whole chain (not numerals such as 一九五八)
    "interleaved": re.compile(rf"(?<![{_NUM}双][{HAN}])(?<![{_NUM}])((?:[{_NUM}双](?![{_NUM}〇零])[{HAN}]){{2,5}})"),
    # “两张皮”, "四个扎扎实实"
    "quoted": re.compile(rf"[“\"「『]([{HAN}、·]{{2,14}})[”\"」』]"),
}
# enumerators (一是, 二要), the article 一个, counted everyday nouns and conjunctions are not formulae
_STOP_FORMULA = re.compile(
    rf"^[{_NUM}][是要]|^一[个大项条种]|^[{_NUM}]+[个大项条种](?:[{_NUM}]|月|年|方面|阶段|问题|小时|百分点|[和与及的在是])"
)


def discover_slogans(
    corpus,
    *,
    n: int = 30,
    min_count: int = 2,
    matcher: SloganMatcher | None = None,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Candidate slogans missing from the lexicon: numbered formulae and quoted phrases that recur.

    Shapes (:data:`DISCOVERY_PATTERNS`): numbered formulae (``十个聚焦``), chains of
    numbers and characters (``一学二查三改四建五评``) and quoted phrases (“两张皮”).
    A numbered formula is cut to the longest form as frequent as its prefix (once
    seen: the shortest, unless a quoted form shows where it ends). Candidates that
    contain or sit inside a known lexicon form are left out. Formulae count every
    occurrence in the cleaned texts; quoted phrases count their quoted occurrences
    (a word merely quoted once is no slogan). Columns:
    ``candidate, kind, count, n_docs, docs``; ranked by count, then spread.
    """
    corpus = as_source(corpus, engine=engine).to_corpus()
    matcher = matcher or SloganMatcher()
    known = [lit for s in matcher.slogans for lit in s.literals]
    kinds: dict[str, set[str]] = {}
    quoted: dict[str, dict[str, int]] = {}  # quoted phrases: occurrences in quotes, per document
    docs = list(zip(corpus.docs["doc_id"].tolist(), corpus.docs["text"].tolist()))  # plain lists: scanned once per candidate
    for doc_id, text in docs:
        for kind, pattern in DISCOVERY_PATTERNS.items():
            for m in pattern.finditer(text):
                for candidate in _forms(m.group(1), kind):
                    kinds.setdefault(candidate, set()).add(kind)
                    if kind == "quoted":
                        quoted.setdefault(candidate, {}).setdefault(doc_id, 0)
                        quoted[candidate][doc_id] += 1
    rows = []
    for candidate, kind in kinds.items():
        if _STOP_FORMULA.search(candidate) or any(candidate in k or k in candidate for k in known):
            continue
        if kind == {"quoted"}:
            per_doc = quoted[candidate]
        else:  # a formula counts wherever it stands, quoted or not
            per_doc = {d: t.count(candidate) for d, t in docs if candidate in t}
        rows.append((candidate, "+".join(sorted(kind)), sum(per_doc.values()), len(per_doc), ", ".join(sorted(per_doc))))
    table = _keep_maximal(pd.DataFrame(rows, columns=["candidate", "kind", "count", "n_docs", "docs"]))
    table = table[table["count"] >= min_count]
    return sort_table(table, ["count", "n_docs", "candidate"], ascending=[False, False, True]).head(n).reset_index(drop=True)


def _forms(match: str, kind: str) -> list[str]:
    """Candidate forms of a match: every admissible length of a numbered formula, else the match itself."""
    if kind != "numbered":
        return [match]
    head = re.match(rf"[{_NUM}]+[个大项条种]", match).end()
    return [match[:n] for n in range(head + 2, len(match) + 1)]


def _keep_maximal(table: pd.DataFrame) -> pd.DataFrame:
    """One form per numbered formula: the longest as frequent as its prefixes when it recurs, the shortest when seen once.

    A recurring formula is followed by different characters each time, so its
    longest form with the full count is the formula itself (``十个聚焦``, not
    ``十个聚``); a formula seen once cannot tell, and the shortest form is kept.
    """
    if table.empty:
        return table
    rows = list(zip(table["candidate"].tolist(), table["kind"].tolist(), table["count"].tolist()))
    numbered = {c: n for c, k, n in rows if "numbered" in k}
    longer_counts: dict[str, set[int]] = {}  # counts of the numbered forms that extend a prefix
    for c, n in numbered.items():
        for i in range(1, len(c)):
            longer_counts.setdefault(c[:i], set()).add(n)
    quoted_counts: dict[str, set[int]] = {}  # counts of the quoted forms that start with a prefix
    for c, k, n in rows:
        if "quoted" in k:
            for i in range(1, len(c) + 1):
                quoted_counts.setdefault(c[:i], set()).add(n)
    keep = []
    for c, k, n in rows:
        if "numbered" not in k or "quoted" in k:  # a quoted form is complete as written
            keep.append(True)
            continue
        shorter = [numbered[c[:i]] for i in range(1, len(c)) if c[:i] in numbered]
        if n in quoted_counts.get(c, ()):
            keep.append(False)  # only a truncation of a quoted formula: “四个扎扎实实”
        elif n == 1:
            keep.append(not shorter)
        else:
            keep.append(n not in longer_counts.get(c, ()) and not any(m > n for m in shorter))
    return table[keep]
