"""A static site of every year built: ``site/index.html`` lists the years, and each year's folder
holds its reports, summary.json, its data package (data/: the rows behind the reports as CSV and
Parquet, with datapackage.json) and figures (PNG, SVG and the CSV behind each), ready for any
static host. Built beside the old site and swapped in whole."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.atomic import write_text_atomically
from crimeoutcomes.build import data_package
from crimeoutcomes.build import record as build_record
from crimeoutcomes.build.publish import publish, recover
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.locks import exclusive
from crimeoutcomes.notebook import force_pages
from crimeoutcomes.pages.site_pages import FIGURE_SUFFIXES, render_figures_page, render_site_index

#: What a year's report folder holds that belongs on the site (executed notebooks stay behind).
SITE_SUFFIXES = (".html", ".json")


@dataclass(frozen=True)
class BuiltYear:
    folder: Path  # reports/<slug> or reports/sample/<slug>
    figures: Path
    target: Path  # its folder in the site, relative: <slug> or sample/<slug>
    summary: dict


def built_years(out: Path) -> list[BuiltYear]:
    """Every year with a finished build under ``out`` (a summary.json), real years first. A build
    whose files no longer match its record (build.json), or that has none, is refused: the site
    never publishes a mix of two builds."""
    found = []
    for summary in _summaries(out / "reports"):
        folder = summary.parent
        target = folder.relative_to(out / "reports")
        year = BuiltYear(folder, out / "figures" / target, target, json.loads(summary.read_text("utf-8")))
        record = build_record.read_record(folder)
        problems = (
            ["it has no build record (build.json)"]
            if record is None
            else build_record.check_files(folder, year.figures, record)
        )
        if problems:
            raise CrimeOutcomesError(
                f"{folder} is not one whole build: {'; '.join(problems[:5])}"
                + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
                + ". Rebuild it with run_all.py before making the site."
            )
        found.append(year)
    return found


def _summaries(reports: Path) -> list[Path]:
    """Every build's summary.json: the default question's years (reports/<slug>, reports/sample/<slug>),
    then each other question's (reports/<question>/<slug>, reports/sample/<question>/<slug>)."""

    def whole(path: Path) -> bool:  # not a staging folder, an old copy or a failed build
        return not any(part.startswith(".") or part.endswith(".failed") for part in path.relative_to(reports).parts)

    default = sorted(reports.glob("*/summary.json")) + sorted(reports.glob("sample/*/summary.json"))
    asked = sorted(p for p in reports.glob("*/*/summary.json") if p.parts[-3] != "sample")
    asked += sorted(reports.glob("sample/*/*/summary.json"))
    return [p for p in default + asked if whole(p)]


def _copy_year(year: BuiltYear, staging: Path) -> None:
    folder = staging / year.target
    folder.mkdir(parents=True)
    for path in sorted(year.folder.iterdir()):
        if path.suffix in SITE_SUFFIXES:
            shutil.copy2(path, folder / path.name)
    figures = folder / "figures"
    figures.mkdir()
    files = sorted(p for p in year.figures.glob("*") if p.suffix in FIGURE_SUFFIXES) if year.figures.is_dir() else []
    for path in files:
        shutil.copy2(path, figures / path.name)
    tables = sorted(year.figures.glob("tables/*.csv"))
    if tables:
        (figures / "tables").mkdir()
        for path in tables:
            shutil.copy2(path, figures / "tables" / path.name)
    _copy_force_pages(year, folder)
    _copy_data_package(year, folder)
    write_text_atomically(
        figures / "index.html",
        render_figures_page(year.summary, sorted({p.stem for p in files}), [p.name for p in tables]),
    )


def _copy_force_pages(year: BuiltYear, folder: Path) -> None:
    """The force pages (forces/<force>.html) and their figures and tables (figures/forces/<force>/)."""
    pages = sorted((year.folder / force_pages.FOLDER).glob("*.html"))
    if pages:
        (folder / force_pages.FOLDER).mkdir()
    for path in pages:
        shutil.copy2(path, folder / force_pages.FOLDER / path.name)
    figures = year.figures / force_pages.FOLDER
    for path in sorted(figures.rglob("*")) if figures.is_dir() else []:
        if path.is_file() and path.suffix in FIGURE_SUFFIXES:
            target = folder / "figures" / path.relative_to(year.figures)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _copy_data_package(year: BuiltYear, folder: Path) -> None:
    """The year's data/ folder as the build published it (every file of it is in build.json, checked
    by ``built_years``)."""
    package = year.folder / data_package.FOLDER
    if package.is_dir():
        (folder / data_package.FOLDER).mkdir()
        for path in sorted(p for p in package.iterdir() if p.is_file()):
            shutil.copy2(path, folder / data_package.FOLDER / path.name)


def build_site(out: Path | None = None, site: Path | None = None) -> Path:
    """Gather every year built under ``out`` into ``site`` (default ``out/site``)."""
    out = (Path(out) if out else config.project_root()).resolve()
    site = (Path(site) if site else out / "site").resolve()
    with exclusive(out / "reports", f"the output folder {out}"):  # no run may swap reports in meanwhile
        years = built_years(out)
        if not years:
            raise CrimeOutcomesError(f"no built reports in {out / 'reports'}: run 'make reports' first")
        recover(site)
        staging = site.with_name(f".{site.name}.staging-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir(parents=True)
            for year in years:
                _copy_year(year, staging)
            write_text_atomically(
                staging / "index.html", render_site_index([(year.summary, year.target.as_posix()) for year in years])
            )
            publish(staging, site)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return site
