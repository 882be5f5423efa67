"""Command line: python -m crimeoutcomes read | survey | sample | fetch | data | diff | site | review | funnel
| kernel."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from crimeoutcomes.data.load import load_outcomes, load_recorded_crime, load_table
from crimeoutcomes.data.read import detect_kind
from crimeoutcomes.data.source_files import SOURCE_CHOICES, obtain
from crimeoutcomes.data.years import financial_year_argument
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.synthetic.sample import DEFAULT_YEARS, write_sample


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
    from crimeoutcomes.report.site import build_site

    print(f"Site: {build_site(args.out, args.site) / 'index.html'}")
    return 0


def _cmd_review(args) -> int:
    from crimeoutcomes.report.review import every_build, write_review

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
    from crimeoutcomes.stats.releases import compare_releases, maturation, order_warning

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
    from crimeoutcomes.report.pipeline import ensure_kernel

    print(f"Jupyter kernel {ensure_kernel()!r} runs {sys.executable}")
    return 0


def _cmd_funnel(args) -> int:
    from crimeoutcomes.stats.funnel_file import run_funnel

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


if __name__ == "__main__":
    sys.exit(main())
