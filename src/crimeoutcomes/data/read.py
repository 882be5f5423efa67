"""Read published workbooks into the tidy tables of ``schema``.

Outcomes open data (one row per financial year x quarter x force x offence code x outcome
type) and the police force area recorded-crime file (one sheet per financial year). Headers
are matched by normalised synonyms, not by position; counts are parsed from text so that the
published markers (``N/A - data not provided`` ...) become NA with the marker kept in ``note``.
"""

from __future__ import annotations

import functools
import operator
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from crimeoutcomes.data import checks
from crimeoutcomes.data.codes import force_spellings
from crimeoutcomes.data.distinct import DistinctCells
from crimeoutcomes.data.schema import (
    OUTCOMES,
    OUTCOMES_COLUMNS,
    OUTCOMES_KEY,
    RECORDED_CRIME,
    RECORDED_CRIME_COLUMNS,
    RECORDED_CRIME_KEY,
)
from crimeoutcomes.data.workbook import (
    LocatedTable,
    Workbook,
    iter_sheet_names,
    locate_table,
    normalise_label,
    open_workbook,
)
from crimeoutcomes.data.years import normalise_financial_year
from crimeoutcomes.errors import InputFileError


def _names(*labels: str) -> tuple[str, ...]:
    return tuple(normalise_label(label) for label in labels)


#: Every header wording seen in (or plausible for) the published files, per field.
OUTCOMES_HEADERS: dict[str, tuple[str, ...]] = {
    "financial_year": _names("Financial Year", "Year", "FY", "Fin Year"),
    "quarter": _names("Financial Quarter", "Quarter", "Qtr", "Fin Quarter", "FQ"),
    "force": _names("Force Name", "Force", "Police Force", "Police Force Area", "PFA", "Force Area"),
    "offence_code": _names("Offence Code", "HO Offence Code", "Offence Code (HO)", "Code"),
    "offence_description": _names("Offence Description", "Offence", "Offence Name"),
    "offence_group": _names("Offence Group", "Group"),
    "offence_subgroup": _names("Offence Subgroup", "Offence Sub Group", "Offence Sub-group", "Subgroup"),
    "offence_code_expired": _names(
        "Offence code expired", "Offence Code Expired", "Code expired", "Expired", "Offence code expired flag"
    ),
    "outcome_type": _names("Outcome Type", "Outcome", "Outcome Code", "Outcome Type Code", "Outcome Number"),
    "outcome_description": _names("Outcome Description", "Outcome Type Description", "Outcome Name"),
    "outcome_group": _names("Outcome Group", "Outcome Type Group"),
    "recorded": _names(
        "Outcomes for offences that were recorded in the quarter",
        "Outcomes for offences recorded in the quarter",
        "Number of Outcomes for offences that were recorded in the quarter",
        "Force outcomes for offences recorded in quarter",
        "Number of outcomes recorded",
    ),
    "closed": _names(
        "Outcomes for investigations closed in the quarter",
        "Outcomes for investigations that were closed in the quarter",
        "Number of Outcomes for investigations that were closed in the quarter",
        "Number of Outcomes for investigations closed in the quarter",
        "Force outcomes for investigations closed in quarter",
    ),
}

RECORDED_CRIME_HEADERS: dict[str, tuple[str, ...]] = {
    "financial_year": OUTCOMES_HEADERS["financial_year"],
    "quarter": OUTCOMES_HEADERS["quarter"],
    "force": OUTCOMES_HEADERS["force"],
    "offence_code": OUTCOMES_HEADERS["offence_code"],
    "offence_description": OUTCOMES_HEADERS["offence_description"],
    "offence_group": OUTCOMES_HEADERS["offence_group"],
    "offence_subgroup": OUTCOMES_HEADERS["offence_subgroup"],
    "offences": _names(
        "Number of Offences",
        "Offences",
        "Number of offences recorded",
        "Recorded offences",
        "Number of crimes",
        "Count",
    ),
}

#: What identifies a row: no two rows of a file may share it.

_NOT_DATA_SHEETS = ("cover", "note", "content", "pivot", "metadata", "readme", "guidance", "index")
_YEAR_SHEET = re.compile(r"^\s*(\d{4})\s*[_\-/ ]\s*(\d{2}|\d{4})\s*$")
_WHITESPACE = " \t\r\n\xa0\u2007\u202f"
NOT_EXPIRED_FLAGS = ("", "n", "no", "false", "0", "-")
#: The expired-code flag the files print (a lower-case x); any other text outside NOT_EXPIRED_FLAGS
#: is read as expired too, but the survey reports it as a spelling not seen before.
PUBLISHED_EXPIRED_FLAG = "x"

#: Marker spellings the published files use (lower-cased: any case is read alike). is_marker accepts
#: more (any "N/A - ...", the statistical symbols), so a new release's new marker still reads as
#: missing; the survey names every marker outside this list so that someone decides what it means.
PUBLISHED_MARKERS = ("na", "n/a", "n/a - offence code expired", "n/a - data not provided")


def fuzzy_outcome_count(key: str) -> str | None:
    """Count columns in wordings not listed: '...recorded...' or '...closed...' outcomes."""
    if "outcome" not in key and "number" not in key:
        return None
    if "closed" in key:
        return "closed"
    if "recorded" in key:
        return "recorded"
    return None


def is_marker(value: pl.Expr) -> pl.Expr:
    """Published text markers for a count that is not given: N/A, NA, N/A - data not provided ..."""
    lower = value.str.to_lowercase()
    return (lower.str.starts_with("n/a") | lower.is_in(["na", "..", ":", "[x]", "[z]", "[c]", "[u]"])).fill_null(False)


def clean_text(column: str) -> pl.Expr:
    """A text field as published, with surrounding white space (NBSP included) taken off."""
    stripped = pl.col(column).str.strip_chars(_WHITESPACE)
    return pl.when(stripped == "").then(None).otherwise(stripped)


def key_text(column: str) -> pl.Expr:
    """A field that identifies something (force, code): NBSPs inside it read as plain spaces."""
    return clean_text(column).str.replace_all("\xa0", " ")


def _fail_on_first(table: LocatedTable, bad: pl.Series, field: str, problem: str, values: pl.Series) -> None:
    if bad.any():
        index = int(bad.arg_true()[0])
        raise InputFileError(
            table.path,
            f"{problem}: {values[index]!r} ({int(bad.sum())} such cells)",
            sheet=table.sheet,
            column=table.headers[field],
            row=table.sheet_row(index),
        )


def _require(workbook: Workbook, table: LocatedTable, fields: tuple[str, ...], what: str) -> None:
    missing = [f for f in fields if f not in table.columns]
    if missing:
        wanted = ", ".join(repr(f.replace("_", " ")) for f in missing)
        found = ", ".join(repr(h) for h in table.headers.values())
        raise InputFileError(
            workbook.path,
            f"the {what} table has no {wanted} column (columns found: {found})",
            sheet=table.sheet,
            column=missing[0].replace("_", " "),
        )


def classify_counts(raw: pl.Series) -> pl.DataFrame:
    """Cleaned count cells -> columns raw, marker (bool), number (Float64) and bad (neither a whole
    number nor a marker). The reader stops at the first bad cell; the survey counts them all."""
    frame = pl.DataFrame({"raw": raw}).with_columns(marker=is_marker(pl.col("raw")))
    frame = frame.with_columns(
        number=pl.when(pl.col("marker"))
        .then(None)
        .otherwise(pl.col("raw").str.replace_all(",", "").cast(pl.Float64, strict=False))
    )
    return frame.with_columns(
        bad=(
            pl.col("raw").is_not_null()
            & ~pl.col("marker")
            & (
                pl.col("number").is_null()
                | (pl.col("number") != pl.col("number").round(0))
                | pl.col("number").is_infinite()
            )
        ).fill_null(False)
    )


def _parse_counts(table: LocatedTable, cells: DistinctCells, field: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    """A count column -> (Int64 counts with NA for markers and blanks, the marker text or null,
    whether the marker says the code expired), each worked out once per distinct cell."""
    values, index = cells.encoded(table.columns[field])
    raw = values.to_frame().select(clean_text(values.name).alias("raw"))["raw"]
    frame = classify_counts(raw)
    bad = frame["bad"].gather(index)
    if bad.any():
        _fail_on_first(table, bad, field, "not a whole number or a published marker", raw.gather(index))
    marked = frame.select(
        counts=pl.col("number").cast(pl.Int64),
        notes=pl.when(pl.col("marker")).then(pl.col("raw")),
        expired=(pl.col("marker") & pl.col("raw").str.to_lowercase().str.contains("expired")).fill_null(False),
    )
    return marked["counts"].gather(index), marked["notes"].gather(index), marked["expired"].gather(index)


def _parse_quarter(table: LocatedTable, cells: DistinctCells) -> pl.Series:
    column = table.columns["quarter"]
    quarter = cells.evaluate(
        clean_text(column).str.extract(r"(?i)^(?:q(?:uarter|tr)?\s*)?([1-4])(?:\.0+)?$", 1).cast(pl.Int8)
    )
    if quarter.null_count():
        _fail_on_first(table, quarter.is_null(), "quarter", "not a quarter 1-4", cells.evaluate(clean_text(column)))
    return quarter


def _parse_financial_year(table: LocatedTable, cells: DistinctCells, fallback: str | None = None) -> pl.Series:
    if "financial_year" not in table.columns:
        return pl.Series([fallback] * table.data.height, dtype=pl.String)
    values, index = cells.encoded(table.columns["financial_year"])
    raw = values.to_frame().select(clean_text(values.name)).to_series()
    spellings = []
    for value in raw.to_list():
        try:
            spellings.append(normalise_financial_year(value) if value is not None else fallback)
        except ValueError:
            spellings.append(None)
    year = pl.Series(spellings, dtype=pl.String).gather(index)
    if year.null_count():
        _fail_on_first(
            table, year.is_null(), "financial_year", "not a financial year such as 2024/25", raw.gather(index)
        )
    return year


def flag_means_expired(flag: pl.Expr) -> pl.Expr:
    """The expired-code flag column: anything but a blank or a 'no' means the code is expired."""
    lower = flag.str.to_lowercase()
    return (lower.is_not_null() & ~lower.is_in(NOT_EXPIRED_FLAGS)).fill_null(False)


def code_text(column: str) -> pl.Expr:
    """Codes stay text; a code stored as a number cell reads '21', never '21.0'."""
    return key_text(column).str.replace(r"^(\d+)\.0+$", "${1}")


def _optional_text(table: LocatedTable, field: str) -> pl.Expr:
    return clean_text(table.columns[field]) if field in table.columns else pl.lit(None, dtype=pl.String)


def _drop_blank_rows(table: LocatedTable, fields: tuple[str, ...]) -> tuple[LocatedTable, DistinctCells]:
    """Rows with nothing in any of ``fields`` (blank lines, footnotes under the table) are not data."""
    cells = DistinctCells(table.data)
    present = [table.columns[f] for f in fields if f in table.columns]
    filled = [cells.evaluate(clean_text(c).is_not_null()) for c in present]
    cells = cells.filter(functools.reduce(operator.or_, filled))
    table.data = cells.data
    return table, cells


def is_skipped_sheet(name: str) -> bool:
    """Cover, notes, pivot and the like: never searched for a table."""
    return any(k in normalise_label(name) for k in _NOT_DATA_SHEETS)


def _locate(workbook: Workbook, synonyms, minimum: int, prefer, fuzzy=None, on_found=None) -> list[LocatedTable]:
    """The tables found: in the preferred sheets, else in the others. ``on_found`` is called with each
    table as soon as it is found (every table it is called with is returned)."""
    sheets = workbook.sheet_names
    preferred = [s for s in sheets if prefer(s)]
    others = [s for s in sheets if s not in preferred and not is_skipped_sheet(s)]
    found: list[LocatedTable] = []
    for group in (preferred, others):
        for sheet in group:  # one at a time: the reader cannot load two sheets at once
            cells = workbook.load_cells(sheet)
            table = locate_table(workbook, sheet, cells, synonyms, minimum_fields=minimum, fuzzy=fuzzy)
            if table is not None:
                found.append(table)
                if on_found is not None:
                    on_found(table)
        if found:
            return found
    return found


def is_outcomes_sheet(name: str) -> bool:
    key = normalise_label(name)
    return "opendata" in key or "outcome" in key


def locate_outcomes_tables(workbook: Workbook) -> list[LocatedTable]:
    """The outcomes tables the reader would read: sheets named as data first, else any other sheet
    (cover, notes, pivot skipped) whose header row names the fields."""
    return _locate(workbook, OUTCOMES_HEADERS, 4, is_outcomes_sheet, fuzzy_outcome_count)


def locate_recorded_crime_tables(workbook: Workbook, on_found=None) -> list[LocatedTable]:
    """The recorded-crime file's year sheets (2012_13, ...), each with its header row (``on_found``:
    as ``_locate``)."""
    return _locate(workbook, RECORDED_CRIME_HEADERS, 4, lambda s: year_of_sheet(s) is not None, on_found=on_found)


def parse_outcomes(path: str | Path) -> pl.DataFrame:
    """An outcomes open data workbook (xlsx or ods, any vintage) -> the tidy outcomes table."""
    workbook = open_workbook(path)
    tables = locate_outcomes_tables(workbook)
    if not tables:
        raise InputFileError(
            workbook.path,
            "no outcomes data sheet: no sheet has a header row naming force, outcome type and counts "
            f"(sheets: {', '.join(map(repr, workbook.sheet_names))})",
        )
    return pl.concat([_tidy_outcomes(workbook, t) for t in tables], how="vertical")


def _tidy_outcomes(workbook: Workbook, table: LocatedTable) -> pl.DataFrame:
    counts = [f for f in ("recorded", "closed") if f in table.columns]
    if not counts:
        raise InputFileError(
            workbook.path,
            "the outcomes table has no count column ('Outcomes for offences that were recorded "
            "in the quarter' or 'Outcomes for investigations closed in the quarter')",
            sheet=table.sheet,
            column="Outcomes for offences that were recorded in the quarter",
        )
    # An annual layout (the 2006-2014 archive) has neither quarter nor offence code: both NA then.
    annual = "quarter" not in table.columns and "offence_code" not in table.columns
    required = ("financial_year", "force", "outcome_type") + (() if annual else ("quarter", "offence_code"))
    _require(workbook, table, required, "outcomes")
    if annual:
        _require(workbook, table, ("offence_group",), "outcomes")
    table, cells = _drop_blank_rows(table, ("force", "outcome_type", *counts))

    height = table.data.height
    no_counts = (pl.Series([None] * height, dtype=pl.Int64), pl.Series([None] * height, dtype=pl.String), None)
    recorded, recorded_note, recorded_expired = (
        _parse_counts(table, cells, "recorded") if "recorded" in table.columns else no_counts
    )
    closed, closed_note, closed_expired = (
        _parse_counts(table, cells, "closed") if "closed" in table.columns else no_counts
    )
    expired = [e for e in (recorded_expired, closed_expired) if e is not None]
    if "offence_code_expired" in table.columns:
        expired.append(cells.evaluate(flag_means_expired(clean_text(table.columns["offence_code_expired"]))))

    frame = cells.select(
        force=_canonical_force(key_text(table.columns["force"])),
        offence_code=code_text(table.columns["offence_code"]) if not annual else pl.lit(None, pl.String),
        offence_description=_optional_text(table, "offence_description"),
        offence_group=_optional_text(table, "offence_group"),
        offence_subgroup=_optional_text(table, "offence_subgroup"),
        outcome_type=code_text(table.columns["outcome_type"]),
        outcome_description=_optional_text(table, "outcome_description"),
        outcome_group=_optional_text(table, "outcome_group"),
    ).with_columns(
        financial_year=_parse_financial_year(table, cells),
        quarter=_parse_quarter(table, cells) if not annual else pl.lit(None, dtype=pl.Int8),
        recorded=recorded,
        closed=closed,
        recorded_note=recorded_note,
        closed_note=closed_note,
        offence_code_expired=functools.reduce(operator.or_, expired) if expired else pl.lit(False),
    )
    _fail_on_first(table, frame["force"].is_null(), "force", "force name is blank", frame["force"])
    _fail_on_first(
        table, frame["outcome_type"].is_null(), "outcome_type", "outcome type is blank", frame["outcome_type"]
    )
    if not annual:
        _fail_on_first(
            table, frame["offence_code"].is_null(), "offence_code", "offence code is blank", frame["offence_code"]
        )

    frame = frame.with_columns(
        note=pl.when(
            pl.col("recorded_note").is_not_null()
            & pl.col("closed_note").is_not_null()
            & (pl.col("recorded_note") != pl.col("closed_note"))
        )
        .then(
            pl.concat_str([pl.lit("recorded: "), pl.col("recorded_note"), pl.lit("; closed: "), pl.col("closed_note")])
        )
        .otherwise(pl.coalesce("recorded_note", "closed_note")),
    )
    if not annual:  # the 2006-2014 archive has its own forces and text outcome labels
        checks.known_forces(table, frame["force"])
        checks.known_outcome_types(table, frame["outcome_type"])
        key_ids = frame.select(pl.col("financial_year").rank("dense"), "quarter").with_columns(
            force=cells.ids(_canonical_force(key_text(table.columns["force"]))),
            offence_code=cells.ids(code_text(table.columns["offence_code"])),
            outcome_type=cells.ids(code_text(table.columns["outcome_type"])),
        )
        checks.one_row_each(table, frame, OUTCOMES_KEY, key_ids)
    return frame.select([pl.col(c).cast(t) for c, t in OUTCOMES_COLUMNS.items()])


def _canonical_force(force: pl.Expr) -> pl.Expr:
    """Any accepted spelling (``codes.force_spellings``: any case and spacing) -> the Home Office
    one; an unknown name is kept as it is, for ``checks.known_forces`` to name. Worked out once per
    distinct value (``DistinctCells``), so the folding costs nothing per row."""
    spellings = force_spellings()
    key = force.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars(" ")
    return key.replace_strict(list(spellings), list(spellings.values()), default=force, return_dtype=pl.String)


def year_of_sheet(name: str) -> str | None:
    match = _YEAR_SHEET.match(name)
    if not match:
        return None
    try:
        return normalise_financial_year(f"{match.group(1)}/{match.group(2)}")
    except ValueError:
        return None


def parse_recorded_crime(path: str | Path) -> pl.DataFrame:
    """The police force area recorded-crime file (a sheet per financial year) -> one tidy table."""
    workbook = open_workbook(path)
    # Each year sheet is cleaned in a thread while the next one loads (polars releases the GIL; the
    # reader loads one sheet at a time): 0.15 to 0.25 s less than cleaning them after the last load.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        cleaning = []
        tables = locate_recorded_crime_tables(
            workbook, on_found=lambda table: cleaning.append(pool.submit(_tidy_recorded_crime, workbook, table))
        )
        if not tables:
            raise InputFileError(
                workbook.path,
                "no recorded-crime data sheet: expected sheets named by financial year (2012_13, 2013_14, ...) "
                f"with a header row (sheets: {', '.join(map(repr, workbook.sheet_names))})",
            )
        frames = [sheet.result() for sheet in cleaning]  # in sheet order; the first sheet's error first
    return pl.concat(frames, how="vertical")


def _tidy_recorded_crime(workbook: Workbook, table: LocatedTable) -> pl.DataFrame:
    sheet_year = year_of_sheet(table.sheet)
    required: tuple[str, ...] = ("quarter", "force", "offence_code", "offences")
    if sheet_year is None:
        required = ("financial_year",) + required
    _require(workbook, table, required, "recorded-crime")
    table, cells = _drop_blank_rows(table, ("force", "offence_code", "offences"))
    offences, _, _ = _parse_counts(table, cells, "offences")
    frame = cells.select(
        force=_canonical_force(key_text(table.columns["force"])),
        offence_code=code_text(table.columns["offence_code"]),
        offence_description=_optional_text(table, "offence_description"),
        offence_group=_optional_text(table, "offence_group"),
        offence_subgroup=_optional_text(table, "offence_subgroup"),
    ).with_columns(
        financial_year=_parse_financial_year(table, cells, fallback=sheet_year),
        quarter=_parse_quarter(table, cells),
        offences=offences,
    )
    _fail_on_first(table, frame["force"].is_null(), "force", "force name is blank", frame["force"])
    key_ids = frame.select(pl.col("financial_year").rank("dense"), "quarter").with_columns(
        force=cells.ids(_canonical_force(key_text(table.columns["force"]))),
        offence_code=cells.ids(code_text(table.columns["offence_code"])),
    )
    checks.one_row_each(table, frame, RECORDED_CRIME_KEY, key_ids)
    return frame.select([pl.col(c).cast(t) for c, t in RECORDED_CRIME_COLUMNS.items()])


def detect_kind(path: str | Path) -> str:
    """OUTCOMES or RECORDED_CRIME, from the first sheet name that tells (cheap: no cells are parsed)."""
    for name in iter_sheet_names(path):
        if is_outcomes_sheet(name):
            return OUTCOMES
        if year_of_sheet(name):
            return RECORDED_CRIME
    return OUTCOMES


PARSERS = {OUTCOMES: parse_outcomes, RECORDED_CRIME: parse_recorded_crime}
