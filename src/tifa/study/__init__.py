"""The study as a build: run the notebooks on any corpus, registry of figures, tables, provenance, report.

Each notebook starts with a ``parameters`` cell (``CORPUS``, ``TEXT_FIELD``,
``FIGURES_DIR``) and makes a :class:`Study` from it; papermill sets them, so the
whole study reruns on another corpus without editing a file under version
control. The figure registry (``notebooks/figures.yaml``) declares every figure
and table once; ``figures/README.md`` and ``figures/provenance.json`` are
generated from it and from the inputs.

One module a job: :mod:`~tifa.study.registry` (what the study makes),
:mod:`~tifa.study.params` (its parameters), :mod:`~tifa.study.helper` (what a
notebook works with), :mod:`~tifa.study.provenance`, :mod:`~tifa.study.run`
(executing or restoring the notebooks) and :mod:`~tifa.study.report`.
"""

from tifa.study.helper import FEW_DOCUMENTS, MIN_PERIODS, SCREEN_DPI, Study, save_table, show_saved
from tifa.study.params import load_params
from tifa.study.provenance import KEY_LIBRARIES, corpus_files, provenance, write_provenance
from tifa.study.registry import NOTEBOOKS, Output, expected_files, figure_files, load_registry, notebook_outputs, write_index
from tifa.study.report import write_report
from tifa.study.run import NOTEBOOK_COST, THREAD_VARIABLES, limit_threads, run_study, study_pool

__all__ = [
    "FEW_DOCUMENTS", "KEY_LIBRARIES", "MIN_PERIODS", "NOTEBOOKS", "NOTEBOOK_COST", "SCREEN_DPI", "THREAD_VARIABLES",
    "Output", "Study", "corpus_files", "expected_files", "figure_files", "limit_threads", "load_params", "load_registry",
    "notebook_outputs", "provenance", "run_study", "save_table", "study_pool", "show_saved", "write_index", "write_provenance", "write_report",
]
