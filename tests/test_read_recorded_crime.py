"""The police force area recorded-crime file: a sheet per year, stray columns, N/a cells."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from crimeoutcomes.data.read import parse_recorded_crime
from crimeoutcomes.data.schema import RECORDED_CRIME_COLUMNS
from crimeoutcomes.synthetic import sample
from crimeoutcomes.synthetic.writer import Sheet, write_workbook


def test_round_trip_of_every_year_sheet(sample_files):
    table = parse_recorded_crime(sample_files.recorded_crime)
    truth = sample.recorded_crime_truth(sample.financial_years_between("2012/13", "2024/25"))
    assert_frame_equal(table, truth)
    assert dict(table.schema) == RECORDED_CRIME_COLUMNS
    assert table["financial_year"].unique().sort().to_list() == sample.financial_years_between("2012/13", "2024/25")


def test_quirks_na_cells_fraud_bodies_and_split_homicide(sample_files):
    table = parse_recorded_crime(sample_files.recorded_crime)
    assert table["offences"].null_count() == 4  # the 'N/a' cells
    assert {"Action Fraud", "Cifas", "UK Finance"} <= set(table["force"].unique())
    codes_2024 = set(table.filter(pl.col("financial_year") == "2024/25")["offence_code"])
    assert {"1", "4.1", "4.10", "4.2"} <= codes_2024


def test_year_taken_from_the_sheet_when_the_column_is_absent(tmp_path):
    rows = pl.DataFrame(
        {
            "Financial Quarter": [1, 2],
            "Force Name": ["Kent", "Kent"],
            "Offence Code": ["21", "21"],
            "Number of Offences": [5, 7],
        }
    )
    path = write_workbook(tmp_path / "pfa.xlsx", [Sheet("2023_24", table=rows)])
    table = parse_recorded_crime(path)
    assert table["financial_year"].to_list() == ["2023/24", "2023/24"]
    assert table["offences"].to_list() == [5, 7]


def test_missing_count_column_is_named(tmp_path):
    rows = pl.DataFrame(
        {"Financial Year": ["2023/24"], "Financial Quarter": [1], "Force Name": ["Kent"], "Offence Code": ["21"]}
    )
    path = write_workbook(tmp_path / "pfa.ods", [Sheet("2023_24", table=rows)])
    with pytest.raises(Exception, match=r"sheet '2023_24'.*column 'offences'"):
        parse_recorded_crime(path)
