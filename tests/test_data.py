"""The embedded corpus: raw files byte-identical to the seeds, metadata as established from the texts."""

import hashlib

import pandas as pd
import pytest

from tifa import config

from .conftest import GANZHOU, HENGSHUI, HUNAN, QINGHAI, SEED_SHA256, SHANGLUO


def test_raw_files_are_the_seeds_byte_for_byte():
    files = sorted(p.name for p in config.RAW_DIR.glob("*.txt"))
    assert files == sorted(SEED_SHA256)
    for name, digest in SEED_SHA256.items():
        assert hashlib.sha256((config.RAW_DIR / name).read_bytes()).hexdigest() == digest, name


def test_raw_files_equal_shared_seeds_when_present():
    shared = config.SHARED_DIR / "corpus" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared is absent")
    for name in SEED_SHA256:
        assert (config.RAW_DIR / name).read_bytes() == (shared / name).read_bytes(), name


@pytest.fixture(scope="module")
def metadata():
    return pd.read_csv(config.METADATA_CSV, dtype=str, keep_default_na=False).set_index("doc_id")


def test_metadata_columns(metadata):
    assert list(metadata.reset_index().columns) == [
        "doc_id", "file", "title", "province", "city", "level", "date", "year",
        "genre", "speaker_or_organ", "source_site", "sha256", "notes",
    ]
    assert all(metadata["notes"].str.len() > 40), "every row says how date and place were established"


def test_metadata_checksums_match_raw_files(metadata):
    for doc_id, row in metadata.iterrows():
        assert row["sha256"] == SEED_SHA256[row["file"].removeprefix("raw/")], doc_id


@pytest.mark.parametrize(
    ("doc_id", "province", "city", "level", "date", "year", "genre"),
    [
        (HUNAN, "湖南省", "", "province", "2016-08-31", "2016", "meeting_report"),
        (HENGSHUI, "河北省", "衡水市", "prefecture", "", "2016", "speech"),
        (QINGHAI, "青海省", "", "province", "2017-12-24", "2017", "meeting_report"),
        (GANZHOU, "江西省", "赣州市", "prefecture", "", "2014", "speech"),
        (SHANGLUO, "陕西省", "商洛市", "prefecture", "2022-10-12", "2022", "meeting_report"),
    ],
)
def test_metadata_facts(metadata, doc_id, province, city, level, date, year, genre):
    row = metadata.loc[doc_id]
    assert (row["province"], row["city"], row["level"], row["date"], row["year"], row["genre"]) == (
        province, city, level, date, year, genre,
    )


def test_ganzhou_year_is_the_event_not_the_page_date(metadata, raw_texts):
    raw = raw_texts[GANZHOU]
    assert "时间:2018-07-13" in raw and "2014年10月9日至2015年1月15日" in raw
    assert metadata.loc[GANZHOU, "year"] == "2014"
