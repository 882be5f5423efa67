"""``python -m crimeoutcomes funnel IN.csv --out OUT.csv [--kind proportion|ratio]``."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from crimeoutcomes.atomic import write_atomically
from crimeoutcomes.errors import CrimeOutcomesError, InputFileError
from crimeoutcomes.stats.funnel import flagged, funnel_table
from crimeoutcomes.stats.validate import FunnelInputError


def read_funnel_csv(path: Path) -> pd.DataFrame:
    """Every cell as text, so that the checks can name a value that is not a number."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError as exc:
        raise CrimeOutcomesError(f"file {path}: not found") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"not a readable CSV ({exc})") from exc


def run_funnel(path: Path, out: Path, kind: str | None) -> int:
    frame = read_funnel_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    try:
        table = funnel_table(frame, kind)
    except FunnelInputError as exc:
        raise InputFileError(path, exc.problem, column=exc.column, row=exc.row) from exc
    write_atomically(out, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))
    hits = flagged(table)
    print(
        f"{out}: {len(table)} units in {table['dataset'].nunique()} dataset(s); {len(hits)} outside the 99.8% limits",
        file=sys.stderr,
    )
    return 0
