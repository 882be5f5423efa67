"""summary.json: the headline figures of one run, for other tools to read.

Counts are whole numbers; a force whose data is missing or collapsed for any quarter of the year
is null (never 0) and ``forces_missing`` says which quarters and why; national totals count those
force-quarters in ``force_quarters_missing``. Shares are proportions (0-1).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .analysis import Analysis
from .atomic import write_text_atomically
from .codes import child_rape_codes
from .comparison import EXPECTED, compare_forces, pooled_years
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
        "overdispersion": {"phi": fc.funnel_dispersion.phi, "tau2": fc.funnel_dispersion.tau2,
                           "over_dispersed": fc.funnel_dispersion.over_dispersed},
        "outside_99_8": fc.outside(fc.funnel),
        "outside_adjusted_99_8": fc.outside(fc.funnel, adjusted=True) if fc.funnel_dispersion.over_dispersed else [],
        "offence_mix_outside_99_8": fc.outside(fc.mix),
        "not_ranked": table.filter(~pl.col("rankable"))["force"].to_list(),
        "quarters_left_out": {force: note for force, note in table.select("force", "quarters_left_out").iter_rows()
                              if note},
    }


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
        "reconciliation": _reconciliation(analysis),
    }


def write_json(data: dict, path: Path) -> Path:
    """Sorted keys, fixed indentation, written under a temporary name and renamed."""
    return write_text_atomically(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
