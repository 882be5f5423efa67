"""Checks on a table just read that the layout alone cannot catch: a force or outcome type the
code lists do not know, and a row given twice. Each failure names the file, sheet, column, row
and value, and says how to fix it, because a silent mistake here would move published numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import polars as pl

from crimeoutcomes.config import REFERENCE_DIR
from crimeoutcomes.data.codes import forces, nearest_forces, outcome_types
from crimeoutcomes.data.workbook import LocatedTable
from crimeoutcomes.errors import InputFileError


def _first(bad: pl.Series) -> int | None:
    return int(bad.arg_true()[0]) if bad.any() else None


def known_forces(table: LocatedTable, names: pl.Series) -> None:
    """Every force name (after the aliases of force_aliases.csv) must be one of forces.csv: an
    unknown spelling would otherwise split a force in two, or add a 45th."""
    index = _first(~names.is_in(list(forces())))
    if index is None:
        return
    value = names[index]
    close = closest_force(value)
    hint = f" (did you mean {close!r}?)" if close else ""
    raise InputFileError(
        table.path,
        f"unknown force {value!r}{hint}: {force_fix()}",
        sheet=table.sheet,
        column=table.headers["force"],
        row=table.sheet_row(index),
    )


def closest_force(value: str) -> str | None:
    """'Kent Police' -> 'Kent': a known name inside the value first, else the nearest spelling."""
    nearest = nearest_forces(value, n=1)
    return nearest[0] if nearest else None


def known_outcome_types(table: LocatedTable, types: pl.Series) -> None:
    """Every outcome type must be one of outcome_types.csv: a new type would be counted in the
    assigned outcomes with no group, changing every share without a word."""
    known = [t.code for t in outcome_types()]
    index = _first(~types.is_in(known))
    if index is None:
        return
    value = types[index]
    raise InputFileError(
        table.path,
        f"unknown outcome type {value!r} (known: {', '.join(known)}): {outcome_type_fix(value)}",
        sheet=table.sheet,
        column=table.headers["outcome_type"],
        row=table.sheet_row(index),
    )


def outcome_type_fix(value: str) -> str:
    """What to do about an outcome type outcome_types.csv does not know."""
    if value.lower() in ("1a", "2a", "3a"):
        return (
            "types 1a, 2a and 3a belong to the alternate-offences file and repeat outcomes of types 1-3, "
            "so adding them double counts: read the main outcomes file instead"
        )
    return f"if the Home Office has added a type, add it with its group to {REFERENCE_DIR / 'outcome_types.csv'}"


def force_fix() -> str:
    """What to do about a force name forces.csv and force_aliases.csv do not know."""
    return f"if it is a new spelling of a force, add it to {REFERENCE_DIR / 'force_aliases.csv'}"


def _packed(key_ids: pl.DataFrame) -> pl.Series:
    """The key's whole numbers packed into one (a struct of them hashes far slower)."""
    sizes = [int(cast(int | None, key_ids[c].max()) or 0) + 2 for c in key_ids.columns]  # whole-number ids
    if math.prod(sizes) >= 2**63:
        return key_ids.select(pl.struct(pl.all())).to_series()
    packed = pl.lit(0, dtype=pl.UInt64)
    for column, size in zip(key_ids.columns, sizes):
        packed = packed * size + pl.col(column).cast(pl.UInt64).fill_null(size - 1)
    return key_ids.select(packed).to_series()


def one_row_each(
    table: LocatedTable, frame: pl.DataFrame, key: Sequence[str], key_ids: pl.DataFrame | None = None
) -> None:
    """No two rows with the same key: a repeated row would be counted twice. ``key_ids``, whole
    numbers standing for the key's values (equal where they are equal), make the check cheap."""
    if key_ids is not None and not _packed(key_ids).is_duplicated().any():
        return
    repeated = frame.select(pl.struct(list(key)).is_duplicated()).to_series()
    index = _first(repeated)
    if index is None:
        return
    values = frame.row(index, named=True)
    same = frame.select(pl.all_horizontal([pl.col(k).eq_missing(values[k]) for k in key])).to_series()
    rows = [table.sheet_row(int(i)) for i in same.arg_true()[:2]]
    described = ", ".join(f"{k.replace('_', ' ')} {values[k]}" for k in key)
    hint = ""
    if "offence_code" in key:
        hint = " (if the codes were saved as numbers, 4.10 reads as 4.1: keep offence codes as text)"
    raise InputFileError(
        table.path,
        f"rows {rows[0]} and {rows[1]} both hold {described}; each should appear once{hint} "
        f"({int(repeated.sum())} rows are repeats)",
        sheet=table.sheet,
        row=rows[1],
    )
