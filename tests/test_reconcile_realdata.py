"""The reconciliation on the real 2024/25 rows (recorded basis only, release 230426), against
independent sums of those rows. Skipped where ../shared/realdata is absent."""

import pandas as pd
import polars as pl
import pytest
from expected import expected_figures, from_real_rows

from crimeoutcomes.data import codes
from crimeoutcomes.reconciliation import press_figures as reconcile

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def real(real_rows):
    tidy = real_rows.select(
        financial_year=pl.col("Financial Year"),
        quarter=pl.col("quarter"),
        force=pl.col("Force"),
        offence_group=pl.col("Offence Group"),
        offence_code=pl.col("code"),
        outcome_type=pl.col("outcome_type"),
        offence_code_expired=pl.col("expired"),
        recorded=pl.when(~pl.col("expired")).then(pl.col("n")).otherwise(None).cast(pl.Int64),
        closed=pl.lit(None, dtype=pl.Int64),
    )
    result = reconcile.reconcile(tidy, None, {"2024/25": "230426"})
    return result.figures.set_index("id"), result.candidates


@pytest.fixture(scope="module")
def expected(real_rows):
    rows = from_real_rows(real_rows)
    return expected_figures(rows, codes.forces()), rows


def test_the_912_against_the_real_rows(real, expected):
    figures, _ = real
    totals, _ = expected
    row = figures.loc["national-2024-25"]
    assert row["ours_recorded"] == totals["community_resolutions"] == 899
    assert pd.isna(row["ours_closed"])  # the real rows hold only the recorded basis
    assert row["status"] == "differs" and row["difference"] == 912 - 899
    assert "release: another release of the file (13, 1.4% from the recorded basis of release 230426" in row["reasons"]
    assert "the closed basis, which the files read do not hold" in row["reasons"]
    assert "2023/24 not in the files read" in row["reasons"]  # the other window the wording allows
    # 912 / 52 = 17.5 a week; ours 899 / 52 = 17.3, still 'more than 17'.
    week = figures.loc["national-per-week-2024-25"]
    assert week["ours_recorded"] == pytest.approx(899 / 52) and week["status"] == "reproduced"


def test_the_2024_25_rows_against_independent_sums(real, expected):
    figures, _ = real
    totals, rows = expected
    cr = rows[(rows["outcome_type"] == "8") & ~rows["expired"]]
    assert figures.loc["lancashire-2024-25", "ours_recorded"] == totals["by_force"]["Lancashire"]
    for name, selection in (
        ("child-rape-2024-25", ["19D", "19E", "19G", "19H"]),
        ("grooming-2024-25", ["88A"]),
        ("sexual-assault-2024-25", ["17A", "17B", "20A", "20B"]),
        ("sexual-activity-child-2024-25", ["21", "22B"]),
        ("exposure-2024-25", ["88E"]),
        ("exploitation-2024-25", ["71"]),
    ):
        assert figures.loc[name, "ours_recorded"] == cr.loc[cr["offence_code"].isin(selection), "count"].sum(), name
    for force, code in (("Derbyshire", "19E"), ("Merseyside", "19E"), ("West Midlands", "19E"), ("Humberside", "19H")):
        mine = cr[(cr["force"] == force) & (cr["offence_code"] == code)]["count"].sum()
        row = figures.loc[f"{force.lower().replace(' ', '-')}-{code.lower()}-2024-25"]
        assert row["ours_recorded"] == mine and row["status"] == ("reproduced" if mine >= 1 else "differs")
    # Every row has a status; the other years are not in the files read, the FOI figures not reproducible.
    assert figures["status"].isin(reconcile.STATUSES).all() and "synthetic" not in set(figures["status"])
    assert figures.loc["foi-sex-offenders-3y", "status"] == "not reproducible"
    assert figures.loc["national-2019-20", "status"] == "not in the files read"


def test_print_the_2024_25_lines(real, capsys):
    figures, _ = real
    year = figures[figures["window"] == "2024/25"]
    with capsys.disabled():
        print()
        for name, row in year.iterrows():
            print(
                f"{name}: {row['published']} | ours recorded {row['ours_recorded']} | {row['status']} | "
                f"{row['reasons']}"
            )
