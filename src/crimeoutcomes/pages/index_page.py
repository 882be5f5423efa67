"""index.html of one run (the headline figures, links to each report, the caveats page and the year's
data, the source files) and its caveats.html (every caveat of reference/caveats.csv, numbered as the markers)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crimeoutcomes.atomic import write_text_atomically
from crimeoutcomes.data.codes import display_name
from crimeoutcomes.prose.headlines import caveats, headlines, summary_words
from crimeoutcomes.templates import BANNER, render

CAVEATS_PAGE = "caveats.html"


def _number(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def render_index(
    summary: dict,
    reports: Sequence[tuple[str, str]],
    force_pages: Sequence[tuple[str, str]] = (),
    downloads: dict | None = None,
    absent: Sequence[tuple[str, str]] = (),
) -> str:
    """``reports`` and ``force_pages``: (name, link) of each report and each force's page; ``downloads``:
    the year's data package as ``data_package.downloads`` lists it (None: no data to download);
    ``absent``: (name, why) of each report not built for the question."""
    year, basis = summary["financial_year"], summary["count_basis"]
    synthetic = summary["synthetic"]
    words = summary_words(summary)
    gaps = [
        f"{display_name(force)}: quarter(s) {g['quarters']} missing or collapsed ({g['marker'] or 'no marker'}); "
        "no count is given for the year"
        for force, g in summary["forces_missing"].items()
    ]
    gaps += [
        f"{display_name(force)}: {note}; left out of the force comparison's rates"
        for force, note in summary.get("force_comparison", {}).get("quarters_left_out", {}).items()
        if force not in summary["forces_missing"]
    ]
    return render(
        "index.html.j2",
        title=f"{words.heading}, {year}" + (" (SYNTHETIC DATA)" if synthetic else ""),
        synthetic=synthetic,
        **BANNER,
        year=year,
        basis=basis,
        basis_meaning=summary["count_basis_meaning"],
        sentences=headlines(summary),
        headline_rows=_headline_rows(summary),
        gaps=gaps,
        reports=list(reports),
        force_pages=list(force_pages),
        absent=list(absent),
        asked=None if words.default else f"{words.count} for {words.offences}",
        caveats=caveats(summary),
        caveats_page=CAVEATS_PAGE,
        files=summary["sources"],
        downloads=downloads,
        rows_offered="every sexual-offence row" if words.default else f"every row of the {words.offences}",
    )


def _headline_rows(summary: dict) -> list[tuple[str, str]]:
    """The table of headline figures: the question's count and shares (the share of charges and
    out-of-court outcomes only where the count is among them), and for the default question the
    child-victim offences."""
    sexual, everything = summary["sexual_offences"], summary["all_offences"]
    words = summary_words(summary)
    if words.default:
        child = summary["child_victim_offences"]
        return [
            ("Community resolutions for sexual offences", _number(sexual["community_resolutions"])),
            ("Share of assigned sexual-offence outcomes", _percent(sexual["share_of_assigned"])),
            (
                "Share of sexual-offence charges and out-of-court outcomes",
                _percent(sexual["share_of_charges_and_out_of_court"]),
            ),
            ("Community resolutions for child-victim offences", _number(child["community_resolutions"])),
            ("Forces using one for the rape of a child", _number(len(child["forces_using_cr_for_child_rape"]))),
            ("Community resolutions for all crime", _number(everything["community_resolutions"])),
        ]
    rows = [
        (words.heading, _number(sexual["community_resolutions"])),
        (f"Share of assigned outcomes for {words.offences}", _percent(sexual["share_of_assigned"])),
    ]
    if sexual["share_of_charges_and_out_of_court"] is not None:
        rows.append(
            (
                f"Share of charges and out-of-court outcomes for {words.offences}",
                _percent(sexual["share_of_charges_and_out_of_court"]),
            )
        )
    count = words.count[0].upper() + words.count[1:]
    return [*rows, (f"{count} for all crime", _number(everything["community_resolutions"]))]


def write_index(
    summary: dict,
    reports: Sequence[tuple[str, str]],
    target: Path,
    force_pages: Sequence[tuple[str, str]] = (),
    downloads: dict | None = None,
    absent: Sequence[tuple[str, str]] = (),
) -> Path:
    return write_text_atomically(target, render_index(summary, reports, force_pages, downloads, absent))


def render_caveats_page(summary: dict) -> str:
    from markupsafe import Markup

    from crimeoutcomes.notebook.caveats import caveats_html

    synthetic, year = summary["synthetic"], summary["financial_year"]
    return render(
        "caveats.html.j2",
        title=f"Caveats, {year}" + (" (SYNTHETIC DATA)" if synthetic else ""),
        synthetic=synthetic,
        **BANNER,
        year=year,
        # built escaped by caveats_html; another question's page lists the caveats that concern it
        caveat_list=Markup(caveats_html(synthetic, outcome_types=summary.get("question", {}).get("outcome_types"))),
    )


def write_caveats_page(summary: dict, target: Path) -> Path:
    return write_text_atomically(target, render_caveats_page(summary))
