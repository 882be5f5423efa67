"""Counts of chosen outcome types side by side (community resolutions, 8, beside diversionary
activity, 22): a force can close a similar case either way, so a rise in one can be a fall in the
other. ``alternatives`` says, for any question, which outcome types are its alternatives.

The same rules as ``measures``: nationally, what the file holds is added up and the missing or
collapsed force-quarters are counted beside it; by force, a count is NA, never 0, where any quarter
of the force's data is missing or collapsed. An outcome type the year's file has no rows for at all
(not yet in use, or withdrawn) is NA too: the type did not exist there, which is not a count of 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from crimeoutcomes.data.frames import pandas_api
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.stats.measures import (
    ASSIGNED_OUTCOMES,
    all_forces,
    countable,
    force_totals,
    national_totals,
)

COUNT = "count"
SHARE_OF_ASSIGNED = "share_of_assigned"

#: The ways of dealing with an identified suspect of a similar case that a force chooses between:
#: a charge (1), a caution (youth 2 or adult 3, one choice whatever the age), a community resolution
#: (8), diversionary activity (22). Penalty notices (6) and cannabis/khat warnings (7) are left out:
#: they exist for a few offences only, so they are no general alternative.
INTERCHANGEABLE = (("1",), ("2", "3"), ("8",), ("22",))


def alternatives(outcome_types: Sequence[str]) -> tuple[str, ...]:
    """The outcome types a force could have recorded instead of ``outcome_types`` for a similar case
    (the other choices of ``INTERCHANGEABLE``, in its order): for charges (1) the cautions, community
    resolutions and outcome 22. None where any type counted is not one of those choices (an
    evidential difficulty, say, is no decision a force takes in place of a charge)."""
    chosen = {str(t) for t in outcome_types}
    choices = {t for group in INTERCHANGEABLE for t in group}
    if not chosen or not chosen <= choices:
        return ()
    return tuple(t for group in INTERCHANGEABLE if not chosen & set(group) for t in group)


@pandas_api
def outcome_type_totals(
    outcomes: pl.DataFrame,
    count_basis: str,
    outcome_types: Sequence[str],
    by: Sequence[str] = ("financial_year",),
    collapsed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per ``by`` and outcome type: the ``count`` of that type, the assigned outcomes of the
    same rows and the ``share_of_assigned``; nationally ``force_quarters_missing`` as in
    ``measures.national_totals``, with ``force`` in ``by`` the ``quarters_missing`` as in
    ``measures.force_totals``. Counts are Int64; NA as the module says."""
    types = [str(t) for t in outcome_types]
    if not types:
        raise CrimeOutcomesError("outcome_types must name at least one outcome type")
    if "financial_year" not in by:
        raise CrimeOutcomesError(f"by must include financial_year (an outcome type's use is per year), not {by!r}")
    by = list(by)
    rows = countable(outcomes, count_basis)
    by_force = "force" in by
    others = [k for k in by if k != "force"]
    if by_force:
        denominators = force_totals(outcomes, count_basis, others, collapsed).select(
            *by, ASSIGNED_OUTCOMES, "quarters_missing"
        )
        gap = pl.col("quarters_missing").is_not_null()
        grid = rows.select(others).unique().join(pl.DataFrame({"force": all_forces(outcomes)}), how="cross")
    else:
        denominators = national_totals(outcomes, count_basis, by, collapsed).select(
            *by, ASSIGNED_OUTCOMES, "force_quarters_missing"
        )
        gap = pl.lit(False)
        grid = rows.select(by).unique()
    keys = [*by, "outcome_type"]
    chosen = rows.filter(pl.col("outcome_type").is_in(types))
    summed = chosen.group_by(keys).agg(
        # By force a count needs every row it adds (NA if any is NA); nationally what was provided.
        (
            pl.when(pl.col("count").is_null().any()).then(None).otherwise(pl.col("count").sum())
            if by_force
            else pl.when(pl.col("count").is_not_null().any()).then(pl.col("count").sum())
        )
        .cast(pl.Int64)
        .alias(COUNT)
    )
    in_use = chosen.select("financial_year", "outcome_type").unique().with_columns(in_use=pl.lit(True))
    table = (
        grid.join(pl.DataFrame({"outcome_type": types}), how="cross")
        .join(summed, on=keys, how="left", nulls_equal=True)
        .join(in_use, on=["financial_year", "outcome_type"], how="left")
        .join(denominators, on=by, how="left", nulls_equal=True)
        .with_columns(
            pl.when(pl.col("in_use").is_null() | gap).then(None).otherwise(pl.col(COUNT).fill_null(0)).alias(COUNT)
        )
        .with_columns(
            pl.when(pl.col(ASSIGNED_OUTCOMES) > 0)
            .then(pl.col(COUNT) / pl.col(ASSIGNED_OUTCOMES))
            .alias(SHARE_OF_ASSIGNED)
        )
        .drop("in_use")
    )
    order = {t: i for i, t in enumerate(types)}
    return (
        table.with_columns(_order=pl.col("outcome_type").replace_strict(order, return_dtype=pl.Int32))
        .sort([*by, "_order"])
        .drop("_order")
        .select(
            *keys, COUNT, ASSIGNED_OUTCOMES, SHARE_OF_ASSIGNED, *[c for c in table.columns if c.endswith("missing")]
        )
    )
