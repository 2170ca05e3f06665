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
