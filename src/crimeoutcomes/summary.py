"""summary.json: the headline figures of one run, for other tools to read.

Counts are whole numbers; a force whose data is missing or collapsed for any quarter of the year
is null (never 0) and ``forces_missing`` says which quarters and why; national totals count those
force-quarters in ``force_quarters_missing``. Shares are proportions (0-1).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from .analysis import Analysis
from .atomic import write_text_atomically
from .codes import child_rape_codes
from .comparison import EXPECTED, compare_forces, flags, pooled_years, told_apart
from .tables import to_pandas
from .trends import count_trend, force_changes, national_changes
from .quality import unusable_quarters
from .reconcile import reconcile
from .measures import (ASSIGNED_OUTCOMES, CHARGES_AND_OUT_OF_COURT, COMMUNITY_RESOLUTIONS, child_victim_codes,
                       force_totals, forces_with_community_resolutions, gaps, national_totals, offence_code_totals,
                       sexual_offences)

SUMMARY_VERSION = 1


def _share(numerator: int | None, denominator: int | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _national(outcomes: pl.DataFrame, basis: str, collapsed: pl.DataFrame) -> dict:
    row = national_totals(outcomes, basis, by=(), collapsed=collapsed).row(0, named=True)
    return {
        COMMUNITY_RESOLUTIONS: row[COMMUNITY_RESOLUTIONS],
        ASSIGNED_OUTCOMES: row[ASSIGNED_OUTCOMES],
        "share_of_assigned": _share(row[COMMUNITY_RESOLUTIONS], row[ASSIGNED_OUTCOMES]),
        CHARGES_AND_OUT_OF_COURT: row[CHARGES_AND_OUT_OF_COURT],
        "share_of_charges_and_out_of_court": _share(row[COMMUNITY_RESOLUTIONS], row[CHARGES_AND_OUT_OF_COURT]),
        "force_quarters_missing": row["force_quarters_missing"],
    }


def _force_comparison(analysis: Analysis, pool_years: int) -> dict:
    """The fair comparison over the build's years (the chosen year, or ``pool_years`` ending with it)."""
    years = pooled_years(analysis.years, analysis.financial_year, pool_years)
    fc = compare_forces(analysis.outcomes, analysis.count_basis, years, analysis.recorded_crime)
    table = fc.table

    def by_force(column: str) -> dict:
        return dict(table.select("force", column).iter_rows())

    return {
        "years": fc.years,
        "rate_per_1000_recorded": by_force("rate_per_1000_recorded"),
        "share_of_assigned": by_force("share_of_assigned"),
        "share_of_charges_and_out_of_court": by_force("share_of_charges_and_out_of_court"),
        "expected_community_resolutions": by_force(EXPECTED),
        "national_share_of_assigned": fc.national_share,
        "overdispersion": fc.dispersion(fc.funnel),
        "offence_mix_overdispersion": fc.dispersion(fc.mix),
        "outside_99_8": fc.outside(fc.funnel),
        "outside_adjusted_99_8": fc.outside(fc.funnel, adjusted=True),
        "offence_mix_outside_99_8": fc.outside(fc.mix),
        "offence_mix_outside_adjusted_99_8": fc.outside(fc.mix, adjusted=True),
        "flagged_99_8": _records(flags(fc.funnel)),
        "offence_mix_flagged_99_8": _records(flags(fc.mix)),
        "ranks": {row["force"]: {"rank": int(row["rank"]), "rank_low": int(row["rank_low"]),
                                 "rank_high": int(row["rank_high"])} for _, row in fc.funnel.iterrows()},
        "told_apart_from_middle": told_apart(fc.funnel),
        "not_ranked": table.filter(~pl.col("rankable"))["force"].to_list(),
        "quarters_left_out": {force: note for force, note in table.select("force", "quarters_left_out").iter_rows()
                              if note},
    }


def _records(frame) -> list[dict]:
    """Rows of a pandas table as JSON-ready dicts: numpy numbers as Python ones, NaN and NA as null."""
    return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def _changes(analysis: Analysis, collapsed: pl.DataFrame) -> dict:
    """Change with 95% intervals: national (year on year, first to last, trend) and per force."""
    sexual = sexual_offences(analysis.outcomes)
    totals = national_totals(sexual, analysis.count_basis, collapsed=collapsed).to_pandas()
    by_force = to_pandas(force_totals(sexual, analysis.count_basis, collapsed=collapsed))
    return {"national": _records(national_changes(totals)),
            "national_trend": {k: _plain(v) for k, v in count_trend(totals).items()},
            "by_force": {force: _records(part.drop(columns="force"))
                         for force, part in force_changes(by_force).groupby("force", sort=True)}}


def _reconciliation(analysis: Analysis) -> list[dict]:
    """Every published figure in circulation: status, ours on each window, grouping and basis tried,
    the best fit and the reasons (on synthetic data only 'synthetic'), as notebook 04 shows them."""
    from . import reconcile as reconciliation

    return reconciliation.reconciliation(analysis).records()


def build_summary(analysis: Analysis, pool_years: int = 1) -> dict:
    basis = analysis.count_basis
    year = analysis.year_outcomes
    sexual = sexual_offences(year)
    collapsed = analysis.collapsed
    by_force = force_totals(sexual, basis, by=(), collapsed=collapsed)
    by_code = offence_code_totals(sexual, basis, by=())
    child_codes = child_victim_codes()
    child_rape = forces_with_community_resolutions(year, basis, child_rape_codes())
    child_by_code = {c: v for c, v in by_code.select("offence_code", COMMUNITY_RESOLUTIONS).iter_rows()
                     if c in child_codes}
    return {
        "summary_version": SUMMARY_VERSION,
        "financial_year": analysis.financial_year,
        "count_basis": basis,
        "count_basis_meaning": analysis.basis_words,
        "first_year": analysis.first_year,
        "synthetic": analysis.synthetic,
        "sources": analysis.source_files(),
        "pool_years": pool_years,
        "sexual_offences": _national(sexual, basis, collapsed),
        "sexual_offences_by_year": {
            y: _national(sexual_offences(analysis.outcomes.filter(pl.col("financial_year") == y)), basis, collapsed)
            for y in analysis.years},
        "all_offences": _national(year, basis, collapsed),
        "community_resolutions_by_force": dict(by_force.select("force", COMMUNITY_RESOLUTIONS).iter_rows()),
        "forces_missing": {force: {"quarters": quarters, "marker": marker} for _, force, quarters, marker in
                           gaps(sexual, basis, collapsed).iter_rows()},
        "community_resolutions_by_offence_code": dict(by_code.select("offence_code", COMMUNITY_RESOLUTIONS).iter_rows()),
        "child_victim_offences": {
            "codes": child_codes,
            COMMUNITY_RESOLUTIONS: sum(child_by_code.values()),
            "community_resolutions_by_code": child_by_code,
            "child_rape_codes": list(child_rape_codes()),
            "forces_using_cr_for_child_rape": child_rape["force"].to_list(),
        },
        "force_comparison": _force_comparison(analysis, pool_years),
        "changes": _changes(analysis, collapsed),
        "reconciliation": _reconciliation(analysis),
    }


def write_json(data: dict, path: Path) -> Path:
    """Sorted keys, fixed indentation, written under a temporary name and renamed."""
    return write_text_atomically(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
