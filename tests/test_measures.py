"""measures on small hand-made tables whose answers are worked out by hand; the intervals against
scipy.stats."""

import math
import warnings

import numpy as np
import polars as pl
import pytest
from helpers import outcomes_table as table
from scipy.stats import beta, chi2

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


# --- by quarter, pooled, with collapsed force-quarters ------------------------------------------------

EARLIER = "2023/24"
OTHERS = len(forces()) - 2  # forces with no rows at all: missing in every quarter
NOT_PROVIDED = "N/A - data not provided"


def _rows(cr: dict, charged: dict, year=Y):
    """Kent and Essex, code 20A, community resolutions (type 8) and charges (type 1) per quarter;
    a None quarter is a force-quarter not provided (the marker in every count). Recorded = closed + 1."""
    rows = []
    for force in ("Kent", "Essex"):
        for q in (1, 2, 3, 4):
            for outcome_type, counts in (("8", cr), ("1", charged)):
                count = counts[force][q - 1]
                if count is None:
                    rows.append((year, q, force, "20A", S, False, outcome_type, None, None, NOT_PROVIDED))
                else:
                    rows.append((year, q, force, "20A", S, False, outcome_type, count + 1, count, None))
            rows.append((year, q, force, "20A", S, False, "0", 50, 50, None))  # not yet assigned: never counted
    return rows


CR = {"Kent": [3, 1, 4, 1], "Essex": [5, None, 9, 2]}
CHARGED = {"Kent": [10, 20, 30, 40], "Essex": [6, None, 5, 3]}
QROWS = _rows(CR, CHARGED)
COLLAPSED = pl.DataFrame(
    {"financial_year": [Y, Y], "quarter": [3, 2], "force": ["Kent", "Essex"]},
    schema={"financial_year": pl.String, "quarter": pl.Int8, "force": pl.String},
)


def test_a_collapsed_quarter_is_missing_with_its_own_note_and_a_marker_keeps_its_own():
    cells = m.coverage(table(QROWS), "closed", COLLAPSED).rows_by_key(["force", "quarter"], named=True, unique=True)
    assert cells[("Kent", 3)]["missing"] and cells[("Kent", 3)]["note"] == m.COLLAPSED_NOTE
    assert cells[("Essex", 2)]["missing"] and cells[("Essex", 2)]["note"] == NOT_PROVIDED
    assert not cells[("Kent", 1)]["missing"] and cells[("Kent", 1)]["note"] is None
    assert cells[("Dorset", 1)]["missing"] and cells[("Dorset", 1)]["note"] == "no rows for this force and quarter"
    # without the collapsed list Kent's quarter 3 is data like any other
    plain = m.coverage(table(QROWS), "closed").rows_by_key(["force", "quarter"], named=True, unique=True)
    assert not plain[("Kent", 3)]["missing"] and plain[("Kent", 3)]["note"] is None
    # an empty collapsed list changes nothing
    assert m.coverage(table(QROWS), "closed", COLLAPSED.clear()).equals(m.coverage(table(QROWS), "closed"))
    gaps = m.gaps(table(QROWS), "closed", COLLAPSED).rows_by_key("force", named=True, unique=True)
    assert gaps["Kent"]["quarters_missing"] == "3" and gaps["Kent"]["marker"] == m.COLLAPSED_NOTE
    assert gaps["Essex"]["quarters_missing"] == "2" and gaps["Essex"]["marker"] == NOT_PROVIDED


def test_national_totals_by_quarter_and_pooled_count_collapsed_quarters_as_gaps():
    by_quarter = m.national_totals(table(QROWS), "closed", by=("financial_year", "quarter"), collapsed=COLLAPSED)
    assert by_quarter["quarter"].to_list() == [1, 2, 3, 4]
    # national totals add up what was provided, Kent's collapsed quarter 3 included
    assert by_quarter["community_resolutions"].to_list() == [3 + 5, 1, 4 + 9, 1 + 2]
    assert by_quarter["assigned_outcomes"].to_list() == [3 + 10 + 5 + 6, 1 + 20, 4 + 30 + 9 + 5, 1 + 40 + 2 + 3]
    assert by_quarter["force_quarters_missing"].to_list() == [OTHERS, OTHERS + 1, OTHERS + 1, OTHERS]
    pooled = m.national_totals(table(QROWS), "recorded", by=(), collapsed=COLLAPSED).row(0, named=True)
    assert pooled["community_resolutions"] == sum(v + 1 for f in CR for v in CR[f] if v is not None)
    assert pooled["force_quarters_missing"] == 4 * OTHERS + 2
    yearly = m.national_totals(table(QROWS), "closed").row(0, named=True)
    assert yearly["force_quarters_missing"] == 4 * OTHERS + 1  # Essex's quarter 2 only


def test_force_totals_by_quarter_are_na_only_where_that_quarter_is():
    totals = m.force_totals(table(QROWS), "closed", by=("financial_year", "quarter"), collapsed=COLLAPSED)
    cells = totals.rows_by_key(["force", "quarter"], named=True, unique=True)
    assert cells[("Kent", 1)]["community_resolutions"] == 3 and cells[("Kent", 1)]["quarters_missing"] is None
    assert cells[("Kent", 1)]["charges_and_out_of_court"] == 13 and cells[("Kent", 1)]["assigned_outcomes"] == 13
    assert cells[("Kent", 3)]["community_resolutions"] is None and cells[("Kent", 3)]["quarters_missing"] == "3"
    assert cells[("Essex", 2)]["assigned_outcomes"] is None and cells[("Essex", 2)]["quarters_missing"] == "2"
    assert cells[("Essex", 4)]["community_resolutions"] == 2
    assert cells[("Dorset", 1)]["community_resolutions"] is None
    assert totals.height == 4 * len(forces())
    assert totals.select("financial_year", "quarter", "force").rows() == sorted(
        totals.select("financial_year", "quarter", "force").rows()
    )
    yearly = m.force_totals(table(QROWS), "closed", collapsed=COLLAPSED).rows_by_key("force", named=True, unique=True)
    assert yearly["Kent"]["community_resolutions"] is None and yearly["Kent"]["quarters_missing"] == "3"
    # without the collapsed list Kent's year is complete: the hand sum
    plain = m.force_totals(table(QROWS), "closed").rows_by_key("force", named=True, unique=True)
    assert plain["Kent"]["community_resolutions"] == 9 and plain["Kent"]["assigned_outcomes"] == 9 + 100


def test_a_basis_the_file_does_not_hold_is_na_nationally_never_zero():
    rows = [r[:8] + (None, r[9]) for r in QROWS]  # no closed counts at all
    assert m.national_totals(table(rows), "closed")["community_resolutions"].to_list() == [None]
    assert m.national_totals(table(rows), "recorded")["community_resolutions"].to_list() == [
        sum(v + 1 for f in CR for v in CR[f] if v is not None)
    ]


def test_countable_keeps_an_expired_codes_counts_and_drops_type_0_and_its_markers():
    rows = [
        (Y, 1, "Kent", "20", S, True, "8", 4, 2, None),  # expired, but a count: counted
        (Y, 1, "Kent", "20", S, True, "1", None, None, "N/A - Offence code expired"),  # its marker: dropped
        (Y, 1, "Kent", "20A", S, False, "0", 9, 9, None),  # not yet assigned: dropped
        (Y, 1, "Kent", "20A", S, False, "8", None, None, NOT_PROVIDED),  # a gap: kept, NA
    ]
    kept = m.countable(table(rows), "recorded")
    assert kept.select("offence_code", "outcome_type", "count").rows() == [("20", "8", 4), ("20A", "8", None)]
    assert m.countable(table(rows), "closed")["count"].to_list() == [2, None]


def test_all_forces_lists_the_44_then_any_other_name_sorted():
    rows = [(Y, 1, name, "20A", S, False, "8", 1, 1, None) for name in ("Zeta Police", "Kent", "Alpha Police")]
    assert m.all_forces(table(rows)) == [*forces(), "Alpha Police", "Zeta Police"]


def test_offence_code_totals_label_each_code_from_the_latest_year():
    rows = _rows(CR, CHARGED, year=EARLIER) + QROWS
    frame = table(rows).with_columns(
        offence_description=pl.when(pl.col("financial_year") == Y).then(pl.lit("new words")).otherwise(pl.lit("old"))
    )
    by_year = m.offence_code_totals(frame, "closed")
    assert by_year["offence_description"].to_list() == ["new words", "new words"]
    assert by_year["financial_year"].to_list() == [EARLIER, Y]
    assert by_year["community_resolutions"].to_list() == [3 + 1 + 4 + 1 + 5 + 9 + 2] * 2
    assert by_year["charges_and_out_of_court"].to_list() == [25 + 100 + 14] * 2  # types 8 and 1
    assert m.offence_code_totals(frame.reverse(), "closed")["offence_description"].to_list() == ["new words"] * 2


def test_forces_with_community_resolutions_leave_out_zero_counts():
    rows = [
        (Y, 1, "Kent", "19E", S, False, "8", 0, 0, None),
        (Y, 1, "Kent", "20A", S, False, "8", 2, 2, None),
        (Y, 1, "Essex", "19E", S, False, "8", 0, 0, None),
        (Y, 1, "Essex", "19E", S, False, "1", 7, 7, None),
    ]
    found = m.forces_with_community_resolutions(table(rows), "closed", ["19E", "20A"])
    assert found.select("force", "community_resolutions", "offence_codes").rows() == [("Kent", 2, "20A")]


def test_on_both_bases_and_period_labels_by_quarter():
    both = m.on_both_bases(table(QROWS), by=("financial_year", "quarter"))
    assert both.columns == ["financial_year", "quarter", "closed", "recorded"]
    assert both["closed"].to_list() == [8, 1, 13, 3]
    assert both["recorded"].to_list() == [10, 2, 15, 5]  # recorded = closed + 1 on each row provided
    assert m.period_label(both)["period"].to_list() == [f"{Y} Q{q}" for q in (1, 2, 3, 4)]


def test_poisson_interval_is_garwoods_from_chi_squared_quantiles():
    k = np.array([0, 1, 7, 250, np.nan, -1])
    low, high = m.poisson_interval(k)
    assert low[0] == 0 and high[0] == pytest.approx(chi2.ppf(0.975, 2) / 2, rel=1e-12)
    for i in (1, 2, 3):
        assert low[i] == pytest.approx(chi2.ppf(0.025, 2 * k[i]) / 2, rel=1e-10)
        assert high[i] == pytest.approx(chi2.ppf(0.975, 2 * k[i] + 2) / 2, rel=1e-10)
    assert all(math.isnan(v) for v in (*low[4:], *high[4:]))
    low90, high90 = m.poisson_interval([7, None], confidence=0.9)  # None: missing, stays missing
    assert math.isnan(low90[1]) and math.isnan(high90[1])
    assert (low90[0], high90[0]) == pytest.approx((chi2.ppf(0.05, 14) / 2, chi2.ppf(0.95, 16) / 2), rel=1e-10)


def test_exact_interval_at_another_confidence_and_shares_of_nothing_are_na():
    low, high = m.exact_interval([0, 3, 10, 2, None, 1], [10, 10, 10, 0, 5, 1], confidence=0.9)
    assert (low[0], high[0]) == pytest.approx((0.0, beta.ppf(0.95, 1, 10)), rel=1e-10)
    assert (low[1], high[1]) == pytest.approx((beta.ppf(0.05, 3, 8), beta.ppf(0.95, 4, 7)), rel=1e-10)
    assert (low[2], high[2]) == pytest.approx((beta.ppf(0.05, 10, 1), 1.0), rel=1e-10)
    assert all(math.isnan(v) for v in (low[3], high[3], low[4], high[4]))
    assert (low[5], high[5]) == pytest.approx((0.05, 1.0))  # one outcome in one: 0.05 ** (1 / 1) to 1
    frame = pl.DataFrame({"a": [3, 0, None], "b": [4, 0, 4]})
    shares = m.with_share(frame, numerator="a", denominator="b", name="r")
    assert shares.columns == ["a", "b", "r", "r_low", "r_high"]
    assert shares["r"].to_list() == [0.75, None, None]
    assert shares["r_low"].to_list()[1:] == [None, None] and shares["r_high"].to_list()[1:] == [None, None]
    assert shares["r_low"][0] == pytest.approx(beta.ppf(0.025, 3, 2)) and shares["r_high"][0] == pytest.approx(
        beta.ppf(0.975, 4, 1)
    )


def test_each_years_gaps_are_counted_in_that_year_and_forces_come_sorted():
    kent_gaps = {"Kent": [1, None, None, 1], "Essex": [1, 1, 1, 1]}  # Kent's quarters 2 and 3 not provided
    earlier = _rows(kent_gaps, kent_gaps, EARLIER)
    both = m.national_totals(table(earlier + QROWS), "closed")
    assert both["financial_year"].to_list() == [EARLIER, Y]
    assert both["force_quarters_missing"].to_list() == [4 * OTHERS + 2, 4 * OTHERS + 1]
    assert both.schema["force_quarters_missing"] == pl.Int64
    cells = m.coverage(table(earlier + QROWS), "closed").select("financial_year", "force", "quarter").rows()
    assert cells == sorted(cells) and cells[0][0] == EARLIER
    assert m.national_totals(table(QROWS), "closed", by=()).schema["force_quarters_missing"] == pl.Int64
    names = ["Kent", "Essex", "Dorset", "Surrey", "Suffolk", "Norfolk", "Gwent", "Cumbria"]
    rows = [(Y, 1, f, "20A", S, False, "8", i + 1, i + 1, None) for i, f in enumerate(names)]
    found = m.forces_with_community_resolutions(table(rows), "closed", ["20A"])
    assert found["force"].to_list() == sorted(names)
    assert found["community_resolutions"].to_list() == [names.index(f) + 1 for f in sorted(names)]


def test_a_year_without_quarters_is_one_period_and_can_be_collapsed():
    rows = [
        (EARLIER, None, "Kent", "20A", S, False, "8", 4, 3, None),
        (EARLIER, None, "Essex", "20A", S, False, "8", 1, 1, None),
    ]
    cells = m.coverage(table(rows), "closed").rows_by_key("force", named=True, unique=True)
    assert cells["Kent"]["quarter"] is None and not cells["Kent"]["missing"]
    assert cells["Dorset"]["missing"] and cells["Dorset"]["note"] == "no rows for this force and quarter"
    collapsed = pl.DataFrame(
        {"financial_year": [EARLIER], "quarter": [None], "force": ["Essex"]},
        schema={"financial_year": pl.String, "quarter": pl.Int8, "force": pl.String},
    )
    flagged = m.coverage(table(rows), "closed", collapsed).rows_by_key("force", named=True, unique=True)
    assert flagged["Essex"]["missing"] and flagged["Essex"]["note"] == m.COLLAPSED_NOTE
    assert not flagged["Kent"]["missing"]


# --- issue 19: tests for surviving mutants ----------------------------------------------------------


def test_a_year_with_every_force_quarter_provided_keeps_its_totals_with_no_gaps():
    rows = [(Y, q, f, "20A", S, False, "8", q, 1, None) for f in forces() for q in (1, 2, 3, 4)]
    yearly = m.national_totals(table(rows), "recorded")
    assert yearly.rows(named=True) == [
        {
            "financial_year": Y,
            "community_resolutions": len(forces()) * (1 + 2 + 3 + 4),
            "charges_and_out_of_court": len(forces()) * 10,
            "assigned_outcomes": len(forces()) * 10,
            "force_quarters_missing": 0,
        }
    ]
    by_quarter = m.national_totals(table(rows), "closed", by=("financial_year", "quarter"))
    assert by_quarter["community_resolutions"].to_list() == [len(forces())] * 4
    assert by_quarter["force_quarters_missing"].to_list() == [0, 0, 0, 0]


def test_gaps_come_by_year_then_force_and_name_every_reason():
    rows = [
        # Kent: quarter 1 not provided (the marker), quarters 2-4 no rows at all; Essex complete.
        (EARLIER, 1, "Kent", "20A", S, False, "8", None, None, NOT_PROVIDED),
        *[(EARLIER, q, "Essex", "20A", S, False, "8", 1, 1, None) for q in (1, 2, 3, 4)],
        *[(Y, q, f, "20A", S, False, "8", 1, 1, None) for q in (1, 2, 3, 4) for f in ("Kent", "Essex")],
    ]
    gaps = m.gaps(table(rows), "closed")
    keys = gaps.select("financial_year", "force").rows()
    others = sorted(set(forces()) - {"Kent", "Essex"})
    assert keys == [(EARLIER, f) for f in sorted([*others, "Kent"])] + [(Y, f) for f in others]
    kent = gaps.filter((pl.col("financial_year") == EARLIER) & (pl.col("force") == "Kent")).row(0, named=True)
    assert kent["quarters_missing"] == "1, 2, 3, 4"
    assert kent["marker"] == "N/A - data not provided; no rows for this force and quarter"


def test_a_share_of_one_in_one_and_a_share_of_nothing_is_silent():
    frame = pl.DataFrame({"community_resolutions": [1, 0, 0], "assigned_outcomes": [1, 1, 0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 of 0 is NA, without a RuntimeWarning in the notebooks
        shares = m.with_share(frame)
    assert shares["share"].to_list() == [1.0, 0.0, None]
    # one in one: [0.025 ** (1 / 1), 1]; none in one: [0, 1 - 0.025]
    assert shares["share_low"].to_list()[:2] == pytest.approx([0.025, 0.0])
    assert shares["share_high"].to_list()[:2] == pytest.approx([1.0, 0.975])
    assert shares["share_low"][2] is None and shares["share_high"][2] is None


def test_offence_code_totals_carry_each_codes_subgroup():
    rows = [
        (Y, 1, "Kent", "19C", S, False, "8", 2, 1, None),
        (Y, 1, "Kent", "20A", S, False, "8", 5, 4, None),
    ]
    frame = table(rows)
    subgroup = frame.schema["offence_subgroup"]
    frame = frame.with_columns(
        offence_subgroup=pl.when(pl.col("offence_code") == "19C")
        .then(pl.lit("Rape offences"))
        .otherwise(pl.lit("Other sexual offences"))
        .cast(subgroup)
    )
    by_code = m.offence_code_totals(frame, "recorded")
    assert by_code.select(
        "offence_code", pl.col("offence_subgroup").cast(pl.String), "community_resolutions"
    ).rows() == [("19C", "Rape offences", 2), ("20A", "Other sexual offences", 5)]


def test_forces_with_community_resolutions_come_by_year_then_force():
    rows = [
        (year, 1, force, "20A", S, False, "8", n, n, None)
        for year, n in ((Y, 2), (EARLIER, 1))
        for force in ("Kent", "Essex", "Dorset")
    ]
    found = m.forces_with_community_resolutions(table(rows), "closed", ["20A"])
    assert found.select("financial_year", "force", "community_resolutions").rows() == [
        (EARLIER, "Dorset", 1),
        (EARLIER, "Essex", 1),
        (EARLIER, "Kent", 1),
        (Y, "Dorset", 2),
        (Y, "Essex", 2),
        (Y, "Kent", 2),
    ]


def test_on_both_bases_keeps_a_row_only_one_basis_counts():
    rows = [
        (Y, 1, "Kent", "20A", S, False, "8", 3, 2, None),
        # an expired code with a recorded count but the marker for closed: counted on the recorded basis only
        (Y, 1, "Kent", "20", S, True, "8", 4, None, "N/A - Offence code expired"),
    ]
    both = m.on_both_bases(table(rows), by=("financial_year", "offence_code"))
    assert both.select("offence_code", "recorded").rows() == [("20", 4), ("20A", 3)]
    assert both.filter(pl.col("offence_code") == "20A")["closed"].to_list() == [2]


def test_counts_left_outside_0_to_n_by_corrections_get_the_interval_of_the_nearest_possible_count():
    # Negative counts (published corrections) are kept, so a pooled numerator can fall below 0 or above
    # its denominator, and a denominator can be 0 under a numerator that is not.
    low, high = m.exact_interval([-1, 12], [10, 10])
    assert (low[0], high[0]) == pytest.approx((0.0, 1 - 0.025 ** (1 / 10)))  # as for 0 in 10
    assert (low[1], high[1]) == pytest.approx((0.025 ** (1 / 10), 1.0))  # as for 10 in 10
    frame = pl.DataFrame({"community_resolutions": [1], "assigned_outcomes": [0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 1 of 0: NA, without a RuntimeWarning
        shares = m.with_share(frame)
    assert shares.select("share", "share_low", "share_high").row(0) == (None, None, None)


def test_a_bad_basis_error_lists_the_bases_by_name():
    with pytest.raises(CrimeOutcomesError) as error:
        m.check_basis("opened")
    assert str(error.value) == "count_basis must be one of closed, recorded, not 'opened'"


def test_a_count_missing_where_the_file_gives_no_expired_flag_is_a_gap_not_an_expired_code():
    rows = [
        (Y, 1, "Kent", "20A", S, None, "8", None, None, NOT_PROVIDED),  # no flag: a gap, kept as NA
        (Y, 1, "Kent", "20A", S, None, "1", 5, 5, None),
    ]
    assert m.countable(table(rows), "recorded")["count"].to_list() == [None, 5]
    cells = m.coverage(table(rows), "recorded").rows_by_key(["force", "quarter"], named=True, unique=True)
    assert cells[("Kent", 1)]["missing"] and cells[("Kent", 1)]["note"] == NOT_PROVIDED


def test_force_totals_list_every_missing_quarter_and_a_code_a_complete_force_lacks_is_zero():
    gaps = {"Kent": [1, None, None, 1], "Essex": [1, 1, 1, 1]}  # Kent's quarters 2 and 3 not provided
    yearly = m.force_totals(table(_rows(gaps, gaps)), "closed").rows_by_key("force", named=True, unique=True)
    assert yearly["Kent"]["quarters_missing"] == "2, 3" and yearly["Kent"]["community_resolutions"] is None
    assert yearly["Essex"]["community_resolutions"] == 4 and yearly["Essex"]["quarters_missing"] is None
    plain = m.force_totals(table(QROWS), "closed", by=("financial_year", "offence_code"))
    assert plain.filter(pl.col("force") == "Essex")["community_resolutions"].to_list() == [None]  # its gap
    # Essex, complete, has no rows for code 19C (Kent's, in quarter 1 only): 0 there, neither NA nor more
    complete = {"Kent": [3, 1, 4, 1], "Essex": [5, 2, 9, 2]}
    rows = [*_rows(complete, complete), (Y, 1, "Kent", "19C", S, False, "8", 6, 5, None)]
    cells = m.force_totals(table(rows), "closed", by=("financial_year", "offence_code")).rows_by_key(
        ["force", "offence_code"], named=True, unique=True
    )
    assert cells[("Essex", "19C")]["community_resolutions"] == 0
    assert cells[("Essex", "19C")]["assigned_outcomes"] == 0 and cells[("Essex", "19C")]["quarters_missing"] is None
    assert cells[("Kent", "19C")]["community_resolutions"] == 5
    assert cells[("Essex", "20A")]["community_resolutions"] == 5 + 2 + 9 + 2
