"""Hostile and broken input: a clear error that names the file, line and fix, or an audited repair; never a traceback."""

import fcntl
import hashlib
import json
import os
import re

import pandas as pd
import pytest

import tifa
from tifa import CorpusError, InputError, TifaError, config, load_corpus, read_processed, write_processed
from tifa.clean import load_boilerplate_rules
from tifa.text import count_han
from tifa.cli import main
from tifa.errors import OutputError
from tifa.util.files import read_yaml
from tifa.lexicon import load_slogans
from tifa.places import place_label
from tifa.slogans import kwic
from tifa.study import load_registry
from tifa.tokens import Segmenter

BODY = "会议强调，要严格落实环境保护党政同责、一岗双责，坚决打好污染防治攻坚战。"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- 1. one error family; the CLI prints it, bugs keep their traceback -----------------


def test_error_family():
    assert issubclass(CorpusError, TifaError) and issubclass(CorpusError, ValueError)
    assert issubclass(InputError, TifaError) and issubclass(InputError, ValueError)
    assert tifa.TifaError is TifaError


@pytest.mark.parametrize(
    "call",
    [
        lambda tmp: load_boilerplate_rules(_write(tmp / "b.yaml", "rules:\n  - id: x\n    kind: page\n    pattern: a\n    description: d\n")),
        lambda tmp: load_boilerplate_rules(_write(tmp / "b.yaml", "rules:\n  - just a string\n")),
        lambda tmp: load_slogans(_write(tmp / "s.yaml", "slogans: []\n")),
        lambda tmp: load_slogans(_write(tmp / "s.yaml", "slogans:\n  - just a string\n")),
        lambda tmp: place_label("湖南省", lang="fr"),
        lambda tmp: read_yaml(_write(tmp / "gbk.yaml", "名: 值\n", "gbk"), "a test file"),
        lambda tmp: load_registry(_write(tmp / "f.yaml", "figures:\n  - name: a_b\n")),
        lambda tmp: Segmenter("thulac"),
    ],
    ids=["boilerplate-kind", "boilerplate-entry", "lexicon-empty", "lexicon-entry", "lang", "undecodable-yaml", "registry", "backend"],
)
def test_input_errors_are_tifa_errors(tmp_path, call):
    with pytest.raises(InputError):
        call(tmp_path)


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_cli_prints_tifa_errors_and_shows_the_traceback_with_v(capsys, tmp_path):
    missing = str(tmp_path / "nope.jsonl")
    code, _, err = run(capsys, "corpus", "--corpus", missing)
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    code, _, err = run(capsys, "-v", "corpus", "--corpus", missing)
    assert code == 2 and "Traceback (most recent call last)" in err and "nope.jsonl: no such file or folder" in err


def test_cli_lets_bugs_raise(monkeypatch):
    def broken(args):
        raise ValueError("an internal bug")

    monkeypatch.setattr("tifa.cli.cmd_corpus", broken)
    with pytest.raises(ValueError, match="an internal bug"):
        main(["corpus"])


def test_cli_turns_a_refused_path_into_a_message(capsys, monkeypatch):
    def refused(args):
        raise PermissionError(13, "Permission denied", "/srv/corpus/metadata.csv")

    monkeypatch.setattr("tifa.cli.cmd_corpus", refused)
    code, _, err = run(capsys, "corpus")
    assert code == 2 and err.startswith("error: /srv/corpus/metadata.csv: Permission denied. Check that the path exists") and "Traceback" not in err


def test_unknown_docvar_and_group_are_input_errors(capsys):
    code, _, err = run(capsys, "slogans", "--by", "county")
    assert code == 2 and "county" in err
    code, _, err = run(capsys, "keyness", "--by", "province", "--target", "广东省")
    assert code == 2 and "no group '广东省'" in err


# --- 4. CSV rows with too many or too few fields; real line numbers ---------------------

MULTILINE = 'a,"第一段。\n第二段。\n第三段。",湖南省\n'  # one record on lines 2-4


@pytest.mark.parametrize(
    ("last_row", "message"),
    [
        (f"b,{BODY},河北省,多余\n", r"c\.csv, line 5: 4 fields, but the header has 3\. Quote fields that contain commas"),
        (f"b,{BODY}\n", r"c\.csv, line 5: 2 fields, but the header has 3\."),
        ('b,"不完整\n', r"c\.csv, line 5: .*Fix the quoting"),
    ],
    ids=["more", "fewer", "unterminated-quote"],
)
def test_csv_row_with_wrong_number_of_fields(tmp_path, last_row, message):
    path = _write(tmp_path / "c.csv", "doc_id,text,province\n" + MULTILINE + last_row)
    with pytest.raises(CorpusError, match=message):
        load_corpus(path)


def test_metadata_row_with_extra_field_names_its_line(tmp_path):
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "metadata.csv", 'doc_id,file,notes\na,a.txt,"两行\n备注"\nb,a.txt,x,y\n')
    with pytest.raises(CorpusError, match=r"metadata\.csv, line 4: 4 fields, but the header has 3"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(("header", "message"), [("doc_id,text,\n", "column 3 of the header has no name"), ("doc_id,text,text\n", "column 'text' appears twice")])
def test_csv_header_problems(tmp_path, header, message):
    path = _write(tmp_path / "c.csv", header + f"a,{BODY},x\n")
    with pytest.raises(CorpusError, match=rf"c\.csv, line 1: {message}"):
        load_corpus(path)


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path):
    path = _write(tmp_path / "c.csv", "\ufefftext,province\n" + MULTILINE[2:] + f"{BODY},河北省\n")
    assert load_corpus(path).doc_ids == ["c-0002", "c-0005"]


def test_long_csv_field(tmp_path):
    # ~ 300,000 characters, over the csv module's default field limit; numbered, so that the chunks
    # this one-line text is cut into are not repeats of each other (cleaning removes repeated paragraphs)
    text = "".join(f"{i}{BODY}" for i in range(8000))
    path = _write(tmp_path / "c.csv", f"doc_id,text\na,{text}\n")
    assert load_corpus(path).docs.loc[0, "n_chars"] == count_han(text) > 200_000


# --- 5. bytes that are not UTF-8 in JSONL, CSV and metadata.csv --------------------------

GBK_LINE = "湖南省".encode("gbk")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.jsonl", b'{"text": "' + BODY.encode() + b'"}\n{"text": "' + GBK_LINE + b'"}\n', r"c\.jsonl, line 2: bytes that are not UTF-8"),
        ("c.csv", b"doc_id,text,province\n" + MULTILINE.encode() + b"b,x," + GBK_LINE + b"\n", r"c\.csv, line 5: bytes that are not UTF-8"),
    ],
)
def test_undecodable_data_files_name_the_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message + r".*Re-save the file as UTF-8"):
        load_corpus(path)


def test_undecodable_metadata_names_the_line(tmp_path):
    _write(tmp_path / "a.txt", BODY)
    (tmp_path / "metadata.csv").write_bytes(b"doc_id,file,province\na,a.txt," + GBK_LINE + b"\n")
    with pytest.raises(CorpusError, match=r"metadata\.csv, line 2: bytes that are not UTF-8.*Re-save the file as UTF-8"):
        load_corpus(tmp_path)


# --- 2. empty or null doc_id: numbered <file stem>-<line/row>, never shared ---------------


def _jsonl(path, *rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_jsonl_rows_without_id_are_numbered(tmp_path):
    path = _jsonl(tmp_path / "c.jsonl", {"doc_id": None, "text": BODY}, {"doc_id": "", "text": BODY}, {"doc_id": " \t", "text": BODY}, {"text": BODY}, {"doc_id": "x", "text": BODY}, {"doc_id": 7, "text": BODY})
    corpus = load_corpus(path)
    assert corpus.doc_ids == ["c-0001", "c-0002", "c-0003", "c-0004", "x", "7"]
    hits = kwic(corpus, "党政同责")
    assert hits["doc_id"].tolist() == corpus.doc_ids, "one hit per document, none joined or counted twice"


def test_csv_rows_without_id_are_numbered(tmp_path):
    path = _write(tmp_path / "c.csv", f"doc_id,text\na,{BODY}\n,{BODY}\n  ,{BODY}\n")
    assert load_corpus(path).doc_ids == ["a", "c-0003", "c-0004"]


def test_parquet_null_and_nan_ids_are_numbered(tmp_path):
    pd.DataFrame({"doc_id": ["a", None, " "], "text": [BODY] * 3}).to_parquet(tmp_path / "s.parquet")
    assert load_corpus(tmp_path / "s.parquet").doc_ids == ["a", "s-0002", "s-0003"]
    pd.DataFrame({"doc_id": [1.0, float("nan")], "text": [BODY] * 2}).to_parquet(tmp_path / "f.parquet")
    assert load_corpus(tmp_path / "f.parquet").doc_ids == ["1", "f-0002"]
    pd.DataFrame({"doc_id": pd.array(["a", pd.NA], dtype="string"), "text": [BODY] * 2}).to_parquet(tmp_path / "n.parquet")
    assert load_corpus(tmp_path / "n.parquet").doc_ids == ["a", "n-0002"]


def test_generated_id_colliding_with_a_real_id_is_refused(tmp_path):
    path = _jsonl(tmp_path / "c.jsonl", {"doc_id": "c-0002", "text": BODY}, {"text": BODY})
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 2: duplicate doc_id 'c-0002' \(first at .*c\.jsonl, line 1\).*numbered <file stem>-<line or row>"):
        load_corpus(path)


def test_metadata_row_without_id_is_refused(tmp_path):
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "b.txt", BODY)
    _write(tmp_path / "metadata.csv", "doc_id,file\na,a.txt\n ,b.txt\n")
    with pytest.raises(CorpusError, match=r"metadata\.csv, line 3: the doc_id is empty"):
        load_corpus(tmp_path)


# --- 10. ids with control characters; docvars named like the columns tifa writes ----------


@pytest.mark.parametrize("doc_id", ["a\x1b[31mred", "two\nlines", "bidi\u202etxt.exe"])
def test_ids_with_control_characters_are_refused(tmp_path, doc_id):
    path = _jsonl(tmp_path / "c.jsonl", {"doc_id": doc_id, "text": BODY})
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 1: doc_id .* contains control or invisible characters \(U\+") as info:
        load_corpus(path)
    assert repr(doc_id) in str(info.value) and doc_id not in str(info.value), "the id is shown escaped"


@pytest.mark.parametrize("name", ["text", "n_chars", "decade", "encoding"])
def test_reserved_docvar_names_are_refused(tmp_path, name):
    path = _jsonl(tmp_path / "c.jsonl", {"content": BODY, name: "1"})
    with pytest.raises(CorpusError, match=rf"c\.jsonl, line 1: field '{name}' is a name tifa writes itself"):
        load_corpus(path, text_field="content")
    path = _write(tmp_path / "c.csv", f"doc_id,content,{name}\na,{BODY},1\n")
    with pytest.raises(CorpusError, match=rf"c\.csv, line 1: column '{name}' is a name tifa writes itself"):
        load_corpus(path, text_field="content")
    pd.DataFrame({"content": [BODY], name: ["1"]}).to_parquet(tmp_path / "c.parquet")
    with pytest.raises(CorpusError, match=rf"c\.parquet: column '{name}' is a name tifa writes itself"):
        load_corpus(tmp_path / "c.parquet", text_field="content")


def test_reserved_column_in_metadata_is_refused(tmp_path):
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "metadata.csv", "doc_id,file,encoding\na,a.txt,gbk\n")
    with pytest.raises(CorpusError, match=r"metadata\.csv, line 1: column 'encoding' is a name tifa writes itself"):
        load_corpus(tmp_path)


def test_id_field_other_than_doc_id_with_a_doc_id_column(tmp_path):
    path = _jsonl(tmp_path / "c.jsonl", {"id": "a", "doc_id": "b", "text": BODY})
    with pytest.raises(CorpusError, match=r"line 1: field 'doc_id' is a name tifa writes itself"):
        load_corpus(path, id_field="id")


# --- 6. JSONL lines that are not objects ---------------------------------------------------


@pytest.mark.parametrize(("line", "kind"), [("null", "null"), ("42", "number"), ('"a string"', "string"), ("[1, 2]", "list"), ("true", "boolean")])
def test_jsonl_line_that_is_not_an_object(tmp_path, line, kind):
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY}, line)
    with pytest.raises(CorpusError, match=rf"c\.jsonl, line 2: a JSON {kind}, not an object\. Each line must hold one JSON object"):
        load_corpus(path)


def test_jsonl_lone_surrogate_and_deep_nesting(tmp_path):
    path = _jsonl(tmp_path / "c.jsonl", '{"text": "\\ud800' + BODY + '"}')
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 1: an escape .*lone surrogate"):
        load_corpus(path)
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY}, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 2: "):
        load_corpus(path)


# --- 3. metadata.csv may only name files inside the corpus folder --------------------------


@pytest.mark.parametrize("file", ["../outside.txt", "sub/../../outside.txt", "ABSOLUTE"])
def test_metadata_file_outside_the_folder_is_refused(tmp_path, file):
    folder = tmp_path / "corpus"
    folder.mkdir()
    outside = _write(tmp_path / "outside.txt", BODY)
    file = str(outside) if file == "ABSOLUTE" else file
    _write(folder / "metadata.csv", f"doc_id,file\na,{file}\n")
    with pytest.raises(CorpusError, match=r"metadata\.csv, line 2: file .* is outside the corpus folder"):
        load_corpus(folder)


# --- 6. years and dates: whole numbers in a plausible range, or refused --------------------


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (float("inf"), "is not a whole number"),
        (float("-inf"), "is not a whole number"),
        (2016.7, "is not a whole number"),
        (1e20, r"is outside 1000–2999 \(config\.YEAR_RANGE\)"),
        (True, "is a boolean"),
        ("0000", r"is outside 1000–2999"),
        (0, r"is outside 1000–2999"),
        ("2016.7", "is not a year"),
        ("1e20", "is not a year"),
        ("nan", "is not a year"),
        ("2016年", "is not a year"),
        ([2016], "is not a year"),
    ],
)
def test_bad_years_are_refused(tmp_path, year, message):
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY, "year": 2016}, {"text": BODY, "year": year})
    with pytest.raises(CorpusError, match=rf"c\.jsonl, line 2: year .* {message}.*Correct it or leave it empty"):
        load_corpus(path)


def test_year_in_json_as_nan_literal_is_missing(tmp_path):
    path = _jsonl(tmp_path / "c.jsonl", '{"text": "' + BODY + '", "year": NaN}')
    corpus = load_corpus(path)
    assert corpus.docs["year"].isna().all() and corpus.problems["doc_id"].tolist() == ["c-0001"]


@pytest.mark.parametrize(("year", "expected"), [("２０１６", 2016), ("2016.0", 2016), (2016.0, 2016), (" 2016 ", 2016), (1000, 1000), (2999, 2999)])
def test_years_that_are_whole_numbers_are_accepted(tmp_path, year, expected):
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY, "year": year})
    assert load_corpus(path).docs["year"].tolist() == [expected]


@pytest.mark.parametrize(
    ("date", "message"),
    [("0000-01-01", r"'0000-01-01' is outside 1000–2999"), ("2016-13", "does not exist"), ("2016-02-30", "does not exist"), ("2016/08/31", "is not an ISO date"), (True, "is not an ISO date")],
)
def test_bad_dates_are_refused(tmp_path, date, message):
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY, "date": date})
    with pytest.raises(CorpusError, match=rf"c\.jsonl, line 1: date .*{message}"):
        load_corpus(path)


def test_full_width_date_is_normalised(tmp_path):
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY, "date": "２０１６-０８-３１"})
    assert load_corpus(path).docs[["date", "year"]].values.tolist() == [["2016-08-31", 2016]]


# --- 7. Parquet nulls in date and year ------------------------------------------------------


def test_parquet_nulls_in_date_and_year_keep_the_document(tmp_path):
    table = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "text": [BODY] * 4,
            "date": ["2016-08-31", None, None, None],
            "year": [2016.0, 2017.0, float("nan"), float("nan")],  # a float column: nulls make it float
        }
    )
    table.to_parquet(tmp_path / "c.parquet")
    corpus = load_corpus(tmp_path / "c.parquet")
    assert corpus.docs["year"].tolist()[:2] == [2016, 2017] and corpus.docs["year"].isna().tolist() == [False, False, True, True]
    assert corpus.problems["doc_id"].tolist() == ["c", "d"] and corpus.problems["where"].tolist()[0] == "c.parquet, row 3", "files named within the corpus, no machine paths"


def test_parquet_nullable_and_date_types(tmp_path):
    table = pd.DataFrame(
        {
            "text": [BODY] * 3,
            "year": pd.array([2016, pd.NA, pd.NA], dtype="Int64"),
            "date": pd.to_datetime(["2016-08-31", None, "2018-01-02"]),
            "region": pd.array(["甲", pd.NA, "乙"], dtype="string"),
        }
    )
    table.to_parquet(tmp_path / "c.parquet")
    corpus = load_corpus(tmp_path / "c.parquet")
    assert corpus.docs["year"].tolist()[0] == 2016 and pd.isna(corpus.docs["year"].tolist()[1]) and corpus.docs["year"].tolist()[2] == 2018
    assert corpus.docs["date"].tolist()[0] == "2016-08-31" and corpus.docs["date"].tolist()[2] == "2018-01-02"
    assert corpus.problems["doc_id"].tolist() == ["c-0002"]


# --- 9. write_processed: one file per id, atomic, locked, never over the corpus -----------


def _small_corpus(tmp_path, ids, name="c.jsonl"):
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    return load_corpus(_jsonl(folder / name, *({"doc_id": i, "text": f"{BODY}第{n}篇。"} for n, i in enumerate(ids))))


def test_ids_that_look_alike_get_their_own_files(tmp_path):
    corpus = _small_corpus(tmp_path, ["x/y", "x_y", "x?y", ".hidden"])
    written = write_processed(corpus, tmp_path / "out")
    digest = lambda s: hashlib.sha256(s.encode()).hexdigest()[:16]  # noqa: E731
    assert [p.name for p in written[3:]] == [f"x_y~{digest('x/y')}.txt", "x_y.txt", f"x_y~{digest('x?y')}.txt", f"hidden~{digest('.hidden')}.txt"]
    assert [p.read_text(encoding="utf-8").strip()[-4:] for p in written[3:]] == ["第0篇。", "第1篇。", "第2篇。", "第3篇。"]


def test_very_long_id_gets_a_short_file_name(tmp_path):
    long_id = "甲" * 100  # 300 bytes in UTF-8: more than a file name may have
    written = write_processed(_small_corpus(tmp_path, [long_id, "乙"]), tmp_path / "out")
    assert written[3].name == "甲" * 40 + "~" + hashlib.sha256(long_id.encode()).hexdigest()[:16] + ".txt"
    assert written[4].name == "乙.txt"
    assert read_processed(tmp_path / "out").doc_ids == [long_id, "乙"]


def test_rebuild_removes_stale_texts_and_keeps_the_token_cache(tmp_path):
    out = tmp_path / "out"
    write_processed(_small_corpus(tmp_path, ["a", "b"]), out)
    (out / "token_cache").mkdir()
    (out / "token_cache" / "k.json").write_text("[]", encoding="utf-8")
    write_processed(_small_corpus(tmp_path, ["a"]), out)
    assert sorted(p.name for p in (out / "texts").iterdir()) == ["a.txt"]
    assert (out / "token_cache" / "k.json").read_text(encoding="utf-8") == "[]"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "src"], "no temporary folder is left"


def test_a_build_into_the_cache_folder_keeps_the_caches_commands_left_there(tmp_path):
    """data/processed is also the cache folder: stores, token cache, fonts and user words that commands wrote there do not block tifa build."""
    out = tmp_path / "out"
    for name in config.CACHE_ENTRIES:
        (out / name).mkdir(parents=True)
        (out / name / "entry").write_text("x", encoding="utf-8")
    write_processed(_small_corpus(tmp_path, ["a"]), out)
    assert all((out / name / "entry").read_text(encoding="utf-8") == "x" for name in config.CACHE_ENTRIES)
    other = tmp_path / "other"
    (other / "stores").mkdir(parents=True)
    (other / "thesis.pdf").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="did not write"):
        write_processed(_small_corpus(tmp_path, ["a"]), other)


def test_failed_build_leaves_the_previous_output(tmp_path, monkeypatch):
    import errno

    from tifa import corpus as corpus_module

    out = tmp_path / "out"
    written = write_processed(_small_corpus(tmp_path, ["a", "b"]), out)
    before = {p.name: p.read_bytes() for p in written}
    original = corpus_module._write_outputs

    def disk_full(corpus, names, folder):
        original(corpus, names[:1], folder)
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "texts"))

    monkeypatch.setattr(corpus_module, "_write_outputs", disk_full)
    with pytest.raises(OutputError, match=r"writing failed .*No space left on device.*previous output is unchanged"):
        write_processed(_small_corpus(tmp_path, ["c"]), out)
    assert {p.name: p.read_bytes() for p in written} == before
    assert sorted(p.name for p in (out / "texts").iterdir()) == ["a.txt", "b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "src"]


def test_a_docvar_mixing_kinds_is_read_as_text_on_every_engine_and_reported(tmp_path):
    from tifa.store import build_store

    rows = [{"text": BODY, "region": 1}, {"text": BODY, "region": 1.5}, {"text": BODY, "region": "甲"}, {"text": BODY, "region": 2.0}, {"text": BODY, "region": [1, 2]}]
    path = _jsonl(tmp_path / "m.jsonl", *rows)
    memory = load_corpus(path)
    assert memory.docs["region"].tolist() == ["1", "1.5", "甲", "2", "[1, 2]"], "numbers in a text docvar take their shortest form"
    assert memory.problems["problem"].tolist()[-1] == "docvar 'region' mixes kinds of values (float, integer, other, text): read as text"
    assert memory.problems["where"].tolist()[-1] == "m.jsonl"
    for rows_per_partition in (1, 2, 5):  # each partition alone holds one kind, or several
        store = build_store(path, tmp_path / f"s{rows_per_partition}", partition_rows=rows_per_partition, progress=False).to_corpus()
        pd.testing.assert_frame_equal(store.docs, memory.docs)
        pd.testing.assert_frame_equal(store.problems, memory.problems)


def test_a_docvar_absent_from_a_whole_partition_is_null_there(tmp_path):
    from tifa.engine import as_source
    from tifa.slogans import count_slogans
    from tifa.store import build_store

    rows = [{"text": BODY, "year": 2016}, {"text": BODY, "year": 2017}, {"text": BODY, "year": 2018, "province": "湖南省", "rank": 3}]
    path = _jsonl(tmp_path / "o.jsonl", *rows)
    memory = load_corpus(path)
    store = build_store(path, tmp_path / "s", partition_rows=2, progress=False)
    pd.testing.assert_frame_equal(store.to_corpus().docs, memory.docs)
    assert memory.docs["province"].isna().tolist() == [True, True, False] and str(memory.docs["rank"].dtype) == "Int64"
    pd.testing.assert_frame_equal(count_slogans(as_source(store), by="province"), count_slogans(memory, by="province"))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_of_jsonl_and_csv_are_read_alike_by_every_reader(tmp_path, newline):
    from tifa.store import build_store

    records = [{"doc_id": f"d{i}", "year": 2016 + i, "text": f"{BODY}第{i}篇。"} for i in range(3)]
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_bytes(newline.join(json.dumps(r, ensure_ascii=False) for r in records).encode() + newline.encode())
    csv_path = tmp_path / "c.csv"
    csv_path.write_bytes(newline.join(["doc_id,year,text", *(f'{r["doc_id"]},{r["year"]},"{r["text"]}"' for r in records)]).encode() + newline.encode())
    for path in (jsonl, csv_path):
        memory = load_corpus(path)
        assert memory.doc_ids == ["d0", "d1", "d2"]
        pd.testing.assert_frame_equal(build_store(path, tmp_path / f"s-{path.suffix[1:]}", partition_rows=2, progress=False).to_corpus().docs, memory.docs)


def test_a_jsonl_object_with_a_repeated_key_is_refused_not_silently_cut(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"doc_id": "a", "text": "' + BODY + '"}\n{"doc_id": "b", "text": "' + BODY + '", "province": "湖南省", "province": "河北省"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"d\.jsonl, line 2: the key 'province' appears twice"):
        load_corpus(path)


def test_a_link_out_of_the_corpus_folder_is_refused_without_naming_the_other_files(tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text(BODY, encoding="utf-8")
    (outside / "diary.txt").write_text(BODY, encoding="utf-8")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").symlink_to(outside / "secret.txt")
    (folder / "metadata.csv").write_text("doc_id,file\na,a.txt\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"line 2: file 'a\.txt' is outside the corpus folder .*symbolic link") as caught:
        load_corpus(folder)
    assert "diary" not in str(caught.value)


def test_a_corpus_can_be_read_from_an_open_file(tmp_path):
    import io

    data = json.dumps({"doc_id": "a", "year": 2016, "text": BODY}, ensure_ascii=False).encode() + b"\n"
    corpus = load_corpus(io.BytesIO(data), format="jsonl")
    assert corpus.doc_ids == ["a"] and corpus.docs["year"].tolist() == [2016]
    with pytest.raises(CorpusError, match="needs format="):
        load_corpus(io.BytesIO(data))


def test_a_second_build_of_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    with open(tmp_path / ".out.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(OutputError, match=r"out: another tifa build is writing this folder"):
            write_processed(_small_corpus(tmp_path, ["a"]), out)
    assert not out.exists()


def test_output_folder_must_not_touch_the_corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "RAW_DIR", tmp_path / "project" / "data" / "raw")
    config.RAW_DIR.mkdir(parents=True)
    corpus = _small_corpus(tmp_path, ["a"])
    for out in (config.RAW_DIR, config.RAW_DIR / "sub", config.RAW_DIR.parent):
        with pytest.raises(OutputError, match=r"would overwrite the raw texts in .*raw\. Choose another --out folder"):
            write_processed(corpus, out)
    for out in (tmp_path / "src", tmp_path):
        with pytest.raises(OutputError, match=r"would replace the corpus .*c\.jsonl"):
            write_processed(corpus, out)
    folder = tmp_path / "folder"
    _write((folder / "texts").mkdir(parents=True) or folder / "texts" / "a.txt", BODY)
    _write(folder / "metadata.csv", "doc_id,file\na,texts/a.txt\n")
    with pytest.raises(OutputError, match=r"would overwrite the raw texts in .*texts"):
        write_processed(load_corpus(folder), folder / "texts")
    write_processed(load_corpus(folder), folder / "processed")  # beside the texts, as data/processed beside data/raw
    other = tmp_path / "documents"
    _write(other.mkdir() or other / "thesis.tex", "x")
    with pytest.raises(OutputError, match=r"documents: the folder holds files that tifa build did not write \(thesis\.tex\)"):
        write_processed(corpus, other)
    assert (other / "thesis.tex").read_text() == "x"


def test_cli_build_into_an_unwritable_place(capsys, tmp_path):
    blocker = _write(tmp_path / "a_file", "x")
    code, _, err = run(capsys, "build", "--out", str(blocker / "out"))
    assert code == 2 and f"error: {blocker / 'out'}: cannot create the folder" in err and "Choose a writable --out folder" in err
    code, _, err = run(capsys, "build", "--out", str(config.RAW_DIR))
    assert code == 2 and f"error: {config.RAW_DIR}: the output folder would overwrite the raw texts" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_cli_build_into_a_read_only_folder(capsys, tmp_path):
    tmp_path.chmod(0o555)
    try:
        code, _, err = run(capsys, "build", "--out", str(tmp_path / "out"))
    finally:
        tmp_path.chmod(0o755)
    assert code == 2 and "Choose a writable --out folder" in err


# --- 6. commands that used to end in a traceback ------------------------------------------


def test_kwic_with_an_invalid_regex(capsys):
    code, _, err = run(capsys, "kwic", "(", "--regex")
    assert code == 2 and "error: invalid regular expression '('" in err and "without --regex" in err
    code, out, _ = run(capsys, "kwic", "(", "--format", "csv")
    assert code == 0, "without --regex the pattern is a literal string"


def test_report_without_executed_notebooks(capsys, tmp_path):
    code, _, err = run(capsys, "report", "--out", str(tmp_path))
    assert code == 2 and f"error: {tmp_path / 'notebooks' / '00_corpus.ipynb'}: no executed notebook; run `make figures`" in err


def test_provenance_of_a_missing_corpus(capsys, tmp_path):
    code, out, err = run(capsys, "provenance", "--corpus", str(tmp_path / "missing.jsonl"))
    assert code == 2 and out == "" and f"error: {tmp_path / 'missing.jsonl'}: no such file or folder" in err


def test_study_on_a_missing_corpus(capsys, tmp_path):
    code, _, err = run(capsys, "study", "--corpus", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "out"))
    assert code == 2 and f"error: {tmp_path / 'missing.jsonl'}: no such file or folder" in err
    assert not (tmp_path / "out").exists(), "nothing runs before the corpus is found"


def test_study_notebook_failure_is_a_message(capsys, tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill")
    from papermill.exceptions import PapermillExecutionError

    def fail(source, target, **kwargs):
        raise PapermillExecutionError(3, 3, "study = Study.from_parameters(...)", "CorpusError", "c.jsonl, line 2: not valid JSON", [])

    monkeypatch.setattr(papermill, "execute_notebook", fail)
    path = _jsonl(tmp_path / "c.jsonl", {"text": BODY})
    code, _, err = run(capsys, "study", "--corpus", str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    failed = re.search(r"error: (\S+)/(\d\d_\w+)\.ipynb: notebook (\d\d_\w+) failed \(CorpusError: c\.jsonl, line 2: not valid JSON\)", err)
    assert failed and failed.group(1) == str(tmp_path / "out" / "notebooks") and failed.group(2) == failed.group(3), err


# --- 10. numbers on the command line ---------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["freq", "--top", "-1"],
        ["freq", "--top", "0"],
        ["keyness", "--by", "province", "--target", "湖南省", "--top", "-5"],
        ["keyness", "--by", "province", "--target", "湖南省", "--min-count", "-1"],
        ["kwic", "党政同责", "--window", "-3"],
        ["discover", "--top", "-1"],
        ["discover", "--min-count", "-2"],
        ["topics", "--k", "-4"],
        ["topics", "--k", "5", "--seed", "-1"],
        ["topics", "--k", "5", "--seed", str(2**32)],
        ["freq", "--top", "many"],
    ],
)
def test_negative_numbers_are_refused_by_the_parser(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[-2]}" in err and any(what in err for what in ("positive whole number", "non-negative whole number", "a seed"))


def test_missing_text_column_is_named_before_other_columns(tmp_path):
    path = _write(tmp_path / "c.csv", f"doc_id,text\na,{BODY}\n")
    with pytest.raises(CorpusError, match=r"c\.csv, line 1: no text column 'content' \(columns: \['doc_id', 'text'\]\)\. Pass --text-field NAME"):
        load_corpus(path, text_field="content")


def test_topic_model_of_a_tiny_corpus(capsys, tmp_path):
    path = _write(tmp_path / "c.csv", f"doc_id,text\na,{BODY}\n")
    code, _, err = run(capsys, "topics", "--k", "3", "--corpus", str(path))
    assert code == 2 and "error: no vocabulary for a topic model of" in err and "the corpus is too small" in err
