"""Running the study: the corpus cleaned once, notebooks executed with papermill (or restored from the run cache), index and provenance."""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tifa import config
from tifa.corpus import Corpus, check_source, display_path, load_corpus, read_processed, write_processed
from tifa.errors import StudyError
from tifa.study.helper import JOURNAL_ENV, Study, read_journal
from tifa.study.outputs import check_output_folder, clear_written
from tifa.study.params import load_params
from tifa.study.provenance import corpus_files, write_provenance
from tifa.study.registry import NOTEBOOKS, write_index
from tifa.util.files import file_lock
from tifa.util.hashing import file_digest, sha256_bytes
from tifa.util.processes import exit_with_parent

log = logging.getLogger(__name__)

# Relative run time, for scheduling (longest first): 03 leads on large corpora (its K grid), 04 is long only
# with provinces and years (maps, curves); this order lets two processes finish together on both kinds.
NOTEBOOK_COST = {"05_topic_effects": 6, "03_topics": 5, "01_terms": 4, "04_diffusion": 3, "06_reuse": 3, "02_slogans": 2, "00_corpus": 1}


def run_study(
    corpus: str | Path | None = None,
    *,
    text_field: str = "text",
    id_field: str = "doc_id",
    out: str | Path | None = None,
    notebooks: tuple[str, ...] = NOTEBOOKS,
    n_jobs: int = 2,
    params: str | Path | None = None,
    cache: bool = True,
) -> Path:
    """Execute every notebook with papermill on ``corpus``; figures, tables, index and provenance go to ``out``.

    The corpus is loaded, cleaned and segmented once: the cleaned corpus is written
    to ``<out>/processed/`` (default ``build/study/processed/``) and the tokens to the
    token cache, and every notebook reads those. Notebooks run in ``n_jobs``
    processes; their outputs do not depend on it. Without ``out``: figures into
    ``figures/``, executed notebooks into ``build/notebooks/``. With ``out``:
    ``<out>/figures/`` and ``<out>/notebooks/``. ``params``: a YAML file of study
    parameters (see ``resources/study_params.yaml``). Files under version control
    are never edited (the notebooks are read, not rewritten).

    Everything is checked (parameters, lexicon, corpus, the folder) before a file is
    removed; then only the files the previous run recorded as written are removed
    (:mod:`tifa.study.outputs`). One run at a time writes into an output folder: a
    second one fails at once, saying so.

    With ``cache`` (default), a notebook whose inputs are unchanged since a run
    kept in the cache is restored, not executed, and so is the cleaned corpus
    (see :mod:`tifa.runs`); ``cache=False`` executes everything.
    """
    check_source(corpus if corpus is not None else config.DATA_DIR)  # a missing corpus creates no output folder (nor its lock)
    root = Path(out) if out else config.BUILD_DIR
    figures_dir = Path(out) / "figures" if out else config.FIGURES_DIR
    lock = root / ".study.lock"
    busy = f"{figures_dir}: another tifa study is writing into this folder (it holds {lock}). Wait until it has finished, or choose another --out."
    with file_lock(lock, wait=False, busy=busy):
        return _run_study(corpus, text_field=text_field, id_field=id_field, out=out, figures_dir=figures_dir, notebooks=notebooks, n_jobs=n_jobs, params=params, cache=cache)


def _run_study(corpus, *, text_field: str, id_field: str, out, figures_dir: Path, notebooks: tuple[str, ...], n_jobs: int, params, cache: bool) -> Path:
    from tifa.lexicon import load_lexicon
    from tifa.runs import RunCache, corpus_digest, input_digest, notebook_key
    from tifa.tokens import tokens

    # everything is checked before anything in the output folder changes
    params_arg = str(Path(params).resolve()) if params is not None else None
    settings = load_params(params_arg)
    load_lexicon(settings["lexicon"], mode=settings["lexicon_mode"])
    source = check_source(corpus if corpus is not None else config.DATA_DIR)
    corpus_arg = str(Path(corpus).resolve()) if corpus is not None else None
    check_output_folder(figures_dir)
    executed_dir = Path(out) / "notebooks" if out else config.BUILD_DIR / "notebooks"
    processed_dir = Path(out) / "processed" if out else config.BUILD_DIR / "study" / "processed"
    runs = RunCache() if cache else None
    corpus_key = corpus_digest(corpus_files(corpus_arg), text_field=text_field, id_field=id_field)
    loaded = _cleaned_corpus(source, corpus_key, runs, text_field=text_field, id_field=id_field, out_dir=processed_dir)
    study = Study.of(loaded, figures_dir, settings, params_path=params_arg)
    parameters = {
        "CORPUS": corpus_arg,
        "TEXT_FIELD": text_field,
        "ID_FIELD": id_field,
        "FIGURES_DIR": str(figures_dir.resolve()),
        "PROCESSED": str(processed_dir.resolve()),
        "PARAMS": params_arg,
    }
    where = ("FIGURES_DIR", "PROCESSED")  # where outputs go does not change them
    inputs = input_digest(settings)  # the files notebooks read outside the package and the corpus, by content
    keys = {
        name: notebook_key(config.NOTEBOOKS_DIR / f"{name}.ipynb", corpus_key, params_file=params_arg, parameters={k: v for k, v in parameters.items() if k not in where}, inputs=inputs)
        for name in notebooks
    }

    clear_written(figures_dir)
    executed_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}  # every file this run writes in the figures folder → SHA-256
    restored = set()
    for name in notebooks if runs is not None else ():
        files = _restore_notebook(runs, keys[name], executed_dir / f"{name}.ipynb", figures_dir, parameters)
        if files is not None:
            restored.add(name)
            written.update(files)
    # the longest notebooks first, so that two processes finish together
    ordered = sorted((n for n in notebooks if n not in restored), key=lambda name: NOTEBOOK_COST.get(name, 0), reverse=True)
    jobs = [(config.NOTEBOOKS_DIR / f"{name}.ipynb", executed_dir / f"{name}.ipynb", parameters) for name in ordered]
    for _, target, _ in jobs:
        journal_path(target).unlink(missing_ok=True)
    workers = min(n_jobs, len(jobs))
    pool = study_pool(workers, threads=max(1, (os.cpu_count() or 1) // workers)) if workers > 1 else None
    side = study_pool(1) if jobs else None
    try:
        if pool is not None:
            pool.submit(int)  # start the workers now: they import papermill while the corpus is segmented
        # the CJK font is cut to the study's characters in a side process while the corpus is segmented and
        # the notebooks start; a notebook that draws before the cut is done waits for it (a lock), not cuts it again
        font = side.submit(_cut_font, study.characters()) if side is not None else None
        if jobs:
            tokens(loaded, study.segmenter)  # fills the token cache every notebook reads
        if pool is not None:
            executed = list(pool.map(_execute_notebook, *zip(*jobs)))
        else:
            executed = [_execute_notebook(*job) for job in jobs]
        if font is not None:
            font.result()
    finally:
        for executor in (pool, side):
            if executor is not None:
                executor.shutdown()
    for name, (_, target, _), notebook_sha in zip(ordered, jobs, executed):
        own = read_journal(journal_path(target))  # what this notebook wrote, with the bytes it wrote
        journal_path(target).unlink(missing_ok=True)
        written.update(own)
        if runs is not None and notebook_sha is not None:
            files = {"notebook.ipynb": target, **{f"figures/{rel}": figures_dir / rel for rel in own}}
            runs.put(keys[name], files, digests={"notebook.ipynb": notebook_sha, **{f"figures/{rel}": sha for rel, sha in own.items()}})
    index = write_index(figures_dir, group=study.group, docs=study.docs)
    written[index.name] = file_digest(index)
    write_provenance(figures_dir, corpus_arg, text_field=text_field, id_field=id_field, params=settings, outputs=written)
    return figures_dir


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(threads: int) -> None:
    """Give the kernels this process starts at most ``threads`` BLAS/OpenMP threads, unless the user chose a number.

    Notebooks run side by side: with every kernel's BLAS spinning one thread per core,
    processes starve each other (the topic-model grid ran 2.5 times slower). Results
    do not depend on the number of threads (``tests/test_determinism.py``).
    """
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))


def _cleaned_corpus(source: Path, key: str, runs, *, text_field: str, id_field: str, out_dir: Path) -> Corpus:
    """The corpus cleaned (or restored from the run cache) and written to ``out_dir``."""
    loaded = None
    if runs is not None:
        with runs.lock(key):
            entry = runs.get(key)  # checked: every file as stored
            if entry is not None:
                try:
                    loaded = read_processed(entry)
                except (OSError, ValueError) as exc:  # a damaged Parquet file is an ArrowInvalid, a ValueError
                    runs.discard(key, f"cannot be read ({exc})")
                else:
                    loaded.source = display_path(source)
                    log.info("cleaned corpus restored from the run cache (%s unchanged)", source)
    cleaned = loaded is None
    if cleaned:
        loaded = load_corpus(source, text_field=text_field, id_field=id_field)
    written = write_processed(loaded, out_dir, corpus_path=source)
    if cleaned and runs is not None:
        own = {p.name: p for p in written if p.parent == Path(out_dir).resolve()}
        runs.put(key, own, digests={name: file_digest(p) for name, p in own.items()})
    return loaded


def _restore_notebook(runs, key: str, target: Path, figures_dir: Path, parameters: dict) -> dict[str, str] | None:
    """Restore an executed notebook and its outputs from the run cache (its parameters set to this run's).

    Returns the files written in ``figures_dir`` (name → SHA-256), or ``None`` when the run is not
    cached or its entry does not check out (then it is removed, with a warning, and executed again).
    Only where outputs go can differ from the cached run (every other parameter is in the key), so the
    lines of the injected parameters cell that set them are rewritten, as papermill writes them.
    The notebook is plain JSON: reading it needs neither nbformat nor papermill (2 s of imports).
    """
    from tifa.runs import write_files

    files = runs.read(key)  # every file checked against the SHA-256 stored with it
    if files is None:
        return None
    try:
        notebook = json.loads(files.get("notebook.ipynb", b"").decode("utf-8"))
    except ValueError as exc:
        notebook = str(exc)
    if not (isinstance(notebook, dict) and isinstance(notebook.get("cells"), list) and isinstance(notebook.get("metadata", {}).get("papermill"), dict)):
        runs.discard(key, f"holds no executed notebook ({str(notebook)[:80]})")
        return None
    outputs = {name.removeprefix("figures/"): data for name, data in files.items() if name.startswith("figures/")}
    write_files(outputs, figures_dir)
    for cell in notebook["cells"]:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            lines = "".join(cell["source"]).splitlines(keepends=True)
            for name, value in parameters.items():
                lines = [f"{name} = {_python_literal(value)}\n" if line.startswith(f"{name} = ") else line for line in lines]
            cell["source"] = lines
    notebook["metadata"]["papermill"].update(parameters=parameters, input_path=str(config.NOTEBOOKS_DIR / target.name), output_path=str(target))
    notebook["metadata"]["tifa"] = {"restored_from_run_cache": key}
    target.write_text(json.dumps(notebook, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    log.info("%s: inputs unchanged, restored from the run cache", target.stem)
    return {name: sha256_bytes(data) for name, data in outputs.items()}


def _python_literal(value: object) -> str:
    """A parameter value as papermill writes it in Python (strings escaped with unicode_escape, in double quotes)."""
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("utf-8").replace('"', r'\"') + '"'
    return repr(value)


def study_pool(workers: int, *, threads: int | None = None) -> ProcessPoolExecutor:
    """A pool of processes for the study that do not outlive it: each exits when this process dies (even by kill -9).

    ``threads``: the BLAS/OpenMP threads of the kernels a worker starts (:func:`limit_threads`);
    the workers import papermill once. Kernels watch their worker (ipykernel's parent poller)
    and exit with it.
    """
    return ProcessPoolExecutor(workers, initializer=_notebook_worker, initargs=(threads,))


def _notebook_worker(threads: int | None) -> None:
    """Start a process that executes notebooks: it exits with its parent, its kernels' thread limit, papermill imported once."""
    exit_with_parent()
    if threads is not None:
        limit_threads(threads)
        import papermill  # noqa: F401


def _cut_font(characters: str) -> Path:
    from tifa.figures import use_style

    return use_style(characters=characters)


def journal_path(target: Path) -> Path:
    """Where the kernel executing ``target`` records the files it writes (:func:`tifa.study.helper.record_written`)."""
    return target.with_name(f".{target.stem}.written.jsonl")


def _execute_notebook(source: Path, target: Path, parameters: dict) -> str:
    """Execute one notebook into ``target``; returns the executed copy's SHA-256 (what this run wrote)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    log.info("executing %s", source.name)
    before = os.environ.get(JOURNAL_ENV)
    os.environ[JOURNAL_ENV] = str(journal_path(target).resolve())  # the kernel inherits it
    try:
        papermill.execute_notebook(source, target, parameters=parameters, cwd=str(config.NOTEBOOKS_DIR), progress_bar=False,
                                   request_save_on_cell_execute=False, shutdown_kernel="immediate")
    except PapermillExecutionError as exc:
        raise StudyError(f"{target}: notebook {source.stem} failed ({exc.ename}: {exc.evalue}). The executed copy shows where; fix the input and run again.") from None
    finally:
        if before is None:
            os.environ.pop(JOURNAL_ENV, None)
        else:
            os.environ[JOURNAL_ENV] = before
    return file_digest(target)
