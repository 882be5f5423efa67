"""Every command line of the project, in one module: ``python -m crimeoutcomes`` (read | survey |
sample | fetch | data | diff | site | review | funnel | kernel) and run_all.py's options
(``parse_run_all``, ``run_all``: run_all.py at the project's root is a thin script over them)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import polars as pl

from crimeoutcomes.data.load import load_outcomes, load_recorded_crime, load_table
from crimeoutcomes.data.read import detect_kind
from crimeoutcomes.data.schema import COUNT_BASES
from crimeoutcomes.data.years import FRAMEWORK_FIRST_YEAR, LATEST, financial_year_argument, year_or_latest_argument
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.sources import SOURCE_CHOICES, obtain
from crimeoutcomes.synthetic.sample import DEFAULT_YEARS, write_sample

RUN_ALL_DESCRIPTION = "Build every report: get the data, run the notebooks in order, export HTML, summary.json, index."


def _cmd_read(args) -> int:
    from crimeoutcomes.data.tidy_files import SYNTHETIC_COLUMN, synthetic_files, tidy_format, write_tidy

    tidy_format(args.out, "--out")  # a name it cannot write is refused before any file is read
    kinds = {detect_kind(p) for p in args.paths}
    if len(kinds) > 1:
        raise CrimeOutcomesError("give either outcomes workbooks or recorded-crime files, not both")
    if kinds == {"recorded_crime"}:
        frames = [load_table(p, "recorded_crime", use_cache=not args.no_cache) for p in args.paths]
        table = pl.concat(frames)
    else:
        table = load_outcomes(args.paths, use_cache=not args.no_cache)
    synthetic = synthetic_files(args.paths)
    write_tidy(table, args.out, synthetic=synthetic)
    print(
        f"{args.out}: {table.height:,} rows, {len(table.columns)} columns"
        + (f" (SYNTHETIC DATA: first column '{SYNTHETIC_COLUMN}')" if synthetic else ""),
        file=sys.stderr,
    )
    return 0


def _cmd_survey(args) -> int:
    from crimeoutcomes.data.survey import render, survey

    result = survey(args.paths, raw_dir=args.raw_dir, use_data_folder=not args.no_data_folder)
    print(render(result))
    return result.exit_code


def _cmd_sample(args) -> int:
    files = write_sample(args.out, args.years or DEFAULT_YEARS, full_size=args.full_size, fmt=args.format)
    for year, path in files.outcomes.items():
        print(f"{year}: {path}")
    print(f"recorded crime: {files.recorded_crime}")
    return 0


def _cmd_fetch(args) -> int:
    from crimeoutcomes.data.download import LATEST, fetch

    years = None if args.all else [args.year] if args.year else LATEST
    for entry in fetch(years, args.raw_dir, base_url=args.base_url, progress=not args.quiet):
        print(f"{entry['filename']}  {entry['bytes']:,} bytes  sha256 {entry['sha256']}")
    return 0


def _cmd_site(args) -> int:
    from crimeoutcomes.build.site import build_site

    print(f"Site: {build_site(args.out, args.site) / 'index.html'}")
    return 0


def _cmd_review(args) -> int:
    from crimeoutcomes.build.review import every_build, write_review

    builds = [args.build] if args.build else every_build(args.out)
    if not builds:
        raise CrimeOutcomesError("no built reports to review: run 'make reports' first")
    for build in builds:
        print(f"Contact sheet: {write_review(build)}")
    return 0


def _cmd_data(args) -> int:
    sources = obtain(args.source, args.raw_dir)
    outcomes = load_outcomes(list(sources.outcomes.values()))
    label = "SYNTHETIC sample" if sources.synthetic else "Home Office files"
    print(f"{label} in {sources.folder}: outcomes {', '.join(sources.years)} ({outcomes.height:,} rows)")
    if sources.recorded_crime:
        recorded = load_recorded_crime(sources.recorded_crime)
        print(f"recorded crime: {recorded.height:,} rows")
    return 0


def _cmd_build_alias(args) -> int:
    print("'build' is now 'data'", file=sys.stderr)
    return _cmd_data(args)


def _cmd_diff(args) -> int:
    from crimeoutcomes.data.cache import write_csv_atomic
    from crimeoutcomes.reconciliation.releases import compare_releases, maturation, order_warning

    reversed_order = order_warning(args.old, args.new)
    if reversed_order:
        print(reversed_order, file=sys.stderr)
    old, new = (load_table(p, "outcomes") for p in (args.old, args.new))
    diff = compare_releases(old, new, args.old.name, args.new.name)
    print(f"{args.old.name} -> {args.new.name}: {diff.cells.height:,} of {new.height:,} cells differ")
    with pl.Config(
        tbl_rows=args.top,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_width_chars=120,
        tbl_formatting="ASCII_MARKDOWN",
    ):
        for key in ("force", "offence_code", "outcome_type"):
            print(f"\nBy {key.replace('_', ' ')} (net change; first {args.top}):")
            print(diff.by(key).head(args.top))
        print("\nRecorded basis, how outcomes of the same offences matured (all offences):")
        print(maturation(old, new))
    if args.out:
        write_csv_atomic(diff.cells, args.out)
        print(f"\nEvery changed cell: {args.out}")
    return 0


def _cmd_kernel(args) -> int:
    from crimeoutcomes.build.pipeline import ensure_kernel

    print(f"Jupyter kernel {ensure_kernel()!r} runs {sys.executable}")
    return 0


def _cmd_funnel(args) -> int:
    from crimeoutcomes.funnels.funnel_file import run_funnel

    return run_funnel(args.path, args.out, args.kind)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crimeoutcomes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_read,
        _add_survey,
        _add_sample,
        _add_fetch,
        _add_data,
        _add_diff,
        _add_site,
        _add_review,
        _add_kernel,
        _add_funnel,
    ):
        add(commands)
    # The help lists the commands added so far only: the deprecated alias added next stays out of it.
    commands.metavar = "{" + ",".join(commands.choices) + "}"
    _add_build_alias(commands)
    return parser


def _add_read(commands) -> None:
    read = commands.add_parser(
        "read",
        help="read workbooks into one tidy table (Parquet, CSV or gzipped CSV)",
        description="Read outcomes workbooks (or recorded-crime files) into one tidy table, written in the "
        "format the --out file's suffix names: .parquet, .csv or .csv.gz. A missing count is an empty cell "
        "in CSV and <NA> in Parquet (never 0); built from the synthetic sample, the first column 'data' "
        "says SYNTHETIC DATA.",
    )
    read.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".xlsx or .ods workbooks")
    read.add_argument("--out", required=True, type=Path, metavar="FILE", help="FILE.parquet, FILE.csv or FILE.csv.gz")
    read.add_argument("--no-cache", action="store_true", help="parse even where a cached copy exists")
    read.set_defaults(run=_cmd_read)


def _add_survey(commands) -> None:
    survey = commands.add_parser(
        "survey",
        help="list every value in new workbooks the reader has to interpret; exit 1 if any is unknown",
        description="One pass over new workbooks (outcomes files and the recorded-crime file): sheets, header "
        "wordings, markers, expired flags, outcome types, forces, offence codes new or gone since "
        "the previous year. Exits 1 when anything is unknown, after reporting everything.",
    )
    survey.add_argument("paths", nargs="+", type=Path, metavar="FILE", help=".xlsx or .ods workbooks")
    survey.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help="where to find the previous year's file when it is not given (default data/raw)",
    )
    survey.add_argument(
        "--no-data-folder", action="store_true", help="compare offence codes only among the files given"
    )
    survey.set_defaults(run=_cmd_survey)


def _add_sample(commands) -> None:
    sample = commands.add_parser(
        "sample", help="write the synthetic sample", description="Write SYNTHETIC workbooks in the published layout."
    )
    sample.add_argument("--out", required=True, type=Path, metavar="DIR")
    sample.add_argument("--full-size", action="store_true", help="184 offence codes a year (712,448 rows in 2024/25)")
    sample.add_argument(
        "--years",
        nargs="+",
        type=financial_year_argument,
        metavar="FY",
        help=f"financial years (default {DEFAULT_YEARS[0]} to {DEFAULT_YEARS[-1]})",
    )
    sample.add_argument("--format", choices=("xlsx", "ods"), default="xlsx")
    sample.set_defaults(run=_cmd_sample)


def _add_fetch(commands) -> None:
    fetch = commands.add_parser(
        "fetch",
        help="download published files from GOV.UK",
        description="Download the newest release of outcomes files and the recorded-crime file.",
    )
    which = fetch.add_mutually_exclusive_group()
    which.add_argument(
        "--year", type=financial_year_argument, metavar="FY", help="one financial year (default: the latest)"
    )
    which.add_argument("--all", action="store_true", help="every financial year")
    fetch.add_argument("--raw-dir", type=Path, default=None, help="where to keep them (default data/raw)")
    fetch.add_argument("--base-url", default=None, help="another server in place of GOV.UK (testing only)")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(run=_cmd_fetch)


def _add_data(commands) -> None:
    data = commands.add_parser(
        "data",
        help="get the files and read them into the cache",
        description="Get the source files and read them into the cache.",
    )
    _data_arguments(data)
    data.set_defaults(run=_cmd_data)


def _add_build_alias(commands) -> None:
    # The old name of 'data' (every other "build" is the reports'): still accepted, no longer listed.
    build = commands.add_parser(
        "build", description="The old name of 'data': get the source files and read them into the cache."
    )
    _data_arguments(build)
    build.set_defaults(run=_cmd_build_alias)


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=SOURCE_CHOICES, default="auto")
    parser.add_argument("--raw-dir", type=Path, default=None)


def _add_diff(commands) -> None:
    diff = commands.add_parser(
        "diff",
        help="what changed between two releases of one year's outcomes file",
        description="Compare two releases of the same financial year's outcomes file.",
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="the earlier release (.xlsx or .ods)")
    diff.add_argument("new", type=Path, metavar="NEW", help="the later release")
    diff.add_argument("--out", type=Path, metavar="FILE.csv", help="write every changed cell here")
    diff.add_argument("--top", type=int, default=10, help="rows per summary table (default 10)")
    diff.set_defaults(run=_cmd_diff)


def _add_site(commands) -> None:
    site = commands.add_parser(
        "site",
        help="gather every built year into a static site",
        description="Copy every year's reports and figures into one folder for a static host.",
    )
    site.add_argument("--out", type=Path, default=None, help="the folder run_all.py wrote to (default: the project)")
    site.add_argument("--site", type=Path, default=None, help="where to write the site (default OUT/site)")
    site.set_defaults(run=_cmd_site)


def _add_review(commands) -> None:
    review = commands.add_parser(
        "review",
        help="a contact sheet of every figure of a build, for reviewers",
        description="Write scratch/<slug>/review.html: every figure (PNG) of a build side by side, with its "
        "notebook and CSV.",
    )
    review.add_argument(
        "--build",
        type=Path,
        default=None,
        metavar="REPORTS/SLUG",
        help="one build folder, e.g. reports/2024-25 (default: every year built under --out)",
    )
    review.add_argument("--out", type=Path, default=None, help="the folder run_all.py wrote to (default: the project)")
    review.set_defaults(run=_cmd_review)


def _add_kernel(commands) -> None:
    kernel = commands.add_parser(
        "kernel",
        help="register the 'crimeoutcomes' Jupyter kernel for this Python",
        description="Register the Jupyter kernel the notebooks name (make does it on set-up).",
    )
    kernel.set_defaults(run=_cmd_kernel)


def _add_funnel(commands) -> None:
    funnel = commands.add_parser(
        "funnel",
        help="funnel table of any units' proportions or O/E ratios",
        description="Exact funnel limits and flags, over-dispersion, rank intervals (see the README, Method).",
    )
    funnel.add_argument(
        "path",
        type=Path,
        metavar="IN.csv",
        help="columns unit,events,n (proportion) or unit,observed,expected (ratio); dataset optional",
    )
    funnel.add_argument("--out", required=True, type=Path, metavar="OUT.csv")
    funnel.add_argument("--kind", choices=("proportion", "ratio"), help="default: inferred from the columns")
    funnel.set_defaults(run=_cmd_funnel)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CrimeOutcomesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


# -- run_all.py -----------------------------------------------------------------------------------
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


def _add_question_options(parser: argparse.ArgumentParser) -> None:
    """--offences and --outcome-types: the question the reports answer (``stats.question``)."""
    parser.add_argument(
        "--offences",
        nargs="+",
        metavar="NAME",
        help="the offences counted: an Offence Group or Subgroup as published, e.g. 'Rape offences' (quoted), "
        "or offence codes, e.g. 19C 19D (default: the Offence Group 'Sexual offences'); another question than "
        "the default builds into reports/<question>/<year>",
    )
    parser.add_argument(
        "--outcome-types",
        nargs="+",
        metavar="TYPE",
        help="the outcome types counted, e.g. 1 (charged/summonsed) or 2 3 (cautions) (default: 8, community "
        "resolutions)",
    )


def run_all_parser() -> argparse.ArgumentParser:
    """run_all.py's options (see its docstring)."""
    # allow_abbrev=False: a prefix must never stand for another option ('--force' for '--forces').
    parser = argparse.ArgumentParser(prog="run_all.py", description=RUN_ALL_DESCRIPTION, allow_abbrev=False)
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
    _add_question_options(parser)
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
    return parser


def parse_run_all(argv: list[str] | None, notebooks: Path) -> argparse.Namespace:
    """run_all.py's options, checked: an error names the option."""
    from crimeoutcomes.build import pipeline
    from crimeoutcomes.notebook import force_pages
    from crimeoutcomes.stats.question import check_outcome_types

    parser = run_all_parser()
    arguments = parser.parse_args(argv)
    _old_force(parser, arguments)
    if arguments.year != LATEST and arguments.first_year > arguments.year:
        parser.error(f"--first-year {arguments.first_year} is after --year {arguments.year}")
    if arguments.raw_dir is not None and arguments.source == "local" and not arguments.raw_dir.is_dir():
        parser.error(f"--raw-dir {arguments.raw_dir} is not a folder")
    if arguments.out is not None and arguments.out.exists() and not arguments.out.is_dir():
        parser.error(f"--out {arguments.out} exists and is not a folder")
    try:
        pipeline.select_notebooks(arguments.only, notebooks)
        # any spelling a reader uses ('City of London', 'devon & cornwall') -> the Home Office one
        arguments.forces = force_pages.check_forces(arguments.forces)
        if arguments.outcome_types is not None:  # checked here, before any data is read
            arguments.outcome_types = list(check_outcome_types(arguments.outcome_types, "--outcome-types"))
    except CrimeOutcomesError as exc:
        parser.error(str(exc))
    return arguments


def _offences(values: list[str] | None) -> str | list[str] | None:
    """--offences: one value is a name (or a code, or codes with commas); several are codes."""
    if values is None:
        return None
    return values[0] if len(values) == 1 else values


def run_all(argv: list[str] | None, notebooks: Path) -> int:
    """run_all.py: build the year's reports from ``notebooks``; the exit status as run_all.py's
    docstring gives it."""
    from crimeoutcomes.build import pipeline

    arguments = parse_run_all(argv, notebooks)
    try:
        pipeline.run(
            financial_year=arguments.year,
            count_basis=arguments.basis,
            first_year=arguments.first_year,
            source=arguments.source,
            raw_dir=arguments.raw_dir,
            out=arguments.out,
            only=arguments.only,
            notebooks_dir=notebooks,
            jobs=arguments.jobs,
            pool_years=arguments.pool_years,
            rebuild=arguments.rebuild,
            forces=arguments.forces,
            offences=_offences(arguments.offences),
            outcome_types=arguments.outcome_types,
        )
        if arguments.site:
            from crimeoutcomes.build.site import build_site

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
