"""The report: one HTML page of every executed notebook, for co-authors.

The page is built from two Jinja2 templates in ``resources/``, both extending
nbconvert's JupyterLab template: ``report_notebook.html.j2`` renders one
notebook's cells, ``report_page.html.j2`` the page around them (head and styles
once, a table of contents, one ``<section>`` per notebook).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from tifa import config
from tifa.errors import MissingFileError
from tifa.study.registry import NOTEBOOKS, load_registry

NOTEBOOK_TEMPLATE = config.RESOURCES_DIR / "report_notebook.html.j2"
PAGE_TEMPLATE = config.RESOURCES_DIR / "report_page.html.j2"
_HEADING = re.compile(r'<h([12])\s+id="([^"]+)"[^>]*>(.*?)<')


def write_report(executed_dir: str | Path, out_file: str | Path) -> Path:
    """One HTML page with every executed notebook (outputs and figures embedded), for co-authors.

    Paths in the parameters papermill injected are shown relative to the project
    (or to the ``--out`` folder), every image gets its figure's caption as alt
    text, reading notes show without their code, and a table of contents links
    the notebooks' sections.
    """
    executed_dir = Path(executed_dir)
    notebooks = [_report_notebook(executed_dir, name) for name in NOTEBOOKS]
    cells = _exporter(NOTEBOOK_TEMPLATE)
    sections, contents = [], []
    for name, notebook in zip(NOTEBOOKS, notebooks):
        body, _ = cells.from_notebook_node(notebook)
        sections.append({"name": name, "body": body})
        contents += [{"level": level, "anchor": anchor, "title": html.unescape(title)} for level, anchor, title in _HEADING.findall(body)]
    page, _ = _exporter(PAGE_TEMPLATE).from_notebook_node(notebooks[0], resources={"tifa": {"contents": contents, "sections": sections}})
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(page, encoding="utf-8")
    return out_file


def _exporter(template: Path):
    """nbconvert's HTML exporter with one of the report's templates: images embedded, reading notes without their code."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    settings = Config()
    settings.TagRemovePreprocessor.remove_input_tags = {"note"}
    settings.TagRemovePreprocessor.enabled = True
    return HTMLExporter(template_name="lab", template_file=str(template), embed_images=True, config=settings)


def _report_notebook(executed_dir: Path, name: str):
    """The executed notebook ``name``, its injected paths shortened and its figures given their captions as alt text."""
    import nbformat

    path = executed_dir / f"{name}.ipynb"
    if not path.is_file():
        raise MissingFileError(f"{path}: no executed notebook; run `make figures` (or tifa study) first")
    registry = load_registry()
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = _relative_paths(cell.source, executed_dir.parent)
        if cell.cell_type == "code" and any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            captions = [o.caption for o in registry if o.kind == "figure" and f'"{o.name}"' in cell.source]
            cell.metadata["alt"] = " ".join(captions) or f"Figure of notebook {name}"
    return notebook


def _relative_paths(source: str, out_root: Path) -> str:
    """Absolute paths in a cell's source shown relative to the project (or to the study's output folder)."""

    def shorten(match: re.Match[str]) -> str:
        path = Path(match.group(2))
        for base, prefix in ((config.PROJECT_ROOT, ""), (out_root, f"{out_root.name}/")):
            try:
                return f"{match.group(1)}{prefix}{path.resolve().relative_to(base.resolve())}{match.group(1)}"
            except ValueError:
                continue
        return f"{match.group(1)}{path.name}{match.group(1)}"

    return re.sub(r"""(["'])(/[^"']+)\1""", shorten, source)
