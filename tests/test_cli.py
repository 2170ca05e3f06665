"""The ``tifa`` command as a user runs it."""

import io
import subprocess
import sys

import pandas as pd
import pytest

from tifa import config, load_corpus
from tifa.cli import main
from tifa.stats import build_dfm, textstat_keyness
from tifa.tokens import tokens

from .conftest import GANZHOU, HENGSHUI, HUNAN, QINGHAI, SHANGLUO


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_csv_shows_the_seed_facts(capsys):
    code, out, _ = run(capsys, "corpus", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype={"year": "Int64"}, keep_default_na=False).set_index("doc_id")
    assert list(table.columns[:9]) == ["province", "city", "level", "year", "genre", "n_chars", "n_lines_removed", "n_pinyin_removed", "converted_script"]
    assert table.loc[HUNAN, ["province", "city", "level", "year", "genre"]].tolist() == ["湖南省", "", "province", 2016, "meeting_report"]
    assert table.loc[HENGSHUI, ["province", "city", "level", "year"]].tolist() == ["河北省", "衡水市", "prefecture", 2016]
    assert table.loc[QINGHAI, ["year", "converted_script"]].tolist() == [2017, True]
    assert table.loc[GANZHOU, "year"] == 2014
    assert table.loc[SHANGLUO, ["city", "year", "n_lines_removed"]].tolist() == ["商洛市", 2022, 5]


def test_corpus_table_format(capsys):
    code, out, _ = run(capsys, "corpus")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["doc_id", "province", "city"]
    assert len(out.splitlines()) == 6


def test_bad_corpus_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "corpus", "--corpus", str(tmp_path / "nope.jsonl"))
    assert code == 2
    assert "nope.jsonl: no such file or folder" in err


def test_build_writes_processed_corpus(capsys, tmp_path):
    code, _, err = run(capsys, "build", "--out", str(tmp_path))
    assert code == 0 and "cleaned 5 documents (15 lines removed" in err
    assert (tmp_path / "corpus.parquet").is_file() and len(list((tmp_path / "texts").glob("*.txt"))) == 5


def test_installed_console_script():
    result = subprocess.run([sys.executable, "-m", "tifa.cli", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("tifa ")


def test_gov_reports_through_the_cli(capsys, gov_reports_path):
    code, out, err = run(capsys, "corpus", "--corpus", str(gov_reports_path), "--text-field", "content", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype={"year": "Int64"})
    assert len(table) == 72 and table["year"].notna().sum() == 52
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == ["note: 20 data problems (20 × no year or date); -v lists them, corpus.problems in Python"], "one summary line"
    code, _, err = run(capsys, "-v", "corpus", "--corpus", str(gov_reports_path), "--text-field", "content", "--format", "csv")
    assert code == 0 and err.count("no year or date") == 21, "-v lists each problem under the summary"
    assert "关于政府工作报告的决议" in err, "the year-less records are named"


def test_freq_by_province(capsys):
    code, out, _ = run(capsys, "freq", "--by", "province", "--top", "20", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == ["province", "term", "count", "rank", "per_10k", "docfreq", "dp", "dp_norm"]
    assert table.groupby("province").size().tolist() == [20] * 5
    hebei = table[table.province == "河北省"].iloc[0]
    raw = (config.RAW_DIR / f"{HENGSHUI}.txt").read_text(encoding="utf-8")
    assert hebei["term"] == "整改" and hebei["rank"] == 1
    assert 0 < hebei["count"] <= raw.count("整改"), "tokens can only be fewer than string matches (整改方案 is its own term)"


def test_keyness_for_hunan(capsys):
    code, out, _ = run(capsys, "keyness", "--by", "province", "--target", "湖南省", "--top", "30", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns[:6]) == ["term", "target_count", "reference_count", "g2", "p", "log_ratio"]
    assert len(table) == 30 and table["g2"].is_monotonic_decreasing
    api = textstat_keyness(build_dfm(tokens(load_corpus())), "湖南省", by="province").head(30)
    assert table["term"].tolist() == api["term"].tolist() and table["target_count"].tolist() == api["target_count"].tolist()
    top = table.iloc[0]
    assert top["reference_count"] == 0 and top["target_count"] == table["target_count"][table["reference_count"] == 0].max(), "the strongest marker: the most frequent term no other province uses"


def test_keyness_unknown_group_is_a_clear_error(capsys):
    code, _, err = run(capsys, "keyness", "--by", "province", "--target", "广东省")
    assert code == 2 and "no group '广东省'" in err


def test_keyness_on_the_national_reports(capsys, gov_reports_path):
    code, out, _ = run(capsys, "keyness", "--corpus", str(gov_reports_path), "--text-field", "content", "--by", "year", "--target", "2025", "--backend", "rjieba", "--no-hmm", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 30 and (table["g2"] > 0).all() and (table["direction"] == "over").all()


def test_slogans_by_province(capsys):
    code, out, _ = run(capsys, "slogans", "--by", "province", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns[:4]) == ["province", "slogan", "count", "per_10k"]
    assert table.set_index(["province", "slogan"]).loc[("青海省", "党政同责"), "count"] == 1
    assert (table["count"] > 0).all()


def test_slogans_by_written_form(capsys, tmp_path):
    text = "贯彻新发展理念，坚持新发展理念，落实五大发展理念。"
    (tmp_path / "c.jsonl").write_text(f'{{"doc_id": "a", "year": 2020, "text": "{text}"}}\n', encoding="utf-8")
    code, out, _ = run(capsys, "slogans", "--forms", "--corpus", str(tmp_path / "c.jsonl"), "--format", "csv")
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(table.columns[:4]) == ["doc_id", "slogan", "form", "count"]
    assert table.set_index("form").loc[["新发展理念", "五大发展理念"], "count"].tolist() == [text.count("新发展理念"), text.count("五大发展理念")]


def test_kwic_and_discover(capsys):
    code, out, _ = run(capsys, "kwic", "党政同责", "--window", "15", "--format", "csv")
    hits = pd.read_csv(io.StringIO(out))
    assert code == 0 and hits["match"].tolist() == ["党政同责", "党政同责"]
    assert hits["left"].str.len().tolist() == [15, 15]
    code, out, _ = run(capsys, "discover", "--top", "30", "--format", "csv")
    assert code == 0 and pd.read_csv(io.StringIO(out))["candidate"].tolist() == ["建言献策", "军令状"]


def test_anachronisms_command(capsys):
    code, out, err = run(capsys, "anachronisms")
    assert code == 0 and "(no rows)" in out and "0 anachronistic mentions" in err


def test_topics_command(capsys):
    code, out, err = run(capsys, "topics", "--k", "5", "--method", "nmf", "--format", "csv")
    assert code == 0 and "nmf-5:" in err
    table = pd.read_csv(io.StringIO(out))
    assert table["topic"].tolist() == [0, 1, 2, 3, 4] and table["prevalence"].sum() == pytest.approx(1.0)
    central = table[table["top_terms"].str.split().map(lambda terms: "中央环保督察" in terms)]
    assert central["label"].tolist() == ["Rectification after central inspection"], "labels from topic_labels.yaml follow their terms"
    code, out, _ = run(capsys, "topics", "--k", "5", "--by", "province", "--format", "csv")
    prev = pd.read_csv(io.StringIO(out))
    assert list(prev.columns) == ["province", "topic", "label", "prevalence", "ci_low", "ci_high", "n_units", "n_docs"]
    assert prev[["ci_low", "ci_high"]].isna().all().all(), "one document per province: no interval about documents"
    assert prev.groupby("province")["prevalence"].sum().round(6).eq(1).all()
