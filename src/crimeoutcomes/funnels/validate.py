"""Checks on a funnel's input table, each failure naming the data row (1 = the first row after the
header of a CSV) and the column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimeoutcomes.config import MAX_EXACT_COUNT, MIN_FUNNEL_UNITS
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.funnels.families import FAMILIES, Family


class FunnelInputError(CrimeOutcomesError):
    """A value in a funnel's input that cannot be used, with where it is."""

    def __init__(self, problem: str, *, column: str | None = None, row: int | None = None) -> None:
        self.problem, self.column, self.row = problem, column, row
        where = [f"row {row}"] if row is not None else []
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)


def infer_family(frame: pd.DataFrame, kind: str | None = None, option: str = "kind") -> Family:
    """The family named by ``kind``, or the one whose columns the frame has; ``option`` is what the
    caller calls the choice (``--kind`` on the command line)."""
    if kind is not None:
        if kind not in FAMILIES:
            raise FunnelInputError(f"{option} must be 'proportion' or 'ratio', not {kind!r}")
        return FAMILIES[kind]
    matches = [f for f in FAMILIES.values() if {f.count, f.size} <= set(frame.columns)]
    if len(matches) != 1:
        raise FunnelInputError(
            "cannot tell the kind of funnel from the columns "
            f"({', '.join(map(str, frame.columns))}): give either events and n (proportion) or observed and "
            f"expected (ratio), or say which with {option}"
        )
    return matches[0]


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(
        raw.astype("string").str.strip() if raw.dtype == object or pd.api.types.is_string_dtype(raw) else raw,
        errors="coerce",
    )
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    for position in np.flatnonzero(~np.isfinite(numbers)):
        shown = raw.iloc[position]
        text = "is empty" if pd.isna(shown) or str(shown).strip() == "" else f"{str(shown)!r} is not a number"
        raise FunnelInputError(text, column=column, row=int(position) + 1)
    # Beyond 2^53 a float no longer holds every whole number, and the binomial arithmetic (and numpy's
    # int64 simulation, beyond 2^63) gives wrong limits or fails: refuse rather than answer wrongly.
    _require(
        np.abs(numbers) > MAX_EXACT_COUNT,
        column,
        lambda r: (
            f"{raw.iloc[r]!s} is beyond 2^53 ({MAX_EXACT_COUNT:,}), the largest count held exactly; "
            "check that the column holds counts"
        ),
    )
    return numbers


def _first(bad: np.ndarray) -> int | None:
    hits = np.flatnonzero(bad)
    return int(hits[0]) if len(hits) else None


def _require(bad: np.ndarray, column: str, problem) -> None:
    row = _first(bad)
    if row is not None:
        raise FunnelInputError(problem(row), column=column, row=row + 1)


def validated(frame: pd.DataFrame, family: Family) -> pd.DataFrame:
    """``dataset, unit, <count>, <size>`` with numbers checked; the row order kept."""
    if len(frame) == 0:
        raise FunnelInputError("the table has no data rows")
    for column in ("unit", family.count, family.size):
        if column not in frame.columns:
            raise FunnelInputError(
                f"missing column {column!r} (a {family.kind} funnel needs unit, "
                f"{family.count}, {family.size}; dataset is optional)"
            )
    frame = frame.reset_index(drop=True)
    count, size = _numbers(frame, family.count), _numbers(frame, family.size)
    _require(count < 0, family.count, lambda r: f"{family.count} is negative ({count[r]:g})")
    _require(count != np.round(count), family.count, lambda r: f"{family.count} must be a whole number ({count[r]:g})")
    if family.kind == "proportion":
        _require(size != np.round(size), family.size, lambda r: f"n must be a whole number ({size[r]:g})")
        _require(size < 1, family.size, lambda r: f"n must be at least 1 ({size[r]:g})")
        _require(count > size, family.count, lambda r: f"events ({count[r]:g}) exceed n ({size[r]:g})")
    else:
        _require(size <= 0, family.size, lambda r: f"expected must be above 0 ({size[r]:g})")
    # Names are compared without surrounding spaces: 'A' and 'A ' are one unit typed twice.
    unit = frame["unit"].astype("string").str.strip()
    _require(unit.isna().to_numpy() | (unit == "").to_numpy(), "unit", lambda r: "unit is empty")
    dataset = (
        frame["dataset"].astype("string").fillna("")
        if "dataset" in frame.columns
        else pd.Series([""] * len(frame), dtype="string")
    )
    clean = pd.DataFrame(
        {
            "dataset": dataset.astype(str).to_numpy(),
            "unit": unit.astype(str).to_numpy(),
            family.count: count,
            family.size: size,
        }
    )
    _require(clean.duplicated(["dataset", "unit"]).to_numpy(), "unit", lambda r: _twice(clean, r))
    return clean


def _twice(clean: pd.DataFrame, row: int) -> str:
    same = (clean["unit"] == clean["unit"][row]) & (clean["dataset"] == clean["dataset"][row])
    first = int(np.flatnonzero(same.to_numpy())[0]) + 1
    return (
        f"unit {clean['unit'][row]!r} appears twice"
        + (f" in dataset {clean['dataset'][row]!r}" if clean["dataset"][row] else "")
        + f" (also row {first}; names are compared without surrounding spaces): give each unit one row"
    )


def require_enough_units(clean: pd.DataFrame) -> None:
    """At least MIN_FUNNEL_UNITS units in every dataset of a ``validated`` table: with fewer, each unit
    is most of its own benchmark. (The command line asks it; ``funnel_table`` does not, since a
    caller who gives the target may judge one unit against it.)"""
    sizes = clean.groupby("dataset", sort=False)["unit"].transform("size").to_numpy()
    _require(
        sizes < MIN_FUNNEL_UNITS,
        "unit",
        lambda r: (
            f"{'dataset ' + repr(clean['dataset'][r]) if clean['dataset'][r] else 'the table'} has "
            f"{sizes[r]} unit{'' if sizes[r] == 1 else 's'}: a funnel compares at least {MIN_FUNNEL_UNITS}; add units"
        ),
    )
