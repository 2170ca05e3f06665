"""The packaged national reports: checksums against the provenance record, one-call loading, rebuild from ../shared."""

import hashlib
import lzma

import pytest

from tifa import datasets


def test_packaged_file_matches_its_provenance_checksums():
    record = datasets.national_reports_provenance()
    packed = datasets.NATIONAL_REPORTS_XZ.read_bytes()
    assert hashlib.sha256(packed).hexdigest() == record["packaged"]["sha256"]
    assert len(packed) == record["packaged"]["bytes"]
    original = lzma.decompress(packed)
    assert hashlib.sha256(original).hexdigest() == record["original"]["sha256"]
    assert len(original.splitlines()) == record["records"]["total"] == 72
    assert record["records"]["with_year"] == 52 and record["records"]["without_year"] == 20
    assert "Art. 5" in record["licence"] and record["known_problems"]


def test_national_reports_load_in_one_call_cleaned_with_audit():
    corpus = datasets.national_reports()
    assert len(corpus) == 72 and corpus.source == datasets.NATIONAL_REPORTS_SOURCE
    assert corpus.docs["year"].notna().sum() == 52
    assert corpus.docs["year"].min() == 1954 and corpus.docs["year"].max() == 2025
    assert set(corpus.problems["doc_id"]) == set(corpus.docs.loc[corpus.docs["year"].isna(), "doc_id"])
    assert (corpus.audit["step"] == "remove_boilerplate").sum() >= 72  # Wikisource's licence footer, in every text
    assert not corpus.docs["text"].str.contains("政府工作报\n告").any()
    # independent copies: changing one does not change the next
    corpus.docs.loc[0, "text"] = "改"
    assert datasets.national_reports().docs.loc[0, "text"] != "改"


def test_a_damaged_package_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / "national_reports.jsonl.xz"
    damaged.write_bytes(lzma.compress(b'{"content": "\xe6\x94\xb9", "year": "2000"}\n'))
    monkeypatch.setattr(datasets, "NATIONAL_REPORTS_XZ", damaged)
    with pytest.raises(datasets.CorpusError, match="checksum differs"):
        datasets.national_reports_bytes()


@pytest.mark.shared
def test_rebuilding_from_shared_gives_the_same_bytes(gov_reports_path, tmp_path):
    xz_path, prov_path = datasets.build_national_reports(gov_reports_path, tmp_path)
    assert xz_path.read_bytes() == datasets.NATIONAL_REPORTS_XZ.read_bytes()
    assert prov_path.read_text(encoding="utf-8") == datasets.NATIONAL_REPORTS_PROVENANCE.read_text(encoding="utf-8")
