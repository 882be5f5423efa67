"""Funnel plots with exact limits, calibrated over-dispersion and rank intervals: the Python
counterpart of R's FunnelPlotR and PHEindicatormethods, pandas in and pandas out.

``funnel_table(frame, kind)`` takes ``unit, events, n`` (a proportion) or ``unit, observed,
expected`` (an observed/expected ratio), with an optional ``dataset`` column whose values are
analysed separately, and returns one row per dataset x unit. ``funnel_curves(table)`` gives the
lines to draw. The method and its references are in docs/method.md; in short:

* target: the pooled proportion (sum events / sum n), or 1 for a ratio, unless one is given;
* limits: exact binomial or Poisson quantiles interpolated as in Spiegelhalter (2005, appendix),
  clipped to the possible range, at 95% and 99.8%, for drawing;
* flags: exact one-sided tail probabilities, high iff P(Y >= y) < 0.001 (99.8%) or 0.025 (95%),
  low likewise with P(Y <= y); so an in-control unit is flagged at most at the nominal rate;
* over-dispersion: phi from unwinsorised z on the arcsine (proportion) or square-root (ratio)
  scale, tested by parametric bootstrap; tau^2 by Spiegelhalter's moment estimator on that scale;
* where the test says over-dispersed, a random-effects model chosen by likelihood (logit-normal or
  arcsine-normal; log-normal or square-root-normal), its mean at the target (``random_effects``);
  each unit's adjusted limits, flags and (mid-)p-values from the models fitted WITHOUT it
  (leave-one-out, ``predictive``), averaged by their Akaike weights and integrated over their
  fitting uncertainty, so a unit can be unusual on either side once the spread is allowed for;
* ranks: 1 = highest, with 95% intervals from the chosen model's posterior, or the whole table
  when the units are not shown to differ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimeoutcomes.funnels.dispersion import BOOTSTRAP_REPLICATES, dispersion, z_scores
from crimeoutcomes.funnels.exact import attained_flag_rates, flag, holm, interpolated_limit, tail_probabilities
from crimeoutcomes.funnels.families import FAMILIES, Family
from crimeoutcomes.funnels.predictive import (
    leave_one_out_fits,
    predictive_limits,
    predictive_of,
    predictive_tails,
    uncertain_fits,
)
from crimeoutcomes.funnels.random_effects import SHAPE_NAMES, Fit, fit_models, fittable, model_weights, nodes_for
from crimeoutcomes.funnels.ranks import RANK_DRAWS, observed_ranks, rank_intervals
from crimeoutcomes.funnels.validate import infer_family, validated

#: One-sided tail probability of each pair of limits: 95% and 99.8% two-sided.
LEVELS = {"95": 0.025, "99_8": 0.001}
SEED = 20050415  # any fixed number: outputs must not change from run to run
#: The adjusted limits' (level, side) and their probabilities, found in one bisection.
_LIMIT_KEYS = [(name, side) for name in LEVELS for side in ("lower", "upper")]
_LIMIT_PROBABILITIES = [
    alpha if side == "lower" else 1 - alpha for alpha in LEVELS.values() for side in ("lower", "upper")
]

DATASET_COLUMNS = ["phi", "tau2", "dispersion_p", "over_dispersed", "model", "model_centre", "model_spread", "units"]
DATASET_COLUMNS += ["expected_flags_95", "expected_flags_99_8"]
#: Sizes at which the adjusted lines of ``funnel_curves`` are computed (interpolated between).
ADJUSTED_CURVE_POINTS = 40
#: The ``model`` of a dataset whose units are not shown to differ (no adjusted limits, whole-table ranks).
NO_MODEL = "none"
CANNOT_BE_TOLD_APART = "not over-dispersed: the units cannot be told apart (whole-table interval)"


def funnel_table(
    frame: pd.DataFrame,
    kind: str | None = None,
    *,
    target: float | None = None,
    seed: int = SEED,
    replicates: int = BOOTSTRAP_REPLICATES,
    rank_draws: int = RANK_DRAWS,
    winsor_fraction: float = 0.0,
    models: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per dataset x unit: value, exact limits and flags with p-values, over-dispersion
        and adjusted limits, rank with its 95% interval.

        ``kind`` is 'proportion' or 'ratio' (inferred from the columns when None). ``target`` replaces
        the pooled proportion (or 1) as the benchmark. ``models`` restricts the random-effects models
    compared (by name, e.g. ``("arcsine-normal",)``). Bad input raises ``FunnelInputError`` (a
        ``CrimeOutcomesError``) naming the data row and the column.

        Columns: dataset, unit, the two inputs, value, target, z (stabilised scale), p_high = P(Y >= y),
        p_low = P(Y <= y), p_two_sided, p_holm; lower/upper_95 and _99_8 (exact, interpolated, clipped);
        outside_95, outside_99_8 ('high', 'low' or ''); phi, tau2, dispersion_p, over_dispersed;
        adj_lower/adj_upper_95 and _99_8 (NaN when not over-dispersed); outside_adjusted_95/_99_8
        (None when not over-dispersed); model (the random-effects model used, or 'none' when not
        over-dispersed), model_centre and model_spread (its fit to all units, on its own scale),
        p_adjusted_high and p_adjusted_low (each unit's mid-p tails under the models fitted without it);
        rank (1 = highest), rank_low, rank_high, rank_note (says when the units cannot be told apart); units,
        expected_flags_95, expected_flags_99_8 (flags that chance alone would give in the dataset).
    """
    family = infer_family(frame, kind)
    unknown = [
        name for name in models or () if SHAPE_NAMES.get(name, None) is None or SHAPE_NAMES[name].kind != family.kind
    ]
    if unknown:
        raise ValueError(f"models {unknown} are not {family.kind} models: {[n for n in SHAPE_NAMES]}")
    clean = validated(frame, family)
    parts = [
        _one_dataset(part, family, target, seed, replicates, rank_draws, winsor_fraction, models)
        for _, part in clean.groupby("dataset", sort=False)
    ]
    table = pd.concat(parts, ignore_index=True)
    # The lines of ``funnel_curves`` average the same models as the flags.
    table.attrs["models"] = tuple(models) if models else None
    return table


def _one_dataset(
    part: pd.DataFrame,
    family: Family,
    target: float | None,
    seed: int,
    replicates: int,
    rank_draws: int,
    winsor_fraction: float,
    models: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    count, size = part[family.count].to_numpy(float), part[family.size].to_numpy(float)
    benchmark = family.pooled_target(count, size) if target is None else float(target)
    # Separate seeded streams, so that changing the number of rank draws leaves the test alone.
    spread = dispersion(family, count, size, target, np.random.default_rng([seed, 0]), replicates, winsor_fraction)
    out = _exact_columns(part, family, count, size, benchmark)
    out = out.assign(
        phi=spread.phi,
        tau2=spread.tau2,
        dispersion_p=spread.p_value,
        over_dispersed=spread.over_dispersed,
        units=len(count),
    )
    # The model is fitted only where the test says the units differ: otherwise nothing uses it.
    fitted = spread.over_dispersed and fittable(family, benchmark)
    fits = fit_models(family, count, size, benchmark, nodes_for(family, count, size), models) if fitted else None
    fit = max(fits, key=lambda one: one.log_likelihood) if fits else None
    out = out.assign(
        model=fit.shape.name if fit else NO_MODEL,
        model_centre=fit.centre if fit else np.nan,
        model_spread=fit.spread if fit else np.nan,
    )
    out = _adjusted_columns(out, family, count, size, target, fits, models)
    for name, alpha in LEVELS.items():
        high, low = attained_flag_rates(family, size, benchmark, alpha)
        out[f"expected_flags_{name}"] = float(np.sum(high + low))
    out["rank"] = observed_ranks(out["value"].to_numpy())
    out["rank_low"], out["rank_high"] = rank_intervals(
        fit, family, count, size, np.random.default_rng([seed, 1]), rank_draws
    )
    out["rank_note"] = "" if fit else CANNOT_BE_TOLD_APART
    return out[_column_order(family)]


def _exact_columns(part: pd.DataFrame, family: Family, count, size, benchmark: float) -> pd.DataFrame:
    """Value, z, exact tail probabilities, exact limits and flags against the benchmark."""
    value = family.value(count, size)
    p_high, p_low = tail_probabilities(family, count, size, benchmark)
    p_two = np.minimum(1.0, 2 * np.minimum(p_high, p_low))
    out = pd.DataFrame(
        {
            "dataset": part["dataset"].to_numpy(),
            "unit": part["unit"].to_numpy(),
            family.count: count,
            family.size: size,
            "value": value,
            "target": benchmark,
            "z": z_scores(family, count, size, benchmark),
            "p_high": p_high,
            "p_low": p_low,
            "p_two_sided": p_two,
            "p_holm": holm(p_two),
        }
    )
    for name, alpha in LEVELS.items():
        out[f"lower_{name}"] = interpolated_limit(family, size, benchmark, alpha)
        out[f"upper_{name}"] = interpolated_limit(family, size, benchmark, 1 - alpha)
        out[f"outside_{name}"] = _text(flag(p_high, p_low, alpha), out.index)
    return out


def _adjusted_columns(
    out: pd.DataFrame, family: Family, count, size, target: float | None, fits: list[Fit] | None, models=None
) -> pd.DataFrame:
    """Each unit's mid-p values, adjusted limits and flags from the models fitted to the OTHER units,
    averaged by their Akaike weights on ALL the units: the units in the tail are the evidence for its
    shape (without Lancashire the short-tailed arcsine model would win, weight 0.87 against 0.02)."""
    units = len(count)
    p_high, p_low = np.full(units, np.nan), np.full(units, np.nan)
    limits = {(name, side): np.full(units, np.nan) for name in LEVELS for side in ("lower", "upper")}
    if fits is not None:
        weights = model_weights(fits)
        for unit, others in enumerate(leave_one_out_fits(family, count, size, target, fits[0].nodes, models)):
            if others is None:
                continue
            predictive = predictive_of(others, size[unit : unit + 1], weights)
            tails = predictive_tails(predictive, family, count[unit : unit + 1], size[unit : unit + 1])
            p_high[unit], p_low[unit] = tails[0][0], tails[1][0]
            found = predictive_limits(predictive, family, size[unit], _LIMIT_PROBABILITIES)[:, 0]
            for (name, side), value in zip(_LIMIT_KEYS, found, strict=True):
                limits[name, side][unit] = value
    out["p_adjusted_high"], out["p_adjusted_low"] = p_high, p_low
    for name, alpha in LEVELS.items():
        out[f"adj_lower_{name}"], out[f"adj_upper_{name}"] = limits[name, "lower"], limits[name, "upper"]
        flags = np.where(p_high < alpha, "high", np.where(p_low < alpha, "low", "")).astype(object)
        flags[np.isnan(p_high)] = None
        out[f"outside_adjusted_{name}"] = _text(flags if fits is not None else None, out.index)
    return out


def _text(values, index) -> pd.Series:
    """Flags as plain Python strings (None where not computed), whatever pandas' default string type."""
    values = [None] * len(index) if values is None else list(values)
    return pd.Series(values, index=index, dtype=object)


def _column_order(family: Family) -> list[str]:
    columns = ["dataset", "unit", family.count, family.size, "value", "target", "z", "p_high", "p_low", "p_two_sided"]
    columns += ["p_holm"]
    for name in LEVELS:
        columns += [f"lower_{name}", f"upper_{name}"]
    columns += [f"outside_{name}" for name in LEVELS]
    columns += ["phi", "tau2", "dispersion_p", "over_dispersed", "model", "model_centre", "model_spread"]
    columns += ["p_adjusted_high", "p_adjusted_low"]
    for name in LEVELS:
        columns += [f"adj_lower_{name}", f"adj_upper_{name}"]
    columns += [f"outside_adjusted_{name}" for name in LEVELS]
    return columns + ["rank", "rank_low", "rank_high", "rank_note", "units", "expected_flags_95", "expected_flags_99_8"]


def table_family(table: pd.DataFrame) -> Family:
    for family in FAMILIES.values():
        if {family.count, family.size} <= set(table.columns):
            return family
    raise ValueError("not a funnel_table output: it has neither events and n nor observed and expected")


def _fits_of(family: Family, table: pd.DataFrame, part: pd.DataFrame, first: pd.Series) -> list[Fit] | None:
    """The dataset's models fitted to all its units, as the flags use them fitted to the others (None:
    no model); the family's, or those ``funnel_table`` was restricted to (its ``attrs``)."""
    if SHAPE_NAMES.get(str(first.get("model", NO_MODEL))) is None or not bool(first["over_dispersed"]):
        return None
    count, size = part[family.count].to_numpy(float), part[family.size].to_numpy(float)
    target = float(first["target"])
    estimated = family.kind == "proportion" and bool(np.isclose(target, family.pooled_target(count, size), rtol=1e-12))
    return uncertain_fits(
        family, count, size, target, estimated, nodes_for(family, count, size), table.attrs.get("models")
    )


def _smooth_limits(fits: list[Fit] | None, family: Family, grid: np.ndarray) -> dict:
    """The model's predictive limits over the grid, by (level, side): computed at
    ``ADJUSTED_CURVE_POINTS`` sizes and interpolated on log size between them (the line is smooth
    there; each point costs a bisection over counts on the model's grid, and 200 of them take seconds)."""
    if fits is None:
        return {key: np.full(len(grid), np.nan) for key in _LIMIT_KEYS}
    knots = np.unique(grid[np.round(np.linspace(0, len(grid) - 1, ADJUSTED_CURVE_POINTS)).astype(int)])
    found = predictive_limits(fits, family, knots, _LIMIT_PROBABILITIES)
    return {key: np.interp(np.log(grid), np.log(knots), row) for key, row in zip(_LIMIT_KEYS, found, strict=True)}


def funnel_curves(table: pd.DataFrame, points: int = 200) -> pd.DataFrame:
    """The limit lines of each dataset of a ``funnel_table`` output over a grid of n (or expected)
    from below its smallest unit to beyond its largest: exact (interpolated, clipped) and adjusted
    (NaN where the dataset is not over-dispersed). The adjusted lines come from the model fitted to
    ALL the units; each unit's own adjusted limits and flag (in the table) from the model fitted
    without it, so a unit far from the rest can sit a little differently against the line."""
    family = table_family(table)
    parts = []
    for dataset, part in table.groupby("dataset", sort=False):
        sizes = part[family.size].to_numpy(float)
        grid = np.geomspace(max(sizes.min() * 0.9, 1e-3), sizes.max() * 1.1, points)
        if family.kind == "proportion":
            # Binomial limits need whole denominators.
            grid = np.unique(np.maximum(1, np.round(grid)))
        first = part.iloc[0]
        fits = _fits_of(family, table, part, first)
        curves = pd.DataFrame({"dataset": dataset, family.size: grid, "target": first["target"]})
        adjusted = _smooth_limits(fits, family, grid)
        for name, alpha in LEVELS.items():
            curves[f"lower_{name}"] = interpolated_limit(family, grid, first["target"], alpha)
            curves[f"upper_{name}"] = interpolated_limit(family, grid, first["target"], 1 - alpha)
            curves[f"adj_lower_{name}"] = adjusted[name, "lower"]
            curves[f"adj_upper_{name}"] = adjusted[name, "upper"]
        parts.append(curves)
    return pd.concat(parts, ignore_index=True)


def told_apart_from_middle(table: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: how many units' 95% rank intervals exclude the middle rank (I + 1) / 2, i.e.
    can be said to be in the top or bottom half, and which."""
    rows = []
    for dataset, part in table.groupby("dataset", sort=False):
        middle = (len(part) + 1) / 2
        above = part[part["rank_high"] < middle]
        below = part[part["rank_low"] > middle]
        rows.append(
            {
                "dataset": dataset,
                "units": len(part),
                "middle_rank": middle,
                "above_middle": len(above),
                "below_middle": len(below),
                "told_apart": len(above) + len(below),
                "above_middle_units": ", ".join(above.sort_values("rank")["unit"]),
                "below_middle_units": ", ".join(below.sort_values("rank")["unit"]),
            }
        )
    return pd.DataFrame(rows)


def flagged(table: pd.DataFrame, level: str = "99_8") -> pd.DataFrame:
    """The units outside the exact limits at ``level``, with their p-values, most extreme first."""
    hits = table[table[f"outside_{level}"] != ""]
    columns = ["dataset", "unit", "value", "target", f"outside_{level}", "p_high", "p_low", "p_two_sided", "p_holm"]
    columns += [f"outside_adjusted_{level}", "rank", "rank_low", "rank_high"]
    return hits.sort_values("p_two_sided", kind="stable")[columns].reset_index(drop=True)
