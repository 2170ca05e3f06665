"""Running the study: the corpus cleaned once, notebooks executed with papermill (or restored from the run cache), index and provenance."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from tifa import config
from tifa.corpus import Corpus, check_source, display_path, load_corpus, read_processed, write_processed
from tifa.errors import StudyError
from tifa.study.helper import Study
from tifa.study.params import load_params
from tifa.study.provenance import corpus_files, write_provenance
from tifa.study.registry import NOTEBOOKS, notebook_outputs, write_index
from tifa.util.hashing import file_digest

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

    With ``cache`` (default), a notebook whose inputs are unchanged since a run
    kept in the cache is restored, not executed, and so is the cleaned corpus
    (see :mod:`tifa.runs`); ``cache=False`` executes everything.
    """
    from concurrent.futures import ProcessPoolExecutor

    from tifa.runs import RunCache, corpus_digest, notebook_key
    from tifa.tokens import tokens

    source = check_source(corpus if corpus is not None else config.DATA_DIR)
    figures_dir = Path(out) / "figures" if out else config.FIGURES_DIR
    executed_dir = Path(out) / "notebooks" if out else config.BUILD_DIR / "notebooks"
    processed_dir = Path(out) / "processed" if out else config.BUILD_DIR / "study" / "processed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    corpus_arg = str(Path(corpus).resolve()) if corpus is not None else None
    _clear_outputs(figures_dir)
    params_arg = str(Path(params).resolve()) if params is not None else None
    settings = load_params(params_arg)
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
    lexicon_digest = file_digest(Path(settings["lexicon"])) if settings["lexicon"] else None  # the user's lexicon is an input too
    keys = {
        name: notebook_key(config.NOTEBOOKS_DIR / f"{name}.ipynb", corpus_key, params_file=params_arg, parameters={**{k: v for k, v in parameters.items() if k not in where}, "lexicon": lexicon_digest})
        for name in notebooks
    }
    restored = {name for name in notebooks if runs is not None and _restore_notebook(runs, keys[name], executed_dir / f"{name}.ipynb", figures_dir, parameters)}
    # the longest notebooks first, so that two processes finish together
    ordered = sorted((n for n in notebooks if n not in restored), key=lambda name: NOTEBOOK_COST.get(name, 0), reverse=True)
    jobs = [(config.NOTEBOOKS_DIR / f"{name}.ipynb", executed_dir / f"{name}.ipynb", parameters) for name in ordered]
    workers = min(n_jobs, len(jobs))
    pool = ProcessPoolExecutor(workers, initializer=_notebook_worker, initargs=(max(1, (os.cpu_count() or 1) // workers),)) if workers > 1 else None
    side = ProcessPoolExecutor(1) if jobs else None
    try:
        if pool is not None:
            pool.submit(int)  # start the workers now: they import papermill while the corpus is segmented
        # the CJK font is cut to the study's characters in a side process while the corpus is segmented and
        # the notebooks start; a notebook that draws before the cut is done waits for it (a lock), not cuts it again
        font = side.submit(_cut_font, study.characters()) if side is not None else None
        if jobs:
            tokens(loaded, study.segmenter)  # fills the token cache every notebook reads
        if pool is not None:
            list(pool.map(_execute_notebook, *zip(*jobs)))
        else:
            for job in jobs:
                _execute_notebook(*job)
        if font is not None:
            font.result()
    finally:
        for executor in (pool, side):
            if executor is not None:
                executor.shutdown()
    for name in ordered if runs is not None else ():
        files = {f"figures/{rel}": figures_dir / rel for rel in notebook_outputs(figures_dir, name, group=study.group, docs=study.docs)}
        runs.put(keys[name], {"notebook.ipynb": executed_dir / f"{name}.ipynb", **files})
    write_index(figures_dir, group=study.group, docs=study.docs)
    write_provenance(figures_dir, corpus_arg, text_field=text_field, id_field=id_field, params=settings)
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
    entry = runs.get(key) if runs is not None else None
    if entry is not None:
        try:
            loaded = read_processed(entry)
        except (OSError, ValueError) as exc:  # a damaged Parquet file is an ArrowInvalid, a ValueError
            runs.discard(key, f"cannot be read ({exc})")
            entry = None
        else:
            loaded.source = display_path(source)
            log.info("cleaned corpus restored from the run cache (%s unchanged)", source)
    if entry is None:
        loaded = load_corpus(source, text_field=text_field, id_field=id_field)
    written = write_processed(loaded, out_dir, corpus_path=source)
    if entry is None and runs is not None:
        runs.put(key, {p.name: p for p in written if p.parent == Path(out_dir).resolve()})
    return loaded


def _restore_notebook(runs, key: str, target: Path, figures_dir: Path, parameters: dict) -> bool:
    """Restore an executed notebook and its outputs from the run cache (its parameters set to this run's); ``False`` when not cached.

    Only where outputs go can differ from the cached run (every other parameter is in the key), so the
    lines of the injected parameters cell that set them are rewritten, as papermill writes them.
    The notebook is plain JSON: reading it needs neither nbformat nor papermill (2 s of imports).
    """
    entry = runs.get(key)
    if entry is None:
        return False
    try:
        notebook = json.loads((entry / "notebook.ipynb").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        notebook = str(exc)
    if not (isinstance(notebook, dict) and isinstance(notebook.get("cells"), list) and isinstance(notebook.get("metadata", {}).get("papermill"), dict)):
        runs.discard(key, f"holds no executed notebook ({str(notebook)[:80]})")
        return False
    runs.restore(entry, figures_dir, prefix="figures/")
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
    return True


def _python_literal(value: object) -> str:
    """A parameter value as papermill writes it in Python (strings escaped with unicode_escape, in double quotes)."""
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("utf-8").replace('"', r'\"') + '"'
    return repr(value)


def _clear_outputs(figures_dir: Path) -> None:
    """Remove the figures and tables of an earlier run, so that nothing stale survives a rebuild (a figure now skipped, a renamed one)."""
    for pattern in ("*.pdf", "*.png", "tables/*.csv", "tables/*.tex", "README.md", "provenance.json"):
        for path in figures_dir.glob(pattern):
            path.unlink()


def _notebook_worker(threads: int) -> None:
    """Start a process that executes notebooks: its kernels' thread limit, and papermill imported once."""
    limit_threads(threads)
    import papermill  # noqa: F401


def _cut_font(characters: str) -> Path:
    from tifa.figures import use_style

    return use_style(characters=characters)


def _execute_notebook(source: Path, target: Path, parameters: dict) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    log.info("executing %s", source.name)
    try:
        papermill.execute_notebook(source, target, parameters=parameters, cwd=str(config.NOTEBOOKS_DIR), progress_bar=False,
                                   request_save_on_cell_execute=False, shutdown_kernel="immediate")
    except PapermillExecutionError as exc:
        raise StudyError(f"{target}: notebook {source.stem} failed ({exc.ename}: {exc.evalue}). The executed copy shows where; fix the input and run again.") from None

