"""Force-quarters whose outcomes cannot be used for rates: missing, or collapsed without a marker.

Some forces' outcomes vanish for a while with no marker in the file (a records-system change):
Greater Manchester from mid 2019/20, Devon and Cornwall from late 2022. Their crimes were still
recorded, so their outcome counts fall towards zero and would look like good practice. A
force-quarter is called *collapsed* when its assigned outcomes per recorded crime fall below
``COLLAPSE_THRESHOLD`` of the national figure for the same quarter (all offences, so that a real
change in one offence cannot trip it). Without the recorded-crime file the comparison is with the
force's own best quarter in the years read.
"""

from __future__ import annotations

import polars as pl

from crimeoutcomes.config import COLLAPSE_THRESHOLD  # why 0.25: reference/assumptions.csv
from crimeoutcomes.data.frames import pandas_api
from crimeoutcomes.data.schema import FORCE_QUARTER
from crimeoutcomes.stats.measures import countable, coverage


def _assigned_by_force_quarter(outcomes: pl.DataFrame, count_basis: str) -> pl.DataFrame:
    return countable(outcomes, count_basis).group_by(FORCE_QUARTER).agg(assigned=pl.col("count").sum())


def _thousands(column: str) -> pl.Expr:
    """1234 -> '1,234' for the notes a reader sees (only the few collapsed quarters are formatted)."""
    return pl.col(column).map_elements(lambda n: f"{n:,}", return_dtype=pl.String)


def collapsed_quarters(
    outcomes: pl.DataFrame, count_basis: str, recorded_crime: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Force-quarters whose outcomes collapse while crime is still recorded, with the evidence."""
    assigned = _assigned_by_force_quarter(outcomes, count_basis)
    if recorded_crime is not None:
        crimes = (
            recorded_crime.filter(pl.col("financial_year").is_in(assigned["financial_year"].unique().to_list()))
            .group_by(FORCE_QUARTER)
            .agg(crimes=pl.col("offences").sum())
        )
        joined = assigned.join(crimes, on=FORCE_QUARTER, how="inner").filter(pl.col("crimes") > 0)
        national = pl.col("assigned").sum().over("financial_year", "quarter") / pl.col("crimes").sum().over(
            "financial_year", "quarter"
        )
        scored = joined.with_columns(level=(pl.col("assigned") / pl.col("crimes")) / national)
        reason = pl.format(
            "outcomes collapsed: {} assigned outcomes for {} recorded crimes, {}% of the national rate",
            _thousands("assigned"),
            _thousands("crimes"),
            (pl.col("level") * 100).round(1),
        )
    else:
        scored = assigned.with_columns(
            share=pl.col("assigned") / pl.col("assigned").sum().over("financial_year", "quarter")
        ).with_columns(level=pl.col("share") / pl.col("share").max().over("force"))
        reason = pl.format(
            "outcomes collapsed: {} assigned outcomes, {}% of the force's best quarter",
            _thousands("assigned"),
            (pl.col("level") * 100).round(1),
        )
    return scored.filter(pl.col("level") < COLLAPSE_THRESHOLD).select(*FORCE_QUARTER, reason=reason).sort(FORCE_QUARTER)


def unusable_quarters(
    outcomes: pl.DataFrame, count_basis: str, recorded_crime: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every force-quarter to leave out of rates, and why: missing data or collapsed outcomes."""
    missing = (
        coverage(outcomes, count_basis)
        .filter(pl.col("missing"))
        .select(*FORCE_QUARTER, reason=pl.lit("data missing: ") + pl.col("note").fill_null("no marker"))
    )
    collapsed = collapsed_quarters(outcomes, count_basis, recorded_crime).join(
        missing, on=FORCE_QUARTER, how="anti", nulls_equal=True
    )
    return pl.concat([missing, collapsed]).sort(FORCE_QUARTER)


# pandas in, pandas out (frames.pandas_api), given here rather than as a decorator on each function:
# mutmut (make mutation) does not mutate decorated functions, and these compute published counts.
collapsed_quarters = pandas_api(collapsed_quarters)
unusable_quarters = pandas_api(unusable_quarters)
