"""Rank intervals: how sure can a reader be of a unit's place in the league table?

Model (Goldstein and Spiegelhalter 1996, JRSS A 159:385; Marshall and Spiegelhalter 1998, BMJ
316:1701): on the variance-stabilising scale each unit's true value theta_i is drawn from
N(target, tau^2), and its count is binomial (or Poisson) given theta_i. With the target and tau^2
fixed at their estimates (empirical Bayes), each unit's posterior is computed exactly on a fine grid
(the count's exact likelihood times the normal prior, so zero counts need no approximation),
``draws`` joint samples are taken, the units are ranked in each (1 = highest), and the 2.5% and
97.5% points of each unit's ranks form its 95% interval.

Plugging in tau^2 ignores its own uncertainty; the tests show coverage of the true rank still at or
above 95% at these forces' sizes. When tau^2 is 0 the model says the units do not differ, and every
interval is the whole table.
"""

from __future__ import annotations

import numpy as np

from crimeoutcomes.config import RANK_DRAWS as _DRAWS
from crimeoutcomes.stats.families import Family

GRID_POINTS = 801
RANK_DRAWS = _DRAWS  # see reference/assumptions.csv
_HALF_WIDTH_SD = 12  # the grid spans the normal approximation's mean +- 12 posterior sd


def posterior_draws(
    family: Family, count, size, target: float, tau2: float, rng: np.random.Generator, draws: int = RANK_DRAWS
) -> np.ndarray:
    """``draws`` x units samples of each unit's true value on the stabilised scale."""
    count, size = np.asarray(count, dtype=float), np.asarray(size, dtype=float)
    prior_mean = float(family.to_theta(target))
    se2 = family.theta_se(size) ** 2
    # The normal approximation only places the grid; the weights on it are exact.
    precision = 1 / se2 + 1 / tau2
    centre = (family.to_theta(family.value(count, size)) / se2 + prior_mean / tau2) / precision
    half = _HALF_WIDTH_SD / np.sqrt(precision)
    low = np.maximum(centre - half, 0.0)
    high = np.minimum(centre + half, family.theta_max)
    steps = np.linspace(0.0, 1.0, GRID_POINTS)
    grid = low[:, None] + (high - low)[:, None] * steps[None, :]
    log_post = family.log_likelihood(count[:, None], size[:, None], grid) - 0.5 * (grid - prior_mean) ** 2 / tau2
    weight = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    cdf = np.cumsum(weight, axis=1)
    cdf /= cdf[:, -1:]
    uniforms = rng.random((draws, len(count)))
    samples = np.empty_like(uniforms)
    for unit in range(len(count)):
        # Inverse CDF with linear interpolation inside a cell, so draws do not tie.
        samples[:, unit] = np.interp(uniforms[:, unit], cdf[unit], grid[unit])
    return samples


def ranks_high_first(values: np.ndarray) -> np.ndarray:
    """Rank 1 = highest, along the last axis (ties in a draw are vanishingly rare)."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[-1] + 1), axis=-1)
    return ranks


def rank_intervals(
    family: Family,
    count,
    size,
    target: float,
    tau2: float,
    rng: np.random.Generator,
    draws: int = RANK_DRAWS,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) rank of each unit's ``level`` interval; whole table when tau2 is 0."""
    units = len(np.asarray(count))
    if units < 2 or not tau2 > 0:
        return np.ones(units, dtype=int), np.full(units, units, dtype=int)
    ranks = ranks_high_first(posterior_draws(family, count, size, target, tau2, rng, draws))
    tail = (1 - level) / 2
    # 'lower'/'higher' keep the interval's ends on ranks that occurred, erring wider.
    return (
        np.quantile(ranks, tail, axis=0, method="lower").astype(int),
        np.quantile(ranks, 1 - tail, axis=0, method="higher").astype(int),
    )


def observed_ranks(values) -> np.ndarray:
    """Each unit's place by its observed value, 1 = highest; tied units share the best place."""
    values = np.asarray(values, dtype=float)
    return np.array([1 + np.sum(values > v) for v in values], dtype=int)
