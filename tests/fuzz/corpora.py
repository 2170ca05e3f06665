"""Hypothesis strategies for hostile corpora, and writers for every input format the readers accept."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

# Docvar names that clash with columns tifa writes into its outputs (kwic, tokens, topics, freq, slogans, panel).
HOSTILE_NAMES = ("position", "part", "section", "paragraph_id", "left", "match", "right", "tokens", "sentence_id",
                 "term", "count", "rank", "unit_id", "topic", "label", "prevalence", "slogan", "slogan_id", "per_10k",
                 "form", "category", "en", "docfreq", "dp", "file", "level", "date", "n_docs", "ci_low", "first_year", "event", "doc", "start", "end", "chars", "local_doc")
PLAIN_NAMES = ("province", "year", "city", "level")
PROVINCES = ("湖南省", "河北省", "青海省", "广东", "Jiangxi", "火星省", "中央", "", " ")

SENTENCES = (
    "同志们：",
    "要牢固树立绿水青山就是金山银山的理念。",
    "坚持以人民为中心的发展思想，贯彻新发展理念。",
    "綠水青山就是金山銀山，堅持新發展理念。",  # traditional characters
    "推进国家治理体系和治理能力现代化，打好三大攻坚战。",
    "（一）开展污染减排专项行动。",
    "最后，让我们再次表示衷心感谢！",
    "=SUM(A1:A2)",
    "+1 -1 @cmd",
    "首页 > 党的建设",
    "a" * 30,
    "",
)
NEWLINES = ("\n", "\r\n", "\r")


@dataclass
class Doc:
    doc_id: str | None
    text: str
    docvars: dict = field(default_factory=dict)


@dataclass
class Spec:
    """A generated corpus: its documents, the format to write it in and how (encoding, line endings)."""

    docs: list[Doc]
    fmt: str
    newline: str = "\n"
    gbk: bool = False

    def write(self, folder: Path) -> Path:
        return WRITERS[self.fmt](self, folder)


def _text(draw) -> str:
    if draw(st.integers(0, 9)) < 7:  # mostly documents with something left after cleaning, so the analyses run
        first = [draw(st.sampled_from(SENTENCES[:7]))]
    else:
        first = []
    lines = first + draw(st.lists(st.one_of(st.sampled_from(SENTENCES),
                                    st.text(alphabet=st.sampled_from("同志们：绿水青山就是金山银山新发展理念，。！ \t\u3000ab=+-@\x00\ufeff"), max_size=20)),
                          max_size=5))
    return "\n".join(lines)


docvar_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2100), st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(PROVINCES), st.sampled_from(("2018", "2018年", "二〇一八", "=1+1", "-3", "@x", "1e5", "")),
    st.text(max_size=6),
)


@st.composite
def docs(draw, *, max_docs: int = 4) -> list[Doc]:
    n = draw(st.integers(1, max_docs))
    names = draw(st.lists(st.sampled_from(HOSTILE_NAMES + PLAIN_NAMES), unique=True, max_size=4))
    out = []
    for i in range(n):
        values = {}
        for name in names:
            if draw(st.integers(0, 4)) == 0:
                continue  # a missing field
            if name == "province":
                values[name] = draw(st.sampled_from(PROVINCES))
            elif name == "date":  # mostly dates, so that a bad one does not stop every run
                values[name] = draw(st.sampled_from(("2018-05-01", "2019-12", "2017", None, "2018-5-1", "2020-13-01", "=1+1")))
            elif name == "year":
                values[name] = draw(st.one_of(st.integers(1949, 2030), st.sampled_from(("2019", None, 2018.0))))
            else:
                values[name] = draw(docvar_values)
        doc_id = draw(st.sampled_from((f"d{i}", f"d{i}", str(i), None)))
        out.append(Doc(doc_id, _text(draw), values))
    return out


@st.composite
def specs(draw, *, formats=("folder", "jsonl", "csv", "parquet"), max_docs: int = 4) -> Spec:
    fmt = draw(st.sampled_from(formats))
    return Spec(draw(docs(max_docs=max_docs)), fmt, newline=draw(st.sampled_from(NEWLINES)), gbk=draw(st.integers(0, 9)) == 0)


# --- writers -------------------------------------------------------------------------------------


def _ids(spec: Spec, *, required: bool) -> list[str | None]:
    return [d.doc_id if d.doc_id is not None or not required else f"n{i}" for i, d in enumerate(spec.docs)]


def _cell(value) -> str:
    return "" if value is None else str(value)


def _names(spec: Spec) -> list[str]:
    return list(dict.fromkeys(n for d in spec.docs for n in d.docvars))


def write_folder(spec: Spec, folder: Path) -> Path:
    root = folder / "corpus"
    root.mkdir()
    names = [n for n in _names(spec) if n != "file"]
    rows = []
    for i, (doc, doc_id) in enumerate(zip(spec.docs, _ids(spec, required=True))):
        name = f"t{i:03d}.txt"
        text = doc.text.replace("\n", spec.newline)
        (root / name).write_bytes(text.encode("gbk", "replace") if spec.gbk else text.encode("utf-8", "surrogatepass"))
        rows.append([doc_id, name, *(_cell(doc.docvars.get(n)) for n in names)])
    with open(root / "metadata.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["doc_id", "file", *names])
        writer.writerows(rows)
    return root


def write_jsonl(spec: Spec, folder: Path) -> Path:
    path = folder / "corpus.jsonl"
    lines = []
    for doc, doc_id in zip(spec.docs, _ids(spec, required=False)):
        obj = {**({"doc_id": doc_id} if doc_id is not None else {}), "text": doc.text.replace("\n", spec.newline), **doc.docvars}
        lines.append(json.dumps(obj, ensure_ascii=False, allow_nan=True))
    data = spec.newline.join(lines) + spec.newline
    path.write_bytes(data.encode("gbk", "replace") if spec.gbk else data.encode("utf-8", "surrogatepass"))
    return path


def write_csv(spec: Spec, folder: Path) -> Path:
    path = folder / "corpus.csv"
    names = _names(spec)
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=spec.newline)
    writer.writerow(["doc_id", "text", *names])
    for doc, doc_id in zip(spec.docs, _ids(spec, required=False)):
        writer.writerow([_cell(doc_id), doc.text.replace("\n", spec.newline), *(_cell(doc.docvars.get(n)) for n in names)])
    data = buffer.getvalue()
    path.write_bytes(data.encode("gbk", "replace") if spec.gbk else data.encode("utf-8", "surrogatepass"))
    return path


def write_parquet(spec: Spec, folder: Path) -> Path:
    """Parquet columns hold one type: a docvar mixing kinds is written as text (what a user's pandas would do)."""
    import pandas as pd

    path = folder / "corpus.parquet"
    names = _names(spec)
    frame = pd.DataFrame({"doc_id": _ids(spec, required=False), "text": [d.text.replace("\n", spec.newline) for d in spec.docs],
                          **{n: [d.docvars.get(n) for d in spec.docs] for n in names}})
    for name in names:
        kinds = {type(v) for v in frame[name] if v is not None}
        if len(kinds) > 1 or frame[name].map(lambda v: isinstance(v, str)).any():
            frame[name] = frame[name].map(lambda v: None if v is None else str(v))
    frame.to_parquet(path, index=False)
    return path


WRITERS = {"folder": write_folder, "jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}
