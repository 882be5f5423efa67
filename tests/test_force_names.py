"""Force names as readers write them (issue 26): every place that takes a force accepts the Home
Office name, the name the pages show and every alias, in any case and spacing, and refuses with the
nearest names; every page, chart and table shows one name per force, while the CSVs keep the Home
Office name. The expected spellings are read here from the reference CSVs, not from the package."""

import csv
import html
import re

import polars as pl
import pytest
from conftest import NOTEBOOK_HTML, SESSION_FORCES
from helpers import base_row, outcomes_rows

import run_all
from crimeoutcomes.config import REFERENCE_DIR
from crimeoutcomes.data.codes import display_name, resolve_force
from crimeoutcomes.data.read import parse_outcomes
from crimeoutcomes.data.survey import OK, survey
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.notebook.analysis import Analysis

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")


def _reference(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


FORCES = _reference("forces.csv")
ALIASES = _reference("force_aliases.csv")
#: The Home Office spelling -> the name shown, where they differ (read straight from forces.csv).
SHOWN_OTHERWISE = {r["force"]: r["display_name"] for r in FORCES if r["display_name"] != r["force"]}


def _every_spelling() -> list[tuple[str, str]]:
    """(a spelling a reader may type, its Home Office name): names, display names, aliases."""
    return (
        [(r["force"], r["force"]) for r in FORCES]
        + [(r["display_name"], r["force"]) for r in FORCES]
        + [(r["alias"], r["force"]) for r in ALIASES]
    )


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("City of London", "London, City of"),
        ("city of london", "London, City of"),
        ("  CITY   of London ", "London, City of"),
        ("london, city of", "London, City of"),
        ("Devon & Cornwall", "Devon and Cornwall"),
        ("devon & cornwall", "Devon and Cornwall"),
        ("Metropolitan Police Service", "Metropolitan Police"),
        ("btp", "British Transport Police"),
        ("dyfed powys", "Dyfed-Powys"),
    ],
)
def test_a_force_typed_as_a_reader_would_is_the_home_office_name(typed, expected):
    assert resolve_force(typed, "--forces") == expected


def test_every_reference_spelling_in_any_case_and_spacing_resolves():
    assert len(FORCES) == 44 and ALIASES
    for spelling, force in _every_spelling():
        for variant in (spelling, spelling.upper(), spelling.lower(), f" {spelling.replace(' ', '   ')}  "):
            assert resolve_force(variant, "parameter force") == force, variant


def test_one_display_name_per_force_and_only_london_is_shown_otherwise():
    shown = [display_name(r["force"]) for r in FORCES]
    assert len(set(shown)) == 44
    assert SHOWN_OTHERWISE == {"London, City of": "City of London"}
    assert display_name("Not a force") == "Not a force"  # anything else is shown as given


@pytest.mark.parametrize(
    "typed, where, nearest",
    [
        ("Lancashre", "--forces", "'Lancashire'"),
        ("Kent Police", "parameter force", "'Kent'"),
        ("Citty of London", "--forces", "'City of London'"),  # suggested as the pages show it
        ("Devon and Cornwal", "parameter force", "'Devon and Cornwall'"),
    ],
)
def test_an_unknown_force_is_refused_naming_the_option_and_the_nearest_names(typed, where, nearest):
    with pytest.raises(CrimeOutcomesError) as refused:
        resolve_force(typed, where)
    message = str(refused.value)
    assert message.startswith(f"{where}: {typed!r} is not a force") and f"did you mean {nearest}" in message
    assert "force_aliases.csv" in message


def test_run_all_forces_takes_any_spelling_and_keeps_the_reference_order():
    arguments = run_all.parse_arguments(["--forces", "city of london", "Devon & Cornwall", "KENT", "Kent"])
    assert arguments.forces == ["Devon and Cornwall", "Kent", "London, City of"]


def test_run_all_refuses_an_unknown_force_with_the_nearest(capsys):
    with pytest.raises(SystemExit) as stopped:
        run_all.parse_arguments(["--forces", "Lancashre"])
    error = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "--forces: 'Lancashre' is not a force: did you mean 'Lancashire'" in error


def _analysis(forces, tmp_path) -> Analysis:
    rows = pl.DataFrame({"financial_year": ["2024/25"] * len(forces), "force": forces})
    return Analysis("2024/25", "closed", "2024/25", sources=None, rows=rows, output_root=tmp_path)


def test_for_force_takes_any_spelling_and_gives_the_home_office_name(tmp_path):
    analysis = _analysis(["Kent", "London, City of", "Devon and Cornwall", "Old Fraud Body"], tmp_path)
    page = analysis.for_force("city of london")
    assert page.force == "London, City of" and page.subfolder == "forces/london-city-of"
    assert analysis.for_force("Devon & Cornwall").force == "Devon and Cornwall"
    assert analysis.for_force("old fraud body").force == "Old Fraud Body"  # a name the data holds


def test_for_force_refuses_naming_the_parameter(tmp_path):
    analysis = _analysis(["Kent", "Lancashire"], tmp_path)
    with pytest.raises(CrimeOutcomesError, match=r"^parameter force: 'Lancashre' is not a force: did you mean"):
        analysis.for_force("Lancashre")


def test_setup_for_force_on_the_sample_takes_the_display_name(sample_files, capsys):
    from crimeoutcomes import setup

    analysis = setup("2024/25", "closed", "2024/25", str(sample_files.folder)).for_force("City of London")
    assert analysis.force == "London, City of"
    assert analysis.force in analysis.force_totals(year="2024/25")["force"].astype(str).tolist()
    console = capsys.readouterr().err
    assert "SYNTHETIC data" in console and "scratch" in console  # a run outside run_all says so


def test_the_reader_and_the_survey_take_a_force_in_another_case(tmp_path):
    rows = [base_row(force="CITY OF  LONDON"), base_row(force="devon & cornwall", quarter=2)]
    workbook = outcomes_rows(rows, tmp_path / "cases.xlsx")
    assert parse_outcomes(workbook)["force"].to_list() == ["London, City of", "Devon and Cornwall"]
    findings = {(f.topic, f.status, f.text) for f in survey([workbook], use_data_folder=False).files[0].findings}
    assert ("forces", OK, "'CITY OF  LONDON' -> 'London, City of' in another case or spacing (1 row)") in findings
    assert ("forces", OK, "'devon & cornwall' -> 'Devon and Cornwall' in another case or spacing (1 row)") in findings


def test_tables_and_rank_charts_show_the_display_name(tmp_path):
    import pandas as pd

    from crimeoutcomes.notebook import figures
    from crimeoutcomes.notebook.tables import render_table

    frame = pd.DataFrame({"force": ["London, City of", "Kent"], "rank": [1.0, 2.0]})
    shown = html.unescape(render_table(frame, "t", kinds={"rank": "count"}))
    assert '<td class="text">City of London</td>' in shown and "London, City of" not in shown
    ranked = frame.assign(rank_low=[1.0, 1.0], rank_high=[2.0, 2.0])
    chart = figures.rank_intervals(ranked, "force", title="t")
    labels = [label.get_text() for label in chart.axes[0].get_yticklabels()]
    assert sorted(labels) == ["City of London", "Kent"]


# -- The sample build: one name per force on every page and chart, the Home Office name in every CSV --


def _visible(path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def test_every_page_and_chart_of_the_build_shows_one_name_per_force(built):
    pages = sorted(built["reports"].rglob("*.html"))
    charts = sorted(built["figures"].rglob("*.svg"))  # svg.fonttype none: the chart's words are text
    assert len(pages) == len(NOTEBOOK_HTML) + 2 + len(SESSION_FORCES) and charts  # + index, caveats
    for path in [*pages, *charts]:
        text = _visible(path)
        for canonical in SHOWN_OTHERWISE:
            assert canonical not in text, f"{path.name} shows {canonical!r}"
    # and the name shown is there: the rank chart and report 02's table name the City of London
    assert "City of London" in _visible(built["figures"] / "force_cr_rank_intervals.svg")
    assert "City of London" in _visible(built["reports"] / "02-force-comparison.html")


def test_the_csvs_keep_the_home_office_name(built):
    rank_csv = (built["figures"] / "force_cr_rank_intervals.csv").read_text(encoding="utf-8")
    assert '"London, City of"' in rank_csv and "City of London" not in rank_csv


def test_the_index_lists_the_force_pages_by_the_name_shown(built):
    index = (built["reports"] / "index.html").read_text(encoding="utf-8")
    listed = [html.unescape(n) for n in re.findall(r'<a href="forces/[^"]+\.html">([^<]+)</a>', index)]
    shown = {r["force"]: r["display_name"] for r in FORCES}
    expected = sorted((shown[force] for force in SESSION_FORCES), key=str.lower)
    assert listed == expected
    assert listed.index("City of London") == listed.index("Cumbria") - 1  # under C, not L


def test_report_02s_alphabetical_table_is_in_the_order_of_the_names_shown(built):
    """The denominators table says its forces are listed alphabetically: by the names it shows."""
    with open(built["figures"] / "tables" / "denominators.csv", encoding="utf-8", newline="") as file:
        shown = [display_by_reference(row["force"]) for row in csv.DictReader(file)]
    assert len(shown) == len(FORCES) and shown == sorted(shown, key=str.lower)
    assert shown.index("City of London") == shown.index("Cheshire") + 1


def display_by_reference(force: str) -> str:
    """The display name from forces.csv itself, not from the package's own mapping."""
    return next(r["display_name"] for r in FORCES if r["force"] == force)
