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
model, the adjusted limits are its interpolated quantiles and the p-values its exact tails. A unit
far from the rest no longer widens the spread it is judged against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.special import expit, gammaln, logit
from scipy.stats import t as student_t

from crimeoutcomes.config import RANDOM_EFFECT_NODES_MAX, RANDOM_EFFECT_NODES_MIN
from crimeoutcomes.stats.families import Family

_U_RANGE = 8.0  # the grid of u spans +-8 sd: the normal mass beyond is 1e-15
_TINY = 1e-300  # log(0) stand-in, so that 0 * log(0) is 0, not NaN


def _sin2(eta):
    return np.sin(np.clip(eta, 0.0, np.pi / 2)) ** 2


def _square(eta):
    return np.clip(eta, 0.0, None) ** 2


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
    def of(count: int, df: float = np.inf) -> Nodes:
        """``count`` points over [-8, 8] with the weights of a standard normal; or of Student's t on
        ``df`` degrees of freedom, over a range wide enough for its heavier tails (to its 1e-9 and
        1 - 1e-9 points, at most +-40) with the same spacing."""
        reach = _U_RANGE if np.isinf(df) else float(np.clip(student_t.ppf(1 - 1e-9, df), _U_RANGE, 40.0))
        u = np.linspace(-reach, reach, int(np.ceil((count - 1) * reach / _U_RANGE)) + 1)
        log_density = -0.5 * u**2 if np.isinf(df) else -(df + 1) / 2 * np.log1p(u**2 / df)
        return Nodes(u, log_density - np.log(np.sum(np.exp(log_density))))

    @property
    def weight(self) -> np.ndarray:
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
    #: Degrees of freedom of the effect of a NEW unit (inf: normal). A unit judged against a model
    #: fitted to I others gets t on I - 1: the spread is estimated, not known (see ``predictive``).
    df: float = np.inf

    def values(self) -> np.ndarray:
        """The true value at each node of u."""
        return self.shape.to_value(self.centre + self.spread * self.nodes.u)

    def mean(self) -> float:
        return float(np.sum(self.nodes.weight * self.values()))

    def for_prediction(self, size) -> Fit:
        """The same model on a grid only as fine as predicting counts at ``size`` needs: the spacing
        in u times the FITTED spread below the count's width at the model's mean (the fitting grid
        allows for the largest spread tried, often three times finer than this needs)."""
        size = np.asarray(size, dtype=float)
        width = float(np.min(self.shape.likelihood_sd(size * self.mean(), size))) / max(self.spread, 1e-12)
        wanted = int(np.ceil(2 * _U_RANGE / max(width, 1e-12))) + 1
        count = min(int(np.clip(wanted | 1, RANDOM_EFFECT_NODES_MIN, RANDOM_EFFECT_NODES_MAX)), len(self.nodes.u))
        # (Nodes.of widens the range, not the spacing, for t's tails.)
        return Fit(self.shape, self.centre, self.spread, self.log_likelihood, Nodes.of(count, self.df), self.df)


def log_likelihood_matrix(family: Family, count, size, values) -> np.ndarray:
    """log P(count_i | true value v_k): units x nodes (outer products: the grid is shared)."""
    count, size = np.asarray(count, dtype=float)[:, None], np.asarray(size, dtype=float)[:, None]
    values = np.asarray(values, dtype=float)[None, :]
    if family.kind == "proportion":
        log_choose = gammaln(size + 1) - gammaln(count + 1) - gammaln(size - count + 1)
        return (
            log_choose
            + count * np.log(np.maximum(values, _TINY))
            + (size - count) * np.log(np.maximum(1 - values, _TINY))
        )
    mean = size * values
    return count * np.log(np.maximum(mean, _TINY)) - mean - gammaln(count + 1)


def _log_marginals(matrix: np.ndarray, nodes: Nodes) -> np.ndarray:
    """log of each unit's integral over u (log-sum-exp over the grid)."""
    terms = matrix + nodes.log_weight
    top = terms.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(terms - top).sum(axis=1))


def centre_for_mean(shape: Shape, spread: float, target: float, nodes: Nodes) -> float:
    """The location whose model mean is ``target`` (the mean rises with the location)."""
    weight, start = nodes.weight, float(shape.to_latent(np.asarray(target)))
    reach = 12 * spread + 1.0
    return float(
        brentq(
            lambda c: np.dot(weight, shape.to_value(c + spread * nodes.u)) - target,
            start - reach,
            start + reach,
            xtol=1e-12,
        )
    )


def log_likelihood(shape: Shape, family: Family, count, size, centre: float, spread: float, nodes: Nodes) -> float:
    values = shape.to_value(centre + spread * nodes.u)
    return float(np.sum(_log_marginals(log_likelihood_matrix(family, count, size, values), nodes)))


def fit_to_mean(shape: Shape, family: Family, count, size, target: float, nodes: Nodes) -> Fit:
    """Maximum likelihood over the spread, the location solved so that the model's mean is ``target``."""

    def profile(log_spread: float) -> tuple[float, float]:
        spread = float(np.exp(log_spread))
        centre = centre_for_mean(shape, spread, target, nodes)
        return log_likelihood(shape, family, count, size, centre, spread, nodes), centre

    bounds = (np.log(shape.max_spread * 1e-4), np.log(shape.max_spread))
    best = minimize_scalar(lambda s: -profile(s)[0], bounds=bounds, method="bounded", options={"xatol": 1e-5})
    value, centre = profile(float(best.x))
    return Fit(shape, centre, float(np.exp(best.x)), value, nodes)


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


def choose_model(family: Family, count, size, target: float, nodes: Nodes, names=None) -> Fit:
    """The better-fitting of the family's models (each with its mean at the benchmark), or the one named."""
    shapes = [SHAPE_NAMES[name] for name in names] if names else SHAPES[family.kind]
    fits = [fit_to_mean(shape, family, count, size, target, nodes) for shape in shapes]
    return max(fits, key=lambda fit: fit.log_likelihood)
