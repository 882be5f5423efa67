"""stats.change against independent calculations: Clopper-Pearson from scipy's binomtest, Koopman's
score interval with the restricted estimate found numerically, a Poisson regression fitted by
direct maximisation, and sentences worked out by hand at the edges of each rule (written for the
mutation score, issue 19)."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.stats import binomtest, norm
from scipy.stats import t as student_t

from crimeoutcomes.stats.change import (
    _koopman_z,
    count_changes,
    describe_change,
    rate_ratio,
    share_changes,
    share_ratio,
    trend,
    trends,
    year_number,
)

Z = norm.ppf(0.975)


# --- rate ratio: Clopper-Pearson via scipy.stats.binomtest ----------------------------------------
def reference_rate_ratio(before, after, scale=1.0):
    if before + after == 0:
        return math.nan, math.nan, math.nan
    low_p, high_p = binomtest(after, before + after).proportion_ci(0.95, method="exact")
    ratio = math.inf if before == 0 else after / before * scale
    high = math.inf if high_p >= 1 else high_p / (1 - high_p) * scale
    return ratio, low_p / (1 - low_p) * scale, high


@pytest.mark.parametrize("before, after", [(0, 1), (1, 0), (1, 1), (5, 1), (1, 5), (0, 7), (7, 0), (2, 3), (40, 55)])
def test_rate_ratio_is_clopper_pearson_mapped_to_the_ratio(before, after):
    got = [float(v) for v in rate_ratio(before, after)]
    want = reference_rate_ratio(before, after)
    assert got == pytest.approx(want, rel=1e-9)


def test_rate_ratio_exposures_scale_every_end_by_before_over_after():
    # 12 events in 2 years, then 30 in 1 year: rates 6 and 30 a year, ratio 5.
    got = [float(v) for v in rate_ratio(12, 30, exposure_before=2.0, exposure_after=1.0)]
    assert got == pytest.approx(reference_rate_ratio(12, 30, scale=2.0), rel=1e-9)
    assert got[0] == pytest.approx(5.0)
    got = [float(v) for v in rate_ratio(12, 30, exposure_before=1.0, exposure_after=4.0)]
    assert got == pytest.approx(reference_rate_ratio(12, 30, scale=0.25), rel=1e-9)


def test_rate_ratio_accepts_counts_held_as_python_objects_and_returns_floats():
    before, after = np.array([0, 4, 9], dtype=object), np.array([3, 0, 6], dtype=object)
    exposure_before, exposure_after = np.array([1, 1, 2], dtype=object), np.array([2, 2, 2], dtype=object)
    got = rate_ratio(before, after, exposure_before, exposure_after)
    want = rate_ratio(
        before.astype(float), after.astype(float), exposure_before.astype(float), exposure_after.astype(float)
    )
    for g, w in zip(got, want):
        assert g.dtype == np.float64
        np.testing.assert_array_equal(g, w)
    assert [float(v) for v in want[0]] == [math.inf, 0.0, 6 / 9]


def test_rate_ratio_and_share_ratio_warn_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rate_ratio([0, 0, 3, 0], [0, 4, 0, 1])
        share_ratio([0, 0, 3, 2], [10, 10, 10, 5], [0, 4, 0, 5], [10, 10, 10, 5])
        trend([2020, 2021], [10, 20])
        trend([2020, 2021, 2022], [10, 30, 20], exposure=[5, 6, 7])


# --- share ratio: Koopman with the restricted estimate found numerically ---------------------------
def reference_koopman_z(theta, x1, n1, x2, n2):
    """Score z with p1 maximising the likelihood under p2 = theta p1, found by bounded search."""

    def minus_log_likelihood(p1):
        p2 = theta * p1
        return -(x1 * np.log(p1) + (n1 - x1) * np.log1p(-p1) + x2 * np.log(p2) + (n2 - x2) * np.log1p(-p2))

    top = min(1.0, 1.0 / theta) * (1 - 1e-13)
    p1 = minimize_scalar(minus_log_likelihood, bounds=(1e-13, top), method="bounded", options={"xatol": 1e-14}).x
    p2 = theta * p1
    variance = p2 * (1 - p2) / n2 + theta**2 * p1 * (1 - p1) / n1
    return (x2 / n2 - theta * x1 / n1) / math.sqrt(variance)


def reference_share_ratio(x1, n1, x2, n2):
    def solve(target):
        return math.exp(
            brentq(lambda u: reference_koopman_z(math.exp(u), x1, n1, x2, n2) - target, -12, 12, xtol=1e-12)
        )

    low = 0.0 if x2 == 0 else solve(Z)
    high = math.inf if x1 == 0 else solve(-Z)
    return (x2 / n2) / (x1 / n1) if x1 else math.inf, low, high


@pytest.mark.parametrize(
    "x1, n1, x2, n2",
    [
        (1, 2, 1, 1),
        (1, 1, 1, 2),
        (2, 3, 1, 2),
        (1, 4, 3, 5),
        (3, 10, 4, 9),
        (12, 2000, 25, 2100),
        (0, 3, 2, 3),
        (2, 3, 0, 3),
    ],
)
def test_share_ratio_against_koopman_with_a_numerical_restricted_estimate(x1, n1, x2, n2):
    got = [float(v) for v in share_ratio(x1, n1, x2, n2)]
    assert got == pytest.approx(reference_share_ratio(x1, n1, x2, n2), rel=1e-6)


@pytest.mark.parametrize(
    "theta, x1, n1, x2, n2",
    [(1.0, 1, 1, 1, 1), (1.0, 1, 1, 1, 2), (0.5, 1, 2, 1, 3), (2.0, 1, 3, 2, 2), (1.3, 2, 2, 1, 1)],
)
def test_koopman_z_at_tiny_counts_by_numerical_maximisation(theta, x1, n1, x2, n2):
    # Where b^2 - 4ac is 0 or small: the closed-form root must not be nudged.
    assert _koopman_z(theta, x1, n1, x2, n2) == pytest.approx(
        reference_koopman_z(theta, x1, n1, x2, n2), rel=1e-6, abs=1e-7
    )


def test_koopman_z_where_the_variance_vanishes():
    # theta = 0 puts all of the second group's probability at 0: its variance is 0 and any events
    # there are infinitely far from the hypothesis; with every trial an event in both groups at
    # theta = 1 the observed shares are the hypothesis itself.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _koopman_z(0.0, 1, 4, 1, 2) == math.inf
        assert _koopman_z(0.0, 3, 4, 0, 2) == 0.0
        assert _koopman_z(1.0, 5, 5, 7, 7) == 0.0
        assert _koopman_z(1.0, 2, 2, 1, 1) == 0.0


@pytest.mark.parametrize("x1, n1, x2, n2", [(0, 10, 0, 10), (0, 0, 3, 10), (3, 10, 0, 0), (2, 0, 1, 0), (0, 5, 0, 0)])
def test_share_ratio_undefined_without_events_or_trials(x1, n1, x2, n2):
    assert all(math.isnan(float(v)) for v in share_ratio(x1, n1, x2, n2))


def test_share_ratio_with_one_trial_or_one_event_is_computed():
    for x1, n1, x2, n2 in [(1, 1, 3, 10), (3, 10, 1, 1), (1, 5, 0, 5), (0, 5, 1, 5)]:
        got = [float(v) for v in share_ratio(x1, n1, x2, n2)]
        assert not math.isnan(got[0])
        assert got == pytest.approx(reference_share_ratio(x1, n1, x2, n2), rel=1e-6)


def test_share_ratio_broadcasts_and_keeps_the_shape():
    ratio, low, high = share_ratio([[1, 2, 3]], 10, [[2], [4]], 20)
    assert ratio.shape == low.shape == high.shape == (2, 3)
    assert ratio.dtype == np.float64
    assert ratio[1, 2] == pytest.approx((4 / 20) / (3 / 10))
    assert [low[1, 2], high[1, 2]] == pytest.approx(reference_share_ratio(3, 10, 4, 20)[1:], rel=1e-6)


# --- trend: Poisson regression by direct maximisation ----------------------------------------------
def reference_trend(years, counts, exposure=None):
    t = np.asarray(years, dtype=float) - years[0]  # not centred, unlike the code
    y = np.asarray(counts, dtype=float)
    offset = np.zeros_like(y) if exposure is None else np.log(np.asarray(exposure, dtype=float))

    def minus_log_likelihood(coef):
        eta = offset + coef[0] + coef[1] * t
        return -(y * eta - np.exp(eta)).sum()

    def gradient(coef):
        residual = y - np.exp(offset + coef[0] + coef[1] * t)
        return -np.array([residual.sum(), (residual * t).sum()])

    start = np.array([math.log(y.mean() / np.exp(offset).mean()), 0.0])
    coef = minimize(minus_log_likelihood, start, jac=gradient, method="BFGS", options={"gtol": 1e-10}).x
    mu = np.exp(offset + coef[0] + coef[1] * t)
    x = np.column_stack([np.ones_like(t), t])
    var_slope = np.linalg.inv(x.T @ (mu[:, None] * x))[1, 1]
    df = len(y) - 2
    dispersion = float(((y - mu) ** 2 / mu).sum() / df) if df else math.nan
    quasi = df > 0 and dispersion > 1
    se = math.sqrt(var_slope * (dispersion if quasi else 1))
    critical = student_t.ppf(0.975, df) if quasi else Z
    return {
        "percent_per_year": 100 * math.expm1(coef[1]),
        "percent_low": 100 * math.expm1(coef[1] - critical * se),
        "percent_high": 100 * math.expm1(coef[1] + critical * se),
        "dispersion": dispersion,
        "model": "quasi-poisson" if quasi else "poisson",
    }


def assert_trend(got, want):
    for key in ("percent_per_year", "percent_low", "percent_high"):
        assert got[key] == pytest.approx(want[key], rel=1e-6, abs=1e-6), key
    if math.isnan(want["dispersion"]):
        assert math.isnan(got["dispersion"])
    else:
        assert got["dispersion"] == pytest.approx(want["dispersion"], rel=1e-6)
    assert got["model"] == want["model"]


def test_trend_of_two_years_by_hand():
    # Saturated: slope log 2 exactly, variance 1/10 + 1/20, no residual degrees of freedom.
    got = trend([2020, 2021], [10, 20])
    assert got["years"] == 2
    assert got["percent_per_year"] == pytest.approx(100.0)
    assert got["percent_low"] == pytest.approx(100 * math.expm1(math.log(2) - Z * math.sqrt(0.15)))
    assert got["percent_high"] == pytest.approx(100 * math.expm1(math.log(2) + Z * math.sqrt(0.15)))
    assert math.isnan(got["dispersion"])
    assert got["model"] == "poisson"


@pytest.mark.parametrize(
    "counts", [[10, 30, 20], [10, 11, 12], [0, 5, 10], [20, 26, 25, 36], [40, 38, 45, 44, 52], [3, 0, 4, 0, 6]]
)
def test_trend_matches_a_poisson_fit_by_direct_maximisation(counts):
    years = list(range(2019, 2019 + len(counts)))
    assert_trend(trend(years, counts), reference_trend(years, counts))


def test_trend_with_dispersion_between_one_and_two_is_quasi_poisson():
    counts = [20, 32, 25, 36]
    want = reference_trend([2019, 2020, 2021, 2022], counts)
    assert 1 < want["dispersion"] < 2
    assert_trend(trend([2019, 2020, 2021, 2022], counts), want)


def test_trend_with_exposure_is_a_trend_in_the_rate():
    # Counts that double with the exposure: no change in the rate.
    got = trend([2020, 2021, 2022], [10, 20, 40], exposure=[100, 200, 400])
    assert got["percent_per_year"] == pytest.approx(0.0, abs=1e-9)
    assert_trend(got, reference_trend([2020, 2021, 2022], [10, 20, 40], [100, 200, 400]))
    got = trend([2020, 2021, 2022, 2023], [30, 28, 33, 29], exposure=[1, 2, 4, 8])
    assert_trend(got, reference_trend([2020, 2021, 2022, 2023], [30, 28, 33, 29], [1, 2, 4, 8]))
    assert got["percent_per_year"] == pytest.approx(-50, abs=3)


def test_trend_accepts_columns_of_python_objects():
    years = pd.Series([2020, 2021, 2022], dtype=object)
    counts = pd.Series([10, 30, 20], dtype=object)
    exposure = pd.Series([5, 6, 7], dtype=object)
    assert_trend(trend(years, counts, exposure), reference_trend([2020, 2021, 2022], [10, 30, 20], [5, 6, 7]))


@pytest.mark.parametrize(
    "years, counts",
    [([2020], [5]), ([2020, 2021, 2022], [0, 7, 0]), ([2020, 2020, 2020], [3, 4, 5]), ([2020, 2021], [1, 300])],
)
def test_trend_without_a_finite_estimate_has_every_key_empty(years, counts):
    got = trend(years, counts)
    assert set(got) == {"years", "percent_per_year", "percent_low", "percent_high", "dispersion", "model"}
    assert got["years"] == len(counts)
    assert got["model"] == ""
    assert all(math.isnan(got[key]) for key in ("percent_per_year", "percent_low", "percent_high", "dispersion"))


def test_trend_with_two_years_of_events_among_three_is_estimated():
    got = trend([2020, 2021, 2022], [0, 5, 10])
    assert np.isfinite(got["percent_per_year"])
    # A slope just under the guard of 5 (148-fold a year) is still reported.
    got = trend([2020, 2021], [1, 140])
    assert got["percent_per_year"] == pytest.approx(13900)


# --- sentences at the edges of each rule -----------------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [
        ((1.0, 0.9, 1.1), "no change detectable (0.0%, 95% CI down 10.0% to up 10.0%)"),
        ((1.002, 0.996, 1.008), "no change detectable (up 0.2%, 95% CI down 0.4% to up 0.8%)"),
        ((0.85, 0.7, 1.00496), "no change detectable (down 15%, 95% CI down 30% to 0%)"),
        ((0.85, 0.7, 1.00504), "no change detectable (down 15%, 95% CI down 30% to up 1%)"),
        ((1.5, 1.0, 2.0), "no change detectable (up 50%, 95% CI 0% to up 100%)"),
        ((0.7, 0.5, 1.0), "no change detectable (down 30%, 95% CI down 50% to 0%)"),
        ((1.5, 0.5, math.inf), "no change detectable (up 50%, 95% CI down 50% to no upper bound)"),
        ((2.0, 1.5, 2.6), "2.0 times as high (95% CI 1.5 to 2.6 times)"),
        ((3.0, 1.5, math.inf), "3.0 times as high (95% CI 1.5 to no upper bound times)"),
        ((1.5, 1.2, math.inf), "up 50% (95% CI 20% to no upper bound)"),
        ((1.05, 1.01, 1.2), "up 5.0% (95% CI 1.0% to 20.0%)"),
        ((math.inf, 1.0, math.inf), "no change detectable (up from none; 95% CI lower bound 0%)"),
        ((math.inf, 0.5, math.inf), "no change detectable (up from none; 95% CI lower bound down 50%)"),
        ((math.inf, 1.3, math.inf), "up from none (95% CI lower bound up 30%)"),
        ((0.0, 0.0, 0.8), "down to none (95% CI 20% to 100%)"),
        ((math.nan, math.nan, math.nan), "no events in either period"),
    ],
)
def test_describe_change_at_the_edges(args, words):
    assert describe_change(*args) == words


def test_describe_change_of_a_count_from_none():
    assert (
        describe_change(*(float(v) for v in rate_ratio(0, 1)))
        == "no change detectable (up from none; 95% CI lower bound down 97%)"
    )


# --- the pandas tables -----------------------------------------------------------------------------
def test_year_number():
    assert year_number(2023) == 2023.0 and isinstance(year_number(2023), float)
    assert year_number(np.int64(2019)) == 2019.0
    assert year_number(" 2023/24") == 2023.0
    with pytest.raises(ValueError, match=r"cannot read a year from 'last year'"):
        year_number("last year")


def counts_frame():
    # Forces out of alphabetical order and years out of order within each.
    return pd.DataFrame(
        {
            "force": ["West", "West", "West", "East", "East"],
            "year": ["2022/23", "2020/21", "2021/22", "2021/22", "2020/21"],
            "count": [30, 10, 20, 7, 0],
            "n": [300, 200, 250, 70, 50],
        }
    )


def test_count_changes_columns_order_and_values():
    table = count_changes(counts_frame(), by="force")
    assert list(table.columns) == [
        "force",
        "comparison",
        "from_year",
        "to_year",
        "from_count",
        "to_count",
        "ratio",
        "ratio_low",
        "ratio_high",
        "change",
    ]
    assert list(table["force"]) == ["East", "West", "West", "West"]
    assert list(table["comparison"]) == ["year_on_year", "year_on_year", "year_on_year", "first_to_last"]
    assert list(table["from_year"]) == ["2020/21", "2020/21", "2021/22", "2020/21"]
    assert list(table["to_year"]) == ["2021/22", "2021/22", "2022/23", "2022/23"]
    assert list(table["from_count"]) == [0, 10, 20, 10]
    assert list(table["to_count"]) == [7, 20, 30, 30]
    for row in table.itertuples():
        want = reference_rate_ratio(row.from_count, row.to_count)
        assert [row.ratio, row.ratio_low, row.ratio_high] == pytest.approx(want, rel=1e-9)
        assert row.change == describe_change(*want)


def test_two_years_give_one_comparison_only():
    table = count_changes(pd.DataFrame({"year": [2021, 2020], "count": [5, 4]}))
    assert list(table["comparison"]) == ["year_on_year"]
    assert [table["from_year"][0], table["to_year"][0]] == [2020, 2021]


def test_share_changes_columns_and_values():
    frame = counts_frame().rename(columns={"count": "events"})
    frame.loc[len(frame)] = ["East", "2022/23", 0, 0]
    table = share_changes(frame, by=["force"])
    assert list(table.columns) == [
        "force",
        "comparison",
        "from_year",
        "to_year",
        "from_share",
        "to_share",
        "ratio",
        "ratio_low",
        "ratio_high",
        "change",
    ]
    east = table[table["force"] == "East"].reset_index(drop=True)
    assert list(east["comparison"]) == ["year_on_year", "year_on_year", "first_to_last"]
    assert east["from_share"].tolist()[:2] == [0.0, pytest.approx(0.1)]
    assert math.isnan(east["to_share"][1]) and math.isnan(east["ratio"][1])
    assert east["change"][1] == "no events in either period"
    west = table[table["force"] == "West"].reset_index(drop=True)
    assert west["from_share"].tolist() == pytest.approx([10 / 200, 20 / 250, 10 / 200])
    assert west["to_share"].tolist() == pytest.approx([20 / 250, 30 / 300, 30 / 300])
    for row, (x1, n1, x2, n2) in zip(west.itertuples(), [(10, 200, 20, 250), (20, 250, 30, 300), (10, 200, 30, 300)]):
        want = reference_share_ratio(x1, n1, x2, n2)
        assert [row.ratio, row.ratio_low, row.ratio_high] == pytest.approx(want, rel=1e-6)
        assert row.change == describe_change(row.ratio, row.ratio_low, row.ratio_high)


def test_trends_per_group_with_exposure_and_words():
    frame = pd.DataFrame(
        {
            "force": ["B"] * 4 + ["A"] * 3,
            "year": ["2023/24", "2020/21", "2021/22", "2022/23", "2020/21", "2021/22", "2022/23"],
            "count": [36, 20, 26, 25, 0, 4, 0],
            "pop": [4, 1, 2, 3, 1, 1, 1],
        }
    )
    table = trends(frame, by="force", exposure="pop")
    assert list(table["force"]) == ["A", "B"]
    assert list(table["first_year"]) == ["2020/21", "2020/21"]
    assert list(table["last_year"]) == ["2022/23", "2023/24"]
    assert table["change"][0] == "too few events to estimate a trend"
    want = reference_trend([2020, 2021, 2022, 2023], [20, 26, 25, 36], [1, 2, 3, 4])
    b = table.iloc[1]
    for key in ("percent_per_year", "percent_low", "percent_high", "dispersion"):
        assert b[key] == pytest.approx(want[key], rel=1e-6)
    assert b["change"] == describe_change(
        1 + want["percent_per_year"] / 100, 1 + want["percent_low"] / 100, 1 + want["percent_high"] / 100, per=" a year"
    )
    assert " a year" in b["change"]


def test_trends_words_with_hand_worked_numbers():
    # Two years, 10 then 20: up 100% a year, 95% CI -6.4% to +327% (see the hand-worked test above).
    table = trends(pd.DataFrame({"year": [2020, 2021], "count": [10, 20]}))
    assert table["change"][0] == "no change detectable (up 100% a year, 95% CI down 6% to up 327%)"
    table = trends(pd.DataFrame({"year": [2020, 2021, 2022, 2023], "count": [100, 150, 225, 338]}))
    assert table["change"][0].startswith("up 50% a year (95% CI ")


def test_percent_rounds_an_exact_half_away_from_zero():
    # 1.125 - 1 is exactly 0.125: 12.5% is said as 13%, as a reader rounds.
    assert describe_change(1.125, 1.05, 1.205) == "up 13% (95% CI 5% to 21%)"
    assert describe_change(0.875, 0.8, 0.95) == "down 13% (95% CI 5% to 20%)"


def test_share_changes_from_a_year_without_outcomes_divides_nothing():
    frame = pd.DataFrame({"year": [2020, 2021, 2022], "events": [0, 3, 4], "n": [0, 30, 40]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = share_changes(frame)
    assert math.isnan(table["from_share"][0]) and table["from_share"][1] == pytest.approx(0.1)
    assert table["change"][0] == "no events in either period"
