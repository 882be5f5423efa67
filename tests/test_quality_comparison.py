"""Gap detection on the sample's known collapses and on hand-worked tables, and the force comparison on
a hand-made table."""

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from conftest import sample_truth
from helpers import outcomes_table
from scipy.stats import beta, chi2

from crimeoutcomes.config import COLLAPSE_THRESHOLD, MIN_OUTCOMES_TO_RANK
from crimeoutcomes.data.codes import forces
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.stats import comparison, funnel_curves, quality
from crimeoutcomes.synthetic import sample

YEARS = ["2019/20", "2022/23"]


@pytest.fixture(scope="module")
def truth():
    return pl.concat([sample_truth(y) for y in YEARS])


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
    assert comparison.pooled_years(available, "2023/24", 1) == ["2023/24"]  # one year: no pooling
    with pytest.raises(CrimeOutcomesError, match="pool_years"):
        comparison.pooled_years(available, "2024/25", 0)


# --- the collapse rule, worked by hand ----------------------------------------------------------------

EARLIER = "2023/24"
NOT_PROVIDED = "N/A - data not provided"
ASSIGNED = {"Kent": [100, 100, 10, 100], "Essex": [100, 100, 100, 100]}  # closed basis; recorded is 10x


def _assigned_rows(assigned=ASSIGNED):
    rows = []
    for force, counts in assigned.items():
        for q, n in enumerate(counts, start=1):
            rows.append((Y, q, force, "20A", S, False, "8", 10 * n, n, None))
            rows.append((Y, q, force, "20A", S, False, "0", 5000, 5000, None))  # not yet assigned: left out
    return rows


def _crime(offences: dict):
    return pl.DataFrame(
        {
            "financial_year": [Y] * 8 + [EARLIER],
            "quarter": [1, 2, 3, 4] * 2 + [3],
            "force": ["Kent"] * 4 + ["Essex"] * 4 + ["Kent"],
            "offence_group": [S] * 9,
            "offences": [*offences["Kent"], *offences["Essex"], 1],  # a year not read: ignored
        },
        schema_overrides={"quarter": pl.Int8},
    )


def test_collapse_against_the_national_rate_per_recorded_crime():
    crime = _crime({"Kent": [1000, 1000, 1000, 1000], "Essex": [1000, 1000, 1000, 0]})
    found = quality.collapsed_quarters(outcomes_table(_assigned_rows()), "closed", crime)
    # Kent Q3: 10 / 1,000 against the nation's (10 + 100) / 2,000 = 0.055: 18.2%, below 25%.
    # Essex Q4 has no recorded crime, so it is not scored; Kent Q4 is then the nation: 100%.
    assert found.rows() == [
        (Y, 3, "Kent", "outcomes collapsed: 10 assigned outcomes for 1,000 recorded crimes, 18.2% of the national rate")
    ]
    recorded = quality.collapsed_quarters(outcomes_table(_assigned_rows()), "recorded", crime)
    assert recorded["reason"].to_list() == [
        "outcomes collapsed: 100 assigned outcomes for 1,000 recorded crimes, 18.2% of the national rate"
    ]


def test_collapse_against_the_forces_own_best_quarter_without_recorded_crime():
    found = quality.collapsed_quarters(outcomes_table(_assigned_rows()), "closed")
    # Kent's share of the quarter: 0.5, 0.5, 10 / 110, 0.5: its Q3 at (10 / 110) / 0.5 = 18.2% of its best.
    assert found.rows() == [
        (Y, 3, "Kent", "outcomes collapsed: 10 assigned outcomes, 18.2% of the force's best quarter")
    ]


@pytest.mark.parametrize("with_crime", [True, False])
@pytest.mark.parametrize("kent_q3", [14, 15, 60])
def test_collapse_threshold_from_the_assumptions(with_crime, kent_q3):
    # Kent's quarter 3 at k outcomes, every other quarter 100 for both forces and 1,000 crimes each:
    # its level is (k / 1000) / ((k + 100) / 2000) against the nation, and k / (k + 100) / 0.5 against
    # its best quarter: 2k / (k + 100) both ways (14: 0.246, 15: 0.261).
    assigned = {"Kent": [100, 100, kent_q3, 100], "Essex": [100] * 4}
    crime = _crime({"Kent": [1000] * 4, "Essex": [1000] * 4}) if with_crime else None
    found = quality.collapsed_quarters(outcomes_table(_assigned_rows(assigned)), "closed", crime)
    level = 2 * kent_q3 / (kent_q3 + 100)
    assert found.select("quarter", "force").rows() == ([(3, "Kent")] if level < COLLAPSE_THRESHOLD else [])
    if found.height:
        assert f", {round(level * 100, 1)}% of the " in found["reason"][0]


def test_unusable_quarters_give_the_reason_once_missing_before_collapsed():
    rows = [r for r in _assigned_rows() if not (r[2] == "Essex" and r[1] == 2)]
    rows.append((Y, 2, "Essex", "20A", S, False, "8", None, None, NOT_PROVIDED))
    rows = [r for r in rows if not (r[2] == "Essex" and r[1] == 4)]
    rows.append((Y, 4, "Essex", "20A", S, False, "8", None, None, None))  # NA without a marker
    unusable = quality.unusable_quarters(outcomes_table(rows), "closed").filter(
        pl.col("force").is_in(["Kent", "Essex"])
    )
    # Essex's missing quarters count 0, so Kent is all of quarters 2 and 4 (its best: share 1) and
    # its quarter 3 is (10 / 110) / 1 = 9.1% of that; Essex's zero quarters are named as missing only.
    assert unusable.rows() == [
        (Y, 2, "Essex", f"data missing: {NOT_PROVIDED}"),
        (Y, 3, "Kent", "outcomes collapsed: 10 assigned outcomes, 9.1% of the force's best quarter"),
        (Y, 4, "Essex", "data missing: no marker"),
    ]
    everyone = quality.unusable_quarters(outcomes_table(rows), "closed")
    assert everyone.height == 3 + 4 * (len(forces()) - 2)
    assert (
        everyone.filter(pl.col("force") == "Dorset")["reason"].to_list()
        == ["data missing: no rows for this force and quarter"] * 4
    )
    assert everyone.rows() == sorted(everyone.rows())


# --- what the notebooks read from a comparison: flags, dispersion, rank intervals, limit lines --------


def _funnel_frame(value: str):
    """Five forces as ``ForceComparison.funnel`` (value 'share') or ``.mix`` (value 'ratio') names them."""
    return pd.DataFrame(
        {
            "force": ["A", "B", "C", "D", "E"],
            value: [0.30, 0.10, 0.12, 0.11, 0.01],
            "target": [0.12] * 5,
            "outside_95": ["high", "", "", "", "low"],
            "outside_99_8": ["high", "", "", "", "low"],
            "outside_adjusted_99_8": ["", np.nan, "", "", "low"],
            "p_high": [1e-6, 0.7, 0.5, 0.6, 1.0],
            "p_low": [1.0, 0.4, 0.6, 0.5, 1e-4],
            "p_two_sided": [2e-6, 0.8, 1.0, 1.0, 2e-4],
            "p_holm": [1e-5, 1.0, 1.0, 1.0, 8e-4],
            "rank": [1, 4, 2, 3, 5],
            "rank_low": [1, 2, 1, 2, 4],
            "rank_high": [2, 5, 4, 4, 5],
            "units": [5] * 5,
            "phi": [3.5] * 5,
            "tau2": [0.02] * 5,
            "dispersion_p": [0.001] * 5,
            "over_dispersed": [True] * 5,
            "expected_flags_95": [0.21] * 5,
            "expected_flags_99_8": [0.004] * 5,
        }
    )


def test_outside_and_flags_name_the_forces_flagged_most_extreme_first():
    frame = _funnel_frame("share")
    assert comparison.ForceComparison.outside(frame) == ["A", "E"]
    assert comparison.ForceComparison.outside(frame, adjusted=True) == ["E"]  # NA is no flag
    assert comparison.ForceComparison.outside(frame.assign(outside_95=["", "", "high", "", ""]), level="95") == ["C"]
    for value in ("share", "ratio"):
        flags = comparison.flags(_funnel_frame(value))
        assert flags["force"].tolist() == ["A", "E"]  # p two-sided 2e-6 before 2e-4
        assert flags[value].tolist() == [0.30, 0.01] and "dataset" not in flags.columns
        assert flags["p_holm"].tolist() == [1e-5, 8e-4] and flags["outside_adjusted_99_8"].tolist() == ["", "low"]


def test_dispersion_and_the_national_share_are_read_from_the_funnel():
    frame = _funnel_frame("share")
    assert comparison.ForceComparison.dispersion(frame) == {
        "units": 5,
        "phi": 3.5,
        "tau2": 0.02,
        "p_value": 0.001,
        "over_dispersed": True,
        "expected_flags_95": 0.21,
        "expected_flags_99_8": 0.004,
        "model": "none",  # a frame without the model's columns (as before statistics v3)
        "model_spread": None,
    }
    with_model = frame.assign(model="logit-normal", model_spread=1.03)
    assert comparison.ForceComparison.dispersion(with_model)["model"] == "logit-normal"
    assert comparison.ForceComparison.dispersion(with_model)["model_spread"] == 1.03
    empty = comparison.ForceComparison.dispersion(frame.iloc[:0])
    assert empty["units"] == 0 and empty["over_dispersed"] is False
    assert all(empty[k] is None for k in ("phi", "tau2", "p_value", "expected_flags_95", "expected_flags_99_8"))
    result = comparison.ForceComparison(years=[Y], table=frame, left_out=frame, funnel=frame, mix=frame)
    assert result.national_share == 0.12
    assert math.isnan(comparison.ForceComparison([Y], frame, frame, frame.iloc[:0], frame).national_share)


def test_told_apart_counts_rank_intervals_clear_of_the_middle():
    # five forces: middle rank 3; A's interval 1-2 lies above it, E's 4-5 below, the rest include it
    assert comparison.told_apart(_funnel_frame("share")) == {
        "forces": 5,
        "middle_rank": 3.0,
        "told_apart": 2,
        "above_middle": ["A"],
        "below_middle": ["E"],
    }
    two_above = _funnel_frame("share").assign(rank_high=[2, 5, 2, 4, 5])
    assert comparison.told_apart(two_above)["above_middle"] == ["A", "C"]  # by rank
    assert comparison.told_apart(_funnel_frame("share").iloc[:0]) == {
        "forces": 0,
        "middle_rank": None,
        "told_apart": 0,
        "above_middle": [],
        "below_middle": [],
    }


def test_limit_curves_of_a_force_funnel_are_the_stats_curves_named_for_forces():
    result = comparison.compare_forces(outcomes_table(ROWS), "recorded", [Y])
    for frame, size, names in (
        (result.funnel, "assigned_outcomes", {"community_resolutions": "events", "assigned_outcomes": "n"}),
        (result.mix, "expected_community_resolutions", {"community_resolutions": "observed"}),
    ):
        curves = comparison.limit_curves(frame)
        assert "dataset" not in curves.columns and size in curves.columns
        value = "share" if "share" in frame.columns else "ratio"
        direct = funnel_curves(
            frame.rename(columns={"force": "unit", value: "value", **names})
            .rename(columns={"expected_community_resolutions": "expected"})
            .assign(dataset="forces")
        )
        np.testing.assert_array_equal(curves.to_numpy(float), direct.drop(columns="dataset").to_numpy(float))
        assert curves[size].min() < frame[size].min() and curves[size].max() > frame[size].max()


def test_compare_forces_intervals_and_the_charges_share_by_hand():
    crime = pl.DataFrame(
        {
            "financial_year": [Y] * 4,
            "quarter": [1, 2, 1, 2],
            "force": ["Kent", "Kent", "Essex", "Essex"],
            "offence_group": [S] * 4,
            "offences": [1500, 500, 0, 300],  # Essex's usable quarter 1: no offences recorded
        },
        schema_overrides={"quarter": pl.Int8},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a force with no offences recorded is no division by zero on the page
        result = comparison.compare_forces(outcomes_table(ROWS), "recorded", [Y], crime)
    table = result.table.set_index("force")
    kent, essex = table.loc["Kent"], table.loc["Essex"]
    # Garwood limits for Kent's 10 community resolutions, and per 1,000 of its 2,000 offences
    low, high = chi2.ppf(0.025, 20) / 2, chi2.ppf(0.975, 22) / 2
    assert (kent["cr_low"], kent["cr_high"]) == pytest.approx((low, high), rel=1e-10)
    assert kent["rate_per_1000_recorded_low"] == pytest.approx(low / 2)
    assert kent["rate_per_1000_recorded_high"] == pytest.approx(high / 2)
    assert pd.isna(essex["rate_per_1000_recorded"]) and pd.isna(essex["rate_per_1000_recorded_high"])
    # Essex: 2 community resolutions among 1 + 9 + 1 charges and out-of-court outcomes (type 15 is neither)
    assert essex["charges_and_out_of_court"] == 11
    assert essex["share_of_charges_and_out_of_court"] == pytest.approx(2 / 11)
    assert essex["share_of_charges_and_out_of_court_low"] == pytest.approx(beta.ppf(0.025, 2, 10))
    assert kent["share_of_charges_and_out_of_court"] == pytest.approx(10 / 205)
    left_out = result.left_out
    absent = "data missing: the file has no rows for this quarter, for any force"  # ROWS hold quarters 1 and 2
    assert left_out[left_out["force"] == "Essex"].values.tolist() == [
        [Y, 2, "Essex", "data missing: N/A - data not provided"],
        [Y, 3, "Essex", absent],
        [Y, 4, "Essex", absent],
    ]


def test_compare_forces_with_no_force_to_rank_gives_empty_funnels():
    rows = [(Y, q, "Kent", "X", S, False, "8", 1, 1, None) for q in (1, 2, 3, 4)]  # 4 outcomes: fewer than 5
    result = comparison.compare_forces(outcomes_table(rows), "recorded", [Y])
    assert len(result.funnel) == 0 and list(result.funnel.columns) == [
        "force",
        "community_resolutions",
        "assigned_outcomes",
        "share",
    ]
    assert len(result.mix) == 0 and "expected_community_resolutions" in result.mix.columns
    assert result.table.set_index("force").loc["Kent", "assigned_outcomes"] == 4


def test_collapse_is_judged_against_the_same_years_quarter():
    # Quarter 3: this year Kent has 10 outcomes and Essex 100 for 1,000 crimes each (nation 0.055, Kent at
    # 18%: collapsed); the earlier year 1,000 each for 100,000 crimes (0.01 each: level 1). Against both
    # years' crimes pooled, Kent would stand at 18 times the rate.
    rows, crimes = [], []
    for year, counts, offences in (
        (EARLIER, {"Kent": 1000, "Essex": 1000}, 100_000),
        (Y, {"Kent": 10, "Essex": 100}, 1000),
    ):
        for force, n in counts.items():
            rows.append((year, 3, force, "20A", S, False, "8", n, n, None))
            crimes.append(
                {"financial_year": year, "quarter": 3, "force": force, "offence_group": S, "offences": offences}
            )
    crime = pl.DataFrame(crimes, schema_overrides={"quarter": pl.Int8})
    found = quality.collapsed_quarters(outcomes_table(rows), "closed", crime)
    assert found.select("financial_year", "quarter", "force").rows() == [(Y, 3, "Kent")]


def test_unusable_quarters_use_the_recorded_crime_when_given():
    # Kent's quarter 3: 10 outcomes for 100 crimes, the nation's rate; without the crimes, a collapse.
    crime = _crime({"Kent": [1000, 1000, 100, 1000], "Essex": [1000] * 4})
    kent = pl.col("force") == "Kent"
    assert quality.unusable_quarters(outcomes_table(_assigned_rows()), "closed", crime).filter(kent).height == 0
    assert quality.unusable_quarters(outcomes_table(_assigned_rows()), "closed").filter(kent).height == 1


def test_collapse_scores_a_quarter_of_one_crime_and_leaves_out_one_of_none():
    # Quarter 3: Kent 0 outcomes for 1 recorded crime, 0% of the nation's (0 + 100) / 1,001: collapsed.
    # Quarter 4: Essex 500 outcomes for no recorded crime is left out, so the nation is Kent's own
    # 100 / 1,000 and Kent stands at 100% (counting Essex's 500 would put Kent at 100 / 600 = 16.7%).
    assigned = {"Kent": [100, 100, 0, 100], "Essex": [100, 100, 100, 500]}
    crime = _crime({"Kent": [1000, 1000, 1, 1000], "Essex": [1000, 1000, 1000, 0]})
    found = quality.collapsed_quarters(outcomes_table(_assigned_rows(assigned)), "closed", crime)
    assert found.rows() == [
        (Y, 3, "Kent", "outcomes collapsed: 0 assigned outcomes for 1 recorded crimes, 0.0% of the national rate")
    ]


def test_collapse_without_recorded_crime_takes_shares_within_the_same_years_quarter():
    # Quarter 3 of two years: earlier Kent 1,000 and Essex 1,000 (shares 0.5, 0.5); this year Kent 10 and
    # Essex 100 (shares 10/110, 100/110). Kent this year: (10/110) / 0.5 = 18.2% of its best: collapsed;
    # Essex's earlier 0.5 is 55% of its best (100/110). Pooling both years' quarter 3 would make Kent
    # 1% and Essex 10% of their best.
    rows = []
    for year, counts in ((EARLIER, {"Kent": 1000, "Essex": 1000}), (Y, {"Kent": 10, "Essex": 100})):
        for force, n in counts.items():
            rows.append((year, 3, force, "20A", S, False, "8", n, n, None))
    found = quality.collapsed_quarters(outcomes_table(rows), "closed")
    assert found.rows() == [
        (Y, 3, "Kent", "outcomes collapsed: 10 assigned outcomes, 18.2% of the force's best quarter")
    ]


def test_a_quarter_at_exactly_the_collapse_threshold_is_not_collapsed():
    # Kent's quarter 3: 1 of the quarter's 8 outcomes (share 0.125) against its best share 100 / 200 = 0.5:
    # exactly 25% (all these are exact binary fractions), not below it.
    assert COLLAPSE_THRESHOLD == 0.25  # the counts below are built on it
    assigned = {"Kent": [100, 100, 1, 100], "Essex": [100, 100, 7, 100]}
    found = quality.collapsed_quarters(outcomes_table(_assigned_rows(assigned)), "closed")
    assert found.height == 0
    below = {"Kent": [100, 100, 1, 100], "Essex": [100, 100, 8, 100]}  # 1/9 / 0.5 = 22.2%
    assert quality.collapsed_quarters(outcomes_table(_assigned_rows(below)), "closed").select(
        "quarter", "force"
    ).rows() == [(3, "Kent")]


# --- each year's force rates and the national rate, worked by hand --------------------------------------

Y0 = "2023/24"
VIOLENCE = "Violence against the person"
BY_YEAR_ROWS = [
    # 2023/24 quarter 1: Kent 4 community resolutions of 20 assigned, Essex 1 of 10 (type 15 is assigned too)
    (Y0, 1, "Kent", "X", S, False, "8", 4, 4, None),
    (Y0, 1, "Kent", "X", S, False, "1", 16, 16, None),
    (Y0, 1, "Essex", "X", S, False, "8", 1, 1, None),
    (Y0, 1, "Essex", "X", S, False, "15", 9, 9, None),
    # quarter 2: Kent none of 20; Essex not provided (left out, with its recorded crimes)
    (Y0, 2, "Kent", "X", S, False, "8", 0, 0, None),
    (Y0, 2, "Kent", "X", S, False, "1", 20, 20, None),
    (Y0, 2, "Essex", "X", S, False, "8", None, None, NOT_PROVIDED),
    # 2024/25 quarter 1 only: Kent 6 of 30, Essex 2 of 20
    (Y, 1, "Kent", "X", S, False, "8", 6, 6, None),
    (Y, 1, "Kent", "X", S, False, "1", 24, 24, None),
    (Y, 1, "Essex", "X", S, False, "8", 2, 2, None),
    (Y, 1, "Essex", "X", S, False, "1", 18, 18, None),
]


def _by_year_crime():
    rows = [
        (Y0, 1, "Kent", S, 2000),
        (Y0, 2, "Kent", S, 2000),
        (Y0, 1, "Essex", S, 1000),
        (Y0, 2, "Essex", S, 1000),  # its quarter is left out: so are these
        (Y, 1, "Kent", S, 3000),
        (Y, 1, "Essex", S, 2000),
        (Y0, 1, "Kent", VIOLENCE, 99_999),  # another offence group: never a denominator here
        (Y, 1, "Essex", VIOLENCE, 99_999),
        ("2022/23", 1, "Kent", S, 77_777),  # a year not asked for
    ]
    names = ["financial_year", "quarter", "force", "offence_group", "offences"]
    return pl.DataFrame([dict(zip(names, r)) for r in rows], schema_overrides={"quarter": pl.Int8})


def test_rates_by_year_give_each_year_on_its_own_by_hand():
    table = comparison.rates_by_year(outcomes_table(BY_YEAR_ROWS), "recorded", [Y0, Y], _by_year_crime())
    assert table.columns[0] == "financial_year" and table.columns.tolist().count("financial_year") == 1
    assert {"rate_per_1000_recorded", "share_of_assigned", "quarters_left_out"} <= set(table.columns)
    assert len(table) == 2 * len(forces())  # every force, each year
    got = table.set_index(["financial_year", "force"])
    expected = {  # community resolutions, assigned, offences, rate per 1,000 offences
        (Y0, "Kent"): (4, 40, 4000, 1.0),
        (Y0, "Essex"): (1, 10, 1000, 1.0),  # quarter 2 out of numerator and denominator alike
        (Y, "Kent"): (6, 30, 3000, 2.0),
        (Y, "Essex"): (2, 20, 2000, 1.0),
    }
    for key, (cr, assigned, offences, rate) in expected.items():
        row = got.loc[key]
        assert (row["community_resolutions"], row["assigned_outcomes"], row["recorded_offences"]) == (
            cr,
            assigned,
            offences,
        )
        assert row["rate_per_1000_recorded"] == pytest.approx(rate)
        assert row["share_of_assigned"] == pytest.approx(cr / assigned)
    assert (
        got.loc[(Y0, "Essex"), "quarters_left_out"]
        == "2023/24 Q2 (data missing); 2023/24 Q3, 2023/24 Q4 (data missing)"
    )
    assert got.loc[(Y, "Kent"), "quarters_left_out"] == "2024/25 Q2, 2024/25 Q3, 2024/25 Q4 (data missing)"
    assert got.loc[(Y, "Dorset"), ["community_resolutions", "recorded_offences"]].isna().all()
    # the England and Wales line of each year: its forces' sums, 5 / 5,000 and 8 / 5,000 per 1,000
    assert comparison.national_rate(table[table["financial_year"] == Y0]) == pytest.approx(1.0)
    assert comparison.national_rate(table[table["financial_year"] == Y]) == pytest.approx(1.6)


def test_national_rate_sums_the_forces_that_have_a_rate():
    table = pd.DataFrame(
        {
            "force": ["A", "B", "C", "D"],
            "community_resolutions": [6, 2, np.nan, 3],
            "recorded_offences": [3000, 2000, 500, 0],
            "rate_per_1000_recorded": [2.0, 1.0, np.nan, np.nan],  # C: no outcomes; D: no offences
            "quarters_left_out": ["2024/25 Q2 (data missing)", None, None, None],  # a note NA is no gap
        }
    )
    assert comparison.national_rate(table) == pytest.approx((6 + 2) / (3000 + 2000) * 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no force with a rate: NaN, and no 0 / 0
        assert math.isnan(comparison.national_rate(table[table["force"].isin(["C", "D"])]))


def test_dispersion_of_a_funnel_of_one_force():
    assert comparison.ForceComparison.dispersion(_funnel_frame("share").iloc[[4]])["phi"] == 3.5


def test_flags_at_the_95_level():
    frame = _funnel_frame("ratio").assign(outside_95=["high", "", "low", "", "low"], outside_adjusted_95="")
    assert comparison.flags(frame, level="95")["force"].tolist() == ["A", "E", "C"]  # p two-sided 2e-6, 2e-4, 1


def test_compare_forces_when_no_quarter_can_be_used():
    rows = [(Y, q, "Kent", "X", S, False, "8", None, None, NOT_PROVIDED) for q in (1, 2, 3, 4)]
    result = comparison.compare_forces(outcomes_table(rows), "recorded", (Y,))
    assert result.years == [Y]
    assert len(result.table) == len(forces()) and result.table["expected_community_resolutions"].isna().all()
    assert not result.table["rankable"].any() and len(result.funnel) == 0 and len(result.mix) == 0
    assert result.table["recorded_offences"].dtype == result.table["assigned_outcomes"].dtype  # a count, NA


def test_compare_forces_ranks_a_force_from_the_minimum_and_leaves_a_zero_expected_off_the_mix():
    n = MIN_OUTCOMES_TO_RANK
    rows = [
        # Kent: n assigned outcomes of code X, one a community resolution: just enough to rank
        (Y, 1, "Kent", "X", S, False, "8", 1, 1, None),
        (Y, 1, "Kent", "X", S, False, "1", n - 1, n - 1, None),
        # Essex: 10 outcomes of code Y, which no force resolves in the community: expected 0
        (Y, 1, "Essex", "Y", S, False, "1", 10, 10, None),
        # Dorset: one fewer than the minimum, of code Z (Kent's X is benchmarked on its own rate: 1 / n)
        (Y, 1, "Dorset", "Z", S, False, "1", n - 1, n - 1, None),
    ]
    crime = pl.DataFrame(
        {"financial_year": [Y] * 3, "quarter": [1] * 3, "force": ["Kent", "Essex", "Dorset"], "offence_group": [S] * 3},
        schema_overrides={"quarter": pl.Int8},
    ).with_columns(offences=pl.Series([1, 100, 100]))  # Kent: one offence recorded, a rate all the same
    result = comparison.compare_forces(outcomes_table(rows), "recorded", [Y], crime)
    table = result.table.set_index("force")
    assert table.loc[["Kent", "Essex", "Dorset"], "rankable"].tolist() == [True, True, False]
    assert table.loc["Essex", "expected_community_resolutions"] == 0
    assert table.loc["Kent", "expected_community_resolutions"] == pytest.approx(1.0)
    assert set(result.funnel["force"]) == {"Kent", "Essex"} and result.mix["force"].tolist() == ["Kent"]
    assert table.loc["Kent", "rate_per_1000_recorded"] == pytest.approx(1 / 1 * 1000)


def test_compare_forces_leaves_out_the_quarters_judged_on_recorded_crime():
    # Kent's quarter 3: 10 outcomes for 100 crimes, the nation's rate, so it is used (without the
    # crimes it would be a collapse): 310 outcomes for 3,100 crimes, 100 per 1,000.
    crime = _crime({"Kent": [1000, 1000, 100, 1000], "Essex": [1000] * 4})
    result = comparison.compare_forces(outcomes_table(_assigned_rows()), "closed", [Y], crime)
    kent = result.table.set_index("force").loc["Kent"]
    assert (kent["assigned_outcomes"], kent["recorded_offences"]) == (310, 3100)
    assert kent["rate_per_1000_recorded"] == pytest.approx(100.0)
    assert pd.isna(kent["quarters_left_out"])


def test_a_force_year_left_out_of_an_annual_year_is_left_out_of_its_rate():
    """The 2006-2014 archive is annual: no quarter (null). A force-year with a count not provided is
    left out, and none of its rows may still be counted (a join on a null quarter matches nothing
    unless nulls are equal)."""
    old = "2012/13"
    rows = [
        (old, None, "Kent", "20A", S, False, "8", 2, 2, None),
        (old, None, "Kent", "20A", S, False, "15", 8, 8, None),
        (old, None, "Essex", "20A", S, False, "8", 5, 5, None),
        (old, None, "Essex", "20A", S, False, "15", None, None, NOT_PROVIDED),
    ]
    rates, left_out, usable = comparison.force_rates(outcomes_table(rows), "recorded", [old])
    by_force = rates.to_pandas().set_index("force")
    assert (by_force.loc["Kent", "community_resolutions"], by_force.loc["Kent", "assigned_outcomes"]) == (2, 10)
    assert "Essex" in left_out["force"].to_list() and "Kent" not in left_out["force"].to_list()
    assert usable.filter(pl.col("force") == "Essex").height == 0
    assert pd.isna(by_force.loc["Essex", "community_resolutions"])  # never 5 of 5
