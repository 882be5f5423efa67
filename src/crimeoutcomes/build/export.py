"""An executed notebook made publishable: its clock times and staging paths taken out (the same
bytes from one run to the next), and its outputs exported to one self-contained HTML page."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from crimeoutcomes.atomic import write_text_atomically

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


def html_name(notebook: Path) -> str:
    """01_national_totals.ipynb -> 01-national-totals.html"""
    return notebook.stem.replace("_", "-") + ".html"


def title_of(notebook: Path) -> str:
    """The notebook's first heading, else its file name."""
    import nbformat

    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


SYNTHETIC_TITLE = "SYNTHETIC DATA"


@functools.cache
def _html_exporter():
    """One exporter per process: compiling its templates takes longer than exporting a page, and a
    worker exports many (the force pages)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def export_html(executed: Path, target: Path, title: str, synthetic: bool = False, heading: str | None = None) -> Path:
    """Self-contained HTML of the outputs only (figures embedded, no input cells, no scripts). Built
    from the synthetic sample, the page title and the first heading say so. ``heading``, where given,
    replaces the first heading (a force page is titled with its force)."""
    import nbformat

    exporter = _html_exporter()
    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["title"] = f"{SYNTHETIC_TITLE}: {title}" if synthetic else title
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            first, _, rest = cell.source.partition("\n")
            first = f"# {heading}" if heading else first
            cell.source = (f"# {SYNTHETIC_TITLE}: {first[2:]}" if synthetic else first) + (f"\n{rest}" if rest else "")
            break
    body, _ = exporter.from_notebook_node(notebook)
    return write_text_atomically(target, body)


_CLOCK_FIELDS = ("start_time", "end_time", "duration")


def make_reproducible(executed: Path, staged: Sequence[Path], final_root: Path) -> Path:
    """Take out of an executed notebook what changes from one run to the next: papermill's and
    the kernel's clock times, the random id of the injected cell, the names of the staging
    folders ``staged`` (the notebook names the folder it will be published in) and the folder the
    notebook was run from (the build record knows notebooks by name: one moved is the same input)."""
    import nbformat

    text = executed.read_text(encoding="utf-8")
    for folder in sorted({str(p) for p in staged}, key=len, reverse=True):  # the innermost first
        text = text.replace(folder, str(final_root))
    notebook = nbformat.reads(text, as_version=4)
    papermill = notebook.metadata.get("papermill", {})
    for key in _CLOCK_FIELDS:
        papermill.pop(key, None)
    if papermill.get("input_path"):
        papermill["input_path"] = Path(papermill["input_path"]).name
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for key in _CLOCK_FIELDS:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
    return write_text_atomically(executed, nbformat.writes(notebook) + "\n")
