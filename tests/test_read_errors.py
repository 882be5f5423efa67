"""Bad input: an error naming the file, the sheet and the column, and no cache entry left."""

import shutil

import pytest
from helpers import base_row, outcomes_rows
from spec_layout import OUTCOMES_HEADERS

from crimeoutcomes import config as paths
from crimeoutcomes.data.load import load_outcomes
from crimeoutcomes.data.read import parse_outcomes, parse_recorded_crime
from crimeoutcomes.errors import InputFileError
from crimeoutcomes.synthetic.writer import Sheet, write_workbook


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
    path = write_workbook(
        tmp_path / "nodata.xlsx", [Sheet("Cover_sheet", rows=[["title"]]), Sheet("Notes", rows=[["notes"]])]
    )
    _fails(path, "no outcomes data sheet", "'Cover_sheet'")


def test_missing_required_column(tmp_path):
    headers = {k: v for k, v in OUTCOMES_HEADERS.items() if k != "outcome_type"}
    path = outcomes_rows([base_row()], tmp_path / "nocol.xlsx", headers=headers)
    error = _fails(path, "sheet 'Outcomes open data 2024_25'", "outcome type")
    assert error.column == "outcome type"


def test_renamed_count_columns(tmp_path):
    headers = dict(OUTCOMES_HEADERS, recorded="Total", closed="Other total")
    path = outcomes_rows([base_row()], tmp_path / "renamed.xlsx", headers=headers)
    _fails(path, "no count column")


def test_unreadable_count_names_sheet_column_and_row(tmp_path):
    path = outcomes_rows([base_row(), base_row(recorded="three")], tmp_path / "bad.xlsx")
    error = _fails(
        path,
        "sheet 'Outcomes open data 2024_25'",
        "column 'Outcomes for offences that were recorded in the quarter'",
        "row 3",
        "'three'",
    )
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


def test_extra_unknown_columns_are_ignored(tmp_path):
    rows = [base_row(), base_row(outcome_type=1, recorded=7)]
    plain = parse_outcomes(outcomes_rows(rows, tmp_path / "plain.xlsx"))
    headers = dict(OUTCOMES_HEADERS, note_to_self="Analyst's comment", region="Region")
    extra = parse_outcomes(
        outcomes_rows(
            [dict(r, note_to_self="checked", region="South East") for r in rows],
            tmp_path / "extra.xlsx",
            headers=headers,
        )
    )
    assert extra.equals(plain)


def test_unknown_outcome_type_names_the_cell_and_the_fix(tmp_path):
    path = outcomes_rows([base_row(), base_row(outcome_type=23)], tmp_path / "type.xlsx")
    error = _fails(path, "column 'Outcome Type'", "row 3", "unknown outcome type '23'", "outcome_types.csv")
    assert error.row == 3


def test_alternate_offence_outcome_types_are_refused_as_double_counts(tmp_path):
    _fails(outcomes_rows([base_row(outcome_type="1a")], tmp_path / "alt.xlsx"), "'1a'", "double counts")


def test_unknown_force_names_the_cell_and_a_close_spelling(tmp_path):
    path = outcomes_rows([base_row(), base_row(force="Kent Police", outcome_type=1)], tmp_path / "force.xlsx")
    _fails(
        path, "column 'Force Name'", "row 3", "unknown force 'Kent Police'", "did you mean 'Kent'", "force_aliases.csv"
    )


def test_duplicate_rows_name_both_rows(tmp_path):
    rows = [base_row(), base_row(outcome_type=1), base_row(recorded=9)]
    error = _fails(
        outcomes_rows(rows, tmp_path / "dup.xlsx"),
        "rows 2 and 4 both hold",
        "force Kent, offence code 19C, outcome type 8",
    )
    assert error.row == 4


def test_offence_codes_stored_as_numbers(tmp_path):
    # A whole-number code stored as a number reads as its text ...
    table = parse_outcomes(
        outcomes_rows([base_row(offence_code=21.0), base_row(offence_code=8)], tmp_path / "numbers.xlsx")
    )
    assert table["offence_code"].to_list() == ["21", "8"]
    # ... but 4.10 stored as a number is 4.1, and the two codes collide: refused, saying why.
    rows = [base_row(offence_code="4.1"), base_row(offence_code=4.10)]
    _fails(
        outcomes_rows(rows, tmp_path / "collide.xlsx"), "both hold", "offence code 4.1", "keep offence codes as text"
    )


def test_a_quarter_missing_from_the_whole_file_is_a_gap_for_every_force(tmp_path):
    from crimeoutcomes.data.codes import forces
    from crimeoutcomes.stats import measures

    rows = [base_row(quarter=q, force=f) for q in (1, 2, 4) for f in ("Kent", "Essex")]
    table = load_outcomes([outcomes_rows(rows, tmp_path / "q3.xlsx")])
    totals = measures.national_totals(table, "closed").row(0, named=True)
    assert totals["community_resolutions"] == 6 * base_row()["closed"]
    # Q3 for every force, and quarters 1, 2 and 4 for the 42 forces with no rows at all.
    assert totals["force_quarters_missing"] == len(forces()) + 3 * (len(forces()) - 2)
    quarter_3 = measures.gaps(table, "closed").filter(measures.pl.col("force") == "Kent").row(0, named=True)
    assert quarter_3["quarters_missing"] == "3" and "no rows for this quarter, for any force" in quarter_3["marker"]


def test_recorded_crime_duplicate_rows(tmp_path):
    from spec_layout import RECORDED_CRIME_HEADERS

    row = ["2024/25", 1, "Kent", "Rape of a female aged 16 and over", "Sexual offences", "Rape offences", "19C", 5]
    assert len(row) == len(RECORDED_CRIME_HEADERS)
    path = write_workbook(tmp_path / "pfa.ods", [Sheet("2024_25", rows=[RECORDED_CRIME_HEADERS, row, row])])
    with pytest.raises(InputFileError, match=r"rows 2 and 3 both hold .*offence code 19C"):
        parse_recorded_crime(path)


def test_a_zip_bomb_is_refused_before_parsing(tmp_path, monkeypatch):
    import zipfile

    from crimeoutcomes.data import workbook

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024**2))  # 8 MB of zeros: a few KB packed
    assert path.stat().st_size < 64 * 1024
    monkeypatch.setattr(workbook, "MAX_UNCOMPRESSED_BYTES", 4 * 1024**2)
    monkeypatch.setattr(workbook.fastexcel, "read_excel", lambda *a, **k: pytest.fail("a zip bomb was parsed"))
    _fails(path, "unpacks to", "zip bomb")
