"""What each column of a published table is, declared once: its kind, its heading in words, and so
its format. A table never falls back on a default that could round a ratio to a whole number: a
numeric column whose kind is not declared here (or by the caller) takes its kind from its dtype
(``inferred_kind``: whole numbers as counts, other numbers to at least three significant figures),
so that any frame a notebook makes can be shown; declare a column to give it its published format.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crimeoutcomes.data.codes import display_name
from crimeoutcomes.errors import CrimeOutcomesError

MISSING = "n/a"


@dataclass(frozen=True)
class Kind:
    name: str
    format: Callable[[Any], str]  # a cell's value, whatever its type (each kind knows what it formats)
    numeric: bool = True  # right-aligned


def _fixed(decimals: int, suffix: str = "", sign: bool = False) -> Callable[[object], str]:
    spec = f"{'+' if sign else ''},.{decimals}f"
    return lambda value: f"{value:{spec}}{suffix}"


def _value(value) -> str:
    """A number of no declared kind: two decimals, or three significant figures where two decimals
    would show fewer (0.00340), so that nothing is rounded away."""
    number = float(value)
    if number == 0 or abs(number) >= 1 or not math.isfinite(number):
        return f"{number:,.2f}"
    if abs(number) < 1e-4:
        return f"{number:.3g}"
    return f"{number:.{2 - math.floor(math.log10(abs(number)))}f}"


def _date(value) -> str:
    """A date as 2024-03-31; a time of day only where there is one."""
    import pandas as pd

    if isinstance(value, pd.Timestamp | datetime.datetime):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    return str(value)


def _flag(value) -> str:
    if isinstance(value, str):
        return value or "no"  # 'high' / 'low' from a funnel, '' = inside the limits
    return "yes" if value else "no"


KINDS = {
    kind.name: kind
    for kind in (
        Kind("count", _fixed(0)),
        Kind("expected", _fixed(1)),
        # a figure as published: whole numbers as such, anything else to two decimals (never rounded away)
        Kind(
            "number", lambda value: f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        ),  # a count that need not be whole: an expected count, an interval on a count
        Kind("rate", _fixed(2)),  # per 1,000
        Kind("share", lambda value: f"{value:.2%}"),
        Kind("ratio", _fixed(2)),
        Kind("limit", _fixed(2)),  # a control limit of a ratio (shares' limits are declared as shares)
        Kind("percent_change", _fixed(1, "%", sign=True)),
        Kind("p_value", lambda value: f"{value:.2g}"),  # two significant figures: 0.061, 0.0013, 6.1e-116
        Kind("flag", _flag, numeric=False),
        Kind("year", str, numeric=False),
        Kind("text", str, numeric=False),
        # a force as the pages name it ('City of London'); the CSV beside the table keeps the Home Office name
        Kind("force", lambda value: display_name(str(value)), numeric=False),
        # kinds given to columns that are not declared (``inferred_kind``), by their dtype
        Kind("value", _value),
        Kind("date", _date, numeric=False),
    )
}

#: Every column that a report table shows, by name: (kind, heading).
COLUMNS: dict[str, tuple[str, str]] = {
    "financial_year": ("year", "financial year"),
    "financial_years": ("year", "financial years"),
    "quarter": ("text", "quarter"),
    "period": ("year", "period"),
    "force": ("force", "force"),
    "offence_code": ("text", "offence code"),
    "offence_description": ("text", "offence"),
    "offence": ("text", "offence"),
    "subgroup": ("text", "subgroup"),
    "offence_subgroup": ("text", "subgroup"),
    "outcome_type": ("text", "outcome type"),
    "victim_under_age": ("count", "victim under (age)"),
    "offence_codes": ("text", "offence codes"),
    "reason": ("text", "reason"),
    "quarters_left_out": ("text", "quarters left out"),
    "quarters_missing": ("text", "quarters missing or collapsed"),
    "marker": ("text", "why"),
    "community_resolutions": ("count", "community resolutions"),
    "assigned_outcomes": ("count", "assigned outcomes"),
    "charges_and_out_of_court": ("count", "charges and out-of-court outcomes"),
    "recorded_offences": ("count", "sexual offences recorded"),
    "force_quarters_missing": ("count", "force-quarters missing or collapsed"),
    "sexual_offences": ("count", "sexual offences: community resolutions"),
    "all_crime": ("count", "all crime: community resolutions"),
    "diversionary_activity": ("count", "diversionary activity (22)"),
    "cr_share_of_assigned": ("share", "community resolutions: share of assigned outcomes"),
    "diversionary_share_of_assigned": ("share", "diversionary activity: share of assigned outcomes"),
    "change": ("count", "change on the year before"),
    "change_pct": ("percent_change", "change on the year before (%)"),
    "cr_low": ("expected", "community resolutions, lower 95% limit"),
    "cr_high": ("expected", "community resolutions, upper 95% limit"),
    "expected_community_resolutions": ("expected", "expected community resolutions"),
    "rate_per_1000_recorded": ("rate", "per 1,000 recorded"),
    "rate_per_1000_recorded_low": ("rate", "per 1,000 recorded, lower 95% limit"),
    "rate_per_1000_recorded_high": ("rate", "per 1,000 recorded, upper 95% limit"),
    "share_of_assigned": ("share", "share of assigned outcomes"),
    "share_of_assigned_low": ("share", "share of assigned, lower 95% limit"),
    "share_of_assigned_high": ("share", "share of assigned, upper 95% limit"),
    "share_of_charges_and_out_of_court": ("share", "share of charges and out-of-court"),
    "share_of_charges_and_out_of_court_low": ("share", "share of charges and out-of-court, lower 95% limit"),
    "share_of_charges_and_out_of_court_high": ("share", "share of charges and out-of-court, upper 95% limit"),
    "sexual_offences_share": ("share", "sexual offences: share of assigned outcomes"),
    "all_crime_share": ("share", "all crime: share of assigned outcomes"),
    "ratio": ("ratio", "observed / expected"),
    "lower_95": ("limit", "lower 95% limit"),
    "upper_95": ("limit", "upper 95% limit"),
    "lower_99_8": ("limit", "lower 99.8% limit"),
    "upper_99_8": ("limit", "upper 99.8% limit"),
    "outside_95": ("flag", "outside 95% limits"),
    "outside_99_8": ("flag", "outside 99.8% limits"),
    "outside_adjusted_99_8": ("flag", "outside 99.8% limits allowing for over-dispersion"),
    "rankable": ("flag", "ranked"),
    # a force's page beside England and Wales (notebooks/05_force_profile)
    "england_and_wales_community_resolutions": ("count", "England and Wales: community resolutions"),
    "england_and_wales_rate_per_1000_recorded": ("rate", "England and Wales: per 1,000 recorded"),
    "england_and_wales_share_of_assigned": ("share", "England and Wales: share of assigned outcomes"),
    "outcome_8": ("count", "community resolutions (outcome 8)"),
    "outcome_22": ("count", "diversionary activity (outcome 22)"),
    "share_of_force_outcomes": ("share", "share of the force's assigned outcomes"),
    "share_of_national_outcomes": ("share", "England and Wales: share of assigned outcomes"),
    "child_victim": ("flag", "victim a child by definition"),
    # change over time (stats/yearly_change.py)
    "comparison": ("text", "comparison"),
    "from_year": ("year", "from"),
    "to_year": ("year", "to"),
    "from_count": ("count", "count then"),
    "to_count": ("count", "count now"),
    "ratio_low": ("ratio", "ratio, lower 95% limit"),
    "ratio_high": ("ratio", "ratio, upper 95% limit"),
    "share_change": ("text", "change in the share of assigned outcomes"),
    "previous_year_count": ("count", "the year before"),
    "year_count": ("count", "this year"),
    "change_on_the_year": ("text", "change on the year before (95% interval)"),
    "first_year_count": ("count", "first year read"),
    "change_since_first_year": ("text", "change since the first year read (95% interval)"),
    # funnels and ranks (comparison.py, funnels.funnel)
    "share": ("share", "share of assigned outcomes"),
    "target": ("share", "England and Wales"),
    "p_high": ("p_value", "P(this many or more)"),
    "p_low": ("p_value", "P(this many or fewer)"),
    "p_two_sided": ("p_value", "p-value (two-sided)"),
    "p_holm": ("p_value", "p-value, Holm-adjusted across forces"),
    "rank": ("count", "rank (1 = highest)"),
    "rank_low": ("count", "rank, 95% interval from"),
    "rank_high": ("count", "rank, 95% interval to"),
    # reconciliation with published figures
    "id": ("text", "figure"),
    "area": ("text", "area"),
    "offences": ("text", "offences"),
    "published_as": ("text", "published as"),
    "published": ("number", "published"),
    "figure": ("number", "published"),
    "ours_closed": ("number", "ours, closed basis"),
    "ours_recorded": ("number", "ours, recorded basis"),
    "difference_closed": ("number", "published minus ours, closed"),
    "difference_recorded": ("number", "published minus ours, recorded"),
    "likely_reason": ("text", "likely reason"),
    "not_reproducible_reason": ("text", "why the open data cannot reproduce it"),
    "published_by": ("text", "published by"),
    "ours_from": ("text", "ours from"),
    "figures": ("count", "figures"),
    "shared_row": ("text", "line of the list"),
    "reading": ("text", "our reading of the source"),
    "status": ("text", "status"),
    "figure_no": ("count", "no."),
    "counted": ("text", "offences, area, years"),
    "ours_best_fit": ("number", "ours, best fit"),
    "best_fit": ("text", "best fit"),
    "reasons": ("text", "what the data cannot rule out"),
    "window": ("year", "window"),
    "basis": ("text", "basis"),
    "ours": ("number", "ours"),
    "published_minus_ours": ("number", "published minus ours"),
    "fits": ("flag", "fits"),
    "why_not": ("text", "why not"),
    # releases compared
    "change_closed": ("count", "change, closed basis"),
    "change_recorded": ("count", "change, recorded basis"),
    "cells_changed": ("count", "cells changed"),
    "newly_assigned_recorded": ("count", "newly assigned, recorded basis"),
    "not_yet_assigned_old": ("count", "not yet assigned, older release"),
    "not_yet_assigned_new": ("count", "not yet assigned, newer release"),
    "assigned_old": ("count", "assigned, older release"),
    "assigned_new": ("count", "assigned, newer release"),
    "community_resolutions_old": ("count", "community resolutions, older release"),
    "community_resolutions_new": ("count", "community resolutions, newer release"),
}


#: Interval columns whose names do not follow ``<value>_low`` / ``<value>_high``.
INTERVALS: dict[str, tuple[str, str]] = {"community_resolutions": ("cr_low", "cr_high")}

#: A value shown with its interval: the heading over both (with the unit) and the value's own heading.
SPANNERS: dict[str, tuple[str, str]] = {
    "community_resolutions": ("community resolutions (count)", "count"),
    "rate_per_1000_recorded": ("per 1,000 sexual offences recorded", "rate"),
    "share_of_assigned": ("% of assigned outcomes", "share"),
    "share_of_charges_and_out_of_court": ("% of charges and out-of-court outcomes", "share"),
    "ratio": ("rate ratio", "ratio"),
    "rank": ("rank (1 = highest)", "rank"),
}


def heading(column: str, headings: Mapping[str, str] | None = None) -> str:
    if headings and column in headings:
        return headings[column]
    if column in COLUMNS:
        return COLUMNS[column][1]
    return re.sub(r"\b99 8\b", "99.8%", column.replace("_", " "))


def inferred_kind(column: str, dtype) -> str:
    """The kind of a column not declared, from its dtype: whole numbers are counts (years where the
    column's name says so: 2024, not 2,024), other numbers values (never rounded away), dates dates,
    anything else (true/false too: True, False) text."""
    import pandas as pd

    types = pd.api.types
    if types.is_bool_dtype(dtype):
        return "text"
    if types.is_integer_dtype(dtype):
        return "year" if "year" in column.lower() else "count"
    if types.is_numeric_dtype(dtype):
        return "value"
    if types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


def kind_of(column: str, numeric: bool, kinds: Mapping[str, str] | None = None, dtype=None) -> Kind:
    """The declared kind of ``column`` (``kinds`` first, then ``COLUMNS``); text for undeclared text,
    and for a numeric kind's column that already holds text (a figure written as published, '>1,500').
    Given the column's ``dtype``, an undeclared column takes its kind from it (``inferred_kind``);
    without it, an undeclared numeric column is an error."""
    name = (kinds or {}).get(column) or COLUMNS.get(column, (None,))[0]
    if not numeric and name in KINDS and KINDS[name].numeric:
        name = "text"
    if name is None and dtype is not None:
        name = inferred_kind(column, dtype)
    if name is None:
        if numeric:
            raise CrimeOutcomesError(
                f"table column {column!r} holds numbers but its kind is not declared: add it to "
                f"crimeoutcomes/notebook/columns.py COLUMNS (kinds: {', '.join(KINDS)})"
            )
        name = "text"
    if name not in KINDS:
        raise CrimeOutcomesError(f"column {column!r}: unknown kind {name!r} (kinds: {', '.join(KINDS)})")
    return KINDS[name]


def formatted(value, kind: Kind) -> str:
    """The cell as shown: a missing number (None, NA, NaN) is 'n/a', never a number; missing text
    (a note that does not apply: no quarter left out, no reason) is left blank."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return MISSING if kind.numeric else ""
    return kind.format(value)


def say(value, kind: str) -> str:
    """A number in prose, formatted as its kind is in tables ('n/a' where it is missing)."""
    return MISSING if pd.isna(value) else KINDS[kind].format(value)
