"""index.html of one run: the headline figures, links to each report, and the source files."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

from crimeoutcomes.report.notebook import sources_table, synthetic_banner
from crimeoutcomes.atomic import write_text_atomically
from crimeoutcomes.report.headlines import caveats, headlines

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; max-width: 60rem;
       margin: 0 auto; padding: 1rem; line-height: 1.5; color: #0b0c0c; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.3rem 0.8rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
a { color: #1d70b8; }
code { word-break: break-all; }
"""


def _number(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def render_index(summary: dict, reports: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    year, basis = summary["financial_year"], summary["count_basis"]
    synthetic = summary["synthetic"]
    title = f"Community resolutions for sexual offences, {year}" + (" (SYNTHETIC DATA)" if synthetic else "")
    sexual, everything = summary["sexual_offences"], summary["all_offences"]
    child = summary["child_victim_offences"]
    headline_rows = [
        ("Community resolutions for sexual offences", _number(sexual["community_resolutions"])),
        ("Share of assigned sexual-offence outcomes", _percent(sexual["share_of_assigned"])),
        ("Share of sexual-offence charges and out-of-court outcomes",
         _percent(sexual["share_of_charges_and_out_of_court"])),
        ("Community resolutions for child-victim offences", _number(child["community_resolutions"])),
        ("Forces using one for the rape of a child", _number(len(child["forces_using_cr_for_child_rape"]))),
        ("Community resolutions for all crime", _number(everything["community_resolutions"])),
    ]
    banner = synthetic_banner() if synthetic else ""
    gaps = "".join(f"<li>{e(force)}: quarter(s) {e(g['quarters'])} missing or collapsed "
                   f"({e(g['marker'] or 'no marker')}); no count is given for the year</li>"
                   for force, g in summary["forces_missing"].items())
    gaps += "".join(f"<li>{e(force)}: {e(note)}; left out of the force comparison's rates</li>"
                    for force, note in summary.get("force_comparison", {}).get("quarters_left_out", {}).items()
                    if force not in summary["forces_missing"])
    return html_page(title, [
        banner, f"<h1>{e(title)}</h1>",
        f"<p>Counting basis: <strong>{e(basis)}</strong>, {e(summary['count_basis_meaning'])}.</p>",
        "<h2>In brief</h2>", *(f"<p>{e(sentence)}</p>" for sentence in headlines(summary)),
        "<h2>Headline figures</h2>", "<table>", f"<caption>{e(year)}, {e(basis)} basis</caption>", "<tbody>",
        *(f'<tr><th scope="row">{e(label)}</th><td class="number">{value}</td></tr>' for label, value in headline_rows),
        "</tbody>", "</table>",
        f"<p>Force data missing or collapsed this year:</p><ul>{gaps}</ul>" if gaps
        else "<p>No force's data is missing or collapsed this year.</p>",
        "<h2>Reports</h2>", "<ol>",
        *(f'<li><a href="{e(href)}">{e(name)}</a></li>' for name, href in reports),
        "</ol>",
        '<p>Machine-readable figures: <a href="summary.json">summary.json</a>.</p>',
        "<h2>Caveats</h2>", "<ul>", *(f"<li>{e(note)}</li>" for note in caveats(summary)), "</ul>",
        "<h2>Sources</h2>", f"<p>Basis: {e(basis)}. Every figure above comes from these files.</p>",
        sources_table(summary["sources"]),
    ])


def html_page(title: str, body: Sequence[str]) -> str:
    """A whole page: no script, no request to any other host, the house style inline."""
    head = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>", "<main>"]
    return "\n".join(p for p in [*head, *body, "</main>", "</body>", "</html>", ""] if p)


def write_index(summary: dict, reports: Sequence[tuple[str, str]], target: Path) -> Path:
    return write_text_atomically(target, render_index(summary, reports))
