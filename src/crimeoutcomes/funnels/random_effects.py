"""How units' true values spread around the benchmark: random-effects models fitted by maximum
likelihood, chosen by their likelihood, with leave-one-out (cross-validatory) predictive limits.

Models. Each unit's true value (share or O/E ratio) is ``to_value(centre + spread * u)`` with
``u ~ N(0, 1)``, and its count is binomial (or Poisson) given it. Two shapes per family:

* proportion: **logit-normal** (forces differ multiplicatively in the odds: a binomial GLMM) and
  **arcsine-normal** (additive on the arcsine square-root scale, clipped to [0, pi/2]: the exact-
  likelihood version of Spiegelhalter's 2005 additive tau^2);
* ratio: **log-normal** (multiplicative, a Poisson-log-normal GLMM) and **square-root-normal**
  (additive on the square-root scale, clipped at 0).

The mean is the benchmark. The location of every model is solved so that the model's MEAN value
equals the benchmark (the pooled share, or 1 for O/E ratios); only the spread is fitted by maximum
likelihood. Why: the pooled share is an unbiased estimate of the model's mean whatever the spread
(each force's expected share is the mean; the pooled share weights them by fixed n), it is the
national figure the page shows and the exact limits are centred on, and centring the model on the
benchmark's transform instead (as the additive tau^2 did) moves the model's mean share 29% above
it on the real data. Both shapes thus have one free parameter, so comparing their maximised
log-likelihoods is comparing their AIC.

Integration. The marginal likelihood of a count, the integral over u, is a trapezoid rule on an
equally spaced grid of u over [-8, 8] (log-sum-exp): for a smooth integrand the trapezoid rule
converges geometrically once the spacing is below the width of the likelihood in u, and the grid
is chosen that fine for the data (``nodes_for``); tests check it against adaptive quadrature.

Leave-one-out (Ohlssen, Sharples and Spiegelhalter 2007, JRSS A 170:865; Jones and Spiegelhalter
2011, Am Stat 65:154). Unit i is judged against the model fitted to the OTHER units, centred on
their pooled share: its predictive distribution is the mixture of binomials (Poissons) over that
model, the adjusted limits are its interpolated quantiles and the p-values its mid-p tails. A unit
far from the rest no longer widens the spread it is judged against.

Fitting uncertainty. A plug-in predictive (centre and spread as if known) has tails too thin. As
Ohlssen et al., with a normal approximation for their posterior, the new unit's latent value is
integrated over log spread (variance from the profile's curvature) and the benchmark (the pooled
share's variance under the model), both carried to the centre (``with_uncertainty``); given log
spread it is normal, so one Gauss-Hermite rule suffices: deterministic, no draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.special import expit, gammaln, logit

from crimeoutcomes.config import RANDOM_EFFECT_NODES_MAX, RANDOM_EFFECT_NODES_MIN
from crimeoutcomes.funnels.families import Family

_U_RANGE = 8.0  # the grid of u spans +-8 sd: the normal mass beyond is 1e-15
_HERMITE_POINTS = 9  # over log spread: exact for polynomials of degree 17, smooth here
_LOG_SPREAD_SD_MAX = 0.5  # a flat profile (a spread at its bound) would put mass 100 times out
_STEP = 1e-3  # relative step of the finite differences (log scale)
_TINY = 1e-300  # log(0) stand-in, so that 0 * log(0) is 0, not NaN
_LOG_FLOOR = -700.0  # exp(-700) = 1e-304: below the last bit of any sum of terms that include 1


# np.minimum / np.maximum, not np.clip: the same numbers without np.clip's Python wrapper, which
# cost more than the arithmetic at the tens of thousands of calls of a root search.
def _sin2(eta):
    return np.sin(np.minimum(np.maximum(eta, 0.0), np.pi / 2)) ** 2


def _square(eta):
    return np.maximum(eta, 0.0) ** 2


@dataclass(frozen=True)
class Shape:
    """A random-effects model: the scale the units' true values are normal on."""

    name: str
    kind: str  # the family it belongs to
    to_value: Callable[[np.ndarray], np.ndarray]
    to_latent: Callable[[np.ndarray], np.ndarray]
    max_spread: float  # the largest sd tried, far beyond any funnel's (logit sd 3 is a 400-fold odds range)

    def likelihood_sd(self, count, size) -> np.ndarray:
        """Each unit's likelihood width on this scale (delta method), to set the grid's spacing."""
        count, size = np.asarray(count, dtype=float), np.asarray(size, dtype=float)
        if self.name == "logit-normal":
            share = (count + 0.5) / (size + 1)
            return 1 / np.sqrt(size * share * (1 - share))
        if self.name == "log-normal":
            return 1 / np.sqrt(count + 0.5)
        return 0.5 / np.sqrt(size)


LOGIT_NORMAL = Shape("logit-normal", "proportion", expit, lambda v: logit(np.clip(v, 1e-12, 1 - 1e-12)), 3.0)
ARCSINE_NORMAL = Shape("arcsine-normal", "proportion", _sin2, lambda v: np.arcsin(np.sqrt(np.clip(v, 0, 1))), 0.3)
LOG_NORMAL = Shape("log-normal", "ratio", np.exp, lambda v: np.log(np.maximum(v, _TINY)), 3.0)
ROOT_NORMAL = Shape("square-root-normal", "ratio", _square, lambda v: np.sqrt(np.clip(v, 0, None)), 1.0)
SHAPES = {"proportion": (LOGIT_NORMAL, ARCSINE_NORMAL), "ratio": (LOG_NORMAL, ROOT_NORMAL)}
SHAPE_NAMES = {shape.name: shape for shapes in SHAPES.values() for shape in shapes}


@dataclass(frozen=True)
class Nodes:
    """The integration grid of u ~ N(0, 1): points and log weights (trapezoid, summing to 1)."""

    u: np.ndarray
    log_weight: np.ndarray

    @staticmethod
    def of(count: int) -> Nodes:
        """``count`` points over [-8, 8] with the weights of a standard normal."""
        u = np.linspace(-_U_RANGE, _U_RANGE, count)
        log_density = -0.5 * u**2
        return Nodes(u, log_density - np.log(np.sum(np.exp(log_density))))

    @cached_property
    def weight(self) -> np.ndarray:
        # Cached: the root search for the centre asks for it at every spread the optimiser tries.
        return np.exp(self.log_weight)


def nodes_for(family: Family, count, size) -> Nodes:
    """A grid fine enough that its spacing in u, times the largest spread tried, is below every
    unit's likelihood width on each model's scale (capped, for units of astronomical size)."""
    widths = [np.min(shape.likelihood_sd(count, size)) / shape.max_spread for shape in SHAPES[family.kind]]
    wanted = int(np.ceil(2 * _U_RANGE / max(min(widths), 1e-12))) + 1
    return Nodes.of(int(np.clip(wanted | 1, RANDOM_EFFECT_NODES_MIN, RANDOM_EFFECT_NODES_MAX)))


@dataclass(frozen=True)
class Fit:
    shape: Shape
    centre: float  # location on the model's scale (not the benchmark's transform: the mean is)
    spread: float  # sd on the model's scale
    log_likelihood: float
    nodes: Nodes
    #: Sampling covariance of (centre, log spread) (None: known); ``for_prediction`` integrates over it.
    covariance: tuple[tuple[float, float], tuple[float, float]] | None = None

    def values(self) -> np.ndarray:
        """The true value at each node of u."""
        return self.shape.to_value(self.centre + self.spread * self.nodes.u)

    def mean(self) -> float:
        return float(np.sum(self.nodes.weight * self.values()))

    def latent_components(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A new unit's latent value minus the centre as normals (weights, means, sds): given log
        spread + d (Gauss-Hermite), the centre's error is normal with mean (covariance / var) * d."""
        if self.covariance is None:
            return np.ones(1), np.zeros(1), np.array([self.spread])
        (cc, cs), (_, ss) = self.covariance
        points, weights = np.polynomial.hermite_e.hermegauss(_HERMITE_POINTS)
        d = np.sqrt(ss) * points
        slope = cs / ss if ss > 0 else 0.0
        sds = np.sqrt(max(cc - slope * cs, 0.0) + (self.spread * np.exp(d)) ** 2)
        return weights / weights.sum(), slope * d, sds

    def for_prediction(self, size) -> Fit:
        """A NEW unit's latent value, its fitting uncertainty integrated over, on a grid as fine as
        counts at ``size`` need (spacing below the count's width), in units of the predictive sd."""
        weights, means, sds = self.latent_components()
        unit = float(np.sqrt(np.dot(weights, means**2 + sds**2)))
        size = np.asarray(size, dtype=float)
        width = float(np.min(self.shape.likelihood_sd(size * self.mean(), size))) / max(unit, 1e-12)
        wanted = int(np.ceil(2 * _U_RANGE / max(width, 1e-12))) + 1
        count = min(int(np.clip(wanted | 1, RANDOM_EFFECT_NODES_MIN, RANDOM_EFFECT_NODES_MAX)), len(self.nodes.u))
        reach = float(np.max(np.abs(means) + _U_RANGE * sds)) / max(unit, 1e-300)
        # The spacing of ``count`` points over +-8, kept over the (wider) reach.
        u = np.linspace(-reach, reach, int(np.ceil((count - 1) * reach / _U_RANGE)) + 1)
        terms = np.log(weights) - np.log(sds) - 0.5 * ((u[:, None] * unit - means) / sds) ** 2
        top = terms.max(axis=1, keepdims=True)
        log_density = top[:, 0] + np.log(np.exp(terms - top).sum(axis=1))
        log_density -= log_density.max()
        return Fit(
            self.shape,
            self.centre,
            unit,
            self.log_likelihood,
            Nodes(u, log_density - np.log(np.exp(log_density).sum())),
        )


class _LikelihoodTerms:
    """The data's part of the log-likelihood matrix (units x nodes), worked out once per fit, and
    storage for the matrix that every step of the optimiser reuses: a fit evaluates the likelihood
    dozens of times, and allocating two units x nodes arrays each time cost more than filling them.

    Every sum and product is taken in the order of the formula, so the result is the same to the
    last bit as computing it afresh: the optimiser's path (and so the fitted spread, beyond 1e-10)
    follows the last bits of the likelihood."""

    def __init__(self, family: Family, count, size) -> None:
        self.proportion = family.kind == "proportion"
        self.count = np.asarray(count, dtype=float)[:, None]
        self.size = np.asarray(size, dtype=float)[:, None]
        if self.proportion:
            self.constant = gammaln(self.size + 1) - gammaln(self.count + 1) - gammaln(self.size - self.count + 1)
            self.failures = self.size - self.count
        else:
            self.constant = gammaln(self.count + 1)
        self._storage: tuple[np.ndarray, np.ndarray] | None = None

    def _arrays(self, nodes: int) -> tuple[np.ndarray, np.ndarray]:
        if self._storage is None or self._storage[0].shape[1] != nodes:
            self._storage = (np.empty((len(self.count), nodes)), np.empty((len(self.count), nodes)))
        return self._storage

    def matrix(self, values, fresh: bool = False) -> np.ndarray:
        """log P(count_i | true value v_k), in the reused storage unless ``fresh``."""
        values = np.asarray(values, dtype=float)[None, :]
        out, other = self._arrays(values.shape[1])
        if fresh:
            out = np.empty_like(out)
        if self.proportion:
            # log C(n, y) + y log v + (n - y) log(1 - v)
            np.multiply(self.count, np.log(np.maximum(values, _TINY)), out=out)
            np.add(self.constant, out, out=out)
            np.multiply(self.failures, np.log(np.maximum(1 - values, _TINY)), out=other)
            return np.add(out, other, out=out)
        # y log(n v) - n v - log y!
        mean = np.multiply(self.size, values, out=other)
        np.log(np.maximum(mean, _TINY, out=out), out=out)
        np.multiply(self.count, out, out=out)
        np.subtract(out, mean, out=out)
        return np.subtract(out, self.constant, out=out)

    def log_likelihood(self, shape: Shape, centre: float, spread: float, nodes: Nodes) -> float:
        values = shape.to_value(centre + spread * nodes.u)
        return float(np.sum(_log_marginals(self.matrix(values), nodes)))


def log_likelihood_matrix(family: Family, count, size, values) -> np.ndarray:
    """log P(count_i | true value v_k): units x nodes (outer products: the grid is shared)."""
    return _LikelihoodTerms(family, count, size).matrix(values, fresh=True)


def _log_marginals(matrix: np.ndarray, nodes: Nodes) -> np.ndarray:
    """log of each unit's integral over u (log-sum-exp over the grid); overwrites ``matrix``."""
    terms = np.add(matrix, nodes.log_weight, out=matrix)
    top = terms.max(axis=1, keepdims=True)
    np.subtract(terms, top, out=terms)
    # Floored at _LOG_FLOOR before exp: exp's results that underflow (below 1e-308) take it ten
    # times as long, and terms under 1e-304 cannot change a sum that holds the top term, 1.
    np.exp(np.maximum(terms, _LOG_FLOOR, out=terms), out=terms)
    return top[:, 0] + np.log(terms.sum(axis=1))


def centre_for_mean(shape: Shape, spread: float, target: float, nodes: Nodes) -> float:
    """The location whose model mean is ``target`` (the mean rises with the location)."""
    weight, start = nodes.weight, float(shape.to_latent(np.asarray(target)))
    reach = 12 * spread + 1.0
    # spread * u once, not at each of the root search's steps (the same numbers), and one array
    # for the latent values at every step.
    scaled = spread * nodes.u
    latent = np.empty_like(scaled)
    return float(
        brentq(
            lambda c: np.dot(weight, shape.to_value(np.add(c, scaled, out=latent))) - target,
            start - reach,
            start + reach,
            xtol=1e-12,
        )
    )


def log_likelihood(shape: Shape, family: Family, count, size, centre: float, spread: float, nodes: Nodes) -> float:
    return _LikelihoodTerms(family, count, size).log_likelihood(shape, centre, spread, nodes)


def _profile(shape: Shape, terms: _LikelihoodTerms, target: float, nodes: Nodes, log_spread: float):
    """(log-likelihood, centre) at a spread, the centre putting the model's mean at ``target``."""
    spread = float(np.exp(log_spread))
    centre = centre_for_mean(shape, spread, target, nodes)
    return terms.log_likelihood(shape, centre, spread, nodes), centre


def fit_to_mean(shape: Shape, family: Family, count, size, target: float, nodes: Nodes) -> Fit:
    """Maximum likelihood over the spread, the location solved so that the model's mean is ``target``."""
    bounds = (np.log(shape.max_spread * 1e-4), np.log(shape.max_spread))
    terms = _LikelihoodTerms(family, count, size)
    # The optimiser's answer is a point it has evaluated: kept, not evaluated again.
    seen: dict[float, tuple[float, float]] = {}

    def negative(log_spread: float) -> float:
        seen[float(log_spread)] = _profile(shape, terms, target, nodes, float(log_spread))
        return -seen[float(log_spread)][0]

    best = minimize_scalar(negative, bounds=bounds, method="bounded", options={"xatol": 1e-5})
    value, centre = seen.get(float(best.x)) or _profile(shape, terms, target, nodes, float(best.x))
    return Fit(shape, centre, float(np.exp(best.x)), value, nodes)


def pooled_mean_variance(fit: Fit, family: Family, size) -> float:
    """Variance of the pooled share sum(Y) / sum(n) when units of ``size`` follow ``fit``."""
    size = np.asarray(size, dtype=float)
    value, weight = fit.values(), fit.nodes.weight
    mean = np.dot(weight, value)
    within = np.dot(weight, value * (1 - value)) if family.kind == "proportion" else mean
    between = np.dot(weight, (value - mean) ** 2)
    return float(np.sum(size * within + size**2 * between) / np.sum(size) ** 2)


def with_uncertainty(fit: Fit, family: Family, count, size, target: float, mean_estimated: bool) -> Fit:
    """``fit`` with the covariance of (centre, log spread): the profile's curvature (capped) and, if
    ``mean_estimated``, ``pooled_mean_variance``, carried to the centre by finite differences."""
    log_spread, h = float(np.log(fit.spread)), 0.05
    terms = _LikelihoodTerms(family, count, size)
    around = [_profile(fit.shape, terms, target, fit.nodes, log_spread + k * h)[0] for k in (-1, 1)]
    curvature = -(around[0] - 2 * fit.log_likelihood + around[1]) / h**2
    log_spread_var = min(1 / curvature if curvature > 0 else np.inf, _LOG_SPREAD_SD_MAX**2)
    log_mean_var = pooled_mean_variance(fit, family, size) / target**2 if mean_estimated else 0.0
    # A share so near 1 that the step up would pass it is stepped down: no location gives a mean of 1 or more.
    mean_step = -_STEP if family.kind == "proportion" and target * np.exp(_STEP) >= 1 else _STEP
    mean_moved, spread_up = target * np.exp(mean_step), fit.spread * np.exp(_STEP)
    centre_per_log_mean = (centre_for_mean(fit.shape, fit.spread, mean_moved, fit.nodes) - fit.centre) / mean_step
    centre_per_log_spread = (centre_for_mean(fit.shape, spread_up, target, fit.nodes) - fit.centre) / _STEP
    cc = centre_per_log_mean**2 * log_mean_var + centre_per_log_spread**2 * log_spread_var
    cs = centre_per_log_spread * log_spread_var
    return replace(fit, covariance=((float(cc), float(cs)), (float(cs), float(log_spread_var))))


def fit_free(shape: Shape, family: Family, count, size, nodes: Nodes, start: Fit) -> Fit:
    """Maximum likelihood over location and spread both (for comparison: the default fixes the mean)."""

    def negative(params) -> float:
        return -log_likelihood(shape, family, count, size, params[0], float(np.exp(params[1])), nodes)

    best = minimize(
        negative, [start.centre, np.log(start.spread)], method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9}
    )
    return Fit(shape, float(best.x[0]), float(np.exp(best.x[1])), -float(best.fun), nodes)


def fittable(family: Family, target: float) -> bool:
    """A model with mean ``target`` exists: a share strictly between 0 and 1, a ratio above 0."""
    return 0 < target < 1 if family.kind == "proportion" else target > 0


def fit_models(family: Family, count, size, target: float, nodes: Nodes, names=None) -> list[Fit]:
    """The family's models (or those named), each with its mean at the benchmark."""
    shapes = [SHAPE_NAMES[name] for name in names] if names else SHAPES[family.kind]
    return [fit_to_mean(shape, family, count, size, target, nodes) for shape in shapes]


def choose_model(family: Family, count, size, target: float, nodes: Nodes, names=None) -> Fit:
    """The better-fitting of the family's models (each with its mean at the benchmark), or the one named."""
    return max(fit_models(family, count, size, target, nodes, names), key=lambda fit: fit.log_likelihood)


def model_weights(fits: list[Fit]) -> np.ndarray:
    """Akaike weights (each model has one free parameter): averaging, not picking, so that a near tie
    between the models (a few dozen units tell them apart poorly) does not flip the flags."""
    log_likelihoods = np.array([fit.log_likelihood for fit in fits])
    relative = np.exp(log_likelihoods - log_likelihoods.max())
    return relative / relative.sum()
