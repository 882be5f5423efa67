"""The force pages: one page per force, made by the notebook that takes a ``force`` parameter.

run_all runs that notebook once per force (the 43 territorial forces and British Transport Police)
into ``forces/<force-slug>.html`` beside the other reports; its figures and tables go in
``forces/<force-slug>/`` of the figures folder. The index and the force comparison link to them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

FORCE_PARAMETER = "force"
FOLDER = "forces"
PAGE_TITLE = "community resolutions for sexual offences"
#: run_all.py writes this beside the build marker of each run: the pages, relative to the year's
#: reports folder, that the published build will hold once every run has finished.
PAGES_FILE = "build-pages.json"


def check_forces(forces: Sequence[str] | None, option: str = "--forces") -> list[str] | None:
    """The forces asked for a page, in the Home Office spelling and the reference order, written
    any way ``codes.resolve_force`` accepts ('city of london', 'Devon & Cornwall'); an unknown name
    is an error that names ``option`` and the nearest forces. None: every force."""
    if not forces:
        return None
    from crimeoutcomes.data.codes import forces as known
    from crimeoutcomes.data.codes import resolve_force

    chosen = {resolve_force(force, option) for force in forces}
    return [f for f in known() if f in chosen]


def force_slug(force: str) -> str:
    """'Avon and Somerset' -> 'avon-and-somerset'; "Devon & Cornwall" -> 'devon-cornwall'."""
    slug = re.sub(r"[^a-z0-9]+", "-", force.lower()).strip("-")
    if not slug:
        raise ValueError(f"force name {force!r} gives no file name")
    return slug


def force_folder(force: str) -> str:
    """Where a force page's figures and tables go, inside the year's figures folder."""
    return f"{FOLDER}/{force_slug(force)}"


def page_name(force: str) -> str:
    """The force's page, relative to the year's reports folder."""
    return f"{FOLDER}/{force_slug(force)}.html"


def executed_name(force: str) -> str:
    """The force's executed notebook, relative to the year's reports folder."""
    return f"{FOLDER}/{force_slug(force)}.ipynb"


def reader_name(force: str) -> str:
    """The force as the pages name it: 'London, City of' (the files' index form) -> 'City of London'
    (``codes.display_name``, forces.csv ``display_name``)."""
    from crimeoutcomes.data.codes import display_name

    return display_name(force)


def page_title(force: str) -> str:
    return f"{reader_name(force)}: {PAGE_TITLE}"


def links(forces: Sequence[str], prefix: str = "") -> list[tuple[str, str]]:
    """(name shown, href) of each force's page, in the order of the names shown (City of London
    under C); ``prefix`` is the path to the year's reports folder."""
    shown = sorted(((reader_name(force), force) for force in forces), key=lambda pair: pair[0].lower())
    return [(name, prefix + page_name(force)) for name, force in shown]


def links_html(forces: Sequence[str], prefix: str = "") -> str:
    """The force pages as a list of links, in columns where the page is wide (for a notebook)."""
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(force)}</a></li>' for force, href in links(forces, prefix)
    )
    return f'<ul class="force-pages" style="columns: 16em; padding-left: 1.2em">{items}</ul>'


def write_build_pages(folder: Path, pages: Iterable[str]) -> None:
    """Tell a run which pages its build will publish, so that it links to those only."""
    (Path(folder) / PAGES_FILE).write_text(json.dumps(sorted(set(pages)), indent=1) + "\n", encoding="utf-8")


def build_pages(output_root: Path) -> set[str] | None:
    """The pages the build will publish, as run_all.py told this run; None for a run that run_all
    did not start (JupyterLab, papermill), whose page is never published."""
    listed = Path(output_root) / PAGES_FILE
    return set(json.loads(listed.read_text(encoding="utf-8"))) if listed.is_file() else None


def forces_with_pages(output_root: Path, forces: Sequence[str]) -> list[str]:
    """Of ``forces``, in their order, those whose page the build publishes: with ``--only`` or
    ``--forces`` that is not every force, and a link to a page the build did not make would be
    broken. No force outside a build."""
    pages = build_pages(output_root)
    return [force for force in forces if page_name(force) in pages] if pages is not None else []


def report_links(output_root: Path, reports: dict[str, str], up: str = "../") -> list[str]:
    """Markdown links to those of ``reports`` (page -> link text, pages relative to the year's
    reports folder) that the build publishes: a force page built with ``--only 05`` has no report 02
    beside it. None outside a build, whose page is never published."""
    pages = build_pages(output_root) or set()
    return [f"[{text}]({up}{page})" for page, text in reports.items() if page in pages]
