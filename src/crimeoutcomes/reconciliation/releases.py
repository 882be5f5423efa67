"""Two releases of one year's outcomes file: which cells changed, and how outcomes matured.

The Home Office re-issues each year's file with a new date stamp. On the recorded basis the
outcomes of the same offences *mature*: offences still "not yet assigned" (type 0) in one release
have an outcome in the next. On the closed basis counts change only through revisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl

from crimeoutcomes.data.codes import COMMUNITY_RESOLUTION, NOT_YET_ASSIGNED
from crimeoutcomes.data.schema import COUNT_BASES, OUTCOMES_KEY
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.stats.measures import period_label

KEYS = list(OUTCOMES_KEY)


@dataclass
class ReleaseDiff:
    cells: pl.DataFrame  # every cell that differs: KEYS, old_/new_/change_ per basis, in_old, in_new

    def by(self, key: str) -> pl.DataFrame:
        """Per ``key`` (force, offence_code, outcome_type ...): cells changed, net change on both bases, and
        on the recorded basis the change in assigned outcomes (offences that gained an outcome)."""
        assigned = pl.col("outcome_type") != NOT_YET_ASSIGNED
        return (
            self.cells.group_by(key)
            .agg(
                *[pl.col(f"change_{b}").sum().alias(f"change_{b}") for b in COUNT_BASES],
                cells_changed=pl.len(),
                newly_assigned_recorded=pl.col("change_recorded").filter(assigned).sum(),
            )
            .sort("cells_changed", key, descending=[True, False])
        )


def release_date(path: Path) -> date | None:
    """When a file was released: as the manifest of its folder records it, else from the date stamp
    in its name (None where neither says)."""
    from crimeoutcomes.data.govuk import release_of
    from crimeoutcomes.data.manifest import load_manifest

    path = Path(path)
    try:
        listed = load_manifest(path.parent).get("files", [])
    except (OSError, ValueError, CrimeOutcomesError):
        listed = []  # an unreadable manifest: the file name can still say
    recorded = next((e.get("release_date") for e in listed if e.get("filename") == path.name), None)
    if recorded:
        return date.fromisoformat(recorded)
    return release_of(path.name)[1]


def order_warning(old: Path, new: Path) -> str | None:
    """A warning where OLD was released after NEW (the changes would read backwards); None where
    the order is right or a release date is unknown."""
    old_date, new_date = release_date(old), release_date(new)
    if old_date is None or new_date is None or old_date <= new_date:
        return None
    return (
        f"warning: OLD {Path(old).name} (released {old_date}) is newer than NEW {Path(new).name} (released "
        f"{new_date}): the releases are in the wrong order, so every change below reads backwards. "
        f"Give the earlier release first: diff {Path(new).name} {Path(old).name}"
    )


def compare_releases(old: pl.DataFrame, new: pl.DataFrame, old_name: str = "old", new_name: str = "new") -> ReleaseDiff:
    """Cell-by-cell differences between two tidy outcomes tables of the same financial year(s)."""
    years_old = sorted(old["financial_year"].unique().to_list())
    years_new = sorted(new["financial_year"].unique().to_list())
    if years_old != years_new:
        raise CrimeOutcomesError(
            f"{old_name} holds {', '.join(years_old)} but {new_name} holds "
            f"{', '.join(years_new)}: compare two releases of the same year"
        )
    columns = [*KEYS, *COUNT_BASES]
    joined = (
        old.select(columns)
        .with_columns(in_old=pl.lit(True))
        .join(new.select(columns).with_columns(in_new=pl.lit(True)), on=KEYS, how="full", coalesce=True, suffix="_new")
    )
    joined = joined.rename({b: f"old_{b}" for b in COUNT_BASES}).rename({f"{b}_new": f"new_{b}" for b in COUNT_BASES})
    changed = pl.any_horizontal([pl.col(f"old_{b}").ne_missing(pl.col(f"new_{b}")) for b in COUNT_BASES])
    cells = (
        joined.with_columns(pl.col("in_old", "in_new").fill_null(False))
        .filter(changed | ~pl.col("in_old") | ~pl.col("in_new"))
        .with_columns(
            [
                (pl.col(f"new_{b}").fill_null(0) - pl.col(f"old_{b}").fill_null(0)).alias(f"change_{b}")
                for b in COUNT_BASES
            ]
        )
        .sort(KEYS)
    )
    return ReleaseDiff(cells)


def maturation(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Per quarter, on the recorded basis: offences not yet assigned, assigned, and community
    resolutions in each release. A quarter matures as 'not yet assigned' falls."""

    def summarise(frame: pl.DataFrame, release: str) -> pl.DataFrame:
        return frame.group_by("financial_year", "quarter").agg(
            pl.col("recorded")
            .filter(pl.col("outcome_type") == NOT_YET_ASSIGNED)
            .sum()
            .alias(f"not_yet_assigned_{release}"),
            pl.col("recorded").filter(pl.col("outcome_type") != NOT_YET_ASSIGNED).sum().alias(f"assigned_{release}"),
            pl.col("recorded")
            .filter(pl.col("outcome_type") == COMMUNITY_RESOLUTION)
            .sum()
            .alias(f"community_resolutions_{release}"),
        )

    return (
        summarise(old, "old")
        .join(summarise(new, "new"), on=["financial_year", "quarter"], how="full", coalesce=True)
        .sort("financial_year", "quarter")
    )


@dataclass
class KeptReleases:
    """The two newest releases of a year kept in the data folder, compared (pandas, for notebooks)."""

    old_name: str
    new_name: str
    old_release: str
    new_release: str
    cells_changed: int
    cells_in_new: int
    by_force: pd.DataFrame
    by_outcome_type: pd.DataFrame
    maturation: pd.DataFrame  # sexual offences per quarter, recorded basis, with ``period`` ('2024/25 Q1')


def compare_kept_releases(sources, financial_year: str) -> KeptReleases | None:
    """Compare the two newest releases of ``financial_year`` in a source set; None if it keeps only one."""
    from crimeoutcomes.data.codes import SEXUAL_OFFENCES_GROUP
    from crimeoutcomes.data.frames import to_pandas
    from crimeoutcomes.data.load import load_table

    kept = sources.releases.get(financial_year, [])
    if len(kept) < 2:
        return None
    old_path, new_path = kept[-2], kept[-1]
    old, new = load_table(old_path, "outcomes"), load_table(new_path, "outcomes")
    diff = compare_releases(old, new, old_path.name, new_path.name)
    sexual = pl.col("offence_group") == SEXUAL_OFFENCES_GROUP
    matured = period_label(maturation(old.filter(sexual), new.filter(sexual)))
    return KeptReleases(
        old_path.name,
        new_path.name,
        sources.entry(old_path).get("release") or old_path.name,
        sources.entry(new_path).get("release") or new_path.name,
        diff.cells.height,
        new.height,
        to_pandas(diff.by("force")),
        to_pandas(diff.by("outcome_type")),
        to_pandas(matured),
    )
