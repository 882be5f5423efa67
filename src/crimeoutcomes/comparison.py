"""Comparing forces fairly: three denominators, funnels, and the offence mix.

Rates use only the force-quarters whose data can be used (``quality.unusable_quarters``), the
same quarters in numerator and denominator. Several years can be pooled so that small forces
have enough outcomes to compare. A force with fewer than ``MIN_OUTCOMES_TO_RANK`` assigned
outcomes is shown but neither ranked nor placed on a funnel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import polars as pl

from .funnel import Overdispersion, proportion_funnel, ratio_funnel
from .measures import (ASSIGNED_OUTCOMES, CHARGES_AND_OUT_OF_COURT, COMMUNITY_RESOLUTIONS, all_forces, countable,
                       measure_sums, poisson_interval, sexual_offences, with_share)
from .codes import SEXUAL_OFFENCES_GROUP
from .errors import CrimeOutcomesError
from .quality import unusable_quarters

PER_OFFENCES = 1000
MIN_OUTCOMES_TO_RANK = 5
RECORDED_OFFENCES = "recorded_offences"
EXPECTED = "expected_community_resolutions"
_KEYS = ["financial_year", "quarter", "force"]

#: What each rate divides by, for labels next to every figure and table that uses it.
DENOMINATOR_LABELS = {
    "rate_per_1000_recorded": f"per {PER_OFFENCES:,} sexual offences recorded (police recorded crime, same force, "
                              "quarters and offence group)",
    "share_of_assigned": "share of assigned sexual-offence outcomes (every outcome type except 0)",
    "share_of_charges_and_out_of_court": "share of sexual-offence charges and out-of-court outcomes (types 1, 2, 3, "
                                         "6, 7, 8)",
}


@dataclass
class ForceComparison:
    years: list[str]
    count_basis: str
    table: pl.DataFrame  # one row per force: counts, the three rates with intervals, expected, notes
    left_out: pl.DataFrame  # force-quarters left out of every rate, with the reason
    funnel: pl.DataFrame  # forces on the proportion funnel (share of assigned outcomes)
    funnel_dispersion: Overdispersion
    mix: pl.DataFrame  # forces on the observed/expected funnel (offence mix)
    mix_dispersion: Overdispersion

    @property
    def national_share(self) -> float:
        return float(self.funnel["target"][0]) if self.funnel.height else float("nan")

    def outside(self, frame: pl.DataFrame, adjusted: bool = False) -> list[str]:
        column = "outside_adjusted_99_8" if adjusted else "outside_99_8"
        return frame.filter(pl.col(column))["force"].to_list()


def _left_out_notes(left_out: pl.DataFrame) -> pl.DataFrame:
    return (left_out.group_by("force", "reason")
            .agg(periods=(pl.col("financial_year") + " Q" + pl.col("quarter").cast(pl.String)).sort().str.join(", "))
            .group_by("force").agg(quarters_left_out=(pl.col("periods") + " (" + pl.col("reason").str.split(":")
                                                      .list.first() + ")").sort().str.join("; ")))


def _expected_from_mix(rows: pl.DataFrame) -> pl.DataFrame:
    """Each force's outcomes by offence code times the national community-resolution rate of that code."""
    by_code = rows.group_by("force", "offence_code").agg(
        cr=pl.col("count").filter(pl.col("outcome_type") == "8").sum(), assigned=pl.col("count").sum())
    national = by_code.group_by("offence_code").agg(rate=pl.col("cr").sum() / pl.col("assigned").sum())
    # Sorted before summing: floating-point sums in whatever order the join leaves would differ in
    # their last digits from run to run.
    return (by_code.join(national, on="offence_code").with_columns(pl.col("rate").fill_nan(0.0))
            .sort("force", "offence_code")
            .group_by("force", maintain_order=True).agg((pl.col("assigned") * pl.col("rate")).sum().alias(EXPECTED)))


def _with_rate(frame: pl.DataFrame) -> pl.DataFrame:
    k = frame[COMMUNITY_RESOLUTIONS].cast(pl.Float64).to_numpy()
    offences = frame[RECORDED_OFFENCES].cast(pl.Float64).to_numpy()
    low, high = poisson_interval(k)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(offences > 0, PER_OFFENCES / offences, np.nan)
    return frame.with_columns(
        pl.Series("cr_low", low).fill_nan(None), pl.Series("cr_high", high).fill_nan(None),
        pl.Series("rate_per_1000_recorded", k * scale).fill_nan(None),
        pl.Series("rate_per_1000_recorded_low", low * scale).fill_nan(None),
        pl.Series("rate_per_1000_recorded_high", high * scale).fill_nan(None))


def compare_forces(outcomes: pl.DataFrame, count_basis: str, years: Sequence[str],
                   recorded_crime: pl.DataFrame | None = None) -> ForceComparison:
    """The comparison for ``years`` pooled (one or more financial years)."""
    window = outcomes.filter(pl.col("financial_year").is_in(list(years)))
    left_out = unusable_quarters(window, count_basis, recorded_crime)
    usable = sexual_offences(window).join(left_out.select(_KEYS), on=_KEYS, how="anti")
    rows = countable(usable, count_basis)
    forces = pl.DataFrame({"force": all_forces(outcomes)})
    table = forces.join(rows.group_by("force").agg(measure_sums(complete=False)), on="force", how="left")
    if recorded_crime is not None:
        offences = (recorded_crime.filter(pl.col("financial_year").is_in(list(years))
                                          & (pl.col("offence_group") == SEXUAL_OFFENCES_GROUP))
                    .join(left_out.select(_KEYS), on=_KEYS, how="anti")
                    .group_by("force").agg(pl.col("offences").sum().alias(RECORDED_OFFENCES)))
        table = table.join(offences, on="force", how="left")
    else:
        table = table.with_columns(pl.lit(None, pl.Int64).alias(RECORDED_OFFENCES))
    table = (_with_rate(table)
             .pipe(with_share, name="share_of_assigned")
             .pipe(with_share, denominator=CHARGES_AND_OUT_OF_COURT, name="share_of_charges_and_out_of_court")
             .join(_expected_from_mix(rows), on="force", how="left")
             .join(_left_out_notes(left_out), on="force", how="left")
             .with_columns(rankable=pl.col(ASSIGNED_OUTCOMES).fill_null(0) >= MIN_OUTCOMES_TO_RANK)
             .sort("force"))
    on_funnel = table.filter(pl.col("rankable"))
    funnel, funnel_dispersion = proportion_funnel(on_funnel.select("force", COMMUNITY_RESOLUTIONS, ASSIGNED_OUTCOMES),
                                                  COMMUNITY_RESOLUTIONS, ASSIGNED_OUTCOMES)
    with_expected = on_funnel.filter(pl.col(EXPECTED) > 0).select("force", COMMUNITY_RESOLUTIONS, EXPECTED)
    mix, mix_dispersion = ratio_funnel(with_expected, COMMUNITY_RESOLUTIONS, EXPECTED)
    return ForceComparison(years=list(years), count_basis=count_basis, table=table, left_out=left_out,
                           funnel=funnel, funnel_dispersion=funnel_dispersion, mix=mix,
                           mix_dispersion=mix_dispersion)


def pooled_years(available: Sequence[str], financial_year: str, pool_years: int) -> list[str]:
    """The ``pool_years`` years ending with ``financial_year`` that the data holds."""
    if pool_years < 1:
        raise CrimeOutcomesError(f"parameter pool_years must be 1 or more, not {pool_years}")
    ending = [y for y in sorted(available) if y <= financial_year]
    return ending[-pool_years:]
