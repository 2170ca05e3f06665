"""The study as a build: registry, figure regression, byte-stable PDFs, tables, provenance, HTML report."""

import json
import os
import shutil

import pytest
from matplotlib.testing.compare import compare_images

from tifa import config
from tifa.study import Study, expected_files, load_registry, provenance, run_study, write_report

FIGURES = config.PROJECT_ROOT / "figures"


def committed_outputs() -> set[str]:
    return {str(p.relative_to(FIGURES)) for p in FIGURES.rglob("*") if p.is_file() and p.name not in ("README.md", "provenance.json")}


def test_every_file_in_figures_is_registered_and_every_registered_figure_exists():
    registry = load_registry()
    expected = expected_files(registry, group="province", docs="document")
    assert committed_outputs() - expected == set(), "files in figures/ that notebooks/figures.yaml does not declare"
    assert expected - committed_outputs() == set(), "declared figures or tables missing from figures/"


def test_figure_index_lists_every_figure_with_its_caption():
    index = (FIGURES / "README.md").read_text(encoding="utf-8")
    for out in load_registry():
        name = out.filename("province", "document")
        assert f"## {name}" in index or f"## Table: {name}" in index, name
        assert out.caption in index, name
        if out.kind == "figure":
            assert f'<img src="{name}.png"' in index


def test_write_index_gives_every_output_its_caption(tmp_path):
    from tifa.study import write_index

    registry = load_registry()
    index = write_index(tmp_path, registry=registry).read_text(encoding="utf-8")
    for out in registry:
        name = out.filename("province", "document")
        section = index.split(f"## {name}\n" if out.kind == "figure" else f"## Table: {name}\n", 1)[1].split("\n## ", 1)[0]
        assert out.caption in section, name


def test_registry_errors(tmp_path):
    path = tmp_path / "figures.yaml"
    path.write_text("figures:\n  - {name: a_b, notebook: x}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks \\['caption'\\]"):
        load_registry(path)


def test_provenance_is_current_and_has_no_timestamps_or_machine_paths():
    record = provenance()
    stored = (FIGURES / "provenance.json").read_text(encoding="utf-8")
    assert json.loads(stored) == record, "figures/provenance.json is stale: run make figures"
    assert record["random_seeds"]["random_state"] == config.RANDOM_STATE
    assert set(record["corpus"]) == {"metadata.csv", *(f"raw/{p.name}" for p in config.RAW_DIR.glob("*.txt"))}
    assert "slogans.yaml" in record["lexicons"] and record["user_dictionary"]["words"] > 100
    assert str(config.PROJECT_ROOT) not in stored and "date" not in record


def test_a_corpus_without_provinces_is_grouped_by_decade(tmp_path, capsys):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"content": "会议强调要落实党政同责。" * 3, "year": y}, ensure_ascii=False) for y in (1995, 2004, 2016)), encoding="utf-8")
    study = Study.from_parameters(str(path), "content", str(tmp_path / "figs"))
    assert study.group == "decade" and study.docs == "document"
    assert not study.has("province") and study.has("year")
    study.skip("documents_by_province_and_year", "no province docvar")
    assert "skipped documents_by_province_and_year: no province docvar" in capsys.readouterr().out


# --- regenerate everything once, compare with what is committed ------------------------------


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    run_study(out=out)
    return out


def test_figures_regenerate_like_the_committed_ones(rebuilt):
    fresh = rebuilt / "figures"
    for png in sorted(FIGURES.glob("*.png")):
        result = compare_images(str(png), str(fresh / png.name), tol=config.PNG_TOLERANCE)
        assert result is None, f"{png.name} differs from the committed figure: {result}"


def test_pdfs_tables_and_provenance_are_byte_stable(rebuilt):
    fresh = rebuilt / "figures"
    for path in sorted(FIGURES.rglob("*")):
        if path.is_file() and path.suffix in (".pdf", ".csv", ".tex", ".json"):
            assert path.read_bytes() == (fresh / path.relative_to(FIGURES)).read_bytes(), path.name


def test_regression_check_catches_a_colour_change(tmp_path):
    import matplotlib.pyplot as plt

    from tifa.plots import save_figure, use_style

    use_style()
    for colour, folder in (("C0", "a"), ("C1", "b")):
        fig, ax = plt.subplots()
        ax.bar([0, 1], [1, 2], color=colour)
        save_figure(fig, "bars_in_colour", out_dir=tmp_path / folder)
        plt.close(fig)
    assert compare_images(str(tmp_path / "a" / "bars_in_colour.png"), str(tmp_path / "b" / "bars_in_colour.png"), tol=config.PNG_TOLERANCE) is not None


def test_study_leaves_version_controlled_files_alone(rebuilt):
    for name in ("00_corpus", "01_terms", "02_slogans", "03_topics"):
        executed = (rebuilt / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert '"papermill"' in executed, "executed copies carry papermill's record"
        assert '"papermill"' not in (config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8")


# --- the HTML report in a real browser ----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_chromium_with_chinese_text_and_all_images(rebuilt, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (installed by .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    html = write_report(rebuilt / "notebooks", tmp_path / "report.html")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page()
        page.goto(html.as_uri(), wait_until="domcontentloaded")
        page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=30_000)
        text = page.inner_text("body")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        page.screenshot(path=str(tmp_path / "report.png"))
        browser.close()
    assert "提法" in text and "党政同责" in text and "两学一做" in text
    assert "00 · The corpus" in text and "03 · Topics and their prevalence" in text
    assert len(images) >= 15 and all(complete and width > 0 for complete, width in images), "broken images"
