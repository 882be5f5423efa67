"""A report table as HTML: each column formatted by its declared kind (``columns``), headings in
words, words left and numbers right, missing values as 'n/a'. Plain HTML with a fixed id, so a
re-run gives the same bytes and a test can find the table and the CSV saved beside it."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from crimeoutcomes.frames import as_pandas
from crimeoutcomes.report.columns import formatted, heading, kind_of


def render_table(
    frame, name: str, *, kinds: Mapping[str, str] | None = None, headings: Mapping[str, str] | None = None
) -> str:
    data = as_pandas(frame)
    e = html.escape
    columns = [
        (
            column,
            kind_of(
                column,
                pd.api.types.is_numeric_dtype(data[column]) and not pd.api.types.is_bool_dtype(data[column]),
                kinds,
            ),
        )
        for column in data.columns
    ]
    align = {column: "number" if kind.numeric else "text" for column, kind in columns}
    head = "".join(f'<th scope="col" class="{align[c]}">{e(heading(c, headings))}</th>' for c, _ in columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{align[c]}">{e(formatted(value, kind))}</td>' for (c, kind), value in zip(columns, row))
        + "</tr>"
        for row in data.itertuples(index=False, name=None)
    )
    return (
        f'<table class="report-table" id="table-{e(name)}" data-csv="tables/{e(name)}.csv">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
