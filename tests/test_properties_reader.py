"""Property test of the reader: any combination of the layout quirks in the spec
(../shared/spec/outcomes-format.md 1.2-1.4) gives the table of the rows intended.

The workbook is built here from the spec's wording (tests/spec_layout.py, not the generator): a
data-sheet spelling of any year after Cover_sheet, Notes and a Pivot of bare figures; the current
or the older header wording, in any case, with NBSP and spaces around; up to three title rows
above the header; the columns in any order, with unknown extra columns; markers in any case;
offence codes that look like numbers stored as number cells; xlsx or ods. The expected tidy table
is written out from the tidy tables' contract (docs/usage.md, The tidy tables), not from the
reader. 25 examples.
"""

import polars as pl
import spec_layout as spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from crimeoutcomes.data.read import parse_outcomes
from crimeoutcomes.data.schema import OUTCOMES_COLUMNS
from crimeoutcomes.synthetic.writer import Sheet, mixed_cells, write_workbook

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
FORCES = ["Kent", "London, City of", "Dyfed-Powys", "Devon and Cornwall", "British Transport Police"]
# Text codes, and codes a spreadsheet would take for numbers (written as number cells when drawn so).
TEXT_CODES = ["19C", "4.10", "88E", "22B", "1/4.1/4.10/4.2"]
NUMBER_CODES = ["21", "70", "71", "23"]
OUTCOME_TYPES = [0, 1, 8, 14, 15, 18, 22]
EXTRA_COLUMNS = ["Region", "Analyst's comment", "CSP Name", "ONS Code"]


def _cased(draw, text):
    return draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))


@st.composite
def count_cell(draw):
    """A count (negative ones too) or a published marker in any case."""
    if draw(st.booleans()):
        return draw(st.integers(-150, 5000))
    return _cased(draw, draw(st.sampled_from(spec.MARKERS)))


@st.composite
def intended_row(draw, year):
    return {
        "financial_year": year,
        "quarter": draw(st.integers(1, 4)),
        "force": draw(st.sampled_from(FORCES)),
        "offence_code": draw(st.sampled_from(TEXT_CODES + NUMBER_CODES)),
        "offence_description": draw(st.sampled_from(["Rape of a female aged 16 and over", "Sexual grooming"])),
        "offence_group": "Sexual offences",
        "offence_subgroup": draw(st.sampled_from(["Rape offences", "Other sexual offences"])),
        "expired": draw(st.booleans()),
        "outcome_type": draw(st.sampled_from(OUTCOME_TYPES)),
        "outcome_description": "described",
        "outcome_group": draw(st.sampled_from(["Charged/Summonsed", "Out-of-court (informal)"])),
        "recorded": draw(count_cell()),
        "closed": draw(count_cell()),
    }


@st.composite
def layouts(draw):
    year, sheet = draw(st.sampled_from(sorted(spec.DATA_SHEETS.items())))
    rows = draw(
        st.lists(
            intended_row(year),
            min_size=1,
            max_size=8,
            unique_by=lambda r: (r["quarter"], r["force"], r["offence_code"], r["outcome_type"]),
        )
    )
    fields = list(spec.OUTCOMES_HEADERS)
    headers = {}
    for field in fields:
        wording = draw(st.sampled_from(spec.OUTCOMES_HEADER_VARIANTS.get(field, [spec.OUTCOMES_HEADERS[field]])))
        padding = draw(st.sampled_from(["", " ", "\xa0", " \xa0 "]))
        headers[field] = _cased(draw, wording) + padding
    extras = draw(st.lists(st.sampled_from(EXTRA_COLUMNS), max_size=2, unique=True))
    order = draw(st.permutations(fields + extras))
    titles = draw(
        st.lists(
            st.sampled_from(
                [["Police recorded crime: outcomes open data"], [], ["Source: Home Office"], ["Released 23 July 2026"]]
            ),
            max_size=3,
        )
    )
    return {
        "year": year,
        "sheet": sheet,
        "rows": rows,
        "headers": headers,
        "order": order,
        "titles": titles,
        "numbers_as_numbers": draw(st.booleans()),
        "format": draw(st.sampled_from(["xlsx", "ods"])),
    }


def _cells(values, name):
    """A column of cells: numbers as number cells and text as text cells, mixed where both occur."""
    numbers = [v if isinstance(v, (int, float)) else None for v in values]
    texts = [v if isinstance(v, str) else None for v in values]
    if all(t is None for t in texts):
        return pl.Series(name, numbers, dtype=pl.Int64)
    if all(n is None for n in numbers):
        return pl.Series(name, texts, dtype=pl.String)
    frame = pl.DataFrame({"n": numbers, "t": texts}, schema={"n": pl.Int64, "t": pl.String})
    return frame.select(mixed_cells(pl.col("n"), pl.col("t")).alias(name)).to_series()


def write_layout(layout, path):
    rows = layout["rows"]
    published = {
        "financial_year": [r["financial_year"] for r in rows],
        "quarter": [r["quarter"] for r in rows],  # a number cell, as published
        "force": [r["force"] for r in rows],
        "offence_code": [
            int(r["offence_code"])
            if layout["numbers_as_numbers"] and r["offence_code"] in NUMBER_CODES
            else r["offence_code"]
            for r in rows
        ],
        "offence_description": [r["offence_description"] for r in rows],
        "offence_group": [r["offence_group"] for r in rows],
        "offence_subgroup": [r["offence_subgroup"] for r in rows],
        "offence_code_expired": [spec.EXPIRED_FLAG if r["expired"] else None for r in rows],
        "outcome_type": [r["outcome_type"] for r in rows],  # a number cell, as published
        "outcome_description": [r["outcome_description"] for r in rows],
        "outcome_group": [r["outcome_group"] for r in rows],
        "recorded": [r["recorded"] for r in rows],
        "closed": [r["closed"] for r in rows],
    }
    for extra in EXTRA_COLUMNS:
        published[extra] = [f"{extra} {i}" for i in range(len(rows))]
    columns = [_cells(published[c], f"c{i}") for i, c in enumerate(layout["order"])]
    header = [layout["headers"].get(c, c) for c in layout["order"]]
    sheets = [
        Sheet(spec.OTHER_SHEETS[0], rows=[["Outcomes open data (test workbook)"]]),
        Sheet(spec.OTHER_SHEETS[1], rows=[["Notes"], ["1. Counts are of crimes."]]),
        Sheet(spec.OTHER_SHEETS[2], rows=[[12, 345, 6789], [1, 2, 3]]),
        Sheet(layout["sheet"], rows=layout["titles"], table=pl.DataFrame(columns), header=header),
    ]
    return write_workbook(path, sheets)


def _marker(value):
    return value.strip() if isinstance(value, str) else None


def expected_table(layout):
    """The tidy rows the contract (docs/usage.md, The tidy tables) promises for the rows intended."""
    out = []
    for r in layout["rows"]:
        recorded_marker, closed_marker = _marker(r["recorded"]), _marker(r["closed"])
        if recorded_marker and closed_marker and recorded_marker != closed_marker:
            note = f"recorded: {recorded_marker}; closed: {closed_marker}"
        else:
            note = recorded_marker or closed_marker
        expired_by_marker = any(m and "expired" in m.lower() for m in (recorded_marker, closed_marker))
        out.append(
            {
                "financial_year": r["financial_year"],
                "quarter": r["quarter"],
                "force": r["force"],
                "offence_code": r["offence_code"],
                "offence_description": r["offence_description"],
                "offence_group": r["offence_group"],
                "offence_subgroup": r["offence_subgroup"],
                "offence_code_expired": r["expired"] or expired_by_marker,
                "outcome_type": str(r["outcome_type"]),
                "outcome_description": r["outcome_description"],
                "outcome_group": r["outcome_group"],
                "recorded": None if recorded_marker else r["recorded"],
                "closed": None if closed_marker else r["closed"],
                "note": note,
            }
        )
    return pl.DataFrame(out, schema=OUTCOMES_COLUMNS)


@SETTINGS
@given(layouts())
def test_any_mix_of_the_published_quirks_reads_as_the_rows_intended(tmp_path_factory, layout):
    path = write_layout(layout, tmp_path_factory.mktemp("quirks") / f"outcomes.{layout['format']}")
    assert_frame_equal(parse_outcomes(path), expected_table(layout))
