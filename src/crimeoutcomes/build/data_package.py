"""The rows behind a year's reports, published with them: a Frictionless Data Package in ``data/``.

Two tables, each as gzipped CSV and as Parquet (``data.tidy_files``):
- every row of the question's offences in the year (for the default question, the Sexual offences
  group, the tidy table filtered as ``measures.sexual_offences``
  filters it), both counts as published;
- all offences added up by force, quarter and outcome type, both counts.

A total is NA (an empty cell) where any count it needs is missing, never 0. The rows of an expired
offence code, which carry a marker in place of a count, add nothing: the code was not in use, as
``measures.countable`` treats them. No quality adjustment is made (collapsed force-quarters are
published as the file has them; the caveats page says which).

``datapackage.json`` describes every column (type, description, missing-value marker), names the
source file with its sha256 and the licence. run_all.py writes it all into the year's staging folder,
so that it is published with the reports in one swap and recorded in build.json like summary.json.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import polars as pl

from crimeoutcomes.atomic import write_json
from crimeoutcomes.build import record as build_record
from crimeoutcomes.config import SYNTHETIC_MARK
from crimeoutcomes.data.digests import file_sha256
from crimeoutcomes.data.source_files import SourceSet
from crimeoutcomes.data.tidy_files import SYNTHETIC_COLUMN, for_export, write_exported
from crimeoutcomes.data.years import year_slug
from crimeoutcomes.prose.question_words import offence_noun, question_slug, question_words
from crimeoutcomes.stats.measures import sexual_offences
from crimeoutcomes.stats.question import DEFAULT_QUESTION, Question

if TYPE_CHECKING:
    from crimeoutcomes.notebook.analysis import Analysis

#: The folder of a year's reports that holds its data package.
FOLDER = "data"
DESCRIPTOR = "datapackage.json"
#: The formats each table is published in: (suffix, Frictionless format, media type, label for the page).
FORMATS = (
    (".csv.gz", "csv", "text/csv", "CSV (gzip)"),
    (".parquet", "parquet", "application/vnd.apache.parquet", "Parquet"),
)
#: Only an empty cell is missing; text such as "N/A" in a note is text.
MISSING_VALUES = [""]

OGL = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
#: The synthetic sample is invented by this project's generator: it is not Crown copyright.
SAMPLE_LICENCE = {"name": "MIT", "title": "MIT License (the crimeoutcomes project's own code and sample)"}

_MISSING = "; empty where the count is missing (the note gives the published marker), never 0"
FIELD_DESCRIPTIONS = {
    SYNTHETIC_COLUMN: f"{SYNTHETIC_MARK} on every row: invented by the crimeoutcomes sample generator to test the "
    "code; not official statistics",
    "financial_year": "April to March year, as 2024/25",
    "quarter": "Quarter of the financial year: 1 is April to June, 4 is January to March",
    "force": "Police force, named as the Home Office names it",
    "offence_code": "Home Office offence code as published (text: 4.10 is not 4.1)",
    "offence_description": "The offence code's description, as published",
    "offence_group": "Offence group, as published",
    "offence_subgroup": "Offence subgroup, as published",
    "offence_code_expired": "true where the offence code was no longer in use (the published flag x); its counts "
    "carry a marker",
    "outcome_type": "Outcome type as text: 0 (not yet assigned an outcome) to 22; 8 is a community resolution",
    "outcome_description": "The outcome type's description, as published",
    "outcome_group": "Outcome group, as published",
    "recorded": "Outcomes for offences that were recorded in the quarter" + _MISSING,
    "closed": "Outcomes for investigations closed in the quarter" + _MISSING,
    "note": "The published marker where a count is missing, as N/A - data not provided; empty where both are given",
}
_TOTAL_DESCRIPTIONS = {
    "recorded": "Outcomes for offences recorded in the quarter, all offence codes added up; empty where any "
    "offence's count is missing (never 0). Expired offence codes' markers add nothing",
    "closed": "Outcomes for investigations closed in the quarter, all offence codes added up; empty where any "
    "offence's count is missing (never 0). Expired offence codes' markers add nothing",
    "note": "The published markers of the counts missing from this row's totals, joined by '; '",
}


@dataclass(frozen=True)
class Table:
    stem: str  # the file name without suffix or year
    title: str
    description: str
    key: tuple[str, ...]


SEXUAL_ROWS = Table(
    "sexual-offences-rows",
    "Sexual offences: every row",
    "Every row of the Sexual offences group in the year: force, quarter, offence code and outcome type, with "
    "both counts as published",
    ("financial_year", "quarter", "force", "offence_code", "outcome_type"),
)
ALL_TOTALS = Table(
    "all-offences-totals",
    "All offences: totals by force, quarter and outcome type",
    "Every offence code added up for each force, quarter and outcome type, both counts",
    ("financial_year", "quarter", "force", "outcome_type"),
)


def question_rows_table(question: Question) -> Table:
    """The table of the question's rows: for the default question, every sexual-offence row as it
    always was; for another, every row of its offences (every outcome type, as for the default)."""
    if question.is_default:
        return SEXUAL_ROWS
    offences = offence_noun(question)
    return Table(
        f"{question_slug(question)}-rows",
        f"{offences[0].upper()}{offences[1:]}: every row",
        f"Every row of the {offences} in the year (the offences of the question '{question_words(question)}'): "
        "force, quarter, offence code and outcome type, with both counts as published",
        SEXUAL_ROWS.key,
    )


def _type_order() -> list[pl.Expr]:
    """Outcome types in number order (2 before 10), then as text for any that is not a number."""
    return [pl.col("outcome_type").str.to_integer(strict=False), pl.col("outcome_type")]


def sexual_offence_rows(rows: pl.DataFrame, financial_year: str, question: Question = DEFAULT_QUESTION) -> pl.DataFrame:
    """The year's rows of the question's offences (the Sexual offences group for the default)."""
    year = rows.filter(pl.col("financial_year") == financial_year)
    year = sexual_offences(year) if question.is_default else question.select(year)
    return year.sort(["quarter", "force", "offence_code", *_type_order()], nulls_last=True, maintain_order=True)


def all_offence_totals(rows: pl.DataFrame, financial_year: str) -> pl.DataFrame:
    """Both counts added up over the offence codes of each force, quarter and outcome type (see the
    module's docstring for what is NA)."""
    expired = pl.col("offence_code_expired").fill_null(False)
    sums = []
    for column in ("recorded", "closed"):
        counted = pl.col(column).filter(~(expired & pl.col(column).is_null()))
        sums.append(pl.when(counted.is_null().any()).then(None).otherwise(counted.sum()).cast(pl.Int64).alias(column))
    missing = ~expired & (pl.col("recorded").is_null() | pl.col("closed").is_null())
    notes = pl.col("note").filter(missing).drop_nulls().unique().sort().str.join("; ")
    return (
        rows.filter(pl.col("financial_year") == financial_year)
        .group_by(list(ALL_TOTALS.key))
        .agg(
            pl.col("outcome_description").cast(pl.String).first(),
            pl.col("outcome_group").cast(pl.String).first(),
            *sums,
            notes.alias("note"),
        )
        .with_columns(pl.when(pl.col("note") != "").then(pl.col("note")).alias("note"))
        .sort(["quarter", "force", *_type_order()], nulls_last=True)
    )


def file_stem(table: Table, financial_year: str, synthetic: bool) -> str:
    return ("synthetic-" if synthetic else "") + f"{table.stem}-{year_slug(financial_year)}"


def _field_type(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    return "integer" if pd.api.types.is_integer_dtype(dtype) else "string"


def table_schema(data: pd.DataFrame, table: Table) -> dict:
    """Frictionless Table Schema of ``data`` as written (``for_export``): every column's type and
    description; the key as primary key where none of its values is missing."""
    described = FIELD_DESCRIPTIONS | (_TOTAL_DESCRIPTIONS if table is ALL_TOTALS else {})
    fields: list[dict[str, object]] = [
        {"name": column, "type": _field_type(data[column].dtype), "description": described[column]}
        for column in data.columns
    ]
    if fields[0]["name"] == SYNTHETIC_COLUMN:
        fields[0]["constraints"] = {"required": True, "enum": [SYNTHETIC_MARK]}
    schema = {"fields": fields, "missingValues": MISSING_VALUES}
    if not data[list(table.key)].isna().any().any():
        schema["primaryKey"] = list(table.key)
    return schema


def package_sources(sources: SourceSet, financial_year: str) -> dict:
    """The file the year's rows come from, as its manifest records it, with its sha256."""
    path = sources.outcomes[financial_year]
    entry = sources.entry(path)
    (record,) = build_record.source_records([path])
    source = {"title": entry.get("title") or path.name, "file": path.name, "sha256": record["sha256"]}
    if entry.get("url"):
        source["path"] = entry["url"]
    return source | {key: entry[key] for key in ("release", "release_date", "retrieved_at") if entry.get(key)}


def _resource(table: Table, stem: str, fmt: tuple[str, str, str, str], schema: dict) -> dict:
    suffix, name, mediatype, label = fmt
    resource = {
        "name": f"{stem}-{name}",
        "path": stem + suffix,
        "title": f"{table.title} ({label})",
        "description": table.description,
        "format": name,
        "mediatype": mediatype,
        "schema": schema,
    }
    if name == "csv":
        resource |= {"encoding": "utf-8", "compression": "gz"}
    return resource


def descriptor(
    financial_year: str,
    synthetic: bool,
    sources: list[dict],
    resources: list[dict],
    question: Question = DEFAULT_QUESTION,
) -> dict:
    """datapackage.json: what the files are, where their numbers come from, under which licence (and,
    for another question than the default, which question)."""
    offences = "sexual offences" if question.is_default else offence_noun(question)
    rows = "every sexual-offence row" if question.is_default else f"every row of the {offences}"
    asked = "" if question.is_default else f", for the question '{question_words(question)}'"
    what = (
        f"Police recorded crime outcomes in England and Wales, {financial_year}{asked}: {rows} and "
        "all-offence totals by force, quarter and outcome type, both counts (outcomes of the offences recorded "
        "in the quarter; outcomes of the investigations closed in it). A missing count is an empty cell, never 0."
    )
    if synthetic:
        notice = (
            f"{SYNTHETIC_MARK}: every number is invented by the crimeoutcomes sample generator to test the code. "
            "These are not official statistics and must not be quoted."
        )
        description = f"{notice} {what}"
    else:
        description = (
            f"{what} From the Home Office crime outcomes open data. Contains public sector information "
            "licensed under the Open Government Licence v3.0."
        )
    return {
        "name": ("synthetic-" if synthetic else "")
        + "crime-outcomes-"
        + ("" if question.is_default else f"{question_slug(question)}-")
        + year_slug(financial_year),
        "title": (f"{SYNTHETIC_MARK}: " if synthetic else "")
        + f"Crime outcomes in England and Wales, {financial_year}{asked}: {offences} and all-offence totals",
        "description": description,
        "licenses": [SAMPLE_LICENCE if synthetic else OGL],
        "sources": sources,
        "resources": resources,
    }


def write_data_package(
    rows: pl.DataFrame,
    financial_year: str,
    synthetic: bool,
    sources: list[dict],
    folder: Path,
    question: Question = DEFAULT_QUESTION,
) -> list[Path]:
    """Write the year's tables (the question's rows, the all-offence totals) and datapackage.json
    into ``folder`` (a staging folder: what it held is replaced whole). Returns the files written."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    written, resources = [], []
    for table, frame in (
        (question_rows_table(question), sexual_offence_rows(rows, financial_year, question)),
        (ALL_TOTALS, all_offence_totals(rows, financial_year)),
    ):
        data = for_export(frame, synthetic)
        stem, schema = file_stem(table, financial_year, synthetic), table_schema(data, table)
        for fmt in FORMATS:
            written.append(write_exported(data, folder / (stem + fmt[0]), synthetic=synthetic))
            resources.append(_resource(table, stem, fmt, schema))
    written.append(write_json(descriptor(financial_year, synthetic, sources, resources, question), folder / DESCRIPTOR))
    return written


def human_size(size: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def downloads(reports: Path) -> dict:
    """What the year's index page offers (links relative to ``reports``, sizes), from the package
    written there: {'tables': [{'title', 'files': [(label, href, size)]}], 'descriptor': (href, size)}."""
    folder = reports / FOLDER
    package = json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    labels = {name: label for _, name, _, label in FORMATS}
    tables: dict[str, dict] = {}
    for resource in package["resources"]:
        label = labels[resource["format"]]
        title = resource["title"].removesuffix(f" ({label})")
        size = human_size((folder / resource["path"]).stat().st_size)
        tables.setdefault(title, {"title": title, "files": []})["files"].append(
            (label, f"{FOLDER}/{resource['path']}", size)
        )
    return {
        "tables": list(tables.values()),
        "descriptor": (f"{FOLDER}/{DESCRIPTOR}", human_size((folder / DESCRIPTOR).stat().st_size)),
    }


def unchanged(record: dict, reports: Path) -> list[str] | None:
    """The package's files as build.json records them, where each is in ``reports`` with its recorded
    bytes (None otherwise). A run that re-runs some notebooks into a build whose sources and package are
    the same keeps them as they are, as make would, rather than writing the same bytes again."""
    names = sorted(name for name in record.get("outputs", {}) if name.startswith(f"{FOLDER}/"))
    if f"{FOLDER}/{DESCRIPTOR}" not in names:
        return None
    for name in names:
        path = reports / name
        if not path.is_file() or file_sha256(path) != record["outputs"][name]["sha256"]:
            return None
    return names


def stage(analysis: Analysis, reports: Path) -> list[str]:
    """Write the package of ``analysis``'s year into the staged reports folder ``reports``; returns the
    files' names relative to it (for build.json)."""
    year = analysis.financial_year
    sources = [package_sources(analysis.sources, year)]
    written = write_data_package(analysis.rows, year, analysis.synthetic, sources, reports / FOLDER, analysis.question)
    return [path.relative_to(reports).as_posix() for path in written]
