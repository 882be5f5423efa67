"""A unit's count as random-effects models predict it: the mixture of binomials (Poissons) over
each model's spread, the fit's own uncertainty and the models' Akaike weights; its mid-p tails (the
adjusted p-values and flags), its interpolated quantiles (the adjusted limits), the leave-one-out fits.

Mid-p, P(Y > y) + P(Y = y) / 2 (Lancaster 1961; Agresti 2013, 1.4.5): the exact tail of a count is
conservative at small n or where a model puts mass at a share of 0 (the arcsine-normal clips there):
City of London reached half the nominal rate, and under an arcsine truth no force could be low at
95%. The mid-p's rate is near nominal on average. The limits stay the interpolated quantiles: a
mid-p flag lies within half a count of them. See ``random_effects`` for the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import bdtr, pdtr

from crimeoutcomes.config import MAX_EXACT_COUNT
from crimeoutcomes.funnels.families import Family
from crimeoutcomes.funnels.random_effects import Fit, Nodes, fit_models, fittable, model_weights, with_uncertainty


def _count_cdf(family: Family, r, size, values) -> np.ndarray:
    """P(Y <= r | true value) for each unit (rows) and node (columns); 0 below 0, 1 at or above n."""
    r = np.asarray(r, dtype=float)[:, None]
    size = np.asarray(size, dtype=float)[:, None]
    values = np.asarray(values, dtype=float)[None, :]
    safe = np.maximum(r, 0.0)
    if family.kind == "proportion":
        # Whole numbers as integers: scipy deprecates a float n (and warns at every call).
        whole = size.astype(np.int64)
        cdf = bdtr(np.minimum(safe, size).astype(np.int64), whole, values)
        cdf = np.where(safe >= size, 1.0, cdf)
    else:
        cdf = np.where(size * values > 0, pdtr(safe, size * values), 1.0)
    return np.where(r < 0, 0.0, cdf)


@dataclass(frozen=True)
class Predictive:
    """A new unit's true value: the fits' grids side by side, weights times the models' (sum 1)."""

    values: np.ndarray
    weight: np.ndarray


Judge = Fit | Sequence[Fit] | Predictive


def predictive_of(judge: Judge, size, weights=None) -> Predictive:
    """One fit's predictive, or several averaged by ``weights`` (default their own Akaike weights)."""
    if isinstance(judge, Predictive):
        return judge
    fits = [judge] if isinstance(judge, Fit) else list(judge)
    share = np.ones(1) if len(fits) == 1 else model_weights(fits) if weights is None else np.asarray(weights)
    grids = [fit.for_prediction(size) for fit in fits]
    weight = [w * grid.nodes.weight for w, grid in zip(share, grids, strict=True)]
    return Predictive(np.concatenate([grid.values() for grid in grids]), np.concatenate(weight))


def mixture_cdf(judge: Judge, family: Family, r, size) -> np.ndarray:
    """P(Y <= r) for each unit under the model (its spread integrated over)."""
    predictive = predictive_of(judge, size)
    return _count_cdf(family, r, size, predictive.values) @ predictive.weight


def _mid_cdf(predictive: Predictive, family: Family, r, size) -> np.ndarray:
    """P(Y < r) + P(Y = r) / 2: the mid-p's distribution function."""
    r = np.asarray(r, dtype=float)
    return 0.5 * (mixture_cdf(predictive, family, r, size) + mixture_cdf(predictive, family, r - 1, size))


def predictive_tails(judge: Judge, family: Family, count, size):
    """(high, low) mid-p of each unit's count: P(Y > y) + P(Y = y) / 2, P(Y < y) + P(Y = y) / 2."""
    count = np.asarray(count, dtype=float)
    mid = np.clip(_mid_cdf(predictive_of(judge, size), family, count, size), 0.0, 1.0)
    return 1 - mid, mid


def _ceiling(predictive: Predictive, family: Family, size) -> np.ndarray:
    """A count no unit can exceed with any real chance: n, or far beyond the largest Poisson mean."""
    size = np.asarray(size, dtype=float)
    if family.kind == "proportion":
        return size.copy()
    mean = size * float(np.max(predictive.values))
    # Capped: a log-normal's far tail overflows to inf, and bisection towards inf never ends.
    return np.minimum(np.ceil(mean + 40 * np.sqrt(mean) + 40), float(MAX_EXACT_COUNT))


def smallest_count(judge, family: Family, size, probability: float, strict: bool = False, mid: bool = False):
    """For each size, the smallest r with P(Y <= r) >= probability (> when ``strict``; the mid-p's
    distribution function when ``mid``): bisection over whole counts, all sizes at once."""
    size = np.atleast_1d(np.asarray(size, dtype=float))
    predictive = predictive_of(judge, size)
    cdf_of = _mid_cdf if mid else mixture_cdf
    low, high = np.full(len(size), -1.0), _ceiling(predictive, family, size)
    while np.any(high - low > 1):
        middle = np.floor((low + high) / 2)
        cdf = cdf_of(predictive, family, middle, size)
        enough = cdf > probability if strict else cdf >= probability
        high, low = np.where(enough, middle, high), np.where(enough, low, middle)
    return high


def predictive_limit(judge: Judge, family: Family, size, probability: float) -> np.ndarray:
    """The ``probability`` quantile of the predictive count over size, interpolated between whole
    counts as the exact limits are (Spiegelhalter 2005, appendix A.1.1), in the possible range."""
    size = np.atleast_1d(np.asarray(size, dtype=float))
    predictive = predictive_of(judge, size)
    r = smallest_count(predictive, family, size, probability)
    at, below = mixture_cdf(predictive, family, r, size), mixture_cdf(predictive, family, r - 1, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(at > below, (at - probability) / (at - below), 0.0)
    return family.clip_value((r - alpha) / size)


def flag_counts(judge: Judge, family: Family, size, alpha: float):
    """(smallest count flagged high, largest flagged low; -1: none) at one-sided ``alpha`` by the
    mid-p: G(y) = P(Y < y) + P(Y = y) / 2 rises with y; high iff 1 - G(y) < alpha, low iff G(y) < alpha."""
    predictive = predictive_of(judge, size)
    high = smallest_count(predictive, family, size, 1 - alpha, strict=True, mid=True)
    low = smallest_count(predictive, family, size, alpha, mid=True) - 1
    return high, low


def others_target(family: Family, count, size, keep, target: float | None) -> float:
    """The benchmark of the units in ``keep``: theirs pooled, unless one is given (or O/E: 1)."""
    return family.pooled_target(count[keep], size[keep]) if target is None else float(target)


def uncertain_fits(family: Family, count, size, target: float, estimated: bool, nodes: Nodes, names=None) -> list:
    """The family's models (or those named), means at ``target`` (``estimated``: the units' pooled
    share), each with its fitting uncertainty."""
    fits = fit_models(family, count, size, target, nodes, names)
    return [with_uncertainty(fit, family, count, size, target, estimated) for fit in fits]


def leave_one_out_fits(family: Family, count, size, target: float | None, nodes: Nodes, names=None) -> list:
    """For each unit, ``uncertain_fits`` to the other units at their benchmark (None where no model
    exists, e.g. the others have no events at all)."""
    count, size = np.asarray(count, dtype=float), np.asarray(size, dtype=float)
    estimated = target is None and family.kind == "proportion"
    fits: list[list[Fit] | None] = []
    for unit in range(len(count)):
        keep = np.arange(len(count)) != unit
        benchmark = others_target(family, count, size, keep, target)
        if not fittable(family, benchmark):
            fits.append(None)
            continue
        fits.append(uncertain_fits(family, count[keep], size[keep], benchmark, estimated, nodes, names))
    return fits
