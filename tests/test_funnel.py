"""Funnel limits and over-dispersion against worked examples and scipy's quantiles."""

import math
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from scipy.stats import binom, chi2, poisson

from crimeoutcomes import funnel


def binomial_cdf(r: int, n: int, p: Fraction) -> Fraction:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(r + 1))


def smoothed_limit(q: Fraction, cdf, r: int) -> float:
    """(r - alpha) with alpha = (F(r) - q) / (F(r) - F(r - 1)), exactly."""
    return float(r - (cdf(r) - q) / (cdf(r) - cdf(r - 1)))


def test_binomial_limits_match_a_worked_example():
    # n = 10, target 1/2: F(7) = 968/1024, F(8) = 1013/1024, so the 97.5% limit is (8 - 14.6/45) / 10;
    # F(1) = 11/1024, F(2) = 56/1024, so the 2.5% limit is (2 - 30.4/45) / 10.
    assert funnel.binomial_limits(0.5, 10, 0.975) == pytest.approx((8 - 14.6 / 45) / 10)
    assert funnel.binomial_limits(0.5, 10, 0.025) == pytest.approx((2 - 30.4 / 45) / 10)
    half = Fraction(1, 2)
    assert funnel.binomial_limits(0.5, 10, 0.975) == pytest.approx(
        smoothed_limit(Fraction(975, 1000), lambda r: binomial_cdf(r, 10, half), 8) / 10)


@pytest.mark.parametrize("target", [0.004, 0.05, 0.3])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_binomial_limits_lie_just_below_scipys_quantile(target, p):
    n = np.array([5, 12, 57, 300, 2_000, 31_000])
    limits = funnel.binomial_limits(target, n, p) * n
    quantiles = binom.ppf(p, n, target)
    assert np.all(limits <= quantiles + 1e-9) and np.all(limits > quantiles - 1 - 1e-9)


def test_poisson_limits_match_a_worked_example_and_scipy():
    expected = 4.0

    def cdf(r):
        return sum(math.exp(-expected) * expected**i / math.factorial(i) for i in range(r + 1))

    r = 8  # F(7) = 0.9489 < 0.975 <= F(8) = 0.9786
    alpha = (cdf(r) - 0.975) / (cdf(r) - cdf(r - 1))
    assert funnel.poisson_limits(expected, 0.975) == pytest.approx((r - alpha) / expected)
    e = np.array([0.5, 3.3, 40.0, 700.0])
    for p in (0.001, 0.999):
        limits = funnel.poisson_limits(e, p) * e
        assert np.all(limits <= poisson.ppf(p, e) + 1e-9) and np.all(limits > poisson.ppf(p, e) - 1 - 1e-9)


def test_overdispersion_by_hand():
    z = [-3, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 6]
    # 10th and 90th percentiles (linear): -3 + 0.9 * 2 = -1.2 and 2.5 + 0.1 * 3.5 = 2.85.
    assert funnel.winsorise(z).tolist() == pytest.approx([-1.2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 2.85])
    squares = [1.44, 1, 0.25, 0, 0.25, 1, 2.25, 4, 6.25, 8.1225]
    phi = sum(squares) / 10  # 2.45625
    result = funnel.overdispersion(z, [0.1] * 10)
    assert result.phi == pytest.approx(phi)
    assert result.over_dispersed and 10 * phi > chi2.ppf(0.95, 9)
    # w = 100 each: tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w) = 15.5625 / (1000 - 100).
    assert result.tau2 == pytest.approx((10 * phi - 9) / 900)


def test_no_adjustment_without_overdispersion():
    result = funnel.overdispersion([-1, -0.5, 0, 0.3, 0.8, 1.1], [0.2] * 6)
    assert not result.over_dispersed and result.tau2 == 0


def test_proportion_funnel_flags_what_lies_outside():
    frame = pl.DataFrame({"force": ["A", "B", "C", "D"], "k": [10, 12, 60, 1], "n": [1000, 1100, 1200, 900]})
    points, dispersion = funnel.proportion_funnel(frame, "k", "n")
    target = 83 / 4200
    assert points["target"][0] == pytest.approx(target)
    assert points["z"][2] == pytest.approx((60 / 1200 - target) / math.sqrt(target * (1 - target) / 1200))
    assert points["outside_99_8"].to_list() == [
        not (lo <= k / n <= hi) for k, n, lo, hi in
        zip(frame["k"], frame["n"], points["lower_99_8"], points["upper_99_8"])]
    assert points.filter(pl.col("outside_99_8"))["force"].to_list() == ["C", "D"]
    assert dispersion.units == 4
