"""How often the adjusted (random-effects, leave-one-out) flags fire when a known model is the truth:
the seeded simulation behind docs/reliability.md's tables (``benchmarks/bench_funnel_models.py``)
and the fast check in the tests.

Each replicate draws every unit's true value from ``truth`` and its count given it, chooses and
fits the model as ``funnel_table`` does (the better of the family's two by likelihood, its mean at
the pooled share), fits it again without each unit, and finds the counts that unit would be
flagged at. The unit's chance of a flag in that replicate is then computed EXACTLY from the truth
(its count is independent of the other units, which alone decide its thresholds), not by drawing
one count: the average over replicates estimates each unit's flag rate with far less noise than
counting flags would (Rao-Blackwellisation), which is what makes a 99.8% rate per unit measurable.

Two simplifications, both said where the figures are shown: the over-dispersion test is taken as
rejecting (at parameters fitted to the real data phi is about 24 and it rejects in every replicate),
and the choice of model is treated as fixed given the data (it also uses the unit's own count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crimeoutcomes.stats.families import Family
from crimeoutcomes.stats.predictive import flag_counts, leave_one_out_fits, mixture_cdf
from crimeoutcomes.stats.random_effects import Fit, choose_model

#: One-sided tail of each level, as the funnel's.
LEVELS = {"95": 0.025, "99_8": 0.001}


@dataclass(frozen=True)
class FlagRates:
    """Per unit: the mean chance of an adjusted flag (high or low) at each level, and what the true
    parameters themselves would give (the same exact test with the truth as the model)."""

    rates: dict  # level -> array per unit
    low_rates: dict  # level -> array per unit (the low side alone)
    oracle: dict  # level -> array per unit
    chosen: dict  # model name -> replicates choosing it


def flag_chance(judge: Fit, truth: Fit, family: Family, size, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(high, low) chance per unit that its count, drawn from ``truth``, is flagged by ``judge``."""
    high_from, low_to = flag_counts(judge, family, size, alpha)
    truth = truth.for_prediction(size)
    high = 1 - mixture_cdf(truth, family, high_from - 1, size)
    low = np.where(low_to >= 0, mixture_cdf(truth, family, low_to, size), 0.0)
    return high, low


def simulate_counts(truth: Fit, family: Family, size, rng: np.random.Generator) -> np.ndarray:
    value = truth.shape.to_value(truth.centre + truth.spread * rng.standard_normal(len(size)))
    return family.simulate(rng, size, value)


def adjusted_flag_rates(
    truth: Fit, family: Family, size, rng: np.random.Generator, replicates: int, models: tuple[str, ...] | None = None
) -> FlagRates:
    """Seeded simulation at the units' ``size`` (see the module's docstring); ``models`` restricts
    the choice (one name: the flags given that model, without the chance of choosing the other)."""
    size = np.asarray(size, dtype=float)
    sums = {name: np.zeros(len(size)) for name in LEVELS}
    low_sums = {name: np.zeros(len(size)) for name in LEVELS}
    chosen: dict[str, int] = {}
    for _ in range(replicates):
        count = simulate_counts(truth, family, size, rng).astype(float)
        fit = choose_model(family, count, size, family.pooled_target(count, size), truth.nodes, models)
        chosen[fit.shape.name] = chosen.get(fit.shape.name, 0) + 1
        for unit, others in enumerate(leave_one_out_fits(fit.shape, family, count, size, None, truth.nodes)):
            if others is None:
                continue
            for name, alpha in LEVELS.items():
                high, low = flag_chance(others, truth, family, size[unit : unit + 1], alpha)
                sums[name][unit] += high[0] + low[0]
                low_sums[name][unit] += low[0]
    oracle = {}
    for name, alpha in LEVELS.items():
        high, low = flag_chance(truth, truth, family, size, alpha)
        oracle[name] = high + low
    return FlagRates(
        {name: total / replicates for name, total in sums.items()},
        {name: total / replicates for name, total in low_sums.items()},
        oracle,
        chosen,
    )
