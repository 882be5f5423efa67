"""Caveats where they apply, on the sample build of the session: every caveat of reference/caveats.csv
is on the caveats page; each figure and table carries the marker of every caveat whose scope it
touches and of none other, in its HTML (as links) and in its PNG. What each shows is read here from
the CSV saved beside it and from the file itself, with a reading of its own (not the package's).

And outcome 8 beside outcome 22: the figure's CSV against plain sums of the generator's rows; by
force, a missing or collapsed quarter stays missing."""

import csv
import html
import json
import re
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from conftest import NOTEBOOK_HTML, VINTAGES, sample_truth
from expected import from_tidy
from PIL import Image

from crimeoutcomes.data.codes import forces
from crimeoutcomes.notebook import figures
from crimeoutcomes.stats.by_outcome_type import outcome_type_totals

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "crimeoutcomes" / "reference"
YEAR = VINTAGES[-1]

#: What a figure or table shows beyond what its CSV's columns say, as a reader of the notebook
#: would put it: the outcome types it counts (else every type), the years (else the CSV's year
#: columns, else the report's year), or no markers at all (a list of codes, not data).
COMMUNITY_RESOLUTIONS_ONLY = {
    "sexual_cr_by_year",
    "sexual_cr_by_quarter",
    "sexual_cr_by_subgroup",
    "by-subgroup",
    "sexual_cr_by_offence_code",
    "force_cr_rate_per_1000",
    "force_cr_offence_mix_funnel",
    "offence-mix",
    "force_cr_counts",
    "force_cr_by_year",
    "child_cr_by_code_year",
    "child_cr_by_force",
    "child_rape_cr_forces",
    "child-rape-forces",
}
EIGHT_AND_22 = {"sexual_cr_beside_diversionary", "cr-beside-diversionary"}
EVERY_YEAR_READ = {"force-changes"}
UNMARKED = {"child-codes"}


def _file_caveats():
    with open(REFERENCE / "caveats.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _known_forces():
    with open(REFERENCE / "forces.csv", newline="", encoding="utf-8") as handle:
        return {row["force"] for row in csv.DictReader(handle)}


def _listed(cell):
    return {item.strip() for item in cell.split(";") if item.strip()}


def _in_years(cell, years):
    """Whether any of ``years`` lies in one of the cell's ranges ('2019/20', '2022/23-', '-2020/21', 'a-b')."""
    if not cell.strip():
        return bool(years)
    starts = [int(y[:4]) for y in years]
    for item in _listed(cell):
        first, _, last = item.partition("-") if "-" in item else (item, "", item)
        low = int(first[:4]) if first else -1
        high = int(last[:4]) if last else 9999
        if any(low <= s <= high for s in starts):
            return True
    return False


def _expected(name: str, data: pd.DataFrame, years_read: list[str]) -> list[int]:
    if name in UNMARKED:
        return []
    year_columns = [c for c in ("financial_year", "from_year", "to_year") if c in data.columns]
    if name in EVERY_YEAR_READ:
        years = years_read
    elif year_columns:
        years = sorted({str(v) for c in year_columns for v in data[c].dropna()})
    else:
        years = [YEAR]
    forces = None
    if "force" in data.columns:
        named = {str(f) for f in data["force"].dropna()}
        forces = named if named <= _known_forces() else None
    codes = {str(c) for c in data["offence_code"].dropna()} if "offence_code" in data.columns else None
    types = {"8"} if name in COMMUNITY_RESOLUTIONS_ONLY else {"8", "22"} if name in EIGHT_AND_22 else None
    found = []
    for number, row in enumerate(_file_caveats(), start=1):  # synthetic build: every caveat may apply
        touches = (
            _in_years(row["financial_years"], years)
            and (not _listed(row["forces"]) or forces is None or _listed(row["forces"]) & forces)
            and (not _listed(row["offence_codes"]) or codes is None or _listed(row["offence_codes"]) & codes)
            and (not _listed(row["outcome_types"]) or types is None or _listed(row["outcome_types"]) & types)
        )
        if touches:
            found.append(number)
    return found


def _numbers(fragment: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="caveats\.html#caveat-(\d+)"', fragment)]


def _shown(page: str):
    """(name, kind, caveat numbers linked) for every figure and table of a report page."""
    for match in re.finditer(r'<figure class="report-figure" data-csv="([^"]+)\.csv">(.*?)</figure>', page, re.S):
        yield match.group(1), "figure", _numbers(match.group(2))
    notes = {
        m.group(1): _numbers(m.group(2))
        for m in re.finditer(r'<p class="caveat-markers" data-table="([^"]+)">(.*?)</p>', page, re.S)
    }
    for name in re.findall(r"<table class=\"report-table\"[^>]*? id=\"table-([^\"]+)\"", page):
        yield name, "table", notes.get(name, [])


def _png_note(png: Path) -> str:
    with Image.open(png) as image:
        boxes = json.loads(image.info[figures.TEXT_BOXES_KEY])
    notes = [b["text"] for b in boxes if b["what"] == "figure" and b["text"].startswith("Caveats")]
    return notes[0] if notes else ""


def test_every_caveat_is_on_the_caveats_page_and_every_page_links_to_it(built):
    page = (built["reports"] / "caveats.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in page
    for number, row in enumerate(_file_caveats(), start=1):
        item = re.search(rf'<li id="caveat-{number}" value="{number}">(.*?)</li>', page, re.S)
        assert item, f"caveat {number} ({row['id']}) is not on the page"
        assert html.escape(row["text"]) in item.group(1)
        assert "Applies to:" in item.group(1)
        if row["source_url"]:
            assert f'href="{html.escape(row["source_url"])}"' in item.group(1)
    for name in [*NOTEBOOK_HTML, "index.html"]:
        assert 'href="caveats.html"' in (built["reports"] / name).read_text(encoding="utf-8"), name


def test_each_figure_and_table_carries_exactly_the_caveats_its_scope_touches(built):
    years_read = list(VINTAGES)
    checked = {"figure": 0, "table": 0}
    problems = []
    for report in NOTEBOOK_HTML:
        page = (built["reports"] / report).read_text(encoding="utf-8")
        for name, kind, linked in _shown(page):
            folder = built["figures"] if kind == "figure" else built["figures"] / "tables"
            data = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
            wanted = _expected(name, data, years_read)
            if linked != wanted:
                problems.append(f"{report} {kind} {name}: links {linked}, its scope touches {wanted}")
            if kind == "figure":
                note = _png_note(built["figures"] / f"{name}.png")
                drawn = [int(n) for n in re.findall(r"\[(\d+)\]", note)]
                if drawn != wanted:
                    problems.append(f"{name}.png draws {note!r}, its scope touches {wanted}")
            checked[kind] += 1
    assert not problems, "\n".join(problems)
    assert checked["figure"] >= 15 and checked["table"] >= 10, checked


def test_outcome_8_beside_22_adds_up_the_generators_rows(built):
    shown = pd.read_csv(built["figures"] / "sexual_cr_beside_diversionary.csv", dtype={"outcome_type": str})
    assert set(shown["data"]) == {"SYNTHETIC DATA"}
    assert list(shown["financial_year"].drop_duplicates()) == list(VINTAGES)
    for year in VINTAGES:
        rows = from_tidy(sample_truth(year), "closed")
        rows = rows[(rows["outcome_type"] != "0") & ~(rows["expired"] & rows["count"].isna())]
        sexual = rows[rows["offence_group"] == "Sexual offences"]
        for outcome_type in ("8", "22"):
            line = shown[(shown["financial_year"] == year) & (shown["outcome_type"] == outcome_type)]
            assert len(line) == 1, (year, outcome_type)
            mine = sexual[sexual["outcome_type"] == outcome_type]
            if mine.empty:  # the year's file has no such outcome type: missing, not 0
                assert pd.isna(line["count"].item()), (year, outcome_type)
                continue
            assert line["count"].item() == mine["count"].sum(), (year, outcome_type)
            assert line["assigned_outcomes"].item() == sexual["count"].sum()
            assert line["share_of_assigned"].item() == pytest.approx(mine["count"].sum() / sexual["count"].sum())


def _rows(*cells):
    """(year, quarter, force, outcome type, closed count or None for a marker)."""
    return pl.DataFrame(
        [
            {
                "financial_year": y,
                "quarter": q,
                "force": f,
                "offence_code": "17A",
                "offence_description": "Sexual assault",
                "offence_group": "Sexual offences",
                "offence_subgroup": "Other sexual offences",
                "offence_code_expired": None,
                "outcome_type": t,
                "outcome_description": "",
                "outcome_group": "",
                "recorded": n,
                "closed": n,
                "note": None if n is not None else "N/A - data not provided",
            }
            for y, q, f, t, n in cells
        ],
        schema_overrides={
            "quarter": pl.Int8,
            "recorded": pl.Int64,
            "closed": pl.Int64,
            "offence_code_expired": pl.Boolean,
        },
    )


def test_by_force_a_missing_or_collapsed_quarter_stays_missing_and_an_unused_type_is_not_zero():
    cells = []
    for quarter in (1, 2, 3, 4):
        cells += [("2018/19", quarter, "Kent", "8", 2), ("2018/19", quarter, "Kent", "15", 10)]  # no type 22 yet
        for force in ("Kent", "Essex", "Surrey"):
            essex_gap = force == "Essex" and quarter == 3
            cells += [
                ("2019/20", quarter, force, "8", None if essex_gap else 1),
                ("2019/20", quarter, force, "22", None if essex_gap else 3),
                ("2019/20", quarter, force, "15", None if essex_gap else 6),
            ]
    collapsed = pl.DataFrame({"financial_year": ["2019/20"], "quarter": [2], "force": ["Surrey"]}).with_columns(
        pl.col("quarter").cast(pl.Int8)
    )
    by_force = outcome_type_totals(_rows(*cells), "closed", ["8", "22"], ("financial_year", "force"), collapsed)
    got = {(r["financial_year"], r["force"], r["outcome_type"]): r for r in by_force.iter_rows(named=True)}
    assert got[("2019/20", "Kent", "8")]["count"] == 4 and got[("2019/20", "Kent", "22")]["count"] == 12
    assert got[("2019/20", "Kent", "22")]["share_of_assigned"] == pytest.approx(12 / 40)
    for force, quarter in (("Essex", "3"), ("Surrey", "2")):
        for outcome_type in ("8", "22"):
            row = got[("2019/20", force, outcome_type)]
            assert row["count"] is None and row["quarters_missing"] == quarter, (force, outcome_type)
    assert got[("2018/19", "Kent", "8")]["count"] == 8
    assert got[("2018/19", "Kent", "22")]["count"] is None  # no row for type 22 that year: not 0
    assert got[("2019/20", "Dorset", "8")]["count"] is None  # a force with no rows at all
    national = outcome_type_totals(_rows(*cells), "closed", ["8", "22"], ("financial_year",), collapsed)
    totals = {(r["financial_year"], r["outcome_type"]): r for r in national.iter_rows(named=True)}
    # Nationally what the file holds is added up (Surrey's collapsed quarter too) and the gaps counted.
    assert totals[("2019/20", "8")]["count"] == 4 + 3 + 4 and totals[("2019/20", "22")]["count"] == 12 + 9 + 12
    assert totals[("2018/19", "22")]["count"] is None
    assert totals[("2019/20", "8")]["force_quarters_missing"] == 2 + 4 * (len(forces()) - 3)
