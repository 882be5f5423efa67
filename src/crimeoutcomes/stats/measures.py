"""Counts and shares of outcomes, with missing data kept missing.

Every function takes the tidy outcomes table (``schema.OUTCOMES_COLUMNS``), pandas or polars, and
a count basis, and answers in the same kind of frame (``frames.pandas_api``).
Two kinds of NA are told apart: an expired offence code's marker (the code no longer exists, so
it adds nothing) and a force's data not provided (a gap: any total that needs it is NA, never 0).
National totals add up what was provided and name the gaps alongside (``gaps``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.special import betaincinv, gammaincinv

from crimeoutcomes.data.codes import (
    COMMUNITY_RESOLUTION,
    NOT_YET_ASSIGNED,
    SEXUAL_OFFENCES_GROUP,
    charge_and_out_of_court_types,
    child_victim_offences,
    forces,
)
from crimeoutcomes.data.frames import pandas_api
from crimeoutcomes.data.schema import COUNT_BASES
from crimeoutcomes.errors import CrimeOutcomesError

#: The measures every table here carries, and the outcome types each adds up (None: all assigned types).
#: The first is the question's count (``stats.question``): community resolutions by default, any chosen
#: outcome types otherwise. Its column keeps one name for every question, so that every table,
#: CSV and summary.json key is the same whatever was asked; the pages name it from the question.
COMMUNITY_RESOLUTIONS = "community_resolutions"
ASSIGNED_OUTCOMES = "assigned_outcomes"
CHARGES_AND_OUT_OF_COURT = "charges_and_out_of_court"
#: The default question's outcome types, for the functions' defaults.
DEFAULT_TYPES: tuple[str, ...] = (COMMUNITY_RESOLUTION,)
MEASURE_TYPES: dict[str, tuple[str, ...] | None] = {
    COMMUNITY_RESOLUTIONS: DEFAULT_TYPES,
    CHARGES_AND_OUT_OF_COURT: charge_and_out_of_court_types(),
    ASSIGNED_OUTCOMES: None,
}


def measure_types(outcome_types: Sequence[str] = DEFAULT_TYPES) -> dict[str, tuple[str, ...] | None]:
    """``MEASURE_TYPES`` with the question's outcome types as the count."""
    return {**MEASURE_TYPES, COMMUNITY_RESOLUTIONS: tuple(str(t) for t in outcome_types)}


CONFIDENCE = 0.95
_NOT_PROVIDED = "no rows for this force and quarter"
_QUARTER_NOT_IN_FILE = "the file has no rows for this quarter, for any force"
#: How a collapsed force-quarter (``quality.collapsed_quarters``) is named wherever a count would be shown.
COLLAPSED_NOTE = "outcomes collapsed (a recording problem, not a change in practice)"
QUARTERS = [1, 2, 3, 4]


def check_basis(count_basis: str) -> str:
    if count_basis not in COUNT_BASES:
        raise CrimeOutcomesError(f"count_basis must be one of {', '.join(COUNT_BASES)}, not {count_basis!r}")
    return count_basis


def countable(outcomes: pl.DataFrame, count_basis: str) -> pl.DataFrame:
    """Assigned outcomes only (type 0 left out), with the basis's count as ``count``.

    Rows of an expired code that hold a marker instead of a count are dropped: the code was not in
    use, so they count nothing. Any NA left means the force did not provide its data.
    """
    column = check_basis(count_basis)
    return (
        outcomes.filter(pl.col("outcome_type") != NOT_YET_ASSIGNED)
        .filter(~(pl.col("offence_code_expired").fill_null(False) & pl.col(column).is_null()))
        .with_columns(count=pl.col(column))
    )


def sexual_offences(outcomes: pl.DataFrame) -> pl.DataFrame:
    return outcomes.filter(pl.col("offence_group") == SEXUAL_OFFENCES_GROUP)


def measure_sums(*, complete: bool, outcome_types: Sequence[str] = DEFAULT_TYPES) -> list[pl.Expr]:
    """One sum per measure (the count of ``outcome_types`` first); with ``complete``, NA if any
    count it needs is NA."""
    sums = []
    for name, types in measure_types(outcome_types).items():
        wanted = pl.lit(True) if types is None else pl.col("outcome_type").is_in(list(types))
        value = pl.col("count").filter(wanted)
        if complete:
            total = pl.when(value.is_null().any()).then(None).otherwise(value.sum())
        else:  # NA only where the group has no counts at all (a file without this basis's column)
            total = pl.when(pl.col("count").is_not_null().any()).then(value.sum())
        sums.append(total.cast(pl.Int64).alias(name))
    return sums


def national_totals(
    outcomes: pl.DataFrame,
    count_basis: str,
    by: Sequence[str] = ("financial_year",),
    collapsed: pl.DataFrame | None = None,
    outcome_types: Sequence[str] = DEFAULT_TYPES,
) -> pl.DataFrame:
    """Totals of what the file holds, by ``by`` (the count: ``outcome_types``);
    ``force_quarters_missing`` counts the force-quarters with no data or, given ``collapsed``,
    collapsed outcomes: where it is not 0 the total is not like for like with another period's."""
    rows = countable(outcomes, count_basis)
    gaps = coverage(outcomes, count_basis, collapsed).filter(pl.col("missing"))
    gap_keys = [k for k in by if k in ("financial_year", "quarter")]
    totals = rows.group_by(list(by)).agg(measure_sums(complete=False, outcome_types=outcome_types))
    if gap_keys:
        counted = gaps.group_by(gap_keys).agg(pl.len().cast(pl.Int64).alias("force_quarters_missing"))
        totals = totals.join(counted, on=gap_keys, how="left")
    else:
        totals = totals.with_columns(force_quarters_missing=pl.lit(gaps.height, pl.Int64))
    return totals.with_columns(pl.col("force_quarters_missing").fill_null(0)).sort(list(by))


def all_forces(outcomes: pl.DataFrame) -> list[str]:
    """The 43 territorial forces and British Transport Police, and any other name the data holds."""
    extra = sorted(set(outcomes["force"].unique().drop_nulls().to_list()) - set(forces()))
    return list(forces()) + extra


def coverage(outcomes: pl.DataFrame, count_basis: str, collapsed: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per financial year x quarter x force: is that force's data missing, and why.

    Every year of quarterly data has four quarters, so a quarter the file lacks altogether shows as
    missing for every force. A force-quarter is missing when the file has no rows for it, or when a
    count it should hold is NA (with the published marker). The force-quarters in ``collapsed``
    (financial_year, quarter, force) count as missing too: their few outcomes are a recording
    problem, and a count built on them would pass for a real one.
    """
    rows = countable(outcomes, count_basis)
    present = rows.group_by("financial_year", "quarter", "force").agg(
        missing=pl.col("count").is_null().any(),
        note=pl.col("note").filter(pl.col("count").is_null()).drop_nulls().first(),
    )
    in_file = rows.select("financial_year", "quarter").unique().with_columns(quarter_in_file=pl.lit(True))
    quarterly = in_file.filter(pl.col("quarter").is_not_null()).select("financial_year").unique()
    periods = pl.concat(
        [
            quarterly.join(pl.DataFrame({"quarter": QUARTERS}, schema={"quarter": pl.Int8}), how="cross"),
            in_file.filter(pl.col("quarter").is_null()).select("financial_year", "quarter"),
        ]
    ).join(in_file, on=["financial_year", "quarter"], how="left", nulls_equal=True)
    grid = periods.join(pl.DataFrame({"force": all_forces(outcomes)}), how="cross")
    absent = (
        pl.when(pl.col("quarter_in_file").is_null()).then(pl.lit(_QUARTER_NOT_IN_FILE)).otherwise(pl.lit(_NOT_PROVIDED))
    )
    table = (
        grid.join(present, on=["financial_year", "quarter", "force"], how="left", nulls_equal=True)
        .with_columns(
            note=pl.when(pl.col("missing").is_null()).then(absent).otherwise(pl.col("note")),
            missing=pl.col("missing").fill_null(True),
        )
        .drop("quarter_in_file")
    )
    if collapsed is not None and collapsed.height:
        keys = ["financial_year", "quarter", "force"]
        flagged = collapsed.select(keys).unique().with_columns(collapsed=pl.lit(True))
        table = (
            table.join(flagged, on=keys, how="left", nulls_equal=True)
            .with_columns(
                note=pl.when(pl.col("collapsed") & ~pl.col("missing"))
                .then(pl.lit(COLLAPSED_NOTE))
                .otherwise(pl.col("note")),
                missing=pl.col("missing") | pl.col("collapsed").fill_null(False),
            )
            .drop("collapsed")
        )
    return table.sort("financial_year", "force", "quarter")


def gaps(outcomes: pl.DataFrame, count_basis: str, collapsed: pl.DataFrame | None = None) -> pl.DataFrame:
    """The missing (or collapsed) force-quarters, one row per force and year: the quarters and why."""
    return (
        coverage(outcomes, count_basis, collapsed)
        .filter(pl.col("missing"))
        .group_by("financial_year", "force")
        .agg(
            quarters_missing=pl.col("quarter").sort().cast(pl.String).str.join(", "),
            marker=pl.col("note").drop_nulls().unique().sort().str.join("; "),
        )
        .sort("financial_year", "force")
    )


def force_totals(
    outcomes: pl.DataFrame,
    count_basis: str,
    by: Sequence[str] = ("financial_year",),
    collapsed: pl.DataFrame | None = None,
    outcome_types: Sequence[str] = DEFAULT_TYPES,
) -> pl.DataFrame:
    """Totals by force (and ``by``; the count: ``outcome_types``): NA, never 0, where any quarter of
    the force's data is missing or (given ``collapsed``) collapsed."""
    keys = ["force", *by]
    rows = countable(outcomes, count_basis)
    missing = (
        coverage(outcomes, count_basis, collapsed)
        .group_by(["force", *[k for k in by if k in ("financial_year", "quarter")]])
        .agg(quarters_missing=pl.col("quarter").filter(pl.col("missing")).sort().cast(pl.String).str.join(", "))
    )
    force_names = pl.DataFrame({"force": all_forces(outcomes)})
    grid = rows.select(list(by)).unique().join(force_names, how="cross") if by else force_names
    sums = measure_sums(complete=True, outcome_types=outcome_types)
    totals = grid.join(rows.group_by(keys).agg(sums), on=keys, how="left")
    totals = totals.join(missing, on=[c for c in missing.columns if c != "quarters_missing"], how="left")
    has_gap = pl.col("quarters_missing").fill_null("") != ""
    return (
        totals.with_columns(
            [pl.when(has_gap).then(None).otherwise(pl.col(m).fill_null(0)).alias(m) for m in MEASURE_TYPES]
        )
        .with_columns(quarters_missing=pl.when(has_gap).then(pl.col("quarters_missing")))
        .select(*keys, *MEASURE_TYPES, "quarters_missing")
        .sort([*by, "force"])
    )


def with_share(
    frame: pl.DataFrame,
    numerator: str = COMMUNITY_RESOLUTIONS,
    denominator: str = ASSIGNED_OUTCOMES,
    name: str = "share",
) -> pl.DataFrame:
    """``name`` = numerator / denominator with a 95% exact (Clopper-Pearson) interval, NA where either is."""
    k = frame[numerator].cast(pl.Float64).to_numpy()
    n = frame[denominator].cast(pl.Float64).to_numpy()
    low, high = exact_interval(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / n, np.nan)
    return frame.with_columns(
        pl.Series(name, share).fill_nan(None),
        pl.Series(f"{name}_low", low).fill_nan(None),
        pl.Series(f"{name}_high", high).fill_nan(None),
    )


def exact_interval(k, n, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson interval for k successes in n trials; NaN where n is NA or not positive."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - confidence
    valid = np.isfinite(k) & np.isfinite(n) & (n > 0)
    k_safe = np.clip(np.where(valid, k, 0), 0, np.where(valid, n, 1))
    n_safe = np.where(valid, n, 1)
    with np.errstate(invalid="ignore"):
        # beta quantiles (scipy.special, so that notebooks need not import scipy.stats)
        low = np.where(k_safe > 0, betaincinv(k_safe, n_safe - k_safe + 1, alpha / 2), 0.0)
        high = np.where(k_safe < n_safe, betaincinv(k_safe + 1, n_safe - k_safe, 1 - alpha / 2), 1.0)
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def poisson_interval(k, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a count k; NaN where k is NA."""
    k = np.asarray(k, dtype=float)
    alpha = 1 - confidence
    valid = np.isfinite(k) & (k >= 0)
    k_safe = np.where(valid, k, 0)
    # chi-squared quantiles on 2k and 2k + 2 degrees of freedom, halved: gamma quantiles
    low = np.where(k_safe > 0, gammaincinv(np.where(k_safe > 0, k_safe, 1), alpha / 2), 0.0)
    high = gammaincinv(k_safe + 1, 1 - alpha / 2)
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def offence_code_totals(
    outcomes: pl.DataFrame,
    count_basis: str,
    by: Sequence[str] = ("financial_year",),
    outcome_types: Sequence[str] = DEFAULT_TYPES,
) -> pl.DataFrame:
    """The count (``outcome_types``) and assigned outcomes by offence code (with its description and subgroup)."""
    rows = countable(outcomes, count_basis)
    keys = [*by, "offence_code"]
    labels = (
        outcomes.sort("financial_year", descending=True)
        .group_by("offence_code", maintain_order=True)
        .agg(pl.col("offence_description").first(), pl.col("offence_subgroup").first())
    )
    # Every code the file lists, so an expired one shows 0 rather than vanishing.
    listed = outcomes.select(keys).unique()
    sums = measure_sums(complete=False, outcome_types=outcome_types)
    totals = listed.join(rows.group_by(keys).agg(sums), on=keys, how="left")
    return (
        totals.with_columns([pl.col(m).fill_null(0) for m in MEASURE_TYPES])
        .join(labels, on="offence_code", how="left")
        .sort(keys)
    )


def child_victim_codes() -> list[str]:
    return [o.code for o in child_victim_offences()]


def forces_with_community_resolutions(
    outcomes: pl.DataFrame,
    count_basis: str,
    offence_codes: Sequence[str],
    outcome_types: Sequence[str] = DEFAULT_TYPES,
) -> pl.DataFrame:
    """Per financial year and force, the count (``outcome_types``) for ``offence_codes`` where there was one."""
    rows = countable(outcomes, count_basis).filter(
        pl.col("offence_code").is_in(list(offence_codes)) & pl.col("outcome_type").is_in(list(outcome_types))
    )
    return (
        rows.group_by("financial_year", "force")
        .agg(
            pl.col("count").sum().alias(COMMUNITY_RESOLUTIONS),
            offence_codes=pl.col("offence_code").filter(pl.col("count") > 0).unique().sort().str.join(", "),
        )
        .filter(pl.col(COMMUNITY_RESOLUTIONS) > 0)
        .sort("financial_year", "force")
    )


def on_both_bases(
    outcomes: pl.DataFrame,
    measure: str = COMMUNITY_RESOLUTIONS,
    by: Sequence[str] = ("financial_year",),
    outcome_types: Sequence[str] = DEFAULT_TYPES,
) -> pl.DataFrame:
    """``measure`` nationally by ``by``, one column per count basis (closed, recorded)."""
    frames = [
        national_totals(outcomes, basis, by, outcome_types=outcome_types).select(*by, pl.col(measure).alias(basis))
        for basis in COUNT_BASES
    ]
    joined = frames[0]
    for frame in frames[1:]:
        joined = joined.join(frame, on=list(by), how="full", coalesce=True)
    return joined.sort(list(by))


def period() -> pl.Expr:
    """'2024/25 Q1': how a quarter is named wherever one is shown."""
    return pl.col("financial_year") + " Q" + pl.col("quarter").cast(pl.String)


def period_label(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds ``period`` = '2024/25 Q1' for quarterly tables."""
    return frame.with_columns(period=period())


# pandas in, pandas out (frames.pandas_api), given here rather than as a decorator on each function:
# mutmut (make mutation) does not mutate decorated functions, and these compute published counts.
countable = pandas_api(countable)
sexual_offences = pandas_api(sexual_offences)
national_totals = pandas_api(national_totals)
all_forces = pandas_api(all_forces)
coverage = pandas_api(coverage)
gaps = pandas_api(gaps)
force_totals = pandas_api(force_totals)
with_share = pandas_api(with_share)
offence_code_totals = pandas_api(offence_code_totals)
forces_with_community_resolutions = pandas_api(forces_with_community_resolutions)
on_both_bases = pandas_api(on_both_bases)
period_label = pandas_api(period_label)
