"""Property tests of the measures (crimeoutcomes.stats.measures) on random small outcomes tables.

Each example: 1-2 financial years, 1-3 forces, four quarters, two live sexual-offence codes and one
expired code (its marker counts nothing), five outcome types including 0 (never counted), random
counts on both bases, and random force-quarters whose data was not provided (a marker in every
count). Every expectation is computed here in plain Python from the rows drawn, not with the code
under test. 25 examples per property.
"""

import math

import numpy as np
import polars as pl
import pytest
from helpers import outcomes_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from crimeoutcomes.data.codes import forces
from crimeoutcomes.stats import measures as m

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YEARS = ["2022/23", "2023/24", "2024/25"]
FORCES = ["Kent", "Essex", "London, City of", "Dyfed-Powys"]
LIVE_CODES = ["19C", "21"]
EXPIRED_CODE = "20"
TYPES = ["0", "1", "8", "14", "22"]  # not yet assigned, charge, community resolution, two others
NOT_PROVIDED = "N/A - data not provided"
EXPIRED = "N/A - Offence code expired"
ALL_FORCES = len(forces())


@st.composite
def outcomes(draw):
    years = sorted(draw(st.sets(st.sampled_from(YEARS), min_size=1, max_size=2)))
    present = draw(st.lists(st.sampled_from(FORCES), min_size=1, max_size=3, unique=True))
    quarters = [(y, f, q) for y in years for f in present for q in (1, 2, 3, 4)]
    missing = draw(st.sets(st.sampled_from(quarters), max_size=3))
    rows = []
    for year, force, quarter in quarters:
        for code in LIVE_CODES + [EXPIRED_CODE]:
            for outcome_type in TYPES:
                if code == EXPIRED_CODE:
                    rows.append((year, quarter, force, code, "Sexual offences", True, outcome_type, None, 0, EXPIRED))
                elif (year, force, quarter) in missing:
                    rows.append(
                        (year, quarter, force, code, "Sexual offences", False, outcome_type, None, None, NOT_PROVIDED)
                    )
                else:
                    recorded = draw(st.integers(-3 if outcome_type == "0" else 0, 40))
                    closed = draw(st.integers(0, 40))
                    rows.append(
                        (year, quarter, force, code, "Sexual offences", False, outcome_type, recorded, closed, None)
                    )
    return {"table": outcomes_table(rows), "rows": rows, "years": years, "forces": present, "missing": missing}


def _sum(rows, basis, *, year=None, force=None, types=None):
    """Independent total of provided counts: assigned types only, expired markers add nothing."""
    index = 7 if basis == "recorded" else 8
    total = 0
    for r in rows:
        if r[6] == "0" or r[index] is None:
            continue
        if (year is None or r[0] == year) and (force is None or r[2] == force) and (types is None or r[6] in types):
            total += r[index]
    return total


def _force_has_gap(case, force, year=None):
    return any(f == force and (year is None or y == year) for y, f, _ in case["missing"])


BASES = st.sampled_from(["closed", "recorded"])


@SETTINGS
@given(outcomes(), BASES)
def test_national_totals_add_what_was_provided_and_count_the_gaps(case, basis):
    totals = m.national_totals(case["table"], basis).rows_by_key("financial_year", named=True, unique=True)
    assert sorted(totals) == case["years"]
    for year in case["years"]:
        row = totals[year]
        assert row["community_resolutions"] == _sum(case["rows"], basis, year=year, types={"8"})
        assert row["assigned_outcomes"] == _sum(case["rows"], basis, year=year)
        assert row["charges_and_out_of_court"] == _sum(case["rows"], basis, year=year, types={"1", "8"})
        # every force-quarter of the 44 forces without data: those absent from the file and those planted
        complete = 4 * len(case["forces"]) - sum(1 for y, _, _ in case["missing"] if y == year)
        assert row["force_quarters_missing"] == 4 * ALL_FORCES - complete


@SETTINGS
@given(outcomes(), BASES)
def test_missing_data_never_becomes_zero(case, basis):
    totals = m.force_totals(case["table"], basis)
    assert totals.height == len(case["years"]) * ALL_FORCES  # every force, present or not
    for row in totals.iter_rows(named=True):
        force, year = row["force"], row["financial_year"]
        if force not in case["forces"] or _force_has_gap(case, force, year):
            for measure in m.MEASURE_TYPES:
                assert row[measure] is None, f"{force} {year}: {measure} given as {row[measure]} despite a gap"
            assert row["quarters_missing"]
        else:
            assert row["community_resolutions"] == _sum(case["rows"], basis, year=year, force=force, types={"8"})
            assert row["assigned_outcomes"] == _sum(case["rows"], basis, year=year, force=force)
            assert row["quarters_missing"] is None
    planted = {(y, f, q) for y, f, q in case["missing"]}
    flagged = {
        (r["financial_year"], r["force"], r["quarter"])
        for r in m.coverage(case["table"], basis)
        .filter(pl.col("missing") & pl.col("force").is_in(case["forces"]))
        .iter_rows(named=True)
    }
    assert flagged == planted


@SETTINGS
@given(outcomes(), BASES)
def test_forces_sum_to_the_national_total_where_all_are_complete(case, basis):
    national = m.national_totals(case["table"], basis).rows_by_key("financial_year", named=True, unique=True)
    by_force = m.force_totals(case["table"], basis)
    for year in case["years"]:
        if any(y == year for y, _, _ in case["missing"]):
            continue
        part = by_force.filter(pl.col("financial_year") == year)
        for measure in m.MEASURE_TYPES:
            assert part[measure].drop_nulls().sum() == national[year][measure]
            assert part[measure].drop_nulls().len() == len(case["forces"])


@SETTINGS
@given(outcomes(), BASES)
def test_every_share_lies_in_its_exact_interval_within_zero_and_one(case, basis):
    table = m.with_share(m.force_totals(case["table"], basis))
    for row in table.iter_rows(named=True):
        k, n = row["community_resolutions"], row["assigned_outcomes"]
        if k is None or n is None or n <= 0:
            assert row["share"] is None and row["share_low"] is None and row["share_high"] is None
            continue
        assert 0 <= row["share_low"] <= row["share"] <= row["share_high"] <= 1
        assert row["share"] == pytest.approx(k / n, rel=1e-12)
        # Clopper-Pearson from scipy.stats.beta, independently of the code's scipy.special route
        low = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
        high = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
        assert row["share_low"] == pytest.approx(low, rel=1e-9, abs=1e-12)
        assert row["share_high"] == pytest.approx(high, rel=1e-9, abs=1e-12)


@SETTINGS
@given(outcomes(), BASES)
def test_pooling_years_equals_the_sum_of_the_years(case, basis):
    pooled = m.force_totals(case["table"], basis, by=()).rows_by_key("force", named=True, unique=True)
    yearly = m.force_totals(case["table"], basis)
    assert set(pooled) == set(forces())
    for force, row in pooled.items():
        part = yearly.filter(pl.col("force") == force)
        for measure in m.MEASURE_TYPES:
            values = part[measure].to_list()
            expected = None if any(v is None for v in values) else sum(values)
            assert row[measure] == expected, f"{force} {measure}"
    national = m.national_totals(case["table"], basis, by=())
    assert national["community_resolutions"][0] == _sum(case["rows"], basis, types={"8"})
    assert national["force_quarters_missing"][0] == sum(
        m.national_totals(case["table"], basis)["force_quarters_missing"]
    )


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=20), st.floats(0.5, 0.999))
def test_exact_intervals_nest_and_contain_the_estimate(pairs, confidence):
    k = np.array([min(a, b) for a, b in pairs], dtype=float)
    n = np.array([max(a, b) for a, b in pairs], dtype=float)
    low, high = m.exact_interval(k, n, confidence)
    wide_low, wide_high = m.exact_interval(k, n, min(0.9999, confidence + 0.0009))
    usable = n > 0
    assert np.all(np.isnan(low[~usable])) and np.all(np.isnan(high[~usable]))
    share = k[usable] / n[usable]
    assert np.all((0 <= low[usable]) & (low[usable] <= share) & (share <= high[usable]) & (high[usable] <= 1))
    assert np.all(wide_low[usable] <= low[usable] + 1e-12) and np.all(wide_high[usable] >= high[usable] - 1e-12)
    # Poisson (Garwood) intervals contain the count, and a missing count stays missing.
    plow, phigh = m.poisson_interval(np.append(k, np.nan), confidence)
    assert np.all((plow[:-1] <= k) & (k <= phigh[:-1])) and math.isnan(plow[-1]) and math.isnan(phigh[-1])
