"""The tidy tables: column names and types, the contract between the reader and everything else."""

from __future__ import annotations

import polars as pl

#: Bump when the reader's output changes, so that cached Parquet files are rebuilt.
SCHEMA_VERSION = 2

#: The long descriptive texts: a few hundred distinct values over 700k rows a year, so they are held
#: dictionary-encoded (polars Categorical: a 4-byte index a row, where a String costs a 16-byte view
#: and its bytes). Twelve real-shaped years take 0.66 GB this way and 1.55 GB as String. Nothing
#: joins on them; the keys (year, force, code, outcome type) stay String, which joins need.
DESCRIPTIONS = ("offence_description", "offence_group", "offence_subgroup", "outcome_description", "outcome_group")

#: Where and what: the columns both tables share, in this order.
_KEY_COLUMNS: dict[str, pl.DataType] = {
    "financial_year": pl.String(),
    "quarter": pl.Int8(),
    "force": pl.String(),
    "offence_code": pl.String(),
    "offence_description": pl.Categorical(),
    "offence_group": pl.Categorical(),
    "offence_subgroup": pl.Categorical(),
}

OUTCOMES_COLUMNS: dict[str, pl.DataType] = {
    **_KEY_COLUMNS,
    "offence_code_expired": pl.Boolean(),
    "outcome_type": pl.String(),
    "outcome_description": pl.Categorical(),
    "outcome_group": pl.Categorical(),
    "recorded": pl.Int64(),
    "closed": pl.Int64(),
    "note": pl.String(),
}

RECORDED_CRIME_COLUMNS: dict[str, pl.DataType] = {**_KEY_COLUMNS, "offences": pl.Int64()}

#: The two kinds of table (and of source file).
OUTCOMES = "outcomes"
RECORDED_CRIME = "recorded_crime"
#: One row of each table per value of its key: a duplicate is refused when the file is read.
OUTCOMES_KEY = ("financial_year", "quarter", "force", "offence_code", "outcome_type")
RECORDED_CRIME_KEY = ("financial_year", "quarter", "force", "offence_code")
#: A force's quarter: what a gap or a collapse is counted in.
FORCE_QUARTER = ["financial_year", "quarter", "force"]
#: The files the reader takes.
WORKBOOK_SUFFIXES = (".xlsx", ".ods")

#: The two ways of counting outcomes; each names a count column of the outcomes table.
COUNT_BASES = ("closed", "recorded")
