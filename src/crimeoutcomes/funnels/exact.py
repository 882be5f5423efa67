"""Exact control limits and tail probabilities for a count against its null distribution.

The limits drawn on a funnel are Spiegelhalter's interpolated quantiles (Spiegelhalter 2005,
Statistics in Medicine 24:1185, appendix A.1.1): with r the p-quantile of the count and
alpha = (F(r) - p) / (F(r) - F(r - 1)), the limit is (r - alpha) / size, a smooth curve through the
steps of a discrete distribution. They are for drawing. Whether a unit is flagged is decided by the
exact one-sided tail probabilities instead, P(Y >= y) and P(Y <= y): the interpolated line can lie
up to one count inside the exact step, and a rule "above the line" flags more often than nominal
(at n = 5 and a share of 0.5%, one event is above the 99.8% line although P(Y >= 1) = 0.025).
"""

from __future__ import annotations

import numpy as np

from crimeoutcomes.funnels.families import Family


def interpolated_limit(family: Family, size, target: float, p: float) -> np.ndarray:
    """The p-th control limit (as a proportion or ratio) at each size, clipped to the possible range."""
    dist = family.distribution(size, target)
    size = np.asarray(size, dtype=float)
    r = dist.ppf(p)
    upper, lower = dist.cdf(r), dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(upper > lower, (upper - p) / (upper - lower), 0.0)
        # Without the clip, r = 0 gives a negative limit (the 95% upper line at n <= 4).
        limit = family.clip_value((r - alpha) / size)
    # A share of 1 leaves one possible count, n: the interpolation would reach below it (0.9975 at
    # n = 10), but every limit is 1. (A target of 0 interpolates below 0, and the clip gives 0.)
    if family.kind == "proportion" and target >= 1:
        return np.ones_like(limit)
    return limit


def tail_probabilities(family: Family, count, size, target: float) -> tuple[np.ndarray, np.ndarray]:
    """(P(Y >= y), P(Y <= y)) for Y from the null distribution at each unit's size."""
    dist = family.distribution(size, target)
    count = np.asarray(count, dtype=float)
    return dist.sf(count - 1), dist.cdf(count)


def attained_flag_rates(family: Family, size, target: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The exact chance, under the null, that each unit is flagged high (P(Y >= y) < alpha) and low
    (P(Y <= y) < alpha). Never above alpha; well below it when the count is small (discreteness)."""
    dist = family.distribution(size, target)
    # Smallest y with P(Y >= y) < alpha is one above the smallest r with F(r) > 1 - alpha.
    r = dist.ppf(1 - alpha)
    r = np.where(dist.cdf(r) > 1 - alpha, r, r + 1)
    high = dist.sf(r)
    # Largest y with P(Y <= y) < alpha is one below the smallest r with F(r) >= alpha.
    k = dist.ppf(alpha)
    low = np.where(k >= 1, dist.cdf(k - 1), 0.0)
    low = np.where(low < alpha, low, 0.0)
    high = np.where(high < alpha, high, 0.0)
    return high, low


def flag(p_high, p_low, alpha: float) -> np.ndarray:
    """'high', 'low' or '' for each unit: one-sided exact test at ``alpha`` on each side."""
    p_high, p_low = np.asarray(p_high), np.asarray(p_low)
    return np.where(p_high < alpha, "high", np.where(p_low < alpha, "low", "")).astype(object)


def holm(p) -> np.ndarray:
    """Holm's step-down adjustment (Holm 1979), controlling the family-wise error rate."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted
