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
  scale, tested by parametric bootstrap; tau^2 by DerSimonian-Laird on that scale; adjusted limits
  back-transformed, never inside the exact ones, and only where the test says over-dispersed;
* ranks: 1 = highest value, with 95% intervals from the random-effects posterior.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from crimeoutcomes.stats.dispersion import BOOTSTRAP_REPLICATES, Dispersion, adjusted_limit, dispersion, z_scores
from crimeoutcomes.stats.exact import attained_flag_rates, flag, holm, interpolated_limit, tail_probabilities
from crimeoutcomes.stats.families import FAMILIES, Family
from crimeoutcomes.stats.ranks import RANK_DRAWS, observed_ranks, rank_intervals
from crimeoutcomes.stats.validate import infer_family, validated

#: One-sided tail probability of each pair of limits: 95% and 99.8% two-sided.
LEVELS = {"95": 0.025, "99_8": 0.001}
SEED = 20050415  # any fixed number: outputs must not change from run to run

DATASET_COLUMNS = ["phi", "tau2", "dispersion_p", "over_dispersed", "units", "expected_flags_95", "expected_flags_99_8"]


def funnel_table(
    frame: pd.DataFrame,
    kind: str | None = None,
    *,
    target: float | None = None,
    seed: int = SEED,
    replicates: int = BOOTSTRAP_REPLICATES,
    rank_draws: int = RANK_DRAWS,
    winsor_fraction: float = 0.0,
) -> pd.DataFrame:
    """One row per dataset x unit: value, exact limits and flags with p-values, over-dispersion
    and adjusted limits, rank with its 95% interval.

    ``kind`` is 'proportion' or 'ratio' (inferred from the columns when None). ``target`` replaces
    the pooled proportion (or 1) as the benchmark. Bad input raises ``FunnelInputError`` (a
    ``CrimeOutcomesError``) naming the data row and the column.

    Columns: dataset, unit, the two inputs, value, target, z (stabilised scale), p_high = P(Y >= y),
    p_low = P(Y <= y), p_two_sided, p_holm; lower/upper_95 and _99_8 (exact, interpolated, clipped);
    outside_95, outside_99_8 ('high', 'low' or ''); phi, tau2, dispersion_p, over_dispersed;
    adj_lower/adj_upper_95 and _99_8 (NaN when not over-dispersed); outside_adjusted_95/_99_8
    (None when not over-dispersed); rank (1 = highest), rank_low, rank_high; units,
    expected_flags_95, expected_flags_99_8 (flags that chance alone would give in the dataset).
    """
    family = infer_family(frame, kind)
    clean = validated(frame, family)
    parts = [
        _one_dataset(part, family, target, seed, replicates, rank_draws, winsor_fraction)
        for _, part in clean.groupby("dataset", sort=False)
    ]
    return pd.concat(parts, ignore_index=True)


def _one_dataset(
    part: pd.DataFrame,
    family: Family,
    target: float | None,
    seed: int,
    replicates: int,
    rank_draws: int,
    winsor_fraction: float,
) -> pd.DataFrame:
    count, size = part[family.count].to_numpy(float), part[family.size].to_numpy(float)
    benchmark = family.pooled_target(count, size) if target is None else float(target)
    # Separate seeded streams, so that changing the number of rank draws leaves the test alone.
    spread = dispersion(family, count, size, target, np.random.default_rng([seed, 0]), replicates, winsor_fraction)
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
    out = out.assign(
        phi=spread.phi,
        tau2=spread.tau2,
        dispersion_p=spread.p_value,
        over_dispersed=spread.over_dispersed,
        units=len(count),
    )
    for name, alpha in LEVELS.items():
        lower, upper = _adjusted(family, size, benchmark, spread, alpha, out[f"lower_{name}"], out[f"upper_{name}"])
        out[f"adj_lower_{name}"], out[f"adj_upper_{name}"] = lower, upper
        # Adjusted limits are never inside the exact ones, so an adjusted flag needs the exact one too.
        beyond = np.where(value > upper, "high", np.where(value < lower, "low", ""))
        adjusted_flag = np.where(out[f"outside_{name}"] == beyond, beyond, "").astype(object)
        out[f"outside_adjusted_{name}"] = _text(adjusted_flag if spread.over_dispersed else None, out.index)
    for name, alpha in LEVELS.items():
        high, low = attained_flag_rates(family, size, benchmark, alpha)
        out[f"expected_flags_{name}"] = float(np.sum(high + low))
    out["rank"] = observed_ranks(value)
    out["rank_low"], out["rank_high"] = rank_intervals(
        family, count, size, benchmark, spread.tau2, np.random.default_rng([seed, 1]), rank_draws
    )
    return out[_column_order(family)]


def _text(values, index) -> pd.Series:
    """Flags as plain Python strings (None where not computed), whatever pandas' default string type."""
    values = [None] * len(index) if values is None else list(values)
    return pd.Series(values, index=index, dtype=object)


def _adjusted(
    family: Family, size, target: float, spread: Dispersion, alpha: float, exact_lower, exact_upper
) -> tuple[np.ndarray, np.ndarray]:
    """Limits widened by tau^2, at least as wide as the exact ones; NaN when not over-dispersed."""
    if not spread.over_dispersed:
        missing = np.full(len(np.atleast_1d(size)), np.nan)
        return missing, missing.copy()
    z = ndtri(1 - alpha)
    lower = adjusted_limit(family, size, target, spread.tau2, -z)
    upper = adjusted_limit(family, size, target, spread.tau2, z)
    return np.minimum(lower, exact_lower), np.maximum(upper, exact_upper)


def _column_order(family: Family) -> list[str]:
    columns = [
        "dataset",
        "unit",
        family.count,
        family.size,
        "value",
        "target",
        "z",
        "p_high",
        "p_low",
        "p_two_sided",
        "p_holm",
    ]
    for name in LEVELS:
        columns += [f"lower_{name}", f"upper_{name}"]
    columns += [f"outside_{name}" for name in LEVELS]
    columns += ["phi", "tau2", "dispersion_p", "over_dispersed"]
    for name in LEVELS:
        columns += [f"adj_lower_{name}", f"adj_upper_{name}"]
    columns += [f"outside_adjusted_{name}" for name in LEVELS]
    return columns + ["rank", "rank_low", "rank_high", "units", "expected_flags_95", "expected_flags_99_8"]


def table_family(table: pd.DataFrame) -> Family:
    for family in FAMILIES.values():
        if {family.count, family.size} <= set(table.columns):
            return family
    raise ValueError("not a funnel_table output: it has neither events and n nor observed and expected")


def funnel_curves(table: pd.DataFrame, points: int = 200) -> pd.DataFrame:
    """The limit lines of each dataset of a ``funnel_table`` output over a grid of n (or expected)
    from below its smallest unit to beyond its largest: exact (interpolated, clipped) and adjusted
    (NaN where the dataset is not over-dispersed)."""
    family = table_family(table)
    parts = []
    for dataset, part in table.groupby("dataset", sort=False):
        sizes = part[family.size].to_numpy(float)
        grid = np.geomspace(max(sizes.min() * 0.9, 1e-3), sizes.max() * 1.1, points)
        if family.kind == "proportion":
            # Binomial limits need whole denominators.
            grid = np.unique(np.maximum(1, np.round(grid)))
        first = part.iloc[0]
        spread = Dispersion(
            int(first["units"]), first["phi"], first["tau2"], first["dispersion_p"], bool(first["over_dispersed"])
        )
        curves = pd.DataFrame({"dataset": dataset, family.size: grid, "target": first["target"]})
        for name, alpha in LEVELS.items():
            curves[f"lower_{name}"] = interpolated_limit(family, grid, first["target"], alpha)
            curves[f"upper_{name}"] = interpolated_limit(family, grid, first["target"], 1 - alpha)
            curves[f"adj_lower_{name}"], curves[f"adj_upper_{name}"] = _adjusted(
                family, grid, first["target"], spread, alpha, curves[f"lower_{name}"], curves[f"upper_{name}"]
            )
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
    return hits.sort_values("p_two_sided", kind="stable")[
        [
            "dataset",
            "unit",
            "value",
            "target",
            f"outside_{level}",
            "p_high",
            "p_low",
            "p_two_sided",
            "p_holm",
            f"outside_adjusted_{level}",
            "rank",
            "rank_low",
            "rank_high",
        ]
    ].reset_index(drop=True)
