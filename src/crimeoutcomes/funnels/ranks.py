"""Rank intervals: how sure can a reader be of a unit's place in the league table?

Model (Goldstein and Spiegelhalter 1996, JRSS A 159:385; Marshall and Spiegelhalter 1998, BMJ
316:1701): each unit's true value is drawn from the funnel's chosen random-effects model
(``random_effects``: logit-normal or arcsine-normal for shares, log-normal or square-root-normal for
ratios, fitted to all the units with its mean at the benchmark), and its count is binomial (or
Poisson) given it. With the model's parameters fixed at their estimates (empirical Bayes), each
unit's posterior over the model's standard-normal effect u is computed on the model's grid (the
count's exact likelihood times the normal prior, so zero counts need no approximation), ``draws``
joint samples are taken, the units are ranked in each (1 = highest; the true value rises with u, so
ranking u ranks the values), and the 2.5% and 97.5% points of each unit's ranks form its 95%
interval.

Plugging in the parameters ignores their own uncertainty; the tests show coverage of the true rank
still at or above 95% at these forces' sizes. When the over-dispersion test does not reject, the
units cannot be told apart: every interval is the whole table (``rank_intervals`` with no fit).
"""

from __future__ import annotations

import numpy as np

from crimeoutcomes.config import RANK_DRAWS as _DRAWS
from crimeoutcomes.funnels.families import Family
from crimeoutcomes.funnels.random_effects import Fit, log_likelihood_matrix

RANK_DRAWS = _DRAWS  # see reference/assumptions.csv


def posterior_draws(
    fit: Fit, family: Family, count, size, rng: np.random.Generator, draws: int = RANK_DRAWS
) -> np.ndarray:
    """``draws`` x units samples of each unit's standard-normal effect u under ``fit``."""
    count, size = np.asarray(count, dtype=float), np.asarray(size, dtype=float)
    log_post = log_likelihood_matrix(family, count, size, fit.values()) + fit.nodes.log_weight
    weight = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    # Each node holds the mass of the cell around it: the CDF reaches its midpoint at the node
    # (cumulative sums alone would shift every draw half a cell up).
    total = weight.sum(axis=1, keepdims=True)
    cdf = (np.cumsum(weight, axis=1) - weight / 2) / total
    uniforms = rng.random((draws, len(count)))
    samples = np.empty_like(uniforms)
    for unit in range(len(count)):
        # Inverse CDF with linear interpolation inside a cell, so draws do not tie.
        samples[:, unit] = np.interp(uniforms[:, unit], cdf[unit], fit.nodes.u)
    return samples


def ranks_high_first(values: np.ndarray) -> np.ndarray:
    """Rank 1 = highest, along the last axis (ties in a draw are vanishingly rare)."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[-1] + 1), axis=-1)
    return ranks


def rank_intervals(
    fit: Fit | None,
    family: Family,
    count,
    size,
    rng: np.random.Generator,
    draws: int = RANK_DRAWS,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) rank of each unit's ``level`` interval; the whole table without a fit (the
    units not shown to differ) or with fewer than 2 units."""
    units = len(np.asarray(count))
    if units < 2 or fit is None:
        return np.ones(units, dtype=int), np.full(units, units, dtype=int)
    ranks = ranks_high_first(posterior_draws(fit, family, count, size, rng, draws))
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
