"""Comparing forces fairly: three denominators, funnels, and the offence mix.

Rates use only the force-quarters whose data can be used (``quality.unusable_quarters``), the
same quarters in numerator and denominator. Several years can be pooled so that small forces
have enough outcomes to compare. A force with fewer than ``MIN_OUTCOMES_TO_RANK`` assigned
outcomes is shown but neither ranked nor placed on a funnel. The funnels, their flags, the
over-dispersion and the rank intervals are ``stats.funnel_table``'s (see docs/method.md); the
offence-mix expected counts leave each force out of its own benchmark (``stats.offence_mix``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from crimeoutcomes.config import MIN_OUTCOMES_TO_RANK, RATE_PER
from crimeoutcomes.data.codes import charge_and_out_of_court_types, display_name
from crimeoutcomes.data.frames import to_pandas
from crimeoutcomes.data.schema import FORCE_QUARTER
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.stats import flagged, funnel_curves, funnel_table, leave_one_out_expected, told_apart_from_middle
from crimeoutcomes.stats.measures import (
    ASSIGNED_OUTCOMES,
    CHARGES_AND_OUT_OF_COURT,
    COMMUNITY_RESOLUTIONS,
    all_forces,
    countable,
    measure_sums,
    period,
    poisson_interval,
    with_share,
)
from crimeoutcomes.stats.quality import unusable_quarters
from crimeoutcomes.stats.question import CODES, DEFAULT_QUESTION, GROUP, Question

PER_OFFENCES = RATE_PER

RECORDED_OFFENCES = "recorded_offences"
EXPECTED = "expected_community_resolutions"
#: How the funnel tables of ``stats.funnel_table`` are named here: a unit is a force.
_PROPORTION_NAMES = {"unit": "force", "events": COMMUNITY_RESOLUTIONS, "n": ASSIGNED_OUTCOMES, "value": "share"}
_RATIO_NAMES = {"unit": "force", "observed": COMMUNITY_RESOLUTIONS, "expected": EXPECTED, "value": "ratio"}

#: What each rate divides by, for labels next to every figure and table that uses it.
DENOMINATOR_LABELS = {
    "rate_per_1000_recorded": f"per {PER_OFFENCES:,} sexual offences recorded (police recorded crime, same force, "
    "quarters and offence group)",
    "share_of_assigned": "share of assigned sexual-offence outcomes (every outcome type except 0)",
    "share_of_charges_and_out_of_court": "share of sexual-offence charges and out-of-court outcomes (types 1, 2, 3, "
    "6, 7, 8)",
}


def denominator_labels(question: Question = DEFAULT_QUESTION, offences: str = "sexual offences") -> dict[str, str]:
    """``DENOMINATOR_LABELS`` for ``question``, whose offences are called ``offences`` ('rape offences')."""
    if question.is_default:
        return DENOMINATOR_LABELS
    selection = (
        "offence group" if question.level == GROUP else "offence codes" if question.level == CODES else "subgroup"
    )
    return {
        "rate_per_1000_recorded": f"per {PER_OFFENCES:,} {offences} recorded (police recorded crime, same force, "
        f"quarters and {selection})",
        "share_of_assigned": f"share of assigned outcomes for {offences} (every outcome type except 0)",
        "share_of_charges_and_out_of_court": f"share of charges and out-of-court outcomes for {offences} (types 1, 2, "
        "3, 6, 7, 8)",
    }


@dataclass
class ForceComparison:
    years: list[str]
    table: pd.DataFrame  # one row per force: counts, the three rates with intervals, expected, notes
    left_out: pd.DataFrame  # force-quarters left out of every rate, with the reason
    funnel: pd.DataFrame  # forces on the proportion funnel (share of assigned outcomes): stats.funnel_table
    mix: pd.DataFrame  # forces on the observed/expected funnel (offence mix): stats.funnel_table

    @property
    def national_share(self) -> float:
        return float(self.funnel["target"].iloc[0]) if len(self.funnel) else float("nan")

    @staticmethod
    def outside(frame: pd.DataFrame, adjusted: bool = False, level: str = "99_8") -> list[str]:
        """The forces flagged outside the exact (or over-dispersion-adjusted) limits at ``level``."""
        column = f"outside_adjusted_{level}" if adjusted else f"outside_{level}"
        return frame.loc[frame[column].fillna("") != "", "force"].tolist()

    @staticmethod
    def dispersion(frame: pd.DataFrame) -> dict:
        """phi, tau^2, the test's p-value, whether over-dispersed, how many flags chance alone gives,
        and the random-effects model used for the adjusted limits ('none' when not over-dispersed)
        with its spread on its own scale."""
        if not len(frame):
            return {
                "units": 0,
                "phi": None,
                "tau2": None,
                "p_value": None,
                "over_dispersed": False,
                "expected_flags_95": None,
                "expected_flags_99_8": None,
                "model": "none",
                "model_spread": None,
            }
        first = frame.iloc[0]
        spread = first.get("model_spread", np.nan)
        return {
            "units": int(first["units"]),
            "phi": float(first["phi"]),
            "tau2": float(first["tau2"]),
            "p_value": float(first["dispersion_p"]),
            "over_dispersed": bool(first["over_dispersed"]),
            "expected_flags_95": float(first["expected_flags_95"]),
            "expected_flags_99_8": float(first["expected_flags_99_8"]),
            "model": str(first.get("model", "none")),
            "model_spread": None if pd.isna(spread) else float(spread),
        }


def _left_out_notes(left_out: pl.DataFrame) -> pl.DataFrame:
    return (
        left_out.group_by("force", "reason")
        .agg(periods=period().sort().str.join(", "))
        .group_by("force")
        .agg(
            quarters_left_out=(pl.col("periods") + " (" + pl.col("reason").str.split(":").list.first() + ")")
            .sort()
            .str.join("; ")
        )
    )


def _expected_from_mix(rows: pl.DataFrame, outcome_types: Sequence[str]) -> pl.DataFrame:
    """Each force's outcomes by offence code times the rate of ``outcome_types`` for that code in
    the other forces (the force left out of its own benchmark)."""
    by_code = (
        rows.group_by("force", "offence_code")
        .agg(
            pl.col("count")
            .filter(pl.col("outcome_type").is_in(list(outcome_types)))
            .sum()
            .alias(COMMUNITY_RESOLUTIONS),
            pl.col("count").sum().alias(ASSIGNED_OUTCOMES),
        )
        .sort("force", "offence_code")
    )
    if not by_code.height:
        return pl.DataFrame(schema={"force": pl.String, EXPECTED: pl.Float64})
    expected = leave_one_out_expected(by_code.to_pandas())
    return pl.DataFrame({"force": expected["force"].astype(str).tolist(), EXPECTED: expected["expected"].to_numpy()})


def _funnel(table: pl.DataFrame, count: str, size: str, names: dict) -> pd.DataFrame:
    """``stats.funnel_table`` of the forces in ``table`` (a proportion or an O/E ratio), named for forces."""
    inputs = {v: k for k, v in names.items() if k in ("unit", "events", "n", "observed", "expected")}
    data = table.select("force", count, size).to_pandas().rename(columns=inputs)
    if not len(data):
        return pd.DataFrame(columns=list(names.values()))
    return funnel_table(data).drop(columns="dataset").rename(columns=names).astype({"force": "category"})


def _with_rate(frame: pl.DataFrame) -> pl.DataFrame:
    k = frame[COMMUNITY_RESOLUTIONS].cast(pl.Float64).to_numpy()
    offences = frame[RECORDED_OFFENCES].cast(pl.Float64).to_numpy()
    low, high = poisson_interval(k)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(offences > 0, PER_OFFENCES / offences, np.nan)
    return frame.with_columns(
        pl.Series("cr_low", low).fill_nan(None),
        pl.Series("cr_high", high).fill_nan(None),
        pl.Series("rate_per_1000_recorded", k * scale).fill_nan(None),
        pl.Series("rate_per_1000_recorded_low", low * scale).fill_nan(None),
        pl.Series("rate_per_1000_recorded_high", high * scale).fill_nan(None),
    )


def force_rates(
    outcomes: pl.DataFrame,
    count_basis: str,
    years: Sequence[str],
    recorded_crime: pl.DataFrame | None = None,
    question: Question = DEFAULT_QUESTION,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One row per force for ``years`` pooled: the counts of ``question`` and the three rates with
    intervals, on the quarters that can be used (the table of ``compare_forces`` before the offence
    mix); with the quarters left out and the usable rows. The share of charges and out-of-court
    outcomes is NA where the question counts another outcome type: it would not be a share of them."""
    window = outcomes.filter(pl.col("financial_year").is_in(list(years)))
    left_out = unusable_quarters(window, count_basis, recorded_crime)
    # nulls equal: an annual year (the 2006-2014 archive) has no quarter, and its left-out force-years
    # must match too
    usable = question.select(window).join(
        left_out.select(FORCE_QUARTER), on=FORCE_QUARTER, how="anti", nulls_equal=True
    )
    rows = countable(usable, count_basis)
    forces = pl.DataFrame({"force": all_forces(outcomes)})
    sums = measure_sums(complete=False, outcome_types=question.outcome_types)
    table = forces.join(rows.group_by("force").agg(sums), on="force", how="left")
    if recorded_crime is not None:
        offences = (
            recorded_crime.filter(pl.col("financial_year").is_in(list(years)) & question.selects())
            .join(left_out.select(FORCE_QUARTER), on=FORCE_QUARTER, how="anti", nulls_equal=True)
            .group_by("force")
            .agg(pl.col("offences").sum().alias(RECORDED_OFFENCES))
        )
        table = table.join(offences, on="force", how="left")
    else:
        table = table.with_columns(pl.lit(None, pl.Int64).alias(RECORDED_OFFENCES))
    table = _with_rate(table).pipe(with_share, name="share_of_assigned")
    of_charges = "share_of_charges_and_out_of_court"
    table = with_share(table, denominator=CHARGES_AND_OUT_OF_COURT, name=of_charges)
    if not question.within(charge_and_out_of_court_types()):
        table = table.with_columns(
            pl.lit(None, pl.Float64).alias(c) for c in (of_charges, f"{of_charges}_low", f"{of_charges}_high")
        )
    return table.join(_left_out_notes(left_out), on="force", how="left"), left_out, rows


def national_rate(table: pd.DataFrame) -> float:
    """Community resolutions per 1,000 recorded offences over the forces that have a rate (the same
    quarters in numerator and denominator): the England and Wales line beside the forces' rates."""
    with_rate = table.dropna(subset=["rate_per_1000_recorded"])
    offences = with_rate[RECORDED_OFFENCES].sum()
    return float(with_rate[COMMUNITY_RESOLUTIONS].sum() / offences * PER_OFFENCES) if offences else float("nan")


def rates_by_year(
    outcomes: pl.DataFrame,
    count_basis: str,
    years: Sequence[str],
    recorded_crime: pl.DataFrame | None = None,
    question: Question = DEFAULT_QUESTION,
) -> pd.DataFrame:
    """``force_rates`` of each year on its own, one row per force and year (a year's rows are those
    of ``compare_forces`` for that year alone)."""
    frames = [
        force_rates(outcomes, count_basis, [year], recorded_crime, question)[0].with_columns(
            financial_year=pl.lit(year)
        )
        for year in years
    ]
    table = to_pandas(pl.concat(frames, how="diagonal_relaxed")) if frames else pd.DataFrame()
    return table[["financial_year", *[c for c in table.columns if c != "financial_year"]]]


def compare_forces(
    outcomes: pl.DataFrame,
    count_basis: str,
    years: Sequence[str],
    recorded_crime: pl.DataFrame | None = None,
    question: Question = DEFAULT_QUESTION,
) -> ForceComparison:
    """The comparison of ``question`` for ``years`` pooled (one or more financial years)."""
    table, left_out, rows = force_rates(outcomes, count_basis, years, recorded_crime, question)
    table = (
        table.join(_expected_from_mix(rows, question.outcome_types), on="force", how="left")
        .select(*[c for c in table.columns if c != "quarters_left_out"], EXPECTED, "quarters_left_out")
        .with_columns(rankable=pl.col(ASSIGNED_OUTCOMES).fill_null(0) >= MIN_OUTCOMES_TO_RANK)
        # in the alphabetical order of the names the pages show ('City of London' under C), as the
        # report's table says it is
        .sort(pl.col("force").map_elements(display_name, return_dtype=pl.String))
    )
    on_funnel = table.filter(pl.col("rankable"))
    funnel = _funnel(on_funnel, COMMUNITY_RESOLUTIONS, ASSIGNED_OUTCOMES, _PROPORTION_NAMES)
    mix = _funnel(on_funnel.filter(pl.col(EXPECTED) > 0), COMMUNITY_RESOLUTIONS, EXPECTED, _RATIO_NAMES)
    return ForceComparison(
        years=list(years), table=to_pandas(table), left_out=to_pandas(left_out), funnel=funnel, mix=mix
    )


def limit_curves(frame: pd.DataFrame) -> pd.DataFrame:
    """The limit lines (exact and adjusted) of a force funnel (``ForceComparison.funnel`` or ``.mix``), for drawing."""
    names = _PROPORTION_NAMES if "share" in frame.columns else _RATIO_NAMES
    table = frame.rename(columns={v: k for k, v in names.items()}).assign(dataset="forces")
    return funnel_curves(table).drop(columns="dataset").rename(columns=names)


def flags(frame: pd.DataFrame, level: str = "99_8") -> pd.DataFrame:
    """The forces flagged outside the exact limits at ``level``, most extreme first, with their
    one-sided and two-sided p-values, the Holm-adjusted p-value across the forces compared, the flag
    once over-dispersion is allowed for, and the rank with its 95% interval."""
    names = _PROPORTION_NAMES if "share" in frame.columns else _RATIO_NAMES
    table = frame.rename(columns={v: k for k, v in names.items()}).assign(dataset="forces")
    return flagged(table, level).drop(columns="dataset").rename(columns=names)


def told_apart(frame: pd.DataFrame) -> dict:
    """How many forces' 95% rank intervals exclude the middle rank, and which (above and below)."""
    if not len(frame):
        return {"forces": 0, "middle_rank": None, "told_apart": 0, "above_middle": [], "below_middle": []}
    row = told_apart_from_middle(frame.rename(columns={"force": "unit"}).assign(dataset="forces")).iloc[0]
    split = lambda text: [name for name in text.split(", ") if name]  # noqa: E731
    return {
        "forces": int(row["units"]),
        "middle_rank": float(row["middle_rank"]),
        "told_apart": int(row["told_apart"]),
        "above_middle": split(row["above_middle_units"]),
        "below_middle": split(row["below_middle_units"]),
    }


def pooled_years(available: Sequence[str], financial_year: str, pool_years: int) -> list[str]:
    """The ``pool_years`` years ending with ``financial_year`` that the data holds."""
    if pool_years < 1:
        raise CrimeOutcomesError(f"parameter pool_years must be 1 or more, not {pool_years}")
    ending = [y for y in sorted(available) if y <= financial_year]
    return ending[-pool_years:]
