"""The two kinds of funnel: a proportion (events out of n) and a ratio (observed over expected).

Each family knows its exact null distribution (binomial, Poisson), its variance-stabilising scale
and how to simulate itself, so that the funnel, the over-dispersion test and the rank intervals are
written once for both.

Variance-stabilising scales (Spiegelhalter 2005, Statistics in Medicine 24:1185, section 3.2;
FunnelPlotR's "PR" and "SR" data types):

* proportions: arcsine square root, ``theta = asin(sqrt(y / n))``, standard error ``1 / (2 sqrt(n))``.
  Chosen over the logit because it is defined at zero events (common here: the national share is
  about 0.5%, so small forces often have none), its standard error does not depend on the unknown
  proportion, and ``sin^2`` maps any value in [0, pi/2] back into [0, 1].
* ratios: square root, ``theta = sqrt(O / E)``, standard error ``1 / (2 sqrt(E))``: defined at O = 0
  and squared back to a ratio that cannot be negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Family:
    """What differs between the proportion and the ratio funnel.

    ``count`` and ``size`` are the input columns: events and n, or observed and expected.
    """

    kind: str
    count: str
    size: str
    theta_max: float  # the largest value on the stabilised scale (pi/2 for a proportion)

    # --- the exact null distribution of the count, given the unit's size and the target -----------
    def distribution(self, size, target):
        from scipy.stats import binom, poisson  # here: scipy.stats takes half a second to import

        size = np.asarray(size, dtype=float)
        if self.kind == "proportion":
            return binom(size, target)
        return poisson(size * target)

    def simulate(self, rng: np.random.Generator, size, value, shape=None):
        """Counts drawn with the given true values (proportions, or ratios times expected)."""
        if self.kind == "proportion":
            return rng.binomial(np.asarray(size, dtype=np.int64), value, size=shape)
        return rng.poisson(np.asarray(size, dtype=float) * value, size=shape)

    def value(self, count, size):
        return np.asarray(count, dtype=float) / np.asarray(size, dtype=float)

    def pooled_target(self, count, size) -> float:
        """The benchmark when none is given: the pooled proportion; for O/E always 1, by definition
        of the expected counts."""
        if self.kind == "proportion":
            return float(np.sum(count) / np.sum(size))
        return 1.0

    # --- the variance-stabilising scale ------------------------------------------------------------
    def to_theta(self, value):
        value = np.asarray(value, dtype=float)
        if self.kind == "proportion":
            return np.arcsin(np.sqrt(np.clip(value, 0.0, 1.0)))
        return np.sqrt(np.clip(value, 0.0, None))

    def from_theta(self, theta):
        """Back to a proportion or ratio; clipped first so that a limit beyond the possible range
        does not fold back into it (sin^2 and x^2 are not monotone past pi/2 and 0)."""
        theta = np.clip(np.asarray(theta, dtype=float), 0.0, self.theta_max)
        return np.sin(theta) ** 2 if self.kind == "proportion" else theta**2

    def theta_se(self, size):
        return 0.5 / np.sqrt(np.asarray(size, dtype=float))

    def clip_value(self, value):
        return np.clip(value, 0.0, 1.0 if self.kind == "proportion" else None)

    def log_likelihood(self, count, size, theta):
        """log P(count | true value from_theta(theta)), broadcast over a grid of theta."""
        from scipy.stats import binom, poisson

        value = self.from_theta(theta)
        if self.kind == "proportion":
            return binom.logpmf(count, size, value)
        return poisson.logpmf(count, size * value)


PROPORTION = Family("proportion", "events", "n", np.pi / 2)
RATIO = Family("ratio", "observed", "expected", np.inf)
FAMILIES = {family.kind: family for family in (PROPORTION, RATIO)}
