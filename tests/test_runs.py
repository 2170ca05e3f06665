"""The run cache: a notebook whose inputs are unchanged is restored, byte for byte; any changed input runs it again."""

import json
import os
import shutil

import nbformat

from tifa import config, load_corpus, runs
from tifa.runs import RunCache, code_digest, corpus_digest, notebook_key
from papermill.translators import translate_parameters

from tifa.study import run_study
from tifa.study.run import _python_literal

NOTEBOOK = config.NOTEBOOKS_DIR / "00_corpus.ipynb"


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_entry_is_stored_restored_and_complete_only_with_its_manifest(tmp_path):
    cache = RunCache(tmp_path / "cache")
    (tmp_path / "a.png").write_bytes(b"png")
    (tmp_path / "t.csv").write_text("x\n1\n", encoding="utf-8")
    entry = cache.put("ab" * 32, {"figures/a.png": tmp_path / "a.png", "figures/tables/t.csv": tmp_path / "t.csv", "notebook.ipynb": tmp_path / "t.csv"})
    assert cache.get("ab" * 32) == entry and cache.files(entry) == ["figures/a.png", "figures/tables/t.csv", "notebook.ipynb"]
    written = cache.restore(entry, tmp_path / "out", prefix="figures/")
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in written) == ["a.png", "tables/t.csv"]
    assert (tmp_path / "out" / "tables" / "t.csv").read_text(encoding="utf-8") == "x\n1\n"
    (entry / "manifest.json").unlink()  # an entry cut off before its manifest was written is no entry
    assert cache.get("ab" * 32) is None


def test_the_least_recently_used_entries_go_first(tmp_path):
    cache = RunCache(tmp_path / "cache")
    (tmp_path / "f").write_bytes(b"x")
    keys = [f"{i:02d}" * 32 for i in range(4)]
    for age, key in enumerate(keys):
        entry = cache.put(key, {"f": tmp_path / "f"})
        stamp = 1_000_000 + age
        os.utime(entry, (stamp, stamp))
    cache.get(keys[0])  # used now: the newest
    cache.prune(keep=2)
    assert [cache.get(k) is not None for k in keys] == [True, False, False, True]


def test_an_unwritable_cache_is_a_warning_not_a_failure(tmp_path, caplog):
    (tmp_path / "cache").write_text("a file where the cache folder should be", encoding="utf-8")
    (tmp_path / "f").write_bytes(b"x")
    assert RunCache(tmp_path / "cache").put("cd" * 32, {"f": tmp_path / "f"}) is None
    assert "cannot store a run in the cache" in caplog.text


def test_every_input_of_a_notebook_is_in_its_key(tmp_path, monkeypatch):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"doc_id": "a", "text": "生态文明建设"}\n', encoding="utf-8")
    params = tmp_path / "p.yaml"
    params.write_text("top_terms: 5\n", encoding="utf-8")
    base = {"CORPUS": str(corpus), "TEXT_FIELD": "text", "ID_FIELD": "doc_id", "PARAMS": str(params)}

    def key(notebook=NOTEBOOK, text_field="text", parameters=base):
        return notebook_key(notebook, corpus_digest([corpus], text_field=text_field, id_field="doc_id"), params_file=params, parameters=parameters)

    first = key()
    assert key() == first, "the same inputs give the same key"
    assert key(notebook=config.NOTEBOOKS_DIR / "01_terms.ipynb") != first
    assert key(text_field="content") != first
    assert key(parameters={**base, "TEXT_FIELD": "content"}) != first
    params.write_text("top_terms: 6\n", encoding="utf-8")
    assert key() != first, "the parameter file's bytes"
    params.write_text("top_terms: 5\n", encoding="utf-8")
    corpus.write_text('{"doc_id": "a", "text": "生态文明建设。"}\n', encoding="utf-8")
    assert key() != first, "the corpus' bytes"
    corpus.write_text('{"doc_id": "a", "text": "生态文明建设"}\n', encoding="utf-8")
    assert key() == first
    # the code: a lexicon file, the package, a TIFA_ setting (not the folders outputs and caches go to)
    lexicon, original = tmp_path / "lexicon", config.LEXICON_DIR
    shutil.copytree(original, lexicon)
    monkeypatch.setattr(config, "LEXICON_DIR", lexicon)
    assert key() == first
    with open(lexicon / "stopwords_extra.txt", "a", encoding="utf-8") as handle:
        handle.write("新词\n")
    assert key() != first
    shutil.rmtree(lexicon)
    shutil.copytree(original, lexicon)
    monkeypatch.setenv("TIFA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert key() == first, "where caches go is not an input"
    monkeypatch.setenv("TIFA_FONT", str(tmp_path / "other.otf"))
    assert key() != first, "a TIFA_ setting is"
    monkeypatch.delenv("TIFA_FONT")
    package = tmp_path / "package"
    shutil.copytree(config.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", package)
    assert key() == first
    (package / "stats.py").write_text((package / "stats.py").read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert key() != first, "a changed line of the package"


def test_an_unchanged_notebook_is_restored_not_executed_and_a_damaged_one_made_again(tmp_path, monkeypatch, caplog):
    from tifa.study.run import _execute_notebook as execute

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    first = run_study(out=tmp_path / "first", notebooks=("00_corpus",), n_jobs=1)
    stored = list((tmp_path / "cache" / runs.RUNS).glob("??/*/manifest.json"))
    assert len(stored) == 2, "the cleaned corpus and the notebook's run"

    def refuse(*args):
        raise AssertionError("a notebook with unchanged inputs was executed")

    monkeypatch.setattr("tifa.study.run._execute_notebook", refuse)
    monkeypatch.setattr("tifa.study.run.load_corpus", lambda *a, **k: refuse())
    second = run_study(out=tmp_path / "second", notebooks=("00_corpus",), n_jobs=1)
    assert _files(second) == _files(first), "figures, tables, index and provenance: the same bytes"
    assert _files(tmp_path / "second" / "processed") == _files(tmp_path / "first" / "processed")
    assert {p.name for p in first.glob("*.png")} >= {"documents_by_province_and_year.png", "cleaning_edits_by_document_and_step.png"}
    executed = nbformat.read(tmp_path / "first" / "notebooks" / "00_corpus.ipynb", as_version=4)
    restored = nbformat.read(tmp_path / "second" / "notebooks" / "00_corpus.ipynb", as_version=4)
    assert [c.outputs for c in restored.cells if c.cell_type == "code"][2:] == [c.outputs for c in executed.cells if c.cell_type == "code"][2:]
    injected = next(c.source for c in restored.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert str(tmp_path / "second" / "figures") in injected and str(tmp_path / "first") not in injected, "this run's parameters"
    assert injected == translate_parameters("python3", "python", {
        "CORPUS": None, "TEXT_FIELD": "text", "ID_FIELD": "doc_id", "FIGURES_DIR": str(second.resolve()),
        "PROCESSED": str((tmp_path / "second" / "processed").resolve()), "PARAMS": None}, "Parameters"), "written as papermill writes them"
    assert _python_literal('C:\\语料\t"引号"') == translate_parameters("python3", "python", {"X": 'C:\\语料\t"引号"'}, "P").splitlines()[1].removeprefix("X = ")
    assert str(tmp_path / "first") not in json.dumps(restored.metadata)

    ran = []
    monkeypatch.setattr("tifa.study.run.load_corpus", load_corpus)
    monkeypatch.setattr("tifa.study.run._execute_notebook", lambda source, target, parameters: ran.append(source.stem))
    run_study(out=tmp_path / "third", notebooks=("00_corpus",), n_jobs=1, cache=False)
    assert ran == ["00_corpus"], "cache=False executes"

    # a damaged entry is removed with a warning and the run made again
    monkeypatch.setattr("tifa.study.run._execute_notebook", execute)
    entries = {p.parent: json.loads(p.read_text(encoding="utf-8"))["files"] for p in (tmp_path / "cache" / runs.RUNS).glob("??/*/manifest.json")}
    notebook_entry = next(e for e, names in entries.items() if "notebook.ipynb" in names)
    corpus_entry = next(e for e, names in entries.items() if "corpus.parquet" in names)
    (corpus_entry / "corpus.parquet").write_bytes(b"PAR1 cut short")
    (notebook_entry / "notebook.ipynb").write_text('{"cells": "not a list"}', encoding="utf-8")
    fourth = run_study(out=tmp_path / "fourth", notebooks=("00_corpus",), n_jobs=1)
    assert caplog.text.count("removed, the run is made again") == 2
    assert _files(fourth) == _files(first), "made again: the same bytes"
    figure = next(n for n in json.loads((notebook_entry / "manifest.json").read_text(encoding="utf-8"))["files"] if n.endswith(".png"))
    (notebook_entry / figure).unlink()
    assert RunCache().get(notebook_entry.name) is None and not notebook_entry.exists(), "a listed file missing: no entry"


def test_side_by_side_kernels_get_their_share_of_threads_unless_the_user_chose(monkeypatch):
    from tifa.study import THREAD_VARIABLES, limit_threads

    for name in THREAD_VARIABLES:
        monkeypatch.setenv(name, "x")  # restored after the test, whatever limit_threads sets
        monkeypatch.delenv(name)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    limit_threads(1)
    assert [os.environ[name] for name in THREAD_VARIABLES] == ["3", "1", "1"]
