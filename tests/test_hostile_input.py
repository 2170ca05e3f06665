"""Hostile and broken input: a clear error that names the file, line and fix, or an audited repair; never a traceback."""

import pytest

import tifa
from tifa import CorpusError, InputError, TifaError, load_corpus
from tifa.clean import load_boilerplate_rules
from tifa.cli import main
from tifa.files import read_yaml
from tifa.lexicon import load_slogans
from tifa.places import place_label
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
    text = BODY * 8000  # ~ 300,000 characters, over the csv module's default field limit
    path = _write(tmp_path / "c.csv", f"doc_id,text\na,{text}\n")
    assert load_corpus(path).docs.loc[0, "n_chars"] > 200_000


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
