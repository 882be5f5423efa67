"""crimeoutcomes.stats.change and offence_mix: hand-worked intervals, zeros, words, pandas tables."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

from crimeoutcomes.stats import (
    FunnelInputError,
    count_changes,
    describe_change,
    leave_one_out_expected,
    rate_ratio,
    share_changes,
    share_ratio,
    trend,
    trends,
)
from crimeoutcomes.stats.change import _koopman_z


def binomial_tail_at_least(x, n, p):
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x, n + 1))


def bisect(f, low=0.0, high=1.0):
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if f(middle) < 0 else (low, middle)
    return (low + high) / 2


def test_rate_ratio_exact_interval_by_hand():
    # 10 then 20: given 30 events, the later count is binomial(30, p) with p = RR / (1 + RR).
    # Clopper-Pearson: p_low solves P(X >= 20 | p) = 0.025, p_high solves P(X <= 20 | p) = 0.025,
    # found here by bisection on the binomial sums (no beta function), then RR = p / (1 - p).
    p_low = bisect(lambda p: binomial_tail_at_least(20, 30, p) - 0.025)
    p_high = bisect(lambda p: 0.025 - (1 - binomial_tail_at_least(21, 30, p)))
    ratio, low, high = rate_ratio(10, 20)
    assert ratio == 2
    assert low == pytest.approx(p_low / (1 - p_low), rel=1e-8) and low == pytest.approx(0.89351, abs=1e-5)
    assert high == pytest.approx(p_high / (1 - p_high), rel=1e-8) and high == pytest.approx(4.78455, abs=1e-5)


def test_rate_ratio_with_zeros():
    # 0 then 5: p_low = 0.025^(1/5) = 0.4781762, RR_low = 0.4781762 / 0.5218238 = 0.9163559, no upper bound.
    ratio, low, high = rate_ratio(0, 5)
    assert np.isinf(ratio) and np.isinf(high) and low == pytest.approx(0.9163559, abs=1e-7)
    # 5 then 0: the mirror image, RR_high = 1 / 0.9163559 = 1.0912791.
    ratio, low, high = rate_ratio(5, 0)
    assert (ratio, low) == (0, 0) and high == pytest.approx(1.0912791, abs=1e-7)
    assert all(np.isnan(v) for v in rate_ratio(0, 0))


def test_rate_ratio_vectorised_and_exposure():
    ratio, low, high = rate_ratio([10, 10], [20, 20], exposure_before=[1, 2], exposure_after=[1, 1])
    assert ratio.tolist() == [2, 4] and low[1] == pytest.approx(2 * low[0])


def test_share_ratio_matches_the_published_koopman_example():
    # Fagerland, Lydersen and Laake's Perondi et al. (2004) table, 7/34 against 1/34: Koopman score
    # interval 1.2209 to 42.5757 (R package contingencytables, Koopman_asymptotic_score_CI_2x2).
    ratio, low, high = share_ratio(1, 34, 7, 34)
    assert ratio == 7 and low == pytest.approx(1.2209, abs=1e-4) and high == pytest.approx(42.5757, abs=1e-4)


def test_koopman_restricted_estimate_is_the_constrained_maximum():
    # The closed-form restricted estimate inside the score statistic equals a numerical maximisation
    # of the likelihood with p2 = theta p1.
    x1, n1, x2, n2, theta = 12, 2500, 30, 2600, 1.7

    def negative_log_likelihood(p1):
        p2 = theta * p1
        return -(x1 * math.log(p1) + (n1 - x1) * math.log(1 - p1) + x2 * math.log(p2) + (n2 - x2) * math.log(1 - p2))

    p1 = minimize_scalar(
        negative_log_likelihood, bounds=(1e-9, 1 / theta - 1e-9), method="bounded", options={"xatol": 1e-12}
    ).x
    variance = theta * p1 * (1 - theta * p1) / n2 + theta**2 * p1 * (1 - p1) / n1
    assert _koopman_z(theta, x1, n1, x2, n2) == pytest.approx(
        (x2 / n2 - theta * x1 / n1) / math.sqrt(variance), rel=1e-6
    )


def test_share_ratio_zeros_and_katz_agreement_for_large_counts():
    ratio, low, high = share_ratio(5, 1000, 0, 1000)
    assert ratio == 0 and low == 0 and 0 < high < 1.5
    ratio, low, high = share_ratio(0, 1000, 5, 1000)
    assert np.isinf(ratio) and np.isinf(high) and low > 0.5
    # Large counts: Katz's log interval, exp(log RR +- 1.96 sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)).
    x1, n1, x2, n2 = 400, 20000, 500, 20000
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    ratio, low, high = share_ratio(x1, n1, x2, n2)
    assert low == pytest.approx(1.25 * math.exp(-1.959964 * se), rel=2e-3)
    assert high == pytest.approx(1.25 * math.exp(1.959964 * se), rel=2e-3)


def test_share_ratio_coverage_at_small_counts():
    # Shares of about 0.5% of 2,000 outcomes (about 10 events), as for a small force.
    rng = np.random.default_rng(161)
    x1, x2 = rng.binomial(2000, 0.005, 600), rng.binomial(2000, 0.0075, 600)
    _, low, high = share_ratio(x1, 2000, x2, 2000)
    covered = (low <= 1.5) & (1.5 <= high)
    assert covered.mean() >= 0.93


def test_trend_by_hand():
    # 100, 110, 121 in years -1, 0, 1 (centred): the Poisson fit is exact, slope log 1.1 (10% a year).
    # Information: sum mu = 331, sum mu t = 21, sum mu t^2 = 221; var(slope) = 331 / (331 * 221 - 21^2)
    # = 331 / 72710 = 0.0045523, se 0.0674707; 1.1 exp(+-1.959964 * 0.0674707): -3.63% to +25.55%.
    fit = trend([2020, 2021, 2022], [100, 110, 121])
    assert fit["model"] == "poisson"
    assert fit["percent_per_year"] == pytest.approx(10.0, abs=1e-9)
    assert fit["percent_low"] == pytest.approx(-3.6257, abs=1e-3) and fit["percent_high"] == pytest.approx(
        25.552, abs=1e-3
    )


def test_trend_quasi_poisson_when_over_dispersed():
    years, counts = [1, 2, 3, 4, 5], [100, 150, 90, 200, 120]
    fit = trend(years, counts)
    assert fit["model"] == "quasi-poisson" and fit["dispersion"] > 1
    # Same slope as Poisson; the interval on the log scale is sqrt(dispersion) * t(3) / z times as wide.
    t = np.array(years, float) - 3
    slope = math.log1p(fit["percent_per_year"] / 100)
    width = math.log1p(fit["percent_high"] / 100) - math.log1p(fit["percent_low"] / 100)
    # An independent check: the intercept that solves the first score equation given the slope, then
    # the second score equation, Pearson's dispersion and the information matrix by hand.
    intercept = math.log(sum(counts) / sum(math.exp(slope * ti) for ti in t))
    assert sum((c - math.exp(intercept + slope * ti)) * ti for c, ti in zip(counts, t)) == pytest.approx(0, abs=1e-6)
    fitted = np.exp(intercept + slope * t)
    dispersion = float(np.sum((np.array(counts) - fitted) ** 2 / fitted) / 3)
    information = np.array([[fitted.sum(), (fitted * t).sum()], [(fitted * t).sum(), (fitted * t * t).sum()]])
    se = math.sqrt(np.linalg.inv(information)[1, 1] * dispersion)
    assert fit["dispersion"] == pytest.approx(dispersion, rel=1e-8)
    assert width == pytest.approx(2 * 3.182446 * se, rel=1e-5)


def test_trend_without_events():
    assert np.isnan(trend([1, 2, 3], [0, 0, 0])["percent_per_year"])
    assert np.isnan(trend([1, 2, 3], [0, 0, 7])["percent_per_year"])  # no finite slope


@pytest.mark.parametrize(
    "args, words",
    [
        ((1.47, 1.38, 1.56), "up 47% (95% CI 38% to 56%)"),
        ((0.9, 0.85, 0.96), "down 10% (95% CI 4% to 15%)"),
        ((0.97, 0.9, 1.05), "no change detectable (down 3.0%, 95% CI down 10.0% to up 5.0%)"),
        ((2.5, 1.8, 3.4), "2.5 times as high (95% CI 1.8 to 3.4 times)"),
        ((np.inf, 1.3, np.inf), "up from none (95% CI lower bound up 30%)"),
        ((0.0, 0.0, 0.6), "down to none (95% CI 40% to 100%)"),
        ((np.nan, np.nan, np.nan), "no events in either period"),
    ],
)
def test_describe_change(args, words):
    assert describe_change(*args) == words


def test_describe_trend():
    assert (
        describe_change(1.1, 0.9637, 1.2555, per=" a year")
        == "no change detectable (up 10% a year, 95% CI down 4% to up 26%)"
    )


def test_pandas_tables_per_force():
    frame = pd.DataFrame(
        {
            "force": ["A"] * 3 + ["B"] * 3,
            "year": ["2023/24", "2021/22", "2022/23"] * 2,
            "count": [40, 10, 20, 5, 5, 5],
            "n": [1000, 1000, 1000, 500, 600, 700],
        }
    )
    changes = count_changes(frame, by="force")
    a = changes[changes["force"] == "A"]
    assert a["comparison"].tolist() == ["year_on_year", "year_on_year", "first_to_last"]
    assert a[["from_year", "to_year"]].values.tolist() == [
        ["2021/22", "2022/23"],
        ["2022/23", "2023/24"],
        ["2021/22", "2023/24"],
    ]
    assert a["ratio"].tolist() == [2, 2, 4]
    assert a["change"].iloc[2].startswith("4.0 times as high")
    shares = share_changes(frame, events="count", by="force")
    # B's years in order: 2021/22 5 of 600, 2022/23 5 of 700: ratio (5 / 700) / (5 / 600) = 6 / 7.
    assert shares.loc[shares["force"] == "B", "ratio"].iloc[0] == pytest.approx(6 / 7)
    fits = trends(frame, by="force")
    assert fits["force"].tolist() == ["A", "B"] and fits["first_year"].tolist() == ["2021/22"] * 2
    assert fits.loc[0, "percent_per_year"] == pytest.approx(100.0, abs=1e-6)
    assert fits.loc[1, "change"].startswith("no change detectable")
    national = count_changes(frame.groupby("year", as_index=False)["count"].sum())
    assert len(national) == 3 and "force" not in national


# --- offence mix -----------------------------------------------------------------------------------
def test_leave_one_out_expected_by_hand():
    # Code X: A 10 of 100, B 30 of 100, C 0 of 200. Code Y: A 1 of 50, B 0 of 0, C 4 of 50.
    # A: X at (30 + 0) / (100 + 200) = 0.1 -> 100 * 0.1 = 10; Y at 4 / 50 = 0.08 -> 50 * 0.08 = 4; expected 14.
    # B: X at 10 / 300 -> 100 / 30 = 3.333...; Y: no assigned outcomes -> 0; expected 3.333...
    # C: X at 40 / 200 = 0.2 -> 40; Y at 1 / 50 -> 1; expected 41.
    # Including self: rate X = 40 / 400 = 0.1, Y = 5 / 100 = 0.05: A 10 + 2.5, B 10, C 20 + 2.5.
    frame = pd.DataFrame(
        {
            "force": list("AAB") + ["B", "C", "C"],
            "offence_code": list("XYXYXY"),
            "community_resolutions": [10, 1, 30, 0, 0, 4],
            "assigned_outcomes": [100, 50, 100, 0, 200, 50],
        }
    )
    out = leave_one_out_expected(frame)
    assert out["force"].tolist() == ["A", "B", "C"]
    assert out["expected"].to_numpy() == pytest.approx([14, 10 / 3, 41])
    assert out["expected_including_self"].to_numpy() == pytest.approx([12.5, 10, 22.5])
    assert out["community_resolutions"].tolist() == [11, 30, 4]


def test_leave_one_out_code_only_one_force_has():
    frame = pd.DataFrame(
        {
            "force": ["A", "B"],
            "offence_code": ["X", "Y"],
            "community_resolutions": [2, 1],
            "assigned_outcomes": [10, 10],
        }
    )
    out = leave_one_out_expected(frame)
    # Nobody else has the code: its own rate is the only one (2 / 10 * 10 = 2), and it is counted.
    assert out["expected"].tolist() == [2, 1] and out["codes_without_others"].tolist() == [1, 1]


def test_leave_one_out_bad_input():
    frame = pd.DataFrame(
        {
            "force": ["A", "B"],
            "offence_code": ["X", "X"],
            "community_resolutions": [2, 11],
            "assigned_outcomes": [10, 10],
        }
    )
    with pytest.raises(FunnelInputError, match="row 2, column 'community_resolutions'"):
        leave_one_out_expected(frame)
