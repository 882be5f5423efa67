"""A static site of every year built: ``site/index.html`` lists the years, and each year's folder
holds its reports, summary.json and figures (PNG, SVG and the CSV behind each), ready for any
static host. Built beside the old site and swapped in whole."""

from __future__ import annotations

import html
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from crimeoutcomes.report import build_record
from crimeoutcomes import config
from crimeoutcomes.report.notebook import synthetic_banner
from crimeoutcomes.atomic import write_text_atomically
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.report.index_page import html_page
from crimeoutcomes.locks import exclusive
from crimeoutcomes.report.publish import publish, recover

#: What a year's report folder holds that belongs on the site (executed notebooks stay behind).
SITE_SUFFIXES = (".html", ".json")
FIGURE_SUFFIXES = (".png", ".svg", ".csv")


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
    for summary in sorted((out / "reports").glob("*/summary.json")) + sorted((out / "reports").glob("sample/*/summary.json")):
        folder = summary.parent
        if folder.name.startswith(".") or folder.name.endswith(".failed"):
            continue
        target = folder.relative_to(out / "reports")
        year = BuiltYear(folder, out / "figures" / target, target, json.loads(summary.read_text("utf-8")))
        record = build_record.read_record(folder)
        problems = (["it has no build record (build.json)"] if record is None
                    else build_record.check_files(folder, year.figures, record))
        if problems:
            raise CrimeOutcomesError(f"{folder} is not one whole build: {'; '.join(problems[:5])}"
                                     + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
                                     + f". Rebuild it with run_all.py before making the site.")
        found.append(year)
    return found


def _figures_page(year: BuiltYear, names: list[str], tables: list[str]) -> str:
    e = html.escape
    title = f"Figures, {year.summary['financial_year']}" + (" (SYNTHETIC DATA)" if year.summary["synthetic"] else "")
    rows = "".join(f'<tr><td>{e(stem)}</td>' + "".join(
        f'<td><a href="{e(stem + s)}">{s[1:].upper()}</a></td>' for s in FIGURE_SUFFIXES) + "</tr>"
        for stem in names)
    return html_page(title, [
        synthetic_banner() if year.summary["synthetic"] else "", f"<h1>{e(title)}</h1>",
        "<p>Every figure of the reports as an image (PNG, SVG) with the CSV of exactly the numbers it plots.</p>",
        '<table><thead><tr><th scope="col">figure</th><th scope="col">image</th><th scope="col">vector</th>'
        f'<th scope="col">numbers</th></tr></thead><tbody>{rows}</tbody></table>',
        "<h2>Tables</h2><p>The numbers of every table in the reports, unrounded.</p><ul>"
        + "".join(f'<li><a href="tables/{e(name)}">{e(name)}</a></li>' for name in tables) + "</ul>" if tables else "",
        '<p><a href="../index.html">Back to the year</a></p>'])


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
    write_text_atomically(figures / "index.html", _figures_page(year, sorted({p.stem for p in files}),
                                                                [p.name for p in tables]))


def _year_rows(years: list[BuiltYear]) -> str:
    e = html.escape
    rows = []
    for year in years:
        s = year.summary
        count = s["sexual_offences"]["community_resolutions"]
        href = f"{year.target.as_posix()}/index.html"
        rows.append(f'<tr><th scope="row"><a href="{e(href)}">{e(s["financial_year"])}</a></th>'
                    f'<td>{e(s["count_basis"])}</td><td class="number">{"n/a" if count is None else f"{count:,}"}</td>'
                    f'<td><a href="{e(year.target.as_posix())}/figures/index.html">figures and data</a></td></tr>')
    return ('<table><thead><tr><th scope="col">financial year</th><th scope="col">basis</th>'
            '<th scope="col">community resolutions for sexual offences</th><th scope="col">figures</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')


def render_site_index(years: list[BuiltYear]) -> str:
    real = [y for y in years if not y.summary["synthetic"]]
    synthetic = [y for y in years if y.summary["synthetic"]]
    body = [synthetic_banner() if synthetic else "",
            "<h1>Community resolutions for sexual offences in England and Wales</h1>",
            "<p>Reports on how police use community resolutions (Home Office outcome type 8) for sexual "
            "offences, from the Home Office crime outcomes open data, one year at a time.</p>"]
    if real:
        body += ["<h2>Years</h2>", _year_rows(real)]
    if synthetic:
        body += ["<h2>SYNTHETIC DATA (not official statistics)</h2>",
                 "<p>Built from the project's invented sample, to show and test the reports.</p>", _year_rows(synthetic)]
    return html_page("Community resolutions for sexual offences: reports by year", body)


def site_is_current(out: Path | None = None, site: Path | None = None) -> bool:
    """Whether ``site`` holds every year built under ``out`` as built: each year's copy of build.json
    equals the published one (it names every output's sha256), and no other year is there."""
    out = (Path(out) if out else config.project_root()).resolve()
    site = (Path(site) if site else out / "site").resolve()
    built = {p.parent.relative_to(out / "reports") for p in (out / "reports").glob("*/build.json")}
    built |= {p.parent.relative_to(out / "reports") for p in (out / "reports").glob("sample/*/build.json")}
    built = {b for b in built if not b.name.startswith(".") and not b.name.endswith(".failed")}
    copied = {p.parent.relative_to(site) for p in site.glob("*/build.json")}
    copied |= {p.parent.relative_to(site) for p in site.glob("sample/*/build.json")}
    if not built or built != copied or not (site / "index.html").is_file():
        return False
    return all((out / "reports" / b / build_record.BUILD_FILE).read_bytes() == (site / b / build_record.BUILD_FILE).read_bytes()
               for b in built)


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
            write_text_atomically(staging / "index.html", render_site_index(years))
            publish(staging, site)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return site
