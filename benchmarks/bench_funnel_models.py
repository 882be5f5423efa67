"""The funnel's random-effects models on the real 2024/25 forces: which fits, and how often its
adjusted flags fire under two truths fitted to the same data (docs/reliability.md, "Over-dispersion
models"). Seeded: the same figures every run.

    flock /tmp/heavy.lock .venv/bin/python -u benchmarks/bench_funnel_models.py [--replicates 200] [--seed 29]

Needs ../shared/realdata (as the real-data tests); prints markdown tables. About 3 minutes at 200
replicates on one core.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stats_forces import REAL_ROWS, real_counts, sexual_offence_cells  # noqa: E402

from crimeoutcomes.funnels.calibration import LEVELS, adjusted_flag_rates, simulate_counts  # noqa: E402
from crimeoutcomes.funnels.families import PROPORTION, RATIO, Family  # noqa: E402
from crimeoutcomes.funnels.random_effects import (  # noqa: E402
    SHAPES,
    Fit,
    fit_free,
    fit_models,
    fit_to_mean,
    nodes_for,
    with_uncertainty,
)
from crimeoutcomes.stats import as_ratio_input, funnel_table, leave_one_out_expected  # noqa: E402

NOMINAL = {"95": 0.05, "99_8": 0.002}


def offence_mix_counts() -> pd.DataFrame:
    """unit, observed, expected of the offence-mix funnel (the cells tests/test_stats_realdata.py uses)."""
    cells = sexual_offence_cells()
    return as_ratio_input(leave_one_out_expected(cells))


def spread_statistics(family: Family, count, size) -> dict:
    value = np.asarray(count, float) / np.asarray(size, float)
    pooled = family.pooled_target(count, size)
    return {
        "sd of values": float(np.std(value, ddof=1)),
        "largest / benchmark": float(value.max() / pooled),
        "units below a quarter of the benchmark": float(np.sum(value < pooled / 4)),
    }


def compare_models(family: Family, count, size, rng: np.random.Generator, draws: int) -> tuple[list, dict]:
    """Per model: log-likelihood and AIC with the mean at the benchmark (1 parameter) and free (2),
    and the predictive check of the spread statistics; with the free fits (the truths)."""
    nodes = nodes_for(family, count, size)
    observed = spread_statistics(family, count, size)
    rows, truths = [], {}
    for shape in SHAPES[family.kind]:
        fixed = fit_to_mean(shape, family, count, size, family.pooled_target(count, size), nodes)
        free = fit_free(shape, family, count, size, nodes, fixed)
        truths[shape.name] = free
        simulated = [spread_statistics(family, simulate_counts(fixed, family, size, rng), size) for _ in range(draws)]
        row = {
            "model": shape.name,
            "spread (mean fixed)": fixed.spread,
            "log-lik (mean fixed)": fixed.log_likelihood,
            "AIC (mean fixed, k=1)": 2 - 2 * fixed.log_likelihood,
            "log-lik (free)": free.log_likelihood,
            "AIC (free, k=2)": 4 - 2 * free.log_likelihood,
            "model mean (free)": free.mean(),
        }
        for name, value in observed.items():
            values = np.array([s[name] for s in simulated])
            low, high = np.quantile(values, [0.025, 0.975])
            upper = np.mean(values >= value)
            two_sided = min(1.0, 2 * min(upper, 1 - upper + np.mean(values == value)))
            row[name] = f"{value:.3g} [{low:.3g}, {high:.3g}] p={two_sided:.2f}"
        rows.append(row)
    return rows, truths


def calibration(truth: Fit, family: Family, size, units, rng: np.random.Generator, replicates: int) -> pd.DataFrame:
    rates = adjusted_flag_rates(truth, family, size, rng, replicates)
    print(f"\nTruth {truth.shape.name} (free ML fit), {replicates} replicates; model chosen: {rates.chosen}")
    table = pd.DataFrame({"force": units, "n": size})
    for name in LEVELS:
        table[f"rate_{name}"] = rates.rates[name]
        table[f"x_nominal_{name}"] = rates.rates[name] / NOMINAL[name]
        table[f"low_{name}"] = rates.low_rates[name]
        table[f"truth_gives_{name}"] = rates.oracle[name]
    for model, rates_by_level in rates.by_choice.items():
        share = {level: total / replicates for level, total in rates_by_level.items()}
        print(f"  replicates naming {model} ({rates.chosen[model]}) add to the mean rate: {share}")
    for name in LEVELS:
        ratio = table[f"x_nominal_{name}"]
        print(
            f"{name}: per-force rate mean {table[f'rate_{name}'].mean():.4f} (nominal {NOMINAL[name]}), "
            f"range {table[f'rate_{name}'].min():.4f}-{table[f'rate_{name}'].max():.4f} "
            f"({ratio.min():.2f}-{ratio.max():.2f} x nominal); outside 0.5-1.5x: "
            f"{', '.join(table.loc[(ratio < 0.5) | (ratio > 1.5), 'force']) or 'none'}; "
            f"true parameters give mean {table[f'truth_gives_{name}'].mean():.4f}; "
            f"low side mean {table[f'low_{name}'].mean():.5f}"
        )
    return table


def leave_one_out_effect(counts: pd.DataFrame) -> None:
    """Lancashire and the Met judged against the model fitted to all forces and fitted without them."""
    table = funnel_table(counts, "proportion")
    print("\nLeave-one-out on the real shares (model fitted without the force vs with it):")
    from crimeoutcomes.funnels.predictive import predictive_limit, predictive_tails

    count, size = counts["events"].to_numpy(float), counts["n"].to_numpy(float)
    first = table.iloc[0]
    target = PROPORTION.pooled_target(count, size)
    full = [
        with_uncertainty(fit, PROPORTION, count, size, target, True)
        for fit in fit_models(PROPORTION, count, size, target, nodes_for(PROPORTION, count, size))
    ]
    for unit in ("Lancashire", "Metropolitan Police"):
        i = int(np.flatnonzero(counts["unit"].to_numpy() == unit)[0])
        row = table.iloc[i]
        high, low = predictive_tails(full, PROPORTION, count[i : i + 1], size[i : i + 1])
        limits = [predictive_limit(full, PROPORTION, size[i], q)[0] for q in (0.001, 0.025, 0.975, 0.999)]
        print(
            f"| {unit} | {row['value']:.4f} | with it: mid-p high {high[0]:.4f}, p_low {low[0]:.4f}, 99.8% "
            f"[{limits[0]:.5f}, {limits[3]:.4f}], 95% [{limits[1]:.5f}, {limits[2]:.4f}] | without it: mid-p high "
            f"{row['p_adjusted_high']:.4f}, p_low {row['p_adjusted_low']:.4f}, 99.8% [{row['adj_lower_99_8']:.5f}, "
            f"{row['adj_upper_99_8']:.4f}], 95% [{row['adj_lower_95']:.5f}, {row['adj_upper_95']:.4f}]; flags "
            f"{row['outside_adjusted_95'] or '-'} / {row['outside_adjusted_99_8'] or '-'} |"
        )
    print(f"spread with all forces {first['model_spread']:.3f} ({first['model']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--draws", type=int, default=2000, help="replicates of the predictive check")
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    counts = real_counts()
    if counts is None:
        print(f"real data {REAL_ROWS} absent: nothing to fit", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    pd.set_option("display.width", 250, "display.max_columns", 30)
    count, size = counts["events"].to_numpy(float), counts["n"].to_numpy(float)
    rows, truths = compare_models(PROPORTION, count, size, rng, args.draws)
    print("Share of assigned outcomes (community resolutions), 2024/25, 44 forces")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".4g"))
    mix = offence_mix_counts()
    ratio_rows, _ = compare_models(
        RATIO, mix["observed"].to_numpy(float), mix["expected"].to_numpy(float), rng, args.draws
    )
    print("\nObserved / expected given the offence mix")
    print(pd.DataFrame(ratio_rows).to_markdown(index=False, floatfmt=".4g"))
    leave_one_out_effect(counts)
    for name in ("logit-normal", "arcsine-normal"):
        table = calibration(truths[name], PROPORTION, size, counts["unit"].tolist(), rng, args.replicates)
        print(table.to_markdown(index=False, floatfmt=".4f"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
