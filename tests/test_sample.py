"""The synthetic sample: published layout, internal consistency, determinism."""

import fastexcel
import polars as pl
import pytest
from conftest import sample_truth

from crimeoutcomes.data import codes
from crimeoutcomes.data.cache import file_sha256
from crimeoutcomes.synthetic import sample


def test_every_workbook_says_synthetic_on_its_cover(sample_files):
    for path in [*sample_files.outcomes.values(), sample_files.recorded_crime]:
        reader = fastexcel.read_excel(path)
        cover = reader.load_sheet("Cover_sheet", header_row=None, dtypes="string").to_polars()
        assert sample.SYNTHETIC_MARK in cover.item(0, 0)


@pytest.mark.parametrize(
    "year,sheet",
    [
        ("2014/15", "Outcomes_open_data_2014-15"),
        ("2019/20", "Outcomes_open_data_2019_20"),
        ("2021/22", "Outcomes open data 2021_22"),
        ("2022/23", "Outcomes_open_data_2022_23"),
        ("2024/25", "Outcomes open data 2024_25"),
    ],
)
def test_sheets_are_in_the_published_order_and_names(sample_files, year, sheet):
    names = fastexcel.read_excel(sample_files.outcomes[year]).sheet_names
    assert names == ["Cover_sheet", "Notes", "Pivot", sheet]


def test_rows_are_dense_and_in_published_order():
    truth = sample.outcomes_truth("2024/25")
    n_codes = truth["offence_code"].n_unique()
    assert truth.height == 44 * 4 * n_codes * 22
    assert (truth["recorded"] == 0).mean() > 0.3  # zeros are rows too
    # All type-0 rows first, then the rest by quarter, force, code and type in text order.
    first_block = truth.head(44 * 4 * n_codes)
    assert first_block["outcome_type"].unique().to_list() == ["0"]
    rest = truth.slice(44 * 4 * n_codes, 22 * 21)
    assert rest["outcome_type"].head(21).to_list() == sorted(str(t) for t in range(23) if t not in (0, 19))
    assert rest["offence_code"].head(21).n_unique() == 1


def test_full_size_year_has_the_published_row_count():
    truth = sample.outcomes_truth("2024/25", full_size=True)
    assert truth.height == 712_448  # 44 forces x 4 quarters x 184 codes x 22 outcome types
    assert truth.filter(pl.col("offence_group") == codes.SEXUAL_OFFENCES_GROUP)["offence_code"].n_unique() == 25
    expired = truth.filter(pl.col("offence_code_expired"))["offence_code"].n_unique()
    assert expired == 43


def test_outcome_types_follow_the_vintage():
    assert sample.outcome_types_in("2014/15") == [str(t) for t in range(19)]
    assert "19" in sample.outcome_types_in("2019/20")
    assert "19" not in sample.outcome_types_in("2024/25") and "22" in sample.outcome_types_in("2024/25")


def test_recorded_basis_sums_to_recorded_crime_as_in_the_real_files():
    """Sum over outcome types (0 included) of recorded-basis outcomes = the recorded-crime count."""
    years = ["2019/20", "2024/25"]
    pfa = sample.recorded_crime_truth(sample.financial_years_between("2012/13", "2024/25"))
    for year in years:
        outcomes = sample.outcomes_truth(year)
        homicide = {"1", "4.1", "4.10", "4.2"}
        # Fraud bodies (Action Fraud, CIFAS, UK Finance) are in the recorded-crime file only.
        pfa_year = (
            pfa.filter(pl.col("financial_year") == year, pl.col("force").is_in(codes.forces()))
            .with_columns(
                offence_code=pl.when(pl.col("offence_code").is_in(homicide))
                .then(pl.lit("1/4.1/4.10/4.2"))
                .otherwise("offence_code")
            )
            .group_by("force", "quarter", "offence_code")
            .agg(pl.col("offences").sum())
        )
        sums = (
            outcomes.filter(~pl.col("offence_code_expired"))
            .group_by("force", "quarter", "offence_code")
            .agg(pl.col("recorded").sum())
        )
        joined = sums.join(pfa_year, on=["force", "quarter", "offence_code"], how="full", coalesce=True)
        assert joined.height == sums.height
        assert (joined["recorded"] == joined["offences"]).all()


def test_markers_and_negative_counts_are_present():
    truth_2014 = sample.outcomes_truth("2014/15")
    not_provided = truth_2014.filter(pl.col("note") == sample.NOT_PROVIDED_MARKER)
    assert set(not_provided["force"].unique()) >= {"British Transport Police", "Cumbria"}
    assert not_provided["recorded"].null_count() == not_provided.height
    truth = sample.outcomes_truth("2024/25")
    assert (
        truth.filter(pl.col("outcome_type") == "0")["closed"].null_count()
        == truth.filter(pl.col("outcome_type") == "0").height
    )
    negative = truth.filter(pl.col("recorded") < 0)
    assert negative.height == 5 and set(negative["force"]) == {"Humberside"}
    assert set(negative["outcome_type"]) == {"0"}


def test_generation_is_deterministic(sample_files, tmp_path):
    # The run's sample, written earlier (and maybe by another worker) with more years, is the first
    # writing: a year's files depend on that year alone (and the recorded-crime file on the last year).
    a = sample_files
    b = sample.write_sample(tmp_path / "b", ["2024/25"])
    assert file_sha256(a.outcomes["2024/25"]) == file_sha256(b.outcomes["2024/25"])
    assert file_sha256(a.earlier_release) == file_sha256(b.earlier_release)
    assert file_sha256(a.recorded_crime) == file_sha256(b.recorded_crime)


def _caveat_first_year(caveat_id: str) -> str:
    """The first financial year of a caveat, read from reference/caveats.csv itself ('2019/20-2020/21')."""
    import pandas as pd

    from crimeoutcomes.config import REFERENCE_DIR

    table = pd.read_csv(REFERENCE_DIR / "caveats.csv", dtype=str).set_index("id")
    return table.loc[caveat_id, "financial_years"].split("-")[0]


def test_outcome_22_starts_when_the_caveat_says():
    """No row for outcome 22 before the year the voluntary-22 caveat (and report 01's shading)
    starts; rows with diversionary activity in them from that year on."""
    first = _caveat_first_year("outcome-22-voluntary")
    years = sample.financial_years_between("2014/15", "2024/25")
    assert years[0] < first <= years[-1], f"the sample's years do not span the caveat's start {first}"
    for year in years:
        twenty_two = sample_truth(year).filter(pl.col("outcome_type") == "22")  # once a process for each year
        if year < first:
            assert twenty_two.height == 0, f"outcome 22 in the sample's {year}, before the caveat's {first}"
        else:
            assert twenty_two.height > 0 and twenty_two["closed"].sum() > 0, year
