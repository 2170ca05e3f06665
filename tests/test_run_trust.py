"""What the run cache and the output folder trust: entries checked file by file, keys covering every input read, one run per folder,
only tifa's own files removed, no worker outliving the study (#21)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from tifa import config
from tifa.cli import main
from tifa.errors import OutputError
from tifa.runs import RunCache, input_digest, notebook_key, study_inputs
from tifa.study import load_params, run_study
from tifa.study.run import _restore_notebook, journal_path
from tifa.util.files import file_lock
from tifa.util.hashing import file_digest

KEY = "ab" * 32
PARAMETERS = {"CORPUS": None, "TEXT_FIELD": "text", "ID_FIELD": "doc_id", "FIGURES_DIR": "/x", "PROCESSED": "/y", "PARAMS": None}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _notebook() -> bytes:
    return json.dumps({"cells": [], "metadata": {"papermill": {}}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture
def entry(tmp_path):
    """A stored run: an executed notebook, a figure and a table."""
    files = {"notebook.ipynb": _notebook(), "figures/a.png": _png(), "figures/tables/t.csv": b"term,n\n\xe5\x8f\x91\xe5\xb1\x95,3\n"}
    sources = {}
    for name, data in files.items():
        sources[name] = tmp_path / "src" / name
        sources[name].parent.mkdir(parents=True, exist_ok=True)
        sources[name].write_bytes(data)
    cache = RunCache(tmp_path / "cache")
    return cache, cache.put(KEY, sources)


def _set_manifest(entry: Path, names: dict) -> None:
    (entry / "manifest.json").write_text(json.dumps({"files": names}), encoding="utf-8")


def _damage(case: str, entry: Path, tmp_path: Path) -> str:
    """Damage the entry as ``case`` says; returns the file name the warning must name."""
    manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    names = manifest["files"] if isinstance(manifest, dict) else {n: "0" * 64 for n in manifest}
    outside = tmp_path / "x"
    outside.write_bytes(b"outside the entry")
    if case == "parent":
        _set_manifest(entry, {**names, "../x": file_digest(outside)})
        shutil.copyfile(outside, entry.parent / "x")
        return "../x"
    if case == "absolute":
        _set_manifest(entry, {**names, str(outside): file_digest(outside)})
        return str(outside)
    if case == "empty_segment":
        name = f"figures/{outside}"  # figures//tmp/…/x
        _set_manifest(entry, {**names, name: file_digest(outside)})
        return name
    if case == "symlink":
        png = entry / "figures" / "a.png"
        copy = tmp_path / "a.png"
        shutil.copyfile(png, copy)  # the same bytes: only the link is wrong
        png.unlink()
        png.symlink_to(copy)
        return "figures/a.png"
    if case == "truncated_png":
        png = entry / "figures" / "a.png"
        data = png.read_bytes()
        png.write_bytes(data[: len(data) // 3])
        return "figures/a.png"
    if case == "table_header_only":
        table = entry / "figures" / "tables" / "t.csv"
        table.write_bytes(table.read_bytes().split(b"\n")[0] + b"\n")
        return "figures/tables/t.csv"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["parent", "absolute", "empty_segment", "symlink", "truncated_png", "table_header_only"])
def test_an_entry_that_does_not_check_out_is_refused_removed_and_named(case, entry, tmp_path, caplog):
    cache, path = entry
    named = _damage(case, path, tmp_path)
    target = tmp_path / "figures"
    assert _restore_notebook(cache, KEY, tmp_path / "00_corpus.ipynb", target, PARAMETERS) in (None, False), "not restored"
    assert not target.exists() or not any(target.rglob("*")), "nothing written from a refused entry"
    assert not (tmp_path / "00_corpus.ipynb").exists()
    assert not path.exists(), "the entry is removed"
    warning = next(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert KEY in warning and named in warning and "made again" in warning
    assert (tmp_path / "x").read_bytes() == b"outside the entry", "nothing outside the entry touched"


def test_a_sound_entry_is_restored_with_the_bytes_stored(entry, tmp_path):
    cache, _ = entry
    written = _restore_notebook(cache, KEY, tmp_path / "00_corpus.ipynb", tmp_path / "figures", PARAMETERS)
    assert sorted(written) == ["a.png", "tables/t.csv"]
    assert (tmp_path / "figures" / "a.png").read_bytes() == _png()


def test_only_the_files_a_run_wrote_with_the_bytes_it_wrote_are_stored(tmp_path):
    cache = RunCache(tmp_path / "cache")
    (tmp_path / "a.png").write_bytes(b"what the run wrote")
    (tmp_path / "b.png").write_bytes(b"ours")
    assert cache.put(KEY, {"a.png": tmp_path / "a.png"}, digests={"a.png": "0" * 64}) is None, "changed since the run wrote it: not stored"
    stored = cache.put(KEY, {"b.png": tmp_path / "b.png"}, digests={"b.png": file_digest(tmp_path / "b.png")})
    assert cache.files(stored) == ["b.png"]


# --- the key covers what notebooks read ------------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    central = tmp_path / "central.jsonl"
    central.write_text('{"doc_id": "c1", "text": "全面深化改革。"}\n', encoding="utf-8")
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text((config.SLOGANS_YAML).read_text(encoding="utf-8"), encoding="utf-8")
    font = tmp_path / "font.ttc"
    shutil.copyfile(study_inputs({})["font"], font)
    rc = tmp_path / "mpl"
    rc.mkdir()
    (rc / "matplotlibrc").write_text("figure.dpi: 100\n", encoding="utf-8")
    monkeypatch.setenv("TIFA_FONT", str(font))
    monkeypatch.setenv("MPLCONFIGDIR", str(rc))
    params = tmp_path / "p.yaml"
    params.write_text(f"central: {central}\nlexicon: {lexicon}\n", encoding="utf-8")
    return {"central": central, "lexicon": lexicon, "font": font, "matplotlibrc": rc / "matplotlibrc", "params": params}


def test_editing_the_central_corpus_lexicon_font_or_rc_file_changes_the_key(inputs):
    settings = load_params(inputs["params"])

    def key():
        return notebook_key(config.NOTEBOOKS_DIR / "04_diffusion.ipynb", "c" * 64, params_file=inputs["params"], parameters={}, inputs=input_digest(settings))

    first = key()
    assert key() == first
    for role in ("central", "lexicon", "font", "matplotlibrc"):
        path = inputs[role]
        original = path.read_bytes()
        path.write_bytes(original + b"\n# edited\n")
        os.utime(path, (1, 1))  # an older modification time: content, not mtime, decides
        assert key() != first, f"editing the {role} file changes the key (computed afresh at each call)"
        path.write_bytes(original)
        assert key() == first


def test_editing_a_lexicon_between_two_keys_in_one_process_changes_the_code_key(tmp_path, monkeypatch):
    from tifa.runs import code_digest

    lexicon = tmp_path / "lexicon"
    shutil.copytree(config.LEXICON_DIR, lexicon)
    monkeypatch.setattr(config, "LEXICON_DIR", lexicon)
    first = code_digest()
    with open(lexicon / "domain_terms.txt", "a", encoding="utf-8") as handle:
        handle.write("新质生产力\n")
    assert code_digest() != first, "no key memoised for the life of the process"


AUDIT = """
import json, os, sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        mode, flags = args[1], args[2]
        writes = any(c in (mode or "") for c in "wax+") if mode is not None else bool(flags & (os.O_WRONLY | os.O_RDWR))
        if not writes:
            opened.append(os.fsdecode(args[0]))
from tifa.study import Study
from tifa.tokens import tokens
from tifa.adoption import _central_corpus
sys.addaudithook(hook)
study = Study.from_parameters(sys.argv[1], "text", sys.argv[2], params=sys.argv[3])
study.slogans, study.labeller, study.matcher
tokens(study.corpus, study.segmenter)
study.use_style()
_central_corpus(study.params["central"], "text")
sys.stdout.write(json.dumps(opened))
"""


def test_every_file_the_notebooks_loaders_read_is_in_the_key(inputs, tmp_path):
    """Audit the files opened while a study is made and its loaders run (corpus, lexicon, segmenter, tokens, style, central corpus)."""
    from tifa.study import corpus_files

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"doc_id": "a", "text": "坚持全面深化改革，推进生态文明建设。", "province": "湖南省", "year": 2018}\n'
                      '{"doc_id": "b", "text": "落实党政同责，推进生态文明建设。", "province": "河北省", "year": 2019}\n', encoding="utf-8")
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(config.PACKAGE_DIR.parent), "TIFA_CACHE_DIR": str(cache), "PYTHONHASHSEED": "0"}
    result = subprocess.run([sys.executable, "-c", AUDIT, str(corpus), str(tmp_path / "figs"), str(inputs["params"])], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    opened = {Path(p).resolve() for p in json.loads(result.stdout)}

    settings = load_params(inputs["params"])
    keyed = [config.PACKAGE_DIR, config.LEXICON_DIR, config.FIGURE_REGISTRY, inputs["params"], *corpus_files(corpus)]
    keyed += [p for p in study_inputs(settings).values() if p is not None]
    derived = [cache, tmp_path / "figs", *(p for p in (tmp_path / "mpl").iterdir() if p.name != "matplotlibrc")]  # caches keyed by content, outputs, matplotlib's font list
    installed = [Path(sys.prefix), Path(sys.base_prefix), Path("/usr/share/fonts"), Path("/etc"), Path("/proc"), Path("/sys"), Path("/dev")]

    def inside(path: Path, roots) -> bool:
        return any(path == r.resolve() or r.resolve() in path.parents for r in roots)

    def metadata(path: Path) -> bool:  # of an installed distribution: in the key by name and version
        return any(part.endswith((".dist-info", ".egg-info")) for part in path.parts)

    def jieba_cache(path: Path) -> bool:  # jieba's pickle of its dictionary (the dictionary is keyed)
        return path.parent == Path(tempfile.gettempdir()).resolve() and path.name.startswith("jieba") and path.suffix == ".cache"

    read = {p for p in opened if p.suffix != ".pyc" and not p.is_dir() and not inside(p, installed) and not inside(p, derived) and not metadata(p) and not jieba_cache(p)}
    assert {inputs[role].resolve() for role in ("lexicon", "central", "matplotlibrc")} <= read, "the audit sees the user's files"
    unkeyed = sorted(str(p) for p in read if not inside(p, keyed))
    assert not unkeyed, f"files read while the study is made that its key does not cover: {unkeyed}"


# --- one run per output folder; only tifa's own files removed ---------------------------------------------


def _fake_execute(source, target, parameters):
    """Stands for papermill: writes the executed copy and one figure, recording it as a notebook's Study does."""
    from tifa.study.helper import JOURNAL_ENV, record_written

    target.write_bytes(_notebook())
    figures = Path(parameters["FIGURES_DIR"])
    png = figures / f"fake_{source.stem}.png"
    png.write_bytes(_png())
    os.environ[JOURNAL_ENV] = str(journal_path(target).resolve())
    try:
        record_written([png], figures)
    finally:
        del os.environ[JOURNAL_ENV]
    return file_digest(target)


def _no_font(characters):
    return None


@pytest.fixture
def fake_notebooks(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr("tifa.study.run._execute_notebook", _fake_execute)
    monkeypatch.setattr("tifa.study.run._cut_font", _no_font)


def _researchers_files(figures: Path) -> dict[str, bytes]:
    (figures / "tables").mkdir(parents=True, exist_ok=True)
    files = {"thesis.pdf": b"%PDF-1.7 my thesis", "tables/survey.csv": b"q,a\n1,yes\n"}
    for name, data in files.items():
        (figures / name).write_bytes(data)
    return files


def test_a_bad_parameter_file_leaves_the_folder_as_it_was(tmp_path, fake_notebooks):
    figures = tmp_path / "out" / "figures"
    files = {**_researchers_files(figures), "README.md": b"# My figures\n\nNotes of mine.\n"}
    (figures / "README.md").write_bytes(files["README.md"])
    params = tmp_path / "bad.yaml"
    params.write_text("langue: zh\n", encoding="utf-8")
    assert main(["study", "--out", str(tmp_path / "out"), "--params", str(params)]) == 2
    assert {name: (figures / name).read_bytes() for name in files} == files, "every file still there, unchanged"


def test_a_readme_tifa_did_not_write_is_refused_not_overwritten(tmp_path, fake_notebooks):
    figures = tmp_path / "out" / "figures"
    figures.mkdir(parents=True)
    (figures / "README.md").write_text("# My figures\n", encoding="utf-8")
    with pytest.raises(OutputError, match="README.md: not the index tifa wrote"):
        run_study(out=tmp_path / "out", notebooks=("00_corpus",), n_jobs=1)
    assert (figures / "README.md").read_text(encoding="utf-8") == "# My figures\n"


def test_a_run_removes_only_what_the_previous_run_wrote(tmp_path, fake_notebooks, caplog):
    figures = tmp_path / "out" / "figures"
    files = _researchers_files(figures)
    run_study(out=tmp_path / "out", notebooks=("00_corpus", "01_terms"), n_jobs=1, cache=False)
    assert {name: (figures / name).read_bytes() for name in files} == files
    record = json.loads((figures / "provenance.json").read_text(encoding="utf-8"))["outputs"]
    assert sorted(record) == ["README.md", "fake_00_corpus.png", "fake_01_terms.png"], "the record: what this run wrote"
    caplog.set_level("INFO")
    run_study(out=tmp_path / "out", notebooks=("00_corpus",), n_jobs=1, cache=False)
    assert not (figures / "fake_01_terms.png").exists(), "an output of the previous run that this one does not make is gone"
    assert "fake_01_terms.png" in caplog.text and "removed" in caplog.text, "what was removed is logged"
    assert {name: (figures / name).read_bytes() for name in files} == files


def test_the_cache_stores_a_runs_own_files_not_what_another_left_in_the_folder(tmp_path, fake_notebooks):
    figures = tmp_path / "out" / "figures"
    figures.mkdir(parents=True)
    (figures / "documents_by_province_and_year.png").write_bytes(b"left by another process")  # a registered name of notebook 00
    run_study(out=tmp_path / "out", notebooks=("00_corpus",), n_jobs=1)
    manifests = [json.loads(p.read_text(encoding="utf-8"))["files"] for p in (tmp_path / "cache" / "runs").glob("??/*/manifest.json")]
    notebook = next(m for m in manifests if "notebook.ipynb" in m)
    assert sorted(notebook) == ["figures/fake_00_corpus.png", "notebook.ipynb"]


def test_a_second_study_into_the_same_folder_fails_at_once_saying_why(tmp_path, fake_notebooks):
    with file_lock(tmp_path / "out" / ".study.lock"):  # a study running there
        started = time.monotonic()
        with pytest.raises(OutputError, match="another tifa study is writing into this folder"):
            run_study(out=tmp_path / "out", notebooks=("00_corpus",), n_jobs=1)
        assert time.monotonic() - started < 5
    assert not (tmp_path / "out" / "figures").exists()


# --- kill -9 -----------------------------------------------------------------------------------------------

POOL = """
import json, sys, time
from tifa.study.run import study_pool
pool = study_pool(2)
futures = [pool.submit(time.sleep, 120) for _ in range(2)]
while len(pool._processes) < 2:
    time.sleep(0.05)
sys.stdout.write(json.dumps(sorted(pool._processes)) + "\\n")
sys.stdout.flush()
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_do_not_outlive_a_study_killed_with_sigkill():
    env = {**os.environ, "PYTHONPATH": str(config.PACKAGE_DIR.parent)}
    parent = subprocess.Popen([sys.executable, "-c", POOL], stdout=subprocess.PIPE, text=True, env=env)
    try:
        workers = json.loads(parent.stdout.readline())
        assert len(workers) == 2 and all(_alive(w) for w in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers still running after their study was killed"
    finally:
        for pid in [parent.pid, *locals().get("workers", [])]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
