"""The reader on real Home Office rows (../shared/realdata), checked against independent sums."""

import polars as pl
import pytest
from realdata_rebuild import real_recorded_crime

from crimeoutcomes.data import codes
from crimeoutcomes.data.read import parse_outcomes, parse_recorded_crime

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def outcomes_2024_25(real_outcomes_workbook):
    return parse_outcomes(real_outcomes_workbook)


@pytest.fixture(scope="module")
def real_pfa(shared_dir):
    return real_recorded_crime(shared_dir)


@pytest.fixture(scope="module")
def recorded_crime(real_raw_folder):
    return parse_recorded_crime(real_raw_folder / "pfa-recorded-crime.ods")


def test_every_real_row_is_read(outcomes_2024_25, real_rows):
    assert outcomes_2024_25.height == real_rows.height == 712_448
    assert outcomes_2024_25["force"].n_unique() == 44
    assert set(outcomes_2024_25["force"]) == set(codes.forces())
    assert outcomes_2024_25["closed"].null_count() == outcomes_2024_25.height  # the copy has no closed column


@pytest.mark.parametrize(
    "keys",
    [
        ["force"],
        ["quarter"],
        ["offence_group"],
        ["outcome_type"],
        ["force", "quarter", "offence_group", "outcome_type"],
    ],
)
def test_totals_match_independent_sums_of_the_real_rows(outcomes_2024_25, real_rows, keys):
    # the descriptions are dictionary-encoded in the tidy table (schema.DESCRIPTIONS), text in the real rows
    ours = outcomes_2024_25.group_by(keys).agg(pl.col("recorded").sum()).sort(keys).cast({pl.Categorical: pl.String})
    real_keys = {
        "force": "Force",
        "quarter": "quarter",
        "offence_group": "Offence Group",
        "outcome_type": "outcome_type",
    }
    real = (
        real_rows.group_by([real_keys[k] for k in keys])
        .agg(pl.col("n").sum())
        .rename({real_keys[k]: k for k in keys})
        .sort(keys)
    )
    joined = ours.join(real, on=keys, how="full", coalesce=True)
    assert joined.height == ours.height == real.height
    assert (joined["recorded"] == joined["n"]).all()


def test_sexual_offence_community_resolutions(outcomes_2024_25, real_rows):
    sexual = outcomes_2024_25.filter(pl.col("offence_group") == codes.SEXUAL_OFFENCES_GROUP)
    real_sexual = real_rows.filter(pl.col("Offence Group") == codes.SEXUAL_OFFENCES_GROUP)
    ours = sexual.filter(pl.col("outcome_type") == codes.COMMUNITY_RESOLUTION)["recorded"].sum()
    assert ours == real_sexual.filter(pl.col("outcome_type") == "8")["n"].sum()
    assert 0 < ours < sexual["recorded"].sum()
    assert sexual["offence_code"].n_unique() == 25


def test_expired_codes_are_na_with_the_marker(outcomes_2024_25, real_rows):
    expired = outcomes_2024_25.filter(pl.col("offence_code_expired"))
    assert expired.height == real_rows.filter(pl.col("expired")).height
    assert expired["recorded"].null_count() == expired.height
    assert set(expired["note"]) == {"N/A - Offence code expired"}


def test_negative_counts_are_kept(outcomes_2024_25, real_rows):
    assert outcomes_2024_25.filter(pl.col("recorded") < 0).height == real_rows.filter(pl.col("n") < 0).height > 0
    assert outcomes_2024_25["recorded"].min() == real_rows["n"].min()


def test_recorded_crime_file_reads_every_year(recorded_crime, real_pfa):
    assert recorded_crime.height == real_pfa.height
    ours = (
        recorded_crime.group_by("financial_year", "offence_group")
        .agg(pl.col("offences").sum())
        .sort("financial_year", "offence_group")
    )
    real = (
        real_pfa.group_by("FY", "Group")
        .agg(pl.col("n").sum())
        .rename({"FY": "financial_year", "Group": "offence_group"})
        .sort("financial_year", "offence_group")
    )
    assert (ours["offences"] == real["n"]).all() and ours.height == real.height


def test_outcomes_and_recorded_crime_agree_by_force_quarter_and_code(outcomes_2024_25, recorded_crime):
    """Two real sources read independently: recorded-basis outcomes summed over types = recorded crime."""
    sums = (
        outcomes_2024_25.filter(~pl.col("offence_code_expired"), pl.col("offence_code") != "1/4.1/4.10/4.2")
        .group_by("force", "quarter", "offence_code")
        .agg(pl.col("recorded").sum())
    )
    pfa = recorded_crime.filter(pl.col("financial_year") == "2024/25", pl.col("force").is_in(codes.forces()))
    joined = sums.join(
        pfa.select("force", "quarter", "offence_code", "offences"), on=["force", "quarter", "offence_code"], how="inner"
    )
    assert joined.height == sums.height
    assert (joined["recorded"] == joined["offences"]).all()
    sexual_total = pfa.filter(pl.col("offence_group") == codes.SEXUAL_OFFENCES_GROUP)["offences"].sum()
    assert (
        outcomes_2024_25.filter(pl.col("offence_group") == codes.SEXUAL_OFFENCES_GROUP)["recorded"].sum()
        == sexual_total
    )
