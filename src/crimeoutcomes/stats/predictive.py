"""A unit's count as a random-effects model predicts it: the mixture of binomials (or Poissons)
over the model's spread of true values; its tails (the p-values of the adjusted flags) and its
interpolated quantiles (the adjusted limits), and the leave-one-out fits they come from.

See ``random_effects`` for the models and why each unit is judged against the others' fit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.special import bdtr, pdtr

from crimeoutcomes.config import MAX_EXACT_COUNT
from crimeoutcomes.stats.families import Family
from crimeoutcomes.stats.random_effects import Fit, Nodes, Shape, fit_to_mean, fittable


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


def mixture_cdf(fit: Fit, family: Family, r, size) -> np.ndarray:
    """P(Y <= r) for each unit under the model (its spread integrated over)."""
    return _count_cdf(family, r, size, fit.values()) @ fit.nodes.weight


def predictive_tails(fit: Fit, family: Family, count, size) -> tuple[np.ndarray, np.ndarray]:
    """(P(Y >= y), P(Y <= y)) for each unit's count under the model's predictive distribution."""
    count = np.asarray(count, dtype=float)
    fit = fit.for_prediction(size)
    upper = np.clip(1 - mixture_cdf(fit, family, count - 1, size), 0.0, 1.0)
    return upper, np.clip(mixture_cdf(fit, family, count, size), 0.0, 1.0)


def _ceiling(fit: Fit, family: Family, size) -> np.ndarray:
    """A count no unit can exceed with any real chance: n, or far beyond the largest Poisson mean."""
    size = np.asarray(size, dtype=float)
    if family.kind == "proportion":
        return size.copy()
    mean = size * float(np.max(fit.values()))
    # Capped: a log-normal's far tail (t's, +-40 sd) overflows to inf, and bisection towards inf never ends.
    return np.minimum(np.ceil(mean + 40 * np.sqrt(mean) + 40), float(MAX_EXACT_COUNT))


def smallest_count(fit: Fit, family: Family, size, probability: float, strict: bool = False) -> np.ndarray:
    """For each size, the smallest r with P(Y <= r) >= probability (> when ``strict``): bisection
    over whole counts, all sizes at once."""
    size = np.atleast_1d(np.asarray(size, dtype=float))
    low, high = np.full(len(size), -1.0), _ceiling(fit, family, size)
    while np.any(high - low > 1):
        middle = np.floor((low + high) / 2)
        cdf = mixture_cdf(fit, family, middle, size)
        enough = cdf > probability if strict else cdf >= probability
        high, low = np.where(enough, middle, high), np.where(enough, low, middle)
    return high


def predictive_limit(fit: Fit, family: Family, size, probability: float) -> np.ndarray:
    """The ``probability`` quantile of the predictive count over size, interpolated between whole
    counts as the exact limits are (Spiegelhalter 2005, appendix A.1.1), in the possible range."""
    size = np.atleast_1d(np.asarray(size, dtype=float))
    fit = fit.for_prediction(size)
    r = smallest_count(fit, family, size, probability)
    at, below = mixture_cdf(fit, family, r, size), mixture_cdf(fit, family, r - 1, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(at > below, (at - probability) / (at - below), 0.0)
    return family.clip_value((r - alpha) / size)


def flag_counts(fit: Fit, family: Family, size, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(smallest count flagged high, largest count flagged low; -1 when none) at one-sided ``alpha``:
    P(Y >= y) < alpha iff P(Y <= y - 1) > 1 - alpha; P(Y <= y) < alpha iff y is below the smallest
    r with P(Y <= r) >= alpha."""
    fit = fit.for_prediction(size)
    high = smallest_count(fit, family, size, 1 - alpha, strict=True) + 1
    low = smallest_count(fit, family, size, alpha) - 1
    return high, low


def others_target(family: Family, count, size, keep, target: float | None) -> float:
    """The benchmark of the units in ``keep``: theirs pooled, unless one is given (or O/E: 1)."""
    return family.pooled_target(count[keep], size[keep]) if target is None else float(target)


def leave_one_out_fits(shape: Shape, family: Family, count, size, target: float | None, nodes: Nodes) -> list:
    """For each unit, ``shape`` fitted to the other units with its mean at their benchmark (None where
    no such model exists, e.g. the others have no events at all)."""
    count, size = np.asarray(count, dtype=float), np.asarray(size, dtype=float)
    fits: list[Fit | None] = []
    for unit in range(len(count)):
        keep = np.arange(len(count)) != unit
        benchmark = others_target(family, count, size, keep, target)
        if not fittable(family, benchmark):
            fits.append(None)
            continue
        fit = fit_to_mean(shape, family, count[keep], size[keep], benchmark, nodes)
        fits.append(replace(fit, df=max(len(count) - 2.0, 1.0)))  # t on 1 at least (a 2-unit funnel)
    return fits
