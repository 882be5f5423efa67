"""``python -m crimeoutcomes funnel IN.csv --out OUT.csv [--kind proportion|ratio]``: the funnel
table of a CSV file, read strictly. Whatever cannot be used (a file separated by semicolons, a row
with a field too many or too few, a count no float holds exactly, a unit named twice, fewer than
three units) stops the command with one line naming the row, the column and the fix, before any
output is written."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

from crimeoutcomes.atomic import write_atomically
from crimeoutcomes.errors import CrimeOutcomesError, InputFileError
from crimeoutcomes.funnels.funnel import flagged, funnel_table
from crimeoutcomes.funnels.validate import FunnelInputError, infer_family, require_enough_units, validated

#: Separators that a CSV written by a spreadsheet in another locale (or a TSV) uses instead of commas.
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _rows(path: Path) -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [row for row in csv.reader(handle) if row]  # blank lines carry nothing
    except FileNotFoundError as exc:
        raise CrimeOutcomesError(f"file {path}: not found") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(path, "not UTF-8 text: save it as CSV UTF-8") from exc
    except csv.Error as exc:
        raise InputFileError(path, f"not a readable CSV ({exc}): save it as comma-separated values") from exc


def _check_header(path: Path, header: list[str]) -> None:
    if len(header) == 1:
        for separator, name in _OTHER_SEPARATORS.items():
            if separator in header[0]:
                raise InputFileError(
                    path,
                    f"the header row is one field, {header[0]!r}: the file is separated by {name}, not commas; "
                    "save it as comma-separated values (CSV)",
                )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputFileError(path, f"the header row names column {name!r} twice: rename one", column=name)
        seen.add(name)


def _check_row_length(path: Path, header: list[str], row: list[str], number: int) -> None:
    if len(row) > len(header):
        raise InputFileError(
            path,
            f"{len(row)} fields where the header has {len(header)} ({', '.join(header)}): remove the extra field "
            f"after column {header[-1]!r}, or put quotes around a value that contains a comma",
            row=number,
        )
    if len(row) < len(header):
        raise InputFileError(
            path,
            f"{len(row)} fields where the header has {len(header)}: column {header[len(row)]!r} is missing; "
            "add it (an empty value still needs its comma)",
            row=number,
        )


def read_funnel_csv(path: Path) -> pd.DataFrame:
    """Every cell as text, so that the checks can name a value that is not a number; the header's
    names trimmed of spaces; each row as long as the header."""
    rows = _rows(path)
    if not rows:
        raise InputFileError(path, "the file is empty: give a header row (unit,events,n or unit,observed,expected)")
    header = [name.strip() for name in rows[0]]
    _check_header(path, header)
    for number, row in enumerate(rows[1:], start=1):
        _check_row_length(path, header, row, number)
    return pd.DataFrame(rows[1:], columns=header, dtype=object)


def run_funnel(path: Path, out: Path, kind: str | None) -> int:
    frame = read_funnel_csv(path)
    try:
        family = infer_family(frame, kind, option="--kind")
        require_enough_units(validated(frame, family))
        table = funnel_table(frame, family.kind)
    except FunnelInputError as exc:
        raise InputFileError(path, exc.problem, column=exc.column, row=exc.row) from exc
    write_atomically(out, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))
    hits = flagged(table)
    print(
        f"{out}: {_plural(len(table), 'unit')} in {_plural(table['dataset'].nunique(), 'dataset')}; "
        f"{len(hits)} outside the 99.8% limits",
        file=sys.stderr,
    )
    return 0
