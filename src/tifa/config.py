"""Every path and default parameter of the project, in one place.

Paths derive from the package location (src layout: ``<root>/src/tifa``),
never from the working directory, so notebooks, the CLI and tests agree.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"
PROJECT_ROOT = PACKAGE_DIR.parent.parent

DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
METADATA_CSV = DATA_DIR / "metadata.csv"
PROCESSED_DIR = DATA_DIR / "processed"
CACHE_DIR = Path(os.environ.get("TIFA_CACHE_DIR") or PROCESSED_DIR).resolve()  # token cache (and later caches)
CACHE_ENTRIES = ("token_cache", "stores", "fonts", "user_words", "runs")  # the folders tifa keeps under CACHE_DIR
FIGURES_DIR = Path(os.environ.get("TIFA_FIGURES_DIR") or PROJECT_ROOT / "figures").resolve()
SHARED_DIR = PROJECT_ROOT.parent / "shared"
GOV_REPORTS_JSONL = SHARED_DIR / "corpus" / "gov-work-reports" / "government_work_reports.jsonl"

BOILERPLATE_YAML = RESOURCES_DIR / "boilerplate.yaml"
REGIONS_CSV = RESOURCES_DIR / "regions.csv"
CONTIGUITY_CSV = RESOURCES_DIR / "province_contiguity.csv"  # provincial-level units sharing a land boundary (source in its header)
STYLE_SHEET = RESOURCES_DIR / "tifa.mplstyle"
STUDY_PARAMS = RESOURCES_DIR / "study_params.yaml"  # the study's default parameters (schema at its top)

# Cleaning defaults (documented in README "Cleaning").
TRADITIONAL_SHARE = 0.05  # convert when >= 5 % of Han characters change under t2s
MIN_DUPLICATE_PARAGRAPH_CHARS = 15  # shorter repeated lines ("同志们:") are kept
PARAGRAPH_MAX_CHARS = 1500  # longer lines (one-line scrapes) are split; the longest paragraph of the national reports has 1,253
PARAGRAPH_CHUNK_SENTENCES = 5  # a piece still longer is cut into chunks of this many sentences
HEADING_MAX_CHARS = 40  # a heading (一、… （一）…) is cut to this many characters in section paths
FRONT_MAX_CHARS = 100  # title, delivery line and speaker before the text: short lines without a sentence end
DEFAULT_PARTS = ("front", "body")  # parts counted and modelled by default; appendices (名词解释 …) are kept but left out

# Corpus input.
YEAR_RANGE = (1000, 2999)  # a year or date outside is a typo (0000, 20016, 1e20) and is refused
BIG5_MARGIN = 0.25  # Big5 over GB18030 only when its share of common characters is this much higher

# Figures.
FIGURE_FORMATS = ("pdf", "png")
FIGURE_DPI = 300
PAGE_SIZE = (7.5, 9.65)  # inches: the largest figure a journal page takes (2250 × 2895 px at 300 dpi)
PANELS_PER_PAGE = 12  # small multiples beyond this are split into numbered figures (<name>_p1, _p2 …)
WORDCLOUD_MAX_GROUPS = 6  # word clouds of more groups than this say little: the study draws a chosen subset or none
ANNOTATE_MIN_CELL = (0.28, 0.16)  # inches (width, height): heatmap cells smaller than this are not annotated
LABEL_LANG = "en"  # "en", "zh" or "both": place names and level labels in figures

# Lexicons (data files with their schema at the top).
LEXICON_DIR = DATA_DIR / "lexicon"
SLOGANS_YAML = LEXICON_DIR / "slogans.yaml"
DOMAIN_TERMS = LEXICON_DIR / "domain_terms.txt"
STOPWORDS_EXTRA = LEXICON_DIR / "stopwords_extra.txt"
STOPWORDS_GENRE = LEXICON_DIR / "stopwords_genre.txt"
COMPOUNDS = LEXICON_DIR / "compounds.txt"

# Tokens.
TOKEN_CACHE_DIR = CACHE_DIR / "token_cache"
MIN_TOKEN_CHARS = 2  # single characters (的, 要, 党 …) are dropped by default
CONTENT_POS = ("n", "v", "a", "i", "l", "j")  # jieba tag prefixes kept by pos="content"
COMPOUND_MIN_COUNT = 5  # tifa compounds: a run of tokens must occur this often
COMPOUND_MIN_BINDING = 0.5  # … take at least half of the occurrences of its rarest part
COMPOUND_MIN_ENTROPY = 1.0  # … and have free edges (bits of branching entropy on both sides)
KEYNESS_MIN_COUNT = 1  # keep every term; five short documents leave few counts above 1
RANDOM_STATE = 20161  # every random process (word clouds, later topic models)
# Orderings: floats are compared rounded to this many decimals, so that last-bit differences between
# CPUs (SIMD paths of log/exp, BLAS kernels) cannot reorder tied rows; ties then go to the next key.
SORT_DECIMALS = 9

# Topic models (notebook 03, tifa topics).
TOPIC_LABELS_YAML = LEXICON_DIR / "topic_labels.yaml"
TOPIC_UNIT = "paragraph"
TOPIC_SENTENCE_WINDOW = 3  # sentences per unit with unit="sentence"
TOPIC_MIN_TOKENS = 10  # shorter units (headings, datelines) are left out
TOPIC_MIN_DF = 2  # a term must occur in at least 2 units
TOPIC_MAX_DF = 0.95
TOPIC_LDA_ITER = 50
TOPIC_NMF_ITER = 1000
TOPIC_SEEDS = (RANDOM_STATE, RANDOM_STATE + 1, RANDOM_STATE + 2)
TOPIC_TOP_N = 10
TOPIC_MIN_STABILITY = 0.5
TOPIC_BOOTSTRAP = 1000
TOPIC_RESAMPLE = "document"  # prevalence intervals resample documents (with all their units) within groups
TOPIC_MIN_BOOT_DOCUMENTS = 5  # fewer documents in a group: no interval (the bootstrap of 2-4 documents is a few distinct means)
TOPIC_SUBSAMPLE = 0.8  # share of units each stability refit sees (drawn with its seed)
# Structural topic models (tifa.stm, tifa.effects, notebook 05): stm's defaults where it has one.
STM_MAX_ITER = 500  # EM iterations at most (stm: max.em.its = 500)
STM_TOL = 1e-5  # relative change of the bound that stops EM (stm: emtol = 1e-5)
STM_SPLINE_DF = 10  # s(x): cubic B-spline with min(10, distinct values - 1) degrees of freedom (stm's s())
STM_NSIMS = 25  # draws of theta from the variational posterior (stm's estimateEffect: nsims = 25)
STM_COEF_DRAWS = 100  # coefficient draws per theta draw for expected values and contrasts (stm's plot: 100)
STM_HELDOUT_SHARE = 0.1  # units that lose half their words to score K (stm's make.heldout: 10 %)
STM_MIN_DOCUMENTS = 20  # covariate effects with document-clustered intervals need at least this many documents

# The study as a build.
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
FIGURE_REGISTRY = NOTEBOOKS_DIR / "figures.yaml"
BUILD_DIR = PROJECT_ROOT / "build"
REPORT_HTML = BUILD_DIR / "report" / "tifa_study.html"
TABLE_DECIMALS = 2  # floats in written tables (rates, G², shares); p-values in scientific notation

# Slogans across provinces and years (tifa.panel, notebook 04).
PANEL_DECIMALS = 6  # floats in exported panels (CSV, Parquet, Stata): rates per 10k keep their small values
PANEL_CONF = 0.95  # exact Poisson intervals of rates, model intervals
REGION_ORDER = ("East", "Central", "West", "Northeast")  # NBS four-region division, in its usual order

# Large corpora: the corpus store and the engines (tifa.store, tifa.engine; README "Large corpora").
STORE_DIR = CACHE_DIR / "stores"  # stores the CLI builds for --engine stream|dask when no --store is given
STORE_PARTITION_ROWS = 500  # documents per partition: ~25 MB of text for documents the size of the national reports
STORE_PARTITION_MB = 4  # and at most this much text (UTF-8) per partition, so that a corpus of few long documents streams too
STREAM_THRESHOLD_MB = 50  # --engine auto: corpora (files or folders of text) larger than this run streamed
PARALLEL_MIN_MB = 200  # the streamed engine cleans and runs steps on every core above this much input (below, the processes' own memory does not pay)
DASK_WORKERS = 2  # LocalCluster of --engine dask without --scheduler: processes=True, one thread each, no dashboard
