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

import argparse
import os
import sys
from pathlib import Path

from crimeoutcomes.data.schema import COUNT_BASES
from crimeoutcomes.data.source_files import SOURCE_CHOICES
from crimeoutcomes.data.years import FRAMEWORK_FIRST_YEAR, LATEST, financial_year_argument, year_or_latest_argument
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.report import force_pages, pipeline

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {value!r}")
    return number


def _old_force(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    """--force alone: the deprecated name of --rebuild, with a note; --force with names: an error
    that points at --forces, never a silent rebuild or a silent choice of forces."""
    if arguments.old_force is None:
        return
    if arguments.old_force:
        parser.error(
            f"--force takes no names ({' '.join(arguments.old_force)}): for the pages of some forces use "
            f"--forces {' '.join(repr(n) if ' ' in n else n for n in arguments.old_force)}; to re-run every "
            "notebook use --rebuild (--force is its old name)"
        )
    print("run_all: --force is now --rebuild", file=sys.stderr)
    arguments.rebuild = True


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    # allow_abbrev=False: a prefix must never stand for another option ('--force' for '--forces').
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument(
        "--year",
        type=year_or_latest_argument,
        default=LATEST,
        help="financial year to report, e.g. 2024/25, or 'latest' (default)",
    )
    parser.add_argument(
        "--basis",
        choices=COUNT_BASES,
        default="closed",
        help="closed: outcomes assigned in the year (default); recorded: outcomes of offences recorded in the year",
    )
    parser.add_argument(
        "--first-year",
        type=financial_year_argument,
        default=FRAMEWORK_FIRST_YEAR,
        help=f"first year of the trends (default {FRAMEWORK_FIRST_YEAR})",
    )
    parser.add_argument(
        "--source",
        choices=SOURCE_CHOICES,
        default="auto",
        help="auto: files in the raw folder, else download, else the synthetic sample (default); "
        "local: only files already in the raw folder; sample: the synthetic sample",
    )
    parser.add_argument("--raw-dir", type=Path, help="folder of downloaded source files (default data/raw)")
    parser.add_argument("--out", type=Path, help="folder to hold reports/ and figures/ (default: the project)")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these notebooks (e.g. 02 or force_comparison)"
    )
    parser.add_argument(
        "--pool-years",
        type=_positive,
        default=1,
        help="years, ending with --year, pooled in the force comparison (default 1)",
    )
    parser.add_argument(
        "--forces",
        nargs="+",
        metavar="NAME",
        help="make force pages for these forces only, e.g. 'Metropolitan Police' 'City of London' (any case; "
        "the Home Office name, the name the pages show or an alias; default: every force)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="re-run every notebook, even those whose inputs are unchanged since the last build",
    )
    # The old name of --rebuild, hidden: beside --forces it invited '--force Cumbria'. It takes any
    # values only to refuse them by name (argparse would otherwise report a stray 'Cumbria').
    parser.add_argument("--force", nargs="*", metavar="NAME", dest="old_force", help=argparse.SUPPRESS)
    parser.add_argument(
        "--site",
        action="store_true",
        help="then gather every year built into site/ (as 'python -m crimeoutcomes site')",
    )
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=os.cpu_count() or 1,
        help="notebooks run side by side (default: the number of CPUs)",
    )
    arguments = parser.parse_args(argv)
    _old_force(parser, arguments)
    if arguments.year != LATEST and arguments.first_year > arguments.year:
        parser.error(f"--first-year {arguments.first_year} is after --year {arguments.year}")
    if arguments.raw_dir is not None and arguments.source == "local" and not arguments.raw_dir.is_dir():
        parser.error(f"--raw-dir {arguments.raw_dir} is not a folder")
    if arguments.out is not None and arguments.out.exists() and not arguments.out.is_dir():
        parser.error(f"--out {arguments.out} exists and is not a folder")
    try:
        pipeline.select_notebooks(arguments.only, NOTEBOOKS)
        # any spelling a reader uses ('City of London', 'devon & cornwall') -> the Home Office one
        arguments.forces = force_pages.check_forces(arguments.forces)
    except CrimeOutcomesError as exc:
        parser.error(str(exc))
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        result = pipeline.run(
            financial_year=arguments.year,
            count_basis=arguments.basis,
            first_year=arguments.first_year,
            source=arguments.source,
            raw_dir=arguments.raw_dir,
            out=arguments.out,
            only=arguments.only,
            notebooks_dir=NOTEBOOKS,
            jobs=arguments.jobs,
            pool_years=arguments.pool_years,
            rebuild=arguments.rebuild,
            forces=arguments.forces,
        )
        if arguments.site:
            from crimeoutcomes.report.site import build_site, site_is_current

            if not result.rebuilt and not arguments.rebuild and site_is_current(arguments.out):
                print("Site: up to date", file=sys.stderr)
            else:
                print(f"Site: {build_site(arguments.out) / 'index.html'}", file=sys.stderr)
    except pipeline.NotebookFailed as exc:
        print(f"run_all: {exc}", file=sys.stderr)
        return 1
    except CrimeOutcomesError as exc:
        print(f"run_all: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
