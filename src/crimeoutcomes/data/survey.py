"""Survey new workbooks: every value the reader has to interpret, in one pass, before reading them.

For a new release, the reader's failures come one at a time (it stops at the first unknown force)
and its silent choices (a new marker read as missing, a header matched only by the word
"recorded") not at all. The survey runs the reader's own location, matching and cleaning rules
(``read``, ``workbook``, ``checks``, ``codes`` and ``reference/*.csv``) over every cell and
collects what it finds, so one run lists everything that needs a decision.

Each finding is ``ok`` (known), ``note`` (read as before, but worth knowing: a new offence code, a
force absent) or ``UNKNOWN`` (someone must decide, usually by extending a reference file); the
command exits 1 when there is any UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from crimeoutcomes.config import REFERENCE_DIR
from crimeoutcomes.data import checks, read
from crimeoutcomes.data.codes import (
    SEXUAL_OFFENCES_GROUP,
    canonical_force,
    canonical_force_names,
    display_name,
    forces,
    outcome_types,
    sexual_offences,
)
from crimeoutcomes.data.workbook import LocatedTable, match_header, open_workbook
from crimeoutcomes.data.years import financial_year_ending_march, normalise_financial_year, start_year
from crimeoutcomes.errors import CrimeOutcomesError


def source_path(module) -> str:
    """Where a module's file is, as a contributor opens it: from the checkout (src/crimeoutcomes/...)
    where the package runs from one, else from the folder the package is installed in. Derived from
    the module, so advice that names it cannot name a file that moved."""
    import crimeoutcomes

    path = Path(module.__file__).resolve()
    installed_in = Path(crimeoutcomes.__file__).resolve().parents[1]  # src/ in a checkout, or site-packages
    return path.relative_to(installed_in.parent if installed_in.name == "src" else installed_in).as_posix()


OK, NOTE, UNKNOWN = "ok", "note", "UNKNOWN"
_SHOWN = 5  # examples given of a repeated surprise


@dataclass(frozen=True)
class Finding:
    topic: str
    status: str
    text: str


@dataclass
class FileSurvey:
    path: Path
    kind: str  # read.OUTCOMES, read.RECORDED_CRIME or "unreadable"
    findings: list[Finding] = field(default_factory=list)
    #: financial year -> offence code -> offence group, for the comparison with the year before
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, topic: str, status: str, text: str) -> None:
        self.findings.append(Finding(topic, status, text))


@dataclass
class Survey:
    files: list[FileSurvey]
    comparisons: list[Finding]

    @property
    def unknown(self) -> list[tuple[str, Finding]]:
        found = [(f.path.name, x) for f in self.files for x in f.findings if x.status == UNKNOWN]
        return found + [("offence codes", x) for x in self.comparisons if x.status == UNKNOWN]

    @property
    def exit_code(self) -> int:
        return 1 if self.unknown else 0


# ---- one file ------------------------------------------------------------------------------------


def survey_file(path: str | Path) -> FileSurvey:
    """Everything the reader would interpret in one workbook; never raises for what is in the file."""
    path = Path(path)
    try:
        kind = read.detect_kind(path)
        workbook = open_workbook(path)
        locate = read.locate_outcomes_tables if kind == read.OUTCOMES else read.locate_recorded_crime_tables
        tables = locate(workbook)
    except CrimeOutcomesError as exc:
        survey = FileSurvey(path, "unreadable")
        survey.add("file", UNKNOWN, str(exc))
        return survey
    survey = FileSurvey(path, kind)
    _sheets(survey, workbook.sheet_names, tables)
    synonyms = read.OUTCOMES_HEADERS if kind == read.OUTCOMES else read.RECORDED_CRIME_HEADERS
    _headers(survey, tables, synonyms, read.fuzzy_outcome_count if kind == read.OUTCOMES else None)
    for table in tables:
        where = f"sheet {table.sheet!r}: " if kind == read.RECORDED_CRIME else ""
        _years_and_quarters(survey, table, where)
        for count in ("recorded", "closed") if kind == read.OUTCOMES else ("offences",):
            _counts(survey, table, count, where)
        _collect_codes(survey, table)
    if kind == read.OUTCOMES:
        for table in tables:
            _expired_flags(survey, table)
            _outcome_types(survey, table)
    _forces(survey, tables)
    _offence_groups(survey, tables)
    return survey


def _sheets(survey: FileSurvey, names: list[str], tables: list[LocatedTable]) -> None:
    read_sheets = {t.sheet: t for t in tables}
    for name in names:
        if name in read_sheets:
            survey.add("sheets", OK, f"{name!r}: read (header in row {read_sheets[name].header_row + 1})")
        elif read.is_skipped_sheet(name):
            survey.add("sheets", OK, f"{name!r}: skipped (cover, notes, pivot or contents)")
        else:
            survey.add(
                "sheets",
                NOTE,
                f"{name!r}: not read (no header row naming the fields, or a data sheet was found by name)",
            )
    if not tables:
        survey.add("sheets", UNKNOWN, "no data sheet: no sheet has a header row naming the fields")


def _headers(survey: FileSurvey, tables: list[LocatedTable], synonyms, fuzzy) -> None:
    # The recorded-crime file repeats one header over a dozen year sheets: each wording is shown once.
    seen: dict[tuple[str, str], list[str]] = {}
    for table in tables:
        mapped = {column: f for f, column in table.columns.items()}
        for column, label in table.labels.items():
            field_name = mapped.get(column)
            if field_name is None and match_header(label, synonyms):
                line = (
                    OK,
                    f"{label!r} -> {match_header(label, synonyms)} again: ignored (the first such column counts)",
                )
            elif field_name is None:
                line = (
                    UNKNOWN,
                    f"{label!r}: not a column the reader knows, ignored (if it matters, add its "
                    f"wording to the header lists in {source_path(read)})",
                )
            elif match_header(label, synonyms):
                line = (OK, f"{label!r} -> {field_name}")
            else:
                line = (
                    UNKNOWN,
                    f"{label!r} -> {field_name}, matched only by the word "
                    f"{field_name!r}: a wording not seen before (check it means {field_name}, "
                    f"then add it to OUTCOMES_HEADERS in {source_path(read)})",
                )
            seen.setdefault(line, []).append(table.sheet)
        for field_name in synonyms:
            if field_name not in table.columns:
                line = (UNKNOWN, f"no column for {field_name.replace('_', ' ')!r} (the published files have one)")
                seen.setdefault(line, []).append(table.sheet)
    for (status, text), sheets in seen.items():
        where = f" [sheets {', '.join(sheets)}]" if len(tables) > 1 and len(sheets) < len(tables) else ""
        survey.add("headers", status, text + where)


def _column(table: LocatedTable, field_name: str, clean=read.clean_text) -> pl.DataFrame | None:
    """One field's cleaned cells with their spreadsheet row, or None where the table lacks it."""
    if field_name not in table.columns:
        return None
    return table.data.select(value=clean(table.columns[field_name]), row=pl.int_range(pl.len()).cast(pl.Int64))


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _first_row(table: LocatedTable, frame: pl.DataFrame, value) -> int:
    index = frame.filter(pl.col("value").eq_missing(value))["row"][0]
    return table.sheet_row(int(index))


def _tally(frame: pl.DataFrame) -> list[tuple[str, int]]:  # "value": cell text
    counted = frame.group_by("value").agg(n=pl.len(), first=pl.col("row").min()).sort("first")
    return [(v, n) for v, n in zip(counted["value"], counted["n"])]


def _years_and_quarters(survey: FileSurvey, table: LocatedTable, where: str) -> None:
    years = _column(table, "financial_year")
    if years is not None:
        for value, n in _tally(years.drop_nulls("value")):
            try:
                survey.add(
                    "years", OK, f"{where}financial year {value!r} -> {normalise_financial_year(value)} ({_rows(n)})"
                )
            except ValueError:
                survey.add(
                    "years",
                    UNKNOWN,
                    f"{where}financial year {value!r} is not a year such as 2024/25 "
                    f"({_rows(n)}, first at row {_first_row(table, years, value)})",
                )
    quarters = _column(table, "quarter")
    if quarters is not None:
        parsed = quarters.with_columns(
            q=pl.col("value").str.extract(r"(?i)^(?:q(?:uarter|tr)?\s*)?([1-4])(?:\.0+)?$", 1)
        )
        bad = parsed.filter(pl.col("q").is_null() & pl.col("value").is_not_null())
        found = sorted(parsed["q"].drop_nulls().unique().to_list())
        survey.add("quarters", OK, f"{where}quarters {', '.join(found) or 'none'}")
        for value, n in _tally(bad.select("value", "row")):
            survey.add(
                "quarters",
                UNKNOWN,
                f"{where}quarter {value!r} is not 1-4 ({_rows(n)}, first at row {_first_row(table, bad, value)})",
            )


def _counts(survey: FileSurvey, table: LocatedTable, field_name: str, where: str) -> None:
    cells = _column(table, field_name)
    if cells is None:
        return
    header = table.headers[field_name]
    kinds = read.classify_counts(cells["value"]).with_columns(row=cells["row"])
    numbers = kinds.filter(pl.col("number").is_not_null())
    negative = int((numbers["number"] < 0).sum())
    blank = int(kinds["raw"].is_null().sum())
    survey.add("counts", OK, f"{where}{header!r}: {numbers.height:,} numbers ({negative:,} negative), {blank:,} blank")
    markers = kinds.filter(pl.col("marker")).rename({"raw": "value"})
    for value, n in _tally(markers.select("value", "row")):
        if value.lower() in read.PUBLISHED_MARKERS:
            survey.add("markers", OK, f"{where}{header!r}: {value!r} x {n:,} (read as missing)")
        else:
            survey.add(
                "markers",
                UNKNOWN,
                f"{where}{header!r}: {value!r} x {n:,}, a marker not seen before: "
                f"read as missing; first at row {_first_row(table, markers, value)} "
                "(decide what it means; known: "
                f"{', '.join(read.PUBLISHED_MARKERS)}, any case)",
            )
    bad = kinds.filter(pl.col("bad")).rename({"raw": "value"})
    tally = _tally(bad.select("value", "row"))
    for value, n in tally[:_SHOWN]:
        survey.add(
            "markers",
            UNKNOWN,
            f"{where}{header!r}: {value!r} x {n:,} is neither a whole number nor "
            f"a marker: the reader refuses it (first at row "
            f"{_first_row(table, bad, value)})",
        )
    if len(tally) > _SHOWN:
        survey.add("markers", UNKNOWN, f"{where}{header!r}: {len(tally) - _SHOWN} more such values")


def _expired_flags(survey: FileSurvey, table: LocatedTable) -> None:
    flags = _column(table, "offence_code_expired")
    if flags is None:
        return
    meaning = flags.with_columns(expired=read.flag_means_expired(pl.col("value")))
    for value, n in _tally(flags):
        expired = bool(meaning.filter(pl.col("value").eq_missing(value))["expired"][0])
        if value is None:
            survey.add("expired flags", OK, f"blank x {n:,} (not expired)")
        elif value == read.PUBLISHED_EXPIRED_FLAG:
            survey.add("expired flags", OK, f"{value!r} x {n:,} (expired)")
        else:
            survey.add(
                "expired flags",
                UNKNOWN,
                f"{value!r} x {n:,}, a flag not seen before: read as "
                f"{'expired' if expired else 'not expired'} (first at row "
                f"{_first_row(table, flags, value)}; the files print "
                f"{read.PUBLISHED_EXPIRED_FLAG!r} or nothing)",
            )
    codes = (
        table.data.select(
            code=read.code_text(table.columns["offence_code"]),
            flag=read.flag_means_expired(read.clean_text(table.columns["offence_code_expired"])),
        )
        if "offence_code" in table.columns
        else None
    )
    if codes is not None:
        expired_codes = codes.filter("flag")["code"].unique().sort().to_list()
        survey.add("expired flags", OK, f"{len(expired_codes)} offence codes flagged expired")


def _outcome_types(survey: FileSurvey, table: LocatedTable) -> None:
    types = _column(table, "outcome_type", clean=read.code_text)
    if types is None:
        return
    known = {t.code: t for t in outcome_types()}
    tally = sorted(_tally(types.drop_nulls("value")), key=lambda item: _code_order(item[0]))
    present = {value for value, _ in tally}
    listed = [f"{value} ({n:,})" for value, n in tally if value in known]
    if listed:
        survey.add("outcome types", OK, f"{len(listed)} known (rows): {', '.join(listed)}")
    for value, n in tally:
        if value not in known:
            survey.add(
                "outcome types",
                UNKNOWN,
                f"{value!r} x {n:,} (first at row {_first_row(table, types, value)})"
                f" is not a known outcome type: {checks.outcome_type_fix(value)}",
            )
    absent = [code for code in known if code not in present]
    if absent:
        survey.add("outcome types", NOTE, f"known types not in this file: {', '.join(absent)}")


def _code_order(code: str) -> tuple:
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def _forces(survey: FileSurvey, tables: list[LocatedTable]) -> None:
    frames = []
    for table in tables:
        names = _column(table, "force", clean=read.key_text)
        if names is None:
            continue
        groups = (
            table.data.select(group=read.clean_text(table.columns["offence_group"]))
            if "offence_group" in table.columns
            else pl.DataFrame({"group": [None] * table.data.height})
        )
        frames.append((table, names.with_columns(group=groups["group"])))
    known = set(forces())
    seen, exact, canonical = set(), {}, set()
    for table, names in frames:
        for value, n in _tally(names.drop_nulls("value").select("value", "row")):
            if value in seen:
                continue
            seen.add(value)
            # the reader's own rule (codes.canonical_force): aliases and display names, any case and spacing
            resolved = canonical_force(value)
            canonical.add(resolved or value)
            if value in known:
                exact[value] = n
            elif resolved is not None:
                survey.add("forces", OK, f"{value!r} -> {resolved!r} {_spelling_rule(value, resolved)} ({_rows(n)})")
            elif survey.kind == read.RECORDED_CRIME and _only_fraud(names, value):
                # The recorded-crime file lists the national fraud bodies as if they were forces.
                survey.add("forces", OK, f"{value!r}: a fraud body, not a police force ({_rows(n)})")
            else:
                close = checks.closest_force(value)
                hint = f"nearest known: {close!r}" if close else "no known force is close"
                survey.add(
                    "forces",
                    UNKNOWN,
                    f"{value!r} ({_rows(n)}, first at row "
                    f"{_first_row(table, names, value)}) is not a known force; {hint}: "
                    f"{checks.force_fix()}",
                )
    if exact:
        survey.add(
            "forces",
            OK,
            f"{len(exact)} spelt as in forces.csv (rows): "
            + ", ".join(f"{name} ({n:,})" for name, n in sorted(exact.items())),
        )
    absent = [f for f in forces() if f not in canonical]
    if frames and absent:
        survey.add("forces", NOTE, f"known forces with no rows in this file: {', '.join(absent)}")


def _spelling_rule(value: str, resolved: str) -> str:
    """Why the reader takes ``value`` as ``resolved``: an alias, the display name, or case and spacing."""
    if value in canonical_force_names():
        return "via force_aliases.csv"
    if value == display_name(resolved):
        return "as the pages name it (forces.csv display_name)"
    return "in another case or spacing"


def _only_fraud(names: pl.DataFrame, value: str) -> bool:
    groups = names.filter(pl.col("value") == value)["group"].drop_nulls().unique().to_list()
    return bool(groups) and all("fraud" in g.lower() for g in groups)


def _offence_groups(survey: FileSurvey, tables: list[LocatedTable]) -> None:
    groups = set()
    for table in tables:
        column = _column(table, "offence_group")
        if column is not None:
            groups |= set(column["value"].drop_nulls().unique().to_list())
    if not groups:
        return
    survey.add("offence groups", OK, f"{len(groups)} groups: {', '.join(sorted(groups))}")
    if SEXUAL_OFFENCES_GROUP not in groups:
        survey.add(
            "offence groups",
            UNKNOWN,
            f"no {SEXUAL_OFFENCES_GROUP!r} group: every measure selects sexual offences by it (renamed?)",
        )
    reference = {o.code for o in sexual_offences()}
    sexual = {code for year in survey.codes.values() for code, group in year.items() if group == SEXUAL_OFFENCES_GROUP}
    for code in sorted(sexual - reference):
        survey.add(
            "offence groups",
            UNKNOWN,
            f"sexual-offence code {code!r} is not in "
            f"{REFERENCE_DIR / 'sexual_offences.csv'} (add it, with its "
            "subgroup and, where its definition sets one, the victim's age)",
        )


def _collect_codes(survey: FileSurvey, table: LocatedTable) -> None:
    if "offence_code" not in table.columns:
        return
    year = read.year_of_sheet(table.sheet)
    frame = (
        table.data.select(
            year=read.clean_text(table.columns["financial_year"])
            if "financial_year" in table.columns
            else pl.lit(year),
            code=read.code_text(table.columns["offence_code"]),
            group=read.clean_text(table.columns["offence_group"])
            if "offence_group" in table.columns
            else pl.lit(None, pl.String),
        )
        .drop_nulls(["year", "code"])
        .unique(["year", "code"], keep="first")
    )
    for raw_year, code, group in frame.iter_rows():
        try:
            survey.codes.setdefault(normalise_financial_year(raw_year), {})[code] = group
        except ValueError:
            continue  # reported under "years"


# ---- offence codes against the year before ---------------------------------------------------------


def previous_year(financial_year: str) -> str:
    return financial_year_ending_march(start_year(financial_year))


def _codes_from_data_folder(financial_year: str, raw_dir: Path | None) -> tuple[dict[str, str], Path] | None:
    """The offence codes of that year's newest release in the data folder's manifest, read through the
    cache (a file read before costs no parse)."""
    from crimeoutcomes.data.load import load_table
    from crimeoutcomes.data.source_files import from_manifest

    folder = raw_dir or _default_raw_dir()
    if not folder.is_dir():
        return None
    path = from_manifest(folder).outcomes.get(financial_year)
    if path is None:
        return None
    frame = load_table(path, read.OUTCOMES).filter(pl.col("financial_year") == financial_year)
    codes = frame.unique("offence_code", keep="first").select("offence_code", "offence_group")
    return dict(codes.iter_rows()), path


def _default_raw_dir() -> Path:
    from crimeoutcomes.config import raw_dir

    return raw_dir()


def compare_codes(
    surveys: Sequence[FileSurvey], raw_dir: Path | None = None, use_data_folder: bool = True
) -> list[Finding]:
    """Offence codes new or gone in each outcomes year against the year before: that year's file among
    those surveyed, else (``use_data_folder``) its newest release in the data folder's manifest. The
    recorded-crime file's last year sheet is compared with the sheet before it."""
    findings: list[Finding] = []
    outcomes = {y: (codes, s.path) for s in surveys if s.kind == read.OUTCOMES for y, codes in s.codes.items()}
    for year in sorted(outcomes):
        codes, path = outcomes[year]
        before = previous_year(year)
        if before in outcomes:
            earlier, earlier_path = outcomes[before]
            source = f"{earlier_path.name}, given"
        else:
            found = None
            try:
                found = _codes_from_data_folder(before, raw_dir) if use_data_folder else None
            except CrimeOutcomesError as exc:
                findings.append(
                    Finding(
                        "offence codes", NOTE, f"{year}: the {before} file in the data folder could not be read ({exc})"
                    )
                )
            if found is None:
                findings.append(
                    Finding(
                        "offence codes",
                        NOTE,
                        f"{year} ({path.name}): no {before} file given or "
                        "in the data folder, so new and gone codes are "
                        "not known",
                    )
                )
                continue
            earlier, earlier_path = found
            source = f"{earlier_path.name}, from the data folder"
        findings += _code_changes(f"outcomes {year} against {before} ({source})", codes, earlier)
    for survey in surveys:
        if survey.kind == read.RECORDED_CRIME and len(survey.codes) >= 2:
            last, before = sorted(survey.codes)[-1], sorted(survey.codes)[-2]
            findings += _code_changes(
                f"recorded crime {last} against {before} ({survey.path.name})", survey.codes[last], survey.codes[before]
            )
    return findings


def _code_changes(label: str, codes: dict[str, str], earlier: dict[str, str]) -> list[Finding]:
    new, gone = sorted(set(codes) - set(earlier)), sorted(set(earlier) - set(codes))
    findings = [
        Finding(
            "offence codes",
            OK if not (new or gone) else NOTE,
            f"{label}: {len(codes)} codes, {len(new)} new, {len(gone)} gone",
        )
    ]
    findings += [Finding("offence codes", NOTE, f"  new {code!r} ({codes[code]})") for code in new]
    findings += [Finding("offence codes", NOTE, f"  gone {code!r} ({earlier[code]})") for code in gone]
    return findings


# ---- the whole survey --------------------------------------------------------------------------------


def survey(paths: Sequence[str | Path], raw_dir: Path | None = None, use_data_folder: bool = True) -> Survey:
    files = [survey_file(p) for p in paths]
    return Survey(files, compare_codes(files, raw_dir, use_data_folder))


def render(result: Survey) -> str:
    """The survey as text: each file's findings by topic, the code comparison, then every UNKNOWN again."""
    lines = []
    for file in result.files:
        kind = {read.OUTCOMES: "outcomes", read.RECORDED_CRIME: "recorded crime"}.get(file.kind, file.kind)
        lines.append(f"== {file.path} ({kind})")
        topics = list(dict.fromkeys(f.topic for f in file.findings))  # in order of first appearance
        for topic in topics:
            lines.append(f"  {topic}")
            lines += [_line(f) for f in file.findings if f.topic == topic]
        lines.append("")
    lines.append("== offence codes against the previous financial year")
    lines += [_line(f) for f in result.comparisons] or ["    (no outcomes files)"]
    lines.append("")
    unknown = result.unknown
    if unknown:
        lines.append(f"{len(unknown)} UNKNOWN (each needs a decision before these files are read):")
        lines += [f"  UNKNOWN {name}, {f.topic}: {f.text}" for name, f in unknown]
    else:
        lines.append("Nothing unknown: the reader knows every value in these files.")
    return "\n".join(lines)


def _line(finding: Finding) -> str:
    # One finding a line, never wrapped, so that `... | grep UNKNOWN` lists every surprise.
    return f"    {finding.status:<8}{finding.text}"
