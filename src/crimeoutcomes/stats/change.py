"""Change with 95% intervals: rate ratios of counts, ratios of shares, and log-linear trends.

* Counts (``rate_ratio``): the exact conditional interval. Given a + b events in two periods of
  equal length, b is binomial with p = RR / (1 + RR); the Clopper-Pearson interval for p, mapped
  through p / (1 - p), is an exact interval for the rate ratio (Armitage, Berry and Matthews 2002,
  section 5.3; Ulm 1990). A zero in one period still gives a one-sided bound.
* Shares (``share_ratio``): Koopman's (1984) score interval for the ratio of two binomial
  proportions, recommended by Fagerland, Lydersen and Laake (2015, Statistical Methods in Medical
  Research 24:224) over Katz's log method, which has no answer at zero events and is too narrow
  when events are few (a few community resolutions against thousands of outcomes).
* Trend (``trend``): log-linear Poisson regression of counts on year, its slope reported as the
  percent change per year. If Pearson's X^2 / (T - 2) exceeds 1 the standard error is scaled by its
  square root and the interval uses t on T - 2 degrees of freedom (quasi-Poisson; McCullagh and
  Nelder 1989, section 6.2); otherwise Poisson with the normal quantile. Quasi-Poisson rather than
  negative binomial because with a handful of years a second parameter cannot be estimated well
  and the quasi-likelihood scaling needs no distributional assumption beyond the variance.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy.optimize import brentq

LEVEL = 0.95


# --- ratio of two counts ---------------------------------------------------------------------------
def rate_ratio(before, after, exposure_before=1.0, exposure_after=1.0, level: float = LEVEL):
    """(ratio, low, high) of after/before rates with the exact conditional interval; arrays broadcast.
    Both zero gives NaN; before zero gives an infinite ratio with a finite lower bound."""
    from scipy.stats import beta  # here: scipy.stats takes half a second to import

    a, b = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    scale = np.asarray(exposure_before, dtype=float) / np.asarray(exposure_after, dtype=float)
    total = a + b
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        p_low = np.where(b > 0, beta.ppf(tail, b, a + 1), 0.0)
        p_high = np.where(a > 0, beta.ppf(1 - tail, b + 1, a), 1.0)
        ratio = np.where(total > 0, b / a * scale, np.nan)
        low = np.where(total > 0, p_low / (1 - p_low) * scale, np.nan)
        high = np.where(total > 0, np.where(p_high < 1, p_high / (1 - p_high) * scale, np.inf), np.nan)
    return ratio, low, high


# --- ratio of two shares ---------------------------------------------------------------------------
def _koopman_z(theta: float, x1: float, n1: float, x2: float, n2: float) -> float:
    """Score statistic for H0: p2 = theta p1, with the restricted maximum likelihood estimate of p1
    (the root of theta N p^2 - (n1 + x2 + theta (n2 + x1)) p + x1 + x2 = 0; Koopman 1984)."""
    a = theta * (n1 + n2)
    b = -(n1 + x2 + theta * (n2 + x1))
    c = x1 + x2
    # The smaller root, in the form that does not cancel when a is huge or tiny.
    p1 = 2 * c / (-b + np.sqrt(max(b * b - 4 * a * c, 0.0)))
    p2 = theta * p1
    variance = p2 * (1 - p2) / n2 + theta**2 * p1 * (1 - p1) / n1
    difference = x2 / n2 - theta * x1 / n1
    if variance <= 0:
        return np.inf if difference > 0 else -np.inf if difference < 0 else 0.0
    return difference / np.sqrt(variance)


def _one_share_ratio(x1, n1, x2, n2, level):
    if n1 <= 0 or n2 <= 0 or (x1 == 0 and x2 == 0):
        return np.nan, np.nan, np.nan
    from scipy.stats import chi2

    critical = np.sqrt(chi2.ppf(level, 1))
    estimate = (x2 / n2) / (x1 / n1) if x1 > 0 else np.inf

    # z(theta) falls as theta rises; each bound solves z = +-critical on the log scale.
    def bound(target):
        return np.exp(brentq(lambda u: _koopman_z(np.exp(u), x1, n1, x2, n2) - target, -25.0, 25.0, xtol=1e-12))

    low = 0.0 if x2 == 0 else bound(critical)
    high = np.inf if x1 == 0 else bound(-critical)
    return estimate, low, high


def share_ratio(events_before, n_before, events_after, n_after, level: float = LEVEL):
    """(ratio, low, high) of share after / share before, Koopman score interval; arrays broadcast."""
    arrays = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (events_before, n_before, events_after, n_after))
    )
    x1, n1, x2, n2 = (x.ravel() for x in arrays)
    results = [_one_share_ratio(*values, level) for values in zip(x1, n1, x2, n2)]
    shape = arrays[0].shape
    return tuple(np.array([r[i] for r in results], dtype=float).reshape(shape) for i in range(3))


# --- trend -----------------------------------------------------------------------------------------
def trend(years, counts, exposure=None, level: float = LEVEL) -> dict:
    """Log-linear (quasi-)Poisson trend: percent change per year with its interval."""
    t = np.asarray(years, dtype=float)
    y = np.asarray(counts, dtype=float)
    offset = np.zeros_like(y) if exposure is None else np.log(np.asarray(exposure, dtype=float))
    result = {
        "years": len(y),
        "percent_per_year": np.nan,
        "percent_low": np.nan,
        "percent_high": np.nan,
        "dispersion": np.nan,
        "model": "",
    }
    # With events in one year only (or none) the maximum likelihood slope is infinite.
    if len(y) < 2 or np.count_nonzero(y) < 2 or np.ptp(t) == 0:
        return result
    x = np.column_stack([np.ones_like(t), t - t.mean()])
    coef = np.array([np.log(y.sum() / np.exp(offset).sum()), 0.0])
    for _ in range(100):  # iteratively reweighted least squares
        mu = np.exp(offset + x @ coef)
        step = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (y - mu))
        coef = coef + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        return result
    if abs(coef[1]) > 5:  # counts in only one year, or none after the first: no finite estimate
        return result
    mu = np.exp(offset + x @ coef)
    covariance = np.linalg.inv(x.T @ (mu[:, None] * x))
    residual_df = len(y) - 2
    dispersion = float(np.sum((y - mu) ** 2 / mu) / residual_df) if residual_df > 0 else np.nan
    quasi = residual_df > 0 and dispersion > 1
    se = np.sqrt(covariance[1, 1] * (dispersion if quasi else 1.0))
    from scipy.stats import norm
    from scipy.stats import t as student_t

    tail = (1 - level) / 2
    critical = student_t.ppf(1 - tail, residual_df) if quasi else norm.ppf(1 - tail)
    result.update(
        percent_per_year=100 * np.expm1(coef[1]),
        percent_low=100 * np.expm1(coef[1] - critical * se),
        percent_high=100 * np.expm1(coef[1] + critical * se),
        dispersion=dispersion,
        model="quasi-poisson" if quasi else "poisson",
    )
    return result


# --- words -----------------------------------------------------------------------------------------
def _percent(ratio: float, digits: int) -> str:
    # Half away from zero, as a reader rounds (format() rounds 12.5 to even: "12%").
    scaled = abs(ratio - 1) * 100 * 10**digits
    return f"{math.floor(scaled + 0.5 + 1e-9) / 10**digits:.{digits}f}%"


def _signed(ratio: float, digits: int) -> str:
    if round(abs(ratio - 1) * 100, digits) == 0:
        return f"{0:.{digits}f}%"
    return f"{'up' if ratio > 1 else 'down'} {_percent(ratio, digits)}"


def describe_change(ratio: float, low: float, high: float, per: str = "") -> str:
    """A sentence fragment for a ratio with its 95% interval, e.g. "up 47% (95% CI 38% to 56%)".

    Rules: a direction is stated only when the interval excludes no change (a ratio of 1);
    otherwise "no change detectable" with the estimate and interval, so a reader sees how large a
    change the data cannot rule out. Ratios of 2 or more are said as multiples ("2.5 times as
    high"), which reads better than "up 150%". Whole percentages, or one decimal when the
    estimated change is under 10%. ``per`` (e.g. " a year") follows the estimate of a trend.
    """
    if np.isnan(ratio):
        return "no events in either period"
    digits = 0 if abs(ratio - 1) >= 0.0995 else 1
    if np.isinf(ratio):
        bound = f"95% CI lower bound {_signed(low, 0)}"
        return f"up from none ({bound})" if low > 1 else f"no change detectable (up from none; {bound})"
    if low > 1:
        if ratio >= 2 and not per:
            upper = f"{high:.1f}" if np.isfinite(high) else "no upper bound"
            return f"{ratio:.1f} times as high (95% CI {low:.1f} to {upper} times)"
        upper = _percent(high, digits) if np.isfinite(high) else "no upper bound"
        return f"up {_percent(ratio, digits)}{per} (95% CI {_percent(low, digits)} to {upper})"
    estimate = "down to none" if ratio == 0 else None
    if high < 1:
        estimate = estimate or f"down {_percent(ratio, digits)}{per}"
        return f"{estimate} (95% CI {_percent(high, digits)} to {_percent(low, digits)})"
    upper = _signed(high, digits) if np.isfinite(high) else "no upper bound"
    estimate = estimate or f"{_signed(ratio, digits)}{per}"
    return f"no change detectable ({estimate}, 95% CI {_signed(low, digits)} to {upper})"


# --- pandas ----------------------------------------------------------------------------------------
def year_number(year) -> float:
    """2023, '2023', '2023/24' and '2023-24' all give 2023 (the year a financial year starts)."""
    if isinstance(year, (int, float, np.integer, np.floating)):
        return float(year)
    match = re.match(r"\s*(\d{4})", str(year))
    if not match:
        raise ValueError(f"cannot read a year from {year!r}")
    return float(match.group(1))


def _groups(frame: pd.DataFrame, by):
    by = [by] if isinstance(by, str) else list(by or [])
    if not by:
        yield {}, frame
        return
    for key, part in frame.groupby(by, sort=True):
        yield dict(zip(by, key if isinstance(key, tuple) else (key,))), part


def _ordered(part: pd.DataFrame, year: str) -> pd.DataFrame:
    return part.assign(_t=part[year].map(year_number)).sort_values("_t", kind="stable")


def _pairs(part: pd.DataFrame):
    """(comparison, earlier row, later row): each year against the one before, then first to last."""
    rows = [row for _, row in part.iterrows()]
    for earlier, later in zip(rows, rows[1:]):
        yield "year_on_year", earlier, later
    if len(rows) > 2:
        yield "first_to_last", rows[0], rows[-1]


def count_changes(frame: pd.DataFrame, count: str = "count", year: str = "year", by=None) -> pd.DataFrame:
    """Year-on-year and first-to-last rate ratios of counts (one row per year per group), each with
    its exact 95% interval and a sentence fragment. Years are assumed of equal length."""
    rows = []
    for keys, part in _groups(frame, by):
        for comparison, earlier, later in _pairs(_ordered(part, year)):
            ratio, low, high = (float(v) for v in rate_ratio(earlier[count], later[count]))
            rows.append(
                {
                    **keys,
                    "comparison": comparison,
                    "from_year": earlier[year],
                    "to_year": later[year],
                    "from_count": earlier[count],
                    "to_count": later[count],
                    "ratio": ratio,
                    "ratio_low": low,
                    "ratio_high": high,
                    "change": describe_change(ratio, low, high),
                }
            )
    return pd.DataFrame(rows)


def share_changes(
    frame: pd.DataFrame, events: str = "events", n: str = "n", year: str = "year", by=None
) -> pd.DataFrame:
    """Year-on-year and first-to-last ratios of shares events / n, with Koopman 95% intervals."""
    rows = []
    for keys, part in _groups(frame, by):
        for comparison, earlier, later in _pairs(_ordered(part, year)):
            ratio, low, high = (float(v[()]) for v in share_ratio(earlier[events], earlier[n], later[events], later[n]))
            rows.append(
                {
                    **keys,
                    "comparison": comparison,
                    "from_year": earlier[year],
                    "to_year": later[year],
                    "from_share": earlier[events] / earlier[n] if earlier[n] else np.nan,
                    "to_share": later[events] / later[n] if later[n] else np.nan,
                    "ratio": ratio,
                    "ratio_low": low,
                    "ratio_high": high,
                    "change": describe_change(ratio, low, high),
                }
            )
    return pd.DataFrame(rows)


def trends(
    frame: pd.DataFrame, count: str = "count", year: str = "year", by=None, exposure: str | None = None
) -> pd.DataFrame:
    """One log-linear trend per group: percent change per year with its 95% interval."""
    rows = []
    for keys, part in _groups(frame, by):
        part = _ordered(part, year)
        fit = trend(part["_t"], part[count], None if exposure is None else part[exposure])
        text = (
            "too few events to estimate a trend"
            if not np.isfinite(fit["percent_per_year"])
            else describe_change(
                1 + fit["percent_per_year"] / 100,
                1 + fit["percent_low"] / 100,
                1 + fit["percent_high"] / 100,
                per=" a year",
            )
        )
        rows.append({**keys, "first_year": part[year].iloc[0], "last_year": part[year].iloc[-1], **fit, "change": text})
    return pd.DataFrame(rows)
