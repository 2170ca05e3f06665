"""The study as a build: registry, figure regression, byte-stable PDFs, tables, provenance, HTML report."""

import csv
import io
import json
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images
from PIL import Image

from tifa import config
from tifa.errors import InputError
from tifa.study import NOTEBOOKS, Study, expected_files, load_registry, provenance, run_study, write_index, write_provenance, write_report
from tifa.study.registry import outputs_written

FIGURES = config.PROJECT_ROOT / "figures"


def committed_outputs() -> set[str]:
    return {str(p.relative_to(FIGURES)) for p in FIGURES.rglob("*") if p.is_file() and p.name not in ("README.md", "provenance.json")}


def skipped_on_seeds() -> set[str]:
    """Outputs the committed notebooks (executed on the embedded corpus) say they skipped, and why."""
    names = set()
    for name in NOTEBOOKS:
        cells = json.loads((config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
        printed = "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
        names |= {line.split(":")[0].removeprefix("skipped ") for line in printed.splitlines() if line.startswith("skipped ")}
    return names


def test_every_file_in_figures_is_registered_and_every_registered_figure_exists():
    registry = load_registry()
    expected = expected_files(registry, group="province", docs="document")
    expected -= expected_files(tuple(o for o in registry if o.filename("province", "document") in skipped_on_seeds()), group="province", docs="document")
    assert committed_outputs() - expected == set(), "files in figures/ that notebooks/figures.yaml does not declare"
    assert expected - committed_outputs() == set(), "declared figures or tables missing from figures/"


def test_figure_index_lists_every_figure_with_its_caption():
    index = (FIGURES / "README.md").read_text(encoding="utf-8")
    skipped = skipped_on_seeds()
    sections = {part.split("\n", 1)[0]: part for part in index.split("\n## ")[1:]}
    for out in load_registry():
        name = out.filename("province", "document")
        assert name in sections or f"Table: {name}" in sections, name
        assert out.caption in index, name
        if out.kind == "figure":
            # a figure the notebook skipped on the seeds is listed as not produced, every other one with its thumbnail
            expected = "*not produced for this corpus*" if name in skipped else f'<img src="{name}.png"'
            assert expected in sections[name], name


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
    assert {k: v for k, v in json.loads(stored).items() if k != "outputs"} == record, "figures/provenance.json is stale: run make figures"
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


# --- the study's outputs regenerated in this session, compared with what is committed ---------------


@pytest.fixture(scope="module")
def rebuilt(nbval_ran_all_notebooks, tmp_path_factory):
    """Figures folder of a fresh run: nbval's, when this session executed every notebook (make test), else run_study's."""
    if nbval_ran_all_notebooks:
        study = Study.from_parameters()
        write_index(config.FIGURES_DIR, group=study.group, docs=study.docs)
        write_provenance(config.FIGURES_DIR, outputs=outputs_written(config.FIGURES_DIR, group=study.group, docs=study.docs))
        return config.FIGURES_DIR
    return run_study(out=tmp_path_factory.mktemp("study"), cache=False)


def test_regenerated_outputs_are_byte_identical_to_the_committed_ones(rebuilt):
    """make figures must leave git status clean on any machine: every file, PNGs included, the same bytes."""
    committed = {str(p.relative_to(FIGURES)) for p in FIGURES.rglob("*") if p.is_file()}
    fresh = {str(p.relative_to(rebuilt)) for p in rebuilt.rglob("*") if p.is_file()}
    assert fresh == committed, f"only committed: {sorted(committed - fresh)}; only regenerated: {sorted(fresh - committed)}"
    differ = []
    for name in sorted(committed):
        old, new = FIGURES / name, rebuilt / name
        if old.read_bytes() != new.read_bytes():
            detail = compare_images(str(old), str(new), tol=0) if name.endswith(".png") else ""
            differ.append(f"{name} {detail or ''}".strip())
    assert not differ, f"outputs differ from the committed ones (run make figures after a deliberate change): {differ}"


def test_regression_check_catches_a_colour_change(tmp_path):
    import matplotlib.pyplot as plt

    from tifa.figures import save_figure, use_style

    use_style()
    for colour, folder in (("C0", "a"), ("C1", "b")):
        fig, ax = plt.subplots()
        ax.bar([0, 1], [1, 2], color=colour)
        save_figure(fig, "bars_in_colour", out_dir=tmp_path / folder)
        plt.close(fig)
    a, b = (tmp_path / d / "bars_in_colour.png" for d in "ab")
    assert a.read_bytes() != b.read_bytes()
    assert compare_images(str(a), str(b), tol=0) is not None


def test_what_make_figures_writes_outside_figures_is_ignored_by_git():
    """Executed notebooks, the processed corpus and caches go to paths git ignores, so git status stays clean."""
    if shutil.which("git") is None or not (config.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = ["build/notebooks/00_corpus.ipynb", "build/study/processed/corpus.parquet", "data/processed/token_cache/ab/x.json", "data/processed/corpus.parquet"]
    result = subprocess.run(["git", "check-ignore", *paths], cwd=config.PROJECT_ROOT, capture_output=True, text=True)
    assert result.stdout.split() == paths


# --- the study on corpora of other shapes ------------------------------------------------------------

PROVINCES = [row["name_zh"] for row in csv.DictReader(config.REGIONS_CSV.open(encoding="utf-8")) if row["level"] == "province"][:31]
SHAPES = {
    # name: docvars of four documents; the texts are paragraphs of the seeds
    "no_province": [{"year": 1995}, {"year": 2004}, {"year": 2016}, {"year": 2018}],
    "one_province_one_decade": [{"province": "湖南省", "year": y} for y in (2012, 2014, 2016, 2018)],
    "single_year": [{"province": p, "year": 2016} for p in ("湖南省", "河北省", "青海省", "陕西省")],
    "no_year": [{"province": p} for p in ("湖南省", "河北省", "湖南省", "河北省")],
    # a comparative corpus: every provincial-level division, one year
    "many_provinces_one_year": [{"province": p, "year": 2024, "level": "province"} for p in PROVINCES],
}
EXPECTED_GROUP = {"no_province": "decade", "one_province_one_decade": "doc_id", "single_year": "province", "no_year": "province", "many_provinces_one_year": "province"}
EXPECTED_SKIPS = {
    "no_province": {"documents_by_province_and_year", "keyness_provincial_vs_prefecture"},
    "one_province_one_decade": {"documents_by_province_and_year", "keyness_provincial_vs_prefecture"},
    "single_year": {"documents_by_province_and_year", "keyness_provincial_vs_prefecture", "slogan_timeline_by_year", "topic_prevalence_by_year"},
    "no_year": {"documents_by_province_and_year", "keyness_provincial_vs_prefecture", "slogan_timeline_by_year", "topic_prevalence_by_year"},
    "many_provinces_one_year": {"keyness_provincial_vs_prefecture", "slogan_timeline_by_year", "topic_prevalence_by_year", "wordclouds_by_province", "slogan_positions_in_documents"},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_study_runs_on_corpora_of_other_shapes(shape, seeds, tmp_path):
    paragraphs = [p for t in seeds.docs["text"] for p in t.split("\n\n")]
    if len(SHAPES[shape]) > len(seeds):  # many small documents: the seeds' paragraphs dealt out in turn
        texts = ["\n\n".join(paragraphs[i :: len(SHAPES[shape])]) for i in range(len(SHAPES[shape]))]
    else:
        texts = ["\n\n".join(t.split("\n\n")[:14]) for t in seeds.docs["text"]]
    path = tmp_path / f"{shape}.jsonl"
    rows = [{"id": f"{shape}-{i}", "content": texts[i], **docvars} for i, docvars in enumerate(SHAPES[shape])]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    params = None
    if shape == "many_provinces_one_year":  # the study's parameters from a file, no tracked file edited
        params = tmp_path / "params.yaml"
        params.write_text("lang: both\ntop_terms: 5\nk_grid: [3, 4]\nwordcloud_groups: [湖南省, 河北省]\nkwic: [党政同责]\n", encoding="utf-8")
    figures = run_study(path, text_field="content", id_field="id", out=tmp_path / "out", params=params, cache=False)
    study = Study.from_parameters(str(path), "content", str(figures), id_field="id")
    assert study.group == EXPECTED_GROUP[shape]
    written = {p.stem for p in figures.glob("*.pdf")}
    printed = "".join(
        "".join(o.get("text", "")) for name in NOTEBOOKS for c in json.loads((tmp_path / "out" / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])
    )
    skipped = {line.split(":")[0].removeprefix("skipped ") for line in printed.splitlines() if line.startswith("skipped ")}
    expected = {o.filename(study.group, study.docs) for o in load_registry() if o.kind == "figure"}
    if params is not None:
        EXPECTED_SKIPS[shape].discard("wordclouds_by_province")
        record = json.loads((figures / "provenance.json").read_text(encoding="utf-8"))["study_params"]
        assert record["lang"] == "both" and record["k_grid"] == [3, 4] and record["top_terms"] == 5
        cell = next(c for c in json.loads((tmp_path / "out" / "notebooks" / "03_topics.ipynb").read_text(encoding="utf-8"))["cells"] if "select_k(" in "".join(c["source"]))
        table = "".join(next(o for o in cell["outputs"] if "data" in o)["data"]["text/plain"])  # after the warning of a K at the grid's edge
        assert {int(k) for k in re.findall(r"^\d+\s+nmf\s+(\d+)", table, flags=re.M)} == {3, 4}, "the K grid of the parameters file"
    assert EXPECTED_SKIPS[shape] <= skipped
    pages = {re.sub(r"_p\d+$", "", name) for name in written}
    assert pages == expected - skipped, "every registered figure is written (in numbered pages if need be) or skipped with a reason"
    for png in figures.glob("*.png"):
        with Image.open(png) as image:
            assert image.size[0] <= 2250 and image.size[1] <= 2900, f"{png.name} is {image.size} px: larger than a journal page"
        assert png.stat().st_size < 3_000_000, f"{png.name} is over 3 MB"
    assert json.loads((figures / "provenance.json").read_text(encoding="utf-8"))["corpus_fields"] == {"text_field": "content", "id_field": "id"}
    index = (figures / "README.md").read_text(encoding="utf-8")
    assert all(f"## {name}" in index for name in pages) and all(f"({name}.png)" in index for name in written)
    for name in NOTEBOOKS:
        assert '"papermill"' not in (config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"), "tracked notebooks are read, not rewritten"
    report = write_report(tmp_path / "out" / "notebooks", tmp_path / "report.html").read_text(encoding="utf-8")
    assert str(tmp_path) not in report and str(config.PROJECT_ROOT) not in report, "injected parameters show relative paths"
    assert 'FIGURES_DIR = &quot;out/figures&quot;' in report or "out/figures" in report
    images = re.findall(r"<img[^>]*>", report)
    assert images and all(re.search(r'alt="[^"]+"', img) for img in images), "every image has alt text"
    assert '<nav id="contents"' in report and report.count('<li class="toc-h1">') == len(NOTEBOOKS)


# --- the HTML report in a real browser ----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_chromium_with_chinese_text_and_all_images(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (installed by .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    html = write_report(config.NOTEBOOKS_DIR, tmp_path / "report.html")  # the committed notebooks: nbval checks their outputs
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


def test_params_file_sets_only_the_keys_it_names_and_refuses_unknown_ones(tmp_path):
    from tifa.study import load_params

    path = tmp_path / "p.yaml"
    path.write_text("lang: zh\nk_grid: [5, 6]\n", encoding="utf-8")
    params = load_params(path)
    defaults = load_params()
    assert params["lang"] == "zh" and params["k_grid"] == [5, 6]
    assert {k: v for k, v in params.items() if k not in ("lang", "k_grid")} == {k: v for k, v in defaults.items() if k not in ("lang", "k_grid")}
    path.write_text("langue: zh\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown study parameter"):
        load_params(path)
    path.write_text("k_grid: 5\n", encoding="utf-8")
    with pytest.raises(InputError, match="'k_grid' is 5, expected a list"):
        load_params(path)
    path.write_text("lang: fr\n", encoding="utf-8")
    with pytest.raises(InputError, match="lang must be en, zh or both"):
        load_params(path)


def test_study_saves_only_registered_figures_and_clears_stale_outputs(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from tifa.study.outputs import clear_written

    study = Study.from_parameters(figures_dir=str(tmp_path))
    fig, _ = plt.subplots()
    with pytest.raises(InputError, match="not registered"):
        study.save(fig, "made_up_figure")
    with pytest.raises(InputError, match="not registered"):
        study.save_table(pd.DataFrame({"x": [1]}), "made_up_table", caption="even with a caption of its own")
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())  # as in a notebook
    monkeypatch.setattr("IPython.display.display", shown.append)
    second = plt.figure(figsize=(3, 2))
    names = study.save([fig, second], "topic_top_terms")
    assert names == ["topic_top_terms_p1.pdf", "topic_top_terms_p1.png", "topic_top_terms_p2.pdf", "topic_top_terms_p2.png"]
    assert plt.get_fignums() == [], "saved figures are closed, not drawn once more by the notebook"
    with Image.open(tmp_path / "topic_top_terms_p2.png") as saved, Image.open(io.BytesIO(shown[1].data)) as seen:
        assert len(shown) == 2 and seen.size == (-(-saved.size[0] // 3), -(-saved.size[1] // 3)), "each page shown from its PNG, at screen resolution"
    (tmp_path / "tables").mkdir(exist_ok=True)
    (tmp_path / "tables" / "old.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    write_provenance(tmp_path, outputs=outputs_written(tmp_path, group=study.group, docs=study.docs))
    clear_written(tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["notes.txt", "old.csv", "provenance.json"], "only what tifa recorded is removed"


def test_saved_csv_tables_cannot_run_formulas_in_a_spreadsheet(tmp_path):
    from tifa.study import save_table

    table = pd.DataFrame({"speaker": ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "张三"], "coef": [-0.4, 1.0, 2.5]})
    csv, tex = save_table(table, "t", out_dir=tmp_path)
    cells = pd.read_csv(csv, dtype=str)
    assert cells["speaker"].tolist() == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "张三"]
    assert cells["coef"].tolist() == ["-0.40", "1.00", "2.50"], "numbers stay numbers"
    assert "=HYPERLINK" in tex.read_text(encoding="utf-8") and "'=" not in tex.read_text(encoding="utf-8")
