"""The funnel's parts against independent calculations: quantiles and tails found by summing
probability mass, Holm by its definition, z, phi and tau^2 by their formulas, the bootstrap
re-written, posterior quantiles by numerical integration; funnel_table's columns recomputed one by
one; every input check with its exact message (written for the mutation score, issue 19). Small
replicate and draw counts keep these under a few seconds."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, xlogy
from scipy.stats import binom, norm, poisson

from crimeoutcomes.funnels.dispersion import (
    Dispersion,
    bootstrap_p,
    dispersion,
    phi_statistic,
    spiegelhalter_tau2,
    winsorise,
    z_scores,
)
from crimeoutcomes.funnels.exact import attained_flag_rates, flag, holm, interpolated_limit, tail_probabilities
from crimeoutcomes.funnels.families import FAMILIES, PROPORTION, RATIO
from crimeoutcomes.funnels.funnel import SEED, table_family
from crimeoutcomes.funnels.random_effects import (
    ARCSINE_NORMAL,
    ROOT_NORMAL,
    SHAPES,
    Fit,
    fit_models,
    fit_to_mean,
    nodes_for,
    with_uncertainty,
)
from crimeoutcomes.funnels.ranks import observed_ranks, posterior_draws, rank_intervals, ranks_high_first
from crimeoutcomes.funnels.validate import infer_family, validated
from crimeoutcomes.stats import FunnelInputError, flagged, funnel_curves, funnel_table, told_apart_from_middle


# --- references ------------------------------------------------------------------------------------
def pmf_table(family, size, target):
    """(values y, P(Y = y)) over the whole support (Poisson cut where the tail is below 1e-16)."""
    if family is PROPORTION:
        y = np.arange(int(size) + 1)
        return y, binom.pmf(y, int(size), target)
    mean = size * target
    y = np.arange(int(mean + 40 * math.sqrt(mean) + 60))
    return y, poisson.pmf(y, mean)


def reference_limit(family, size, target, p):
    return limit_from_mass(*pmf_table(family, size, target), size, p, family)


def reference_tails(family, count, size, target):
    y, mass = pmf_table(family, size, target)
    return mass[y >= count].sum(), mass[y <= count].sum()


def reference_attained(family, size, target, alpha):
    y, mass = pmf_table(family, size, target)
    high = sum(m for v, m in zip(y, mass) if mass[y >= v].sum() < alpha)
    low = sum(m for v, m in zip(y, mass) if mass[y <= v].sum() < alpha)
    return high, low


def reference_holm(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted, running = [0.0] * m, 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (m - step) * p[i]))
        adjusted[i] = running
    return adjusted


def reference_z(family, count, size, target):
    count, size = np.asarray(count, float), np.asarray(size, float)
    if family is PROPORTION:
        return (np.arcsin(np.sqrt(count / size)) - math.asin(math.sqrt(target))) * 2 * np.sqrt(size)
    return (np.sqrt(count / size) - math.sqrt(target)) * 2 * np.sqrt(size)


def reference_tau2(phi, size):
    w = 4 * np.asarray(size, float)
    return max(0.0, (len(w) * phi - (len(w) - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def reference_latent(fit, reach=15.0, points=6001):
    """(latent values, weights) of a NEW unit's latent value under ``fit``: normal with the fit's
    spread, integrated over its fitting uncertainty by brute force (a 401-point trapezoid over log
    spread to +-6 sd, the centre's error given it normal by the bivariate normal's conditional),
    on a grid to +-``reach`` predictive sd, independently of the library's Gauss-Hermite rule."""
    if fit.covariance is None:
        d, d_weight, slope, rest = np.zeros(1), np.ones(1), 0.0, 0.0
    else:
        (cc, cs), (_, ss) = fit.covariance
        d = np.linspace(-6, 6, 401) * math.sqrt(ss)
        d_weight = norm.pdf(d, scale=math.sqrt(ss))
        d_weight /= d_weight.sum()
        slope, rest = cs / ss, cc - cs**2 / ss
    sds = np.sqrt(rest + (fit.spread * np.exp(d)) ** 2)
    scale = math.sqrt(np.dot(d_weight, (slope * d) ** 2 + sds**2))
    z = np.linspace(-reach, reach, points) * scale
    # The normal density written out (scipy's norm.pdf on this 6001 x 401 grid took 14 times as long).
    density = np.exp(-0.5 * ((z[:, None] - slope * d[None, :]) / sds[None, :]) ** 2) / sds[None, :]
    weight = density @ d_weight  # its constant cancels in the normalisation below
    return fit.centre + z, weight / weight.sum()


def likelihood_shares(fits):
    """Akaike weights of models with equal numbers of parameters: each one's share of the likelihood."""
    log_likelihoods = np.array([fit.log_likelihood for fit in fits])
    shares = np.exp(log_likelihoods - log_likelihoods.max())
    return shares / shares.sum()


def reference_predictive(fits, family, size, shares=None):
    """(values y, P(Y = y)) of the predictive count at ``size``: the binomial (Poisson) mass over
    each fit's ``reference_latent``, the fits averaged by ``shares`` (by default their own
    likelihood shares)."""
    fits = [fits] if isinstance(fits, Fit) else list(fits)
    shares = np.ones(1) if len(fits) == 1 else likelihood_shares(fits) if shares is None else shares
    values, weight = [], []
    for share, fit in zip(shares, fits):
        latent, w = reference_latent(fit)
        cumulative = np.cumsum(w)
        inside = (cumulative > 1e-12) & (cumulative < 1 - 1e-12)  # a Poisson support up to the far tail is huge
        values.append(fit.shape.to_value(latent[inside]))
        weight.append(share * w[inside])
    values, weight = np.concatenate(values), np.concatenate(weight)
    if family is PROPORTION:
        y = np.arange(int(size) + 1)
        return y, binomial_mass(y, int(size), values) @ weight
    top = min(values.max(), 1e6 / size)
    y = np.arange(int(size * top + 60 * math.sqrt(size * top) + 60))
    return y, poisson_mass(y, size * values) @ weight


# The predictive references' mass by its log-space formula, not scipy's binom.pmf and poisson.pmf
# (which took 90% of this file's time): the two agree to 3e-12 relative on this file's models
# (gammaln's rounding at n = 1,000), far inside the 2e-3 and 0.02 tolerances they are used with.
def binomial_mass(y, n, values):
    """P(Y = y) for Y ~ Binomial(n, v): counts (rows) by values (columns)."""
    log_choose = gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1)
    # Logs of the values once, not per cell (xlogy on the matrix took twice as long); 0 * log(0) = 0
    # set by hand: a share of exactly 0 (or 1; the arcsine-normal clips there) puts all on 0 (or n).
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = log_choose[:, None] + np.outer(y, np.log(values)) + np.outer(n - y, np.log1p(-values))
    terms[:, values == 0] = np.where(y == 0, 0.0, -np.inf)[:, None]
    terms[:, values == 1] = np.where(y == n, 0.0, -np.inf)[:, None]
    return np.exp(terms)


def poisson_mass(y, means):
    """P(Y = y) for Y ~ Poisson(m): counts (rows) by means (columns)."""
    return np.exp(xlogy(y[:, None], means[None, :]) - means[None, :] - gammaln(y + 1)[:, None])


def limit_from_mass(y, mass, size, p, family):
    """Spiegelhalter's interpolated p-th limit of a count with mass ``mass`` on ``y``, as a value."""
    cdf = np.cumsum(mass)
    r = int(np.flatnonzero(cdf >= p - 1e-14)[0])
    upper, lower = cdf[r], (cdf[r - 1] if r > 0 else 0.0)
    alpha = (upper - p) / (upper - lower) if upper > lower else 0.0
    value = max(0.0, (r - alpha) / size)
    return min(value, 1.0) if family is PROPORTION else value


# --- exact.py --------------------------------------------------------------------------------------
CASES = [
    (PROPORTION, [1, 3, 5, 20, 57, 400], 0.05),
    (PROPORTION, [2, 10, 33], 0.5),
    (PROPORTION, [4, 30], 0.9),
    (RATIO, [0.3, 1.0, 2.5, 16.4, 90.0], 1.0),
    (RATIO, [4.0, 12.0], 0.6),
]


@pytest.mark.parametrize("family, sizes, target", CASES)
@pytest.mark.parametrize("p", [0.001, 0.025, 0.5, 0.975, 0.999])
def test_interpolated_limit_against_summed_probability_mass(family, sizes, target, p):
    got = interpolated_limit(family, sizes, target, p)
    want = [reference_limit(family, size, target, p) for size in sizes]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("family, sizes, target", CASES)
def test_tail_probabilities_against_summed_probability_mass(family, sizes, target):
    counts = [
        min(int(s * target * 1.7) + 1, int(s)) if family is PROPORTION else int(s * target * 1.7) + 1 for s in sizes
    ]
    counts[0] = 0
    high, low = tail_probabilities(family, counts, sizes, target)
    want = [reference_tails(family, c, s, target) for c, s in zip(counts, sizes)]
    assert high == pytest.approx([w[0] for w in want], rel=1e-9, abs=1e-15)
    assert low == pytest.approx([w[1] for w in want], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("family, sizes, target", CASES)
@pytest.mark.parametrize("alpha", [0.001, 0.025])
def test_attained_flag_rates_by_enumerating_every_count(family, sizes, target, alpha):
    high, low = attained_flag_rates(family, sizes, target, alpha)
    want = [reference_attained(family, s, target, alpha) for s in sizes]
    assert high == pytest.approx([w[0] for w in want], rel=1e-9, abs=1e-15)
    assert low == pytest.approx([w[1] for w in want], rel=1e-9, abs=1e-15)
    assert (high < alpha).all() and (low < alpha).all()
    assert high.dtype == np.float64 and low.dtype == np.float64


def test_flag_is_strict_and_high_first():
    got = flag([0.001, 0.0009, 0.5, 0.5, 0.0001], [0.5, 0.5, 0.001, 0.0009, 0.0002], 0.001)
    assert got.tolist() == ["", "high", "", "low", "high"]
    assert got.dtype == object


@pytest.mark.parametrize(
    "p",
    [[0.01, 0.04, 0.03, 0.005], [0.2, 0.2, 0.01, 0.9, 0.04], [0.5, 0.4, 0.3], [0.03, 0.01, 0.011, 0.5, 0.2, 0.0001]],
)
def test_holm_against_its_definition(p):
    assert holm(p).tolist() == pytest.approx(reference_holm(p), rel=1e-12)


# --- families.py -----------------------------------------------------------------------------------
def test_families_by_hand():
    assert FAMILIES == {"proportion": PROPORTION, "ratio": RATIO}
    assert (PROPORTION.count, PROPORTION.size, RATIO.count, RATIO.size) == ("events", "n", "observed", "expected")
    assert PROPORTION.theta_max == math.pi / 2 and RATIO.theta_max == math.inf
    assert PROPORTION.distribution(10, 0.3).pmf(3) == pytest.approx(binom.pmf(3, 10, 0.3))
    assert RATIO.distribution(4.0, 1.5).pmf(3) == pytest.approx(poisson.pmf(3, 6.0))
    assert PROPORTION.value([3, 0], [4, 8]).tolist() == [0.75, 0.0]
    assert PROPORTION.pooled_target([1, 3], [10, 30]) == 0.1
    assert RATIO.pooled_target([5, 30], [10, 10]) == 1.0
    assert PROPORTION.to_theta([0.25, 1.5, -0.2]).tolist() == pytest.approx([math.pi / 6, math.pi / 2, 0.0])
    assert RATIO.to_theta([4.0, -1.0]).tolist() == [2.0, 0.0]
    assert PROPORTION.from_theta([math.pi / 6, 2.0, -0.3]).tolist() == pytest.approx([0.25, 1.0, 0.0])
    assert RATIO.from_theta([1.5, -0.5, 1e9]).tolist() == [2.25, 0.0, 1e18]
    assert PROPORTION.theta_se([25, 100]).tolist() == [0.1, 0.05]
    assert PROPORTION.clip_value([-0.1, 0.5, 1.2]).tolist() == [0.0, 0.5, 1.0]
    assert RATIO.clip_value([-0.1, 0.5, 3.2]).tolist() == [0.0, 0.5, 3.2]
    theta = np.array([0.3, 0.9])
    assert PROPORTION.log_likelihood(3, 10, theta) == pytest.approx(binom.logpmf(3, 10, np.sin(theta) ** 2))
    assert RATIO.log_likelihood(3, 2.0, theta) == pytest.approx(poisson.logpmf(3, 2.0 * theta**2))


def test_simulate_draws_binomial_and_poisson_counts_from_the_generator():
    got = PROPORTION.simulate(np.random.default_rng(3), [10.0, 200.0], 0.3, shape=(5, 2))
    assert got.tolist() == np.random.default_rng(3).binomial([10, 200], 0.3, size=(5, 2)).tolist()
    got = RATIO.simulate(np.random.default_rng(3), [2.5, 40.0], 1.2, shape=(5, 2))
    assert got.tolist() == np.random.default_rng(3).poisson([3.0, 48.0], size=(5, 2)).tolist()
    got = PROPORTION.simulate(np.random.default_rng(4), [10, 20], [0.1, 0.9])
    assert got.tolist() == np.random.default_rng(4).binomial([10, 20], [0.1, 0.9]).tolist()


# --- dispersion.py ---------------------------------------------------------------------------------
def test_z_scores_phi_and_tau2_by_formula():
    count, size = [3, 40, 12, 0], [100, 400, 90, 30]
    target = 0.06
    z = z_scores(PROPORTION, count, size, target)
    assert z == pytest.approx(reference_z(PROPORTION, count, size, target), rel=1e-12)
    phi = phi_statistic(z)
    assert phi == pytest.approx(np.mean(z**2), rel=1e-12)
    assert spiegelhalter_tau2(phi, size, PROPORTION) == pytest.approx(reference_tau2(phi, size), rel=1e-12)
    assert reference_tau2(phi, size) > 0
    assert spiegelhalter_tau2(0.5, size, PROPORTION) == 0.0
    z = z_scores(RATIO, [4, 9, 0], [2.0, 12.5, 3.0], 1.0)
    assert z == pytest.approx(reference_z(RATIO, [4, 9, 0], [2.0, 12.5, 3.0], 1.0), rel=1e-12)
    # One target per replicate (row).
    rows = z_scores(PROPORTION, np.array([[3, 40], [5, 20]]), [100, 400], np.array([0.05, 0.1]))
    assert rows[0] == pytest.approx(reference_z(PROPORTION, [3, 40], [100, 400], 0.05))
    assert rows[1] == pytest.approx(reference_z(PROPORTION, [5, 20], [100, 400], 0.1))


def test_winsorise_by_hand():
    z = np.arange(11.0)
    assert winsorise(z, 0.0) is z
    assert winsorise(z, -0.1) is z
    assert winsorise(z, 0.1).tolist() == [1.0] + list(range(1, 10)) + [9.0]
    rows = np.array([np.arange(11.0), np.arange(11.0) * 2])
    assert winsorise(rows, 0.2)[1].tolist() == [4.0, 4.0, 4.0] + [6.0, 8.0, 10.0, 12.0, 14.0] + [16.0] * 3
    assert phi_statistic(z, 0.1) == pytest.approx(np.mean(np.clip(z, 1, 9) ** 2))


def reference_phi(z, fraction):
    if fraction > 0:
        low, high = np.quantile(z, [fraction, 1 - fraction])
        z = np.clip(z, low, high)
    return np.mean(z**2)


def reference_bootstrap_p(family, count, size, target, seed, replicates, fraction=0.0):
    size = np.asarray(size, float)
    null = sum(count) / size.sum() if (target is None and family is PROPORTION) else (1.0 if target is None else target)
    observed = reference_phi(reference_z(family, count, size, null), fraction)
    rng = np.random.default_rng(seed)
    if family is PROPORTION:
        sims = rng.binomial(size.astype(np.int64), null, size=(replicates, len(size)))
    else:
        sims = rng.poisson(size * null, size=(replicates, len(size)))
    extreme = 0
    for sim in sims:
        t = sim.sum() / size.sum() if (target is None and family is PROPORTION) else null
        extreme += reference_phi(reference_z(family, sim, size, t), fraction) >= observed * (1 - 1e-12)
    return (1 + extreme) / (replicates + 1)


@pytest.mark.parametrize(
    "family, count, size, target",
    [
        (PROPORTION, [3, 9, 5, 14, 2], [100, 150, 120, 200, 80], None),
        (PROPORTION, [3, 9, 5, 14, 2], [100, 150, 120, 200, 80], 0.04),
        (RATIO, [3, 9, 5, 14, 2], [4.0, 7.5, 5.5, 9.0, 3.1], None),
        (RATIO, [3, 9, 5, 14, 2], [4.0, 7.5, 5.5, 9.0, 3.1], 1.2),
    ],
)
def test_bootstrap_p_rewritten(family, count, size, target):
    got = bootstrap_p(family, count, size, target, np.random.default_rng(11), 199)
    assert got == pytest.approx(reference_bootstrap_p(family, count, size, target, 11, 199), abs=1e-12)


def test_bootstrap_p_winsorised_and_with_replicates_equal_to_the_data():
    count, size = [3, 9, 5, 14, 2, 0, 7], [100, 150, 120, 200, 80, 60, 90]
    got = bootstrap_p(PROPORTION, count, size, None, np.random.default_rng(5), 199, winsor_fraction=0.2)
    assert got == pytest.approx(reference_bootstrap_p(PROPORTION, count, size, None, 5, 199, 0.2), abs=1e-12)
    assert got != pytest.approx(reference_bootstrap_p(PROPORTION, count, size, None, 5, 199, 0.0), abs=1e-12)
    spread = dispersion(PROPORTION, count, size, None, np.random.default_rng(5), 199, winsor_fraction=0.2)
    assert spread.p_value == got
    # Expected counts of 0.01: most replicates are (0, 0), about 2% are (1, 0) or (0, 1), which equal
    # the data's phi exactly and count as at least as extreme.
    got = bootstrap_p(RATIO, [1, 0], [0.01, 0.01], 1.0, np.random.default_rng(6), 999)
    assert got == pytest.approx(reference_bootstrap_p(RATIO, [1, 0], [0.01, 0.01], 1.0, 6, 999), abs=1e-12)
    assert 0.01 < got < 0.05


def test_bootstrap_p_at_its_ends_by_hand():
    # Every share equal: phi is 0 and every replicate is at least as extreme: p = 1.
    assert bootstrap_p(PROPORTION, [5, 10, 15], [100, 200, 300], None, np.random.default_rng(1), 49) == 1.0
    assert bootstrap_p(RATIO, [4, 9], [4.0, 9.0], 1.0, np.random.default_rng(1), 49) == 1.0
    # Wildly spread: no replicate reaches it: p = 1 / (B + 1).
    assert bootstrap_p(PROPORTION, [0, 90, 1, 95], [100] * 4, None, np.random.default_rng(1), 49) == 1 / 50


def test_dispersion_result_and_its_threshold():
    spread = dispersion(PROPORTION, [0, 90, 1, 95], [100] * 4, None, np.random.default_rng(2), 19)
    # p = 1/20 = 0.05 is not below 0.05.
    assert (spread.units, spread.p_value, spread.over_dispersed) == (4, 0.05, False)
    z = reference_z(PROPORTION, [0, 90, 1, 95], [100] * 4, 186 / 400)
    assert spread.phi == pytest.approx(np.mean(z**2))
    assert spread.tau2 == pytest.approx(reference_tau2(np.mean(z**2), [100] * 4))
    spread = dispersion(PROPORTION, [0, 90, 1, 95], [100] * 4, None, np.random.default_rng(2), 39)
    assert (spread.p_value, spread.over_dispersed) == (1 / 40, True)
    spread = dispersion(RATIO, [0, 30], [5.0, 5.0], 2.0, np.random.default_rng(2), 39)
    assert spread.phi == pytest.approx(np.mean(reference_z(RATIO, [0, 30], [5.0, 5.0], 2.0) ** 2))
    one = dispersion(PROPORTION, [3], [10], None, np.random.default_rng(2), 19)
    assert one.units == 1 and math.isnan(one.phi) and one.tau2 == 0.0 and math.isnan(one.p_value)
    assert one.over_dispersed is False


# --- ranks.py --------------------------------------------------------------------------------------
class FixedUniforms:
    """Stands in for a generator: every draw of every unit is at the given probabilities."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities, float)

    def random(self, shape):
        return np.broadcast_to(self.probabilities[:, None], shape).copy()


def additive_fit(family, count, size, target, tau2):
    """The old additive model as a random-effects fit: N(transform(target), tau^2) on the arcsine
    (square-root) scale."""
    shape = ARCSINE_NORMAL if family is PROPORTION else ROOT_NORMAL
    nodes = nodes_for(family, count, size)
    return Fit(shape, float(family.to_theta(target)), math.sqrt(tau2), float("nan"), nodes)


def reference_posterior_quantiles(family, count, size, target, tau2, probabilities):
    """Quantiles of u's posterior, u ~ N(0, 1), theta = transform(target) + tau u, by a 200,001-point
    integration (the family's own likelihood on the stabilised scale)."""
    u = np.linspace(-9, 9, 200001)
    theta = family.to_theta(target) + math.sqrt(tau2) * u
    log_post = family.log_likelihood(count, size, theta) - 0.5 * u**2
    density = np.exp(log_post - log_post.max())
    cdf = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(u))])
    cdf /= cdf[-1]
    return np.interp(probabilities, cdf, u)


@pytest.mark.parametrize(
    "family, count, size, target, tau2",
    [
        (PROPORTION, [0, 4, 30], [50, 200, 300], 0.05, 0.004),
        (RATIO, [0, 3, 20], [1.2, 4.0, 11.0], 1.0, 0.05),
        (PROPORTION, [0, 4, 30], [50, 200, 300], 0.05, 1e-4),  # the prior dominates
        (RATIO, [0, 3, 20], [1.2, 4.0, 11.0], 1.0, 1e-3),
    ],
)
def test_posterior_draws_are_quantiles_of_the_exact_posterior(family, count, size, target, tau2):
    probabilities = [0.025, 0.25, 0.5, 0.75, 0.975]
    fit = additive_fit(family, count, size, target, tau2)
    got = posterior_draws(fit, family, count, size, FixedUniforms(probabilities), draws=5)
    assert got.shape == (5, 3)
    for unit in range(3):
        want = reference_posterior_quantiles(family, count[unit], size[unit], target, tau2, probabilities)
        sd = (want[3] - want[1]) / 1.35
        # Deterministic (fixed probabilities): the model's grid is within 0.02 sd of the
        # 200,001-point integration here.
        assert got[:, unit] == pytest.approx(want, abs=0.02 * sd)


def test_ranks_by_hand():
    assert ranks_high_first(np.array([0.2, 0.9, 0.5])).tolist() == [3, 1, 2]
    assert ranks_high_first(np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])).tolist() == [[3, 2, 1], [1, 3, 2]]
    assert observed_ranks([0.1, 0.3, 0.3, 0.0]).tolist() == [3, 1, 1, 4]


def test_rank_intervals_are_quantiles_of_the_drawn_ranks():
    count, size = [2, 9, 15, 30, 31], [100, 120, 110, 130, 125]
    fit = additive_fit(PROPORTION, count, size, 0.07, 0.01)
    got = rank_intervals(fit, PROPORTION, count, size, np.random.default_rng(8), draws=300)
    draws = posterior_draws(fit, PROPORTION, count, size, np.random.default_rng(8), 300)
    ranks = ranks_high_first(draws)
    low = [sorted(ranks[:, u])[int(math.floor(0.025 * 299))] for u in range(5)]
    high = [sorted(ranks[:, u])[int(math.ceil(0.975 * 299))] for u in range(5)]
    assert got[0].tolist() == low and got[1].tolist() == high
    assert got[0].dtype.kind == "i" and got[1].dtype.kind == "i"
    narrow = rank_intervals(fit, PROPORTION, count, size, np.random.default_rng(8), draws=300, level=0.5)
    assert [sorted(ranks[:, u])[int(math.floor(0.25 * 299))] for u in range(5)] == narrow[0].tolist()


def test_rank_intervals_whole_table_without_spread_or_units():
    low, high = rank_intervals(None, PROPORTION, [1, 5, 9], [50] * 3, np.random.default_rng(1))
    assert low.tolist() == [1, 1, 1] and high.tolist() == [3, 3, 3]
    fit = additive_fit(PROPORTION, [1], [50], 0.1, 0.3)
    low, high = rank_intervals(fit, PROPORTION, [1], [50], np.random.default_rng(1))
    assert low.tolist() == [1] and high.tolist() == [1]


# --- funnel.py: every column recomputed ------------------------------------------------------------
PROPORTION_FRAME = pd.DataFrame(
    {
        "unit": ["a", "b", "c", "d", "e", "f", "g", "h"],
        "events": [2, 30, 5, 60, 1, 12, 40, 8],
        "n": [400, 500, 300, 600, 200, 450, 350, 250],
    }
)
RATIO_FRAME = pd.DataFrame(
    {"unit": ["p", "q", "r", "s", "t"], "observed": [3, 10, 0, 25, 7], "expected": [5.2, 8.1, 1.3, 12.4, 9.9]}
)
COLUMNS = {
    "proportion": [
        "dataset",
        "unit",
        "events",
        "n",
        "value",
        "target",
        "z",
        "p_high",
        "p_low",
        "p_two_sided",
        "p_holm",
        "lower_95",
        "upper_95",
        "lower_99_8",
        "upper_99_8",
        "outside_95",
        "outside_99_8",
        "phi",
        "tau2",
        "dispersion_p",
        "over_dispersed",
        "model",
        "model_centre",
        "model_spread",
        "p_adjusted_high",
        "p_adjusted_low",
        "adj_lower_95",
        "adj_upper_95",
        "adj_lower_99_8",
        "adj_upper_99_8",
        "outside_adjusted_95",
        "outside_adjusted_99_8",
        "rank",
        "rank_low",
        "rank_high",
        "rank_note",
        "units",
        "expected_flags_95",
        "expected_flags_99_8",
    ]
}
COLUMNS["ratio"] = [{"events": "observed", "n": "expected"}.get(c, c) for c in COLUMNS["proportion"]]


def check_table(table, frame, family, target, replicates, draws, seed=SEED):
    count, size = frame[family.count].to_numpy(float), frame[family.size].to_numpy(float)
    assert list(table.columns) == COLUMNS[family.kind]
    benchmark = (count.sum() / size.sum() if family is PROPORTION else 1.0) if target is None else target
    assert (table["target"] == benchmark).all()
    assert table["value"].tolist() == pytest.approx((count / size).tolist())
    assert table["z"].tolist() == pytest.approx(reference_z(family, count, size, benchmark).tolist(), rel=1e-12)
    tails = [reference_tails(family, c, s, benchmark) for c, s in zip(count, size)]
    assert table["p_high"].tolist() == pytest.approx([t[0] for t in tails], rel=1e-9, abs=1e-15)
    assert table["p_low"].tolist() == pytest.approx([t[1] for t in tails], rel=1e-9, abs=1e-15)
    two = [min(1.0, 2 * min(t)) for t in tails]
    assert table["p_two_sided"].tolist() == pytest.approx(two, rel=1e-9, abs=1e-15)
    assert table["p_holm"].tolist() == pytest.approx(reference_holm(two), rel=1e-9, abs=1e-15)
    for name, alpha in (("95", 0.025), ("99_8", 0.001)):
        assert table[f"lower_{name}"].tolist() == pytest.approx(
            [reference_limit(family, s, benchmark, alpha) for s in size], rel=1e-9, abs=1e-12
        )
        assert table[f"upper_{name}"].tolist() == pytest.approx(
            [reference_limit(family, s, benchmark, 1 - alpha) for s in size], rel=1e-9, abs=1e-12
        )
        flags = ["high" if t[0] < alpha else "low" if t[1] < alpha else "" for t in tails]
        assert table[f"outside_{name}"].tolist() == flags
        rates = [reference_attained(family, s, benchmark, alpha) for s in size]
        assert table[f"expected_flags_{name}"].tolist() == pytest.approx([sum(map(sum, rates))] * len(size))
    phi = float(np.mean(reference_z(family, count, size, benchmark) ** 2))
    p = reference_bootstrap_p(family, count.astype(int), size, target, [seed, 0], replicates)
    assert table["phi"].tolist() == pytest.approx([phi] * len(size))
    assert table["tau2"].tolist() == pytest.approx([reference_tau2(phi, size)] * len(size))
    assert table["dispersion_p"].tolist() == pytest.approx([p] * len(size))
    assert table["over_dispersed"].tolist() == [p < 0.05] * len(size)
    assert table["units"].tolist() == [len(size)] * len(size)
    fit = check_adjusted(table, family, count, size, target, benchmark) if p < 0.05 else None
    if fit is None:
        assert table["model"].tolist() == ["none"] * len(size)
        assert table["rank_note"].str.startswith("not over-dispersed").all()
        for name in ("95", "99_8"):
            assert table[f"adj_lower_{name}"].isna().all() and table[f"adj_upper_{name}"].isna().all()
            assert table[f"outside_adjusted_{name}"].tolist() == [None] * len(size)
    assert table["rank"].tolist() == observed_ranks(count / size).tolist()
    low, high = rank_intervals(fit, family, count, size, np.random.default_rng([seed, 1]), draws)
    assert table["rank_low"].tolist() == low.tolist() and table["rank_high"].tolist() == high.tolist()
    for column in ("outside_95", "outside_99_8", "outside_adjusted_95", "outside_adjusted_99_8"):
        assert all(v is None or type(v) is str for v in table[column])


def check_adjusted(table, family, count, size, target, benchmark):
    """The chosen model is the better of the two fitted to all units; each unit's predictive mid-p
    values and limits (recomputed by brute-force integration) come from both models fitted to the
    others, with their fitting uncertainty, averaged by their likelihood shares on all the units."""
    nodes = nodes_for(family, count, size)
    fits = [fit_to_mean(shape, family, count, size, benchmark, nodes) for shape in SHAPES[family.kind]]
    fit = max(fits, key=lambda f: f.log_likelihood)
    assert table["model"].tolist() == [fit.shape.name] * len(size)
    assert table["model_spread"].tolist() == pytest.approx([fit.spread] * len(size))
    assert table["rank_note"].tolist() == [""] * len(size)
    # Every unit of a small table; the first two and last two of a larger one (the reference is slow).
    for unit in range(len(size)) if len(size) <= 8 else [0, 1, len(size) - 2, len(size) - 1]:
        keep = np.arange(len(size)) != unit
        own = (count[keep].sum() / size[keep].sum() if family is PROPORTION else 1.0) if target is None else target
        estimated = target is None and family is PROPORTION
        others = [
            with_uncertainty(
                fit_to_mean(shape, family, count[keep], size[keep], own, nodes),
                family,
                count[keep],
                size[keep],
                own,
                estimated,
            )
            for shape in SHAPES[family.kind]
        ]
        row = table.iloc[unit]
        # A spread fitted to 4 units is so uncertain that the predictive has mass far out, where a
        # reference summing the Poisson mass cannot reach: the recomputation needs 8 units or more.
        # (Computed once for both levels.)
        shares = likelihood_shares(fits)
        y, mass = reference_predictive(others, family, size[unit], shares) if len(size) >= 8 else (None, None)
        for name, alpha in (("95", 0.025), ("99_8", 0.001)):
            if len(size) >= 8:
                at = mass[y == count[unit]].sum() / 2
                p_high, p_low = mass[y > count[unit]].sum() + at, mass[y < count[unit]].sum() + at
                assert row["p_adjusted_high"] == pytest.approx(p_high, rel=2e-3, abs=1e-9)
                assert row["p_adjusted_low"] == pytest.approx(p_low, rel=2e-3, abs=1e-9)
                want = [limit_from_mass(y, mass, size[unit], q, family) for q in (alpha, 1 - alpha)]
                assert [row[f"adj_lower_{name}"], row[f"adj_upper_{name}"]] == pytest.approx(want, rel=2e-3, abs=1e-6)
            p_high, p_low = row["p_adjusted_high"], row["p_adjusted_low"]
            assert row[f"outside_adjusted_{name}"] == ("high" if p_high < alpha else "low" if p_low < alpha else "")
    return fit


@pytest.mark.parametrize(
    "frame, kind, target",
    [
        (PROPORTION_FRAME, "proportion", None),
        (PROPORTION_FRAME, None, 0.05),
        (RATIO_FRAME, "ratio", None),
        (RATIO_FRAME, None, 1.4),
    ],
)
def test_funnel_table_every_column_recomputed(frame, kind, target):
    table = funnel_table(frame, kind, target=target, replicates=99, rank_draws=200)
    family = PROPORTION if "events" in frame else RATIO
    check_table(table, frame, family, target, 99, 200)
    assert table["unit"].tolist() == frame["unit"].tolist()
    assert table["dataset"].tolist() == [""] * len(frame)
    assert table[family.count].tolist() == frame[family.count].tolist()
    assert table[family.size].tolist() == frame[family.size].tolist()


def test_funnel_table_default_seed_and_an_other_one():
    default = funnel_table(PROPORTION_FRAME, replicates=99, rank_draws=200)
    pd.testing.assert_frame_equal(default, funnel_table(PROPORTION_FRAME, seed=20050415, replicates=99, rank_draws=200))
    check_table(
        funnel_table(PROPORTION_FRAME, seed=7, replicates=99, rank_draws=200),
        PROPORTION_FRAME,
        PROPORTION,
        None,
        99,
        200,
        seed=7,
    )


def test_funnel_table_defaults_are_999_replicates_and_4000_draws():
    small = PROPORTION_FRAME.iloc[:4]
    table = funnel_table(small)
    check_table(table, small, PROPORTION, None, 999, 4000)


def test_funnel_table_not_over_dispersed_and_winsorised():
    frame = pd.DataFrame(
        {"unit": list("abcdef"), "events": [10, 20, 30, 41, 49, 61], "n": [100, 200, 300, 400, 500, 600]}
    )
    table = funnel_table(frame, replicates=99, rank_draws=200)
    assert not table["over_dispersed"].any()
    check_table(table, frame, PROPORTION, None, 99, 200)
    winsorised = funnel_table(PROPORTION_FRAME, replicates=99, rank_draws=200, winsor_fraction=0.2)
    z = reference_z(PROPORTION, PROPORTION_FRAME["events"], PROPORTION_FRAME["n"], winsorised["target"][0])
    low, high = np.quantile(z, [0.2, 0.8])
    assert winsorised["phi"][0] == pytest.approx(np.mean(np.clip(z, low, high) ** 2))


def test_funnel_table_datasets_in_their_order():
    frame = pd.concat([RATIO_FRAME.assign(dataset="later"), RATIO_FRAME.assign(dataset="earlier", observed=[1] * 5)])
    table = funnel_table(frame, replicates=99, rank_draws=200)
    assert table["dataset"].tolist() == ["later"] * 5 + ["earlier"] * 5
    assert table.index.tolist() == list(range(10))  # one row number per row, across datasets
    check_table(table.iloc[:5].reset_index(drop=True), RATIO_FRAME, RATIO, None, 99, 200)


# --- funnel_curves, told_apart_from_middle, flagged, table_family -----------------------------------
def test_funnel_curves_by_hand():
    frame = pd.concat(
        [
            PROPORTION_FRAME.assign(dataset="z"),
            pd.DataFrame({"unit": ["only"], "events": [3], "n": [40], "dataset": ["a"]}),
        ]
    )
    table = funnel_table(frame, replicates=99, rank_draws=200)
    curves = funnel_curves(table, points=50)
    assert list(curves.columns) == [
        "dataset",
        "n",
        "target",
        "lower_95",
        "upper_95",
        "adj_lower_95",
        "adj_upper_95",
        "lower_99_8",
        "upper_99_8",
        "adj_lower_99_8",
        "adj_upper_99_8",
    ]
    assert curves["dataset"].unique().tolist() == ["z", "a"]
    z = curves[curves["dataset"] == "z"]
    grid = np.unique(np.maximum(1, np.round(np.geomspace(200 * 0.9, 600 * 1.1, 50))))
    assert z["n"].tolist() == grid.tolist()
    first = table.iloc[0]
    assert (z["target"] == first["target"]).all()
    assert first["over_dispersed"]
    for name, alpha in (("95", 0.025), ("99_8", 0.001)):
        lower = [reference_limit(PROPORTION, s, first["target"], alpha) for s in grid]
        upper = [reference_limit(PROPORTION, s, first["target"], 1 - alpha) for s in grid]
        assert z[f"lower_{name}"].tolist() == pytest.approx(lower, rel=1e-9, abs=1e-12)
        assert z[f"upper_{name}"].tolist() == pytest.approx(upper, rel=1e-9, abs=1e-12)
        # The line is the models fitted to all 8 units with their uncertainty, averaged as the flags.
        count, size = table.loc[table["dataset"] == "z", "events"], table.loc[table["dataset"] == "z", "n"]
        count, size = count.to_numpy(float), size.to_numpy(float)
        fits = fit_models(PROPORTION, count, size, first["target"], nodes_for(PROPORTION, count, size))
        fits = [with_uncertainty(fit, PROPORTION, count, size, first["target"], True) for fit in fits]
        some = z.iloc[::12]
        masses = [reference_predictive(fits, PROPORTION, s) for s in some["n"]]  # once for both lines
        for column, q in ((f"adj_lower_{name}", alpha), (f"adj_upper_{name}", 1 - alpha)):
            want = [limit_from_mass(y, mass, s, q, PROPORTION) for (y, mass), s in zip(masses, some["n"])]
            # Computed at 40 sizes and interpolated on log n between them: close, not exact.
            assert some[column].tolist() == pytest.approx(want, rel=0.02, abs=5e-3)
    one = curves[curves["dataset"] == "a"]
    assert one["n"].tolist() == np.unique(np.maximum(1, np.round(np.geomspace(36, 44, 50)))).tolist()
    assert one["adj_lower_95"].isna().all()


def test_funnel_curves_for_a_ratio_keep_every_point():
    table = funnel_table(RATIO_FRAME, replicates=99, rank_draws=200)
    curves = funnel_curves(table)
    assert curves["expected"].tolist() == pytest.approx(np.geomspace(1.3 * 0.9, 12.4 * 1.1, 200).tolist())
    tiny = funnel_table(
        pd.DataFrame({"unit": ["a", "b"], "observed": [0, 1], "expected": [1e-4, 0.5]}), replicates=19, rank_draws=50
    )
    assert funnel_curves(tiny, points=5)["expected"].tolist() == pytest.approx(np.geomspace(1e-3, 0.55, 5).tolist())


def test_told_apart_from_middle_by_hand():
    table = pd.DataFrame(
        {
            "dataset": ["x"] * 5 + ["w"] * 2,
            "unit": ["a", "b", "c", "d", "e", "f", "g"],
            "rank": [2, 1, 3, 5, 4, 1, 2],
            "rank_low": [1, 1, 2, 4, 4, 1, 1],
            "rank_high": [2, 2, 3, 5, 5, 2, 2],
        }
    )
    got = told_apart_from_middle(table)
    assert got.to_dict("records") == [
        {
            "dataset": "x",
            "units": 5,
            "middle_rank": 3.0,
            "above_middle": 2,
            "below_middle": 2,
            "told_apart": 4,
            "above_middle_units": "b, a",
            "below_middle_units": "e, d",
        },
        {
            "dataset": "w",
            "units": 2,
            "middle_rank": 1.5,
            "above_middle": 0,
            "below_middle": 0,
            "told_apart": 0,
            "above_middle_units": "",
            "below_middle_units": "",
        },
    ]
    # A unit whose interval ends at the middle rank is not told apart from it.
    edge = table.assign(rank_high=[3, 2, 3, 5, 5, 2, 2], rank_low=[1, 1, 2, 3, 4, 1, 1])
    row = told_apart_from_middle(edge).iloc[0]
    assert (row["above_middle_units"], row["below_middle_units"]) == ("b", "e")


def test_flagged_by_hand():
    table = pd.DataFrame(
        {
            "dataset": [""] * 4,
            "unit": ["a", "b", "c", "d"],
            "value": [0.1, 0.2, 0.3, 0.4],
            "target": [0.2] * 4,
            "outside_99_8": ["high", "", "low", "high"],
            "outside_95": ["high", "low", "low", "high"],
            "p_high": [0.0001, 0.5, 0.9, 0.0002],
            "p_low": [0.9, 0.02, 0.0001, 0.9],
            "p_two_sided": [0.0002, 0.04, 0.0002, 0.0004],
            "p_holm": [0.0008, 0.04, 0.0008, 0.0008],
            "outside_adjusted_99_8": [None] * 4,
            "outside_adjusted_95": [None] * 4,
            "rank": [4, 3, 2, 1],
            "rank_low": [1] * 4,
            "rank_high": [4] * 4,
        },
        index=[10, 11, 12, 13],
    )
    got = flagged(table)
    assert list(got.columns) == [
        "dataset",
        "unit",
        "value",
        "target",
        "outside_99_8",
        "p_high",
        "p_low",
        "p_two_sided",
        "p_holm",
        "outside_adjusted_99_8",
        "rank",
        "rank_low",
        "rank_high",
    ]
    assert got["unit"].tolist() == ["a", "c", "d"]
    assert got.index.tolist() == [0, 1, 2]
    assert flagged(table, "95")["unit"].tolist() == ["a", "c", "d", "b"]


def test_table_family():
    assert table_family(pd.DataFrame(columns=["events", "n"])) is PROPORTION
    assert table_family(pd.DataFrame(columns=["unit", "observed", "expected"])) is RATIO
    with pytest.raises(
        ValueError, match="^not a funnel_table output: it has neither events and n nor observed and expected$"
    ):
        table_family(pd.DataFrame(columns=["unit", "events"]))


def test_funnel_table_warns_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = funnel_table(
            pd.concat([PROPORTION_FRAME, pd.DataFrame({"unit": ["z"], "events": [0], "n": [3]})]),
            replicates=49,
            rank_draws=100,
        )
        funnel_curves(table, points=20)


# --- validate.py: every check, its row, column and words -------------------------------------------
def frame(**columns):
    return pd.DataFrame(columns)


TWICE = "unit 'a' appears twice (also row 1; names are compared without surrounding spaces): give each unit one row"
BAD = [
    (frame(unit=[], events=[], n=[]), "proportion", None, None, "the table has no data rows"),
    (
        frame(unit=["a"], events=[1]),
        "proportion",
        None,
        None,
        "missing column 'n' (a proportion funnel needs unit, events, n; dataset is optional)",
    ),
    (
        frame(events=[1], n=[2]),
        "proportion",
        None,
        None,
        "missing column 'unit' (a proportion funnel needs unit, events, n; dataset is optional)",
    ),
    (
        frame(unit=["a"], observed=[1]),
        "ratio",
        None,
        None,
        "missing column 'expected' (a ratio funnel needs unit, observed, expected; dataset is optional)",
    ),
    (frame(unit=["a", "b"], events=[1, -2], n=[5, 5]), "proportion", 2, "events", "events is negative (-2)"),
    (
        frame(unit=["a", "b"], events=[1, 2.5], n=[5, 5]),
        "proportion",
        2,
        "events",
        "events must be a whole number (2.5)",
    ),
    (frame(unit=["a", "b"], events=[1, 2], n=[5, 5.5]), "proportion", 2, "n", "n must be a whole number (5.5)"),
    (frame(unit=["a", "b"], events=[0, 0], n=[5, 0]), "proportion", 2, "n", "n must be at least 1 (0)"),
    (frame(unit=["a", "b"], events=[0, 6], n=[5, 5]), "proportion", 2, "events", "events (6) exceed n (5)"),
    (
        frame(unit=["a", "b"], observed=[0, -1], expected=[1.0, 2.0]),
        "ratio",
        2,
        "observed",
        "observed is negative (-1)",
    ),
    (
        frame(unit=["a", "b"], observed=[0, 1.5], expected=[1.0, 2.0]),
        "ratio",
        2,
        "observed",
        "observed must be a whole number (1.5)",
    ),
    (
        frame(unit=["a", "b"], observed=[0, 1], expected=[1.0, 0.0]),
        "ratio",
        2,
        "expected",
        "expected must be above 0 (0)",
    ),
    (frame(unit=["a", "b"], events=["1", " x "], n=["5", "5"]), "proportion", 2, "events", "' x ' is not a number"),
    (frame(unit=["a", "b"], events=["1", "  "], n=["5", "5"]), "proportion", 2, "events", "is empty"),
    (frame(unit=["a", "b"], events=[1.0, np.nan], n=[5, 5]), "proportion", 2, "events", "is empty"),
    (frame(unit=["a", "b"], events=[1.0, np.inf], n=[5, 5]), "proportion", 2, "events", "'inf' is not a number"),
    (frame(unit=["a", " "], events=[1, 2], n=[5, 5]), "proportion", 2, "unit", "unit is empty"),
    (frame(unit=["a", None], events=[1, 2], n=[5, 5]), "proportion", 2, "unit", "unit is empty"),
    (frame(unit=["a", "b", "a"], events=[1, 2, 3], n=[5, 5, 5]), "proportion", 3, "unit", TWICE),
    (
        frame(unit=["a", "a", "a"], events=[1, 2, 3], n=[5, 5, 5], dataset=["x", "y", "y"]),
        "proportion",
        3,
        "unit",
        "unit 'a' appears twice in dataset 'y' (also row 2; names are compared without surrounding spaces): "
        "give each unit one row",
    ),
]


@pytest.mark.parametrize("bad, kind, row, column, words", BAD)
def test_every_input_check_with_its_exact_message(bad, kind, row, column, words):
    with pytest.raises(FunnelInputError) as caught:
        validated(bad, infer_family(bad, kind))
    error = caught.value
    assert (error.problem, error.row, error.column) == (words, row, column)
    where = ([f"row {row}"] if row is not None else []) + ([f"column {column!r}"] if column is not None else [])
    assert str(error) == (f"{', '.join(where)}: {words}" if where else words)


def test_input_error_with_a_column_but_no_row():
    assert str(FunnelInputError("bad", column="n")) == "column 'n': bad"
    assert str(FunnelInputError("bad", row=4)) == "row 4: bad"


def test_infer_family():
    assert infer_family(frame(unit=[], events=[], n=[])) is PROPORTION
    assert infer_family(frame(events=[], n=[])) is PROPORTION
    assert infer_family(frame(observed=[], expected=[])) is RATIO
    assert infer_family(frame(unit=[], observed=[], expected=[])) is RATIO
    assert infer_family(frame(unit=[]), "ratio") is RATIO
    with pytest.raises(FunnelInputError) as caught:
        infer_family(frame(unit=[]), "share")
    assert str(caught.value) == "kind must be 'proportion' or 'ratio', not 'share'"
    for columns in (["unit"], ["unit", "events", "n", "observed", "expected"]):
        with pytest.raises(FunnelInputError) as caught:
            infer_family(pd.DataFrame(columns=columns))
        assert str(caught.value) == (
            f"cannot tell the kind of funnel from the columns ({', '.join(columns)}): give either events and n "
            "(proportion) or observed and expected (ratio), or say which with kind"
        )
    with pytest.raises(FunnelInputError, match="^--kind must be"):
        infer_family(frame(unit=[]), "share", option="--kind")


def test_validated_reads_numbers_written_as_text_and_keeps_the_order():
    raw = pd.DataFrame(
        {"unit": ["b", "a", 7], "events": [" 3", "0 ", "2"], "n": ["10", " 20 ", "5"], "dataset": ["x", None, "x"]},
        index=[9, 4, 1],
    )
    clean = validated(raw, PROPORTION)
    assert clean.to_dict("list") == {
        "dataset": ["x", "", "x"],
        "unit": ["b", "a", "7"],
        "events": [3.0, 0.0, 2.0],
        "n": [10.0, 20.0, 5.0],
    }
    assert clean.index.tolist() == [0, 1, 2]
    plain = validated(pd.DataFrame({"unit": ["a"], "observed": [np.int64(2)], "expected": [1.5]}), RATIO)
    assert plain.to_dict("list") == {"dataset": [""], "unit": ["a"], "observed": [2.0], "expected": [1.5]}
    assert plain["observed"].dtype == np.float64
    typed = pd.DataFrame(
        {"unit": pd.Series(["a"], dtype="string"), "events": pd.Series(["4"], dtype="string"), "n": [9]}
    )
    assert validated(typed, PROPORTION)["events"].tolist() == [4.0]


def test_dispersion_dataclass_fields():
    spread = Dispersion(3, 1.2, 0.01, 0.2, False)
    assert (spread.units, spread.phi, spread.tau2, spread.p_value, spread.over_dispersed) == (3, 1.2, 0.01, 0.2, False)
    assert norm.ppf(0.999) == pytest.approx(3.090232306167813)


def test_limits_and_table_columns_are_floats():
    for family, sizes, target in CASES:
        for p in (0.001, 0.975):
            assert interpolated_limit(family, np.array(sizes, float), target, p).dtype == np.float64
    table = funnel_table(PROPORTION_FRAME, replicates=49, rank_draws=100)
    numeric = [
        "value",
        "z",
        "p_high",
        "p_low",
        "p_two_sided",
        "p_holm",
        "lower_95",
        "upper_95",
        "lower_99_8",
        "upper_99_8",
        "adj_lower_95",
        "adj_upper_95",
        "adj_lower_99_8",
        "adj_upper_99_8",
        "phi",
        "tau2",
        "dispersion_p",
        "expected_flags_95",
        "expected_flags_99_8",
    ]
    assert (table[numeric].dtypes == np.float64).all()
    assert table["rank"].dtype.kind == "i" and table["rank_low"].dtype.kind == "i"


def test_validated_strips_spreadsheet_spaces_from_every_kind_of_text_column():
    nbsp = "\u00a0"
    raw = pd.DataFrame({"unit": ["a", "b"], "events": [f"{nbsp}3", "2"], "n": [f" 10{nbsp}", "20"]})
    assert validated(raw, PROPORTION)[["events", "n"]].to_numpy().tolist() == [[3.0, 10.0], [2.0, 20.0]]
    typed = pd.DataFrame({"unit": ["a", "b"], "events": pd.Series([f" 4{nbsp}", "1"], dtype="string"), "n": [9, 9]})
    assert validated(typed, PROPORTION)["events"].tolist() == [4.0, 1.0]
    mixed = pd.DataFrame({"unit": ["a", "b"], "events": pd.Series([1, f" 2{nbsp}"], dtype=object), "n": [9, 9]})
    assert validated(mixed, PROPORTION)["events"].tolist() == [1.0, 2.0]
    empty = pd.DataFrame({"unit": ["a", "b"], "events": pd.Series(["1", ""], dtype="string"), "n": [9, 9]})
    with pytest.raises(FunnelInputError) as caught:
        validated(empty, PROPORTION)
    assert (caught.value.problem, caught.value.row, caught.value.column) == ("is empty", 2, "events")


def test_scales_and_limits_accept_numbers_held_as_python_objects():
    # An object column (as pandas gives for a column of mixed types) must give the same floats.
    sizes = np.array([25, 100, 400], dtype=object)
    counts = np.array([1, 30, 0], dtype=object)
    for family in (PROPORTION, RATIO):
        for name, got, want in [
            ("value", family.value(counts, sizes), family.value(counts.astype(float), sizes.astype(float))),
            ("theta_se", family.theta_se(sizes), family.theta_se(sizes.astype(float))),
            ("to_theta", family.to_theta(np.array([0, 1, 2], dtype=object)), family.to_theta([0.0, 1.0, 2.0])),
            ("from_theta", family.from_theta(np.array([0, 1, 2], dtype=object)), family.from_theta([0.0, 1.0, 2.0])),
            (
                "limit",
                interpolated_limit(family, sizes, 0.2, 0.975),
                interpolated_limit(family, [25.0, 100.0, 400.0], 0.2, 0.975),
            ),
        ]:
            assert got.dtype == np.float64, (family.kind, name)
            assert got.tolist() == want.tolist(), (family.kind, name)
    assert PROPORTION.distribution(sizes, 0.2).mean().tolist() == [5.0, 20.0, 80.0]
    assert RATIO.distribution(sizes, 0.2).mean().tolist() == [5.0, 20.0, 80.0]


def test_rank_intervals_of_two_units_far_apart():
    fit = additive_fit(PROPORTION, [5, 95], [100, 100], 0.5, 0.5)
    low, high = rank_intervals(fit, PROPORTION, [5, 95], [100, 100], np.random.default_rng(3), draws=200)
    assert low.tolist() == [2, 1] and high.tolist() == [2, 1]


def test_rank_interval_upper_end_is_a_rank_that_occurred_rounded_outwards():
    # Five close units: the 97.5% point falls between two different ranks for at least one unit,
    # where 'higher' takes the larger (interpolating and truncating would take the smaller).
    count, size = [20, 22, 24, 26, 28], [100] * 5
    fit = additive_fit(PROPORTION, count, size, 0.24, 0.01)
    ranks = ranks_high_first(posterior_draws(fit, PROPORTION, count, size, np.random.default_rng(4), 101))
    high = [sorted(ranks[:, u])[math.ceil(0.975 * 100)] for u in range(5)]
    truncated = [int(np.quantile(ranks[:, u], 0.975)) for u in range(5)]
    assert high != truncated
    got = rank_intervals(fit, PROPORTION, count, size, np.random.default_rng(4), draws=101)
    assert got[1].tolist() == high
    assert got[0].tolist() == [sorted(ranks[:, u])[math.floor(0.025 * 100)] for u in range(5)]


def test_adjusted_flags_where_units_lie_beyond_the_adjusted_limits():
    events = [30, 40, 50, 60, 70, 45, 55, 35, 65, 50, 42, 58, 48, 52, 38, 62, 200, 5]
    frame = pd.DataFrame({"unit": [f"u{i}" for i in range(18)], "events": events, "n": [1000] * 18})
    table = funnel_table(frame, replicates=99, rank_draws=200)
    assert table["over_dispersed"].all()
    check_table(table, frame, PROPORTION, None, 99, 200)
    assert table["outside_adjusted_95"].tolist() == [""] * 16 + ["high", "low"]
    # Judged against the logit-normal fitted to the other 17 (leave-one-out), the two far units are
    # unusual at 99.8% too (against a spread they inflate themselves, they were not).
    logit = funnel_table(frame, replicates=99, rank_draws=200, models=("logit-normal",))
    assert logit["outside_adjusted_99_8"].tolist() == [""] * 16 + ["high", "low"]
    # With both models averaged, the arcsine-normal (weight 0.39 on all 18: its spread stretched by
    # the two) reaches a share of 0, so 5 in 1,000 is low at 95% only; the high unit stays high.
    assert table["outside_adjusted_99_8"].tolist() == [""] * 16 + ["high", ""]


def test_funnel_curves_have_a_fresh_index():
    frame = pd.concat([RATIO_FRAME.assign(dataset="x"), RATIO_FRAME.assign(dataset="y")])
    curves = funnel_curves(funnel_table(frame, replicates=19, rank_draws=50), points=30)
    assert curves.index.tolist() == list(range(60))


def test_flagged_keeps_the_table_order_among_equal_p_values():
    units = [f"u{i:02d}" for i in range(40)]
    table = pd.DataFrame(
        {
            "dataset": "",
            "unit": units,
            "value": 0.5,
            "target": 0.2,
            "outside_99_8": "high",
            "p_high": 1e-5,
            "p_low": 1.0,
            "p_two_sided": [2e-5] * 20 + [1e-5] * 20,
            "p_holm": 1e-3,
            "outside_adjusted_99_8": None,
            "rank": 1,
            "rank_low": 1,
            "rank_high": 40,
        }
    )
    assert flagged(table)["unit"].tolist() == units[20:] + units[:20]
