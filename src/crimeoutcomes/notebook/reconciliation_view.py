"""Report 04's main reconciliation table, in two parts that read at any width: a compact table (what
was counted, the figure as published, ours at the best fit, the status), keyed by number to a list
below it of each figure's source, best fit and reasons. The full table, every column unrounded, is
the CSV the notebook saves beside them."""

from __future__ import annotations

import pandas as pd

from crimeoutcomes.reconciliation.press_figures import format_value
from crimeoutcomes.templates import render

#: The compact table's columns, in order (headings in ``columns.COLUMNS``).
COMPACT = ("figure_no", "counted", "published", "ours_best_fit", "status")

#: A figure whose reasons need no list entry: ours fits it on our first reading.
RECONCILED = "reproduced"


def _numbered(figures: pd.DataFrame) -> pd.DataFrame:
    return figures.reset_index(drop=True).assign(figure_no=lambda f: f.index + 1)


def compact(figures: pd.DataFrame) -> pd.DataFrame:
    """One row per published figure (``reconcile.reconciliation(...).figures``), numbered in the
    order of the shared list."""
    numbered = _numbered(figures)
    return pd.DataFrame(
        {
            "figure_no": numbered["figure_no"],
            "counted": numbered["offences"] + ", " + numbered["area"] + ", " + numbered["window"],
            "published": numbered["published"],
            "ours_best_fit": [format_value(v, u) for v, u in zip(numbered["best_ours"], numbered["unit"])],
            "status": numbered["status"],
        },
        columns=list(COMPACT),
    )


#: How ``reconciliation.press_figures`` starts the best fit of a figure the files read give nothing for.
NOTHING = "nothing to compare"

#: Statuses whose reasons are explanations of a gap (the others' say why there is nothing to compare).
GAPS = ("differs", "reproduced with a different grouping or window")


def _reasons(fit: str, reasons: str) -> str:
    """The reasons not already said by the best fit (a figure with nothing to compare says why in both)."""
    return "; ".join(part for part in reasons.split("; ") if part and part not in fit)


def explained(figures: pd.DataFrame) -> list[dict]:
    """The list under the table: every figure not reproduced on our first reading, by its number."""
    numbered = _numbered(figures)
    return [
        {
            "number": int(row["figure_no"]),
            "published": row["published"],
            "published_by": row["published_by"],
            "source_url": row["source_url"] or "",
            "reading": row["reading"],
            "status": row["status"],
            "fit": row["fit"][:1].upper() + row["fit"][1:]
            if row["fit"].startswith(NOTHING)
            else f"Best fit: {row['fit']}",
            "reasons": _reasons(row["fit"], row["reasons"]),
            "reasons_label": "What the data cannot rule out" if row["status"] in GAPS else "Why",
        }
        for _, row in numbered.iterrows()
        if row["status"] != RECONCILED
    ]


def explained_html(figures: pd.DataFrame) -> str:
    return render("reasons_list.html.j2", items=explained(figures))
