"""Over-dispersion: do units differ by more than chance, and by how much?

Statistic. phi = (1/I) sum z_i^2, with z_i the unit's distance from the target on the
variance-stabilising scale in standard errors (Spiegelhalter 2005, section 3.2). By default the
z-scores are NOT winsorised: winsorising 10% in each tail (Spiegelhalter's suggestion, FunnelPlotR's
default) pulls phi below 1 under the null (mean 0.67 at these forces' n), so a test against
chi-squared on I - 1 degrees of freedom almost never fires (size 0.001 rather than 0.05).

Test. The p-value is a parametric bootstrap (a Monte Carlo test, Barnard 1963; Davison and
Hinkley 1997, section 4.2): counts are simulated from the null (binomial at the pooled share, the
share re-estimated in each replicate; or Poisson at the expected count), phi is recomputed, and
p = (1 + #{phi* >= phi}) / (B + 1). Its size is the nominal one whatever the counts, where the
chi-squared approximation is poor for expected counts near 1 (here City of London expects 1). The
same holds with winsorising switched on, since the bootstrap recomputes whatever statistic is used.

Size of the effect. tau^2 is Spiegelhalter's moment estimator on the stabilised scale (Spiegelhalter
2005, eq. 7; FunnelPlotR):
tau^2 = max(0, (I phi - (I - 1)) / (sum w - sum w^2 / sum w)), with w = 1 / se^2 = 4 n.
It has DerSimonian and Laird's form but not their Q: phi sums squared distances from the TARGET,
where DerSimonian-Laird's Q sums them from the precision-weighted mean (on the real 2024/25 shares
0.00147 against 0.00136). It is reported as a description of the spread on the stabilised scale;
the adjusted limits and the ranks come from the random-effects model of ``random_effects`` instead,
and only when the test says the units are over-dispersed (p < 0.05).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crimeoutcomes.config import BOOTSTRAP_REPLICATES as _REPLICATES
from crimeoutcomes.config import OVERDISPERSION_TEST_SIZE
from crimeoutcomes.funnels.families import Family

DISPERSION_ALPHA = OVERDISPERSION_TEST_SIZE  # see reference/assumptions.csv
BOOTSTRAP_REPLICATES = _REPLICATES  # see reference/assumptions.csv


@dataclass(frozen=True)
class Dispersion:
    units: int
    phi: float  # mean squared z on the stabilised scale; about 1 under the null
    tau2: float  # Spiegelhalter's moment estimate of the between-unit variance on the stabilised scale
    p_value: float  # parametric-bootstrap p-value of phi under the null
    over_dispersed: bool  # p_value < DISPERSION_ALPHA


def winsorise(z: np.ndarray, fraction: float) -> np.ndarray:
    """Values beyond the ``fraction`` and 1 - ``fraction`` quantiles of each row set to them."""
    if fraction <= 0:
        return z
    low, high = np.quantile(z, [fraction, 1 - fraction], axis=-1, keepdims=True)
    return np.clip(z, low, high)


def z_scores(family: Family, count, size, target) -> np.ndarray:
    """Distances from the target on the stabilised scale, in standard errors; ``count`` may hold many
    replicates (rows) and ``target`` one value per row."""
    theta = family.to_theta(family.value(count, size))
    target_theta = family.to_theta(np.asarray(target, dtype=float))
    if np.ndim(target_theta):
        target_theta = target_theta[..., None]
    return (theta - target_theta) / family.theta_se(size)


def phi_statistic(z: np.ndarray, winsor_fraction: float = 0.0) -> np.ndarray:
    return np.mean(winsorise(z, winsor_fraction) ** 2, axis=-1)


def spiegelhalter_tau2(phi: float, size, family: Family) -> float:
    """Spiegelhalter's moment estimate of the between-unit variance from phi (2005, eq. 7)."""
    w = 1 / family.theta_se(size) ** 2
    units = len(w)
    return float(max(0.0, (units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum())))


def bootstrap_p(
    family: Family,
    count,
    size,
    target: float | None,
    rng: np.random.Generator,
    replicates: int = BOOTSTRAP_REPLICATES,
    winsor_fraction: float = 0.0,
) -> float:
    """Monte Carlo p-value of phi under the null; ``target`` None means the pooled target,
    re-estimated in every replicate as it was on the data."""
    size = np.asarray(size, dtype=float)
    null_target = family.pooled_target(count, size) if target is None else target
    observed = phi_statistic(z_scores(family, count, size, null_target), winsor_fraction)
    simulated = family.simulate(rng, size, null_target, shape=(replicates, len(size)))
    replicate_target = (
        simulated.sum(axis=1) / size.sum()
        if target is None and family.kind == "proportion"
        else np.full(replicates, null_target)
    )
    phis = phi_statistic(z_scores(family, simulated, size, replicate_target), winsor_fraction)
    # A relative tolerance so that a replicate equal to the data counts as "at least as extreme".
    return float((1 + np.sum(phis >= observed * (1 - 1e-12))) / (replicates + 1))


def dispersion(
    family: Family,
    count,
    size,
    target: float | None,
    rng: np.random.Generator,
    replicates: int = BOOTSTRAP_REPLICATES,
    winsor_fraction: float = 0.0,
) -> Dispersion:
    count, size = np.asarray(count, dtype=float), np.asarray(size, dtype=float)
    units = len(count)
    if units < 2:
        return Dispersion(units, float("nan"), 0.0, float("nan"), False)
    used_target = family.pooled_target(count, size) if target is None else target
    phi = float(phi_statistic(z_scores(family, count, size, used_target), winsor_fraction))
    p = bootstrap_p(family, count, size, target, rng, replicates, winsor_fraction)
    return Dispersion(units, phi, spiegelhalter_tau2(phi, size, family), p, p < DISPERSION_ALPHA)
