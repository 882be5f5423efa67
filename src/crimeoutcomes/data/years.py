"""Financial years: one spelling ("2024/25") everywhere, whatever the source wrote."""

from __future__ import annotations

import re

LATEST = "latest"
FRAMEWORK_FIRST_YEAR = "2014/15"  # the outcomes framework (types 0-22) began in April 2014

_FY = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*[/_\-–]\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)


def normalise_financial_year(value: str) -> str:
    """'2024/25', '2024-25', '2024_25', '2024/2025' -> '2024/25'. ValueError for anything else."""
    match = _FY.match(str(value))
    if not match:
        raise ValueError(f"not a financial year: {value!r} (expected the form 2024/25)")
    start, end = int(match.group(1)), match.group(2)
    end_full = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    if len(end) == 2 and end_full < start:
        end_full += 100  # 1999/00
    if end_full != start + 1:
        raise ValueError(f"not a financial year: {value!r} (the two years must be consecutive)")
    return f"{start}/{end_full % 100:02d}"


def financial_year_ending_march(year_end: int) -> str:
    """The financial year ending in March of ``year_end``: 2025 -> '2024/25'."""
    return f"{year_end - 1}/{year_end % 100:02d}"


def year_slug(financial_year: str) -> str:
    """'2024/25' -> '2024-25', for file and folder names."""
    return normalise_financial_year(financial_year).replace("/", "-")


def start_year(financial_year: str) -> int:
    return int(normalise_financial_year(financial_year)[:4])


def following_year(financial_year: str) -> str:
    """'2020/21' -> '2021/22'."""
    return financial_year_ending_march(start_year(financial_year) + 2)


def financial_years_between(first: str, last: str) -> list[str]:
    return [financial_year_ending_march(y + 1) for y in range(start_year(first), start_year(last) + 1)]


def financial_year_argument(value: str) -> str:
    """argparse type: a financial year in any spelling, or the error that says what is wrong."""
    import argparse

    try:
        return normalise_financial_year(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def year_or_latest_argument(value: str) -> str:
    """argparse type: a financial year, or 'latest'."""
    return LATEST if value.strip().lower() == LATEST else financial_year_argument(value)
