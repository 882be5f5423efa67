"""A report table as HTML: each column formatted by its declared kind (``columns``), headings in
words, words left and numbers right, missing values as 'n/a'. Plain HTML with a fixed id, so a
re-run gives the same bytes and a test can find the table and the CSV saved beside it.

A value with its 95% interval (columns ``x``, ``x_low``, ``x_high``) is shown as two columns under
one spanner heading: the value, and the interval merged into one cell, "17.8 to 39.3". The merged
cell names its two CSV columns (``data-columns``), so a reader of the HTML can still match every
number with the unrounded CSV."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from crimeoutcomes.data.frames import as_pandas
from crimeoutcomes.notebook.columns import INTERVALS, SPANNERS, Kind, formatted, heading, kind_of

#: A text column whose longest value is longer than this is given room to be read (class ``long``).
LONG_TEXT = 40


@dataclass(frozen=True)
class Shown:
    """One column as shown: the CSV columns it holds (two for a merged interval), its heading, kind
    and the spanner heading above it, if any."""

    columns: tuple[str, ...]
    heading: str
    kind: Kind
    spanner: str | None = None
    long: bool = False


def as_table(frame) -> pd.DataFrame:
    """Any frame as a table holds it, the same in its CSV and on the page: polars as pandas (the
    API's dtypes), a Series as a one-column frame; the index kept as leading columns where it says
    something (it has a name, as a groupby's keys do, or several levels, or labels that are not row
    numbers) and dropped where it is only row numbers (a RangeIndex, or what filtering or sorting
    left of one); column names as text (the levels of a MultiIndex joined by a space). A frame
    that is already so comes back as it is (not copied)."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(frame.name if frame.name is not None else "value")
    data = as_pandas(frame)
    index = data.index
    meaningful = (
        isinstance(index, pd.MultiIndex)
        or index.name is not None
        or not (pd.api.types.is_integer_dtype(index.dtype) or len(index) == 0)
    )
    if meaningful:
        names = [
            name if name is not None else ("index" if index.nlevels == 1 else f"level_{i}")
            for i, name in enumerate(index.names)
        ]
        if any(name in data.columns for name in names):
            data = data.reset_index(drop=True)  # the index repeats a column it was made from
        else:
            data = data.reset_index()
    if isinstance(data.columns, pd.MultiIndex):
        data.columns = [" ".join(str(level) for level in column if str(level)) for column in data.columns]
    if not all(isinstance(column, str) for column in data.columns):
        data.columns = [str(column) for column in data.columns]
    return data


def _kinds(data: pd.DataFrame, kinds) -> dict[str, Kind]:
    return {
        column: kind_of(
            column,
            pd.api.types.is_numeric_dtype(data[column]) and not pd.api.types.is_bool_dtype(data[column]),
            kinds,
            dtype=data[column].dtype,
        )
        for column in data.columns
    }


def _interval_of(column: str, present) -> tuple[str, str] | None:
    low, high = INTERVALS.get(column, (f"{column}_low", f"{column}_high"))
    return (low, high) if low in present and high in present else None


def shown_columns(data: pd.DataFrame, kinds=None, headings=None) -> list[Shown]:
    """The table's columns as shown, in the CSV's order: a value with its interval becomes a value
    column and an interval column under one spanner."""
    kind = _kinds(data, kinds)
    merged: set[str] = set()
    present, shown = set(data.columns), []
    for column in data.columns:
        if column in merged:
            continue
        interval = _interval_of(column, present) if kind[column].numeric else None
        if interval is None:
            long = not kind[column].numeric and data[column].astype(str).str.len().max() > LONG_TEXT
            shown.append(Shown((column,), heading(column, headings), kind[column], long=bool(long)))
            continue
        spanner, value_heading = SPANNERS.get(column, (heading(column, headings), "value"))
        if headings and column in headings:  # a heading given for the value heads its spanner
            spanner = headings[column]
        shown.append(Shown((column,), value_heading, kind[column], spanner))
        shown.append(Shown(interval, "95% interval", kind[interval[0]], spanner))
        merged.update(interval)
    return shown


def _cell(row: Mapping, column: Shown) -> str:
    if len(column.columns) == 1:
        return formatted(row[column.columns[0]], column.kind)
    low, high = (formatted(row[c], column.kind) for c in column.columns)
    return "n/a" if low == high == "n/a" else f"{low} to {high}"


def _class(column: Shown) -> str:
    return ("number" if column.kind.numeric else "text") + (" long" if column.long else "")


def _names(column: Shown, e) -> str:
    """A merged cell names the CSV columns it holds; a plain cell is its CSV column in order."""
    return f' data-columns="{e(" ".join(column.columns))}"' if len(column.columns) > 1 else ""


def _header(shown: list[Shown], e) -> str:
    leaves = "".join(f'<th scope="col" class="{_class(c)}"{_names(c, e)}>{e(c.heading)}</th>' for c in shown)
    if not any(c.spanner for c in shown):
        return f"<tr>{leaves}</tr>"
    spanners, i = [], 0
    while i < len(shown):
        span = 1
        while shown[i].spanner and i + span < len(shown) and shown[i + span].spanner == shown[i].spanner:
            span += 1
        spanners.append(
            f'<th scope="colgroup" colspan="{span}" class="spanner">{e(shown[i].spanner)}</th>'
            if shown[i].spanner
            else "<td></td>"
        )
        i += span
    return f'<tr class="spanners">{"".join(spanners)}</tr><tr>{leaves}</tr>'


def render_table(
    frame,
    name: str,
    *,
    kinds: Mapping[str, str] | None = None,
    headings: Mapping[str, str] | None = None,
    folder: str = "",
) -> str:
    data = as_table(frame)
    e = html.escape
    shown = shown_columns(data, kinds, headings)
    body = "".join(
        "<tr>" + "".join(f'<td class="{_class(c)}"{_names(c, e)}>{e(_cell(row, c))}</td>' for c in shown) + "</tr>"
        for row in data.to_dict("records")
    )
    csv = f"{folder}/tables/{name}.csv" if folder else f"tables/{name}.csv"
    return (
        f'<table class="report-table" id="table-{e(name)}" data-csv="{e(csv)}">'
        f"<thead>{_header(shown, e)}</thead><tbody>{body}</tbody></table>"
    )


def scrolling(table: str, name: str) -> str:
    """The table in a box of its own that scrolls sideways where the page is too narrow (a phone),
    so the page itself never does; keyboard users can scroll it too (a focusable, named region).
    The cue that more columns lie to the right is the page's CSS (a shadow at the box's edge)."""
    label = html.escape(f"table {name}, scrolls sideways")
    return f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">{table}</div>'
