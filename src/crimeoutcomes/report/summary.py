"""summary.json: the headline figures of one run, for other tools to read.

Counts are whole numbers; a force whose data is missing or collapsed for any quarter of the year
is null (never 0) and ``forces_missing`` says which quarters and why; national totals count those
force-quarters in ``force_quarters_missing``. Shares are proportions (0-1). Every figure comes from
the same ``Analysis`` method the notebooks call to print it, so a number has one call site.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crimeoutcomes.data.codes import child_rape_codes, child_victim_offences
from crimeoutcomes.report.notebook import Analysis
from crimeoutcomes.stats.comparison import EXPECTED, flags, told_apart

SUMMARY_VERSION = 1


def _share(numerator: int | None, denominator: int | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _national(totals: pd.DataFrame) -> dict:
    """One row of ``Analysis.totals`` as summary.json gives it."""
    row = {key: _plain(value) for key, value in totals.iloc[0].items()}
    cr, assigned, ooc = row["community_resolutions"], row["assigned_outcomes"], row["charges_and_out_of_court"]
    return {
        "community_resolutions": cr,
        "assigned_outcomes": assigned,
        "share_of_assigned": _share(cr, assigned),
        "charges_and_out_of_court": ooc,
        "share_of_charges_and_out_of_court": _share(cr, ooc),
        "force_quarters_missing": row["force_quarters_missing"],
    }


def _force_comparison(analysis: Analysis, pool_years: int) -> dict:
    """The fair comparison over the build's years (the chosen year, or ``pool_years`` ending with it)."""
    fc = analysis.compare_forces(pool_years)
    table = fc.table.set_index("force")

    def by_force(column: str) -> dict:
        return {str(force): _plain(value) for force, value in table[column].items()}

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
        # Once the spread is allowed for, either side: each force against the model fitted to the others.
        "outside_adjusted_95": _sides(fc.funnel, "95"),
        "offence_mix_outside_adjusted_95": _sides(fc.mix, "95"),
        "adjusted_limits": _adjusted_limits(fc.funnel),
        "flagged_99_8": _records(flags(fc.funnel)),
        "offence_mix_flagged_99_8": _records(flags(fc.mix)),
        "ranks": {
            str(row["force"]): {
                "rank": int(row["rank"]),
                "rank_low": int(row["rank_low"]),
                "rank_high": int(row["rank_high"]),
            }
            for _, row in fc.funnel.iterrows()
        },
        "told_apart_from_middle": told_apart(fc.funnel),
        "not_ranked": [str(force) for force in table.index[~table["rankable"].astype(bool)]],
        "quarters_left_out": {
            str(force): note for force, note in table["quarters_left_out"].items() if not pd.isna(note) and note
        },
    }


def _sides(frame: pd.DataFrame, level: str) -> dict:
    """The forces flagged high and low at ``level`` once over-dispersion is allowed for."""
    column = frame[f"outside_adjusted_{level}"].fillna("") if len(frame) else pd.Series(dtype=object)
    return {side: frame.loc[column == side, "force"].astype(str).tolist() for side in ("high", "low")}


def _adjusted_limits(frame: pd.DataFrame) -> dict:
    """Each force's adjusted limits, lower and upper, at 95% and 99.8% (None where not over-dispersed)."""
    limits = {}
    for _, row in frame.iterrows():
        limits[str(row["force"])] = {
            level: [
                None if pd.isna(row[f"adj_{side}_{level}"]) else float(row[f"adj_{side}_{level}"])
                for side in ("lower", "upper")
            ]
            for level in ("95", "99_8")
        }
    return limits


def _records(frame) -> list[dict]:
    """Rows of a pandas table as JSON-ready dicts: numpy numbers as Python ones, NaN and NA as null."""
    return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def _changes(analysis: Analysis) -> dict:
    """Change with 95% intervals: national (year on year, first to last, trend) and per force."""
    return {
        "national": _records(analysis.changes()),
        "national_trend": {k: _plain(v) for k, v in analysis.trend().items()},
        "by_force": {
            str(force): _records(part.drop(columns="force"))
            for force, part in analysis.force_changes().groupby("force", sort=True)
        },
    }


def _reconciliation(analysis: Analysis) -> list[dict]:
    """Every published figure in circulation: status, ours on each window, grouping and basis tried,
    the best fit and the reasons (on synthetic data only 'synthetic'), as notebook 04 shows them."""
    from crimeoutcomes.stats import reconcile as reconciliation

    return reconciliation.reconciliation(analysis).records()


def build_summary(analysis: Analysis, pool_years: int = 1) -> dict:
    year = analysis.financial_year
    by_force = analysis.force_totals("sexual", by=(), year=year)
    by_code = analysis.code_totals("sexual", by=(), year=year)
    child_codes = [o.code for o in child_victim_offences()]
    child_by_code = {
        str(c): _plain(v) for c, v in zip(by_code["offence_code"], by_code["community_resolutions"]) if c in child_codes
    }
    child_rape = analysis.forces_using_cr(child_rape_codes())
    by_year = analysis.totals("sexual")
    return {
        "summary_version": SUMMARY_VERSION,
        "financial_year": year,
        "count_basis": analysis.count_basis,
        "count_basis_meaning": analysis.basis_words,
        "first_year": analysis.first_year,
        "synthetic": analysis.synthetic,
        "sources": analysis.source_files(),
        "pool_years": pool_years,
        "sexual_offences": _national(by_year[by_year["financial_year"] == year]),
        "sexual_offences_by_year": {str(y): _national(by_year[by_year["financial_year"] == y]) for y in analysis.years},
        "all_offences": _national(analysis.totals("all", by=(), year=year)),
        "community_resolutions_by_force": {
            str(f): _plain(v) for f, v in zip(by_force["force"], by_force["community_resolutions"])
        },
        "forces_missing": {
            str(row["force"]): {"quarters": row["quarters_missing"], "marker": row["marker"]}
            for _, row in analysis.missing("sexual", year=year).iterrows()
        },
        "community_resolutions_by_offence_code": {
            str(c): _plain(v) for c, v in zip(by_code["offence_code"], by_code["community_resolutions"])
        },
        "child_victim_offences": {
            "codes": child_codes,
            "community_resolutions": sum(child_by_code.values()),
            "community_resolutions_by_code": child_by_code,
            "child_rape_codes": list(child_rape_codes()),
            "forces_using_cr_for_child_rape": [
                str(f) for f in child_rape.loc[child_rape["financial_year"] == year, "force"]
            ],
        },
        "force_comparison": _force_comparison(analysis, pool_years),
        "changes": _changes(analysis),
        "reconciliation": _reconciliation(analysis),
    }
