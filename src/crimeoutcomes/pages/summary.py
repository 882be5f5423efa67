"""summary.json: the headline figures of one run, for other tools to read.

Counts are whole numbers; a force whose data is missing or collapsed for any quarter of the year
is null (never 0) and ``forces_missing`` says which quarters and why; national totals count those
force-quarters in ``force_quarters_missing``. Shares are proportions (0-1). Every figure comes from
the same ``Analysis`` method the notebooks call to print it, so a number has one call site.
"""

from __future__ import annotations

import pandas as pd

from crimeoutcomes.data.codes import charge_and_out_of_court_types
from crimeoutcomes.notebook.analysis import Analysis
from crimeoutcomes.prose.headlines import national_figures, plain, records
from crimeoutcomes.prose.question_words import question_record
from crimeoutcomes.stats.comparison import EXPECTED, flags, told_apart

SUMMARY_VERSION = 1


def _force_comparison(analysis: Analysis, pool_years: int) -> dict:
    """The fair comparison over the build's years (the chosen year, or ``pool_years`` ending with it)."""
    fc = analysis.compare_forces(pool_years)
    table = fc.table.set_index("force")

    def by_force(column: str) -> dict:
        return {str(force): plain(value) for force, value in table[column].items()}

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
        "flagged_99_8": records(flags(fc.funnel)),
        "offence_mix_flagged_99_8": records(flags(fc.mix)),
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


def _changes(analysis: Analysis) -> dict:
    """Change with 95% intervals: national (year on year, first to last, trend) and per force."""
    return {
        "national": records(analysis.changes()),
        "national_trend": {k: plain(v) for k, v in analysis.trend().items()},
        "by_force": {
            str(force): records(part.drop(columns="force"))
            for force, part in analysis.force_changes().groupby("force", sort=True)
        },
    }


def _reconciliation(analysis: Analysis) -> list[dict]:
    """Every published figure in circulation (for another question, those that concern it; [] where
    none does and report 04 is not built): status, ours on each window, grouping and basis tried, the
    best fit and the reasons (on synthetic data only 'synthetic'), as notebook 04 shows them."""
    from crimeoutcomes.reconciliation.press_figures import figures_for_analysis

    if not analysis.question.is_default and not len(figures_for_analysis(analysis)):
        return []
    return analysis.reconciliation().records()  # as report 04 computed it (kept on disk)


def build_summary(analysis: Analysis, pool_years: int = 1) -> dict:
    """The year's figures for the build's question (``analysis.question``). The keys are the same
    for every question, so that one reader reads any: ``sexual_offences`` and
    ``community_resolutions`` hold the question's offences and count (named in ``question``, which
    only another question than the default has: the default's summary.json is as it was)."""
    summary = _figures(analysis, pool_years)
    if analysis.question.is_default:
        return summary
    return {**summary, "question": question_record(analysis.question)}


def _figures(analysis: Analysis, pool_years: int) -> dict:
    year = analysis.financial_year
    by_force = analysis.force_totals(by=(), year=year)
    by_code = analysis.code_totals(by=(), year=year)
    child_codes = analysis.child_victim_codes  # the question's (every one for the default question)
    child_by_code = {
        str(c): plain(v) for c, v in zip(by_code["offence_code"], by_code["community_resolutions"]) if c in child_codes
    }
    child_rape = analysis.forces_using_cr(analysis.child_rape_codes)
    by_year = analysis.totals()
    of_charges = analysis.question.within(charge_and_out_of_court_types())

    def national(rows: pd.DataFrame) -> dict:
        return national_figures(rows, of_charges)

    return {
        "summary_version": SUMMARY_VERSION,
        "financial_year": year,
        "count_basis": analysis.count_basis,
        "count_basis_meaning": analysis.basis_words,
        "first_year": analysis.first_year,
        "synthetic": analysis.synthetic,
        "sources": analysis.source_files(),
        "pool_years": pool_years,
        "sexual_offences": national(by_year[by_year["financial_year"] == year]),
        "sexual_offences_by_year": {str(y): national(by_year[by_year["financial_year"] == y]) for y in analysis.years},
        "all_offences": national(analysis.totals("all", by=(), year=year)),
        "community_resolutions_by_force": {
            str(f): plain(v) for f, v in zip(by_force["force"], by_force["community_resolutions"])
        },
        "forces_missing": {
            str(row["force"]): {"quarters": row["quarters_missing"], "marker": row["marker"]}
            for _, row in analysis.missing(year=year).iterrows()
        },
        "community_resolutions_by_offence_code": {
            str(c): plain(v) for c, v in zip(by_code["offence_code"], by_code["community_resolutions"])
        },
        "child_victim_offences": {
            "codes": child_codes,
            "community_resolutions": sum(child_by_code.values()),
            "community_resolutions_by_code": child_by_code,
            "child_rape_codes": analysis.child_rape_codes,
            "forces_using_cr_for_child_rape": [
                str(f) for f in child_rape.loc[child_rape["financial_year"] == year, "force"]
            ],
        },
        "force_comparison": _force_comparison(analysis, pool_years),
        "changes": _changes(analysis),
        "reconciliation": _reconciliation(analysis),
    }
