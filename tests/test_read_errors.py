"""Bad input: an error naming the file, the sheet and the column, and no cache entry left."""

import shutil

import pytest

from crimeoutcomes import paths
from crimeoutcomes.errors import InputFileError
from crimeoutcomes.read import parse_outcomes, parse_recorded_crime
from crimeoutcomes.sample import PUBLISHED_HEADERS
from crimeoutcomes.tables import load_outcomes
from crimeoutcomes.workbook_writer import Sheet, write_workbook

from helpers import base_row, outcomes_rows


def _fails(path, *fragments):
    with pytest.raises(InputFileError) as caught:
        load_outcomes([path])
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    cache = paths.cache_dir()
    assert not cache.exists() or not any(cache.iterdir()), "a failed read left a cache entry"
    return caught.value


def test_missing_file(tmp_path):
    _fails(tmp_path / "nope.xlsx", "file not found")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    _fails(path, "empty")


def test_html_error_page_saved_as_xlsx(tmp_path):
    path = tmp_path / "page.xlsx"
    path.write_text("<!DOCTYPE html><html><body>Sorry, we're experiencing technical difficulties</body></html>")
    _fails(path, "HTML page")


def test_truncated_workbook(sample_files, tmp_path):
    path = tmp_path / "cut.xlsx"
    data = sample_files.outcomes["2024/25"].read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _fails(path, "damaged or truncated")


def test_workbook_without_a_data_sheet(tmp_path):
    path = write_workbook(tmp_path / "nodata.xlsx", [Sheet("Cover_sheet", rows=[["title"]]),
                                                     Sheet("Notes", rows=[["notes"]])])
    _fails(path, "no outcomes data sheet", "'Cover_sheet'")


def test_missing_required_column(tmp_path):
    headers = {k: v for k, v in PUBLISHED_HEADERS["current"].items() if k != "outcome_type"}
    path = outcomes_rows([base_row()], tmp_path / "nocol.xlsx", headers=headers)
    error = _fails(path, "sheet 'Outcomes open data 2024_25'", "outcome type")
    assert error.column == "outcome type"


def test_renamed_count_columns(tmp_path):
    headers = dict(PUBLISHED_HEADERS["current"], recorded="Total", closed="Other total")
    path = outcomes_rows([base_row()], tmp_path / "renamed.xlsx", headers=headers)
    _fails(path, "no count column")


def test_unreadable_count_names_sheet_column_and_row(tmp_path):
    path = outcomes_rows([base_row(), base_row(recorded="three")], tmp_path / "bad.xlsx")
    error = _fails(path, "sheet 'Outcomes open data 2024_25'",
                   "column 'Outcomes for offences that were recorded in the quarter'", "row 3", "'three'")
    assert error.row == 3


def test_fractional_count_is_unreadable(tmp_path):
    path = outcomes_rows([base_row(closed=2.5)], tmp_path / "frac.xlsx")
    _fails(path, "column 'Outcomes for investigations closed in the quarter'", "not a whole number")


def test_bad_quarter_and_year(tmp_path):
    _fails(outcomes_rows([base_row(quarter=5)], tmp_path / "q.xlsx"), "column 'Financial Quarter'", "quarter 1-4")
    _fails(outcomes_rows([base_row(financial_year="2024/26")], tmp_path / "y.xlsx"), "column 'Financial Year'")


def test_recorded_crime_file_without_year_sheets(tmp_path):
    path = write_workbook(tmp_path / "pfa.ods", [Sheet("Cover_sheet", rows=[["x"]])])
    with pytest.raises(InputFileError, match="no recorded-crime data sheet"):
        parse_recorded_crime(path)


def test_a_folder_is_not_a_workbook(tmp_path):
    with pytest.raises(InputFileError, match="folder"):
        parse_outcomes(tmp_path)


def test_zip_that_is_not_a_workbook(tmp_path):
    archive = shutil.make_archive(str(tmp_path / "z"), "zip", root_dir=tmp_path, base_dir=".")
    path = tmp_path / "z.xlsx"
    shutil.move(archive, path)
    _fails(path, "not an .xlsx or .ods workbook")
