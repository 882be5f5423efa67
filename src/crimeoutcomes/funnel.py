"""Funnel plots for comparing forces (Spiegelhalter 2005, Statistics in Medicine 24:1185-1202).

Control limits are exact: the binomial (proportions) or Poisson (observed/expected ratios)
quantile, interpolated between whole numbers as in Spiegelhalter's appendix, because the counts
here are often single digits and a normal approximation would put limits below zero.

Over-dispersion (forces differing by more than chance, as institutions do) uses his additive
random-effects method: z-scores winsorised at 10% each tail, phi = mean of squared winsorised
z-scores, and, where I*phi exceeds its 95% chi-squared point on I-1 degrees of freedom,
tau^2 = (I*phi - (I-1)) / (sum w - sum w^2 / sum w) with w = 1/s^2, widening every limit to
target +- z * sqrt(s^2 + tau^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import gammaincinv, ndtri
from scipy.stats import binom, poisson

#: Two-sided limits drawn on every funnel: about 2 and 3 standard deviations.
LEVELS = {"95": 0.95, "99_8": 0.998}
WINSOR_FRACTION = 0.10


def _interpolated_quantile(p: float, quantile, cdf) -> np.ndarray:
    """Spiegelhalter's smoothed quantile of a discrete distribution: r_p - alpha, with r_p the
    p-quantile and alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))."""
    r = quantile(p)
    upper, lower = cdf(r), cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(upper > lower, (upper - p) / (upper - lower), 0.0)
    return r - alpha


def binomial_limits(target: float, n, p: float) -> np.ndarray:
    """The p-th control limit of a proportion with denominator n around ``target``."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _interpolated_quantile(p, lambda q: binom.ppf(q, n, target), lambda r: binom.cdf(r, n, target)) / n


def poisson_limits(expected, p: float) -> np.ndarray:
    """The p-th control limit of an observed/expected ratio with expected count ``expected``."""
    expected = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _interpolated_quantile(p, lambda q: poisson.ppf(q, expected),
                                      lambda r: poisson.cdf(r, expected)) / expected


def winsorise(z, fraction: float = WINSOR_FRACTION) -> np.ndarray:
    """Values beyond the ``fraction`` and 1 - ``fraction`` quantiles (linear interpolation) set to them."""
    z = np.asarray(z, dtype=float)
    low, high = np.quantile(z, [fraction, 1 - fraction])
    return np.clip(z, low, high)


@dataclass(frozen=True)
class Overdispersion:
    units: int  # I, the number of forces compared
    phi: float  # mean squared winsorised z-score; about 1 when differences are chance alone
    tau2: float  # the additive between-force variance (0 when not over-dispersed)
    over_dispersed: bool  # I * phi above the 95% point of chi-squared on I - 1 degrees of freedom

    @property
    def chi2_limit(self) -> float:
        return _chi2_quantile(0.95, self.units - 1)


def _chi2_quantile(p: float, df: int) -> float:
    return float(2 * gammaincinv(df / 2, p))


def overdispersion(z, s) -> Overdispersion:
    """phi and tau^2 from z-scores and the standard errors s that made them."""
    z, s = np.asarray(z, dtype=float), np.asarray(s, dtype=float)
    units = len(z)
    if units < 2:
        return Overdispersion(units, float("nan"), 0.0, False)
    phi = float(np.mean(winsorise(z) ** 2))
    over = units * phi > _chi2_quantile(0.95, units - 1)
    w = 1 / s**2
    tau2 = max(0.0, (units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum())) if over else 0.0
    return Overdispersion(units, phi, tau2, bool(over))


def _add_limits(frame: pl.DataFrame, value: str, target: float, limits, s: np.ndarray,
                dispersion: Overdispersion) -> pl.DataFrame:
    columns = {"target": np.full(frame.height, target)}
    y = frame[value].cast(pl.Float64).to_numpy()
    for name, level in LEVELS.items():
        tail = (1 - level) / 2
        columns[f"lower_{name}"] = limits(tail)
        columns[f"upper_{name}"] = limits(1 - tail)
        spread = ndtri(1 - tail) * np.sqrt(s**2 + dispersion.tau2)
        columns[f"adjusted_lower_{name}"] = target - spread
        columns[f"adjusted_upper_{name}"] = target + spread
    columns["z"] = (y - target) / s
    columns["adjusted_z"] = (y - target) / np.sqrt(s**2 + dispersion.tau2)
    columns["outside_99_8"] = (y < columns["lower_99_8"]) | (y > columns["upper_99_8"])
    columns["outside_adjusted_99_8"] = (y < columns["adjusted_lower_99_8"]) | (y > columns["adjusted_upper_99_8"])
    return frame.with_columns([pl.Series(k, v) for k, v in columns.items()])


def proportion_funnel(frame: pl.DataFrame, numerator: str, denominator: str) -> tuple[pl.DataFrame, Overdispersion]:
    """Each row's proportion against the pooled proportion of all rows, with exact and adjusted limits."""
    k = frame[numerator].cast(pl.Float64).to_numpy()
    n = frame[denominator].cast(pl.Float64).to_numpy()
    target = k.sum() / n.sum()
    s = np.sqrt(target * (1 - target) / n)
    frame = frame.with_columns(proportion=pl.Series(k / n))
    dispersion = overdispersion((k / n - target) / s, s)
    return _add_limits(frame, "proportion", target, lambda p: binomial_limits(target, n, p), s, dispersion), dispersion


def ratio_funnel(frame: pl.DataFrame, observed: str, expected: str) -> tuple[pl.DataFrame, Overdispersion]:
    """Each row's observed/expected ratio against 1, with exact Poisson and adjusted limits."""
    o = frame[observed].cast(pl.Float64).to_numpy()
    e = frame[expected].cast(pl.Float64).to_numpy()
    s = 1 / np.sqrt(e)
    frame = frame.with_columns(ratio=pl.Series(o / e))
    dispersion = overdispersion((o / e - 1) / s, s)
    return _add_limits(frame, "ratio", 1.0, lambda p: poisson_limits(e, p), s, dispersion), dispersion


def limit_curves(target: float, largest: float, dispersion: Overdispersion, kind: str = "proportion",
                 points: int = 200) -> pl.DataFrame:
    """The funnel's limit lines on a grid of denominators (or expected counts), for drawing."""
    grid = np.geomspace(1, max(largest, 2) * 1.05, points)
    # Binomial denominators are whole numbers; expected counts need not be.
    x = np.unique(np.round(grid) if kind == "proportion" else np.round(grid, 2))
    limits = (lambda p: binomial_limits(target, x, p)) if kind == "proportion" else (lambda p: poisson_limits(x, p))
    s = np.sqrt(target * (1 - target) / x) if kind == "proportion" else 1 / np.sqrt(x)
    curves = {"denominator": x, "target": np.full(len(x), target)}
    for name, level in LEVELS.items():
        tail = (1 - level) / 2
        curves[f"lower_{name}"] = limits(tail)
        curves[f"upper_{name}"] = limits(1 - tail)
        if dispersion.over_dispersed:
            spread = ndtri(1 - tail) * np.sqrt(s**2 + dispersion.tau2)
            curves[f"adjusted_lower_{name}"] = target - spread
            curves[f"adjusted_upper_{name}"] = target + spread
    return pl.DataFrame(curves)


def plotted_numbers(points: pl.DataFrame, curves: pl.DataFrame, denominator: str) -> pl.DataFrame:
    """One table of what a funnel plot draws: the forces' points, then the limit lines (force empty)."""
    return pl.concat([points.rename({denominator: "denominator"}).with_columns(pl.col("denominator").cast(pl.Float64)),
                      curves], how="diagonal_relaxed")
