#!/usr/bin/env python3
"""Build every report: get the data, run the notebooks in order, export HTML, summary.json, index.

    python run_all.py [--year FY|latest] [--basis closed|recorded] [--first-year FY]
                      [--source auto|download|local|sample] [--raw-dir DIR] [--out DIR] [--only NAME ...]
                      [--pool-years N] [--forces NAME ...] [--jobs N] [--rebuild] [--site]

Only what changed since the year's published build re-runs (see build.json); --rebuild re-runs
everything (it was --force, which still works and says so).

Exit status: 0 built; 1 a notebook failed (the previous reports are left in place); 2 bad
arguments or bad input, named in the message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crimeoutcomes.cli import parse_run_all, run_all

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def parse_arguments(argv: list[str] | None = None):
    return parse_run_all(argv, NOTEBOOKS)


def main(argv: list[str] | None = None) -> int:
    return run_all(argv, NOTEBOOKS)


if __name__ == "__main__":
    sys.exit(main())
