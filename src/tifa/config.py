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
FIGURES_DIR = Path(os.environ.get("TIFA_FIGURES_DIR", PROJECT_ROOT / "figures"))
SHARED_DIR = PROJECT_ROOT.parent / "shared"
GOV_REPORTS_JSONL = SHARED_DIR / "corpus" / "gov-work-reports" / "government_work_reports.jsonl"

BOILERPLATE_YAML = RESOURCES_DIR / "boilerplate.yaml"
REGIONS_CSV = RESOURCES_DIR / "regions.csv"
STYLE_SHEET = RESOURCES_DIR / "tifa.mplstyle"

# Cleaning defaults (documented in README "Cleaning").
TRADITIONAL_SHARE = 0.05  # convert when >= 5 % of Han characters change under t2s
MIN_DUPLICATE_PARAGRAPH_CHARS = 15  # shorter repeated lines ("同志们:") are kept

# Figures.
FIGURE_FORMATS = ("pdf", "png")
FIGURE_DPI = 300
LABEL_LANG = "en"  # "en", "zh" or "both": place names and level labels in figures
