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
from scipy.special import bdtr, ndtr, pdtr, xlogy

from crimeoutcomes.config import MAX_EXACT_COUNT
from crimeoutcomes.funnels.families import Family
from crimeoutcomes.funnels.random_effects import Fit, Nodes, fit_models, fittable, model_weights, with_uncertainty

#: Chernoff bounds (natural log) beyond which a count's distribution function is 0 or 1 to double
#: precision: below exp(-700) (1e-304) it is 0, an upper tail below exp(-40) (4e-18) leaves 1.
_LOG_NEGLIGIBLE = -700.0
_LOG_ROUNDS_TO_ONE = -40.0
#: Half-width (counts) of the bisection's first bracket around its normal guess (within 1 count of the
#: answer in every table tried; where it is not, the bisection takes the whole range on that side).
_BRACKET = 3.0


def _log_chernoff(family: Family, k, size, values) -> np.ndarray:
    """log of the Chernoff bound on P(Y <= k) for k below the mean, on P(Y >= k) above it, for each
    unit (rows) and node (columns): -n KL(k/n || v) for a binomial, k - m + k log(m / k) for a
    Poisson. The logs of the nodes' values are taken once, not per unit. Where a term is 0 * log 0
    the bound is NaN: it fails every comparison, and the exact function decides."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if family.kind == "proportion":
            share = k / size
            entropy = xlogy(share, share) + xlogy(1 - share, 1 - share)
            log_bound = -size * (entropy - share * np.log(values) - (1 - share) * np.log1p(-values))
        else:
            log_bound = k - size * values - xlogy(k, k) + k * (np.log(size) + np.log(values))
    return log_bound


def _count_cdf(family: Family, r, size, values) -> np.ndarray:
    """P(Y <= r | true value) for each unit (rows) and node (columns); 0 below 0, 1 at or above n.
    Nodes whose Chernoff bound puts the count's cdf at 0 or 1 to double precision skip the exact
    incomplete beta (gamma) function, which costs a few hundred nanoseconds a node."""
    r = np.asarray(r, dtype=float)[:, None]
    size = np.asarray(size, dtype=float)[:, None]
    values = np.asarray(values, dtype=float)[None, :]
    safe = np.maximum(r, 0.0)
    shape = np.broadcast_shapes(r.shape, values.shape)
    negligible = (safe < size * values) & (_log_chernoff(family, safe, size, values) < _LOG_NEGLIGIBLE)
    near_one = (safe + 1 > size * values) & (_log_chernoff(family, safe + 1, size, values) < _LOG_ROUNDS_TO_ONE)
    cdf = np.where(negligible, 0.0, 1.0)
    exact = ~(negligible | near_one)
    k, n, v = (np.broadcast_to(array, shape)[exact] for array in (safe, size, values))
    if family.kind == "proportion":
        # Whole numbers as integers: scipy deprecates a float n (and warns at every call).
        cdf[exact] = np.where(k >= n, 1.0, bdtr(np.minimum(k, n).astype(np.int64), n.astype(np.int64), v))
    else:
        cdf[exact] = np.where(n * v > 0, pdtr(k, n * v), 1.0)
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
    r, size = np.broadcast_arrays(np.asarray(r, dtype=float), np.asarray(size, dtype=float))
    # One call for both counts: each call has a fixed cost, and bisection makes hundreds.
    both = mixture_cdf(predictive, family, np.concatenate([r, r - 1]), np.concatenate([size, size]))
    return 0.5 * (both[: len(r)] + both[len(r) :])


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


def _guess_range(predictive: Predictive, family: Family, size, probability) -> tuple[np.ndarray, np.ndarray]:
    """Counts below and above each size's ``probability`` quantile: below the mean count, less 10 sd
    and 10, of the node at half the probability, and above that of the node at half the remaining
    probability beyond it. Far narrower than the whole range where a far tail reaches huge values
    (a Poisson's ceiling is 2^53, and a bisection over that range costs 53 steps)."""
    order = np.argsort(predictive.values, kind="stable")
    cumulative = np.cumsum(predictive.weight[order])
    probability = np.broadcast_to(np.asarray(probability, dtype=float), size.shape)
    at = [
        np.minimum(np.searchsorted(cumulative, share), len(order) - 1)
        for share in (probability / 2, (1 + probability) / 2)
    ]
    low_mean, high_mean = (size * predictive.values[order][index] for index in at)
    low = np.maximum(np.floor(low_mean - 10 * np.sqrt(low_mean) - 10), -1.0)
    return low, np.minimum(np.ceil(high_mean + 10 * np.sqrt(high_mean) + 10), _ceiling(predictive, family, size))


def _normal_guess(predictive: Predictive, family: Family, size, probability) -> np.ndarray:
    """Each size's count at ``probability`` with every node's count taken as normal (continuity
    corrected): a cheap first guess, a few counts out at most, that ``_bisect`` then checks."""
    values = predictive.values[None, :]
    mean = size[:, None] * values
    variance = np.maximum(mean * (1 - values) if family.kind == "proportion" else mean, 1e-12)
    per_sd, (low, high) = 1 / np.sqrt(variance), _guess_range(predictive, family, size, probability)
    shift = (0.5 - mean) * per_sd
    z = np.empty_like(shift)
    while np.any(high - low > 1):
        middle = np.floor((low + high) / 2)
        enough = ndtr(np.add(middle[:, None] * per_sd, shift, out=z)) @ predictive.weight >= probability
        high, low = np.where(enough, middle, high), np.where(enough, low, middle)
    return high


def _bisect(predictive: Predictive, family: Family, size, probability, strict: bool = False, mid: bool = False):
    """(r, F(r), F(r - 1)) for each size (and its ``probability``): r the smallest count with
    F(r) >= probability (> when ``strict``), F the distribution function (the mid-p's when ``mid``).

    The bisection starts from ``_BRACKET`` counts either side of ``_normal_guess``, each end kept
    where F there confirms it, else -1 or the ceiling (an exact step costs hundreds of microseconds,
    a step of the guess tens); the answer is the same. The values at the ends are kept, so that
    interpolating between them costs nothing (F(-1) is 0); NaN where an end was never evaluated."""
    ceiling = _ceiling(predictive, family, size)
    guess = _normal_guess(predictive, family, size, probability)
    low, high = np.maximum(guess - _BRACKET, -1.0), np.minimum(guess + _BRACKET, ceiling)
    cdf_of = _mid_cdf if mid else mixture_cdf
    ends = cdf_of(predictive, family, np.concatenate([low, high]), np.concatenate([size, size]))
    at_low, at_high = ends[: len(size)], ends[len(size) :]
    enough_low, enough_high = (
        (at_low > probability, at_high > probability) if strict else (at_low >= probability, at_high >= probability)
    )
    low, at_low = np.where(enough_low, -1.0, low), np.where(enough_low | (low < 0), 0.0, at_low)
    high, at_high = np.where(enough_high, high, ceiling), np.where(enough_high, at_high, np.nan)
    while np.any(high - low > 1):
        middle = np.floor((low + high) / 2)
        cdf = cdf_of(predictive, family, middle, size)
        enough = cdf > probability if strict else cdf >= probability
        high, low = np.where(enough, middle, high), np.where(enough, low, middle)
        at_high, at_low = np.where(enough, cdf, at_high), np.where(enough, at_low, cdf)
    return high, at_high, at_low


def smallest_count(judge, family: Family, size, probability: float, strict: bool = False, mid: bool = False):
    """For each size, the smallest r with P(Y <= r) >= probability (> when ``strict``; the mid-p's
    distribution function when ``mid``): bisection over whole counts, all sizes at once."""
    size = np.atleast_1d(np.asarray(size, dtype=float))
    return _bisect(predictive_of(judge, size), family, size, probability, strict, mid)[0]


def predictive_limits(judge: Judge, family: Family, size, probabilities) -> np.ndarray:
    """``predictive_limit`` at several probabilities at once (rows) for each size (columns): one
    bisection for them all."""
    size = np.atleast_1d(np.asarray(size, dtype=float))
    probabilities = np.atleast_1d(np.asarray(probabilities, dtype=float))
    predictive = predictive_of(judge, size)
    sizes = np.tile(size, len(probabilities))
    wanted = np.repeat(probabilities, len(size))
    r, at, below = _bisect(predictive, family, sizes, wanted)
    unseen = np.isnan(at)
    if unseen.any():
        at[unseen] = mixture_cdf(predictive, family, r[unseen], sizes[unseen])
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(at > below, (at - wanted) / (at - below), 0.0)
    return family.clip_value((r - alpha) / sizes).reshape(len(probabilities), len(size))


def predictive_limit(judge: Judge, family: Family, size, probability: float) -> np.ndarray:
    """The ``probability`` quantile of the predictive count over size, interpolated between whole
    counts as the exact limits are (Spiegelhalter 2005, appendix A.1.1), in the possible range."""
    return predictive_limits(judge, family, size, [probability])[0]


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
