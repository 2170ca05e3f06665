# tifa — the pipeline map. `make help` lists every target.
# The environment (.venv) is created or updated from requirements.lock whenever needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXECUTE := $(BIN)/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.record_timing=False

export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
.PHONY: help env corpus figures report notebooks lab test fuzz faults mutation bench bench-scale lock clean

help: ## list every target with what it does
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 cannot create a virtual environment here: installing Debian's python3-venv"; \
	  rm -rf $(VENV); $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name tifa --display-name "Python (tifa)" >/dev/null
	@touch $(STAMP)

env: $(STAMP) ## create or update the environment (.venv) from requirements.lock

corpus: $(STAMP) ## clean the embedded corpus into data/processed/ (Parquet, audit, one .txt per document)
	$(BIN)/tifa build

CORPUS ?=
TEXT_FIELD ?= text
OUT ?=
PARAMS ?=

figures: corpus ## run the study (every notebook, via papermill); CORPUS=path TEXT_FIELD=name OUT=dir PARAMS=file.yaml run it on another corpus
	$(BIN)/tifa study $(if $(CORPUS),--corpus $(CORPUS)) --text-field $(TEXT_FIELD) $(if $(OUT),--out $(OUT)) $(if $(PARAMS),--params $(PARAMS))

report: figures ## one HTML page of the executed notebooks with their figures (build/report/, or OUT/report/)
	$(BIN)/tifa report $(if $(OUT),--out $(OUT))

lab: $(STAMP) ## open JupyterLab on the notebooks with the project's kernel ("Python (tifa)")
	$(BIN)/jupyter lab --notebook-dir=notebooks

notebooks: corpus ## re-execute the notebooks in place, refreshing the outputs that nbval compares
	$(EXECUTE) --inplace $(NOTEBOOKS)

# make test runs numpy and OpenBLAS on their baseline x86-64 code paths (no AVX2/AVX-512, one BLAS thread), so
# that the figures it regenerates are compared byte for byte with figures made on a machine with the full
# dispatch: outputs must not depend on the CPU.
LOW_CPU := $(if $(filter x86_64,$(shell uname -m)),NPY_DISABLE_CPU_FEATURES="AVX512_SPR AVX512_ICL X86_V4 X86_V3" OPENBLAS_CORETYPE=Nehalem OPENBLAS_NUM_THREADS=1)

test: $(STAMP) ## run all tests: nbval over notebooks/ (each notebook executed once), figure regression against its figures, unit and integration tests
	rm -rf build/nbval-figures
	$(LOW_CPU) TIFA_FIGURES_DIR=$(CURDIR)/build/nbval-figures $(BIN)/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg --durations=10 notebooks tests

fuzz: $(STAMP) ## fuzz the readers and the command line with thousands of generated hostile corpora (Hypothesis profile fuzz, memory vs stream, some Dask); prints the counts (build/fuzz-counts.json)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz
	@cat build/fuzz-counts.json

faults: $(STAMP) ## kill -9 at random points of builds, concurrent store builds, a file-size limit: each rerun must equal a clean build; prints the counts
	$(BIN)/python bench/faults.py

mutation: $(STAMP) ## mutation testing (slow, not in make test): the named breakages, then mutmut over clean/stats/slogans/topics with kill rates
	$(BIN)/python tests/mutations/check_mutations.py
	$(BIN)/python tests/mutations/mutation_run.py --max-children 2

bench: $(STAMP) ## print speed figures (cleaning, segmentation, slogans, the whole study as ratios to jieba); national examples into build/examples/ (needs ../shared)
	$(BIN)/python bench/clean.py
	$(BIN)/python bench/segment.py
	$(BIN)/python bench/slogans.py
	$(BIN)/python bench/study.py
	$(BIN)/python bench/national_timeline.py
	$(BIN)/python bench/topics_national.py

bench-scale: $(STAMP) ## time and peak memory of the in-memory, streamed and Dask paths on 50 MB, 200 MB and 1 GB corpora (long; needs ../shared)
	$(BIN)/python bench/scale.py

lock: $(STAMP) ## rewrite requirements.lock from the current environment (after changing pyproject.toml)
	@{ head -n 2 requirements.lock; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^tifa'; } > requirements.lock.new
	@mv requirements.lock.new requirements.lock

clean: ## remove derived data and build outputs (not figures/, not the environment)
	rm -rf data/processed build
