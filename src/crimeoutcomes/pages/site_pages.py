"""The site's own pages: the index of every year built and each year's figures page (rendered here,
written by ``build.site``, which gathers the builds)."""

from __future__ import annotations

from crimeoutcomes.templates import BANNER, render

#: The files of each figure the site carries.
FIGURE_SUFFIXES = (".png", ".svg", ".csv")


def render_figures_page(summary: dict, names: list[str], tables: list[str]) -> str:
    """The figures/index.html of a year: every figure with its PNG, SVG and CSV, and the tables."""
    return render(
        "figures_index.html.j2",
        synthetic=summary["synthetic"],
        **BANNER,
        title=f"Figures, {summary['financial_year']}" + (" (SYNTHETIC DATA)" if summary["synthetic"] else ""),
        figures=names,
        suffixes=FIGURE_SUFFIXES,
        tables=tables,
    )


def _year_rows(years: list[tuple[dict, str]]) -> list[dict]:
    rows = []
    for summary, href in years:
        count = summary["sexual_offences"]["community_resolutions"]
        rows.append(
            {
                "year": summary["financial_year"],
                "basis": summary["count_basis"],
                "count": "n/a" if count is None else f"{count:,}",
                "href": href,
            }
        )
    return rows


def render_site_index(years: list[tuple[dict, str]]) -> str:
    """The site's index.html: ``years`` as (summary.json, the year's folder in the site); real years
    apart from synthetic ones; every other question than the default (summary.json's ``question``)
    in a table of its own, headed with its words."""
    default = [y for y in years if "question" not in y[0]]
    real = [y for y in default if not y[0]["synthetic"]]
    synthetic = [y for y in default if y[0]["synthetic"]]
    questions: dict[tuple[bool, str], list[tuple[dict, str]]] = {}
    for summary, href in years:
        if "question" in summary:
            questions.setdefault((summary["synthetic"], summary["question"]["words"]), []).append((summary, href))
    return render(
        "site_index.html.j2",
        title="Community resolutions for sexual offences: reports by year",
        real=_year_rows(real),
        synthetic=_year_rows(synthetic),
        questions=[
            {"words": words, "synthetic": synthetic_data, "years": _year_rows(rows)}
            for (synthetic_data, words), rows in sorted(questions.items())
        ],
        **BANNER,
    )
