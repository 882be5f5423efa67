"""How often the adjusted (random-effects, leave-one-out) flags fire when a known model is the truth:
the seeded simulation behind docs/reliability.md's tables (``benchmarks/bench_funnel_models.py``)
and the fast check in the tests.

Each replicate draws every unit's count from ``truth``, fits the models without each unit as
``funnel_table`` does, and finds the counts that unit would be flagged at. Its chance of a flag is
then computed EXACTLY from the truth (its count is independent of the others, which decide its
thresholds): far less noise than counting flags (Rao-Blackwellisation), so that a 99.8% rate per
unit is measurable. Simplifications, said with the figures: the over-dispersion test is taken to
reject (phi is about 24 at the real data's parameters), and the models' weights as fixed given the
data (they also use the unit's own count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crimeoutcomes.funnels.families import Family
from crimeoutcomes.funnels.predictive import Predictive, flag_counts, leave_one_out_fits, mixture_cdf, predictive_of
from crimeoutcomes.funnels.random_effects import Fit, fit_models, model_weights

#: One-sided tail of each level, as the funnel's.
LEVELS = {"95": 0.025, "99_8": 0.001}


@dataclass(frozen=True)
class FlagRates:
    """Per unit: the mean chance of an adjusted flag (high or low) at each level, and what the true
    parameters themselves would give (the same mid-p test with the truth as the model)."""

    rates: dict  # level -> array per unit
    low_rates: dict  # level -> array per unit (the low side alone)
    oracle: dict  # level -> array per unit
    chosen: dict  # model name -> replicates choosing it
    by_choice: dict  # model name -> level -> sum of its replicates' mean rates (their part of the rate)


def flag_chance(judge: Fit | list[Fit] | Predictive, truth: Fit, family: Family, size, alpha: float) -> tuple:
    """(high, low) chance per unit that its count, drawn from ``truth``, is flagged by ``judge``."""
    high_from, low_to = flag_counts(judge, family, size, alpha)
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
    by_choice: dict[str, dict[str, float]] = {}
    for _ in range(replicates):
        count = simulate_counts(truth, family, size, rng).astype(float)
        fits = fit_models(family, count, size, family.pooled_target(count, size), truth.nodes, models)
        name = max(fits, key=lambda fit: fit.log_likelihood).shape.name
        chosen[name] = chosen.get(name, 0) + 1
        this = by_choice.setdefault(name, dict.fromkeys(LEVELS, 0.0))
        for unit, others in enumerate(leave_one_out_fits(family, count, size, None, truth.nodes, models)):
            if others is None:
                continue
            judge = predictive_of(others, size[unit : unit + 1], model_weights(fits))
            for level, alpha in LEVELS.items():
                high, low = flag_chance(judge, truth, family, size[unit : unit + 1], alpha)
                sums[level][unit] += high[0] + low[0]
                low_sums[level][unit] += low[0]
                this[level] += (high[0] + low[0]) / len(size)
    oracle = {}
    for name, alpha in LEVELS.items():
        high, low = flag_chance(truth, truth, family, size, alpha)
        oracle[name] = high + low
    return FlagRates(
        {name: total / replicates for name, total in sums.items()},
        {name: total / replicates for name, total in low_sums.items()},
        oracle,
        chosen,
        by_choice,
    )
