"""Change over time with 95% intervals, nationally and per force (pandas out).

A bare "up 47%" cannot be judged: each change here is a rate ratio of two years' counts with its
exact conditional interval, a ratio of shares with Koopman's interval, or a log-linear trend per
year (``stats.change``). Two years are compared only when both are complete: a year with a
force-quarter missing or collapsed is not like for like with another, so the comparison is given
no ratio and says why. Year-on-year means consecutive financial years; a gap in the years read
leaves that pair out rather than comparing years further apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimeoutcomes.data.frames import as_pandas
from crimeoutcomes.stats.change import describe_change, rate_ratio, share_ratio, trend, year_number

NOT_LIKE_FOR_LIKE = "not like for like: force data missing or collapsed in one of the two years"
CHANGE_COLUMNS = [
    "comparison",
    "from_year",
    "to_year",
    "from_count",
    "to_count",
    "ratio",
    "ratio_low",
    "ratio_high",
    "change",
]


def _pairs(years: list[str]) -> list[tuple[str, str, str]]:
    """(comparison, earlier, later): each year against the one before it, then first to last."""
    pairs = [("year_on_year", a, b) for a, b in zip(years, years[1:]) if year_number(b) - year_number(a) == 1]
    if len(years) > 2 or (len(years) == 2 and not pairs):
        pairs.append(("first_to_last", years[0], years[-1]))
    return pairs


def _count_change(comparison: str, earlier: str, later: str, before, after, complete: bool) -> dict:
    row = {"comparison": comparison, "from_year": earlier, "to_year": later, "from_count": before, "to_count": after}
    if not complete or pd.isna(before) or pd.isna(after):
        return {**row, "ratio": np.nan, "ratio_low": np.nan, "ratio_high": np.nan, "change": NOT_LIKE_FOR_LIKE}
    ratio, low, high = (float(v) for v in rate_ratio(before, after))
    return {**row, "ratio": ratio, "ratio_low": low, "ratio_high": high, "change": describe_change(ratio, low, high)}


def national_changes(
    totals: pd.DataFrame, count: str = "community_resolutions", size: str = "assigned_outcomes"
) -> pd.DataFrame:
    """``totals``: one row per financial year with ``count``, ``size`` and force_quarters_missing
    (``measures.national_totals`` with the collapsed quarters). Rows: the count's rate ratio and the
    share's ratio (count / size), year on year and first to last, each with its interval."""
    data = as_pandas(totals).sort_values("financial_year").set_index("financial_year")
    rows = []
    for comparison, earlier, later in _pairs(list(data.index)):
        a, b = data.loc[earlier], data.loc[later]
        complete = bool(a["force_quarters_missing"] == 0 and b["force_quarters_missing"] == 0)
        row = _count_change(comparison, earlier, later, a[count], b[count], complete)
        if complete and a[size] and b[size]:
            ratio, low, high = (float(np.asarray(v)) for v in share_ratio(a[count], a[size], b[count], b[size]))
            row.update(
                share_ratio=ratio,
                share_ratio_low=low,
                share_ratio_high=high,
                share_change=describe_change(ratio, low, high),
            )
        else:
            row.update(
                share_ratio=np.nan, share_ratio_low=np.nan, share_ratio_high=np.nan, share_change=NOT_LIKE_FOR_LIKE
            )
        rows.append(row)
    return pd.DataFrame(
        rows, columns=[*CHANGE_COLUMNS, "share_ratio", "share_ratio_low", "share_ratio_high", "share_change"]
    )


def force_changes(by_force: pd.DataFrame, count: str = "community_resolutions") -> pd.DataFrame:
    """``by_force``: one row per force x financial year with ``count`` (NA where the year is not
    complete: ``measures.force_totals`` with the collapsed quarters). Rows per force: year-on-year and
    first-to-last rate ratios with intervals; an incomplete year is not compared."""
    by_force = as_pandas(by_force)
    years = sorted(by_force["financial_year"].unique())
    rows = []
    for force, part in by_force.groupby("force", sort=True, observed=True):
        counts = part.set_index("financial_year")[count].reindex(years)
        for comparison, earlier, later in _pairs(years):
            before, after = counts[earlier], counts[later]
            rows.append(
                {
                    "force": force,
                    **_count_change(comparison, earlier, later, before, after, not (pd.isna(before) or pd.isna(after))),
                }
            )
    return pd.DataFrame(rows, columns=["force", *CHANGE_COLUMNS])


def count_trend(frame: pd.DataFrame, count: str = "community_resolutions") -> dict:
    """Log-linear (quasi-)Poisson trend over the complete years of ``frame`` (financial_year,
    ``count``; a year is left out where the count is NA or, given the column, force_quarters_missing
    is not 0): percent change a year with its 95% interval, and words."""
    usable = as_pandas(frame).dropna(subset=[count]).sort_values("financial_year")
    if "force_quarters_missing" in usable.columns:
        usable = usable[usable["force_quarters_missing"] == 0]
    if len(usable) < 3:
        return {
            "years": usable["financial_year"].tolist(),
            "percent_per_year": None,
            "percent_low": None,
            "percent_high": None,
            "change": "too few complete years for a trend",
        }
    fit = trend(usable["financial_year"].map(year_number), usable[count].astype(float))
    if not np.isfinite(fit["percent_per_year"]):
        words = "too few events to estimate a trend"
    else:
        words = describe_change(
            1 + fit["percent_per_year"] / 100,
            1 + fit["percent_low"] / 100,
            1 + fit["percent_high"] / 100,
            per=" a year",
        )
    return {
        "years": usable["financial_year"].tolist(),
        "percent_per_year": fit["percent_per_year"],
        "percent_low": fit["percent_low"],
        "percent_high": fit["percent_high"],
        "model": fit.get("model"),
        "change": words,
    }


def force_change_table(changes: pd.DataFrame, financial_year: str) -> pd.DataFrame:
    """One row per force from ``force_changes``: the change into ``financial_year`` from the year
    before, and from the first year read, each as counts and words with the interval."""
    into = changes[(changes["to_year"] == financial_year)]
    on_year = into[into["comparison"] == "year_on_year"].set_index("force")
    since = into[into["comparison"] == "first_to_last"].set_index("force")
    table = pd.DataFrame(index=sorted(changes["force"].unique()))
    table.index.name = "force"
    if len(on_year):
        table["previous_year_count"] = on_year["from_count"]
        table["year_count"] = on_year["to_count"]
        table["change_on_the_year"] = on_year["change"]
    if len(since):
        table["first_year_count"] = since["from_count"]
        table["change_since_first_year"] = since["change"]
    return table.reset_index()
