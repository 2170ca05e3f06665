"""Packaged datasets, each with a provenance record: loadable in one call as a cleaned :class:`~tifa.corpus.Corpus`.

``national_reports()``: the State Council's Government Work Reports 1954–2025 and
the NPC resolutions approving them, as transcribed on Chinese Wikisource (official
documents of state organs: outside copyright under Art. 5 of the PRC Copyright Law).
The file is shipped xz-compressed (``national_reports.jsonl.xz``); its provenance
(``national_reports.provenance.json``) records the source, the licence, the
sha256 of the original and of the packaged file, record counts and known problems.
It is the central reference of :func:`tifa.panel.slogan_adoption` (``central="national"``).
"""

from __future__ import annotations

import copy
import json
import lzma
import tempfile
from functools import lru_cache
from pathlib import Path

from tifa import config
from tifa.corpus import Corpus, load_corpus
from tifa.errors import CorpusError, MissingFileError
from tifa.util.hashing import sha256_bytes

DATASETS_DIR = Path(__file__).resolve().parent
NATIONAL_REPORTS_XZ = DATASETS_DIR / "national_reports.jsonl.xz"
NATIONAL_REPORTS_PROVENANCE = DATASETS_DIR / "national_reports.provenance.json"
NATIONAL_REPORTS_TEXT_FIELD = "content"
NATIONAL_REPORTS_SOURCE = "tifa.datasets:national_reports"

KNOWN_PROBLEMS = (
    "every text ends with Wikisource's public-domain notice (removed by cleaning: rule in resources/boilerplate.yaml)",
    "wiki links left line breaks inside words (政府工作报\\n告; repaired by cleaning: repair_line_breaks)",
    "the 1954 report is partly in traditional script (converted by cleaning: to_simplified)",
    "zero-width characters and full-width digits occur (removed / normalised by cleaning)",
    "the 1964 text is an abstract, not the full report",
    "the 20 NPC resolutions approving a report have year null (kept, without a year)",
    "no record for 1961-1963, 1965-1974 and 1976-1977 (no report in the source), nor for 1989-1991, 1996 and 2020 (absent from the Wikisource transcription)",
)


def national_reports_provenance() -> dict:
    """The provenance record of the packaged national reports (source, licence, checksums, counts, problems)."""
    if not NATIONAL_REPORTS_PROVENANCE.is_file():
        raise MissingFileError(f"{NATIONAL_REPORTS_PROVENANCE}: the provenance file of the national reports is missing; reinstall tifa or run tifa.datasets.build_national_reports()")
    return json.loads(NATIONAL_REPORTS_PROVENANCE.read_text(encoding="utf-8"))


def build_national_reports(source: str | Path = config.GOV_REPORTS_JSONL, out_dir: str | Path = DATASETS_DIR) -> list[Path]:
    """Package ``source`` (the Wikisource JSONL of ``../shared``): xz-compressed copy and provenance record.

    The compressed bytes depend only on the input (fixed preset, no timestamps), so
    rebuilding from the same file gives the same checksum.
    """
    source = Path(source)
    if not source.is_file():
        raise MissingFileError(f"{source}: no such file. Pass the path of government_work_reports.jsonl (../shared/corpus/gov-work-reports/).")
    original = source.read_bytes()
    packed = lzma.compress(original, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9 | lzma.PRESET_EXTREME)
    records = [json.loads(line) for line in original.decode("utf-8").splitlines() if line.strip()]
    years = sorted(int(r["year"]) for r in records if r.get("year") not in (None, ""))
    record = {
        "name": "national_reports",
        "title": "Government Work Reports of the State Council of the PRC, 1954-2025, and the NPC resolutions approving them",
        "source": "Chinese Wikisource (zh.wikisource.org); each record keeps the URL of its page in `url`",
        "source_url_pattern": "https://zh.wikisource.org/wiki/<YYYY>年中华人民共和国国务院政府工作报告",
        "licence": (
            "Public domain: official documents of state organs (laws, regulations, resolutions, decisions, orders and other "
            "documents of a legislative, administrative or judicial nature) are not protected by the Copyright Law of the PRC "
            "(Art. 5); Wikisource marks every text as public domain."
        ),
        "fields": {"title": "page title", "url": "Wikisource page", "content": "the text (tifa's text_field)", "year": "year of the report (string), null for resolutions"},
        "original": {"file": source.name, "sha256": sha256_bytes(original), "bytes": len(original)},
        "packaged": {"file": NATIONAL_REPORTS_XZ.name, "compression": "xz (preset 9e, CRC64)", "sha256": sha256_bytes(packed), "bytes": len(packed)},
        "records": {"total": len(records), "with_year": len(years), "without_year": len(records) - len(years), "first_year": years[0], "last_year": years[-1]},
        "known_problems": list(KNOWN_PROBLEMS),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xz_path, prov_path = out_dir / NATIONAL_REPORTS_XZ.name, out_dir / NATIONAL_REPORTS_PROVENANCE.name
    xz_path.write_bytes(packed)
    prov_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [xz_path, prov_path]


def national_reports_bytes(*, verify: bool = True) -> bytes:
    """The original JSONL bytes, decompressed (and, by default, checked against both checksums of the provenance)."""
    if not NATIONAL_REPORTS_XZ.is_file():
        raise MissingFileError(f"{NATIONAL_REPORTS_XZ}: the packaged national reports are missing; reinstall tifa or run tifa.datasets.build_national_reports()")
    packed = NATIONAL_REPORTS_XZ.read_bytes()
    data = lzma.decompress(packed)
    if verify:
        record = national_reports_provenance()
        for what, blob in (("packaged", packed), ("original", data)):
            if sha256_bytes(blob) != record[what]["sha256"]:
                raise CorpusError(f"{NATIONAL_REPORTS_XZ}: the {what} checksum differs from {NATIONAL_REPORTS_PROVENANCE.name}; the file is damaged: reinstall tifa or rebuild it with tifa.datasets.build_national_reports()")
    return data


@lru_cache(maxsize=1)
def _national_reports() -> Corpus:
    with tempfile.TemporaryDirectory(prefix="tifa-national-") as tmp:
        path = Path(tmp) / "national_reports.jsonl"  # the file stem names the records: national_reports-0001 …
        path.write_bytes(national_reports_bytes())
        corpus = load_corpus(path, text_field=NATIONAL_REPORTS_TEXT_FIELD, progress=False)
    corpus.source = NATIONAL_REPORTS_SOURCE
    return corpus


def national_reports() -> Corpus:
    """The national Government Work Reports 1954–2025 (and approving resolutions), cleaned, with the cleaning audit.

    72 documents ``national_reports-0001`` …, docvars ``title``, ``url``, ``year``
    (null for the 20 resolutions, reported in ``corpus.problems``). Loaded and
    cleaned once per process; every call returns an independent copy.
    """
    return copy.deepcopy(_national_reports())
