"""measures on small hand-made tables whose answers are worked out by hand."""

import math

import polars as pl
import pytest
from helpers import outcomes_table as table

from crimeoutcomes.data.codes import forces
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.stats import measures as m

S, THEFT = "Sexual offences", "Theft offences"
Y = "2024/25"
ROWS = [
    # Kent, quarters 1 and 2: 3 + 1 community resolutions, 10 + 5 + 4 + 1 assigned sexual outcomes.
    (Y, 1, "Kent", "20A", S, False, "0", 7, None, "N/A"),  # type 0: never counted
    (Y, 1, "Kent", "20A", S, False, "8", 3, 2, None),
    (Y, 1, "Kent", "20A", S, False, "1", 10, 9, None),
    (Y, 2, "Kent", "20A", S, False, "8", 1, 1, None),
    (Y, 2, "Kent", "20A", S, False, "15", 5, 6, None),
    (Y, 2, "Kent", "20", S, True, "8", None, None, "N/A - Offence code expired"),  # expired: counts nothing
    (Y, 1, "Kent", "49", THEFT, False, "8", 40, 41, None),
    # Essex provided quarter 1 only: quarter 2 is a gap.
    (Y, 1, "Essex", "20A", S, False, "8", 2, 2, None),
    (Y, 1, "Essex", "20A", S, False, "1", 6, 6, None),
    (Y, 2, "Essex", "20A", S, False, "8", None, None, "N/A - data not provided"),
    (Y, 2, "Essex", "20A", S, False, "1", None, None, "N/A - data not provided"),
    # Quarters 3 and 4 hold zeros for both, so that the file covers the whole year.
    *[(Y, q, f, "20A", S, False, t, 0, 0, None) for q in (3, 4) for f in ("Kent", "Essex") for t in ("8", "1")],
]


def test_national_totals_add_what_was_provided_and_count_the_gaps():
    frame = m.sexual_offences(table(ROWS))
    row = m.national_totals(frame, "recorded").row(0, named=True)
    assert row["community_resolutions"] == 3 + 1 + 2
    assert row["assigned_outcomes"] == 3 + 10 + 1 + 5 + 2 + 6
    assert row["charges_and_out_of_court"] == 3 + 10 + 1 + 2 + 6
    # Essex Q2 (a marker) and every other force in all four quarters (no rows at all).
    assert row["force_quarters_missing"] == 1 + 4 * (len(forces()) - 2)


def test_a_quarter_the_file_lacks_altogether_is_missing_for_every_force():
    without_q4 = table([r for r in ROWS if r[1] != 4])
    gaps = m.coverage(m.sexual_offences(without_q4), "closed").filter(pl.col("quarter") == 4)
    assert gaps.height == len(forces())
    assert gaps["missing"].all()
    assert gaps["note"].unique().to_list() == ["the file has no rows for this quarter, for any force"]
    by_force = m.force_totals(m.sexual_offences(without_q4), "closed", by=())
    assert by_force.filter(pl.col("force") == "Kent")["community_resolutions"].to_list() == [None]
    national = m.national_totals(m.sexual_offences(without_q4), "closed").row(0, named=True)
    assert national["force_quarters_missing"] == 1 + 4 * (len(forces()) - 2) + 2


def test_a_force_with_a_missing_quarter_is_null_never_zero():
    by_force = m.force_totals(m.sexual_offences(table(ROWS)), "closed", by=())
    kent = by_force.filter(pl.col("force") == "Kent").row(0, named=True)
    essex = by_force.filter(pl.col("force") == "Essex").row(0, named=True)
    assert kent["community_resolutions"] == 3 and kent["assigned_outcomes"] == 18 and kent["quarters_missing"] is None
    assert essex["community_resolutions"] is None and essex["quarters_missing"] == "2"
    assert set(by_force["force"]) == set(forces())
    assert by_force.filter(pl.col("force") == "Dorset")["community_resolutions"].item() is None


def test_gaps_name_the_quarters_and_the_marker():
    gaps = m.gaps(table([r for r in ROWS if r[2] == "Essex"]), "recorded")
    essex = gaps.filter(pl.col("force") == "Essex").row(0, named=True)
    assert essex["quarters_missing"] == "2" and essex["marker"] == "N/A - data not provided"
    kent = gaps.filter(pl.col("force") == "Kent").row(0, named=True)
    assert kent["quarters_missing"] == "1, 2, 3, 4" and kent["marker"] == "no rows for this force and quarter"


def test_offence_codes_keep_an_expired_code_at_zero():
    by_code = m.offence_code_totals(m.sexual_offences(table(ROWS)), "recorded", by=())
    assert dict(by_code.select("offence_code", "community_resolutions").iter_rows()) == {"20": 0, "20A": 6}


def test_exact_interval_matches_closed_forms():
    low, high = m.exact_interval([0, 10, 3, 5], [10, 10, 0, None])
    assert low[0] == 0 and high[0] == pytest.approx(1 - 0.025 ** (1 / 10))
    assert low[1] == pytest.approx(0.025 ** (1 / 10)) and high[1] == 1
    assert math.isnan(low[2]) and math.isnan(high[3])
    shares = m.with_share(pl.DataFrame({"community_resolutions": [1, None], "assigned_outcomes": [2, 5]}))
    assert shares["share"].to_list() == [0.5, None]
    # k=1, n=2: the interval is [1 - 0.975**0.5, 0.975**0.5].
    assert shares["share_low"][0] == pytest.approx(1 - 0.975**0.5)
    assert shares["share_high"][0] == pytest.approx(0.975**0.5)


def test_forces_with_community_resolutions_for_given_codes():
    rows = ROWS + [(Y, 1, "Essex", "19E", S, False, "8", 1, 0, None)]
    found = m.forces_with_community_resolutions(table(rows), "recorded", ["19E", "20A"])
    assert found.select("force", "community_resolutions", "offence_codes").rows() == [
        ("Essex", 3, "19E, 20A"),
        ("Kent", 4, "20A"),
    ]
    assert m.forces_with_community_resolutions(table(rows), "closed", ["19E"]).height == 0


def test_both_bases_side_by_side():
    both = m.on_both_bases(m.sexual_offences(table(ROWS)))
    assert both.row(0, named=True) == {"financial_year": Y, "closed": 2 + 1 + 2, "recorded": 6}


def test_a_bad_basis_is_named():
    with pytest.raises(CrimeOutcomesError, match="count_basis.*'opened'"):
        m.countable(table(ROWS), "opened")
