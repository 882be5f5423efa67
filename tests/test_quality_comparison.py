"""Gap detection on the sample's known collapses, and the force comparison on a hand-made table."""

import polars as pl
import pytest
from helpers import outcomes_table

from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.stats import comparison, quality
from crimeoutcomes.synthetic import sample

YEARS = ["2019/20", "2022/23"]


@pytest.fixture(scope="module")
def truth():
    return pl.concat([sample.outcomes_truth(y) for y in YEARS])


@pytest.mark.parametrize("basis", ["closed", "recorded"])
@pytest.mark.parametrize("with_recorded_crime", [True, False])
def test_collapses_are_found_where_the_sample_put_them_and_nowhere_else(truth, basis, with_recorded_crime):
    crime = sample.recorded_crime_truth(YEARS) if with_recorded_crime else None
    found = quality.collapsed_quarters(truth, basis, crime)
    assert found.select("financial_year", "quarter", "force").rows() == [
        ("2019/20", 2, "Greater Manchester"),
        ("2019/20", 3, "Greater Manchester"),
        ("2019/20", 4, "Greater Manchester"),
        ("2022/23", 3, "Devon and Cornwall"),
        ("2022/23", 4, "Devon and Cornwall"),
    ]
    assert all(r.startswith("outcomes collapsed") for r in found["reason"])


S = "Sexual offences"
Y = "2024/25"
ROWS = [
    # Force A: code X 100 assigned (10 community resolutions), code Y 100 assigned (none).
    (Y, 1, "Kent", "X", S, False, "8", 10, 10, None),
    (Y, 1, "Kent", "X", S, False, "1", 90, 90, None),
    (Y, 1, "Kent", "Y", S, False, "8", 0, 0, None),
    (Y, 1, "Kent", "Y", S, False, "1", 100, 100, None),
    # Force B: code X 10 assigned (1), code Y 190 assigned (1); its quarter 2 is missing.
    (Y, 1, "Essex", "X", S, False, "8", 1, 1, None),
    (Y, 1, "Essex", "X", S, False, "1", 9, 9, None),
    (Y, 1, "Essex", "Y", S, False, "8", 1, 1, None),
    (Y, 1, "Essex", "Y", S, False, "15", 189, 189, None),
    (Y, 2, "Essex", "X", S, False, "8", None, None, "N/A - data not provided"),
    (Y, 2, "Kent", "X", S, False, "8", 0, 0, None),
    (Y, 2, "Kent", "X", S, False, "1", 5, 5, None),
]


def test_compare_forces_by_hand():
    crime = pl.DataFrame(
        {
            "financial_year": [Y] * 4,
            "quarter": [1, 2, 1, 2],
            "force": ["Kent", "Kent", "Essex", "Essex"],
            "offence_group": [S] * 4,
            "offences": [1500, 500, 700, 300],
        }
    ).with_columns(pl.col("quarter").cast(pl.Int8))
    result = comparison.compare_forces(outcomes_table(ROWS), "recorded", [Y], crime)
    table = result.table.set_index("force")  # pandas: the comparison is what a notebook reads
    kent, essex = table.loc["Kent"], table.loc["Essex"]
    # Essex quarter 2 is left out of numerator and denominator alike.
    assert essex["recorded_offences"] == 700 and essex["assigned_outcomes"] == 200
    assert essex["rate_per_1000_recorded"] == pytest.approx(2 / 700 * 1000)
    assert "2024/25 Q2 (data missing)" in essex["quarters_left_out"]
    assert kent["recorded_offences"] == 2000 and kent["rate_per_1000_recorded"] == pytest.approx(5.0)
    assert kent["share_of_assigned"] == pytest.approx(10 / 205)
    # Offence mix, each force left out of its own benchmark: Kent's codes at Essex's rates
    # (X 1/10, Y 1/190) and Essex's at Kent's (X 10/105: Kent's Q2 adds 5 outcomes of X; Y 0/100).
    assert kent["expected_community_resolutions"] == pytest.approx(105 * 1 / 10 + 100 * 1 / 190)
    assert essex["expected_community_resolutions"] == pytest.approx(10 * 10 / 105 + 190 * 0 / 100)
    assert result.mix["ratio"].tolist() == pytest.approx(
        [2 / essex["expected_community_resolutions"], 10 / kent["expected_community_resolutions"]]
    )
    # Forces with no outcomes at all are listed but not ranked.
    assert not table.loc["Dorset", "rankable"]
    assert set(result.funnel["force"]) == {"Kent", "Essex"}


def test_pooled_years():
    available = ["2021/22", "2022/23", "2023/24", "2024/25"]
    assert comparison.pooled_years(available, "2023/24", 2) == ["2022/23", "2023/24"]
    assert comparison.pooled_years(available, "2022/23", 5) == ["2021/22", "2022/23"]
    with pytest.raises(CrimeOutcomesError, match="pool_years"):
        comparison.pooled_years(available, "2024/25", 0)
