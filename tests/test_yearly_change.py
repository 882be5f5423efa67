"""Change over time with intervals (yearly_change.py), on hand-made totals; intervals checked against
scipy's exact binomial test, an implementation independent of stats.change."""

import math

import pandas as pd
import pytest
from scipy.stats import binomtest

from crimeoutcomes.stats import yearly_change


def _exact(before: int, after: int) -> tuple[float, float]:
    ci = binomtest(after, before + after).proportion_ci(0.95, method="exact")
    return ci.low / (1 - ci.low), ci.high / (1 - ci.high)


def _totals(rows):
    return pd.DataFrame(
        rows, columns=["financial_year", "community_resolutions", "assigned_outcomes", "force_quarters_missing"]
    )


def test_year_on_year_and_first_to_last_with_exact_intervals():
    totals = _totals([("2023/24", 150, 30_000, 0), ("2022/23", 100, 25_000, 0), ("2024/25", 120, 30_000, 0)])
    changes = yearly_change.national_changes(totals)
    assert changes[["comparison", "from_year", "to_year"]].values.tolist() == [
        ["year_on_year", "2022/23", "2023/24"],
        ["year_on_year", "2023/24", "2024/25"],
        ["first_to_last", "2022/23", "2024/25"],
    ]
    assert changes["ratio"].tolist() == pytest.approx([1.5, 0.8, 1.2])
    for (_, row), (before, after) in zip(changes.iterrows(), [(100, 150), (150, 120), (100, 120)]):
        low, high = _exact(before, after)
        assert (row["ratio_low"], row["ratio_high"]) == pytest.approx((low, high), rel=1e-6)
    assert (
        changes["change"].iloc[0] == f"up 50% (95% CI {(_exact(100, 150)[0] - 1) * 100:.0f}% to "
        f"{(_exact(100, 150)[1] - 1) * 100:.0f}%)"
    )
    # The share 150/30,000 against 100/25,000: 0.005 / 0.004 = 1.25, its interval around it.
    assert changes["share_ratio"].iloc[0] == pytest.approx(1.25)
    assert changes["share_ratio_low"].iloc[0] < 1.25 < changes["share_ratio_high"].iloc[0]
    low, high = changes["share_ratio_low"].iloc[0], changes["share_ratio_high"].iloc[0]
    assert changes["share_change"].iloc[0] == (
        f"no change detectable (up 25%, 95% CI down {(1 - low) * 100:.0f}% to up {(high - 1) * 100:.0f}%)"
    )


def test_years_apart_are_not_year_on_year_and_incomplete_years_are_not_compared():
    totals = _totals([("2014/15", 50, 10_000, 12), ("2019/20", 80, 12_000, 0), ("2020/21", 90, 12_000, 3)])
    changes = yearly_change.national_changes(totals)
    assert changes[["comparison", "from_year", "to_year"]].values.tolist() == [
        ["year_on_year", "2019/20", "2020/21"],
        ["first_to_last", "2014/15", "2020/21"],
    ]
    assert changes["change"].eq(yearly_change.NOT_LIKE_FOR_LIKE).all() and changes["ratio"].isna().all()


def test_force_changes_leave_a_missing_year_uncompared():
    by_force = pd.DataFrame(
        {
            "force": ["Kent"] * 3 + ["Essex"] * 3,
            "financial_year": ["2022/23", "2023/24", "2024/25"] * 2,
            "community_resolutions": pd.array([10, 20, 5, 4, None, 8], dtype="Int64"),
        }
    )
    changes = yearly_change.force_changes(by_force).set_index(["force", "from_year", "to_year"])
    assert changes.loc[("Kent", "2022/23", "2023/24"), "ratio"] == pytest.approx(2.0)
    assert changes.loc[("Kent", "2023/24", "2024/25"), "ratio"] == pytest.approx(0.25)
    assert changes.loc[("Kent", "2023/24", "2024/25"), "change"].startswith("down 75%")
    assert math.isnan(changes.loc[("Essex", "2022/23", "2023/24"), "ratio"])
    assert changes.loc[("Essex", "2022/23", "2024/25"), "ratio"] == pytest.approx(2.0)  # first to last, both complete


def test_trend_needs_three_complete_years():
    few = pd.DataFrame({"financial_year": ["2023/24", "2024/25"], "community_resolutions": [10, 20]})
    assert yearly_change.count_trend(few)["change"] == "too few complete years for a trend"
    # Doubling every year exactly: the log-linear slope is log 2, so 100% a year.
    doubling = pd.DataFrame(
        {"financial_year": ["2020/21", "2021/22", "2022/23", "2023/24"], "community_resolutions": [100, 200, 400, 800]}
    )
    fit = yearly_change.count_trend(doubling)
    assert fit["percent_per_year"] == pytest.approx(100.0, rel=1e-6)
    assert fit["percent_low"] < 100 < fit["percent_high"]


def test_two_years_are_compared_once_and_one_year_not_at_all():
    consecutive = yearly_change.national_changes(_totals([("2023/24", 10, 100, 0), ("2024/25", 20, 100, 0)]))
    assert consecutive[["comparison", "from_year", "to_year"]].values.tolist() == [
        ["year_on_year", "2023/24", "2024/25"]
    ]
    apart = yearly_change.national_changes(_totals([("2020/21", 10, 100, 0), ("2024/25", 20, 100, 0)]))
    assert apart[["comparison", "from_year", "to_year"]].values.tolist() == [["first_to_last", "2020/21", "2024/25"]]
    assert apart["ratio"].tolist() == pytest.approx([2.0])
    one = yearly_change.national_changes(_totals([("2024/25", 20, 100, 0)]))
    assert len(one) == 0 and list(one.columns)[:9] == yearly_change.CHANGE_COLUMNS


def test_a_share_of_no_outcomes_is_not_compared_but_the_count_is():
    changes = yearly_change.national_changes(_totals([("2023/24", 0, 0, 0), ("2024/25", 5, 40, 0)]))
    row = changes.iloc[0]
    assert math.isnan(row["share_ratio"]) and row["share_change"] == yearly_change.NOT_LIKE_FOR_LIKE
    assert math.isnan(row["share_ratio_low"]) and math.isnan(row["share_ratio_high"])
    assert row["from_count"] == 0 and row["to_count"] == 5 and row["ratio"] == math.inf
    # exact lower limit for 5 events after none: the Clopper-Pearson lower limit of 5/5, as odds
    low = binomtest(5, 5).proportion_ci(0.95, method="exact").low
    assert row["ratio_low"] == pytest.approx(low / (1 - low), rel=1e-6) and row["ratio_high"] == math.inf


def test_count_trend_uses_only_complete_years():
    frame = pd.DataFrame(
        {
            "financial_year": ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25"],
            "community_resolutions": [100, 200, 5, 800, None],
            "force_quarters_missing": [0, 0, 3, 0, 0],  # 2022/23 incomplete, 2024/25 NA: both left out
        }
    )
    fit = yearly_change.count_trend(frame)
    assert fit["years"] == ["2020/21", "2021/22", "2023/24"]
    # 100, 200, _, 800: doubling a year exactly on the years kept
    assert fit["percent_per_year"] == pytest.approx(100.0, rel=1e-6)
    assert fit["percent_low"] < 100 < fit["percent_high"] and fit["model"]
    assert fit["change"] == (
        f"up 100% a year (95% CI {fit['percent_low']:.0f}% to {fit['percent_high']:.0f}%)"
    )  # the interval excludes no change
    few = yearly_change.count_trend(frame.assign(force_quarters_missing=[0, 1, 1, 0, 0]))
    assert few["years"] == ["2020/21", "2023/24"] and few["percent_per_year"] is None
    assert few["percent_low"] is None and few["percent_high"] is None
    none = pd.DataFrame({"financial_year": ["2020/21", "2021/22", "2022/23"], "community_resolutions": [0, 0, 0]})
    assert yearly_change.count_trend(none)["change"] == "too few events to estimate a trend"


def test_force_change_table_gives_each_forces_change_into_the_year():
    by_force = pd.DataFrame(
        {
            "force": ["Kent"] * 3 + ["Essex"] * 3,
            "financial_year": ["2022/23", "2023/24", "2024/25"] * 2,
            "community_resolutions": pd.array([10, 20, 5, 4, None, 8], dtype="Int64"),
        }
    )
    changes = yearly_change.force_changes(by_force)
    table = yearly_change.force_change_table(changes, "2024/25").set_index("force")
    assert list(table.columns) == [
        "previous_year_count",
        "year_count",
        "change_on_the_year",
        "first_year_count",
        "change_since_first_year",
    ]
    assert table.index.tolist() == ["Essex", "Kent"]
    assert (table.loc["Kent", "previous_year_count"], table.loc["Kent", "year_count"]) == (20, 5)
    assert table.loc["Kent", "first_year_count"] == 10
    assert table.loc["Kent", "change_on_the_year"].startswith("down 75%")
    assert table.loc["Kent", "change_since_first_year"].startswith("no change detectable (down 50%")
    assert table.loc["Essex", "change_on_the_year"] == yearly_change.NOT_LIKE_FOR_LIKE
    assert table.loc["Essex", "change_since_first_year"].startswith("no change detectable (up 100%")
    middle = yearly_change.force_change_table(changes, "2023/24")
    assert list(middle.columns) == ["force", "previous_year_count", "year_count", "change_on_the_year"]
    assert middle.set_index("force").loc["Kent", "change_on_the_year"].startswith("no change detectable (up 100%")
    assert list(yearly_change.force_change_table(changes, "2022/23").columns) == ["force"]


def test_force_changes_list_only_the_forces_in_the_data():
    by_force = pd.DataFrame(
        {
            "force": pd.Categorical(["Kent", "Kent"], categories=["Dorset", "Kent"]),
            "financial_year": ["2023/24", "2024/25"],
            "community_resolutions": [10, 20],
        }
    )
    changes = yearly_change.force_changes(by_force)
    assert changes["force"].tolist() == ["Kent"] and changes["ratio"].tolist() == pytest.approx([2.0])


def test_a_trend_with_no_detectable_change_says_so_with_its_interval():
    frame = pd.DataFrame(
        {
            "financial_year": ["2020/21", "2021/22", "2022/23", "2023/24"],
            "community_resolutions": [100, 90, 110, 100],
            "note": [None, None, None, None],  # other columns' NA leave a year in
        }
    )
    fit = yearly_change.count_trend(frame)
    assert fit["years"] == frame["financial_year"].tolist()
    p, low, high = fit["percent_per_year"], fit["percent_low"], fit["percent_high"]
    assert low < 0 < high and abs(p) < 9.95  # one decimal under 10%
    direction = "up" if p > 0 else "down"
    assert fit["change"] == (
        f"no change detectable ({direction} {abs(p):.1f}% a year, 95% CI down {-low:.1f}% to up {high:.1f}%)"
    )


def test_force_changes_come_in_force_order_whatever_the_input_order():
    by_force = pd.DataFrame(
        {
            "force": ["Kent", "Kent", "Essex", "Essex", "Dorset", "Dorset"],
            "financial_year": ["2023/24", "2024/25"] * 3,
            "community_resolutions": [10, 20, 8, 4, 5, 5],
        }
    )
    changes = yearly_change.force_changes(by_force)
    assert changes["force"].tolist() == ["Dorset", "Essex", "Kent"]
    assert changes["ratio"].tolist() == pytest.approx([1.0, 0.5, 2.0])  # 5 -> 5, 8 -> 4, 10 -> 20


def test_a_force_with_no_row_for_a_year_is_not_compared_across_it():
    # Essex has no row at all for 2023/24 (not a NA count): its year-on-year changes touching that
    # year are not like for like; first to last (4 -> 8) still is.
    by_force = pd.DataFrame(
        {
            "force": ["Kent"] * 3 + ["Essex"] * 2,
            "financial_year": ["2022/23", "2023/24", "2024/25", "2022/23", "2024/25"],
            "community_resolutions": [10, 20, 5, 4, 8],
        }
    )
    essex = yearly_change.force_changes(by_force).query("force == 'Essex'")
    assert essex[["comparison", "from_year", "to_year"]].values.tolist() == [
        ["year_on_year", "2022/23", "2023/24"],
        ["year_on_year", "2023/24", "2024/25"],
        ["first_to_last", "2022/23", "2024/25"],
    ]
    assert essex["change"].tolist()[:2] == [yearly_change.NOT_LIKE_FOR_LIKE] * 2
    assert essex["ratio"].isna().tolist() == [True, True, False] and essex["ratio"].iloc[2] == pytest.approx(2.0)


def test_force_changes_of_a_single_year_are_empty_with_every_column():
    by_force = pd.DataFrame(
        {"force": ["Kent", "Essex"], "financial_year": ["2024/25"] * 2, "community_resolutions": [3, 4]}
    )
    changes = yearly_change.force_changes(by_force)
    assert len(changes) == 0 and list(changes.columns) == ["force", *yearly_change.CHANGE_COLUMNS]


def test_force_change_table_lists_every_force_even_with_nothing_to_compare():
    by_force = pd.DataFrame(
        {
            "force": ["Kent", "Kent", "Essex", "Essex"],
            "financial_year": ["2023/24", "2024/25"] * 2,
            "community_resolutions": [10, 20, 8, 4],
        }
    )
    changes = yearly_change.force_changes(by_force)
    first = yearly_change.force_change_table(changes, "2023/24")  # the first year read: no change into it
    assert first["force"].tolist() == ["Essex", "Kent"] and list(first.columns) == ["force"]
