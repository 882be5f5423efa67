"""Published figures beside ours: the difference on each basis and its likely reason.

``reference/published_figures.csv`` holds the figures in circulation (press, police, the BBC
Shared Data Unit): the financial years they cover, the area, the offences (the Sexual offences
group, a list of codes, or all crime), the figure, whether it is exact, a lower bound ("at least")
or approximate, and the source. Figures from other series (Ministry of Justice, calendar years)
are kept with the reason the open data cannot reproduce them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

from .codes import COMMUNITY_RESOLUTION, SEXUAL_OFFENCES_GROUP
from .measures import countable
from .paths import REFERENCE_DIR
from .schema import COUNT_BASES

PUBLISHED_FIGURES = REFERENCE_DIR / "published_figures.csv"
ENGLAND_AND_WALES = "England and Wales"
ALL_CRIME = "All crime"
#: A difference within this share of the figure is the size revisions between releases reach.
REVISION_TOLERANCE = 0.05


@lru_cache(maxsize=None)
def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("figure").cast(pl.Float64), pl.col("reproducible") == "True")


def published_figures(path: str | Path = PUBLISHED_FIGURES) -> pl.DataFrame:
    return _read(Path(path))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _selection(rows: pl.DataFrame, area: str, offences: str) -> pl.DataFrame:
    if area != ENGLAND_AND_WALES:
        rows = rows.filter(pl.col("force").is_in(_split(area)))
    if offences == SEXUAL_OFFENCES_GROUP:
        return rows.filter(pl.col("offence_group") == SEXUAL_OFFENCES_GROUP)
    if offences == ALL_CRIME:
        return rows
    return rows.filter(pl.col("offence_code").is_in(_split(offences)))


def community_resolutions_by_cell(outcomes: pl.DataFrame, count_basis: str) -> pl.DataFrame | None:
    """Community resolutions by year, force, offence group and code: all a published figure can select.
    None where the file has no counts on this basis."""
    rows = countable(outcomes, count_basis)
    if rows["count"].null_count() == rows.height:
        return None
    return (rows.filter(pl.col("outcome_type") == COMMUNITY_RESOLUTION)
            .group_by("financial_year", "force", "offence_group", "offence_code").agg(pl.col("count").sum()))


def our_figure(cells: pl.DataFrame | None, years: list[str], area: str, offences: str,
               statistic: str = "sum") -> float | None:
    """Community resolutions for the figure's years, area and offences; None if a year is not in the data."""
    if cells is None or not years or not set(years) <= set(cells["financial_year"].unique().to_list()):
        return None
    total = _selection(cells.filter(pl.col("financial_year").is_in(years)), area, offences)["count"].sum()
    return total / len(years) if statistic == "annual mean" else float(total)


def _gaps_in(unusable: pl.DataFrame, years: list[str], area: str) -> list[str]:
    chosen = unusable.filter(pl.col("financial_year").is_in(years))
    if area != ENGLAND_AND_WALES:
        chosen = chosen.filter(pl.col("force").is_in(_split(area)))
    return sorted(set(chosen["force"].to_list()))


def likely_reason(figure: float, comparison: str, ours: dict[str, float | None], gap_forces: list[str],
                  release: str) -> str:
    """Why the published figure and ours differ, in the order a careful reader would check."""
    values = {basis: value for basis, value in ours.items() if value is not None}
    if not values:
        return "not in the data read: a year of this figure is outside the files read, or neither basis is published"
    if comparison == "at least":
        best = max(values.values())
        return (f"consistent: at least {figure:,.0f} published, {best:,.0f} in the open data" if best >= figure
                else f"not found: at most {best:,.0f} in this release against at least {figure:,.0f} published")
    exact = [basis for basis, value in values.items() if value == figure]
    if exact:
        return f"matches the {' and '.join(exact)} basis exactly"
    nearest = min(values, key=lambda basis: abs(values[basis] - figure))
    gap = figure - values[nearest]
    reasons = []
    if comparison == "approximate":
        reasons.append(f"an approximate figure; the {nearest} basis is {abs(gap) / figure:.0%} from it")
    elif abs(gap) <= REVISION_TOLERANCE * figure:
        reasons.append(f"release: {abs(gap):,.0f} from the {nearest} basis, the size of the revisions between "
                       f"releases (this file: {release})")
    if gap_forces:
        reasons.append(f"coverage: data missing or collapsed for {', '.join(gap_forces)} in these years")
    if not reasons:
        reasons.append(f"offence set or basis differs: {gap:+,.0f} against the nearer ({nearest}) basis")
    return "; ".join(reasons)


def reconcile(outcomes: pl.DataFrame, unusable: pl.DataFrame, releases: dict[str, str],
              published: pl.DataFrame | None = None, *, synthetic: bool = False) -> pl.DataFrame:
    """One row per reproducible published figure: ours on both bases, the differences, the likely reason.

    ``unusable`` lists force-quarters missing or collapsed (``quality.unusable_quarters``) in the years
    read; ``releases`` gives each year's file release (date stamp) for the reasons.
    """
    published = published if published is not None else published_figures()
    cells = {basis: community_resolutions_by_cell(outcomes, basis) for basis in COUNT_BASES}
    rows = []
    for figure in published.filter(pl.col("reproducible")).iter_rows(named=True):
        years = _split(figure["financial_years"])
        ours = {basis: our_figure(cells[basis], years, figure["area"], figure["offences"], figure["statistic"])
                for basis in COUNT_BASES}
        rows.append({
            "id": figure["id"], "scope": figure["scope"], "financial_years": figure["financial_years"].replace(";", ", "),
            "area": figure["area"].replace(";", ", "), "offences": figure["offences"].replace(";", ", "),
            "published": figure["figure"], "comparison": figure["comparison"],
            **{f"ours_{basis}": ours[basis] for basis in COUNT_BASES},
            **{f"difference_{basis}": None if ours[basis] is None else figure["figure"] - ours[basis]
               for basis in COUNT_BASES},
            "likely_reason": likely_reason(figure["figure"], figure["comparison"], ours,
                                           _gaps_in(unusable, years, figure["area"]),
                                           ", ".join(sorted({releases.get(y) or "unknown" for y in years}))),
            "published_by": figure["published_by"], "source_url": figure["source_url"],
            "ours_from": "SYNTHETIC sample (invented)" if synthetic else "Home Office open data",
        })
    return pl.DataFrame(rows, schema_overrides={f"{p}_{b}": pl.Float64 for p in ("ours", "difference")
                                                for b in COUNT_BASES})


def not_reproducible(published: pl.DataFrame | None = None) -> pl.DataFrame:
    published = published if published is not None else published_figures()
    return (published.filter(~pl.col("reproducible"))
            .select("id", "financial_years", "area", "offences", "figure", "not_reproducible_reason", "published_by",
                    "source_url"))
