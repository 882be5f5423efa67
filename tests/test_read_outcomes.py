"""Reading outcomes workbooks: every vintage, every quirk of the published format."""

import functools

import polars as pl
import pytest
from conftest import VINTAGES, sample_truth
from helpers import base_row, outcomes_rows
from polars.testing import assert_frame_equal

from crimeoutcomes.data.frames import to_pandas
from crimeoutcomes.data.read import parse_outcomes
from crimeoutcomes.data.schema import OUTCOMES_COLUMNS
from crimeoutcomes.synthetic import sample


@functools.cache
def _parsed(path) -> pl.DataFrame:
    """``parse_outcomes`` of one of the run's sample files, once for this module (a second each;
    polars frames are never changed in place)."""
    return parse_outcomes(path)


@pytest.mark.parametrize("year", VINTAGES)
def test_round_trip_gives_the_generators_own_values(sample_files, year):
    assert_frame_equal(_parsed(sample_files.outcomes[year]), sample_truth(year))


def _some_forces(year: str) -> pl.DataFrame:
    """The year's truth for a few forces, for a test of a layout rather than of a whole year (each
    vintage is read whole above): every code, outcome type and marker, the collapsed and negative
    counts and the name with a comma, in a tenth of the rows."""
    truth = sample_truth(year)
    forces = {"Kent", "London, City of", "Humberside", *sample._collapsed(year), *sample._not_provided(year)}
    few = truth.filter(pl.col("force").is_in(forces))
    for column in ("note", "offence_code", "outcome_type"):
        assert set(few[column].unique()) == set(truth[column].unique()), column
    return few


def _write_some_forces(path, year: str, layout: sample.OutcomesLayout = sample.OutcomesLayout()) -> pl.DataFrame:
    """``sample.write_outcomes_workbook`` of ``_some_forces``, compressed at level 1 (the compression
    is not what is read here; at the default level zlib took half of the writing)."""
    from crimeoutcomes.synthetic.writer import write_workbook

    truth = _some_forces(year)
    write_workbook(path, sample.outcomes_workbook_sheets(truth, layout), compresslevel=1)
    return truth


def test_ods_workbooks_read_the_same(tmp_path):
    path = tmp_path / "outcomes.ods"
    truth = _write_some_forces(path, "2015/16")
    assert_frame_equal(parse_outcomes(path), truth)


def test_tidy_table_has_the_contract_columns_and_types(sample_files):
    table = _parsed(sample_files.outcomes["2024/25"])
    assert dict(table.schema) == OUTCOMES_COLUMNS
    frame = to_pandas(table)
    assert str(frame["quarter"].dtype) == "Int8"
    assert str(frame["recorded"].dtype) == "Int64" and str(frame["closed"].dtype) == "Int64"
    assert frame["offence_code"].dtype == "category" and frame["force"].dtype == "category"
    assert set(frame["offence_code"].cat.categories) == set(table["offence_code"].unique())
    assert str(frame["offence_code_expired"].dtype) == "boolean"
    assert str(frame["note"].dtype).startswith("string")
    assert frame["closed"].isna().sum() == table["closed"].null_count() > 0


@pytest.mark.parametrize(
    "layout",
    [
        sample.OutcomesLayout(headers="older"),
        sample.OutcomesLayout(title_rows=(("Police recorded crime outcomes, SYNTHETIC",), (), ("Source: test",), ())),
        sample.OutcomesLayout(extra_column=True),
        sample.OutcomesLayout(reverse_columns=True),
        sample.OutcomesLayout(sheet_name="Outcomes-open-data 2024.25"),
        sample.OutcomesLayout(sheet_name="Data"),
    ],
    ids=["older-headers", "title-block", "extra-column", "reversed-columns", "odd-sheet-name", "plain-sheet-name"],
)
def test_layout_variants_read_the_same(tmp_path, layout):
    path = tmp_path / "variant.xlsx"
    truth = _write_some_forces(path, "2024/25", layout)
    assert_frame_equal(parse_outcomes(path), truth)


def test_headers_with_nbsp_trailing_spaces_and_odd_case(tmp_path):
    headers = {
        field: f" {label.upper()}\xa0 "
        for field, label in {
            "financial_year": "Financial Year",
            "quarter": "Financial Quarter",
            "force": "Force Name",
            "offence_code": "Offence Code",
            "outcome_type": "Outcome Type",
            "recorded": "Outcomes for offences that were recorded in the quarter",
            "closed": "Outcomes for investigations closed in the quarter",
        }.items()
    }
    path = outcomes_rows([base_row()], tmp_path / "h.xlsx", headers=headers)
    row = parse_outcomes(path).row(0, named=True)
    assert (row["force"], row["offence_code"], row["outcome_type"], row["recorded"], row["closed"]) == (
        "Kent",
        "19C",
        "8",
        3,
        4,
    )
    assert row["offence_description"] is None  # absent optional columns are NA


def test_markers_in_any_case_become_na_with_the_marker_kept(tmp_path):
    markers = [
        "N/A",
        "NA",
        "n/a",
        "N/A - data not provided",
        "N/A - Offence code expired",
        "n/a - offence code expired",
        "N/A - DATA NOT PROVIDED",
    ]
    rows = [base_row(recorded=m, closed=5, outcome_type=n) for n, m in enumerate(markers, 1)] + [
        base_row(recorded=2, closed="N/A", outcome_type=len(markers) + 1)
    ]
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
    rows = [
        base_row(offence_code="4.10", recorded=-150),
        base_row(offence_code=21, recorded=0),
        base_row(offence_code="1/4.1/4.10/4.2", outcome_type="1.0", recorded="1,234"),
        base_row(offence_code_expired="x", quarter="Q3", financial_year="2024-25"),
    ]
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
    table = _parsed(sample_files.outcomes["2024/25"])
    assert table.height == sample_truth("2024/25").height
    assert table.filter(pl.col("force").is_null()).height == 0


def test_the_annual_2006_2014_archive_layout(tmp_path):
    """No quarter and no offence code: both NA; outcome types are the old framework's text labels."""
    headers = {
        "financial_year": "Financial Year",
        "force": "Force Name",
        "offence_group": "Offence Group",
        "outcome_type": "Outcome Type",
        "recorded": "Number of outcomes recorded",
    }
    rows = [
        {
            "financial_year": "2012/13",
            "force": "Kent",
            "offence_group": "Sexual offences",
            "outcome_type": "Charge/Summons",
            "recorded": 120,
        },
        {
            "financial_year": "2013/14",
            "force": "Kent",
            "offence_group": "Sexual offences",
            "outcome_type": "Cautions",
            "recorded": 15,
        },
    ]
    table = parse_outcomes(outcomes_rows(rows, tmp_path / "archive.ods", headers=headers, sheet="Outcomes_Open_Data"))
    assert table["quarter"].null_count() == 2 and table["offence_code"].null_count() == 2
    assert table["outcome_type"].to_list() == ["Charge/Summons", "Cautions"]
    assert table["recorded"].to_list() == [120, 15] and table["closed"].null_count() == 2
    assert table["financial_year"].to_list() == ["2012/13", "2013/14"]


# --- independent of the generator: the spec's layout written out in tests/spec_layout.py ----------
def test_the_generator_writes_the_spec_wording():
    """The sample's headers, sheet names and markers are the spec's, compared with the tests' own copy."""
    import spec_layout as spec

    assert sample.PUBLISHED_HEADERS["current"] == spec.OUTCOMES_HEADERS
    assert list(sample.PUBLISHED_HEADERS["current"]) == list(spec.OUTCOMES_HEADERS)  # and the order
    older = sample.PUBLISHED_HEADERS["older"]
    for field, wordings in spec.OUTCOMES_HEADER_VARIANTS.items():
        assert older[field] in wordings
    assert sample.RECORDED_CRIME_HEADERS == spec.RECORDED_CRIME_HEADERS
    assert {y: sample.data_sheet_name(y) for y in spec.DATA_SHEETS if y <= "2024/25"} == {
        y: s for y, s in spec.DATA_SHEETS.items() if y <= "2024/25"
    }
    assert sample.EXPIRED_MARKER in spec.EXPIRED_MARKERS and sample.NOT_PROVIDED_MARKER == spec.NOT_PROVIDED


@pytest.mark.parametrize("year,fmt", [("2014/15", "xlsx"), ("2021/22", "ods"), ("2024/25", "xlsx")])
def test_generator_truth_rendered_from_the_spec_reads_back(tmp_path, year, fmt):
    """The generator's intended rows, written by the tests from the spec's wording (not by the
    generator's own renderer), read back to the same table."""
    import spec_layout as spec

    from crimeoutcomes.synthetic.writer import Sheet, mixed_cells, write_workbook

    truth = sample_truth(year)
    h = spec.OUTCOMES_HEADERS

    table = truth.with_columns(
        pl.col("note").str.extract(r"^recorded: (.*);", 1).fill_null(pl.col("note")).alias("recorded_marker"),
        pl.col("note").str.extract(r"; closed: (.*)$", 1).fill_null(pl.col("note")).alias("closed_marker"),
    ).select(
        pl.col("financial_year").alias(h["financial_year"]),
        pl.col("quarter").cast(pl.Int64).alias(h["quarter"]),
        pl.col("force").alias(h["force"]),
        pl.col("offence_code").alias(h["offence_code"]),
        pl.col("offence_description").alias(h["offence_description"]),
        pl.col("offence_group").alias(h["offence_group"]),
        pl.col("offence_subgroup").alias(h["offence_subgroup"]),
        pl.when(pl.col("offence_code_expired")).then(pl.lit(spec.EXPIRED_FLAG)).alias(h["offence_code_expired"]),
        pl.col("outcome_type").cast(pl.Int64).alias(h["outcome_type"]),
        pl.col("outcome_description").alias(h["outcome_description"]),
        pl.col("outcome_group").alias(h["outcome_group"]),
        mixed_cells(
            pl.col("recorded").cast(pl.Float64), pl.when(pl.col("recorded").is_null()).then(pl.col("recorded_marker"))
        ).alias(h["recorded"]),
        mixed_cells(
            pl.col("closed").cast(pl.Float64), pl.when(pl.col("closed").is_null()).then(pl.col("closed_marker"))
        ).alias(h["closed"]),
    )
    path = write_workbook(
        tmp_path / f"spec.{fmt}",
        [
            Sheet(spec.OTHER_SHEETS[0], rows=[["test"]]),
            Sheet(spec.OTHER_SHEETS[1], rows=[["notes"]]),
            Sheet(spec.OTHER_SHEETS[2], rows=[[1, 2, 3]]),
            Sheet(spec.DATA_SHEETS[year], table=table),
        ],
        compresslevel=1,  # the cells are what is read back, not the compression (zlib's default level is slow)
    )
    assert_frame_equal(parse_outcomes(path), truth)
