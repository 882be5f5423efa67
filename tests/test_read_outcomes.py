"""Reading outcomes workbooks: every vintage, every quirk of the published format."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from crimeoutcomes import sample
from crimeoutcomes.read import parse_outcomes
from crimeoutcomes.schema import OUTCOMES_COLUMNS
from crimeoutcomes.tables import to_pandas

from conftest import VINTAGES
from helpers import base_row, outcomes_rows


@pytest.mark.parametrize("year", VINTAGES)
def test_round_trip_gives_the_generators_own_values(sample_files, year):
    assert_frame_equal(parse_outcomes(sample_files.outcomes[year]), sample.outcomes_truth(year))


def test_ods_workbooks_read_the_same(tmp_path):
    path = tmp_path / "outcomes.ods"
    truth = sample.write_outcomes_workbook(path, "2015/16")
    assert_frame_equal(parse_outcomes(path), truth)


def test_tidy_table_has_the_contract_columns_and_types(sample_files):
    table = parse_outcomes(sample_files.outcomes["2024/25"])
    assert dict(table.schema) == OUTCOMES_COLUMNS
    frame = to_pandas(table)
    assert str(frame["quarter"].dtype) == "Int8"
    assert str(frame["recorded"].dtype) == "Int64" and str(frame["closed"].dtype) == "Int64"
    assert frame["offence_code"].dtype.name.startswith("string")
    assert frame["offence_code_expired"].dtype == bool
    assert frame["closed"].isna().sum() == table["closed"].null_count() > 0


@pytest.mark.parametrize("layout", [
    sample.OutcomesLayout(headers="older"),
    sample.OutcomesLayout(title_rows=(("Police recorded crime outcomes, SYNTHETIC",), (), ("Source: test",), ())),
    sample.OutcomesLayout(extra_column=True),
    sample.OutcomesLayout(reverse_columns=True),
    sample.OutcomesLayout(sheet_name="Outcomes-open-data 2024.25"),
    sample.OutcomesLayout(sheet_name="Data"),
], ids=["older-headers", "title-block", "extra-column", "reversed-columns", "odd-sheet-name", "plain-sheet-name"])
def test_layout_variants_read_the_same(tmp_path, layout):
    path = tmp_path / "variant.xlsx"
    truth = sample.write_outcomes_workbook(path, "2024/25", layout=layout)
    assert_frame_equal(parse_outcomes(path), truth)


def test_headers_with_nbsp_trailing_spaces_and_odd_case(tmp_path):
    headers = {field: f" {label.upper()}\xa0 " for field, label in
               {"financial_year": "Financial Year", "quarter": "Financial Quarter", "force": "Force Name",
                "offence_code": "Offence Code", "outcome_type": "Outcome Type",
                "recorded": "Outcomes for offences that were recorded in the quarter",
                "closed": "Outcomes for investigations closed in the quarter"}.items()}
    path = outcomes_rows([base_row()], tmp_path / "h.xlsx", headers=headers)
    row = parse_outcomes(path).row(0, named=True)
    assert (row["force"], row["offence_code"], row["outcome_type"], row["recorded"], row["closed"]) == \
        ("Kent", "19C", "8", 3, 4)
    assert row["offence_description"] is None  # absent optional columns are NA


def test_markers_in_any_case_become_na_with_the_marker_kept(tmp_path):
    markers = ["N/A", "NA", "n/a", "N/A - data not provided", "N/A - Offence code expired",
               "n/a - offence code expired", "N/A - DATA NOT PROVIDED"]
    rows = [base_row(recorded=m, closed=5, outcome_type=n) for n, m in enumerate(markers, 1)] \
        + [base_row(recorded=2, closed="N/A", outcome_type=len(markers) + 1)]
    table = parse_outcomes(outcomes_rows(rows, tmp_path / "m.xlsx"))
    assert table["recorded"].head(len(markers)).null_count() == len(markers)
    assert table["note"].head(len(markers)).to_list() == markers
    assert table["closed"].head(len(markers)).to_list() == [5] * len(markers)
    last = table.row(-1, named=True)
    assert (last["recorded"], last["closed"], last["note"]) == (2, None, "N/A")
    # An expired-code marker flags the code as expired even without the 'x' column.
    assert table["offence_code_expired"].to_list() == [False] * 4 + [True, True, False, False]


def test_two_different_markers_are_both_kept(tmp_path):
    row = base_row(recorded="N/A - Offence code expired", closed="N/A", outcome_type=0)
    note = parse_outcomes(outcomes_rows([row], tmp_path / "two.xlsx"))["note"][0]
    assert note == "recorded: N/A - Offence code expired; closed: N/A"


def test_codes_stay_text_and_counts_keep_their_sign(tmp_path):
    rows = [base_row(offence_code="4.10", recorded=-150), base_row(offence_code=21, recorded=0),
            base_row(offence_code="1/4.1/4.10/4.2", outcome_type="1.0", recorded="1,234"),
            base_row(offence_code_expired="x", quarter="Q3", financial_year="2024-25")]
    table = parse_outcomes(outcomes_rows(rows, tmp_path / "c.xlsx"))
    assert table["offence_code"].to_list() == ["4.10", "21", "1/4.1/4.10/4.2", "19C"]
    assert table["recorded"].to_list() == [-150, 0, 1234, 3]
    assert table["outcome_type"].to_list() == ["8", "8", "1", "8"]
    assert table["offence_code_expired"].to_list() == [False, False, False, True]
    assert table["quarter"].to_list() == [1, 1, 1, 3]
    assert table["financial_year"].unique().to_list() == ["2024/25"]


def test_force_names_take_the_home_office_spelling(tmp_path):
    rows = [base_row(force="Devon & Cornwall"), base_row(force="City of London"), base_row(force=" Kent\xa0")]
    table = parse_outcomes(outcomes_rows(rows, tmp_path / "f.xlsx"))
    assert table["force"].to_list() == ["Devon and Cornwall", "London, City of", "Kent"]


def test_blank_rows_and_footnotes_under_the_table_are_not_data(tmp_path):
    rows = [base_row(), {}, base_row(force="Essex")]
    table = parse_outcomes(outcomes_rows(rows, tmp_path / "b.xlsx"))
    assert table["force"].to_list() == ["Kent", "Essex"]


def test_the_pivot_sheet_is_never_taken_for_data(sample_files):
    table = parse_outcomes(sample_files.outcomes["2024/25"])
    assert table.height == sample.outcomes_truth("2024/25").height
    assert table.filter(pl.col("force").is_null()).height == 0


def test_the_annual_2006_2014_archive_layout(tmp_path):
    """No quarter and no offence code: both NA; outcome types are the old framework's text labels."""
    headers = {"financial_year": "Financial Year", "force": "Force Name", "offence_group": "Offence Group",
               "outcome_type": "Outcome Type", "recorded": "Number of outcomes recorded"}
    rows = [{"financial_year": "2012/13", "force": "Kent", "offence_group": "Sexual offences",
             "outcome_type": "Charge/Summons", "recorded": 120},
            {"financial_year": "2013/14", "force": "Kent", "offence_group": "Sexual offences",
             "outcome_type": "Cautions", "recorded": 15}]
    table = parse_outcomes(outcomes_rows(rows, tmp_path / "archive.ods", headers=headers, sheet="Outcomes_Open_Data"))
    assert table["quarter"].null_count() == 2 and table["offence_code"].null_count() == 2
    assert table["outcome_type"].to_list() == ["Charge/Summons", "Cautions"]
    assert table["recorded"].to_list() == [120, 15] and table["closed"].null_count() == 2
    assert table["financial_year"].to_list() == ["2012/13", "2013/14"]
