"""An earlier release of a synthetic year, as the Home Office re-issues each year's file.

Between two real releases the recorded-basis outcomes of the same offences mature: some offences
that were "not yet assigned" (type 0) have an outcome by the later one, most in the latest
quarters. The earlier release here is the later one with a fixed share of each cell's assigned
outcomes moved back to type 0, so that every difference is known in advance.
"""

from __future__ import annotations

import polars as pl

from crimeoutcomes.data.codes import NOT_YET_ASSIGNED

#: Share of a cell's assigned outcomes (recorded basis) still unassigned in the earlier release.
UNASSIGNED_EARLIER = {1: 0.05, 2: 0.10, 3: 0.20, 4: 0.35}
CURRENT_RELEASE = ("230726", "2026-07-23")
EARLIER_RELEASE = ("241025", "2025-10-24")


def earlier_release(truth: pl.DataFrame) -> pl.DataFrame:
    """``truth`` as an earlier release would have had it: closed basis unchanged, recorded basis less mature."""
    keys = ["financial_year", "quarter", "force", "offence_code"]
    share = pl.col("quarter").replace_strict(UNASSIGNED_EARLIER, return_dtype=pl.Float64)
    assigned = pl.col("outcome_type") != NOT_YET_ASSIGNED
    moved = (
        pl.when(assigned & (pl.col("recorded") > 0))
        .then((pl.col("recorded") * share).floor().cast(pl.Int64))
        .otherwise(0)
    )
    return (
        truth.with_columns(moved=moved)
        .with_columns(back=pl.col("moved").sum().over(keys))
        .with_columns(
            recorded=pl.when(assigned)
            .then(pl.col("recorded") - pl.col("moved"))
            .otherwise(pl.col("recorded") + pl.col("back"))
        )
        .drop("moved", "back")
    )
